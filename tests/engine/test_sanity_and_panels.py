"""The Analysis carries the sample checks (coded) and the panel facts the report needs to pick main points:
validation, lean_main_point, per-item main_point_eligible and subgroup — with the questionnaire's sex and age group
deciding whether a subgroup finding applies to this person."""

from __future__ import annotations

import json

import pytest

import gutskin
from gutskin.engine import SCHEMA_VERSION, analyse
from gutskin.knowledge.questionnaire import parse_questionnaire
from tests.conftest import ROOT, fixture

EXAMPLE = ROOT / "examples" / "SRR1761667_metaphlan.txt"


def _acne(sex: str | None, **about) -> object:
    return parse_questionnaire({"about_you": {"age_years": 30, **({"sex": sex} if sex else {}), **about},
                                "skin": {"conditions": [{"condition": "acne"}]}})


@pytest.fixture(scope="module")
def example():
    return gutskin.read(EXAMPLE)


def test_c_difficile_sample_is_coded_first_and_not_comparable():
    a = analyse(gutskin.read(fixture("kraken2/multiqc__sample_03.report.txt")))[0]
    assert a.schema_version == SCHEMA_VERSION == "1.1"
    first = a.sanity[0]
    assert (first.code, first.severity, first.taxid) == ("c_difficile_dominant", "stop", 1496)
    assert first.value == pytest.approx(1.0, abs=0.01)
    assert not a.comparable
    # coded: numbers and names, no sentences (words are the report's)
    dumped = json.loads(a.model_dump_json())["sanity"]
    for c in dumped:
        assert set(c) == {"code", "severity", "value", "taxon", "taxid", "facts"}
        assert all(isinstance(v, float) for v in c["facts"].values())


def test_sanity_checks_follow_the_age_group(example):
    # the example holds 40 % E. coli: a bloom in an adult, a normal early coloniser share in an infant
    adult = analyse(example, questionnaires=_acne("female"))[0]
    assert adult.sanity[0].code == "enterobacteriaceae_bloom" and adult.sanity[0].taxon == "Escherichia coli"
    infant = analyse(example, questionnaires=parse_questionnaire({"about_you": {"age_group": "infant"}}))[0]
    assert "enterobacteriaceae_bloom" not in [c.code for c in infant.sanity]


def _items(a, condition: str) -> dict:
    panel = next(p for p in a.skin.panels if p.condition == condition)
    return {i.feature: i for i in panel.items}


def test_subgroup_findings_apply_only_to_matching_people(example):
    men = _items(analyse(example, questionnaires=_acne("male"))[0], "acne")
    women = _items(analyse(example, questionnaires=_acne("female"))[0], "acne")
    unknown = _items(analyse(example, questionnaires=_acne(None))[0], "acne")
    # Blautia lower in acne was reported in men only; Oscillibacter in women only (knowledge base, acne)
    assert men["taxon-blautia"].subgroup == "men" and women["taxon-oscillibacter"].subgroup == "women"
    assert women["taxon-blautia"].weight == 0 and not women["taxon-blautia"].main_point_eligible
    assert unknown["taxon-blautia"].weight == 0 and unknown["taxon-oscillibacter"].weight == 0
    assert men["taxon-oscillibacter"].weight == 0
    if men["taxon-blautia"].alignment in ("toward", "away", "neither"):
        assert men["taxon-blautia"].weight > 0
    if women["taxon-oscillibacter"].alignment in ("toward", "away", "neither"):
        assert women["taxon-oscillibacter"].weight > 0


def test_grade_d_and_disputed_items_are_never_main_point_eligible_and_leans_need_validation(example):
    a = analyse(example, questionnaires=_acne("female"))[0]
    for panel in a.skin.panels:
        for it in panel.items:
            if it.grade == "D" or it.conflict or it.alignment == "unknown":
                assert not it.main_point_eligible, (panel.condition, it.feature)
        v = panel.validation
        assert v.status in ("validated", "validated_no_separation", "not_validated")
        if panel.lean_main_point:
            assert v.status == "validated" and v.ci is not None and v.ci[0] > 0.5


def test_age_group_from_years_reaches_the_panels(example):
    teen = analyse(example, questionnaires=parse_questionnaire(
        {"about_you": {"age_years": 15}, "skin": {"conditions": [{"condition": "acne"}]}}))[0]
    assert teen.skin.panels[0].population == "adolescent"
