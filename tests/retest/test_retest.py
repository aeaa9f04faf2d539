"""Retest verdicts on real pairs: same person, different people, different pipelines; refusals; schema; HTML."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

import gutskin
from gutskin.retest import (
    Retest,
    Verdict,
    compare_tests,
    load_variability,
    render_fragment,
    render_html,
    since_last_test,
    timeline,
)
from gutskin.retest.model import SCHEMA_VERSION
from gutskin.retest.variability import percentile_of
from tests.conftest import ROOT, data, fixture

KEFIR = "gmwi2_metaphlan3_examples/kefir/"
EXAMPLES = ROOT / "examples" / "retest"


def _read(path: Path):
    return gutskin.read(path)


@pytest.fixture(scope="module")
def same_person() -> Retest:
    """The shipped example: subject 054 of the kefir study, visits 1 and 2 (MetaPhlAn 3, MIT)."""
    a = _read(EXAMPLES / "Subj054_time1_S41_metaphlan.txt")
    b = _read(EXAMPLES / "Subj054_time2_S42_metaphlan.txt")
    return compare_tests([a, b], dates=[date(2026, 1, 10), date(2026, 4, 12)])


@pytest.fixture(scope="module")
def close_and_far() -> tuple[Retest, Retest]:
    """Subject 030's two visits, and subject 030 against subject 054 (two different people)."""
    a = _read(data(KEFIR + "Subj030_time1_S18_metaphlan.txt"))
    b = _read(data(KEFIR + "Subj030_time2_S19_metaphlan.txt"))
    other = _read(EXAMPLES / "Subj054_time1_S41_metaphlan.txt")
    return compare_tests([a, b]), compare_tests([a, other])


def test_same_person_pair_is_compared_with_shotgun_estimates(same_person: Retest) -> None:
    c = same_person.comparisons[0]
    assert c.status == "compared" and c.family == "shotgun"
    keys = {q.key for q in c.quantities}
    assert {"shannon", "gmhi", "gmwi2", "phylum.Bacillota"} <= keys
    var = load_variability()
    for q in c.quantities:
        if q.verdict == Verdict.cannot:
            assert q.reason, q.key
            continue
        # the verdict follows from the change and the shipped limit, nothing else
        assert q.usual_variation == pytest.approx(var.limit("shotgun", q.key))
        assert (abs(q.change) > q.usual_variation) == (q.verdict == Verdict.changed)
    # relative abundances cannot give Chao1: said, not guessed
    chao = next(q for q in c.quantities if q.key == "chao1")
    assert chao.verdict == Verdict.cannot and "counts" in chao.reason


def test_flags_unclassified_and_unknown_lab(same_person: Retest) -> None:
    c = same_person.comparisons[0]
    codes = [f.code for f in c.flags]
    # both visits leave more than half the reads unclassified (MetaPhlAn UNKNOWN row)
    assert codes.count("high_unclassified") == sum(
        t.unclassified_share is not None and t.unclassified_share > 0.5 for t in same_person.tests) >= 1
    assert "lab_unknown" in codes


def test_distances_placed_among_same_person_and_different_people(close_and_far) -> None:
    close, far = close_and_far
    dc = {d.metric: d for d in close.comparisons[0].distances}
    df = {d.metric: d for d in far.comparisons[0].distances}
    for metric in ("braycurtis", "aitchison"):
        assert dc[metric].value < df[metric].value
        assert dc[metric].same_person_percentile < df[metric].same_person_percentile
        assert 0 <= df[metric].different_people_percentile <= 100
        same = load_variability().distances("shotgun", metric)["same_person"]
        limit = same.get("limit", same["percentiles"][95])
        assert (df[metric].value > limit) == (df[metric].verdict == Verdict.changed)


def test_different_profiler_versions_compare_shares_only() -> None:
    a = _read(EXAMPLES / "Subj054_time1_S41_metaphlan.txt")  # MetaPhlAn 3
    b = _read(fixture("metaphlan/humann__demo_metaphlan_bugs_list.tsv"))  # MetaPhlAn 4, another database
    c = compare_tests([a, b]).comparisons[0]
    assert c.status == "compared"
    assert "version_differs" in {f.code for f in c.flags}
    for q in c.quantities:
        if q.group in ("alpha", "index"):
            assert q.verdict == Verdict.cannot
        elif q.verdict != Verdict.cannot:
            assert q.group in ("phylum", "guild", "taxon") and "profiler, version or database" in q.reason
    assert all(d.verdict == Verdict.cannot for d in c.distances)


