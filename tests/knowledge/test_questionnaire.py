"""The questionnaire: every answer optional, unknown keys and out-of-range values refused with the key named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gutskin.errors import InputError
from gutskin.knowledge import load_questionnaire, parse_questionnaire
from gutskin.knowledge.questionnaire import field_paths, questionnaire_json_schema_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "questionnaire.yaml"
SCHEMA_DOC = ROOT / "docs" / "questionnaire-schema.json"


def write(tmp_path: Path, text: str, name: str = "q.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_example_is_an_adult_with_acne_and_gaps():
    q = load_questionnaire(EXAMPLE)
    assert q.conditions() == ["acne"] and q.severity("acne") == "moderate"
    assert q.about_you.age_group == "adult"
    assert q.diet.fibre_grams_per_day is None and q.lifestyle.sleep_hours_per_night is None  # gaps are fine
    assert q.gut.bristol_stool_type is None
    assert "diet.plant_types_per_week" in q.answered()


def test_empty_and_partial_questionnaires_load(tmp_path):
    q = load_questionnaire(write(tmp_path, ""))
    assert q.conditions() == [] and q.answered() == [] and q.get("diet.dairy_servings_per_day") is None
    q = load_questionnaire(write(tmp_path, "diet:\n  dairy_servings_per_day: 0\n"))
    assert q.get("diet.dairy_servings_per_day") == 0 and q.get("lifestyle.stress_0_10") is None
    from gutskin.safety import GATE_INPUT_KEYS

    assert q.gate_inputs() == dict.fromkeys(GATE_INPUT_KEYS)  # every answer unknown, none assumed


def test_unknown_key_is_refused_naming_the_key_and_line(tmp_path):
    p = write(tmp_path, "about_you:\n  age_group: adult\ndiet:\n  plant_types_per_wek: 12\n")
    with pytest.raises(InputError) as info:
        load_questionnaire(p)
    err = info.value
    assert err.field == "diet.plant_types_per_wek" and "unknown key 'plant_types_per_wek'" in err.message
    assert err.line == 4 and err.path == str(p)


def test_unknown_section_is_refused(tmp_path):
    with pytest.raises(InputError, match="unknown key 'mood'"):
        load_questionnaire(write(tmp_path, "mood: happy\n"))


@pytest.mark.parametrize(("text", "field", "needle"), [
    ("lifestyle:\n  stress_0_10: 14\n", "lifestyle.stress_0_10", "at most 10"),
    ("diet:\n  plant_types_per_week: -3\n", "diet.plant_types_per_week", "at least 0"),
    ("about_you:\n  age_years: 300\n", "about_you.age_years", "out of range"),
    ("gut:\n  bristol_stool_type: 9\n", "gut.bristol_stool_type", "at most 7"),
    ("about_you:\n  age_group: toddler\n", "about_you.age_group", "not allowed"),
    ("skin:\n  conditions:\n    - condition: acne\n      severity: extreme\n", "skin.conditions.0.severity",
     "not allowed"),
])
def test_out_of_range_and_invalid_values_are_refused(tmp_path, text, field, needle):
    with pytest.raises(InputError) as info:
        load_questionnaire(write(tmp_path, text))
    assert info.value.field == field and needle in info.value.message


def test_json_questionnaires_load_and_bad_syntax_is_an_input_error(tmp_path):
    p = write(tmp_path, json.dumps({"about_you": {"age_group": "child"}, "skin": {"conditions": [
        {"condition": "atopic_dermatitis", "severity": "mild"}]}}), "q.json")
    q = load_questionnaire(p)
    assert q.conditions() == ["atopic_dermatitis"] and q.gate_inputs()["age_group"] == "child"
    with pytest.raises(InputError, match="not valid JSON"):
        load_questionnaire(write(tmp_path, "{oops", "bad.json"))
    with pytest.raises(InputError, match="mapping"):
        parse_questionnaire(["a", "list"])
    with pytest.raises(InputError, match="not found"):
        load_questionnaire(tmp_path / "missing.yaml")


def test_past_reactions_feed_the_safety_gate(tmp_path):
    q = load_questionnaire(write(tmp_path, (
        "allergies:\n  past_reactions:\n    - food: peanut\n      timing: immediate\n      anaphylaxis: true\n")))
    assert q.immediate_reactions() is True and q.anaphylaxis() is True
    gi = q.gate_inputs()
    assert gi["immediate_reactions"] is True and gi["anaphylaxis"] is True


def test_field_paths_cover_the_brief():
    paths = field_paths()
    for p in ("about_you.age_group", "about_you.pregnant", "skin.conditions", "allergies.food_allergies",
              "allergies.past_reactions", "diet.plant_types_per_week", "diet.fibre_grams_per_day",
              "diet.fermented_food_servings_per_week", "diet.ultra_processed_food", "diet.added_sugar",
              "diet.dairy_servings_per_day", "diet.glycaemic_load", "lifestyle.stress_0_10",
              "lifestyle.sleep_hours_per_night", "lifestyle.water_litres_per_day", "medicines.antibiotics_recent",
              "medicines.probiotics_current"):
        assert p in paths, p


def test_shipped_json_schema_is_current():
    assert SCHEMA_DOC.read_text(encoding="utf-8") == questionnaire_json_schema_text(), (
        "docs/questionnaire-schema.json is stale: run 'gutskin kb questionnaire-schema -o "
        "docs/questionnaire-schema.json'")
    schema = json.loads(SCHEMA_DOC.read_text())
    assert schema["additionalProperties"] is False and "required" not in schema


def test_one_condition_vocabulary_questionnaire_kb_and_trials():
    import typing

    from gutskin.knowledge import load_kb
    from gutskin.knowledge.questionnaire import ConditionId
    from gutskin.trial.defaults import CONDITIONS

    kb_ids = set(load_kb().conditions_by_id)
    asked = set(typing.get_args(ConditionId)) - {"other"}
    assert asked == kb_ids
    assert set(CONDITIONS) == kb_ids | {"other"}
