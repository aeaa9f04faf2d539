"""The one safety module: every piece of advice and every self-run trial plan passes through it.

Removing foods, taking live bacteria, taking supplements or changing a diet is not harmless for everyone. The
decisions are a table (``safety/data/rules.yaml``), not code: each row says what kind of advice it applies to
(``elimination``, ``probiotic``, ``fish``, ``weight_loss`` …), which facts about the person trigger it, and whether
the advice is then *closed* (talk to a clinician first; no self-run plan), *excluded* (it does not fit this person)
or given with a *caution*. Facts come only from ``Questionnaire.gate_inputs()`` (see :mod:`.profile`).

Entry points:

* :func:`check` — the decision for one piece of advice (its ``involves`` tags) and one person;
* :func:`elimination_gate` — the gate in front of any elimination-diet suggestion or plan (``check`` on
  ``elimination``), used by ``gutskin trial plan``, the recommendations, the engine, the web app and API;
* :func:`gate_for_questionnaire` — the same, from a questionnaire;
* :func:`elimination_limits` — how long a self-run elimination may last (and when a clinician is advised).

Decisions worth knowing (justified in the data file): the elimination gate closes for anyone under 18, for unknown
age, pregnancy, breastfeeding, anaphylaxis, immediate reactions, diagnosed IgE allergy and a history of disordered
eating; an *unanswered* eating-disorder question adds a caution rather than closing the gate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .data import CATEGORY_INVOLVES, INVOLVES, SafetyRule, rule_table
from .profile import FACTS, GATE_INPUT_KEYS, SafetyProfile, age_group_of, profile_from

__all__ = [
    "FACTS", "GATE_INPUT_KEYS", "INVOLVES", "SafetyDecision", "SafetyGate", "SafetyProfile", "age_group_of",
    "check", "elimination_gate", "elimination_limits", "gate_for_questionnaire", "involves_for", "profile_from",
    "rule_table",
]

_UNKNOWN = "unknown"


def _holds(value: Any, test: Any) -> bool:
    if test == _UNKNOWN:
        return value is None
    if isinstance(test, bool):
        return value is test
    if isinstance(test, list):
        if isinstance(value, frozenset):
            return bool(value & set(test))
        return (_UNKNOWN in test and value is None) or (value is not None and value in test)
    return value == test


def _matches(rule: SafetyRule, person: SafetyProfile) -> bool:
    return all(_holds(person.fact(name), test) for name, test in rule.when.items())


@dataclass(frozen=True)
class SafetyDecision:
    """What the rules say about one piece of advice for one person."""

    closed: tuple[str, ...] = ()     # reasons to talk to a clinician first
    excluded: tuple[str, ...] = ()   # reasons the advice does not fit
    cautions: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] = ()   # every safety rule that matched
    sources: tuple[str, ...] = ()    # study keys behind the matched rules

    @property
    def allowed(self) -> bool:
        """True when the advice may be given as written (possibly with cautions)."""
        return not self.closed and not self.excluded


def involves_for(category: str | None, involves: Iterable[str] = ()) -> frozenset[str]:
    """The tags a piece of advice involves: its own plus the ones its category implies."""
    tags = set(involves) | set(CATEGORY_INVOLVES.get(category or "", ()))
    bad = tags - set(INVOLVES)
    if bad:
        raise ValueError(f"unknown 'involves' tag(s): {', '.join(sorted(bad))}")
    return frozenset(tags)


def check(involves: Iterable[str], person: SafetyProfile | Mapping[str, Any] | None) -> SafetyDecision:
    """Apply every safety rule whose ``applies_to`` meets ``involves`` to the person (None = nothing known)."""
    tags = set(involves)
    p = profile_from(person)
    closed: list[str] = []
    excluded: list[str] = []
    cautions: list[str] = []
    ids: list[str] = []
    sources: list[str] = []
    for rule in rule_table().rules:
        if not tags & set(rule.applies_to) or not _matches(rule, p):
            continue
        text = " ".join(rule.text.split())
        {"close": closed, "exclude": excluded, "caution": cautions}[rule.effect].append(text)
        ids.append(rule.id)
        sources.extend(rule.sources)
    return SafetyDecision(tuple(dict.fromkeys(closed)), tuple(dict.fromkeys(excluded)),
                          tuple(dict.fromkeys(cautions)), tuple(ids), tuple(dict.fromkeys(sources)))


@dataclass(frozen=True)
class SafetyGate:
    """Outcome of the elimination gate: ``ok`` False means do not plan; see ``reasons`` and ``advice``."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    cautions: list[str] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)

    @property
    def advice(self) -> str:
        if self.ok:
            return "No reason found to stop a self-run, one-food-at-a-time elimination trial."
        return ("Talk to a clinician (GP, allergist, dermatologist or dietitian) before removing foods: "
                + "; ".join(self.reasons) + ".")


def elimination_gate(person: SafetyProfile | None = None, /, **inputs: Any) -> SafetyGate:
    """Decide whether a self-run elimination trial may be suggested or planned.

    Call with ``**questionnaire.gate_inputs()`` (every keyword optional; see
    :data:`~gutskin.safety.profile.GATE_INPUT_KEYS`) or with a :class:`SafetyProfile`. Unknown age closes the gate;
    other unknown answers add cautions so the person is asked.
    """
    p = person if person is not None else SafetyProfile.from_inputs(**inputs)
    d = check({"elimination"}, p)
    reasons = [*d.closed, *d.excluded]
    return SafetyGate(ok=not reasons, reasons=reasons, cautions=list(d.cautions), rule_ids=list(d.rule_ids))


def gate_for_questionnaire(questionnaire: Any) -> SafetyGate:
    """The elimination gate for a :class:`~gutskin.knowledge.questionnaire.Questionnaire` (or None: nothing known)."""
    return elimination_gate(**(questionnaire.gate_inputs() if questionnaire is not None else {}))


def elimination_limits() -> dict[str, int]:
    """``elimination_days_caution_after`` (talk to a clinician beyond this) and ``elimination_days_max``."""
    return rule_table().limits.model_dump()
