"""`gutskin kb ...` as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from gutskin.cli import app
from tests.cli_runner import run_gutskin

from .conftest import edit_yaml, row


def run(*args: str | Path):
    """In-process run (fast); output in .stdout / .stderr, exit code in .returncode."""
    result = CliRunner().invoke(app, ["kb", *map(str, args)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    result.returncode = result.exit_code
    return result


def run_process(*args: str | Path) -> subprocess.CompletedProcess:
    """As a user runs it, through the real entry point (error formatting lives there)."""
    return subprocess.run([sys.executable, "-m", "gutskin", "kb", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_list_json_filters_by_condition_and_grade():
    proc = run("list", "--condition", "eczema", "--grade", "B", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["kb_version"] and data["count"] == len(data["associations"]) > 0
    for a in data["associations"]:
        assert a["condition"] == "atopic_dermatitis" and a["grade"] == "B"
        assert a["citation"]["authors"] and a["design"] and a["size"]
        assert "conflict" in a["feature_x_condition"]


def test_list_conflicts_table():
    proc = run("list", "--condition", "psoriasis", "--conflicts")
    assert proc.returncode == 0, proc.stderr
    assert "pso-gut-bacteroidetes-wang2022" in proc.stdout and "conflict" in proc.stdout
    assert "pso-gut-blautia-deicas2020" not in proc.stdout


def test_show_association_feature_rule_and_study():
    proc = run("show", "ad-gut-a-muciniphila-sasaki2022")
    assert proc.returncode == 0, proc.stderr
    assert "Sasaki M et al." in proc.stdout and "CONFLICT" in proc.stdout
    data = json.loads(run("show", "Mediterraneibacter gnavus", "--json").stdout)
    assert data["type"] == "feature" and data["id"] == "taxon-ruminococcus-gnavus"
    assert set(data["conditions"]) >= {"atopic_dermatitis", "hidradenitis_suppurativa"}
    data = json.loads(run("show", "rec-acne-dairy-trial", "--json").stdout)
    assert data["type"] == "rule" and data["derived_grade"]["grade"] == "A" and data["grade"] == "B"
    data = json.loads(run("show", "PSO-DEICAS20", "--json").stdout)
    assert data["type"] == "study" and "pso-gut-faecalibacterium-deicas2020" in data["association_rows"]


def test_grades_features_rules_info_and_schema():
    data = json.loads(run("grades", "--conflicts", "--json").stdout)
    assert data["grades"] and all(g["conflict"] for g in data["grades"]) and "meta-analysis" in data["rubric"]
    feats = json.loads(run("features", "--kind", "guild", "--json").stdout)
    assert feats and all(f["kind"] == "guild" for f in feats)
    rules = json.loads(run("rules", "--condition", "rosacea", "--json").stdout)
    assert {"rec-ros-breath-test", "rec-plant-variety"} <= {r["id"] for r in rules}
    info = json.loads(run("info", "--json").stdout)
    assert info["counts"]["associations"] > 100
    assert json.loads(run("questionnaire-schema").stdout)["title"] == "gutskin questionnaire"


def test_validate_shipped_and_broken(kb_copy):
    ok = run("validate")
    assert ok.returncode == 0 and "is valid" in ok.stdout
    path = kb_copy / "associations" / "rosacea.yaml"
    edit_yaml(path, lambda d: row(d, "associations", "ros-hpylori-gao2024").pop("grade"))
    bad = run_process("validate", kb_copy)
    assert bad.returncode == 2
    assert "ros-hpylori-gao2024" in bad.stderr and "field 'grade'" in bad.stderr and "Traceback" not in bad.stderr


def test_bad_input_is_one_line_exit_2():
    for args, needle in ((("show", "no-such-id"), "no-such-id"), (("list", "--condition", "lupus"), "lupus"),
                         (("list", "--grade", "Z"), "grade")):
        proc = run_gutskin("kb", *args)  # the real entry point in-process; test_validate_... spawns a process
        assert proc.returncode == 2, proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr


def test_grade_changes_lists_the_rubric_changes_since_0_1_0():
    from typer.testing import CliRunner

    from gutskin.cli import app

    snap = Path(__file__).resolve().parents[2] / "docs" / "kb-grades-0.1.0.json"
    res = CliRunner().invoke(app, ["kb", "grade-changes", "--since", str(snap)])
    assert res.exit_code == 0, res.output
    assert "| rosacea | small intestinal bacterial overgrowth (SIBO) | A ↑ | B ↑ |" in res.output
    assert "| acne | Bifidobacterium | B ↓ | C ↓ |" in res.output
