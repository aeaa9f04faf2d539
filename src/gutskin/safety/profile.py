"""The facts about a person that safety rules test, derived from ``Questionnaire.gate_inputs()`` only.

:class:`SafetyProfile` is built from the plain keyword arguments ``Questionnaire.gate_inputs()`` returns (or the
same keywords given by hand, e.g. CLI options merged into a questionnaire). Free-text medicine and treatment answers
are read against the medicine vocabulary in ``data/rules.yaml``: a named immunosuppressant or biologic counts as
"yes" even when the matching yes/no question was left empty, because a named drug is stronger evidence than a
skipped box.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .data import rule_table

CHILD_GROUPS = ("infant", "child", "adolescent")
_GROUP_ALIASES = {"under_18": "child", "minor": "child", "older_adult": "older_adult", "senior": "older_adult"}
AGE_GROUPS = ("infant", "child", "adolescent", "adult", "older_adult")


def age_group_of(age_group: str | None, age_years: float | None) -> str | None:
    """One age group from a group name and/or years; when both are given, the younger reading wins (safer)."""
    from_years = None
    if age_years is not None:
        y = float(age_years)
        from_years = ("infant" if y < 1 else "child" if y < 12 else "adolescent" if y < 18
                      else "adult" if y < 65 else "older_adult")
    from_group = None
    if age_group is not None and str(age_group).strip():
        g = str(age_group).strip().lower()
        from_group = _GROUP_ALIASES.get(g, g)
        if from_group not in AGE_GROUPS:
            from_group = None
    candidates = [g for g in (from_years, from_group) if g is not None]
    if not candidates:
        return None
    return min(candidates, key=AGE_GROUPS.index)


def _words(texts: Iterable[str] | None) -> str:
    return " " + " ".join(re.sub(r"[^a-z0-9' ]+", " ", str(t).lower()) for t in (texts or [])) + " "


def _named(texts: Iterable[str] | None, names: Iterable[str]) -> list[str]:
    hay = _words(texts)
    return [n for n in names if f" {n.lower()} " in hay]


def _either(answer: bool | None, named: bool) -> bool | None:
    """A named drug makes it True; otherwise the answer as given (None stays unknown)."""
    return True if named else answer


@dataclass(frozen=True)
class SafetyProfile:
    """What the safety rules may test. ``None`` always means "not answered"."""

    age: str | None = None
    sex: str | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    preterm: bool | None = None
    anaphylaxis: bool | None = None
    immediate_reactions: bool | None = None
    ige_allergy: bool | None = None
    eating_disorder_history: bool | None = None
    immunosuppressed: bool | None = None
    biologic: bool | None = None
    anticoagulant: bool | None = None
    retinoid: bool | None = None
    central_line: bool | None = None
    critical_illness: bool | None = None
    diet_pattern: str | None = None
    allergic_to: frozenset[str] | None = None
    intolerant_to: frozenset[str] | None = None
    named_medicines: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_inputs(cls, **inputs: Any) -> SafetyProfile:
        """Build from ``Questionnaire.gate_inputs()`` keywords; unknown keywords are refused (typos)."""
        unknown = set(inputs) - set(GATE_INPUT_KEYS)
        if unknown:
            raise TypeError(f"unknown safety input(s): {', '.join(sorted(unknown))}")
        table = rule_table()
        meds = list(inputs.get("medicines") or [])
        classes = {cls_: _named(meds, names) for cls_, names in table.medicines.items()}
        biologic = _either(inputs.get("biologics"), bool(classes.get("biologic")))
        immuno = _either(inputs.get("immunosuppressants"), bool(classes.get("immunosuppressant")))
        if biologic:  # the biologics used for skin disease act on the immune system
            immuno = True

        def foods(items: Any) -> frozenset[str] | None:
            if items is None:
                return None
            hay = _words(items)
            groups = {g for g, words in table.foods.items() if any(f" {w} " in hay for w in words)}
            # keep the words too, so a rule may name a food outside the groups
            return frozenset(groups | {" ".join(str(i).lower().split()) for i in items})

        return cls(
            age=age_group_of(inputs.get("age_group"), inputs.get("age_years")),
            sex=inputs.get("sex"),
            pregnant=inputs.get("pregnant"),
            breastfeeding=inputs.get("breastfeeding"),
            preterm=inputs.get("born_preterm"),
            anaphylaxis=inputs.get("anaphylaxis"),
            immediate_reactions=inputs.get("immediate_reactions"),
            ige_allergy=inputs.get("ige_allergy"),
            eating_disorder_history=inputs.get("eating_disorder_history"),
            immunosuppressed=immuno,
            biologic=biologic,
            anticoagulant=_either(inputs.get("anticoagulants"), bool(classes.get("anticoagulant"))),
            retinoid=True if classes.get("retinoid") else None,
            central_line=inputs.get("central_line"),
            critical_illness=inputs.get("critical_illness"),
            diet_pattern=inputs.get("diet_pattern"),
            allergic_to=foods(inputs.get("food_allergies")),
            intolerant_to=foods(inputs.get("food_intolerances")),
            named_medicines=tuple(sorted({n for names in classes.values() for n in names})),
        )

    def fact(self, name: str) -> Any:
        if name not in FACTS:
            raise KeyError(f"unknown safety fact {name!r}; known: {', '.join(FACTS)}")
        return getattr(self, name)


#: keyword arguments ``Questionnaire.gate_inputs()`` returns (and :func:`elimination_gate` accepts)
GATE_INPUT_KEYS = (
    "age_group", "age_years", "sex", "pregnant", "breastfeeding", "born_preterm",
    "immediate_reactions", "anaphylaxis", "ige_allergy", "eating_disorder_history",
    "food_allergies", "food_intolerances", "diet_pattern",
    "immunosuppressants", "biologics", "anticoagulants", "central_line", "critical_illness", "medicines",
)

#: facts a rule's ``when`` may test
FACTS = tuple(f for f in SafetyProfile.__dataclass_fields__ if f != "named_medicines")


def profile_from(inputs: SafetyProfile | Mapping[str, Any] | None) -> SafetyProfile:
    if isinstance(inputs, SafetyProfile):
        return inputs
    return SafetyProfile.from_inputs(**dict(inputs or {}))
