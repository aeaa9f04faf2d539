"""The JSON output follows the published, versioned schema in docs/report-schema.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gutskin.report import Report, render_json
from gutskin.report.model import SCHEMA_VERSION, json_schema

from .jsonschema_lite import problems

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "docs" / "report-schema.json"


def test_published_schema_is_current():
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert published == json_schema(), "docs/report-schema.json is out of date: run scripts/write_report_schema.py"


def test_schema_script_check_mode_agrees():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "write_report_schema.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_example_json_validates_against_the_published_schema(example_report):
    data = json.loads(render_json(example_report))
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert problems(data, schema) == []
    assert data["schema_version"] == SCHEMA_VERSION
    # this version is written; older minor versions (stored reports) still read
    assert SCHEMA_VERSION in schema["properties"]["schema_version"]["enum"]
    assert json_schema()["$id"].endswith(f"/{SCHEMA_VERSION}/report-schema.json")


def test_json_round_trips_through_the_model(example_report):
    text = render_json(example_report)
    again = Report.model_validate_json(text)
    assert again == example_report
    assert "NaN" not in text and "Infinity" not in text


def test_schema_checker_catches_wrong_documents(example_report):
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    data = json.loads(render_json(example_report))
    data["diversity"]["metrics"][0]["value"] = "high"
    data["summary"]["surprise"] = 1
    del data["methods"]["input_file"]
    found = problems(data, schema)
    assert any("diversity.metrics[0].value" in p for p in found)
    assert any("unexpected property 'surprise'" in p for p in found)
    assert any("missing required 'input_file'" in p for p in found)
