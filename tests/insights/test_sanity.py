"""Sample sanity checks on real profiler outputs: the message that must come first when a sample is not comparable."""

from __future__ import annotations

import gutskin
from gutskin.insights.measure import SampleMeasurer
from gutskin.insights.sanity import absence_is_informative, check_sample
from gutskin.knowledge.loader import load_kb
from gutskin.readers import read_many
from gutskin.reference import choose
from tests.conftest import DATA, fixture


def codes(path, **kw):
    return [f.code for f in check_sample(gutskin.read(path), **kw)]


def test_c_difficile_report_gets_its_own_message_first():
    found = check_sample(gutskin.read(fixture("kraken2/multiqc__sample_03.report.txt")))
    assert found[0].code == "c_difficile_dominant" and found[0].severity == "stop"
    assert found[0].value > 0.99 and found[0].taxid == 1496  # "Peptoclostridium difficile" read as C. difficile


def test_klebsiella_bloom_is_an_enterobacteriaceae_bloom():
    found = check_sample(gutskin.read(fixture(
        "kraken2/multiqc__issue_2825_no_unassigned__SRR27145089.kraken2.report.txt")))
    assert found[0].code == "enterobacteriaceae_bloom"
    assert found[0].taxon and found[0].taxon.split()[0] in ("Klebsiella", "Escherichia", "Enterobacter")


def test_findings_are_coded_not_worded():
    # words live in report/wording.py; the insights layer gives codes and numbers only
    found = check_sample(gutskin.read(fixture("kraken2/taxpasta__2611_se-ERR5766174-db2.kraken2.report.txt.gz")))
    for f in found:
        assert not hasattr(f, "message")
        assert all(isinstance(v, float) for v in f.details.values())
    low = next(f for f in found if f.code == "low_depth")
    assert low.details["floor"] == 10_000 and low.details["reads"] == low.value


def test_phage_dominated_kefir_profile_says_what_phages_are():
    # real MetaPhlAn 3 profile (kefir study, --add_viruses): 65 % Lactococcus phages
    found = check_sample(gutskin.read(DATA / "gmwi2_metaphlan3_examples/kefir/Subj032_time1_S22_metaphlan.txt"))
    assert found[0].code == "viral_dominant" and found[0].value > 0.5
    # S. thermophilus (a yoghurt starter) dominating is not read as a mouth sample
    assert "not_stool_oral" not in [f.code for f in found]


def test_nose_profile_is_not_stool():
    assert codes(fixture("metaphlan/galaxy-iuc__SRS014464-Anterior_nares-abundances.tabular.gz"))[0] == \
        "not_stool_skin"


def test_tongue_samples_of_moving_pictures_are_flagged_and_gut_samples_are_not():
    table = read_many([fixture("qiime2_qza/q2-composition__table-ancombc.qza"),
                       fixture("qiime2_taxonomy_tsv/q2-feature-table__moving-pics-taxonomy-gg-13-8__taxonomy.tsv")])
    results = {s: [f.code for f in check_sample(table.take_samples([i]))] for i, s in enumerate(table.samples)}
    oral = [s for s, c in results.items() if c and c[0] == "not_stool_oral"]
    clean = [s for s, c in results.items() if not c]
    assert oral and clean  # the table mixes body sites: some samples are mouth samples, others gut


def test_host_reads_and_fungi_and_empty_classification():
    assert "host_dominant" in codes(fixture("kraken2/multiqc__issue_1639__test2.kreport.txt"))
    yeast = codes(fixture("kraken2/taxpasta__2611_se-ERR5766174-db2.kraken2.report.txt.gz"))
    assert {"fungi_high", "high_unknown", "low_depth"} <= set(yeast)


def test_healthy_stool_passes_quietly():
    assert codes(fixture("metaphlan/taxpasta__ERR7569997.txt")) == [] or \
        all(f != "c_difficile_dominant" for f in codes(fixture("metaphlan/taxpasta__ERR7569997.txt")))


def test_absent_is_not_called_where_most_reads_are_unknown():
    # the GMWI2 example: 71 % of reads unassigned, so "not detected" is not "absent"
    profile = gutskin.read(fixture("metaphlan/gmwi2__SRR1761667_metaphlan.txt"))
    ok, why = absence_is_informative(profile)
    assert not ok and "unassigned" in why
    kb = load_kb()
    measurer = SampleMeasurer(profile, choose(profile).reference, kb)
    statuses = {f.id: measurer.measure(f) for f in kb.features()}
    assert not any(m.status == "absent" for m in statuses.values())
    assert any(m.reason and m.reason.startswith("not detected, but") for m in statuses.values())


def test_a_genus_whose_evidence_meant_more_says_so():
    from gutskin.reference import load

    profile = gutskin.read(fixture("metaphlan/taxpasta__ERR7569997.txt"))
    kb = load_kb()
    m = SampleMeasurer(profile, load("camda2024-healthy-mpa4"), kb).measure(kb.feature("taxon-bacteroides"))
    assert m.reason and "Phocaeicola" in m.reason


def test_skin_bacteria_in_a_stool_sample_are_flagged_and_healthy_stool_is_not():
    """550.L1S1 ("feces") is 31 % skin genera beside 29 % usual stool genera: stool, but touched by skin. Healthy
    stool of another cohort (TwinsUK) almost never reaches the threshold."""
    moving = gutskin.read(DATA / "movingpictures_16s_gut_467" / "genus_counts.tsv.gz")
    one = moving.take_samples([moving.samples.index("550.L1S1.s.1.sequence")])
    found = {f.code: f for f in check_sample(one)}
    assert "skin_bacteria_high" in found and "not_stool_skin" not in found
    hit = found["skin_bacteria_high"]
    assert hit.severity == "warn" and 0.30 < hit.value < 0.32 and hit.details["stool_core"] > 0.1
    # a nose sample is "not stool", not also "skin bacteria high"
    nose = codes(fixture("metaphlan/galaxy-iuc__SRS014464-Anterior_nares-abundances.tabular.gz"))
    assert "not_stool_skin" in nose and "skin_bacteria_high" not in nose
    twins = gutskin.read(DATA / "twinsuk_16s_v4_greengenes_1024" / "genus_counts.tsv.gz")
    flagged = sum("skin_bacteria_high" in [f.code for f in check_sample(twins.take_samples([i]))]
                  for i in range(0, twins.n_samples, 4))
    assert flagged <= 2  # of 256 healthy stool samples (every fourth of the cohort)


def test_skin_bacteria_warning_keeps_skin_panels_out_of_the_main_points():
    from gutskin.report.wording import SANITY, SKIN_BLOCKING

    assert "skin_bacteria_high" in SKIN_BLOCKING
    headline, detail = SANITY["skin_bacteria_high"]
    assert "{share}" in headline and "{skin}" in detail
