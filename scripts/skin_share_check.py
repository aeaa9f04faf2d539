#!/usr/bin/env python
"""How often stool of other cohorts holds the share of skin genera that the ``skin_bacteria_high`` check flags.

For each cohort: the 99th percentile of the skin/nose genera's share of the bacteria (``gutskin.insights.sanity``'s
own genus list, at genus rank under the current taxonomy) and how many samples reach ``SKIN_HIGH``. The numbers in
the comment above ``SKIN_HIGH`` come from this script.

    .venv/bin/python scripts/skin_share_check.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import gutskin
from gutskin.insights import sanity

COHORTS = {
    "TwinsUK volunteers (16S)": "twinsuk_16s_v4_greengenes_1024/genus_counts.tsv.gz",
    "HMP1 healthy adults (16S)": "hmp1_16s_stool_greengenes/v35_genus_counts.tsv.gz",
    "GMHI discovery set, healthy and ill (shotgun)": "gmhi2020_discovery_4347/abundance_species_pct.tsv.gz",
    "Moving Pictures stool series (16S)": "movingpictures_16s_gut_467/genus_counts.tsv.gz",
}


def skin_shares(path: Path) -> np.ndarray:
    """Each sample's share of skin/nose genera among its genera (samples with nothing at genus rank left out)."""
    view = gutskin.read(path).at_rank("genus")
    skin = np.array([sanity.current_genus(str(n)) in sanity.SKIN_GENERA for n in view.taxa["name"]])
    totals = np.asarray(view.values.sum(axis=1)).ravel()
    held = np.asarray(view.values[:, np.flatnonzero(skin)].sum(axis=1)).ravel()
    return held[totals > 0] / totals[totals > 0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = ap.parse_args()
    print(f"threshold SKIN_HIGH = {sanity.SKIN_HIGH:.0%}")
    for label, rel in COHORTS.items():
        share = skin_shares(args.data / rel)
        print(f"{label}: {share.size} samples, 99th percentile {np.quantile(share, 0.99):.1%}, "
              f"{int((share >= sanity.SKIN_HIGH).sum())} at or above the threshold")


if __name__ == "__main__":
    main()
