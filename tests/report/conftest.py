"""Fixtures for the report tests: the shipped example, built once per session."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import pytest

import gutskin
from gutskin.report import build_report, render_html

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "SRR1761667_metaphlan.txt"
QUESTIONNAIRE = ROOT / "examples" / "questionnaire.yaml"


@pytest.fixture(scope="session")
def example_profile():
    return gutskin.read(EXAMPLE)


@pytest.fixture(scope="session")
def questionnaire_path() -> Path | None:
    return QUESTIONNAIRE if QUESTIONNAIRE.exists() else None


@pytest.fixture(scope="session")
def example_answers(questionnaire_path):
    from gutskin.knowledge.questionnaire import load_questionnaire

    return load_questionnaire(questionnaire_path) if questionnaire_path is not None else None


@pytest.fixture(scope="session")
def example_report(example_profile, example_answers):
    return build_report(example_profile, questionnaire=example_answers)


def load_trial(files: tuple[Path, Path]):
    """(plan, diary) loaded as a face would before calling the engine."""
    from gutskin.trial import load_diary, load_plan

    plan = load_plan(files[0])
    return plan, load_diary(files[1], plan)


def infant_answers():
    """An infant's answers: no shipped shotgun reference describes infants, so the engine refuses to compare."""
    from gutskin.knowledge.questionnaire import parse_questionnaire

    return parse_questionnaire({"about_you": {"age_group": "infant"}})


@pytest.fixture(scope="session")
def example_html(example_report) -> str:
    return render_html(example_report)


@pytest.fixture(scope="session")
def trial_files(tmp_path_factory) -> tuple[Path, Path]:
    """A dairy trial plan (acne defaults) and a complete diary in which dairy clearly worsens the skin."""
    from gutskin.trial.plan import make_plan, save_plan

    folder = tmp_path_factory.mktemp("trial")
    plan = make_plan("dairy", "acne", "2026-01-05")
    plan_path = folder / "plan.yaml"
    save_plan(plan, plan_path)
    rows = ["date,skin_score,adhered"]
    day = plan.phases[0].start
    k = 0
    while day <= plan.phases[-1].end:
        eating = plan.phase_on(day).kind != "elimination"
        score = (6.0 if eating else 3.0) + 0.8 * math.sin(k * 1.7)
        rows.append(f"{day.isoformat()},{score:.1f},1")
        day += timedelta(days=1)
        k += 1
    diary_path = folder / "diary.csv"
    diary_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert isinstance(plan.phases[0].start, date)
    return plan_path, diary_path
