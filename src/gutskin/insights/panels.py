"""Skin panels: for each condition, which of a person's measured features sit where patients' did.

For every feature with human evidence in a condition (rows of the knowledge base, graded by
:mod:`gutskin.knowledge.grading`), the person's status (from :mod:`.measure`) is set against the direction
reported in patients:

* **toward**: the person is on the side patients were (e.g. low where patients were lower);
* **away**: on the opposite side;
* **neither**: within the healthy reference's middle range;
* **no consistent direction**: the evidence itself disagrees or found no difference (shown, not scored);
* **unknown**: the profile cannot measure it (reason given).

Summary score. Each scored feature contributes s = +1 (toward), −1 (away) or 0 (neither), weighted by its
evidence grade (A 3, B 2, C 1; D and conflicting evidence halved or left out — see :data:`GRADE_WEIGHT`).
The score is Σ w·s / Σ w, from −1 (everything the other way) to +1 (everything matching). Its 90 % interval
comes from resampling the scored features (a fixed-seed bootstrap), because with a handful of features the
score is uncertain, and that uncertainty is the honest part of the message. The score describes a pattern seen
in research groups; it is not a probability of having the condition and never a diagnosis.
"""

from __future__ import annotations

import functools
import json
import weakref
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources

import numpy as np

from ..knowledge.base import KnowledgeBase
from ..knowledge.grades import PANEL_EVIDENCE_WEIGHT
from ..reference import calibration
from .measure import Measurement

GRADE_WEIGHT = PANEL_EVIDENCE_WEIGHT  # the grades vocabulary's scale for panels (gutskin.knowledge.grades)
CONFLICT_FACTOR = 0.5
BOOTSTRAP = 2000
LOWER_SIDE = {"low", "absent"}


@dataclass
class EvidenceLine:
    association: str
    direction: str
    grade: str
    design: str
    size: str
    population: str
    citation: str
    identifiers: list[str]
    note: str | None = None


@dataclass
class PanelItem:
    feature: str
    name: str
    grade: str
    grade_label: str
    direction: str  # in patients: up | down | no_difference | inconsistent | mixed
    conflict: bool
    alignment: str  # toward | away | neither | no_direction | unknown
    weight: float
    measurement: Measurement
    evidence: list[EvidenceLine] = field(default_factory=list)
    rationale: str = ""
    #: the subgroup the finding was reported in (men, women, …), when every evidence row is subgroup-only
    subgroup: str | None = None
    #: may this item be a main point? Never for grade D, conflicting evidence, a subgroup the person is not known
    #: to belong to, or a feature the placement study found misplaced against this reference
    main_point_eligible: bool = True


@dataclass
class Panel:
    condition: str
    name: str
    gut_evidence: str
    items: list[PanelItem]
    score: float | None
    interval: tuple[float, float] | None
    counts: dict[str, int]
    statement: str
    notes: list[str] = field(default_factory=list)
    #: the lean before the placement-study check (``score`` is None when the lean is not calibrated)
    raw_score: float | None = None
    raw_interval: tuple[float, float] | None = None
    #: placement-study result for this condition against this reference (see reference.calibration.lean)
    lean_calibration: dict = field(default_factory=dict)
    #: does the lean separate patients from controls? {"status": "validated" | "not_validated" |
    #: "validated_no_separation", "auc", "ci", "cohorts"} (docs/validation.md)
    validation: dict = field(default_factory=dict)
    #: the lean may be a main point only if it is calibrated and validated with an interval above chance
    lean_main_point: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def panel_validation(condition: str) -> dict:
    """The validation of a condition's lean (scripts/validate_psoriasis.py writes insights/data/validation.json)."""
    data = _validation_table().get(condition)
    if data is None:
        return {"status": "not_validated", "auc": None, "ci": None, "cohorts": []}
    return data


@cache
def _validation_table() -> dict:
    path = resources.files(__package__).joinpath("data/validation.json")
    return json.loads(path.read_text(encoding="utf-8")).get("conditions", {}) if path.is_file() else {}


