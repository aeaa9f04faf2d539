"""A report a person finishes (issue #12): few main points, a GP page, no internal wording, sources as links.

Reports are rendered for every shipped example, for a few people whose answers change the report (an infant
no reference describes, a child, someone who had anaphylaxis) and for every persona of the safety table
(``tests/safety/test_personas.py``), and the visible text is searched for what must
never reach a person: internal ids, file names, questionnaire field paths, gutskin commands and server paths.
"""

from __future__ import annotations

import html
import re

import pytest

from gutskin.knowledge.questionnaire import parse_questionnaire
from gutskin.report import build_report, render_html

from .conftest import ROOT, load_trial

TRIAL = (ROOT / "examples" / "trial" / "dairy-eczema-plan.json", ROOT / "examples" / "trial" / "dairy-eczema-diary.csv")

#: what must not appear in text a person reads, with what it would be
FORBIDDEN = {
    "knowledge-base key": re.compile(r"\[[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\]"),
    "marker id": re.compile(r"\(M\d\d\)|\bM\d\d\b"),
    "questionnaire field path": re.compile(r"\b(?:about_you|skin|allergies|diet|lifestyle|medicines|gut)\.[a-z_]+\b"),
    "gutskin command": re.compile(r"\bgutskin (?:trial|report|score|insights|kb|reference|inspect|convert|serve)\b"),
    "file name": re.compile(r"\b[\w.-]+\.(?:ya?ml|json|csv|tsv|txt|md|biom|ics)\b"),
    "server or home path": re.compile(r"(?:^|\s)(?:/work|/home|/tmp|/Users|/srv|/var|/root)/"),
    "used/unavailable table": re.compile(r"\b(?:used|unavailable) \(from"),
    "reference id": re.compile(r"(?<![/.\w-])[a-z]{2,}\d+[a-z0-9]*(?:-[a-z0-9]+)+\b"),
    "feature key": re.compile(r"\b(?:phylum|guild|class|order|family)\.[A-Za-z]"),
    "sample check code": re.compile(r"\b(?:c_difficile_dominant|enterobacteriaceae_bloom|dominant_taxon|"
                                    r"not_stool_(?:oral|skin)|viral_dominant|fungi_high|high_unknown|low_depth)\b"),
}

PEOPLE = {
    "example": {"questionnaire": "example"},
    "example with trial": {"questionnaire": "example", "trial": True},
    "no answers": {},
    "infant": {"questionnaire": {"about_you": {"age_group": "infant"}}},
    "child": {"questionnaire": {"about_you": {"age_group": "child", "age_years": 9},
                                "skin": {"conditions": [{"condition": "atopic_dermatitis"}]},
                                "allergies": {"suspected_trigger_foods": ["milk"]}}},
    "anaphylaxis": {"questionnaire": {"about_you": {"age_group": "adult", "age_years": 30},
                                      "skin": {"conditions": [{"condition": "acne"}]},
                                      "allergies": {"past_reactions": [{"food": "peanut", "timing": "immediate",
                                                                        "anaphylaxis": True}]}}},
}


def _with_personas() -> dict[str, dict]:
    """Every persona of the safety table (tests/safety/test_personas.py) is a person whose report is searched too."""
    from tests.safety.test_personas import PERSONAS

    return {**PEOPLE, **{f"persona: {name}": {"questionnaire": answers} for name, answers in PERSONAS.items()}}


PEOPLE = _with_personas()


def visible_text(page: str) -> str:
    """What a reader sees: no head, style, SVG internals, tags or link targets."""
    page = re.sub(r"<head>.*?</head>|<style>.*?</style>|<svg.*?</svg>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture(scope="module")
def reports(example_profile, example_answers):
    out = {}
    for name, spec in PEOPLE.items():
        q = spec.get("questionnaire")
        answers = example_answers if q == "example" else (parse_questionnaire(q) if q else None)
        out[name] = build_report(example_profile, questionnaire=answers,
                                 trial=load_trial(TRIAL) if spec.get("trial") else None)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("person", list(PEOPLE))
def test_no_internal_wording_reaches_a_person(reports, person):
    text = visible_text(render_html(reports[person]))
    found = {what: sorted(set(rx.findall(text)))[:5] for what, rx in FORBIDDEN.items() if rx.search(text)}
    assert not found, f"{person}: {found}"


@pytest.mark.slow
def test_main_points_are_few_and_a_gp_page_comes_with_them(reports):
    for person, r in reports.items():
        assert 1 <= len(r.summary.items) <= 5, person
        labels = [line.label for line in r.summary.for_clinician]
        assert {"Sample", "Compared with", "Elimination diet", "Limits"} <= set(labels), (person, labels)
    gp = {line.label: line.text for line in reports["anaphylaxis"].summary.for_clinician}
    assert gp["Elimination diet"].startswith("not advised without a clinician")


@pytest.mark.slow
def test_not_checked_findings_are_one_line_per_reason(reports):
    for person, r in reports.items():
        for panel in r.skin.panels:
            assert not [f for f in panel.findings if (f.yours or "").startswith("Not checked")], (person, panel.label)
            lines = [n for n in panel.notes if n.startswith("Not checked in this profile")]
            assert len(lines) == len(set(lines)), (person, panel.label)


@pytest.mark.slow
def test_every_source_with_an_identifier_is_a_link(reports):
    page = render_html(reports["example"])
    sources = re.search(r'<ol class="sources">(.*?)</ol>', page, flags=re.S).group(1)
    items = re.findall(r"<li id=\"src-\d+\">(.*?)</li>", sources, flags=re.S)
    assert items
    for item in items:
        if "doi:" in item or "PMID" in item:
            assert re.search(r'<a href="https://(?:doi\.org|pubmed\.ncbi\.nlm\.nih\.gov)/', item), item
