#!/usr/bin/env python
"""Reproduce (and check the fix of) the genus-naming artefact of issue #11.

The healthy controls of ``psoriasis_gut_metaphlan_100`` (MetaPhlAn 3 naming) are placed, one person at a time,
against a reference and the share of them called low / typical / high / absent is printed for a few genera
whose species moved between genera (Blautia obeum was "Ruminococcus obeum" in MetaPhlAn 2). About a quarter of
healthy people should be on each side; "Blautia high 47/47" is the artefact.

    .venv/bin/python scripts/taxonomy_artefact.py [--reference gmhi2020-healthy-mpa2] [--data ../shared/data]
"""

from __future__ import annotations

import argparse

import cohorts
from gutskin import reference
from gutskin.insights.measure import measure_all
from gutskin.knowledge.loader import load_kb

GENERA = ["taxon-blautia", "taxon-ruminococcus", "taxon-dorea", "taxon-faecalibacterium"]


def placement_counts(cohort, ref, feature_ids=GENERA) -> dict[str, dict[str, int]]:
    kb = load_kb()
    features = [kb.feature(f) for f in feature_ids]
    from gutskin.insights.measure import SampleMeasurer

    healthy = [i for i, h in enumerate(cohort.metadata["healthy"].tolist()) if h]
    out = {f.id: {"low": 0, "typical": 0, "high": 0, "absent": 0, "not_measured": 0} for f in features}
    for i in healthy:
        one = cohort.profile.take_samples([i])
        measurer = SampleMeasurer(one, ref, kb)
        for f in features:
            out[f.id][measurer.measure(f).status] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default="gmhi2020-healthy-mpa2")
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    cohort = cohorts.psoriasis_100(args.data)
    ref = reference.load(args.reference)
    n = int(cohort.metadata["healthy"].sum())
    print(f"{n} healthy controls of psoriasis_gut_metaphlan_100 against {ref.name} (n={ref.n})")
    for fid, counts in placement_counts(cohort, ref).items():
        print(f"  {fid:26s} " + "  ".join(f"{k} {v}/{n}" for k, v in counts.items() if v))
    _ = measure_all  # the same measurement the report uses


if __name__ == "__main__":
    main()
