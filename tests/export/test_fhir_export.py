"""The FHIR R4 Bundle of the shipped example: valid resources, sound structure, honest codes and numbers."""

from __future__ import annotations

import base64
import copy
import json
import re
import typing
from pathlib import Path

import pandas as pd
import pytest
from pydantic import BaseModel

import gutskin
from gutskin.export import codes, export_fhir, forms
from gutskin.export.validate import model_errors, structural_errors
from gutskin.knowledge import questionnaire as qmod

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "SRR1761667_metaphlan.txt"
QUESTIONNAIRE = ROOT / "examples" / "questionnaire.yaml"
PLAN = ROOT / "examples" / "trial" / "dairy-eczema-plan.json"
DIARY = ROOT / "examples" / "trial" / "dairy-eczema-diary.csv"


@pytest.fixture(scope="module")
def bundle() -> dict:
    return export_fhir(EXAMPLE, questionnaire=QUESTIONNAIRE, trial=(PLAN, DIARY), issued="2026-03-02T09:00:00Z",
                       pdf=False)


@pytest.fixture(scope="module")
def shipped() -> dict:
    """examples/fhir/bundle.json: a valid Bundle to damage (independent of the live export)."""
    return json.loads((ROOT / "examples" / "fhir" / "bundle.json").read_text(encoding="utf-8"))


