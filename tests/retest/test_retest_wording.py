"""What a person reads: no value words for taxa, a change of lab/kit/profiler/database flagged before anything else,
a different method refused with its reason; and the estimate rules of ``scripts/build_variability.py``."""

from __future__ import annotations

import dataclasses
import math
import re
import sys

import numpy as np
import pandas as pd
import pytest

import gutskin
from gutskin.profile import Profile
from gutskin.retest import Verdict, compare_tests, render_fragment
from gutskin.retest import model as M
from gutskin.retest.wording import direction_evidence, summarise
from tests.conftest import ROOT, data, fixture

EXAMPLES = ROOT / "examples" / "retest"
#: words that judge a direction; the retest may only say "rose", "fell", "moved toward/away from"
VALUE_WORDS = re.compile(r"\b(improv\w*|wors\w*|better|healthier|unhealthier|good|bad|deteriorat\w*)\b", re.I)


def _with(profile: Profile, **changes) -> Profile:
    info = [dataclasses.replace(i, **changes) for i in profile.info]
    return Profile(profile.values, profile.samples, profile.taxa, info, profile.layout)


@pytest.fixture(scope="module")
def two_people():
    """Two different people of the kefir study (MetaPhlAn 3, MIT): many quantities move beyond usual variation."""
    a = gutskin.read(EXAMPLES / "Subj054_time1_S41_metaphlan.txt")
    b = gutskin.read(data("gmwi2_metaphlan3_examples/kefir/Subj030_time1_S18_metaphlan.txt"))
    return a, b, compare_tests([a, b])


def _taxon(key: str, change: float) -> M.QuantityChange:
    return M.QuantityChange(key=key, label=f"{key.partition('.')[2]} (genus share)", group="taxon",
                            scale="logshare", before=0.01, after=0.01 * math.exp(change), change=change,
                            change_text="×9", usual_variation=1.0, verdict=Verdict.changed,
                            evidence=direction_evidence(key))


def test_no_value_words_anywhere_a_person_reads(two_people) -> None:
    _a, _b, r = two_people
    c = r.comparisons[0]
    assert c.changed, "two different people should differ somewhere"
    for line in c.changed + c.unchanged + c.unknowable + [f.text for f in c.flags]:
        assert not VALUE_WORDS.search(line), line
    html = render_fragment(r)
    assert not VALUE_WORDS.search(re.sub(r"<[^>]+>", " ", html))


def test_changed_taxon_says_rose_or_fell_and_quotes_evidence_or_its_absence() -> None:
    with_evidence = next(k for k in ("genus.Bifidobacterium", "genus.Faecalibacterium", "genus.Akkermansia")
                         if direction_evidence(k) not in ("", "no graded skin evidence on its direction"))
    up, down = _taxon(with_evidence, 2.2), _taxon(with_evidence, -2.2)
    changed, _w, _u = summarise([up, down], [], "shotgun")
    assert " rose " in changed[0] and " fell " in changed[1]
    assert all("(grade " in line and "Whether this matters for skin" in line for line in changed)
    # a genus the knowledge base has no graded direction for says so instead of judging the move
    bare = M.QuantityChange(key="genus.Nonexistentia", label="Nonexistentia (genus share)", group="taxon",
                            scale="logshare", before=0.01, after=0.1, change=2.3, change_text="×10",
                            usual_variation=1.0, verdict=Verdict.changed, evidence="")
    (line,), _w, _u = summarise([bare], [], "shotgun")
    assert "rose" in line and "no graded evidence" in line and not VALUE_WORDS.search(line)