def _alignment(direction: str, status: str) -> str:
    if status == "not_measured":
        return "unknown"
    if direction not in ("up", "down"):
        return "no_direction"
    if status == "typical":
        return "neither"
    lower = status in LOWER_SIDE
    if direction == "down":
        return "toward" if lower else "away"
    return "away" if lower else "toward"


def _score(items: list[PanelItem]) -> tuple[float | None, tuple[float, float] | None]:
    scored = tuple((i.weight, {"toward": 1.0, "away": -1.0, "neither": 0.0}[i.alignment])
                   for i in items if i.alignment in ("toward", "away", "neither") and i.weight > 0)
    if not scored:
        return None, None
    return _weighted_lean(scored)


@functools.lru_cache(maxsize=4096)
def _weighted_lean(scored: tuple[tuple[float, float], ...]) -> tuple[float, tuple[float, float]]:
    """The lean and its bootstrap interval for (weight, side) pairs. The bootstrap has a fixed seed, so the same
    pairs give the same answer: remembered, as many people of a cohort share a panel's pattern."""
    w = np.array([x[0] for x in scored])
    s = np.array([x[1] for x in scored])
    score = float((w * s).sum() / w.sum())
    rng = np.random.default_rng(7)
    idx = rng.integers(0, len(w), size=(BOOTSTRAP, len(w)))
    boot = (w[idx] * s[idx]).sum(axis=1) / w[idx].sum(axis=1)
    return score, (float(np.quantile(boot, 0.05)), float(np.quantile(boot, 0.95)))


def _subgroups(rows) -> tuple[str | None, frozenset]:
    """(the subgroup label when every row is subgroup-only, else None; the rows' subgroups)."""
    groups = frozenset(a.subgroup for a in rows)
    if not rows or None in groups:
        return None, groups
    return ", ".join(sorted(g for g in groups if g)), groups


#: a questionnaire's sex → the subgroup word studies use
_SUBGROUP_OF_SEX = {"male": "men", "female": "women", "man": "men", "woman": "women"}


def _person_subgroup(sex: str | None) -> str | None:
    return _SUBGROUP_OF_SEX.get((sex or "").lower(), sex)


def _belongs(subgroups: tuple[str | None, frozenset], person: str | None) -> tuple[str | None, bool]:
    """(subgroup when every row is subgroup-only, whether the person, of subgroup ``person`` (see
    :func:`_person_subgroup`), is known to belong to it)."""
    label, groups = subgroups
    if label is None:
        return None, True
    return label, person is not None and person in groups


def build_panel(condition: str, measurements: dict[str, Measurement], kb: KnowledgeBase,
                population: str | None = "adult", *, sex: str | None = None) -> Panel:
    cond = kb.condition(condition)
    avoid = set(cond.avoid_as_marker)
    items: list[PanelItem] = []
    person = _person_subgroup(sex)
    for fid, summary, subgroups, evidence, name in _panel_evidence(kb, condition, population):
        m = measurements.get(fid)
        if m is None:
            continue
        weight = GRADE_WEIGHT[summary.grade] * (CONFLICT_FACTOR if summary.conflict else 1.0)
        if fid in avoid:
            weight = 0.0
        subgroup, belongs = _belongs(subgroups, person)
        if subgroup and not belongs:
            weight = 0.0  # a finding in men (or women, or another subgroup) applies only to matching people
        items.append(PanelItem(
            feature=fid, name=name, grade=summary.grade, grade_label=summary.grade_label,
            direction=summary.direction, conflict=summary.conflict, alignment=_alignment(summary.direction, m.status),
            weight=weight, measurement=m, evidence=list(evidence), rationale=summary.rationale, subgroup=subgroup,
            main_point_eligible=(summary.grade in ("A", "B", "C") and not summary.conflict and weight > 0
                                 and (not subgroup or belongs) and m.status != "not_measured")))
    order = {"toward": 0, "away": 1, "neither": 2, "no_direction": 3, "unknown": 4}
    items.sort(key=lambda i: (order[i.alignment], -i.weight, i.name))
    score, interval = _score(items)
    counts = {k: sum(1 for i in items if i.alignment == k) for k in order}
    notes = []
    if avoid:
        notes.append("not scored for this condition (the evidence advises against using them as markers): "
                     + ", ".join(sorted(avoid)))
    measurable = counts["toward"] + counts["away"] + counts["neither"]
    if items and counts["unknown"] > measurable:
        notes.append(f"{counts['unknown']} of {len(items)} findings could not be checked in this profile "
                     "(naming, rank or method); the summary rests on the rest")
    subgroup_items = [i.name for i in items if i.subgroup and i.weight == 0 and i.feature not in avoid]
    if subgroup_items:
        notes.append("reported only in a subgroup the person is not known to belong to, so not scored: "
                     + ", ".join(sorted(set(subgroup_items))))
    ref_name = next((m.reference for m in measurements.values() if m.reference), None)
    lean_cal = calibration.lean(ref_name, condition) if ref_name else {"status": "not_studied"}
    validation = panel_validation(condition)
    raw_score, raw_interval = score, interval
    statement = _statement(cond.name, counts, score, interval)
    if lean_cal["status"] == "not_calibrated" and score is not None:
        score, interval = None, None
        statement = (f"Tested on independent healthy people, the summary lean for {_lower(cond.name)} against this "
                     f"reference was off-centre (healthy median {lean_cal['healthy_median']:+.2f} where 0 is "
                     "expected), so no overall lean is shown; the individual findings below still are.")
    lean_main = (lean_cal["status"] == "calibrated" and validation.get("status") == "validated"
                 and validation.get("ci") is not None and validation["ci"][0] > 0.5)
    return Panel(condition=condition, name=cond.name, gut_evidence=cond.gut_evidence, items=items, score=score,
                 interval=interval, counts=counts, statement=statement, notes=notes, raw_score=raw_score,
                 raw_interval=raw_interval, lean_calibration=lean_cal, validation=validation,
                 lean_main_point=lean_main)


