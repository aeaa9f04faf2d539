#!/usr/bin/env python
"""Reproduce the genus-naming artefact of issue #11, and show what gutskin does now.

The 47 healthy controls of ``psoriasis_gut_metaphlan_100`` (MetaPhlAn 3 naming) are placed, one person at a time,
for four genera whose species moved between genera. About a quarter of healthy people should be on each side.

1. **Before** (the old rule, rebuilt here): person's genus = the profiler's genus column, reference genus = first
   word of the MetaPhlAn 2 species name (GMHI 2020, n = 2,636). MetaPhlAn 2's *Ruminococcus obeum* is summed into
   Ruminococcus and MetaPhlAn 3 files *R. gnavus*/*R. torques* under Blautia: Blautia comes out "high" for 47 of 47.
2. **One taxonomy** (``gutskin.reference.taxa``): both sides rolled up to current genera by the one rule.
3. **What a report does now**: a MetaPhlAn 3 profile is not placed at taxon level against a MetaPhlAn 2 reference
   (only quantities shown to transfer are); against a MetaPhlAn 3 reference the placement-study calibration applies.

    .venv/bin/python scripts/taxonomy_artefact.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse

import numpy as np

import cohorts
from gutskin import reference
from gutskin.insights.measure import SampleMeasurer
from gutskin.knowledge.loader import load_kb
from gutskin.reference.model import TAXON_GRID, Distribution
from gutskin.reference.taxa import rank_table

GENERA = ["Blautia", "Ruminococcus", "Dorea", "Faecalibacterium"]
LOW, HIGH = 0.25, 0.75


def _status(p: float) -> str:
    return "low" if p < LOW else "high" if p > HIGH else "typical"


def _place(values: np.ndarray, ref_values: np.ndarray) -> dict[str, int]:
    """Quartile placement of each person's share against a reference's healthy shares (prevalence + carriers)."""
    carriers = ref_values[ref_values > 0]
    prevalence = carriers.size / ref_values.size
    dist = Distribution.of(carriers, TAXON_GRID)
    out = {"low": 0, "typical": 0, "high": 0, "absent": 0}
    for x in values:
        if x <= 0:
            out["absent" if prevalence >= 0.25 else "typical"] += 1
            continue
        out[_status((1 - prevalence) + prevalence * dist.cdf(x))] += 1
    return out


def legacy_shares(profile, genus: str, rule: str) -> np.ndarray:
    """Genus shares under the old rules: the profiler's genus column, or the first word of the species name."""
    species = profile.at_rank("species")
    values = species.values.toarray()
    values = values / values.sum(axis=1, keepdims=True)
    if rule == "column":
        cols = species.taxa["genus"].astype(str).to_numpy() == genus
    else:
        cols = np.array([str(n).replace("_", " ").split(" ")[0] == genus for n in species.taxa["name"]])
    return values[:, cols].sum(axis=1)


def current_shares(profile, genus: str) -> np.ndarray:
    table = rank_table(profile, "genus")
    key = genus.lower()
    return table.values[:, table.keys.index(key)].toarray().ravel() if key in table.keys else \
        np.zeros(profile.n_samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    pso = cohorts.psoriasis_100(args.data)
    controls = pso.profile.take_samples(np.flatnonzero(pso.metadata["healthy"].to_numpy()))
    gmhi = cohorts.gmhi_discovery(args.data)
    ref_people = gmhi.profile.take_samples(np.flatnonzero(gmhi.metadata["healthy"].to_numpy()))
    n = controls.n_samples
    print(f"{n} healthy controls of psoriasis_gut_metaphlan_100 (MetaPhlAn 3) against GMHI 2020 healthy "
          f"(MetaPhlAn 2, n={ref_people.n_samples}); about {n / 4:.0f} of {n} expected in each tail\n")
    print("1. before (profiler's genus column vs first word of MetaPhlAn 2 species names):")
    for g in GENERA:
        c = _place(legacy_shares(controls, g, "column"), legacy_shares(ref_people, g, "first word"))
        print(f"   {g:18s} " + "  ".join(f"{k} {v}/{n}" for k, v in c.items() if v))
    print("2. one current taxonomy on both sides (gutskin.reference.taxa):")
    for g in GENERA:
        c = _place(current_shares(controls, g), current_shares(ref_people, g))
        print(f"   {g:18s} " + "  ".join(f"{k} {v}/{n}" for k, v in c.items() if v))
    kb = load_kb()
    print("3. what a report does now:")
    for name in ("gmhi2020-healthy-mpa2", None):
        counts = {}
        ref_name = None
        for i in range(n):
            one = controls.take_samples([i])
            choice = reference.choose(one, name)
            ref_name = choice.reference.name
            m = SampleMeasurer(one, choice.reference, kb)
            for g in GENERA:
                st = m.measure(kb.feature(f"taxon-{g.lower()}")).status
                counts.setdefault(g, {}).setdefault(st, 0)
                counts[g][st] += 1
        label = "pinned" if name else "chosen by method"
        print(f"   against {ref_name} ({label}):")
        for g, c in counts.items():
            print(f"     {g:16s} " + "  ".join(f"{k} {v}/{n}" for k, v in sorted(c.items())))
    print("\n(not_measured: not placed — across MetaPhlAn versions taxa are not compared; against a reference whose "
          "placement study showed a tail holding > 40 % of independent healthy people, the feature is not placed)")


if __name__ == "__main__":
    main()