def test_different_profilers_flagged() -> None:
    a = _read(EXAMPLES / "Subj054_time1_S41_metaphlan.txt")
    b = _read(fixture("bracken/bracken__sample_output_species_abundance.txt"))
    c = compare_tests([a, b], labs=["Lab A", "Lab B"]).comparisons[0]
    codes = [f.code for f in c.flags]
    assert codes[0] == "lab_differs"  # the lab change comes first
    assert "profiler_differs" in codes
    assert not any(q.verdict != Verdict.cannot and q.group in ("alpha", "index") for q in c.quantities)


def test_16s_against_shotgun_is_refused() -> None:
    amplicon = _read(fixture("biom/unifrac__crawford.biom")).take_samples([0])
    assert amplicon.info[0].method == "16S"
    shotgun = _read(EXAMPLES / "Subj054_time1_S41_metaphlan.txt")
    r = compare_tests([amplicon, shotgun])
    c = r.comparisons[0]
    assert c.status == "refused" and not c.quantities
    assert "16S" in c.refusal and "shotgun" in c.refusal
    assert c.flags[0].severity == "refusal"


def test_three_tests_give_consecutive_and_first_to_last_and_a_timeline() -> None:
    files = [data(KEFIR + f"Subj054_time{i}_S4{i}_metaphlan.txt") for i in (1, 2, 3)]
    profiles = [_read(f) for f in files]
    r = since_last_test(profiles[-1], profiles[:-1])
    assert [(c.before, c.after) for c in r.comparisons] == [(0, 1), (1, 2), (0, 2)]
    assert r.tests[-1].label == "This test"
    series = {s.key: s for s in timeline(r)}
    shannon = series["shannon"]
    assert len(shannon.values) == 3 and all(v is not None for v in shannon.values)
    assert [(st.before, st.after) for st in shannon.steps] == [(0, 1), (1, 2)]
    first = r.comparisons[0].quantities
    assert shannon.values[1] == next(q.after for q in first if q.key == "shannon")


def test_json_round_trip_and_schema_file(same_person: Retest) -> None:
    text = same_person.model_dump_json()
    again = Retest.model_validate_json(text)
    assert again == same_person and again.schema_version == SCHEMA_VERSION
    shipped = json.loads((ROOT / "docs" / "retest-schema.json").read_text(encoding="utf-8"))
    assert shipped == Retest.model_json_schema(), "regenerate docs/retest-schema.json (see docs/retest.md)"


def test_html_has_charts_words_and_no_value_judgements(same_person: Retest) -> None:
    html = render_html(same_person)
    assert html.count("<svg") >= 3 and "<script" not in html
    assert "within usual variation" in html and "cannot compare" in html
    lowered = html.lower()
    assert "improved" not in lowered and "worse" not in lowered
    assert "Servetas" in html and "Vandeputte" in html
    section = render_fragment(same_person)
    assert section.startswith("<style>") and "<section class=\"retest\"" in section and "<html" not in section
    assert "Since your last test" in section


def test_percentile_of_handles_ties_and_ends() -> None:
    p = [0.0] * 10 + [float(i) for i in range(1, 92)]
    assert percentile_of(-1.0, p) == 0.0 and percentile_of(1e9, p) == 100.0
    assert percentile_of(0.0, p) == pytest.approx(4.5)
    assert math.isnan(percentile_of(float("nan"), p))


def test_shipped_estimates_have_provenance_and_licences() -> None:
    var = load_variability()
    for fam in ("shotgun", "16S"):
        block = var.family(fam)
        assert block["sources"] and all(s["licence"] for s in block["sources"])
        assert all("no licence" not in s["licence"].lower() for s in block["sources"])
        est = block["quantities"]["shannon"]
        assert est["mdc95"] == pytest.approx(1.96 * math.sqrt(2) * est["sem"], rel=1e-4)
    assert var.family("16S")["quantities"]["shannon"]["technical_sem"] < var.family("16S")["quantities"][
        "shannon"]["sem"]


