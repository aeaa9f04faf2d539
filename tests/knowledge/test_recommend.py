"""The recommendation engine: personalisation, missing taxa, the elimination safety gate, ordering, wording."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gutskin.errors import InputError
from gutskin.insights import Findings, evaluate_rules, recommend
from gutskin.knowledge import load_questionnaire, parse_questionnaire

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "questionnaire.yaml"

ADULT_ACNE = {"about_you": {"age_group": "adult", "age_years": 30},
              "skin": {"conditions": [{"condition": "acne", "severity": "mild"}]},
              "allergies": {"diagnosed_ige_food_allergy": False, "immediate_reactions_history": False,
                            "anaphylaxis_history": False, "eating_disorder_history": False},
              "diet": {"dairy_servings_per_day": 2}}


def q(**sections):
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in ADULT_ACNE.items()}
    for k, v in sections.items():
        data[k] = {**data.get(k, {}), **v} if isinstance(v, dict) else v
    return parse_questionnaire(data)


def by_id(recs):
    return {r.id: r for r in recs}


# ------------------------------------------------------------------------------------------------ basics


def test_example_questionnaire_with_gaps_gives_ordered_cited_recommendations(kb):
    recs = recommend(None, load_questionnaire(EXAMPLE), kb)
    assert len(recs) >= 8
    scores = [r.score for r in recs]
    assert scores == sorted(scores, reverse=True)
    for r in recs:
        assert r.citations and r.grade in "ABCD" and r.text and r.rationale
        assert all(c.authors for _, c in r.citations)
    ids = by_id(recs)
    assert "rec-acne-dairy-trial" in ids and "rec-acne-low-glycaemic" in ids
    # unanswered questions are reported, not guessed
    assert any("diet.fibre_grams_per_day" in u for u in ids["rec-fibre-prebiotic"].unknowns)


def test_nothing_known_still_gives_general_advice_only(kb):
    recs = recommend(None, None, kb)
    assert recs
    assert all(not kb.rule(r.id).conditions for r in recs)
    assert all(not r.personalised for r in recs)


def test_conditions_can_come_from_findings(kb):
    recs = by_id(recommend({"features": {}, "conditions": ["psoriasis"]}, None, kb))
    assert "rec-pso-ultra-processed" in recs and "rec-acne-dairy-trial" not in recs


def test_seborrhoeic_dermatitis_gets_an_honest_no_evidence_answer(kb):
    quest = parse_questionnaire({"skin": {"conditions": [{"condition": "seborrhoeic_dermatitis"}]}})
    recs = by_id(recommend(None, quest, kb))
    assert recs["rec-seb-no-gut-evidence"].action == "information"


# ---------------------------------------------------------------------------------------- findings / missing taxa


def test_missing_taxa_are_not_measured_and_listed_as_unknown(kb):
    recs = by_id(recommend({"features": {"diversity-alpha": "typical"}}, q(), kb))
    fibre = recs["rec-fibre-prebiotic"]  # baseline rule: still given, but not personalised by the sample
    assert not any("butyrate" in reason for reason in fibre.reasons)
    assert "not measured in this sample: butyrate producers (core)" in fibre.unknowns
    assert any("Bifidobacterium" in u for u in fibre.unknowns)


def test_explicit_not_measured_equals_missing(kb):
    a = by_id(recommend({"features": {"M01": "not_measured"}}, q(), kb))["rec-fibre-prebiotic"]
    b = by_id(recommend({"features": {}}, q(), kb))["rec-fibre-prebiotic"]
    assert a.unknowns == b.unknowns and a.score == b.score


def test_a_low_finding_personalises_and_raises_the_rank(kb):
    plain = by_id(recommend({"features": {}}, None, kb))["rec-fibre-prebiotic"]
    low = by_id(recommend({"features": {"Faecalibacterium prausnitzii": "typical", "M01": "low"}}, None, kb))
    fibre = low["rec-fibre-prebiotic"]
    assert fibre.personalised and fibre.score > plain.score
    assert "butyrate producers in the lower range of the reference" in fibre.reasons


def test_finding_only_rules_need_the_finding(kb):
    outcomes = {o.rule_id: o for o in evaluate_rules({"features": {}}, None, kb)}
    assert not outcomes["rec-sulfidogenic-high"].fired
    assert "not measured in this sample" in outcomes["rec-sulfidogenic-high"].reason
    recs = by_id(recommend({"features": {"guild-sulfidogenic": "high"}}, None, kb))
    assert recs["rec-sulfidogenic-high"].grade == "D"
    assert "rec-sulfidogenic-high" not in by_id(recommend({"features": {"guild-sulfidogenic": "typical"}}, None, kb))


def test_findings_keys_in_any_naming_and_unknown_keys(kb):
    f = Findings.from_mapping({"s__Eubacterium_rectale": "low", "Mystery bacterium": "high"}, kb)
    assert f.status("taxon-eubacterium-rectale") == "low" and f.unmatched == ("Mystery bacterium",)
    assert f.status("taxon-blautia") == "not_measured"


def test_invalid_finding_status_or_condition_is_an_input_error(kb):
    with pytest.raises(InputError, match="unknown status"):
        recommend({"M01": "very low"}, None, kb)
    with pytest.raises(InputError, match="unknown condition"):
        recommend({"features": {}, "conditions": ["lupus"]}, None, kb)


# ------------------------------------------------------------------------------------------------ safety gate


def test_adult_without_red_flags_gets_the_trial_command_and_nutrient_cautions(kb):
    dairy = by_id(recommend(None, q(), kb))["rec-acne-dairy-trial"]
    assert dairy.gate is not None and dairy.gate.ok
    assert dairy.action == "trial"
    assert dairy.trial_command == ("gutskin trial plan --food dairy --condition acne --questionnaire "
                                   "questionnaire.yaml --start YYYY-MM-DD -o plan.json")
    assert any(c.startswith("calcium:") for c in dairy.nutrient_cautions)
    assert any("one thing at a time" in n for n in dairy.safety_notes)


@pytest.mark.parametrize("change", [
    {"about_you": {"age_group": "adolescent", "age_years": 15}},
    {"about_you": {"age_group": "child", "age_years": None}},
    {"allergies": {"anaphylaxis_history": True}},
    {"allergies": {"immediate_reactions_history": True}},
    {"allergies": {"diagnosed_ige_food_allergy": True}},
    {"allergies": {"past_reactions": [{"food": "egg", "timing": "immediate"}]}},
])
def test_red_flags_turn_elimination_into_talk_to_a_clinician(kb, change):
    dairy = by_id(recommend(None, q(**change), kb))["rec-acne-dairy-trial"]
    assert dairy.gate is not None and not dairy.gate.ok
    assert dairy.action == "talk_to_clinician" and dairy.trial_command is None
    assert dairy.title.startswith("Talk to a clinician")
    assert "clinician" in dairy.text.lower()
    assert dairy.nutrient_cautions  # still told what removing dairy would cost


@pytest.mark.parametrize("answer", [{"pregnant": True}, {"breastfeeding": True}])
def test_pregnancy_and_breastfeeding_close_the_gate(kb, answer):
    dairy = by_id(recommend(None, q(about_you=answer), kb))["rec-acne-dairy-trial"]
    assert not dairy.gate.ok and dairy.action == "talk_to_clinician" and dairy.trial_command is None
    assert any(k in " ".join(dairy.gate.reasons) for k in ("pregnancy", "breastfeeding"))


def test_unknown_age_closes_the_gate_and_other_unknowns_are_cautions(kb):
    quest = parse_questionnaire({"skin": {"conditions": [{"condition": "acne"}]}})
    dairy = by_id(recommend(None, quest, kb))["rec-acne-dairy-trial"]
    assert not dairy.gate.ok and "age was not given" in dairy.gate.reasons[0]
    assert any("disordered eating was not answered" in n for n in dairy.safety_notes)


def test_no_dairy_or_vegan_excludes_the_dairy_trial(kb):
    assert "rec-acne-dairy-trial" not in by_id(recommend(None, q(diet={"dairy_servings_per_day": 0}), kb))
    assert "rec-acne-dairy-trial" not in by_id(recommend(None, q(diet={"pattern": "vegan"}), kb))


def test_eczema_suspected_food_trial_is_gated(kb):
    adult = parse_questionnaire({
        "about_you": {"age_group": "adult"},
        "skin": {"conditions": [{"condition": "atopic_dermatitis"}]},
        "allergies": {"suspected_trigger_foods": ["Cow's milk", "tomato"], "diagnosed_ige_food_allergy": False,
                      "immediate_reactions_history": False, "anaphylaxis_history": False}})
    rec = by_id(recommend(None, adult, kb))["rec-ad-elimination-suspected-food"]
    assert rec.action == "trial" and rec.trial_foods == ("cow_s_milk", "tomato")
    assert rec.trial_command == (
        "gutskin trial plan --food cow_s_milk --condition eczema --questionnaire questionnaire.yaml "
        "--start YYYY-MM-DD -o plan.json")
    child = parse_questionnaire({**adult.model_dump(exclude_none=True), "about_you": {"age_group": "child"}})
    rec = by_id(recommend(None, child, kb))["rec-ad-elimination-suspected-food"]
    assert rec.action == "talk_to_clinician" and rec.trial_command is None
    assert any("children" in reason for reason in rec.gate.reasons)


def test_age_specific_rules_respect_the_age_group(kb):
    infant = parse_questionnaire({"about_you": {"age_group": "infant"},
                                  "skin": {"conditions": [{"condition": "atopic_dermatitis"}]}})
    ids = by_id(recommend(None, infant, kb))
    assert "rec-plant-variety" not in ids and "rec-ad-vitamin-d-clinician" in ids
    assert any("children" in n for n in ids["rec-ad-vitamin-d-clinician"].safety_notes)


# ------------------------------------------------------------------------------------------------ wording


BRAND_LIKE = ["Culturelle", "Align", "Activia", "Yakult", "Actimel", "Symprove", "Bio-Kult", "VSL#3", "Visbiome",
              "Florastor", "Seed", "Viome", "ZOE", "Thorne", "Optibac", "Amazon", "iHerb", "Garden of Life",
              "Renew Life", "Metamucil", "Benefiber", "Biomesight", "Ombre", "®", "™"]
SHOPPING = re.compile(r"\b(buy|buying|shop|shopping|store|order now|discount|coupon|promo code|affiliate|"
                      r"subscribe|subscription)\b", re.IGNORECASE)


def _all_texts(kb):
    for rule in kb.rules():
        yield rule.id, " ".join([rule.title, rule.text, rule.rationale, rule.clinician_text or "", *rule.safety_notes,
                                 *(c.note for c in rule.nutrient_cautions), *(n.note for n in rule.conditional_notes),
                                 *(rule.probiotic.strains if rule.probiotic else [])])


def test_no_brands_products_or_shopping_in_any_recommendation(kb):
    for rid, text in _all_texts(kb):
        for brand in BRAND_LIKE:
            assert not re.search(rf"(?<![\w-]){re.escape(brand)}(?![\w-])", text), (rid, brand)
        assert not SHOPPING.search(text), (rid, SHOPPING.search(text).group(0))


def test_recommendations_never_diagnose(kb):
    diagnostic = re.compile(r"\byou (have|suffer from|are diagnosed with)\b|\byour (dysbiosis|leaky gut)\b",
                            re.IGNORECASE)
    for rid, text in _all_texts(kb):
        assert not diagnostic.search(text), rid


def test_probiotics_only_in_strain_specific_rules(kb):
    for rule in kb.rules():
        mentions = "probiotic" in (rule.title + rule.text).lower()
        if rule.category == "probiotic":
            assert rule.probiotic is not None and "strain" in rule.text.lower()
        elif mentions:
            pytest.fail(f"{rule.id} talks about probiotics outside a strain-specific probiotic rule")


def test_probiotic_rules_fire_only_for_people_considering_one(kb):
    assert "rec-acne-probiotic-strain" not in by_id(recommend(None, q(), kb))
    recs = by_id(recommend(None, q(medicines={"probiotics_interest": True}), kb))
    assert recs["rec-acne-probiotic-strain"].probiotic_strains == ("Lacticaseibacillus rhamnosus SP1",)


def test_to_dict_is_json_ready(kb):
    import json

    recs = recommend({"M01": "low"}, q(), kb)
    data = json.loads(json.dumps([r.to_dict() for r in recs]))
    trial = next(d for d in data if d["id"] == "rec-acne-dairy-trial")
    assert trial["gate"]["ok"] is True and trial["citations"][0]["citation"]


def test_questionnaire_as_plain_mapping_and_rosacea_prompts(kb):
    recs = recommend(None, {"skin": {"conditions": [{"condition": "rosacea"}]},
                            "gut": {"digestive_symptoms": ["bloating"]}}, kb)
    assert recs[0].id == "rec-ros-breath-test" and recs[0].personalised
    assert recs[0].action == "talk_to_clinician" and "cannot detect SIBO" in recs[0].text
    with pytest.raises(InputError, match="unknown key"):
        recommend(None, {"skin": {"conditons": []}}, kb)