#: per knowledge base, per (condition, population): what a panel shows of each graded feature that does not depend
#: on the person (grade, the rows' subgroups, evidence lines, name); a report of thousands of samples builds it once
_EVIDENCE: weakref.WeakKeyDictionary[KnowledgeBase, dict[tuple, list[tuple]]] = weakref.WeakKeyDictionary()


def _panel_evidence(kb: KnowledgeBase, condition: str, population: str | None) -> list[tuple]:
    memo = _EVIDENCE.setdefault(kb, {})
    key = (condition, population, len(kb.association_rows))
    if key not in memo:
        out = []
        for fid in dict.fromkeys(a.feature for a in kb.associations(condition, population=population)):
            summary = kb.grade(condition, fid, population=population, include_descendants=False)
            if summary is None:
                continue
            rows = kb.associations(condition, fid, population=population)
            evidence = tuple(EvidenceLine(
                association=a.id, direction=a.direction.value, grade=a.grade, design=a.design.value, size=a.size,
                population=a.effective_population.value, citation=a.citation.short,
                identifiers=a.citation.identifiers, note=a.note or a.effect) for a in rows)
            out.append((fid, summary, _subgroups(rows), evidence, kb.feature(fid).display_name))
        memo[key] = out
    return memo[key]


def _lower(name: str) -> str:
    return name[0].lower() + name[1:] if len(name) > 1 and not name[1].isupper() else name


def _statement(name: str, counts: dict[str, int], score: float | None, interval) -> str:
    name = name[0].lower() + name[1:] if len(name) > 1 and not name[1].isupper() else name
    checked = counts["toward"] + counts["away"] + counts["neither"]
    if score is None:
        return (f"None of the gut findings reported in {name} with a consistent direction could be checked in "
                "this profile, so there is no pattern to describe.")
    lean = ("leans toward" if interval[0] > 0 else "leans away from" if interval[1] < 0
            else "does not clearly lean toward or away from")
    return (f"Of {checked} gut findings with a consistent direction in studies of {name} that this profile could "
            f"check, {counts['toward']} sit on the side reported in patients, {counts['away']} on the other side "
            f"and {counts['neither']} in the typical range. Weighted by evidence grade the profile {lean} the "
            f"pattern reported in {name} (score {score:+.2f} on a −1 to +1 scale, 90 % interval {interval[0]:+.2f} "
            f"to {interval[1]:+.2f}). This describes research-group averages; many people with this pattern "
            f"never have {name}, and it is not a diagnosis.")
