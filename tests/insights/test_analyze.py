"""Skin insight panels on real profiles: graded, cited, honest about what cannot be measured."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

import gutskin
from gutskin import reference
from gutskin.errors import RefusedError
from gutskin.insights import analyze
from gutskin.insights.panels import _alignment
from gutskin.insights.validation import auc, auc_with_ci, panel_scores
from gutskin.knowledge.questionnaire import load_questionnaire
from gutskin.profile import Profile
from tests import cohorts
from tests.cli_runner import run_gutskin
from tests.conftest import DATA, ROOT, fixture

EXAMPLE = ROOT / "examples" / "SRR1761667_metaphlan.txt"


@pytest.fixture(scope="module")
def example_insights():
    q = load_questionnaire(ROOT / "examples" / "questionnaire.yaml")
    return analyze(gutskin.read(EXAMPLE), q)


def test_panels_follow_the_questionnaire_and_every_item_is_graded_and_cited(example_insights):
    ins = example_insights
    assert [p.condition for p in ins.panels] == ["acne"]
    panel = ins.panels[0]
    assert panel.items and panel.score is not None and panel.interval[0] <= panel.score <= panel.interval[1]
    for item in panel.items:
        assert item.grade in "ABCD"
        assert item.evidence, item.feature
        assert all(e.citation and e.design and e.size for e in item.evidence)
        assert item.alignment in {"toward", "away", "neither", "no_direction", "unknown"}
    # most rows carry a checked identifier (PMID/DOI); the rest are marked unverified in the knowledge base
    with_ids = [e for i in panel.items for e in i.evidence if e.identifiers]
    assert len(with_ids) >= len([e for i in panel.items for e in i.evidence]) / 2
    assert "not a diagnosis" in panel.statement
    # a MetaPhlAn 3 sample meets the MetaPhlAn 3 reference; it is small, and the caveats say how small
    assert ins.reference["profiler_version"] == "3" and any("people" in c for c in ins.caveats)


def test_unmeasurable_features_say_why(example_insights):
    unknown = [i for i in example_insights.panels[0].items if i.alignment == "unknown"]
    assert unknown
    assert all(i.measurement.reason for i in unknown)


def test_alignment_rules():
    assert _alignment("down", "low") == "toward"
    assert _alignment("down", "absent") == "toward"
    assert _alignment("down", "high") == "away"
    assert _alignment("up", "high") == "toward"
    assert _alignment("up", "typical") == "neither"
    assert _alignment("inconsistent", "low") == "no_direction"
    assert _alignment("up", "not_measured") == "unknown"


def test_conflicting_evidence_stays_visible_as_separate_rows():
    profile = gutskin.read(fixture("metaphlan/taxpasta__ERR7569997.txt"))
    ins = analyze(profile, conditions=["psoriasis", "atopic_dermatitis"])
    conflicted = [i for p in ins.panels for i in p.items if i.conflict]
    assert conflicted, "the knowledge base holds conflicting findings for these conditions"
    # a conflict is never averaged into one row: its evidence lines keep their own directions
    directions = [{e.direction for e in i.evidence} for i in conflicted]
    assert any(len(d) > 1 for d in directions)
    # and counts half in the score
    assert all(i.weight < {"A": 3, "B": 2, "C": 1, "D": 0.1}[i.grade] or i.weight == 0 for i in conflicted)


def test_recommendations_carry_grades_citations_and_no_products(example_insights):
    recs = example_insights.recommendations
    assert recs
    for r in recs:
        assert r.grade in "ABCD" and r.citations
        assert "buy" not in r.text.lower().split()


def test_16s_profile_is_compared_only_with_a_16s_reference():
    profile = gutskin.read(EXAMPLE)
    amplicon = Profile(profile.values, profile.samples, profile.taxa,
                       [replace(i, method="16S") for i in profile.info], profile.layout)
    assert analyze(amplicon).reference["method"] == "16S"
    with pytest.raises(RefusedError):
        analyze(amplicon, reference="gmhi2020-healthy-mpa2")


def test_auc_equals_the_mann_whitney_statistic():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.3, 1, 40), rng.normal(0, 1, 55)
    u = stats.mannwhitneyu(a, b).statistic
    assert auc(a, b) == pytest.approx(u / (40 * 55))
    res = auc_with_ci(a, b, n_boot=300)
    assert res.ci_low <= res.auc <= res.ci_high


def test_panel_scores_on_real_psoriasis_samples():
    cohort = cohorts.psoriasis_100(DATA)
    # the independent MetaPhlAn 3 reference (a MetaPhlAn 2 one places nothing across versions)
    scores = panel_scores(cohort.profile.take_samples(range(4)), reference.load("kefir-adults-mpa3"), "psoriasis")
    assert len(scores) == 4
    assert scores["score"].between(-1, 1).all()
    assert (scores[["toward", "away", "neither"]].sum(axis=1) > 0).all()


def test_validation_page_is_generated_by_the_script():
    text = (ROOT / "docs" / "validation.md").read_text()
    assert "Generated by `scripts/validate_psoriasis.py`" in text
    assert "psoriasis_143" in text and "psoriasis_100" in text and "AUC" in text


def test_cli_insights_json():
    proc = run_gutskin("insights", EXAMPLE, "--condition", "rosacea", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["panels"][0]["condition"] == "rosacea"
    assert out["reference"]["name"] and out["disclaimer"]
    # the example's own sample checks come with it (an E. coli bloom; most reads unnamed), first in the human view
    assert [c["code"] for c in out["sanity"]] == ["enterobacteriaceae_bloom", "high_unknown"]
    human = run_gutskin("insights", EXAMPLE, "--condition", "rosacea")
    assert human.returncode == 0 and human.stdout.startswith("sample check: A bloom of Enterobacteriaceae")
    bad = subprocess.run([sys.executable, "-m", "gutskin", "insights", str(EXAMPLE), "--condition", "gout"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "unknown condition" in bad.stderr


def test_suggested_trial_command_runs(example_insights, tmp_path):
    """The elimination suggestion's command is a real command: with a date filled in, it writes a plan."""
    cmds = [r.trial_command for r in example_insights.recommendations if r.trial_command]
    assert cmds, "the example (adult, acne, dairy) should get a trial suggestion"
    # the command names the person's answers file (the safety gate reads it); here: the example questionnaire
    args = (cmds[0].replace("YYYY-MM-DD", "2027-01-04").replace("plan.json", str(tmp_path / "plan.json"))
            .replace("questionnaire.yaml", str(ROOT / "examples" / "questionnaire.yaml")).split())
    assert args[0] == "gutskin"
    proc = run_gutskin(*args[1:], "--age-group", "adult", "--no-immediate-reactions", "--no-ige-allergy")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["food"] == "dairy" and [p["kind"] for p in plan["phases"]][:2] == ["baseline", "elimination"]
