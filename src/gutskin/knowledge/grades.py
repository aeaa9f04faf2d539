"""The one grades vocabulary: evidence grades, their labels and order, the two weight scales, and the row caps.

Two weight scales exist because they weigh different things, and each is named for what it weighs:

* :data:`PANEL_EVIDENCE_WEIGHT` — how much a finding counts in a skin panel's lean (grade D counts nothing);
* :data:`ADVICE_RANKING_WEIGHT` — how much a recommendation's grade counts when ranking advice (grade D still
  ranks, below everything else).

:func:`row_grade_cap` applies the rubric's own downgrades to one association row (design cap, very high
heterogeneity, review statements that do not count their studies, non-significant pooled estimates, small
meta-analyses); the loader refuses a stored grade above it.
"""

from __future__ import annotations

from collections.abc import Iterable

GRADES: tuple[str, ...] = ("A", "B", "C", "D")
GRADE_RANK = {"A": 4, "B": 3, "C": 2, "D": 1}
GRADE_LABEL = {
    "A": "consistent meta-analysis",
    "B": "several concordant studies",
    "C": "single study, or studies that conflict",
    "D": "mechanistic, animal, narrative or non-peer-reviewed only",
}

PANEL_EVIDENCE_WEIGHT = {"A": 3.0, "B": 2.0, "C": 1.0, "D": 0.0}
ADVICE_RANKING_WEIGHT = {"A": 4.0, "B": 3.0, "C": 2.0, "D": 1.0}

#: the best grade one row of a given design may carry (a row may be stored lower, never higher)
DESIGN_GRADE_CAP: dict[str, str] = {
    "MA": "A",
    "SR": "B", "POOLED": "B", "GL": "B",
    "RCT": "C", "NRS": "C", "COH": "C", "CC": "C", "CS": "C", "MR": "C",
    "ANIM": "D", "INVITRO": "D", "REV": "D", "DB": "D", "WEB": "D", "CODE": "D",
}

HIGH_HETEROGENEITY_I2 = 75.0   # I² at or above this: "considerable" heterogeneity (Cochrane Handbook 10.10.2)
MA_MIN_PARTICIPANTS = 1000     # below this a pooled estimate is imprecise (GRADE imprecision): A becomes B
SMALL_STUDY_CASES = 30         # a primary study with fewer cases counts half towards independent replication
SCREEN_16S_CASES = 50          # a 16S case-control screen with fewer cases counts half too

DOWN_ONE = {"A": "B", "B": "C", "C": "C", "D": "D"}


def best_grade(grades: Iterable[str]) -> str | None:
    ranked = sorted(grades, key=lambda g: GRADE_RANK[g], reverse=True)
    return ranked[0] if ranked else None


def grade_at_most(grade: str, cap: str) -> bool:
    return GRADE_RANK[grade] <= GRADE_RANK[cap]


def lower(a: str, b: str) -> str:
    return a if GRADE_RANK[a] <= GRADE_RANK[b] else b


def row_grade_cap(design: str, *, direction: str, i2: float | None = None, studies_counted: int | None = None,
                  significant: bool | None = None, n_participants: int | None = None) -> tuple[str, list[str]]:
    """The best grade one association row may carry, and why it is below its design cap (empty when it is not)."""
    cap = DESIGN_GRADE_CAP[design]
    why: list[str] = []
    if design == "MA" and i2 is not None and i2 >= HIGH_HETEROGENEITY_I2 and grade_at_most("B", cap):
        cap = lower(cap, "B")
        why.append(f"I² = {i2:g} % (at least {HIGH_HETEROGENEITY_I2:g} %: considerable heterogeneity)")
    if design == "MA" and n_participants is not None and n_participants < MA_MIN_PARTICIPANTS:
        cap = lower(cap, "B")
        why.append(f"pooled {n_participants:,} participants (under {MA_MIN_PARTICIPANTS:,}: imprecise)")
    if design == "SR" and direction in ("up", "down") and studies_counted is None:
        cap = lower(cap, "C")
        why.append("a review statement that does not say how many of its studies found it")
    if significant is False:
        cap = lower(cap, "C")
        why.append("the pooled or reported estimate is not statistically significant")
    return cap, why
