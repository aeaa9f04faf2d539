"""Questionnaires, plans and diaries: YAML/JSON bombs, nesting, oversize text and absurd plans are refused
with one line naming the file (issue 13), built from the shipped example files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gutskin.errors import InputError
from gutskin.io import load_document, parse_document
from gutskin.knowledge.questionnaire import load_questionnaire
from gutskin.trial.diary import load_diary
from gutskin.trial.plan import load_plan

ROOT = Path(__file__).resolve().parents[2]
QUESTIONNAIRE = ROOT / "examples" / "questionnaire.yaml"
PLAN = ROOT / "examples" / "trial" / "dairy-eczema-plan.json"
DIARY = ROOT / "examples" / "trial" / "dairy-eczema-diary.csv"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    out = tmp_path / name
    out.write_text(text, encoding="utf-8")
    return out


def test_the_examples_load():
    load_questionnaire(QUESTIONNAIRE)
    plan = load_plan(PLAN)
    assert len(load_diary(DIARY, plan)) > 0


def test_billion_laughs_in_a_questionnaire_is_refused(tmp_path):
    bomb = ("lol: &a [x, x, x, x, x, x, x, x, x, x]\nlol2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "lol3: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n")
    path = _write(tmp_path, "q.yaml", QUESTIONNAIRE.read_text() + bomb)
    with pytest.raises(InputError, match="aliases") as err:
        load_questionnaire(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("depth", [40, 5_000, 100_000])
def test_deeply_nested_questionnaire_yaml_and_json_are_refused(tmp_path, depth):
    path = _write(tmp_path, "q.yaml", QUESTIONNAIRE.read_text() + "extra: " + "[" * depth + "]" * depth + "\n")
    with pytest.raises(InputError, match="nested deeper"):
        load_questionnaire(path)
    doc = json.loads(PLAN.read_text())
    text = json.dumps(doc)[:-1] + ', "notes": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(InputError, match="nested"):
        load_plan(_write(tmp_path, "p.json", text))


def test_a_megabyte_food_name_or_note_is_refused_quickly(tmp_path):
    doc = json.loads(PLAN.read_text())
    doc["food"] = "cheese " * 200_000
    with pytest.raises(InputError, match="food"):
        load_plan(_write(tmp_path, "p.json", json.dumps(doc)))
    big = QUESTIONNAIRE.read_text().replace("sex: female", "sex: " + "x" * 2_000_000)
    with pytest.raises(InputError, match="10,000 characters"):
        load_questionnaire(_write(tmp_path, "q.yaml", big))


def test_rich_markup_in_a_food_name_is_kept_as_text():
    doc = json.loads(PLAN.read_text())
    doc["food"] = "[/bold] milk [red]"
    assert load_plan(doc).food == "[/bold] milk [red]"


@pytest.mark.parametrize("end", ["9999-12-31", "2031-01-01"])
def test_a_plan_longer_than_two_years_or_ending_in_year_9999_is_refused(tmp_path, end):
    doc = json.loads(PLAN.read_text())
    doc["phases"][-1]["end"] = end
    with pytest.raises(InputError) as err:
        load_plan(_write(tmp_path, "p.json", json.dumps(doc)))
    assert str(tmp_path) in str(err.value) and "\n" not in str(err.value)


def test_documents_over_the_size_limit_are_refused(tmp_path):
    path = _write(tmp_path, "big.yaml", "a: 1\n" * 300_000)
    with pytest.raises(InputError, match="at most"):
        load_document(path)


def test_parse_document_keeps_ordinary_values():
    assert parse_document("a: [1, {b: [2]}]\nc: text") == {"a": [1, {"b": [2]}], "c": "text"}
    assert parse_document('{"a": [1, 2]}') == {"a": [1, 2]}


def test_diary_unclosed_quote_names_its_line(tmp_path):
    lines = DIARY.read_text().split("\n")
    header_at = next(i for i, ln in enumerate(lines) if ln.startswith("date"))
    target = header_at + 7
    cells = lines[header_at].count(",")  # the last cell (notes) opens a quote that is never closed
    lines[target] = ",".join(lines[target].split(",")[: cells]) + ',"forgot to close'
    with pytest.raises(InputError, match="quote") as err:
        load_diary(_write(tmp_path, "d.csv", "\n".join(lines)), load_plan(PLAN))
    assert err.value.line == target + 1


def test_diary_with_a_five_megabyte_cell_is_refused(tmp_path):
    lines = DIARY.read_text().split("\n")
    header_at = next(i for i, ln in enumerate(lines) if ln.startswith("date"))
    lines[header_at + 2] = lines[header_at + 2] + "x" * 5_000_000
    with pytest.raises(InputError) as err:
        load_diary(_write(tmp_path, "d.csv", "\n".join(lines)), load_plan(PLAN))
    assert err.value.line == header_at + 3
