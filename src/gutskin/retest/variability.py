"""The shipped variability estimates (``data/variability.json``, built by ``scripts/build_variability.py``).

Each method family (``shotgun``, ``16S``) holds, per quantity, the within-person standard error of measurement
(SEM) on the quantity's comparison scale, the minimal detectable change ``MDC95 = 1.96·√2·SEM`` and the
empirical 95th percentile of same-person changes (and, schema 2, the quantile that keeps a *new* person's pair
inside with about 95 % probability); and, per whole-community distance, the percentiles of same-person and
different-people distances. :meth:`Variability.limit` is the "usual variation" a change is judged against: the
larger of MDC95 and that new-person quantile, because same-person changes have heavier tails than a normal curve
and a limit set from n people covers a new one less often than it covers them (see ``docs/retest.md``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from ..profile import SampleInfo


@dataclass(frozen=True)
class Variability:
    data: dict[str, Any]

    @property
    def version(self) -> str:
        return f"{self.data['schema']} (seed {self.data['seed']})"

    def family(self, name: str) -> dict[str, Any]:
        return self.data["families"][name]

    def estimate(self, family: str, key: str) -> dict[str, Any] | None:
        est = self.family(family)["quantities"].get(key)
        # a quantity that never moved in the repeat data has no usable limit (0 would call every change real)
        return est if est is not None and (est.get("mdc95") or 0) > 0 else None

    def why_no_estimate(self, family: str, key: str) -> str:
        est = self.family(family)["quantities"].get(key)
        if est is not None and est.get("mdc95") == 0:
            return f"it never moved between repeated {family} samples, so no usual variation can be set"
        if key.startswith(("phylum.", "guild.", "genus.")):
            return f"too few repeated {family} samples contain it to know its usual variation"
        return f"no usual variation could be estimated from the repeated {family} samples (too few, or it never moved)"

    def limit(self, family: str, key: str) -> float | None:
        est = self.estimate(family, key)
        if est is None:
            return None
        # schema 2 ships the new-person quantile; schema 1 files only the plain 95th percentile
        tail = est.get("q_new_person", est.get("q95_abs_change"))
        return max(float(est["mdc95"]), float(tail or 0.0))

    def distances(self, family: str, metric: str) -> dict[str, Any]:
        return self.family(family)["distances"].get(metric, {})

    @property
    def anchors(self) -> list[dict[str, str]]:
        return list(self.data.get("anchors", []))


@cache
def load_variability() -> Variability:
    """The shipped estimates (read once per process)."""
    text = resources.files("gutskin.retest").joinpath("data/variability.json").read_text(encoding="utf-8")
    return Variability(json.loads(text))


def percentile_of(value: float, percentiles: list[float]) -> float:
    """Where ``value`` falls (0–100) in a distribution given by its 0th…100th percentiles."""
    if value is None or math.isnan(value):
        return math.nan
    p = np.asarray(percentiles, dtype=float)
    if value < p[0]:
        return 0.0
    if value > p[-1]:
        return 100.0
    grid = np.linspace(0, 100, len(p))
    left, right = np.searchsorted(p, value, "left"), np.searchsorted(p, value, "right")
    if right > left:  # the value equals a run of tied percentiles: take the middle of the run
        return float((grid[left] + grid[right - 1]) / 2)
    return float(np.interp(value, p, grid))


def family_of(info: SampleInfo, ranks: list[str]) -> str:
    """Which estimates apply: ``16S`` for amplicon tables, else ``shotgun``."""
    method = (info.method or "unknown").lower()
    if method == "16s":
        return "16S"
    if method == "shotgun":
        return "shotgun"
    return "shotgun" if "species" in ranks else "16S"
