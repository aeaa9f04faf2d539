"""The ``gutskin trial`` commands, run as a user would (subprocess for exit codes, CliRunner for output)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gutskin.cli import app
from tests.cli_runner import run_gutskin

ROOT = Path(__file__).resolve().parents[2]
GUTSKIN = ROOT / ".venv" / "bin" / "gutskin"


def run(*args: str) -> subprocess.CompletedProcess:
    """In-process through the real entry point (tests/cli_runner.py says why)."""
    return run_gutskin(*args)


def run_process(*args: str) -> subprocess.CompletedProcess:
    """As a user runs it: the installed console script in its own process."""
    cmd = [str(GUTSKIN)] if GUTSKIN.exists() else [sys.executable, "-m", "gutskin.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120)


def test_plan_writes_plan_calendar_and_template(tmp_path: Path):
    out = tmp_path / "plan.json"
    res = run("trial", "plan", "--food", "dairy", "--food", "eggs", "--condition", "eczema", "--start",
              "2026-01-05", "--age-group", "adult", "--no-immediate-reactions", "--no-ige-allergy", "-o", str(out),
              "--ics", str(tmp_path / "t.ics"), "--diary-template", str(tmp_path / "diary.csv"), "--json")
    assert res.returncode == 0, res.stderr
    payload = json.loads(res.stdout)
    assert payload["food"] == "dairy" and payload["queue"][0]["food"] == "eggs"
    assert payload["safety"]["ok"] is True
    plan = json.loads(out.read_text())
    assert [p["kind"] for p in plan["phases"]] == ["baseline", "elimination", "reintroduction"]
    assert (tmp_path / "t.ics").read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert "2026-01-05,dairy: baseline" in (tmp_path / "diary.csv").read_text()


@pytest.mark.parametrize("args", [
    ["--age-group", "child"],
    ["--immediate-reactions"],
    ["--ige-allergy"],
    ["--anaphylaxis"],
    [],  # no age given: the gate closes
    ["--age-group", "adult", "--pregnant"],
    ["--age", "30", "--breastfeeding"],
    ["--age", "30", "--eating-disorder-history"],
])
def test_closed_gate_exits_3_and_writes_nothing(tmp_path: Path, args: list[str]):
    out = tmp_path / "plan.json"
    res = run("trial", "plan", "--food", "dairy", "--condition", "eczema", "--start", "2026-01-05", "-o", str(out),
              *args)
    assert res.returncode == 3
    assert "clinician" in res.stdout and not out.exists()


def test_questionnaire_feeds_the_gate_and_options_override_it(tmp_path: Path):
    q = tmp_path / "answers.yaml"
    q.write_text("about_you:\n  age_group: adult\nallergies:\n  diagnosed_ige_food_allergy: yes\n")
    out = tmp_path / "plan.json"
    base = ["trial", "plan", "--food", "dairy", "--condition", "acne", "--start", "2026-01-05", "-o", str(out),
            "--questionnaire", str(q), "--json"]
    res = run(*base)
    assert res.returncode == 3 and json.loads(res.stdout)["ok"] is False
    res = run(*base, "--no-ige-allergy")
    assert res.returncode == 0 and out.exists()


def test_bad_diary_exits_2_with_one_line(tmp_path: Path):
    plan = tmp_path / "plan.json"
    assert run("trial", "plan", "--food", "dairy", "--condition", "eczema", "--start", "2026-01-05",
               "--age", "30", "-o", str(plan)).returncode == 0
    diary = tmp_path / "diary.csv"
    diary.write_text("date,skin_score\n2026-01-05,4\n2026-01-06,14\n")
    res = run_process("trial", "analyze", "--plan", str(plan), str(diary))  # the console script's own process
    assert res.returncode == 2
    err = res.stderr.strip()
    assert "\n" not in err and err.startswith("gutskin: error:")
    assert f"{diary}:3" in err and "skin_score" in err
    res = run("trial", "plan", "--food", "dairy", "--condition", "eczema", "--start", "next monday", "--age", "30",
              "-o", str(tmp_path / "x.json"))
    assert res.returncode == 2 and "--start" in res.stderr


def test_simulate_and_analyze_json(tmp_path: Path):
    plan = tmp_path / "plan.json"
    assert run("trial", "plan", "--food", "dairy", "--condition", "eczema", "--start", "2026-01-05",
               "--age", "30", "-o", str(plan)).returncode == 0
    diary = tmp_path / "diary.csv"
    assert run("trial", "simulate", "--plan", str(plan), "-o", str(diary), "--effect", "3", "--phi", "0.3",
               "--seed", "1").returncode == 0
    assert diary.read_text().startswith("# Simulated by gutskin")
    svg = tmp_path / "chart.svg"
    res = run("trial", "analyze", "--plan", str(plan), str(diary), "--json", "--cent", "--svg", str(svg))
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["verdict"] == "trigger" and "cent" in result and result["cent"]["design"]["sequence"] == "ABA"
    assert svg.read_text().startswith("<svg")


def test_human_output_with_clirunner(tmp_path: Path):
    runner = CliRunner()
    plan = tmp_path / "plan.yaml"
    res = runner.invoke(app, ["trial", "plan", "--food", "gluten", "--condition", "acne", "--start", "2026-02-02",
                              "--age-group", "adult", "-o", str(plan), "--design", "ABAB"])
    assert res.exit_code == 0, res.output
    assert "elimination 2" in res.output and "[ACNE-LGL-SMITH]" in res.output
    diary = tmp_path / "d.csv"
    res = runner.invoke(app, ["trial", "simulate", "--plan", str(plan), "-o", str(diary), "--seed", "2"])
    assert res.exit_code == 0
    res = runner.invoke(app, ["trial", "analyze", "--plan", str(plan), str(diary)])
    assert res.exit_code == 0, res.output
    assert "gluten" in res.output and "next:" in res.output
    assert runner.invoke(app, ["trial", "calendar", "--plan", str(plan), "-o", str(tmp_path / "c.ics")]).exit_code == 0
    assert runner.invoke(app, ["trial", "template", "--plan", str(plan), "-o", str(tmp_path / "t.csv")]).exit_code == 0


def test_full_questionnaire_with_past_anaphylaxis_closes_the_gate_in_trial_plan(tmp_path: Path):
    """Issue 10, defect 1: trial plan reads the questionnaire through Questionnaire.gate_inputs like every face."""
    q = tmp_path / "questionnaire.yaml"
    q.write_text("about_you:\n  age_years: 35\nallergies:\n  past_reactions:\n"
                 "    - {food: peanut, timing: immediate, anaphylaxis: true}\n")
    out = tmp_path / "plan.json"
    res = CliRunner().invoke(app, ["trial", "plan", "--food", "dairy", "--condition", "acne", "--start",
                                   "2026-01-05", "--questionnaire", str(q), "-o", str(out), "--json"])
    assert res.exit_code == 3, res.output
    payload = json.loads(res.output)
    assert payload["ok"] is False and any("anaphylaxis" in r for r in payload["reasons"])
    assert not out.exists()
    flat = tmp_path / "flat.yaml"  # the old flat format is refused with one clear line, not read differently
    flat.write_text("age_group: adult\nanaphylaxis: true\n")
    res = CliRunner().invoke(app, ["trial", "plan", "--food", "dairy", "--condition", "acne", "--start",
                                   "2026-01-05", "--questionnaire", str(flat), "-o", str(out)])
    # (in-process the InputError surfaces as the exception; the console entry point turns it into exit status 2)
    assert type(res.exception).__name__ == "InputError" and "unknown key 'age_group'" in str(res.exception)
    assert not out.exists()
