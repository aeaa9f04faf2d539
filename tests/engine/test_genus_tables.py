"""A genus-only table (a 16S genus export) gets a report: alpha diversity at genus, species-level indices
refused with their reason, instead of the whole analysis failing on the first species-level measure."""

from __future__ import annotations

import pytest

import gutskin
from gutskin.engine import analyse, score
from gutskin.errors import RefusedError
from tests.conftest import data


@pytest.fixture(scope="module")
def genus_table():
    return gutskin.read(data("movingpictures_16s_gut_467/genus_counts.tsv.gz"))


def test_a_genus_table_is_analysed_at_genus_rank(genus_table, resources):
    a = analyse(genus_table, resources, samples=genus_table.samples[:2])[0]
    assert a.alpha_rank == "genus"
    assert a.scores["shannon"] is not None and a.scores["shannon"] > 0
    gmhi = next(i for i in a.indices if i.key == "gmhi")
    assert gmhi.status == "refused" and "species" in gmhi.reason
    assert a.skin.part.status == "ok" and a.skin.panels


def test_score_leaves_a_group_index_empty_but_refuses_a_named_one(genus_table):
    s = score(genus_table.take_samples([0, 1]), metrics="all", rank="genus")
    assert s.table["gmhi"].isna().all() and "gmhi" in s.refused
    assert "gmhi: left empty" in s.table["warnings"].iloc[0]
    with pytest.raises(RefusedError, match="species"):
        score(genus_table.take_samples([0]), metrics="gmhi", rank="genus")


def test_alpha_at_a_missing_rank_names_the_rank_not_the_metrics_option(genus_table):
    with pytest.raises(RefusedError, match="alpha diversity is measured at species rank") as info:
        score(genus_table.take_samples([0]), metrics="all", rank="species")
    assert "--metrics" not in str(info.value)
    assert "--rank genus" in str(info.value)  # the rank this genus table can be measured at, as an option


def test_a_guild_member_is_found_only_where_the_sample_holds_it(genus_table, resources):
    # this sample has no Bifidobacterium reads, but the merged table has a Bifidobacterium row (other samples
    # hold it): the report must not say "Found in you: Bifidobacterium" beside a 0 % share
    sample = "550.L1S1.s.1.sequence"
    row = genus_table.values[genus_table.samples.index(sample)].toarray().ravel()
    bifido = [j for j, n in enumerate(genus_table.taxa["name"]) if n == "Bifidobacterium"]
    assert bifido and row[bifido].sum() == 0
    a = analyse(genus_table, resources, samples=[sample])[0]
    guilds = {g.id: g for g in a.composition.guilds}
    assert guilds["bifidobacterium"].share == 0.0 and guilds["bifidobacterium"].members_found == []
    assert guilds["akkermansia"].share > 0 and guilds["akkermansia"].members_found == ["Akkermansia"]


def test_a_greengenes_table_with_archaea_meets_a_greengenes_reference(genus_table, resources):
    # Euryarchaeota (Methanobrevibacter) ends in -ota like GTDB's phyla; it made this Greengenes table "GTDB",
    # so it was compared with GTDB genera (Phocaeicola, Agathobacter "not found in you")
    from gutskin.reference.registry import profile_taxonomy, relation, taxonomy_family

    assert "Euryarchaeota" in set(genus_table.taxa["phylum"].dropna())
    one = genus_table.take_samples([0])
    assert profile_taxonomy(one) == "greengenes"
    ref = resources.references.choose(one).reference
    assert taxonomy_family(ref.taxonomy) == "greengenes" and relation(one, ref) == "exact"
    # the same table under GTDB phylum names is still read as GTDB
    taxa = genus_table.taxa.copy()
    taxa["phylum"] = taxa["phylum"].replace({"Bacteroidetes": "Bacteroidota", "Actinobacteria": "Actinobacteriota"})
    renamed = type(one)(one.values, one.samples, taxa, one.info, one.layout)
    assert profile_taxonomy(renamed) == "gtdb"


def test_the_report_names_genera_when_diversity_was_measured_on_genera(genus_table, resources):
    from gutskin.report import build_report

    report = build_report(genus_table.take_samples([0]), resources=resources,
                          generated_at="2026-12-04T00:00:00Z")
    labels = {m.key: m.label for m in report.diversity.metrics}
    assert labels["observed"] == "Genera found"
