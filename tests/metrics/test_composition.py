"""Composition summaries: definitions carry citations; names survive renames; shares are of the classified community."""

from __future__ import annotations

import numpy as np
import pytest

from gutskin.metrics import composition_summary, definitions, fb_ratio, guild_shares, phylum_shares
from gutskin.profile import ProfileBuilder, SampleInfo
from gutskin.taxonomy.lineage import parse_prefixed
from gutskin.taxonomy.ranks import RANKS
from tests import cohorts

from ..conftest import DATA


def make_profile(samples: dict[str, dict[str, float]], style: str = "metaphlan", units: str = "percent"):
    builder = ProfileBuilder("clades")
    for name, rows in samples.items():
        s = builder.add_sample(name, SampleInfo(source="test", format="test", units=units))
        for clade, value in rows.items():
            lineage, rank, taxon = parse_prefixed(clade, style)
            builder.add_value(s, builder.add_taxon(lineage, rank, taxon), value)
    return builder.build()


BAC = "k__Bacteria"


def test_definitions_have_citations_and_valid_members():
    defs = definitions()
    ids = [g.id for g in defs.guilds]
    assert len(ids) == len(set(ids))
    assert {"butyrate_producers", "akkermansia", "bifidobacterium", "lactobacilli", "enterobacteriaceae",
            "proteobacteria", "sulfate_reducers"} <= set(ids)
    for g in defs.guilds:
        assert g.citations and all(len(c) > 20 for c in g.citations), g.id
        assert g.members, g.id
        assert all(m.rank in RANKS for m in g.members)
        assert g.marker.startswith("M")
    lacto = defs.guild("lactobacilli")
    assert len({m.name for m in lacto.members}) == 25
    assert defs.ratios[0]["citations"]


def test_old_and_new_phylum_names_give_the_same_shares():
    old = make_profile({"a": {f"{BAC}|p__Firmicutes": 60, f"{BAC}|p__Bacteroidetes": 30,
                              f"{BAC}|p__Proteobacteria": 8, f"{BAC}|p__Tenericutes": 2}})
    new = make_profile({"a": {f"{BAC}|p__Bacillota": 60, f"{BAC}|p__Bacteroidota": 30,
                              f"{BAC}|p__Pseudomonadota": 8, f"{BAC}|p__Mycoplasmatota": 2}})
    s_old, s_new = phylum_shares(old), phylum_shares(new)
    assert s_old.values.equals(s_new.values)
    row = s_old.values.iloc[0]
    assert row["phylum.Bacillota"] == pytest.approx(0.6)
    assert row["phylum.Pseudomonadota"] == pytest.approx(0.08)
    assert row["phylum.other"] == pytest.approx(0.02)
    assert "Firmicutes" in s_old.labels["phylum.Bacillota"]
    assert fb_ratio(old).iloc[0] == pytest.approx(2.0)
    assert fb_ratio(new).iloc[0] == pytest.approx(2.0)
    assert not s_old.warnings


def test_gtdb_suffixed_phyla_are_counted_with_a_warning():
    gtdb = make_profile({"a": {"d__Bacteria;p__Firmicutes_A": 40, "d__Bacteria;p__Firmicutes": 20,
                               "d__Bacteria;p__Bacteroidota": 40}}, style="gtdb")
    shares = phylum_shares(gtdb)
    assert shares.values["phylum.Bacillota"].iloc[0] == pytest.approx(0.6)
    assert any("Firmicutes_A" in w for w in shares.warnings)


