"""Recommendations: rules from the knowledge base, personalised by sample findings and questionnaire answers.

Inputs
------
``findings`` — what the lead's per-sample analysis saw, as a :class:`Findings` or a plain mapping::

    {"features": {"guild-butyrate-producers-core": "low", "diversity-alpha": "typical", ...},
     "conditions": ["acne"],            # conditions of interest (optional)
     "population": "adult",             # optional
     "sample": "S1"}                    # optional

or just the ``features`` mapping. Keys may be feature ids, marker ids (``M01``) or taxon names/synonyms in any
naming (``s__Eubacterium_rectale``); statuses are ``low``, ``typical``, ``high``, ``absent`` or ``not_measured``.
A feature missing from the mapping counts as ``not_measured``: a rule that needs it cannot be personalised by it,
and the missing check is listed in ``unknowns``. ``findings`` may be ``None`` (questionnaire-only advice).

``questionnaire`` — a :class:`~gutskin.knowledge.questionnaire.Questionnaire`, a plain mapping in the same shape, or
``None``; every answer optional.

Output
------
A list of :class:`Recommendation`, best first: ordered by expected benefit x evidence grade x relevance of the
outcome, with rules that matched something personal ranked above general advice (see ``score``). The first
:data:`SHOWN_FIRST` are marked ``shown_first``; the rest are "more".

Safety: every rule passes the one safety module (:func:`gutskin.safety.check`) on what it involves (its category
and ``involves`` tags) and the person's :class:`~gutskin.safety.SafetyProfile` (from ``Questionnaire.gate_inputs``).
A rule the safety table *excludes* is not given (the reason is kept in :func:`evaluate_rules`); one it *closes*
becomes "talk to a clinician first" and carries no trial command; its cautions are added to the safety notes.
Elimination-diet suggestions carry the gate (:func:`gutskin.safety.elimination_gate`) — the same decision.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InputError
from ..knowledge.base import KnowledgeBase
from ..knowledge.grades import ADVICE_RANKING_WEIGHT
from ..knowledge.loader import load_kb
from ..knowledge.questionnaire import Questionnaire, parse_questionnaire
from ..knowledge.schema import (
    FINDING_STATUSES,
    GRADE_LABEL,
    SUSPECTED_FOOD,
    Citation,
    Predicate,
    RecommendationRule,
)
from ..safety import SafetyDecision, SafetyGate, SafetyProfile, check, elimination_gate, involves_for

BENEFIT_WEIGHT = {"low": 1.0, "moderate": 2.0, "high": 3.0}
GRADE_WEIGHT = ADVICE_RANKING_WEIGHT  # the grades vocabulary's scale for ranking advice (gutskin.knowledge.grades)
OUTCOME_WEIGHT = {"skin": 1.0, "safety": 1.0, "gut_microbiome": 0.75, "interpretation": 0.75}
PERSONAL_BOOST = 1.5
SHOWN_FIRST = 5  # at most this many recommendations are shown first; the rest sit behind "more"

_AGE_TO_POPULATION = {"infant": "infant", "child": "child", "adolescent": "adolescent", "adult": "adult",
                      "older_adult": "adult"}


# ------------------------------------------------------------------------------------------------ findings


@dataclass(frozen=True)
class Findings:
    """Per-sample statuses of knowledge-base features, plus the conditions of interest."""

    statuses: Mapping[str, str] = field(default_factory=dict)
    conditions: tuple[str, ...] = ()
    population: str | None = None
    sample: str | None = None
    unmatched: tuple[str, ...] = ()  # keys that did not resolve to a known feature

    def status(self, feature_id: str) -> str:
        return self.statuses.get(feature_id, "not_measured")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, kb: KnowledgeBase) -> Findings:
        """Build from a plain mapping (see the module docstring); unknown statuses raise InputError."""
        if data is None:
            return cls()
        if isinstance(data, Findings):
            return data
        if not isinstance(data, Mapping):
            raise InputError("findings must be a mapping of feature -> status", field="findings")
        structured = "features" in data or "conditions" in data
        raw = data.get("features", {}) if structured else data
        if not isinstance(raw, Mapping):
            raise InputError("findings 'features' must be a mapping of feature -> status", field="features")
        statuses: dict[str, str] = {}
        unmatched: list[str] = []
        for key, status in raw.items():
            if status not in FINDING_STATUSES:
                raise InputError(f"unknown status {status!r} for {key!r}; expected one of "
                                 f"{', '.join(FINDING_STATUSES)}", field=f"features.{key}")
            fid = kb.resolve_feature(str(key))
            if fid is None:
                unmatched.append(str(key))
                continue
            statuses[fid] = status
        conditions: list[str] = []
        for c in (data.get("conditions") or []) if structured else []:
            cid = kb.resolve_condition(str(c))
            if cid is None:
                raise InputError(f"unknown condition {c!r}; known: {', '.join(kb.conditions_by_id)}",
                                 field="conditions")
            conditions.append(cid)
        return cls(statuses=statuses, conditions=tuple(conditions),
                   population=data.get("population") if structured else None,
                   sample=data.get("sample") if structured else None, unmatched=tuple(unmatched))


# ------------------------------------------------------------------------------------------------ output


@dataclass(frozen=True)
class Recommendation:
    id: str
    title: str
    text: str
    rationale: str
    category: str
    action: str  # do | consider | talk_to_clinician | information
    grade: str
    derived_grade: str
    evidence_type: str
    outcome: str
    expected_benefit: str
    score: float
    personalised: bool
    reasons: tuple[str, ...]
    unknowns: tuple[str, ...]
    citations: tuple[tuple[str, Citation], ...]
    safety_notes: tuple[str, ...]
    nutrient_cautions: tuple[str, ...] = ()
    gate: SafetyGate | None = None
    trial_command: str | None = None
    trial_foods: tuple[str, ...] = ()
    probiotic_strains: tuple[str, ...] = ()
    evidence_for: str = "skin"  # skin | gut_microbiome | safety | interpretation: what the grade is about
    safety_rules: tuple[str, ...] = ()  # ids of the safety rules that matched
    shown_first: bool = False

    @property
    def grade_label(self) -> str:
        return GRADE_LABEL[self.grade]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "text": self.text, "rationale": self.rationale,
            "category": self.category, "action": self.action, "grade": self.grade, "grade_label": self.grade_label,
            "derived_grade": self.derived_grade, "evidence_type": self.evidence_type, "outcome": self.outcome,
            "expected_benefit": self.expected_benefit, "score": round(self.score, 3),
            "personalised": self.personalised, "reasons": list(self.reasons), "unknowns": list(self.unknowns),
            "citations": [{"study": key, "citation": c.formatted(), "id_status": c.id_status.value}
                          for key, c in self.citations],
            "safety_notes": list(self.safety_notes), "nutrient_cautions": list(self.nutrient_cautions),
            "gate": None if self.gate is None else {"ok": self.gate.ok, "reasons": self.gate.reasons,
                                                    "cautions": self.gate.cautions, "advice": self.gate.advice},
            "trial_command": self.trial_command, "trial_foods": list(self.trial_foods),
            "probiotic_strains": list(self.probiotic_strains), "evidence_for": self.evidence_for,
            "safety_rules": list(self.safety_rules), "shown_first": self.shown_first,
        }


@dataclass(frozen=True)
class RuleOutcome:
    """Why a rule did or did not produce a recommendation."""

    rule_id: str
    fired: bool
    reason: str
    recommendation: Recommendation | None = None


# ------------------------------------------------------------------------------------------------ evaluation


def _norm(text: Any) -> str:
    return " ".join(str(text).replace("_", " ").lower().split())


def _answer_test(q: Questionnaire | None, pred: Predicate) -> bool | None:
    test = pred.answer
    assert test is not None
    value = None if q is None else q.get(test.field)
    if value is None:
        return None
    op, want = test.op, test.value
    if op == "is_true":
        return bool(value)
    if op == "is_false":
        return value is False or value == []
    if isinstance(value, list):
        items = [_norm(v) for v in value]
        if op == "contains":
            return any(_norm(want) in i for i in items)
        if op == "contains_any":
            wanted = [_norm(w) for w in (want if isinstance(want, list) else [want])]
            return any(w in i for w in wanted for i in items)
        raise InputError(f"operator '{op}' cannot be applied to the list answer '{test.field}'", field=test.field)
    if op == "eq":
        return value == want
    if op == "ne":
        return value != want
    if op == "in":
        return value in want
    if op in ("lt", "le", "gt", "ge"):
        a, b = float(value), float(want)
        return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]
    if op in ("contains", "contains_any"):
        wanted = want if isinstance(want, list) else [want]
        return any(_norm(w) in _norm(value) for w in wanted)
    raise InputError(f"unsupported operator '{op}'", field=test.field)  # pragma: no cover


def _evaluate(pred: Predicate, findings: Findings, q: Questionnaire | None, interest: set[str]) -> bool | None:
    if pred.condition is not None:
        return pred.condition in interest
    if pred.finding is not None:
        status = findings.status(pred.finding.feature)
        return None if status == "not_measured" else status in pred.finding.status
    return _answer_test(q, pred)


def _describe(pred: Predicate, kb: KnowledgeBase) -> str:
    if pred.label:
        return pred.label
    if pred.finding is not None:
        name = kb.features_by_id[pred.finding.feature].name
        return f"{name}: {' or '.join(pred.finding.status)}"
    if pred.answer is not None:
        return f"{pred.answer.field} {pred.answer.op} {pred.answer.value}"
    return f"condition {pred.condition}"


def _unknown_text(pred: Predicate, kb: KnowledgeBase) -> str:
    if pred.finding is not None:
        return f"not measured in this sample: {kb.features_by_id[pred.finding.feature].name}"
    if pred.answer is not None:
        return f"not answered in the questionnaire: {pred.answer.field}"
    return f"unknown: {pred.condition}"  # pragma: no cover - conditions are always known


def _population(findings: Findings, q: Questionnaire | None) -> str | None:
    if q is not None and q.about_you is not None:
        if q.about_you.age_group:
            return _AGE_TO_POPULATION[q.about_you.age_group]
        if q.about_you.age_years is not None:
            y = q.about_you.age_years
            return "infant" if y < 1 else "child" if y < 12 else "adolescent" if y < 18 else "adult"
    return findings.population


def _food_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "food"


def _citations(rule: RecommendationRule, kb: KnowledgeBase) -> tuple[tuple[str, Citation], ...]:
    return tuple((e.study, kb.study(e.study).citation) for e in rule.evidence)


def evaluate_rules(
    findings: Findings | Mapping[str, Any] | None = None,
    questionnaire: Questionnaire | Mapping[str, Any] | None = None,
    kb: KnowledgeBase | None = None,
) -> list[RuleOutcome]:
    """Every rule with whether it fired and why (the explanation behind :func:`recommend`)."""
    kb = kb or load_kb()
    f = Findings.from_mapping(findings, kb) if not isinstance(findings, Findings) else findings
    q = parse_questionnaire(questionnaire) if isinstance(questionnaire, Mapping) else questionnaire
    interest = set(f.conditions) | set(q.conditions() if q is not None else [])
    population = _population(f, q)
    person = SafetyProfile.from_inputs(**(q.gate_inputs() if q is not None else {}))
    outcomes: list[RuleOutcome] = []
    for rule in kb.rules():
        outcomes.append(_apply(rule, f, q, interest, population, kb, person))
    return outcomes


#: per knowledge base: each rule's grade derived from its evidence (id(rule) → (rule, grade))
_DERIVED: weakref.WeakKeyDictionary[KnowledgeBase, dict[int, tuple[RecommendationRule, str]]] = \
    weakref.WeakKeyDictionary()


def _derived_grade(kb: KnowledgeBase, rule: RecommendationRule) -> str:
    """The grade :meth:`KnowledgeBase.rule_grade` derives for ``rule``: it depends only on the knowledge base's
    studies and the rule, not on the person, so it is worked out once per rule (it was half of recommending)."""
    memo = _DERIVED.setdefault(kb, {})
    got = memo.get(id(rule))
    if got is None or got[0] is not rule:
        got = memo[id(rule)] = (rule, kb.rule_grade(rule).grade)
    return got[1]


def _apply(rule: RecommendationRule, f: Findings, q: Questionnaire | None, interest: set[str],
           population: str | None, kb: KnowledgeBase, person: SafetyProfile) -> RuleOutcome:
    if rule.conditions and not interest & set(rule.conditions):
        return RuleOutcome(rule.id, False, "not relevant: written for " + ", ".join(rule.conditions))
    unknowns: list[str] = []
    allowed = [p.value for p in rule.populations]
    if allowed:
        if population is None:
            unknowns.append("age group not given: this advice is written for " + ", ".join(allowed))
        elif population not in allowed:
            return RuleOutcome(rule.id, False, f"not for the age group '{population}'")
    for pred in rule.exclude:
        if _evaluate(pred, f, q, interest) is True:
            return RuleOutcome(rule.id, False, "excluded: " + _describe(pred, kb))
    matched: list[str] = []
    personal = False  # matched an answer or a finding, not only a condition of interest
    for pred in rule.triggers:
        result = _evaluate(pred, f, q, interest)
        if result is True:
            matched.append(_describe(pred, kb))
            personal = personal or pred.condition is None
        elif result is None:
            unknowns.append(_unknown_text(pred, kb))
    if not matched and not rule.baseline:
        why = "no trigger matched" + (f" ({'; '.join(unknowns)})" if unknowns else "")
        return RuleOutcome(rule.id, False, why)
    title, text, involves = rule.title, rule.text, list(rule.involves)
    for variant in rule.variants:
        if _evaluate(variant.when, f, q, interest) is True:
            title = variant.title or title
            text = variant.text
            involves = list(variant.involves) if variant.involves is not None else involves
            break
    decision: SafetyDecision = check(involves_for(rule.category, involves), person)
    if decision.excluded:
        return RuleOutcome(rule.id, False, "excluded for safety or fit: " + "; ".join(decision.excluded))
    notes = list(rule.safety_notes)
    notes += [n.note for n in rule.conditional_notes if _evaluate(n.when, f, q, interest) is True]
    notes += [c[0].upper() + c[1:] for c in decision.cautions]
    derived_grade = _derived_grade(kb, rule)
    score = (BENEFIT_WEIGHT[rule.expected_benefit] * GRADE_WEIGHT[rule.grade] * OUTCOME_WEIGHT[rule.outcome]
             * (PERSONAL_BOOST if personal else 1.0))
    action = {"clinician": "talk_to_clinician", "information": "information", "probiotic": "information"}.get(
        rule.category, "consider")
    gate = None
    command = None
    foods: tuple[str, ...] = ()
    if decision.closed and rule.category != "elimination_trial":
        action = "talk_to_clinician"
        title = "Talk to a clinician first: " + title[0].lower() + title[1:]
        text = ("Ask your doctor or pharmacist before acting on this: " + "; ".join(decision.closed) + ". " + text)
    if rule.category == "elimination_trial":
        assert rule.trial is not None
        gate = elimination_gate(person)
        if rule.trial.food == SUSPECTED_FOOD:
            listed = (q.allergies.suspected_trigger_foods if q and q.allergies else None) or []
            foods = tuple(_food_slug(x) for x in listed)
        else:
            foods = (rule.trial.food,)
        if gate.ok and foods:
            action = "trial"
            command = rule.trial.command.format(food=foods[0])
        else:
            action = "talk_to_clinician"
            title = f"Talk to a clinician before cutting out {rule.trial.label}"
            text = gate.advice + " " + (rule.clinician_text or "")
    rec = Recommendation(
        id=rule.id, title=title, text=" ".join(text.split()), rationale=" ".join(rule.rationale.split()),
        category=rule.category, action=action, grade=rule.grade, derived_grade=derived_grade,
        evidence_type=rule.evidence_type, outcome=rule.outcome, expected_benefit=rule.expected_benefit, score=score,
        personalised=personal, reasons=tuple(matched), unknowns=tuple(dict.fromkeys(unknowns)),
        citations=_citations(rule, kb), safety_notes=tuple(notes),
        nutrient_cautions=tuple(f"{c.nutrient}: {' '.join(c.note.split())}" for c in rule.nutrient_cautions),
        gate=gate, trial_command=command, trial_foods=foods,
        probiotic_strains=tuple(rule.probiotic.strains) if rule.probiotic else (),
        evidence_for=rule.outcome, safety_rules=decision.rule_ids)
    return RuleOutcome(rule.id, True, ("matched: " + "; ".join(matched)) if matched else "general advice", rec)


def recommend(
    findings: Findings | Mapping[str, Any] | None = None,
    questionnaire: Questionnaire | Mapping[str, Any] | None = None,
    kb: KnowledgeBase | None = None,
) -> list[Recommendation]:
    """Recommendations for one sample and/or questionnaire, best first (see the module docstring)."""
    fired = [o.recommendation for o in evaluate_rules(findings, questionnaire, kb) if o.recommendation is not None]
    order = {"A": 0, "B": 1, "C": 2, "D": 3}
    ranked = sorted(fired, key=lambda r: (-r.score, order[r.grade], r.id))
    return [replace(r, shown_first=i < SHOWN_FIRST) for i, r in enumerate(ranked)]
