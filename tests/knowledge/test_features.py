"""Features carry rank, taxid and synonyms so that profiles in any naming find them."""

from __future__ import annotations

import pytest

from gutskin.knowledge import normalise_name


@pytest.mark.parametrize(("name", "feature"), [
    ("s__Eubacterium_rectale", "taxon-eubacterium-rectale"),
    ("Agathobacter rectalis", "taxon-eubacterium-rectale"),
    ("Mediterraneibacter gnavus", "taxon-ruminococcus-gnavus"),
    ("[Ruminococcus] gnavus", "taxon-ruminococcus-gnavus"),
    ("Bacteroidota", "taxon-bacteroidetes"),
    ("p__Firmicutes", "taxon-firmicutes"),
    ("Bacillota", "taxon-firmicutes"),
    ("Pseudomonadota", "taxon-proteobacteria"),
    ("Faecalibacterium_prausnitzii", "taxon-faecalibacterium-prausnitzii"),
    ("Escherichia/Shigella", "taxon-escherichia"),
    ("Lacticaseibacillus zeae", "taxon-lactobacillus-zeae"),
    ("Anaerobutyricum hallii", "taxon-eubacterium-hallii"),
    ("Coprococcus_1", "taxon-coprococcus"),
    ("M01", "guild-butyrate-producers-core"),
    ("guild-butyrate-producers-core", "guild-butyrate-producers-core"),
])
def test_names_in_any_naming_resolve(kb, name, feature):
    assert kb.resolve_feature(name) == feature


def test_unknown_names_do_not_resolve(kb):
    assert kb.resolve_feature("Bacteroides sp. nov.") is None
    assert kb.resolve_feature("Firmicutes_A") is None  # GTDB suffixes are different clades


def test_features_expose_rank_taxid_and_synonyms(kb):
    fp = kb.feature("Faecalibacterium prausnitzii")
    assert fp.rank.value == "species" and fp.ncbi_taxid == 853 and fp.parent == "taxon-faecalibacterium"
    assert "Faecalibacterium duncaniae" in fp.includes
    assert kb.feature_by_taxid(33038).id == "taxon-ruminococcus-gnavus"
    lacto = kb.feature("Lactobacillus")
    assert "Limosilactobacillus" in lacto.includes and len(lacto.includes) == 24
    taxa = kb.features("taxon")
    assert all(f.rank is not None for f in taxa)
    assert all(f.taxid_source for f in taxa if f.ncbi_taxid)
    ids = [f.ncbi_taxid for f in taxa if f.ncbi_taxid]
    assert len(ids) == len(set(ids)), "one taxid per feature"


def test_guild_members_and_proxies_resolve(kb):
    core = kb.feature("guild-butyrate-producers-core")
    assert "taxon-faecalibacterium-prausnitzii" in core.members
    assert all(m in kb.features_by_id for m in core.members)
    assert kb.feature("guild-scfa-producers").proxy == "guild-butyrate-producers-core"


def test_non_profile_features_are_marked(kb):
    for fid in ("state-sibo", "metabolite-faecal-butyrate", "taxon-helicobacter-pylori"):
        assert kb.features_by_id[fid].measurable_in_stool_profile is False


def test_descendants_and_ancestors(kb):
    assert "taxon-bifidobacterium-breve" in kb.descendants("taxon-bifidobacterium")
    assert kb.ancestors("taxon-bifidobacterium-breve") == ["taxon-bifidobacterium"]


def test_conditions_resolve_by_alias(kb):
    assert kb.resolve_condition("eczema") == "atopic_dermatitis"
    assert kb.resolve_condition("Chronic spontaneous urticaria") == "chronic_spontaneous_urticaria"
    assert kb.resolve_condition("PsA") == "psoriasis"
    assert kb.resolve_condition("lupus") is None
    assert "taxon-firmicutes" in kb.condition("psoriasis").avoid_as_marker


def test_normalise_name():
    assert normalise_name("s__Eubacterium_rectale") == "eubacterium rectale"
    assert normalise_name("  Escherichia  coli ") == "escherichia coli"


def test_association_query_filters(kb):
    rows = kb.associations(condition="eczema", population="adult")
    assert rows and all(a.effective_population.value in {"adult", "mixed", "unspecified"} for a in rows)
    assert all(a.grade == "B" for a in kb.associations(grade="b"))
    genus_only = kb.associations("atopic_dermatitis", "Bifidobacterium")
    with_species = kb.associations("atopic_dermatitis", "Bifidobacterium", include_descendants=True)
    assert len(with_species) > len(genus_only) >= 1
    a = kb.association("ros-sibo-khurmatullina2025")
    d = a.to_dict()
    assert d["design"] == "MA" and d["citation"]["doi"].startswith("10.") and d["feature_name"]