@pytest.mark.parametrize(("change", "code"), [
    ({"database": "mpa_vJan21_CHOCOPhlAnSGB_202103"}, "database_differs"),
    ({"profiler_version": "4"}, "version_differs"),
    ({"profiler": "Kraken2"}, "profiler_differs"),
])
def test_pipeline_change_flagged_first_and_only_shares_compared(change, code) -> None:
    a = gutskin.read(EXAMPLES / "Subj054_time1_S41_metaphlan.txt")
    b = _with(gutskin.read(EXAMPLES / "Subj054_time2_S42_metaphlan.txt"), **change)
    r = compare_tests([a, b], labs=["Lab A", "Lab A"])
    c = r.comparisons[0]
    assert c.flags[0].code == code and c.flags[0].severity == "warning"
    compared = [q for q in c.quantities if q.verdict != Verdict.cannot]
    assert compared and {q.group for q in compared} <= {"phylum", "guild", "taxon"}
    assert all("profiler, version or database" in q.reason for q in compared)
    assert all(d.verdict == Verdict.cannot for d in c.distances)
    # prominent: in the rendered section the flag comes before the verdict summary
    html = render_fragment(r)
    flag_at = html.find(f"<strong>{code.replace('_', ' ')}:</strong>")
    summary_at = min(i for i in (html.find("Changed beyond usual variation"),
                                 html.find("Nothing changed beyond usual variation")) if i >= 0)
    assert 0 < flag_at < summary_at


def test_lab_change_is_the_first_flag_and_says_why() -> None:
    a = gutskin.read(EXAMPLES / "Subj054_time1_S41_metaphlan.txt")
    b = gutskin.read(EXAMPLES / "Subj054_time2_S42_metaphlan.txt")
    c = compare_tests([a, b], labs=["Lab A", "Lab B"]).comparisons[0]
    assert c.flags[0].code == "lab_differs"
    assert "Servetas" in c.flags[0].text and "may be the change of lab" in c.flags[0].text


def test_different_method_refused_with_reason_in_the_section() -> None:
    amplicon = gutskin.read(fixture("biom/unifrac__crawford.biom")).take_samples([0])
    shotgun = gutskin.read(EXAMPLES / "Subj054_time1_S41_metaphlan.txt")
    r = compare_tests([shotgun, amplicon])
    c = r.comparisons[0]
    assert c.status == "refused" and not c.quantities and not c.distances
    html = render_fragment(r)
    assert "Not compared." in html and "marker gene" in html and "<table class='q'" not in html
    assert not VALUE_WORDS.search(c.refusal)


# ---------------------------------------------------------------------------------------------- estimate rules
@pytest.fixture(scope="module")
def builder():
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_variability

    return build_variability


def test_shares_absent_in_both_samples_are_not_counted(builder) -> None:
    floor = math.log(1e-3)
    scaled = pd.DataFrame({"genus.Agathobacter": [floor, floor, math.log(0.05 + 1e-3), math.log(0.01 + 1e-3)],
                           "shannon": [2.0, 2.5, 3.0, 3.1]}, index=list("abcd"))
    pairs = [("p1", "a", "b"), ("p2", "c", "d")]
    d = builder.pair_changes(scaled, pairs)
    assert math.isnan(d.loc[0, "genus.Agathobacter"])  # absent both times: not a zero change
    assert d.loc[1, "genus.Agathobacter"] == pytest.approx(math.log(0.011 / 0.051))
    assert d["shannon"].tolist() == pytest.approx([0.5, 0.1])  # other scales untouched
    var = builder.subject_variances(scaled, pairs)
    assert math.isnan(var.loc["p1", "genus.Agathobacter"]) and var.loc["p1", "shannon"] == pytest.approx(0.125)


def test_new_person_quantile_level(builder) -> None:
    assert builder.limit_level(79) == pytest.approx(0.95 * 80 / 79)
    assert builder.limit_level(12) >= 1  # 12 people cannot set a 95 % line: the largest change is used
    v, w = np.array([1.0, 2.0, 3.0, np.nan]), np.ones(4)
    assert builder.upper_quantile(v, w, 1.02) == 3.0
    assert builder.upper_quantile(v, w, 0.5) == pytest.approx(2.0)


def test_pairs_over_a_year_apart_are_kept_aside(builder) -> None:
    meta = pd.DataFrame({"subject": ["x", "x", "x", "y", "y"], "day": [0.0, 100.0, 500.0, np.nan, np.nan]},
                        index=list("abcde"))
    rs = builder.RepeatSet("t", "16S", "biological", None, meta, "CC0", "")
    near, far = builder.split_by_gap(rs, [("x", "a", "b"), ("x", "a", "c"), ("x", "b", "c"), ("y", "d", "e")])
    assert near == [("x", "a", "b"), ("y", "d", "e")]  # undated pairs stay
    assert far == [("x", "a", "c"), ("x", "b", "c")]
