"""Back from FHIR: the diary CSV and questionnaire YAML come back exactly; the trial analysis is the same."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from gutskin.cli import main
from gutskin.export import export_fhir, forms
from gutskin.export.fhir_import import diaries_of, diary_csv, import_bundle, questionnaire_of
from gutskin.export.validate import check_bundle
from gutskin.knowledge.questionnaire import load_questionnaire, parse_questionnaire
from gutskin.trial import analyze, load_diary, load_plan
from gutskin.trial.simulate import write_diary

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "SRR1761667_metaphlan.txt"
QUESTIONNAIRE = ROOT / "examples" / "questionnaire.yaml"
PLAN = ROOT / "examples" / "trial" / "dairy-eczema-plan.json"
DIARY = ROOT / "examples" / "trial" / "dairy-eczema-diary.csv"


@pytest.fixture(scope="module")
def bundle_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fhir") / "bundle.json"
    bundle = export_fhir(EXAMPLE, questionnaire=QUESTIONNAIRE, trial=(PLAN, DIARY), issued="2026-03-02T09:00:00Z",
                         pdf=False)
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def _run(argv: list[str], capsys) -> tuple[int, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def test_import_recreates_diary_and_questionnaire_exactly(bundle_file, tmp_path, capsys):
    code, err = _run(["import", "--fhir", str(bundle_file), "-o", str(tmp_path)], capsys)
    assert code == 0, err
    # the shipped diary was written by gutskin (trial simulate), so it comes back byte for byte
    assert (tmp_path / "diary.csv").read_bytes() == DIARY.read_bytes()
    expected = forms.questionnaire_yaml(load_questionnaire(QUESTIONNAIRE))
    assert (tmp_path / "questionnaire.yaml").read_text(encoding="utf-8") == expected
    assert load_questionnaire(tmp_path / "questionnaire.yaml") == load_questionnaire(QUESTIONNAIRE)


def test_diary_from_fhir_gives_the_same_trial_analysis(bundle_file, tmp_path):
    import_bundle(bundle_file, tmp_path)
    plan = load_plan(PLAN)
    from_csv = analyze(plan, load_diary(DIARY, plan))
    from_fhir = analyze(plan, load_diary(tmp_path / "diary.csv", plan))
    assert from_csv.keys() == from_fhir.keys()
    for key, value in from_csv.items():
        if isinstance(value, float) and not math.isnan(value):
            assert from_fhir[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
        else:
            assert from_fhir[key] == value, key
    assert from_fhir["verdict"] == from_csv["verdict"]


def test_questionnaire_with_every_kind_of_answer_round_trips():
    q = parse_questionnaire({
        "about_you": {"age_group": "child", "age_years": 9.5, "sex": "prefer_not_to_say"},
        "skin": {"conditions": [{"condition": "atopic_dermatitis", "severity": "severe", "current_treatments": []},
                                {"condition": "other", "other_name": "lichen planus"}]},
        "allergies": {"past_reactions": [{"food": "peanut", "timing": "immediate", "anaphylaxis": True,
                                          "symptoms": ["hives", "wheeze"], "year": 2019}],
                      "food_allergies": ["peanut"], "eating_disorder_history": False},
        "diet": {"dairy_types": ["milk_whole", "kefir"], "plant_types_per_week": 0},
        "gut": {"bristol_stool_type": 4, "digestive_symptoms": []},
    })
    qr = forms.questionnaire_response(q, "x", "urn:uuid:00000000-0000-0000-0000-000000000001", "2026-01-01")
    assert forms.questionnaire_from_response(qr) == q
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": forms.questionnaire_resource("a")}, {"resource": qr}]}
    assert forms.questionnaire_yaml(questionnaire_of(bundle)) == forms.questionnaire_yaml(q)


def test_a_poem_column_is_coded_with_loinc_and_comes_back(tmp_path):
    plan = load_plan(PLAN)
    frame = load_diary(DIARY, plan).frame.copy()
    # a weekly POEM total (0-28) recorded on Mondays, from the same rows' skin scores
    frame["poem"] = [round(s * 2.8) if d.weekday() == 0 and s == s else float("nan")
                     for d, s in zip(frame["date"], frame["skin_score"], strict=True)]
    path = tmp_path / "with-poem.csv"
    write_diary(frame, path)
    diary = load_diary(path, plan)
    form = forms.diary_questionnaire(diary, "d1", plan.food)
    poem = next(i for i in form["item"] if i["linkId"] == "poem")
    assert poem["code"][0] == {"system": "http://loinc.org", "code": "89870-0", "display": "Total score [POEM]"}
    assert poem["extension"][0]["url"].endswith("sdc-questionnaire-observationExtract")
    responses = [forms.diary_day_response(form, row, f"r{i}", "urn:uuid:p", "urn:uuid:c")
                 for i, row in enumerate(diary.frame.to_dict("records"))]
    back = forms.diary_frame_from_responses(form, responses)
    assert diary_csv(back, []) == path.read_text(encoding="utf-8")


def test_export_cli_writes_a_valid_bundle_that_imports(tmp_path, capsys):
    out = tmp_path / "bundle.json"
    code, err = _run(["export", "--fhir", str(EXAMPLE), "-q", str(QUESTIONNAIRE), "--trial", str(PLAN), str(DIARY),
                      "--no-pdf", "-o", str(out)], capsys)
    assert code == 0, err
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert check_bundle(bundle) == []
    (_form, frame, comments), = diaries_of(bundle)
    assert comments == [DIARY.read_text(encoding="utf-8").splitlines()[0][2:]]
    pd.testing.assert_frame_equal(frame, load_diary(DIARY).frame, check_dtype=False)


@pytest.mark.slow
def test_export_with_pdf_carries_both_report_forms(tmp_path, capsys):
    import base64

    out = tmp_path / "bundle.json"
    code, err = _run(["export", "--fhir", str(EXAMPLE), "-o", str(out)], capsys)
    assert code == 0, err
    bundle = json.loads(out.read_text(encoding="utf-8"))
    report = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DiagnosticReport")
    kinds = {f["contentType"]: base64.b64decode(f["data"]) for f in report["presentedForm"]}
    assert kinds["application/pdf"].startswith(b"%PDF")
    assert b"<html" in kinds["text/html"].lower()
    assert check_bundle(bundle) == []


@pytest.mark.parametrize("content, words", [
    ("not json", "not valid JSON"),
    ('{"resourceType": "Patient"}', "expected a FHIR Bundle"),
    ('{"resourceType": "Bundle", "type": "collection", "entry": []}', "no gutskin questionnaire response"),
])
def test_bad_bundles_get_one_line_and_exit_2(tmp_path, capsys, content, words):
    path = tmp_path / "in.json"
    path.write_text(content, encoding="utf-8")
    code, err = _run(["import", "--fhir", str(path), "-o", str(tmp_path)], capsys)
    assert code == 2
    assert words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_output_folder_is_refused(bundle_file, tmp_path, capsys):
    code, err = _run(["import", "--fhir", str(bundle_file), "-o", str(tmp_path / "nope")], capsys)
    assert code == 2 and "output folder does not exist" in err


def test_the_shipped_example_bundle_is_valid_and_imports(tmp_path):
    """examples/fhir/bundle.json (scripts/write_fhir_example.py) validates and gives back the example diary."""
    path = ROOT / "examples" / "fhir" / "bundle.json"
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert check_bundle(bundle) == []
    import_bundle(path, tmp_path)
    assert (tmp_path / "diary.csv").read_bytes() == DIARY.read_bytes()
    # the trimmed copy in docs/fhir.md shows resources of this very file
    import re

    shown = set(re.findall(r"urn:uuid:[0-9a-f-]{36}", (ROOT / "docs" / "fhir.md").read_text(encoding="utf-8")))
    assert shown and shown <= {e["fullUrl"] for e in bundle["entry"]}


# ------------------------------------------------------------------------------------------ property: any answers
def _answers_strategy():
    """Random questionnaire answers drawn from the questionnaire model itself (types, choices and bounds)."""
    import typing

    import annotated_types
    from hypothesis import strategies as st
    from pydantic import BaseModel

    from gutskin.knowledge.questionnaire import Questionnaire

    def for_annotation(ann, metadata=()):
        origin = typing.get_origin(ann)
        if origin in (typing.Union, __import__("types").UnionType):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            return for_annotation(args[0], metadata)
        if origin is typing.Annotated:
            base, *meta = typing.get_args(ann)
            flat = [x for m in meta for x in (getattr(m, "metadata", None) or [m])]  # Field(ge=…) inside Annotated
            return for_annotation(base, [*metadata, *flat])
        if origin is list:
            return st.lists(for_annotation(typing.get_args(ann)[0]), max_size=3)
        if origin is typing.Literal:
            return st.sampled_from(typing.get_args(ann))
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            return model(ann)
        lo = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), 0)
        hi = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), 100)
        if ann is bool:
            return st.booleans()
        if ann is int:
            return st.integers(int(lo), int(hi))
        if ann is float:
            return st.floats(float(lo), float(hi), allow_nan=False, allow_infinity=False)
        return st.text(alphabet="abcdefghijklmnopqrstuvwxyz éü-'", min_size=1, max_size=12).map(str.strip).filter(bool)

    def model(cls):
        fields = {n: f for n, f in cls.model_fields.items() if n != "schema_version"}
        parts = {n: for_annotation(f.annotation, f.metadata) for n, f in fields.items()}
        required = {n: s for n, s in parts.items() if fields[n].is_required()}
        return st.fixed_dictionaries(required, optional={n: s for n, s in parts.items() if n not in required})

    return model(Questionnaire)


@pytest.mark.slow
def test_any_questionnaire_round_trips_through_fhir():
    from hypothesis import HealthCheck, assume, given, settings

    from gutskin.errors import InputError

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.filter_too_much])
    @given(_answers_strategy())
    def check(data):
        try:  # answers the model refuses as a whole (e.g. a BMI it derives out of range) are no questionnaire
            q = parse_questionnaire(data)
        except InputError:
            assume(False)
        qr = forms.questionnaire_response(q, "x", "urn:uuid:00000000-0000-0000-0000-000000000001", "2026-01-01")
        back = forms.questionnaire_from_response(qr)
        assert back.model_dump() == q.model_dump()
        assert forms.questionnaire_yaml(back) == forms.questionnaire_yaml(q)

    check()


def test_a_foreign_shaped_response_is_one_line_not_a_crash(tmp_path, capsys):
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "QuestionnaireResponse", "status": "completed",
                      "questionnaire": forms.QUESTIONNAIRE_URL + "|1.0",
                      "item": [{"linkId": "about_you", "item": [{"linkId": "about_you.age_group",
                                                                 "answer": [{"valueInteger": 3}]}]}]}}]}
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    code, err = _run(["import", "--fhir", str(path), "-o", str(tmp_path)], capsys)
    assert code == 2 and str(path) in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "questionnaire.yaml").exists()
