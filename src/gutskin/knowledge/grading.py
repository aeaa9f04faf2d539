"""Evidence grades: the rubric, and the function that derives a grade from knowledge-base rows.

Rubric (also in ``docs/knowledge-base.md``)
-------------------------------------------

Every row carries a stored grade that may not exceed what its design allows
(:data:`~gutskin.knowledge.schema.DESIGN_GRADE_CAP`): meta-analysis A; systematic review, guideline or
pooled analysis B; a single primary study (trial, cohort, case-control, cross-sectional, Mendelian
randomisation) C; animal or laboratory work, narrative reviews, databases, web pages and code D. A row may be
stored lower than its cap (for example a meta-analysis with very high heterogeneity), with a ``grade_note``.

The grade for one feature in one condition (optionally one age group) is derived from all its rows:

Row caps (``gutskin.knowledge.grades.row_grade_cap``; the loader refuses a stored grade above them): a
meta-analysis with I² ≥ 75 % or fewer than 1,000 participants is at most B; a systematic-review statement that
does not say how many of its studies found it, and any estimate that is not statistically significant, at most C.

* **A** — at least one meta-analysis (row grade A) in the shared direction, and nothing disagreeing.
* **B** — several concordant studies: a row of grade B (a systematic review reporting the finding across
  studies), or *independent* cohorts with whole-population findings in the same direction worth at least two
  full studies. Studies sharing a ``cohort`` key count once, and so does a study pooled by a review or
  meta-analysis in the same set (``pools``: no double counting). A small study (fewer than 30 cases, or
  flagged ``small_sample``) and a 16S case-control screen with fewer than 50 cases count half, so two tiny 16S
  screens do not make B. Findings limited to a subgroup
  (for example men only) support but do not count towards independence, and rows on finer features (a
  species counted for its genus) are shown but not counted — one grade, whoever asks.
* **C** — a single study, or studies that conflict.
* **D** — only mechanistic, animal, narrative or non-peer-reviewed sources.

Disagreement is never averaged away:

* rows pointing in **opposite** directions give grade C, direction ``mixed`` and ``conflict_kind="opposite"`` —
  unless one side is only subgroup rows (for example men only): that is **effect modification**, reported as
  ``conflict_kind="subgroup"`` (not a conflict), with the grade and direction of the whole-population rows
  (or C and ``mixed`` when every row is a subgroup);
* rows finding **no difference**, or reviews calling their studies **inconsistent**, next to rows finding an
  effect lower the grade one step (A→B, B→C) and set ``conflict_kind="null"``. Null rows of grade D are listed
  but do not lower the grade.

Rows whose signal is finer than the feature (``signal_level``, e.g. a strain group inside a species) and rows
reached through a finer feature (a species row counted for its genus) are shown; the first kind never counts
towards independence, because a species-level profile cannot see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .grades import DOWN_ONE as _DOWN_ONE
from .grades import GRADE_LABEL, SCREEN_16S_CASES, SMALL_STUDY_CASES, best_grade, grade_at_most  # noqa: F401
from .schema import Association

RUBRIC = __doc__.split("Rubric (also in ``docs/knowledge-base.md``)", 1)[1].strip().lstrip("-").strip()


@dataclass(frozen=True)
class EvidenceRow:
    """The minimum the grading needs from a row (associations and rule evidence both map to this)."""

    id: str
    direction: str  # up | down | no_difference | inconsistent
    grade: str
    cohort: str
    subgroup: bool = False
    indirect: bool = False  # finer signal than the feature: shown, never counted for independence
    via: str | None = None  # feature id when reached through a finer feature
    weight: float = 1.0  # how much the row's cohort counts towards independent replication (small studies 0.5)


@dataclass(frozen=True)
class GradeSummary:
    """The derived grade for one feature (or rule) in one condition, with its conflict flag."""

    condition: str | None
    feature: str | None
    population: str | None
    grade: str
    direction: str  # up | down | no_difference | inconsistent | mixed
    conflict: bool
    conflict_kind: str | None  # opposite | null | None
    rows: tuple[str, ...]
    supporting: tuple[str, ...]
    opposing: tuple[str, ...]
    null: tuple[str, ...]
    independent_cohorts: int
    rationale: str
    row_grades: dict[str, str] = field(default_factory=dict)
    marker_to_avoid: bool = False  # the condition lists this feature as one not to score (conditions.yaml)

    @property
    def grade_label(self) -> str:
        return GRADE_LABEL[self.grade]

    def to_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition, "feature": self.feature, "population": self.population,
            "grade": self.grade, "grade_label": self.grade_label, "direction": self.direction,
            "conflict": self.conflict, "conflict_kind": self.conflict_kind, "rows": list(self.rows),
            "supporting": list(self.supporting), "opposing": list(self.opposing), "null": list(self.null),
            "independent_cohorts": self.independent_cohorts, "rationale": self.rationale,
            "marker_to_avoid": self.marker_to_avoid,
        }


def _level(support: Sequence[EvidenceRow]) -> tuple[str, int]:
    """Grade earned by rows that agree, and the number of independent whole-population cohorts."""
    direct = [r for r in support if not r.indirect and r.via is None]
    worth: dict[str, float] = {}
    for r in direct:
        if not r.subgroup and r.grade in ("A", "B", "C"):
            worth[r.cohort] = max(worth.get(r.cohort, 0.0), r.weight)
    cohorts = set(worth)
    best = best_grade(r.grade for r in direct)
    if best == "A":
        return "A", len(cohorts)
    if best == "B" or sum(worth.values()) >= 2.0:
        return "B", len(cohorts)
    if best == "C":
        return "C", len(cohorts)
    if any(r.grade in ("A", "B", "C") for r in support):  # only indirect rows of human evidence
        return "C", len(cohorts)
    return "D", len(cohorts)


def grade_rows(
    rows: Sequence[EvidenceRow],
    *,
    condition: str | None = None,
    feature: str | None = None,
    population: str | None = None,
) -> GradeSummary:
    """Derive the grade for a set of rows about one feature in one condition (see the module rubric)."""
    if not rows:
        raise ValueError("no rows to grade")
    ups = [r for r in rows if r.direction == "up"]
    downs = [r for r in rows if r.direction == "down"]
    nulls = [r for r in rows if r.direction in ("no_difference", "inconsistent")]
    ids = tuple(r.id for r in rows)
    row_grades = {r.id: r.grade for r in rows}

    def summary(grade, direction, conflict_kind, supporting, opposing, n_cohorts, why):
        return GradeSummary(
            condition=condition, feature=feature, population=population, grade=grade, direction=direction,
            conflict=conflict_kind in ("opposite", "null"), conflict_kind=conflict_kind, rows=ids,
            supporting=tuple(r.id for r in supporting), opposing=tuple(r.id for r in opposing),
            null=tuple(r.id for r in nulls), independent_cohorts=n_cohorts, rationale=why, row_grades=row_grades)

    if ups and downs and (all(r.subgroup for r in ups) or all(r.subgroup for r in downs)):
        whole = [r for r in ups + downs if not r.subgroup]
        if not whole:
            n = len({r.cohort for r in rows})
            why = (f"the direction differs between subgroups ({len(ups)} row(s) higher, {len(downs)} lower, each in "
                   "one subgroup): effect modification, shown per subgroup, not a conflict")
            return summary("C", "mixed", "subgroup", ups, downs, n, why)
        direction = whole[0].direction
        support = list(ups if direction == "up" else downs)
        other = downs if direction == "up" else ups
        level, n = _level(support)
        why = (f"{len(support)} row(s) {'higher' if direction == 'up' else 'lower'} in patients; {len(other)} "
               f"subgroup row(s) point the other way ({', '.join(r.id for r in other)}): effect modification, "
               "not a conflict")
        return summary(level, direction, "subgroup", support, other, n, why)

    if ups and downs:
        n = len({r.cohort for r in rows})
        why = (f"studies disagree: {len(ups)} row(s) higher in patients, {len(downs)} lower"
               + (f", {len(nulls)} without a difference" if nulls else "")
               + "; shown as a conflict, not averaged")
        return summary("C", "mixed", "opposite", ups, downs, n, why)

    support = ups or downs
    if not support:
        level, n = _level(nulls)
        inconsistent = any(r.direction == "inconsistent" for r in nulls)
        direction = "inconsistent" if inconsistent else "no_difference"
        kind = "null" if inconsistent else None
        if inconsistent:
            level = _DOWN_ONE[level]
        why = ("reviews report that the included studies disagree" if inconsistent
               else "no difference between patients and controls was found")
        return summary(level, direction, kind, [], [], n, why)

    direction = support[0].direction
    level, n = _level(support)
    parts = [f"{len(support)} row(s) {'higher' if direction == 'up' else 'lower'} in patients",
             f"{n} independent whole-population cohort(s)"]
    if level == "A":
        parts.append("includes a meta-analysis")
    kind = None
    counted_nulls = [r for r in nulls if r.grade != "D"]
    if counted_nulls:
        kind = "null"
        lowered = _DOWN_ONE[level]
        parts.append(f"{len(counted_nulls)} row(s) found no difference or inconsistent results; "
                     + (f"grade lowered from {level} to {lowered}" if lowered != level
                        else f"grade stays {level}"))
        level = _DOWN_ONE[level]
    elif nulls:
        kind = "null"
        parts.append(f"{len(nulls)} weak (grade D) row(s) disagree; listed, grade unchanged")
    if any(r.indirect for r in support):
        parts.append("some rows describe a finer signal (e.g. a strain group) and are not counted")
    if any(r.via for r in support):
        parts.append("rows on finer features (e.g. species of this genus) are shown but not counted")
    if any(r.weight < 1 for r in support if not r.via and not r.indirect):
        parts.append("small studies count half towards replication")
    return summary(level, direction, kind, support, [], n, "; ".join(parts))


def is_small(study) -> bool:
    """A primary study that counts half towards replication: fewer than 30 cases or flagged ``small_sample``, or a
    16S case-control screen of many taxa with fewer than 50 cases (many comparisons, pipeline-dependent genus
    calls: weaker than a shotgun cohort of the same size)."""
    if study.design.value in ("MA", "SR", "POOLED", "GL"):
        return False
    if "small_sample" in {c.value for c in study.caveats}:
        return True
    if study.n_cases is not None and study.n_cases < SMALL_STUDY_CASES:
        return True
    return (study.design.value == "CC" and study.method.value == "16S" and study.n_cases is not None
            and study.n_cases < SCREEN_16S_CASES)


def rows_from_associations(associations: Iterable[Association], feature: str | None = None) -> list[EvidenceRow]:
    """Map resolved association rows to :class:`EvidenceRow` (rows on other features are marked ``via``).

    A study pooled by a review or meta-analysis in the same set shares that review's cohort key, so it is not
    counted twice; small studies weigh half.
    """
    rows = list(associations)
    pooled_by: dict[str, str] = {}
    for a in rows:
        for key in a.study_ref.pools:
            pooled_by[key] = a.study_ref.cohort_key
    out = []
    for a in rows:
        out.append(EvidenceRow(
            id=a.id, direction=a.direction.value, grade=a.grade,
            cohort=pooled_by.get(a.study, a.study_ref.cohort_key),
            subgroup=a.subgroup is not None, indirect=a.signal_level is not None,
            via=None if feature is None or a.feature == feature else a.feature,
            weight=0.5 if is_small(a.study_ref) else 1.0))
    return out
