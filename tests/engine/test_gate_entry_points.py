"""The elimination safety gate gives one decision whatever the entry point: ``gutskin trial plan
--questionnaire``, ``gutskin report``, ``gutskin insights`` and the engine's ``analyse`` (what the web app calls).

Issue #10: a questionnaire with an anaphylaxis reaction closed the gate in ``report`` but ``trial plan`` kept it
open and wrote a plan. The safety rules themselves change over time (``gutskin/safety/data/rules.yaml``), so this
test asserts that every entry point agrees, plus the few decisions that are not in doubt.
"""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from gutskin.cli import app
from gutskin.cli.trial import GATE_CLOSED
from gutskin.engine import analyse
from gutskin.knowledge.questionnaire import load_questionnaire

from .conftest import EXAMPLE

ADULT = {"age_group": "adult", "age_years": 34}
NO_HISTORY = {"immediate_reactions_history": False, "anaphylaxis_history": False, "diagnosed_ige_food_allergy": False,
              "eating_disorder_history": False}
ACNE_DAIRY = {"skin": {"conditions": [{"condition": "acne"}]}, "allergies": {"suspected_trigger_foods": ["dairy"]}}

#: name -> (answers, the decision that is not in doubt: False = closed, True = open, None = whatever the rules say)
PERSONAS = {
    "anaphylaxis": ({"about_you": ADULT, "skin": ACNE_DAIRY["skin"],
                     "allergies": {"past_reactions": [{"food": "peanut", "timing": "immediate", "anaphylaxis": True}],
                                   "suspected_trigger_foods": ["dairy"]}}, False),
    "ige_allergy": ({"about_you": ADULT, **ACNE_DAIRY,
                     "allergies": {**NO_HISTORY, "diagnosed_ige_food_allergy": True,
                                   "suspected_trigger_foods": ["dairy"]}}, False),
    "child": ({"about_you": {"age_group": "child", "age_years": 9}, **ACNE_DAIRY}, False),
    "eating_disorder": ({"about_you": ADULT, "skin": ACNE_DAIRY["skin"],
                         "allergies": {**NO_HISTORY, "eating_disorder_history": True,
                                       "suspected_trigger_foods": ["dairy"]}}, False),
    "unanswered": ({}, None),
    "adult_no_history": ({"about_you": {**ADULT, "pregnant": False, "breastfeeding": False}, "skin": ACNE_DAIRY["skin"],
                          "allergies": {**NO_HISTORY, "suspected_trigger_foods": ["dairy"]}}, None),
}

runner = CliRunner()


def _write(tmp_path, answers):
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(answers), encoding="utf-8")
    return path


def _trial_plan_cli(tmp_path, q) -> bool:
    res = runner.invoke(app, ["trial", "plan", "--food", "dairy", "--condition", "acne", "--start", "2027-01-04",
                              "-o", str(tmp_path / "plan.json"), "--questionnaire", str(q), "--json"])
    assert res.exit_code in (0, GATE_CLOSED), res.output
    assert (tmp_path / "plan.json").exists() == (res.exit_code == 0), "a plan is written exactly when the gate is open"
    return res.exit_code == 0


def _report_cli(tmp_path, q) -> bool:
    out = tmp_path / "report.json"
    res = runner.invoke(app, ["report", str(EXAMPLE), "-q", str(q), "-o", str(out)])
    assert res.exit_code == 0, res.output
    return json.loads(out.read_text())["trial"]["gate_ok"]


def _insights_cli(tmp_path, q) -> bool:
    res = runner.invoke(app, ["insights", str(EXAMPLE), "-q", str(q), "--json", "--condition", "acne"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["gate"]["ok"]


def _engine(example_profile, resources, q) -> bool:
    return analyse(example_profile, resources, questionnaires=load_questionnaire(q))[0].gate.ok


@pytest.mark.slow
@pytest.mark.parametrize("persona", list(PERSONAS))
def test_every_entry_point_gives_the_same_gate_decision(persona, tmp_path, example_profile, resources):
    answers, expected = PERSONAS[persona]
    q = _write(tmp_path, answers)
    decisions = {"trial plan": _trial_plan_cli(tmp_path, q), "report": _report_cli(tmp_path, q),
                 "insights": _insights_cli(tmp_path, q), "analyse": _engine(example_profile, resources, q)}
    assert len(set(decisions.values())) == 1, f"{persona}: entry points disagree: {decisions}"
    if expected is not None:
        assert decisions["analyse"] is expected, f"{persona}: gate should be {'open' if expected else 'closed'}"


def test_batch_questionnaires_are_per_sample(resources):
    """In one batch each sample gets its own answers and therefore its own gate."""
    import gutskin
    from gutskin.knowledge.questionnaire import parse_questionnaire
    from tests.conftest import fixture

    profile = gutskin.read(fixture("metaphlan_merged/generated__metaphlan-3.0.14-merge__kefir_v31_3samples.txt"))
    child = parse_questionnaire(PERSONAS["child"][0])
    adult = parse_questionnaire(PERSONAS["adult_no_history"][0])
    a, b = profile.samples[:2]
    got = analyse(profile, resources, questionnaires={a: child, b: adult}, samples=[a, b])
    assert [x.sample for x in got] == [a, b]
    assert got[0].gate.ok is False and got[0].provenance.questionnaire_given
    assert got[1].gate.inputs != got[0].gate.inputs
