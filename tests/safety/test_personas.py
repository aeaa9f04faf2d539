"""The safety table, tested as a table: each persona's exact elimination-gate decision, and which safety rules,
cautions and exclusions their advice carries. Everything runs through ``Questionnaire.gate_inputs`` and
``gutskin.safety`` (the same path the CLI, the engine and the web app take)."""

from __future__ import annotations

import pytest

from gutskin.insights.recommend import evaluate_rules
from gutskin.knowledge import load_kb, parse_questionnaire
from gutskin.safety import SafetyProfile, check, elimination_gate, gate_for_questionnaire, rule_table

ADULT_SAFE = {"diagnosed_ige_food_allergy": False, "immediate_reactions_history": False,
              "anaphylaxis_history": False, "eating_disorder_history": False}

PERSONAS: dict[str, dict] = {
    "pregnant woman with acne": {
        "about_you": {"age_years": 29, "sex": "female", "pregnant": True},
        "skin": {"conditions": [{"condition": "acne"}]}, "allergies": ADULT_SAFE,
        "diet": {"dairy_servings_per_day": 2, "oily_fish_servings_per_week": 0},
        "medicines": {"probiotics_interest": True}},
    "infant with eczema": {
        "about_you": {"age_group": "infant", "born_preterm": True},
        "skin": {"conditions": [{"condition": "atopic_dermatitis"}]},
        "allergies": {"suspected_trigger_foods": ["cow's milk"]}, "medicines": {"probiotics_interest": True}},
    "man with psoriasis on methotrexate and adalimumab": {
        "about_you": {"age_years": 52, "sex": "male", "height_cm": 180, "weight_kg": 98},
        "skin": {"conditions": [{"condition": "psoriasis", "current_treatments": ["methotrexate", "adalimumab"]}]},
        "allergies": ADULT_SAFE, "lifestyle": {"smoking": True}, "diet": {"alcohol_drinks_per_week": 10},
        "medicines": {"probiotics_interest": True}},
    "vegan with rosacea": {
        "about_you": {"age_years": 34, "sex": "female", "pregnant": False},
        "skin": {"conditions": [{"condition": "rosacea"}]}, "allergies": ADULT_SAFE,
        "diet": {"pattern": "vegan", "fermented_food_servings_per_week": 1}},
    "teenager with acne": {
        "about_you": {"age_years": 15, "sex": "male"}, "skin": {"conditions": [{"condition": "acne"}]},
        "allergies": ADULT_SAFE, "diet": {"dairy_servings_per_day": 3, "oily_fish_servings_per_week": 0}},
    "adult who once had anaphylaxis": {
        "about_you": {"age_years": 41, "sex": "female", "pregnant": False},
        "skin": {"conditions": [{"condition": "acne"}]},
        "allergies": {"past_reactions": [{"food": "peanut", "timing": "immediate", "anaphylaxis": True}]},
        "diet": {"dairy_servings_per_day": 2}},
    "adult with nothing answered but acne": {"skin": {"conditions": [{"condition": "acne"}]}},
    "adult with no red flags": {
        "about_you": {"age_years": 30, "sex": "male"}, "skin": {"conditions": [{"condition": "acne"}]},
        "allergies": ADULT_SAFE, "diet": {"dairy_servings_per_day": 2}},
    "breastfeeding vegetarian with eczema": {
        "about_you": {"age_years": 31, "sex": "female", "breastfeeding": True},
        "skin": {"conditions": [{"condition": "atopic_dermatitis"}]},
        "allergies": {**ADULT_SAFE, "suspected_trigger_foods": ["egg"]},
        "diet": {"pattern": "vegetarian"}, "medicines": {"probiotics_interest": True}},
    "pregnant vegan with acne and a fish allergy": {
        "about_you": {"age_years": 27, "sex": "female", "pregnant": True},
        "skin": {"conditions": [{"condition": "acne"}]},
        "allergies": {**ADULT_SAFE, "food_allergies": ["fish"]},
        "diet": {"pattern": "vegan", "oily_fish_servings_per_week": 0, "fermented_food_servings_per_week": 0}},
    "adult with acne on warfarin, eating disorder unanswered": {
        "about_you": {"age_years": 60, "sex": "male"}, "skin": {"conditions": [{"condition": "acne"}]},
        "allergies": {"diagnosed_ige_food_allergy": False, "immediate_reactions_history": False,
                      "anaphylaxis_history": False},
        "diet": {"dairy_servings_per_day": 1, "oily_fish_servings_per_week": 0},
        "medicines": {"other_medicines": ["warfarin"]}},
    "adult with a central line considering a probiotic for eczema": {
        "about_you": {"age_years": 45, "sex": "female", "pregnant": False},
        "skin": {"conditions": [{"condition": "atopic_dermatitis"}]}, "allergies": ADULT_SAFE,
        "medicines": {"central_line": True, "probiotics_interest": True}},
}

