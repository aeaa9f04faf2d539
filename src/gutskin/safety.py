"""The safety gate in front of any elimination-diet suggestion or plan.

Removing foods is not harmless for everyone. For children (growth, and reintroduction can provoke
reactions after avoidance), people with a history of immediate reactions or anaphylaxis, and people with
diagnosed IgE-mediated food allergy, the answer is "talk to a clinician first", never a self-run plan.
Pregnancy does not close the gate but adds a caution (nutrient needs are higher).

Sources for the reasoning: ``shared/research/skin_gut_evidence.md`` section 3c (elimination diets: evidence
and cautions), summarised in the knowledge base with citations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHILD_AGE_GROUPS = {"infant", "child", "adolescent", "under_18", "minor"}


@dataclass(frozen=True)
class SafetyGate:
    """Outcome of the gate: ``ok`` False means do not plan; see ``reasons`` and ``advice``."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    cautions: list[str] = field(default_factory=list)

    @property
    def advice(self) -> str:
        if self.ok:
            return "No reason found to stop a self-run, one-food-at-a-time elimination trial."
        return ("Talk to a clinician (GP, allergist or dermatologist) before removing foods: "
                + "; ".join(self.reasons) + ".")


def elimination_gate(
    *,
    age_group: str | None = None,
    age_years: float | None = None,
    immediate_reactions: bool | None = None,
    anaphylaxis: bool | None = None,
    ige_allergy: bool | None = None,
    pregnant: bool | None = None,
    eating_disorder_history: bool | None = None,
) -> SafetyGate:
    """Decide whether a self-run elimination trial may be suggested.

    Unknown answers (``None``) do not close the gate, but are listed as cautions so the person is asked.
    """
    reasons: list[str] = []
    cautions: list[str] = []
    is_child = (age_years is not None and age_years < 18) or (
        age_group is not None and age_group.strip().lower() in CHILD_AGE_GROUPS)
    if is_child:
        reasons.append("elimination diets in children need medical supervision (growth, nutrition, and the "
                       "risk of new immediate allergy after avoidance)")
    if anaphylaxis:
        reasons.append("a history of anaphylaxis")
    if immediate_reactions:
        reasons.append("a history of immediate reactions to food (hives, swelling, breathing trouble within "
                       "about two hours)")
    if ige_allergy:
        reasons.append("a diagnosed IgE-mediated food allergy")
    if eating_disorder_history:
        reasons.append("a history of disordered eating, which restriction can worsen")
    if pregnant:
        cautions.append("pregnancy raises nutrient needs: plan replacements with a clinician or dietitian")
    if age_group is None and age_years is None:
        cautions.append("age not given: elimination trials here are for adults")
    if immediate_reactions is None and anaphylaxis is None:
        cautions.append("past reactions to food not given: stop and seek care if hives, swelling or "
                        "breathing trouble ever follow eating")
    if ige_allergy is None:
        cautions.append("diagnosed food allergies not given")
    return SafetyGate(ok=not reasons, reasons=reasons, cautions=cautions)
