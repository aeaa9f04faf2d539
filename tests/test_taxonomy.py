"""Lineage parsing in every style, and renames."""

from __future__ import annotations

from gutskin.taxonomy import lineage, ranks, synonyms


def test_metaphlan_lineage_becomes_canonical_with_spaces():
    lin, rank, name = lineage.parse_prefixed("k__Bacteria|p__Firmicutes|g__Faecalibacterium|"
                                             "s__Faecalibacterium_prausnitzii|t__SGB15318")
    assert rank == "strain" and name == "SGB15318"
    assert lin.get("domain") == "Bacteria" and lin.get("species") == "Faecalibacterium prausnitzii"
    assert lin.get("class") is None


def test_gtdb_keeps_suffixes_and_qiime_drops_empty_ranks():
    lin, rank, name = lineage.parse_prefixed("d__Bacteria; p__Firmicutes_D; g__Phocaeicola_A_858004; "
                                             "s__Phocaeicola_A_858004 vulgatus")
    assert lin.get("phylum") == "Firmicutes_D" and name == "Phocaeicola_A_858004 vulgatus"
    lin, rank, name = lineage.parse_prefixed("k__Bacteria; p__Bacteroidetes; c__; o__; f__; g__; s__")
    assert (rank, name) == ("phylum", "Bacteroidetes")
    silva, rank, _ = lineage.parse_prefixed("D_0__Bacteria;D_1__Firmicutes;D_5__Blautia")
    assert rank == "genus" and silva.get("phylum") == "Firmicutes"


def test_kraken_codes():
    assert ranks.kraken_rank("S") == "species"
    assert ranks.kraken_rank("S1") == "strain"
    assert ranks.kraken_rank("G1") == "G1"
    assert ranks.kraken_rank("-") == "no rank"
    assert ranks.rank_word("superkingdom") == "domain"


def test_renames_old_and_new_names_match():
    assert synonyms.resolve("s__Eubacterium_rectale") == "Agathobacter rectalis"
    assert synonyms.same_taxon("Firmicutes", "Bacillota")
    assert synonyms.same_taxon("Prevotella_copri", "Segatella copri")
    assert synonyms.same_taxon("Lactobacillus reuteri", "Limosilactobacillus reuteri")
    # GTDB suffixed groups are different taxa
    assert not synonyms.same_taxon("Firmicutes_A", "Firmicutes")
    # the emended genus Lactobacillus keeps its name; the lactobacilli group has 25 genera
    assert synonyms.resolve("Lactobacillus") == "Lactobacillus"
    assert len(synonyms.load().group("lactobacilli")) == 25
    assert synonyms.load().taxid("Clostridium difficile") == 1496
