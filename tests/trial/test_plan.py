"""Plans: durations by condition, designs, queues, validation, files, the safety questionnaire."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from gutskin.errors import InputError
from gutskin.safety import elimination_gate
from gutskin.trial import defaults_for, load_plan, make_plan, save_plan
from gutskin.trial.defaults import CONDITIONS, MIN_PHASE_DAYS, SOURCES


def lengths(plan) -> list[int]:
    return [p.days for p in plan.phases]


@pytest.mark.parametrize(("condition", "expected"), [
    ("eczema", [14, 28, 14]), ("atopic_dermatitis", [14, 28, 14]), ("acne", [14, 42, 28]),
    ("psoriasis", [14, 42, 28]), ("rosacea", [14, 28, 14]), ("other", [14, 28, 14]),
])
def test_default_durations_by_condition(condition: str, expected: list[int]):
    plan = make_plan("dairy", condition, "2026-01-05")
    assert lengths(plan) == expected
    assert [p.kind for p in plan.phases] == ["baseline", "elimination", "reintroduction"]
    assert plan.phases[0].start == date(2026, 1, 5)
    # consecutive, inclusive dates
    for a, b in zip(plan.phases, plan.phases[1:], strict=False):
        assert b.start == a.end + timedelta(days=1)


def test_defaults_are_evidence_based_and_cited():
    for d in CONDITIONS.values():
        assert min(d.baseline_days, d.elimination_days, d.reintroduction_days) >= MIN_PHASE_DAYS
        assert d.sources and all(k in SOURCES for k in d.sources)
    # eczema: 4–6-week elimination; acne: weeks to months
    assert 28 <= defaults_for("eczema").elimination_days <= 42
    assert defaults_for("acne").elimination_days >= 42
    plan = make_plan("dairy", "eczema", "2026-01-05")
    assert any("[AD-elim]" in s for s in plan.sources) and any("[BSACI]" in s for s in plan.sources)
    assert plan.washout_days == 2 and plan.lag_max_days == 6


def test_abab_design_and_overrides():
    plan = make_plan("gluten", "acne", "2026-03-02", design="abab", baseline_days=21, elimination_days=35,
                     reintroduction_days=21, mid=1.5, outcome="itch", better="lower")
    assert [p.kind for p in plan.phases] == ["baseline", "elimination", "reintroduction", "elimination"]
    assert lengths(plan) == [21, 35, 21, 35]
    assert plan.phases[3].name == "elimination 2"
    assert plan.mid == 1.5 and plan.outcome == "itch" and plan.design == "ABAB"


def test_queue_runs_foods_one_after_another():
    plan = make_plan(["dairy", "eggs,wheat", "Dairy"], "eczema", "2026-01-05", gap_days=7)
    foods = [t.food for t in plan.trials()]
    assert foods == ["dairy", "eggs", "wheat"]  # de-duplicated, comma lists split
    trials = plan.trials()
    assert trials[1].start == trials[0].end + timedelta(days=8)
    assert trials[2].start == trials[1].end + timedelta(days=8)
    assert plan.trial("EGGS").food == "eggs"
    with pytest.raises(InputError, match="not in this plan"):
        plan.trial("soy")


@pytest.mark.parametrize("kwargs", [{"baseline_days": 6}, {"elimination_days": 3}, {"reintroduction_days": 5}])
def test_phases_shorter_than_a_week_are_refused(kwargs):
    with pytest.raises(InputError, match="too short") as err:
        make_plan("dairy", "eczema", "2026-01-05", **kwargs)
    assert err.value.field and err.value.field.startswith("--")


def test_elimination_beyond_the_safety_limit_is_refused_and_long_ones_flagged():
    with pytest.raises(InputError, match="dietitian") as err:
        make_plan("dairy", "eczema", "2026-01-05", elimination_days=70)
    assert err.value.field == "--elimination-days"
    plan = make_plan("dairy", "eczema", "2026-01-05", elimination_days=56)
    assert any("more than 2 weeks" in n and "never extend" in n for n in plan.notes)
    short = make_plan("dairy", "acne", "2026-01-05", elimination_days=14)
    assert not any("more than 2 weeks" in n for n in short.notes)


def test_bad_inputs_to_make_plan():
    with pytest.raises(InputError, match="unknown condition"):
        make_plan("dairy", "hives", "2026-01-05")
    with pytest.raises(InputError, match="ISO date"):
        make_plan("dairy", "eczema", "05/01/2026")
    with pytest.raises(InputError, match="ABA or ABAB"):
        make_plan("dairy", "eczema", "2026-01-05", design="AB")
    with pytest.raises(InputError, match="at least one food"):
        make_plan([" ", ","], "eczema", "2026-01-05")


def test_closed_gate_is_refused_and_cautions_recorded():
    closed = elimination_gate(age_group="child")
    with pytest.raises(InputError, match="clinician"):
        make_plan("dairy", "eczema", "2026-01-05", gate=closed)
    gate = elimination_gate(age_group="adult", immediate_reactions=False, ige_allergy=False, pregnant=False)
    plan = make_plan("dairy", "eczema", "2026-01-05", gate=gate)
    assert plan.safety["ok"] is True
    assert any("disordered eating was not answered" in c for c in plan.safety["cautions"])


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_save_and_load_round_trip(tmp_path: Path, suffix: str):
    plan = make_plan(["dairy", "eggs"], "acne", "2026-01-05")
    path = save_plan(plan, tmp_path / f"plan{suffix}")
    again = load_plan(path)
    assert again == plan


def test_minimal_plan_file_from_the_issue(tmp_path: Path):
    data = {"food": "dairy", "outcome": "skin_score", "better": "lower", "mid": 1.0, "phases": [
        {"name": "baseline", "kind": "baseline", "start": "2026-01-05", "end": "2026-01-18"},
        {"kind": "elimination", "start": "2026-01-19", "end": "2026-02-15"},
        {"kind": "reintroduction", "start": "2026-02-16", "end": "2026-03-01"}]}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    plan = load_plan(path)
    assert plan.phases[1].name == "elimination"
    assert plan.condition == "other" and plan.effective_washout == 2 and plan.effective_lag_max == 6
    assert plan.scale == (0.0, 10.0)


@pytest.mark.parametrize(("change", "message", "field"), [
    ({"mid": 0}, "greater than 0", "mid"),
    ({"better": "smaller"}, "lower", "better"),
    ({"phses": []}, "Extra inputs", "phses"),
    ({"phases": [{"kind": "baseline", "start": "2026-01-05", "end": "2026-01-18"},
                 {"kind": "elimination", "start": "2026-01-18", "end": "2026-02-15"}]}, "overlaps", "phases"),
    ({"phases": [{"kind": "baseline", "start": "2026-01-05", "end": "2026-01-18"},
                 {"kind": "elimination", "start": "2026-01-21", "end": "2026-02-15"}]}, "gap", "phases"),
    ({"phases": [{"kind": "baseline", "start": "2026-01-05", "end": "2026-01-18"},
                 {"kind": "reintroduction", "start": "2026-01-19", "end": "2026-02-15"}]}, "elimination phase",
     "phases"),
    ({"phases": [{"kind": "baseline", "start": "2026-01-05", "end": "2026-01-01"},
                 {"kind": "elimination", "start": "2026-01-02", "end": "2026-02-15"}]}, "before it starts",
     "phases.0"),
    ({"condition": "hives"}, "unknown condition", "condition"),
])
def test_invalid_plans_name_the_field(tmp_path: Path, change: dict, message: str, field: str):
    data = {"food": "dairy", "phases": [
        {"kind": "baseline", "start": "2026-01-05", "end": "2026-01-18"},
        {"kind": "elimination", "start": "2026-01-19", "end": "2026-02-15"}]}
    data.update(change)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=message) as err:
        load_plan(path)
    assert err.value.path == str(path)
    assert err.value.field is not None and err.value.field.startswith(field)


def test_unreadable_plan_files(tmp_path: Path):
    bad = tmp_path / "plan.json"
    bad.write_text('{"food": "dairy",\n "phases": [}')
    with pytest.raises(InputError, match="not valid JSON") as err:
        load_plan(bad)
    assert err.value.line == 2
    lst = tmp_path / "plan.yaml"
    lst.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="object"):
        load_plan(lst)
    with pytest.raises(InputError, match="file not found"):
        load_plan(tmp_path / "missing.json")


def test_trial_defaults_are_keyed_by_knowledge_base_condition_ids():
    from gutskin.knowledge import load_kb
    from gutskin.trial.defaults import CONDITIONS, normalise_condition

    kb_ids = set(load_kb().conditions_by_id)
    assert set(CONDITIONS) <= kb_ids | {"other"}
    assert {"atopic_dermatitis", "acne", "psoriasis", "rosacea"} <= set(CONDITIONS)
    assert normalise_condition("eczema") == "atopic_dermatitis"
    assert make_plan("dairy", "eczema", "2026-01-05").condition == "atopic_dermatitis"
    for cid in kb_ids:  # every condition a questionnaire can name has a schedule
        assert defaults_for(cid).condition == cid


def test_diary_template_asks_only_what_the_analysis_uses():
    from gutskin.trial import template_csv

    header = next(line for line in template_csv(make_plan("dairy", "acne", "2026-01-05")).splitlines()
                  if not line.startswith("#"))
    cols = header.split(",")
    assert "sleep_hours" not in cols and "cycle_day" not in cols
    assert {"stress", "new_skincare", "adhered"} <= set(cols)
