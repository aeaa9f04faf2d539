"""Issue #11: a sample that is not comparable says so first.

Real profiles only: a Kraken2 report that is ~100 % Clostridioides difficile (MultiQC test data), a tongue-like
16S sample of the QIIME 2 "Moving Pictures" table (oral genera, almost no stool genera), a phage-dominated
MetaPhlAn 3 kefir-study profile, and a nose (anterior nares) MetaPhlAn profile. Each report's first main point is
its sample check, in the JSON and in the rendered HTML; where the sample is not stool or one organism dominates,
no skin panel makes a main point and the skin section says why.
"""

from __future__ import annotations

import json
import re

import pytest

import gutskin
from gutskin.readers import read_many
from gutskin.report import build_report, render_html, render_json
from gutskin.report import wording as W
from tests.conftest import DATA, fixture

from .test_person_facing import FORBIDDEN, visible_text

ACNE = {"about_you": {"age_years": 30, "sex": "female"}, "skin": {"conditions": [{"condition": "acne"}]}}


def _moving_pictures_sample(name: str):
    table = read_many([fixture("qiime2_qza/q2-composition__table-ancombc.qza"),
                       fixture("qiime2_taxonomy_tsv/q2-feature-table__moving-pics-taxonomy-gg-13-8__taxonomy.tsv")])
    return table.take_samples([table.samples.index(name)])


CASES = {
    # name: (loader, expected first check, blocks skin main points)
    "c_difficile_kraken2": (lambda: gutskin.read(fixture("kraken2/multiqc__sample_03.report.txt")),
                            "c_difficile_dominant", True),
    "tongue_like_16s": (lambda: _moving_pictures_sample("L6S20"), "not_stool_oral", True),
    "phage_kefir_metaphlan3": (
        lambda: gutskin.read(DATA / "gmwi2_metaphlan3_examples/kefir/Subj032_time1_S22_metaphlan.txt"),
        "viral_dominant", False),
    "nose_metaphlan": (lambda: gutskin.read(fixture("metaphlan/galaxy-iuc__SRS014464-Anterior_nares-abundances"
                                                    ".tabular.gz")), "not_stool_skin", True),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    from gutskin.knowledge.questionnaire import parse_questionnaire

    load, code, blocks = CASES[request.param]
    report = build_report(load(), questionnaire=parse_questionnaire(ACNE))
    return request.param, report, code, blocks


def test_the_sanity_message_is_the_first_main_point_in_json(case):
    name, report, code, _ = case
    data = json.loads(render_json(report))
    first = data["summary"]["items"][0]
    assert first["kind"] == "sample_check" and first["check"] == code, (name, first)
    headline, _ = W.SANITY[code]
    assert first["headline"].split("(")[0].split("{")[0].strip() in headline
    assert len(data["summary"]["items"]) <= 5


def test_the_sanity_message_is_the_first_card_in_html(case):
    name, report, _code, _ = case
    page = render_html(report)
    cards = re.search(r'<ol class="cards">(.*?)</ol>', page, flags=re.S).group(1)
    first = re.search(r'<li class="card kind-(\w+)">\s*<h3>(.*?)</h3>', cards, flags=re.S)
    assert first.group(1) == "sample_check", name
    assert first.group(2) == report.summary.items[0].headline.replace("'", "&#39;")
    text = visible_text(page)
    found = {what: rx.findall(text)[:3] for what, rx in FORBIDDEN.items() if rx.search(text)}
    assert not found, (name, found)


def test_no_skin_main_point_where_placement_is_meaningless(case):
    name, report, _code, blocks = case
    skin_points = [i for i in report.summary.items if i.section == "skin"]
    if blocks:
        assert not skin_points, name
        assert report.skin.status != "ok"
        if report.skin.panels:  # the panels stay, as what studies report; the section says why none is a point
            assert any("not meaningful" in n for n in report.skin.notes), report.skin.notes
            assert not any(p.lean_main_point for p in report.skin.panels)


def test_specific_words_for_each_check(case):
    name, report, code, _ = case
    detail = report.summary.items[0].detail
    words = {"c_difficile_dominant": ("doctor", "antibiotics"), "not_stool_oral": ("mouth sample",),
             "viral_dominant": ("bacteriophages", "without the viruses"), "not_stool_skin": ("skin or nose",)}[code]
    for w in words:
        assert w in detail, (name, detail)
    if code == "c_difficile_dominant":
        assert "100%" in report.summary.items[0].headline or "99%" in report.summary.items[0].headline
        gp = {line.label: line.text for line in report.summary.for_clinician}
        assert "Clostridioides difficile" in gp["Sample check"]


def test_a_clean_sample_has_no_sample_check_point():
    report = build_report(gutskin.read(fixture("metaphlan/taxpasta__ERR7569997.txt")))
    assert not [i for i in report.summary.items if i.kind == "sample_check" and i.severity == "stop"]