def _resources(bundle: dict, rtype: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def _by_url(bundle: dict) -> dict[str, dict]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def _code(resource: dict) -> str:
    return resource["code"]["coding"][0]["code"]


def _codings(obj, out):
    if isinstance(obj, dict):
        if "system" in obj and "code" in obj and "value" not in obj:
            out.append((obj["system"], str(obj["code"])))
        for v in obj.values():
            _codings(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _codings(v, out)
    return out


# ------------------------------------------------------------------------------------------ validity
def test_every_resource_validates_with_the_r4b_models(bundle):
    assert model_errors(bundle) == []
    types = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"DiagnosticReport", "Observation", "Questionnaire", "QuestionnaireResponse", "CarePlan", "CodeSystem",
            "Device", "Condition", "Specimen", "Patient"} <= types


@pytest.mark.parametrize("damage", ["unknown_element", "missing_status", "wrong_type"])
def test_the_model_check_bites(shipped, damage):
    broken = copy.deepcopy(shipped)
    obs = next(e["resource"] for e in broken["entry"] if e["resource"]["resourceType"] == "Observation"
               and "valueQuantity" in e["resource"])
    if damage == "unknown_element":
        obs["colour"] = "blue"
    elif damage == "missing_status":
        del obs["status"]
    else:
        obs["valueQuantity"]["value"] = "many"
    assert any("Observation" in p for p in model_errors(broken))


def test_status_codes_are_checked(shipped):
    broken = copy.deepcopy(shipped)
    obs = next(e["resource"] for e in broken["entry"] if e["resource"]["resourceType"] == "Observation")
    obs["status"] = "probably"
    assert any("not an R4 Observation.status code" in p for p in structural_errors(broken))


def test_structure_is_sound(bundle):
    assert bundle["type"] == "collection"
    assert structural_errors(bundle) == []


@pytest.mark.parametrize("damage, expected", [
    ("dangling", "does not resolve"),
    ("unknown_gutskin_code", "not in the shipped CodeSystem"),
    ("unverified_loinc", "neither shipped nor in the table"),
    ("two_values", "more than one value[x]"),
    ("foreign_item", "not in its Questionnaire"),
    ("duplicate_url", "appears twice"),
    ("empty_array", "is empty"),
])
def test_structural_check_bites(shipped, damage, expected):
    assert structural_errors(shipped) == []
    b = copy.deepcopy(shipped)
    obs = [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "Observation"
           and "valueQuantity" in e["resource"]]
    if damage == "dangling":
        obs[0]["subject"] = {"reference": "urn:uuid:00000000-0000-0000-0000-000000000000"}
    elif damage == "unknown_gutskin_code":
        obs[0]["code"]["coding"][0]["code"] = "made-up"
    elif damage == "unverified_loinc":
        obs[0]["code"]["coding"] = [{"system": codes.LOINC, "code": "12345-6"}]
    elif damage == "two_values":
        obs[0]["valueString"] = "also this"
    elif damage == "foreign_item":
        qr = next(e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse")
        qr["item"].append({"linkId": "not.a.question", "answer": [{"valueString": "x"}]})
    elif damage == "duplicate_url":
        b["entry"].append(copy.deepcopy(b["entry"][-1]))
    elif damage == "empty_array":
        obs[0]["note"] = []
    assert any(expected in p for p in structural_errors(b)), damage


# ------------------------------------------------------------------------------------------ codes
def test_every_code_is_published_or_shipped(bundle):
    shipped = {cs["url"]: {c["code"] for c in cs["concept"]} for cs in _resources(bundle, "CodeSystem")}
    assert set(shipped) == set(codes.gutskin_systems())
    used = _codings([e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] != "CodeSystem"], [])
    assert used
    for system, code in used:
        if system in shipped:
            assert code in shipped[system], (system, code)
        elif system == codes.NCBI_TAXONOMY:
            assert code.isdigit()
        else:
            assert (system, code) in codes.PUBLISHED, (system, code)
    # every published code in the table names where it was verified
    assert all(source for _, source in codes.PUBLISHED.values())


def test_answer_codesystem_covers_every_fixed_answer_of_the_questionnaire():
    values: set[str] = set()

    def walk(model):
        for name, info in model.model_fields.items():
            if name == "schema_version":
                continue
            stack = [info.annotation]
            while stack:
                a = stack.pop()
                if typing.get_origin(a) is typing.Literal:
                    values.update(map(str, typing.get_args(a)))
                elif isinstance(a, type) and issubclass(a, BaseModel):
                    walk(a)
                else:
                    stack.extend(typing.get_args(a))

    walk(qmod.Questionnaire)
    assert values and values <= set(codes.concepts("gutskin-answer"))


def test_unknown_codes_are_refused_at_build_time():
    with pytest.raises(KeyError):
        codes.coding("gutskin", "no-such-code")
    with pytest.raises(KeyError):
        codes.coding(codes.LOINC, "12345-6")


def test_poem_uses_loinc_total_and_is_extracted():
    assert codes.DIARY_ITEMS["poem"][:2] == (codes.LOINC, "89870-0")
    assert "poem" in codes.EXTRACTED_DIARY_ITEMS
    assert codes.PUBLISHED[(codes.LOINC, "89862-7")][0].startswith("Patient-Oriented Eczema Measure")


# ------------------------------------------------------------------------------------------ content
def test_taxa_carry_their_ncbi_taxid_and_share_in_percent(bundle):
    profile = gutskin.read(EXAMPLE)
    genus = profile.proportions("genus")
    frame = genus.to_dataframe()
    expected = {int(genus.taxa.loc[k, "taxid"]): float(frame.iloc[0][k]) * 100 for k in frame.columns
                if pd.notna(genus.taxa.loc[k, "taxid"]) and frame.iloc[0][k] > 0}
    seen = 0
    for obs in _resources(bundle, "Observation"):
        if _code(obs) != "taxon-relative-abundance":
            continue
        comps = {c["code"]["coding"][0]["code"]: c for c in obs["component"]}
        assert obs["valueQuantity"]["code"] == "%" and obs["valueQuantity"]["system"] == codes.UCUM
        organism = comps["organism"]["valueCodeableConcept"]
        if comps["taxon-rank"]["valueString"] == "genus" and "coding" in organism:
            taxid = int(organism["coding"][0]["code"])
            assert organism["coding"][0]["system"] == codes.NCBI_TAXONOMY
            assert obs["valueQuantity"]["value"] == pytest.approx(expected[taxid], rel=1e-9, abs=1e-12)
            seen += 1
        # one value per Observation: the organism is a component, never a second value
        assert [k for k in obs if k.startswith("value")] == ["valueQuantity"]
    assert seen == len(expected)


def test_indices_are_derived_from_the_taxa_they_use(bundle):
    urls = _by_url(bundle)
    indices = [o for o in _resources(bundle, "Observation") if _code(o).startswith("index-")]
    assert {_code(o) for o in indices} >= {"index-gmhi", "index-gmwi2"}
    for obs in indices:
        assert obs["derivedFrom"], _code(obs)
        for ref in obs["derivedFrom"]:
            assert _code(urls[ref["reference"]]) == "taxon-relative-abundance"


def test_guilds_are_derived_from_their_members_found(bundle):
    urls = _by_url(bundle)
    guilds = [o for o in _resources(bundle, "Observation") if _code(o) == "guild-relative-abundance"]
    with_members = [g for g in guilds if g.get("valueQuantity", {}).get("value", 0) > 0]
    assert with_members and all(g.get("derivedFrom") for g in with_members)
    for g in with_members:
        members = [urls[r["reference"]] for r in g["derivedFrom"]]
        assert all(_code(m) == "taxon-relative-abundance" for m in members)
        assert all(m["valueQuantity"]["value"] > 0 for m in members)


def test_sections_are_grouped_and_the_report_points_at_them(bundle):
    urls = _by_url(bundle)
    groups = [o for o in _resources(bundle, "Observation") if _code(o).startswith("panel-")]
    members = {m["reference"] for g in groups for m in g["hasMember"]}
    measured = {e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
                and e["resource"].get("category", [{}])[0].get("coding", [{}])[0].get("code") == "laboratory"
                and not _code(e["resource"]).startswith("panel-")}
    assert measured == members
    (report,) = _resources(bundle, "DiagnosticReport")
    results = {r["reference"] for r in report["result"]}
    assert {e["fullUrl"] for e in bundle["entry"] if e["resource"] in groups} <= results
    assert report["conclusion"].strip()
    html = base64.b64decode(report["presentedForm"][0]["data"]).decode("utf-8")
    assert report["presentedForm"][0]["contentType"] == "text/html" and "<html" in html.lower()
    assert all(_code(urls[r]) in ("trial-effect",) or _code(urls[r]).startswith("panel-") for r in results)


def test_method_device_reference_range_and_interpretation(bundle):
    (device,) = _resources(bundle, "Device")
    assert device["deviceName"][0]["name"] == "MetaPhlAn"
    shannon = next(o for o in _resources(bundle, "Observation") if _code(o) == "diversity-shannon")
    for word in ("MetaPhlAn", "mpa_v30_CHOCOPhlAn_201901", f"gutskin {gutskin.__version__}"):
        assert word in shannon["method"]["text"]
    rr = shannon["referenceRange"][0]
    ref_name = shannon["method"]["text"].split("reference ", 1)[1]
    assert rr["low"]["value"] < rr["high"]["value"] and f"reference '{ref_name}'" in rr["text"]
    assert re.search(r"\(n = \d+;", rr["text"])
    value = shannon["valueQuantity"]["value"]
    code = shannon["interpretation"][0]["coding"][0]["code"]
    assert code == ("L" if value < rr["low"]["value"] else "H" if value > rr["high"]["value"] else "N")


def test_skin_lean_has_its_interval_and_condition(bundle):
    (lean,) = [o for o in _resources(bundle, "Observation") if _code(o) == "skin-evidence-lean"]
    comps = {c["code"]["coding"][0]["code"]: c for c in lean["component"]}
    low, high = comps["lean-interval-low"]["valueQuantity"]["value"], comps["lean-interval-high"]["valueQuantity"][
        "value"]
    assert low <= lean["valueQuantity"]["value"] <= high
    cond = comps["skin-condition"]["valueCodeableConcept"]["coding"][0]
    assert (cond["system"], cond["code"]) == codes.CONDITION_CODES["acne"]


def test_trial_careplan_and_diary_days(bundle):
    from gutskin.trial import load_diary, load_plan

    plan = load_plan(PLAN)
    diary = load_diary(DIARY, plan)
    (careplan,) = _resources(bundle, "CarePlan")
    assert careplan["period"] == {"start": plan.first_day.isoformat(), "end": plan.last_day.isoformat()}
    assert [a["detail"]["code"]["coding"][0]["code"] for a in careplan["activity"]] == [
        f"trial-phase-{p.kind}" for p in plan.phases]
    days = [r for r in _resources(bundle, "QuestionnaireResponse")
            if r["questionnaire"].startswith(forms.DIARY_URL)]
    assert len(days) == len(diary)
    extracted = [o for o in _resources(bundle, "Observation") if _code(o) == "diary-skin-score"]
    assert len(extracted) == int(diary.frame["skin_score"].notna().sum())
    effect = next(o for o in _resources(bundle, "Observation") if _code(o) == "trial-effect")
    comps = {c["code"]["coding"][0]["code"]: c for c in effect["component"]}
    assert comps["trial-verdict"]["valueCodeableConcept"]["coding"][0]["code"].startswith("verdict-")
    assert comps["effect-ci-low"]["valueQuantity"]["value"] <= effect["valueQuantity"]["value"] \
        <= comps["effect-ci-high"]["valueQuantity"]["value"]


def test_same_inputs_give_the_same_bundle(bundle):
    again = export_fhir(EXAMPLE, questionnaire=QUESTIONNAIRE, trial=(PLAN, DIARY), issued="2026-03-02T09:00:00Z",
                        pdf=False)
    assert json.dumps(again, sort_keys=True) == json.dumps(bundle, sort_keys=True)


OTHER_PROFILES = [
    "kraken2/bracken__sample_test.report",
    "bracken/bracken__sample_output_species_abundance.txt",
    "motus/motus__ERR878216_both_counts.profile",
    "biom/biom-format__rich_sparse_otu_table_hdf5.biom",
    "consumer_ubiome/ubiome__sprague-ubiome-150815.csv",
    "sylph/benchpro__sylph__Gastrointestinal_0.profile",
    "metaphlan/benchpro__MetaPhlAn4__GTDB__r207__0.profile_gtdb.tsv",
    "cami_profile/benchpro__mOTUs3__1.profile.tsv",
]


@pytest.mark.slow
@pytest.mark.parametrize("relpath", OTHER_PROFILES)
def test_other_profilers_export_valid_bundles(relpath):
    from tests.conftest import fixture

    src = fixture(relpath)
    profile = gutskin.read(src)
    sample = profile.samples[0] if profile.n_samples > 1 else None
    b = export_fhir(src, sample=sample, issued="2026-01-01T00:00:00Z", pdf=False)
    assert model_errors(b) == [] and structural_errors(b) == []
    shares = [o for o in _resources(b, "Observation") if _code(o) == "taxon-relative-abundance"]
    assert shares and all(0 <= o["valueQuantity"]["value"] <= 100 for o in shares)


def test_a_merged_table_needs_a_sample(capsys, tmp_path):
    from gutskin.cli import main
    from tests.conftest import fixture

    src = fixture("metaphlan_merged/generated__metaphlan-3.0.14-merge__kefir_v31_3samples.txt")
    with pytest.raises(SystemExit) as exc:
        main(["export", "--fhir", str(src), "-o", str(tmp_path / "bundle.json")])
    assert exc.value.code == 2 and "--sample" in capsys.readouterr().err
    assert not (tmp_path / "bundle.json").exists()


def test_a_value_that_is_not_a_number_is_marked_absent_never_written_as_nan():
    from gutskin.export import build_bundle
    from gutskin.export.source import ExportInput, Measure, Placement

    inp = ExportInput(
        sample="s1", issued="2026-01-01T00:00:00Z", conclusion="c", html="<html></html>", pdf=None,
        profiler="MetaPhlAn", profiler_version="4", database=None, method="shotgun", gutskin_version="x",
        kb_version=None, input_file="s1.txt", reference=None,
        measures=[Measure(key="diversity:fb_ratio", section="diversity", code="diversity-fb_ratio", label="F/B",
                          value=float("nan"), unit="1", placement=Placement(percentile=float("nan")))])
    b = build_bundle(inp)
    (obs,) = [e["resource"] for e in b["entry"] if e["resource"]["resourceType"] == "Observation"
              and _code(e["resource"]) == "diversity-fb_ratio"]
    assert "valueQuantity" not in obs and "component" not in obs
    assert obs["dataAbsentReason"]["coding"][0]["code"] == "not-a-number"
    json.dumps(b, allow_nan=False)
    assert model_errors(b) == [] and structural_errors(b) == []


@pytest.mark.slow
def test_official_hl7_validator_when_available(tmp_path):
    """The official HL7 validator (validator_cli.jar) comes from Maven Central / GitHub, which this project's
    machines cannot reach, and no npm, PyPI or Debian package ships it (docs/fhir.md). Point
    GUTSKIN_FHIR_VALIDATOR_JAR at a jar (with its R4 package cache) to run it on the shipped example Bundle."""
    import os
    import shutil
    import subprocess

    jar = os.environ.get("GUTSKIN_FHIR_VALIDATOR_JAR")
    if not jar or not Path(jar).is_file() or shutil.which("java") is None:
        pytest.skip("official HL7 FHIR validator jar not available on this machine (see docs/fhir.md)")
    src = ROOT / "examples" / "fhir" / "bundle.json"
    proc = subprocess.run(["java", "-jar", jar, str(src), "-version", "4.0.1", "-tx", "n/a"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