def test_lactobacillus_split_and_eubacterium_rectale_renames():
    old = make_profile({"a": {
        f"{BAC}|p__Firmicutes|c__Bacilli|o__Lactobacillales|f__Lactobacillaceae|g__Lactobacillus|"
        "s__Lactobacillus_salivarius": 5,
        f"{BAC}|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae|g__Lachnospiraceae_unclassified|"
        "s__Eubacterium_rectale": 15,
        f"{BAC}|p__Bacteroidetes|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Bacteroides|"
        "s__Bacteroides_vulgatus": 80}})
    new = make_profile({"a": {
        f"{BAC}|p__Bacillota|c__Bacilli|o__Lactobacillales|f__Lactobacillaceae|g__Ligilactobacillus|"
        "s__Ligilactobacillus_salivarius": 5,
        f"{BAC}|p__Bacillota|c__Clostridia|o__Lachnospirales|f__Lachnospiraceae|g__Agathobacter|"
        "s__Agathobacter_rectalis": 15,
        f"{BAC}|p__Bacteroidota|c__Bacteroidia|o__Bacteroidales|f__Bacteroidaceae|g__Phocaeicola|"
        "s__Phocaeicola_vulgatus": 80}})
    for prof in (old, new):
        g = guild_shares(prof).values.iloc[0]
        assert g["guild.lactobacilli"] == pytest.approx(0.05)
        assert g["guild.butyrate_producers"] == pytest.approx(0.15)
        assert g["guild.bifidobacterium"] == 0.0
        assert g["guild.proteobacteria"] == 0.0


def test_guild_share_equals_manual_sum_on_real_profiles():
    profile = cohorts.gmwi2_examples(DATA).profile
    shares = guild_shares(profile).values
    view = profile.at_rank("species")
    genus = view.taxa["genus"].astype(str).to_numpy()
    values = view.values.toarray()
    totals = values.sum(axis=1)
    bifido = values[:, genus == "Bifidobacterium"].sum(axis=1) / totals
    assert np.allclose(shares["guild.bifidobacterium"].to_numpy(), bifido, rtol=0, atol=1e-15)
    family = view.taxa["family"].astype(str).to_numpy()
    entero = values[:, family == "Enterobacteriaceae"].sum(axis=1) / totals
    assert np.allclose(shares["guild.enterobacteriaceae"].to_numpy(), entero, rtol=0, atol=1e-15)
    ext = shares["guild.butyrate_producers_extended"].to_numpy()
    assert (ext >= shares["guild.butyrate_producers"].to_numpy() - 1e-15).all()
    summary = composition_summary(profile)
    phyla = summary[[c for c in summary.columns if c.startswith("phylum.")]]
    assert np.allclose(phyla.sum(axis=1), 1.0)
    assert ((summary.filter(like="guild.") >= 0) & (summary.filter(like="guild.") <= 1)).all().all()
    assert set(summary.attrs["citations"]) >= set(summary.columns)


def test_guilds_needing_missing_ranks_are_empty_with_reason():
    profile = cohorts.camda2024(DATA).profile  # species names only: genus is the first word, nothing above
    summary = composition_summary(profile)
    assert summary["guild.enterobacteriaceae"].isna().all()
    assert summary["guild.proteobacteria"].isna().all()
    assert summary["phylum.Bacillota"].isna().all() and summary["fb_ratio"].isna().all()
    assert summary["guild.bifidobacterium"].notna().all()
    warnings = " ".join(summary.attrs["warnings"])
    assert "Enterobacteriaceae not computed" in warnings and "phylum" in warnings


def test_fb_ratio_empty_without_bacteroidota():
    p = make_profile({"a": {f"{BAC}|p__Firmicutes": 100}, "b": {f"{BAC}|p__Firmicutes": 50,
                                                               f"{BAC}|p__Bacteroidetes": 50}})
    summary = composition_summary(p)
    assert np.isnan(summary.loc["a", "fb_ratio"]) and summary.loc["b", "fb_ratio"] == 1.0
    # each sample's own note, never a count of the other samples in the table
    assert summary.attrs["sample_warnings"] == {"a": ["F/B ratio left empty: no Bacteroidota detected"]}
    assert not any("Bacteroidota" in w for w in summary.attrs["warnings"])


def test_sparse_species_names_move_guilds_to_genus_rank():
    import gutskin

    from ..conftest import FIXTURES

    profile = gutskin.read(FIXTURES / "biom" / "unifrac__crawford.biom")  # 16S OTUs, few species names
    shares = guild_shares(profile)
    assert shares.values["guild.butyrate_producers"].isna().all()
    assert shares.values["guild.lactobacilli"].notna().all()
    text = " ".join(shares.warnings)
    assert "summed at genus rank" in text and "has a species name" in text