@pytest.fixture(scope="module")
def moving_pictures():
    """Moving Pictures (16S V4, Greengenes genus table, CC0): person M3 twice a month apart, and person F4."""
    import pandas as pd

    table = gutskin.read(data("movingpictures_16s_gut_467/genus_counts.tsv.gz"))
    meta = pd.read_csv(data("movingpictures_16s_gut_467/metadata.tsv"), sep="\t", index_col="sample_id")
    meta = meta.loc[table.samples]
    ok = meta["mislabeled"].fillna(0).astype(int).eq(0)

    def first(subject: str, day_from: int) -> int:
        rows = meta[ok & meta["host_subject_id"].eq(subject) & meta["days_since_experiment_start"].ge(day_from)]
        return table.samples.index(rows.sort_values("days_since_experiment_start").index[0])

    return [table.take_samples([i]) for i in (first("M3", 0), first("M3", 30), first("F4", 0))]


def test_16s_pairs_use_16s_estimates_and_separate_people(moving_pictures) -> None:
    m3_a, m3_b, f4 = moving_pictures
    same = compare_tests([m3_a, m3_b]).comparisons[0]
    other = compare_tests([m3_a, f4]).comparisons[0]
    var = load_variability()
    for c in (same, other):
        assert c.status == "compared" and c.family == "16S"
        keys = {q.key for q in c.quantities}
        assert "gmhi" not in keys and "gmwi2" not in keys  # species-level indices are not computed on genus tables
        shannon = next(q for q in c.quantities if q.key == "shannon")
        assert shannon.usual_variation == pytest.approx(var.limit("16S", "shannon"))
        assert (abs(shannon.change) > shannon.usual_variation) == (shannon.verdict == Verdict.changed)
    for metric in ("braycurtis", "aitchison"):
        d_same = next(d for d in same.distances if d.metric == metric)
        d_other = next(d for d in other.distances if d.metric == metric)
        # one pair of people need not be further apart than one person over a month; the placement must be
        # consistent with the values whichever way they fall
        up = d_same.value < d_other.value
        assert (d_same.same_person_percentile <= d_other.same_person_percentile) == up or \
            d_same.same_person_percentile == d_other.same_person_percentile
        assert (d_same.verdict == Verdict.changed) == (d_same.value > d_same.usual_variation)


def test_skin_panel_leans_compared_against_their_reference(same_person: Retest) -> None:
    var = load_variability()
    assert var.family("shotgun")["panel_references"], "rebuild with scripts/build_variability.py"
    c = same_person.comparisons[0]
    panels = [q for q in c.quantities if q.group == "panel"]
    assert panels
    if "reference_differs" in {f.code for f in c.flags}:  # the engine now picks another reference: said, not used
        assert all(q.verdict == Verdict.cannot for q in panels)
        return
    compared = [q for q in panels if q.verdict != Verdict.cannot]
    assert compared
    for q in compared:
        assert q.key.startswith("panel.") and -1 <= q.before <= 1 and -1 <= q.after <= 1
        assert (abs(q.change) > q.usual_variation) == (q.verdict == Verdict.changed)


def test_trial_between_tests_is_named_without_claiming_cause() -> None:
    import json as _json

    from gutskin.retest.compare import _trial_text, trial_from_plan
    from gutskin.retest.model import TestInfo

    plan = trial_from_plan(_json.loads((ROOT / "examples" / "trial" / "dairy-eczema-plan.json").read_text()))
    assert plan["food"] == "dairy" and plan["start"] < plan["end"]

    def info(d: str) -> TestInfo:
        return TestInfo(label=d, sample="s", source="f", date=d, method="shotgun")

    text = _trial_text(plan, info("2025-12-01"), info("2026-04-01"))
    assert "dairy" in text and "cannot tell whether it caused" in text
    assert _trial_text(plan, info("2026-04-01"), info("2026-06-01")) == ""  # the trial was before both tests
    assert _trial_text(plan, TestInfo(label="a", sample="s", source="f", method="shotgun"), info("2026-06-01")) == ""