# persona -> (gate open?, safety rule ids that close the gate)
GATE = {
    "pregnant woman with acne": (False, {"elim-pregnant"}),
    "infant with eczema": (False, {"elim-child"}),
    "man with psoriasis on methotrexate and adalimumab": (True, set()),
    "vegan with rosacea": (True, set()),
    "teenager with acne": (False, {"elim-child"}),
    "adult who once had anaphylaxis": (False, {"elim-anaphylaxis", "elim-immediate"}),
    "adult with nothing answered but acne": (False, {"elim-age-unknown"}),
    "adult with no red flags": (True, set()),
    "breastfeeding vegetarian with eczema": (False, {"elim-breastfeeding"}),
    "pregnant vegan with acne and a fish allergy": (False, {"elim-pregnant"}),
    "adult with acne on warfarin, eating disorder unanswered": (True, set()),
    "adult with a central line considering a probiotic for eczema": (True, set()),
}

# persona -> {rule id: expected outcome}; outcome is "absent" (not given), "clinician" (talk to a clinician
# first), "given", or "given+<safety rule id>" (given, carrying that safety rule's caution)
ADVICE = {
    "pregnant woman with acne": {
        "rec-acne-dairy-trial": "clinician", "rec-acne-probiotic-strain": "given+prob-pregnant",
        "rec-acne-omega3": "given+supp-pregnant", "rec-acne-low-glycaemic": "given+diet-pregnant"},
    "infant with eczema": {
        "rec-ad-elimination-suspected-food": "clinician", "rec-ad-probiotic-treatment": "clinician",
        "rec-sulfidogenic-high": "absent", "rec-plant-variety": "absent", "rec-fermented-foods": "absent"},
    "man with psoriasis on methotrexate and adalimumab": {
        "rec-pso-probiotic-strain": "clinician", "rec-pso-smoking": "given", "rec-pso-alcohol": "given",
        "rec-pso-weight": "given"},
    "vegan with rosacea": {
        "rec-sulfidogenic-high": "absent", "rec-fermented-foods": "given"},
    "teenager with acne": {
        "rec-acne-dairy-trial": "clinician", "rec-acne-omega3": "given",
        "rec-acne-zinc-clinician": "given+supp-zinc-antibiotics"},
    "adult who once had anaphylaxis": {"rec-acne-dairy-trial": "clinician"},
    "adult with nothing answered but acne": {"rec-acne-dairy-trial": "clinician"},
    "adult with no red flags": {"rec-acne-dairy-trial": "given"},
    "breastfeeding vegetarian with eczema": {
        "rec-ad-elimination-suspected-food": "clinician", "rec-ad-probiotic-treatment": "given+prob-breastfeeding",
        "rec-sulfidogenic-high": "absent"},
    "pregnant vegan with acne and a fish allergy": {
        "rec-acne-dairy-trial": "absent", "rec-acne-omega3": "given+supp-pregnant", "rec-fermented-foods": "given"},
    "adult with acne on warfarin, eating disorder unanswered": {
        "rec-acne-dairy-trial": "given+elim-eating-disorder-unknown",
        "rec-acne-omega3": "given+supp-anticoagulant-omega3"},
    "adult with a central line considering a probiotic for eczema": {"rec-ad-probiotic-treatment": "clinician"},
}

FINDINGS = {"features": {"guild-sulfidogenic": "high", "diversity-alpha": "low"}}


@pytest.fixture(scope="module")
def kb():
    return load_kb()


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_gate_decision_is_exact(persona):
    q = parse_questionnaire(PERSONAS[persona])
    gate = gate_for_questionnaire(q)
    ok, closing = GATE[persona]
    assert gate.ok is ok, gate.reasons
    closing_ids = {r.id for r in rule_table().rules if r.effect == "close"} & set(gate.rule_ids)
    assert closing_ids == closing
    # the keyword path and the profile path agree (one mapping, one module)
    assert elimination_gate(**q.gate_inputs()) == elimination_gate(SafetyProfile.from_inputs(**q.gate_inputs()))


