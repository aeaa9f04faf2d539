"""Choosing a reference uses everything the profile says: method, MetaPhlAn version, 16S database, age group."""

from __future__ import annotations

import pytest

import gutskin
from gutskin import reference
from gutskin.errors import RefusedError
from gutskin.insights.measure import SampleMeasurer
from gutskin.knowledge.loader import load_kb
from gutskin.readers import read_many
from tests.conftest import DATA, fixture

GG13 = "qiime2_taxonomy_tsv/q2-feature-table__moving-pics-taxonomy-gg-13-8__taxonomy.tsv"
GG2 = "qiime2_taxonomy_tsv/q2-feature-table__moving-pics-taxonomy-gg-2__taxonomy.tsv"
TABLE = "qiime2_qza/q2-composition__table-ancombc.qza"


def test_metaphlan3_profile_gets_a_metaphlan3_reference():
    profile = gutskin.read(fixture("metaphlan/gmwi2__SRR1761667_metaphlan.txt"))
    choice = reference.choose(profile)
    assert choice.reference.profiler_version == "3" and choice.scope == "full"
    assert choice.reference.small and any("only" in c and "people" in c for c in choice.caveats)


def test_metaphlan4_merged_table_without_header_gets_the_metaphlan4_reference(tmp_path):
    # derived file: the real MetaPhlAn 4.1.1 merged table with its database header line removed
    src = fixture("metaphlan_merged/generated__metaphlan-4.1.1-merge__ERR7569997_ERR7569998.txt")
    lines = src.read_text().splitlines(keepends=True)
    assert lines[0].startswith("#mpa_")
    derived = tmp_path / "merged_no_header.txt"
    derived.write_text("".join(lines[1:]))
    profile = gutskin.read(derived)
    choice = reference.choose(profile)
    assert choice.reference.profiler_version == "4" and choice.scope == "full"
    assert choice.reference.name == "camda2024-healthy-mpa4"


def test_qiime2_table_with_taxonomy_gets_the_16s_reference_of_its_database():
    gg = read_many([fixture(TABLE), fixture(GG13)])
    assert gg.info[0].method == "16S"
    choice = reference.choose(gg.take_samples([0]))
    assert choice.reference.method == "16S" and "Greengenes" in choice.reference.taxonomy
    gg2 = read_many([fixture(TABLE), fixture(GG2)])
    choice2 = reference.choose(gg2.take_samples([0]))
    assert choice2.reference.method == "16S" and "GTDB" in choice2.reference.taxonomy
    # 16S diversity is placed at genus rank, as the 16S reference summarised it
    m = SampleMeasurer(gg.take_samples([0]), choice.reference, load_kb())
    assert "shannon" in m.metrics.columns and m.relation == "exact"


def test_infants_get_the_infant_reference_or_a_refusal():
    gg2 = read_many([fixture(TABLE), fixture(GG2)]).take_samples([0])
    assert reference.choose(gg2, age_group="infant").reference.age_group == "infant"
    assert reference.choose(gg2).reference.age_group == "adult"
    shotgun = gutskin.read(fixture("metaphlan/taxpasta__ERR7569997.txt"))
    with pytest.raises(RefusedError, match="infant"):
        reference.choose(shotgun, age_group="infant")
    with pytest.raises(RefusedError, match="infant"):
        reference.choose(shotgun, "infant-16s-gtdb")  # pinned across method *and* age: refused


def test_across_versions_nothing_is_placed_until_shown_to_transfer():
    profile = gutskin.read(fixture("metaphlan/gmwi2__SRR1761667_metaphlan.txt"))
    choice = reference.choose(profile, "gmhi2020-healthy-mpa2")
    assert choice.scope == "transferable"
    kb = load_kb()
    measurer = SampleMeasurer(profile, choice.reference, kb)
    assert measurer.relation == "cross_version"
    blautia = measurer.measure(kb.feature("taxon-blautia"))
    assert blautia.status == "not_measured" and "not compared" in blautia.reason
    diversity = measurer.measure(kb.feature("diversity-alpha"))
    # scripts/transfer_study.py: Shannon of healthy MetaPhlAn 3/4 people lands off-centre in MetaPhlAn 2 people
    assert diversity.status == "not_measured" and "transfer" in diversity.reason
    assert not reference.registry.TRANSFERABLE


def test_shipped_references_cover_every_method_family():
    refs = {r.name: r for r in reference.available()}
    versions = {r.profiler_version for r in refs.values() if r.method == "shotgun"}
    assert {"2", "3", "4"} <= versions
    sixteen = [r for r in refs.values() if r.method == "16S"]
    assert {"greengenes", "gtdb"} <= {reference.registry.taxonomy_family(r.taxonomy) for r in sixteen}
    twins = refs["twinsuk-16s-gg"]
    assert "women" in twins.title and twins.metric_rank == "genus"
    assert all(r.licence and r.citation and r.n > 0 for r in refs.values())
    assert DATA.is_dir()