@pytest.mark.parametrize("persona", sorted(ADVICE))
def test_advice_fits_the_person(kb, persona):
    q = parse_questionnaire(PERSONAS[persona])
    outcomes = {o.rule_id: o for o in evaluate_rules(FINDINGS, q, kb)}
    for rule_id, expected in ADVICE[persona].items():
        o = outcomes[rule_id]
        rec = o.recommendation
        if expected == "absent":
            assert rec is None, f"{rule_id} should not be given to the {persona}"
            continue
        assert rec is not None, f"{rule_id}: {o.reason}"
        if expected == "clinician":
            assert rec.action == "talk_to_clinician" and rec.trial_command is None, rule_id
            assert rec.title.startswith("Talk to a clinician"), rec.title
            continue
        assert rec.action != "talk_to_clinician" or kb.rule(rule_id).category == "clinician", rule_id
        if "+" in expected:
            safety_id = expected.split("+", 1)[1]
            assert safety_id in rec.safety_rules, (rule_id, rec.safety_rules)
            text = " ".join(next(r.text for r in rule_table().rules if r.id == safety_id).split())
            assert any(text[1:] in n for n in rec.safety_notes), (rule_id, rec.safety_notes)


def test_vegan_and_fish_allergy_get_no_fish_dairy_or_meat_advice(kb):
    for persona in ("vegan with rosacea", "pregnant vegan with acne and a fish allergy"):
        q = parse_questionnaire(PERSONAS[persona])
        for o in evaluate_rules(FINDINGS, q, kb):
            if o.recommendation is None:
                continue
            words = (o.recommendation.title + " " + o.recommendation.text).lower()
            for bad in ("oily fish", "yoghurt or kefir", "plain yoghurt", "kefir", "meat and", "salmon"):
                assert bad not in words, (persona, o.rule_id, bad)


def test_infants_get_no_diet_swaps_and_minors_no_weight_loss():
    infant = SafetyProfile.from_inputs(age_group="infant")
    assert not check({"diet_change", "meat_swap"}, infant).allowed
    teen = SafetyProfile.from_inputs(age_years=15)
    assert check({"weight_loss"}, teen).excluded
    assert check({"weight_loss"}, SafetyProfile.from_inputs(age_years=40, eating_disorder_history=True)).closed


@pytest.mark.parametrize("inputs, fact, value", [
    ({"medicines": ["Methotrexate 15 mg weekly"]}, "immunosuppressed", True),
    ({"medicines": ["adalimumab"]}, "biologic", True),
    ({"medicines": ["adalimumab"]}, "immunosuppressed", True),
    ({"medicines": ["apixaban"]}, "anticoagulant", True),
    ({"immunosuppressants": False, "medicines": ["ciclosporin"]}, "immunosuppressed", True),  # named drug wins
    ({"immunosuppressants": False}, "immunosuppressed", False),
    ({}, "immunosuppressed", None),
    ({"age_group": "adult", "age_years": 16}, "age", "adolescent"),  # the younger reading wins
    ({"food_allergies": ["Cow's milk"]}, "allergic_to", frozenset({"dairy", "cow's milk"})),
])
def test_profile_facts(inputs, fact, value):
    assert SafetyProfile.from_inputs(**inputs).fact(fact) == value


def test_every_advice_rule_meets_the_safety_table(kb):
    """Every rule that asks the person to do something is covered by at least one safety row."""
    from gutskin.safety import involves_for

    covered = {tag for r in rule_table().rules for tag in r.applies_to}
    no_risk = {"rec-acne-stress"}  # sleep, exercise and relaxation: reviewed, nothing for a safety row to catch
    for rule in kb.rules():
        if rule.category in ("information", "clinician") or rule.id in no_risk:
            continue
        tags = involves_for(rule.category, rule.involves)
        for v in rule.variants:
            tags |= involves_for(rule.category, v.involves or [])
        assert tags & covered, f"{rule.id} involves {sorted(tags)}, which no safety rule covers"


def test_safety_rows_cite_knowledge_base_studies(kb):
    for r in rule_table().rules:
        for key in r.sources:
            assert key in kb.studies_by_key, (r.id, key)
        assert r.sources or r.basis


def test_unknown_gate_inputs_are_refused():
    with pytest.raises(TypeError, match="unknown safety input"):
        elimination_gate(pregnnant=True)
