"""CAMI profiles, mOTUs, sylph / sylph-tax and kaiju2table, read from the real files in shared/fixtures.

Bad-input cases corrupt copies of those real files in ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gutskin
from gutskin.errors import InputError, RefusedError
from gutskin.io import peek
from gutskin.readers import metaphlan
from gutskin.readers.motus import genus_of
from tests.conftest import FIXTURES, fixture

CAMI_MPA = "cami_profile/benchpro__MetaPhlAn4__0.profile.tsv"
CAMI_MOTUS = "cami_profile/benchpro__mOTUs3__1.profile.tsv"
MOTUS2 = "motus/motus__ERR878216_both.profile"
MOTUS2_COUNTS = "motus/motus__ERR878216_both_counts.profile"
MOTUS3 = "motus/taxpasta__2612_pe-ERR5766176-db_mOTU.out"
SYLPH_PROFILE = "sylph/galaxy-iuc__sylph__output_1.tabular"
SYLPH_QUERY = "sylph/galaxy-iuc__sylph__output_5.tabular"
SYLPH_MULTI = "sylph/sylph-tax__result.tsv"
SYLPHTAX_BENCH = "sylph/benchpro__sylph__Gastrointestinal_0.profile"
SYLPHTAX_4COL = "sylph/multiqc__sylphtax__tax_test.sylphmpa"
SYLPHTAX_NOTAX = "sylph/multiqc__sylphtax__no_taxonomy.sylphmpa"
KAIJU_2 = "kaiju/multiqc__2samples_kaiju2table_phylum.txt"
KAIJU_G1 = "kaiju/multiqc__first_kaiju2table_genus.txt"
KAIJU_G2 = "kaiju/multiqc__second_kaiju2table_genus.txt"
KAIJU_IDS = "kaiju/taxpasta__barcode41_se-barcode41-kaiju.txt"
KAIJU_EMPTY = "kaiju/multiqc__issue_2160__empty.txt"
KAIJU_GALAXY = "kaiju/galaxy-iuc__kaiju2table.out"

EXPECTED_FORMAT = {"cami_profile": "cami", "motus": "motus", "sylph": "sylph", "kaiju": "kaiju"}
ALL_FIXTURES = sorted(str(p.relative_to(FIXTURES)) for d in EXPECTED_FORMAT for p in (FIXTURES / d).iterdir())


def value_of(profile, sample: str, rank: str, name: str) -> float:
    view = profile.sample(sample).at_rank(rank)
    hits = np.flatnonzero(view.taxa["name"].to_numpy() == name)
    assert len(hits) == 1, f"{name} at {rank}: {len(hits)} rows"
    return float(view.values[0, hits[0]])


def assert_proportions_sum_to_one(profile, rank: str) -> None:
    sums = np.asarray(profile.proportions(rank).values.sum(axis=1)).ravel()
    assert sums == pytest.approx(np.ones(profile.n_samples))


def corrupt(tmp_path: Path, relpath: str, edit, name: str | None = None) -> Path:
    """A copy of a real fixture with ``edit(lines) -> lines`` applied."""
    lines = fixture(relpath).read_text().split("\n")
    out = tmp_path / (name or Path(relpath).name)
    out.write_text("\n".join(edit(lines)))
    return out


def replace_line(lines: list[str], contains: str, new) -> list[str]:
    i = next(i for i, ln in enumerate(lines) if contains in ln)
    return [*lines[:i], new(lines[i]), *lines[i + 1:]]


# ------------------------------------------------------------------------------------------------ detection
@pytest.mark.parametrize("relpath", ALL_FIXTURES)
def test_every_fixture_is_detected(relpath):
    expected = EXPECTED_FORMAT[relpath.split("/")[0]]
    path = fixture(relpath)
    if expected == "sylph" and metaphlan.sniff(peek(path)):
        # metaphlan's sniff runs first and claims an un-commented 'clade_name' header even with
        # sequence_abundance beside it; reported to the integrator, not edited here
        pytest.xfail("metaphlan.sniff claims this sylph-tax file")
    assert gutskin.detect_format(path) == expected


@pytest.mark.parametrize("relpath", ALL_FIXTURES)
def test_every_fixture_reads_with_its_format_named(relpath):
    fmt = EXPECTED_FORMAT[relpath.split("/")[0]]
    if relpath == SYLPH_QUERY:
        with pytest.raises(InputError, match="sylph query"):
            gutskin.read(fixture(relpath), format=fmt)
        return
    p = gutskin.read(fixture(relpath), format=fmt, allow_empty=relpath == KAIJU_EMPTY)
    assert p.n_samples >= 1 and all(i.format == fmt for i in p.info)


# ------------------------------------------------------------------------------------------------ CAMI
def test_cami_from_metaphlan4():
    p = gutskin.read(fixture(CAMI_MPA))
    assert p.samples == ["benchpro__MetaPhlAn4__0.profile"]  # '@SampleID:Metaphlan_Analysis' is a default
    info = p.info[0]
    assert (info.profiler, info.profiler_version, info.database) == ("MetaPhlAn", "4",
                                                                     "mpa_vJan21_CHOCOPhlAnSGB_202103")
    assert info.units == "percent" and p.layout == "clades" and info.extra["cami_version"] == "0.10.0"
    assert info.unclassified_share == 0.0  # superkingdom Bacteria is 100.0
    assert value_of(p, p.samples[0], "phylum", "Firmicutes") == 33.15985
    assert value_of(p, p.samples[0], "genus", "Roseburia") == 8.16768
    # MetaPhlAn underscores read as spaces; superkingdom → domain
    assert value_of(p, p.samples[0], "species", "Butyrivibrio hungatei") == 0.26262
    assert value_of(p, p.samples[0], "domain", "Bacteria") == 100.0
    counts = p.taxa_per_rank()
    assert (int(counts["species"][0]), int(counts["genus"][0]), int(counts["phylum"][0])) == (32, 22, 5)
    tax = p.taxa[p.taxa["name"] == "Roseburia"]
    assert tax["taxid"].iloc[0] == 841 and tax["family"].iloc[0] == "Lachnospiraceae"
    for rank in ("phylum", "genus", "species"):
        assert_proportions_sum_to_one(p, rank)


def test_cami_nameless_metaphlan_genus_is_kept():
    # line 53: '\tgenus\t2|…|84107|\tBacteria|…|Coriobacteriaceae|\t1.31732' (no taxid, no name)
    p = gutskin.read(fixture(CAMI_MPA))
    assert value_of(p, p.samples[0], "genus", "unclassified Coriobacteriaceae") == 1.31732
    row = p.taxa[p.taxa["name"] == "unclassified Coriobacteriaceae"]
    assert row["taxid"].isna().all() and row["family"].iloc[0] == "Coriobacteriaceae"


def test_cami_from_motus3():
    p = gutskin.read(fixture(CAMI_MOTUS))
    assert p.samples == ["1"]
    info = p.info[0]
    assert (info.profiler, info.profiler_version, info.database) == ("mOTUs", "3.0.1", "nr3.0.1")
    assert info.extra["taxonomy_id"] == "Jan 08 2019"
    assert value_of(p, "1", "species", "Clostridium aceticum") == 7.820839115498475
    assert value_of(p, "1", "genus", "Bacteroides") == 9.158193999511408
    assert int(p.taxa_per_rank()["species"][0]) == 38
    # '-C parenthesis' merges: TAXID '(103855/1331258)' is no single taxid
    merged = p.taxa[p.taxa["name"] == "(Bordetella hinzii/Bordetella pseudohinzii)"]
    assert merged["taxid"].isna().all() and merged["genus"].iloc[0] == "Bordetella"
    assert p.taxa.loc[p.taxa["name"] == "Clostridium aceticum", "taxid"].iloc[0] == 84022
    assert_proportions_sum_to_one(p, "species")


def test_cami_several_samples_in_one_file(tmp_path):
    mpa = fixture(CAMI_MPA).read_text()
    motus_blocks = "\n".join(ln for ln in fixture(CAMI_MOTUS).read_text().split("\n") if not ln.startswith("#"))
    both = tmp_path / "two.profile"
    both.write_text(mpa + "\n" + motus_blocks.replace("@SampleID:1", "@SampleID:second"))
    assert gutskin.detect_format(both) == "cami"
    p = gutskin.read(both)
    assert p.samples == ["two.1", "second"]
    assert value_of(p, "two.1", "genus", "Roseburia") == 8.16768
    assert value_of(p, "second", "species", "Clostridium aceticum") == 7.820839115498475
    assert_proportions_sum_to_one(p, "genus")


def test_cami_header_order_and_default_sample_id(tmp_path):
    def reorder(lines):
        at = [ln for ln in lines if ln.startswith("@") and not ln.startswith("@@")]
        at = [ln for ln in at if not ln.startswith("@SampleID")] + ["@SampleID: unnamed sample"]
        rest = [ln for ln in lines if not ln.startswith("@") or ln.startswith("@@")]
        i = rest.index(next(ln for ln in rest if ln.startswith("@@")))
        return rest[:i] + at + rest[i:]

    p = gutskin.read(corrupt(tmp_path, CAMI_MOTUS, reorder, name="S7.profile"))
    assert p.samples == ["S7"] and p.info[0].extra["cami_version"] == "0.9.3"
    assert value_of(p, "S7", "species", "Clostridium aceticum") == 7.820839115498475


def test_cami_remainder_of_top_rank_is_unassigned(tmp_path):
    path = corrupt(tmp_path, CAMI_MOTUS, lambda ls: replace_line(
        ls, "\tsuperkingdom\t", lambda ln: ln.replace("\t100.0", "\t92.5")))
    p = gutskin.read(path)
    assert p.info[0].unclassified == pytest.approx(7.5) and p.info[0].unclassified_share == pytest.approx(0.075)


@pytest.mark.parametrize(("edit", "match"), [
    (lambda ls: replace_line(ls, "\tgenus\t", lambda ln: ln.rsplit("\t", 1)[0] + "\t-3.0"), "≥ 0"),
    (lambda ls: replace_line(ls, "\tgenus\t", lambda ln: ln.rsplit("\t", 1)[0] + "\tnan"), "finite"),
    (lambda ls: replace_line(ls, "\tgenus\t", lambda ln: ln.rsplit("\t", 1)[0] + "\tlots"), "expected a number"),
    (lambda ls: replace_line(ls, "\tgenus\t", lambda ln: ln.split("\t")[0]), "tab-separated columns"),
    (lambda ls: [ln for ln in ls if not ln.startswith("@@")], "before the '@@TAXID"),
    (lambda ls: replace_line(ls, "@@TAXID", lambda ln: ln.replace("\tPERCENTAGE", "")), "lacks PERCENTAGE"),
    (lambda ls: [ln for ln in ls if not ln.startswith("@@") and (ln.startswith(("#", "@")) or not ln)],
     "truncated"),
    (lambda ls: replace_line(ls, "\tspecies\t", lambda ln: ln.replace("\tBacteria|", "\tBacteria|X|Y|")),
     "TAXPATHSN has"),
])
def test_cami_bad_input(tmp_path, edit, match):
    with pytest.raises(InputError, match=match):
        gutskin.read(corrupt(tmp_path, CAMI_MPA, edit), format="cami")


# ------------------------------------------------------------------------------------------------ mOTUs
def test_motus2_fractions():
    p = gutskin.read(fixture(MOTUS2))
    assert p.samples == ["motus__ERR878216_both"]  # '#consensus_taxonomy\tunnamed sample'
    info = p.info[0]
    assert (info.profiler, info.profiler_version, info.database, info.units) == (
        "mOTUs", "2.0.0-rc1", "nr2.0.0-rc1", "fraction")
    assert p.layout == "features" and p.n_taxa == 9  # 7,7xx mOTUs listed, 9 non-zero, '-1' is unassigned
    assert info.unclassified == 0.100940474616 and info.unclassified_share == pytest.approx(0.100940474616)
    assert value_of(p, p.samples[0], "species", "Lactobacillus ruminis") == 0.3141081695
    # 'Collinsella aerofaciens  [ref_mOTU_v2_1383]': double space folded
    assert value_of(p, p.samples[0], "species", "Collinsella aerofaciens") == 0.076603693519
    assert value_of(p, p.samples[0], "genus", "Bifidobacterium") == pytest.approx(0.0535918741804 + 0.0865493722571)
    lin = p.taxa[p.taxa["name"] == "unknown Ruminococcaceae"]
    assert lin["genus"].isna().all() and lin.index[0].endswith("|mOTU:meta_mOTU_v2_6905")
    assert_proportions_sum_to_one(p, "species")
    assert_proportions_sum_to_one(p, "genus")


def test_motus2_counts():
    p = gutskin.read(fixture(MOTUS2_COUNTS))
    info = p.info[0]
    assert info.units == "counts" and p.n_taxa == 8
    assert value_of(p, p.samples[0], "species", "Lactobacillus ruminis") == 3.0
    assert info.unclassified == 1.0 and info.unclassified_share == pytest.approx(1 / 11)
    long = p.to_long("species")
    assert long["count"].sum() == 10 and long["relative_abundance"].sum() == pytest.approx(1.0)


def test_motus3_counts_with_taxids():
    p = gutskin.read(fixture(MOTUS3))
    assert p.samples == ["2612_pe-ERR5766176-db_mOTU"]
    info = p.info[0]
    assert (info.profiler_version, info.units, info.extra["level"]) == ("3.0.3", "counts", "mOTU")
    assert p.n_taxa == 78 and info.unclassified == 17.0 and info.unclassified_share == pytest.approx(17 / 259)
    s = p.samples[0]
    assert value_of(p, s, "species", "Ruminococcus bromii") == 20.0
    assert value_of(p, s, "species", "Prevotella copri") == 30.0
    # three mOTUs share 'Faecalibacterium prausnitzii': distinct features, summed at species rank
    fp = p.taxa[p.taxa["name"] == "Faecalibacterium prausnitzii"]
    assert len(fp) == 3 and set(fp["taxid"]) == {853}
    assert value_of(p, s, "species", "Faecalibacterium prausnitzii") == 3.0
    species = p.to_long("species")
    row = species[species["name"] == "Faecalibacterium prausnitzii"]
    assert len(row) == 1 and row["count"].iloc[0] == 3.0 and row["taxid"].iloc[0] == 853
    assert value_of(p, s, "species", "Dorea longicatena") == 2.0  # ref_mOTU_v3_03692 + 03693
    # NA taxid; genus from a binomial-led name
    tax = p.taxa.set_index("name")
    assert tax.loc["Blautia obeum/wexlerae", "genus"] == "Blautia" and tax["taxid"].isna().sum() > 0
    assert tax.loc["[Eubacterium] rectale", "genus"] == "[Eubacterium]"
    assert value_of(p, s, "genus", "Roseburia") == 13.0  # 'Roseburia species incertae sedis'
    assert_proportions_sum_to_one(p, "species")
    assert_proportions_sum_to_one(p, "genus")
    with pytest.raises(RefusedError):
        p.at_rank("phylum")


def test_motus_genus_heuristic_on_real_names():
    assert genus_of("Clostridium sp. CAG:567") == "Clostridium"
    assert genus_of("Candidatus Accumulibacter phosphatis") == "Candidatus Accumulibacter"
    assert genus_of("Firmicutes bacterium CAG:313") is None
    assert genus_of("Clostridiales species incertae sedis") is None
    assert genus_of("Clostridia species incertae sedis") is None
    assert genus_of("Parcubacteria group bacterium GW2011_GWA2_47_12") is None
    assert genus_of("Bacteria sp.") is None
    assert genus_of("unknown Ruminococcaceae") is None
    assert genus_of("Roseburia species incertae sedis", {"Roseburia"}) == "Roseburia"


def test_motus_merge_table_with_repeated_sample_names(tmp_path):
    lines = fixture(MOTUS3).read_text().rstrip("\n").split("\n")
    head = [
        "# motus version 3.0.3 | merge 3.0.3 | info merged profiles: " + lines[0] + " ",
        "# call: python motus merge -i a.motus,b.motus -o merged.motus",
        "#consensus_taxonomy\tNCBI_tax_id\tunnamed sample\tunnamed sample",
    ]
    body = [ln + "\t" + ln.rsplit("\t", 1)[1] for ln in lines[3:]]
    path = tmp_path / "merged.motus"
    path.write_text("\n".join(head + body) + "\n")
    assert gutskin.detect_format(path) == "motus"
    p = gutskin.read(path)
    assert p.samples == ["merged", "merged.2"] and p.units == "counts"
    assert p.info[0].extra["layout"] == "merged" and p.info[1].extra["warnings"]
    assert value_of(p, "merged.2", "species", "Prevotella copri") == 30.0
    assert all(i.unclassified == 17.0 for i in p.info)


def test_motus_q_layout_with_id_column(tmp_path):
    lines = fixture(MOTUS3).read_text().rstrip("\n").split("\n")
    rows = []
    for ln in lines[3:]:
        name, taxid, value = ln.split("\t")
        label, _, motu = name.rpartition(" [")
        rows.append(f"{motu.rstrip(']') if motu else name}\t{label or name}\t{taxid}\t{value}")
    path = tmp_path / "q.motus"
    path.write_text("\n".join([*lines[:2], "#mOTU\tconsensus_taxonomy\tNCBI_tax_id\tS1", *rows]) + "\n")
    p = gutskin.read(path)
    assert p.samples == ["S1"] and p.n_taxa == 78
    assert value_of(p, "S1", "species", "Faecalibacterium prausnitzii") == 3.0
    assert "g__Ruminococcus|s__Ruminococcus bromii|mOTU:ref_mOTU_v3_00853" in p.taxa.index


@pytest.mark.parametrize(("edit", "match"), [
    (lambda ls: replace_line(ls, "[ref_mOTU_v3_00853]", lambda ln: ln.replace("\t20", "\t-20")), "≥ 0"),
    (lambda ls: replace_line(ls, "[ref_mOTU_v3_00853]", lambda ln: ln.replace("\t20", "\tNaN")), "finite"),
    (lambda ls: replace_line(ls, "[ref_mOTU_v3_00853]", lambda ln: ln.replace("\t20", "\ttwenty")),
     "expected a number"),
    (lambda ls: replace_line(ls, "[ref_mOTU_v3_00853]", lambda ln: ln.replace("\t40518", "")),
     "tab-separated columns"),
    (lambda ls: ls[:3], "no mOTUs rows"),
    (lambda ls: [ls[0], ls[1], *ls[3:]], "column header line"),
])
def test_motus_bad_input(tmp_path, edit, match):
    with pytest.raises(InputError, match=match):
        gutskin.read(corrupt(tmp_path, MOTUS3, edit), format="motus")


# ------------------------------------------------------------------------------------------------ sylph
def test_sylph_profile_single_genome():
    p = gutskin.read(fixture(SYLPH_PROFILE))
    assert p.samples == ["test_single_reads_1"]  # Sample_file 'test_single_reads_1.fastq.gz'
    info = p.info[0]
    assert (info.profiler, info.units, p.layout) == ("sylph", "percent", "features")
    assert value_of(p, p.samples[0], "strain", "e.coli-o157.fasta") == 100.0
    assert info.unclassified_share == 0.0  # Sequence_abundance 100.0000
    with pytest.raises(RefusedError):
        p.at_rank("species")  # no taxonomy in sylph profile output


def test_sylph_profile_two_samples_one_multi_genome_file():
    p = gutskin.read(fixture(SYLPH_MULTI))
    assert p.samples == ["1", "2"]
    # every row has Genome_file 'imgvr_reps.fna': genomes are named by contig id, cut at '|'
    assert p.info[0].extra["genome_naming"] == "contig"
    assert value_of(p, "1", "strain", "IMGVR_UViG_3300014639_000013") == 49.5220
    present = p.taxa_per_rank()["strain"]
    assert present.tolist() == [87, 79]
    assert_proportions_sum_to_one(p, "strain")
    # Sequence_abundance sums to 100.0003 and 99.9998: the share of reads sylph gave to no genome
    assert [i.unclassified_share for i in p.info] == [0.0, pytest.approx(2e-6, abs=1e-9)]


def test_sylph_query_output_is_refused():
    with pytest.raises(InputError, match=r"containment and ANI.*sylph profile"):
        gutskin.read(fixture(SYLPH_QUERY))


def test_sylph_tax_gtdb_profile():
    p = gutskin.read(fixture(SYLPHTAX_BENCH), format="sylph_tax")
    assert p.samples == ["anonymous_reads_1"]  # from '#SampleID\t/…/reads/anonymous_reads_1.fq'
    info = p.info[0]
    assert (info.profiler, info.units, p.layout) == ("sylph-tax", "percent", "clades")
    assert value_of(p, p.samples[0], "domain", "Bacteria") == 99.99980000000002
    assert value_of(p, p.samples[0], "phylum", "Bacillota_A") == 32.631600000000006
    assert value_of(p, p.samples[0], "species", "Bordetella_A petrii") == 11.7005  # GTDB suffix kept
    assert int(p.taxa_per_rank()["species"][0]) == 34
    assert info.unclassified_share == pytest.approx(2e-6, abs=1e-9)  # 100 - 99.9998 % of reads
    for rank in ("phylum", "genus", "species", "strain"):
        assert_proportions_sum_to_one(p, rank)


def test_sylph_tax_four_column_multiqc_variant():
    p = gutskin.read(fixture(SYLPHTAX_4COL), format="sylph")
    assert p.samples == ["multiqc__sylphtax__tax_test"]  # no '#SampleID' line: file name
    s = p.samples[0]
    assert value_of(p, s, "domain", "Bacteria") == 100.00010000000002  # sums past 100 are kept as written
    assert value_of(p, s, "species", "Pumilibacter") == 3.9625
    assert value_of(p, s, "strain", "GCA_910587595.1") == 3.9625
    strain = p.taxa[p.taxa["name"] == "GCA_910587595.1"]
    assert strain["genus"].iloc[0] == "Pumilibacter" and strain.index[0].endswith("|t__GCA_910587595.1")
    assert p.info[0].unclassified_share == 0.0
    assert_proportions_sum_to_one(p, "phylum")


def test_sylph_tax_no_taxonomy():
    p = gutskin.read(fixture(SYLPHTAX_NOTAX), format="sylph")
    assert p.samples == ["CATDATA.unmapped_1"]
    info = p.info[0]
    assert info.database == "gtdb_r214_metadata.tsv" and info.extra["no_taxonomy"] == 100.0
    assert p.n_taxa == 1 and value_of(p, p.samples[0], "strain", "genome.fasta") == 100.0
    with pytest.raises(RefusedError):
        p.at_rank("domain")


@pytest.mark.parametrize(("relpath", "edit", "match"), [
    (SYLPH_MULTI, lambda ls: ls[:1], "no rows"),
    (SYLPH_MULTI, lambda ls: replace_line(ls, "Ga0121377_100258", lambda ln: ln.replace("\t49.5220", "\t-49.5")),
     "≥ 0"),
    (SYLPH_MULTI, lambda ls: replace_line(ls, "Ga0121377_100258", lambda ln: ln.replace("\t49.5220", "\tHIGH")),
     "expected a number"),
    (SYLPH_MULTI, lambda ls: replace_line(ls, "Ga0121377_100258", lambda ln: ln.split("\t", 5)[0]),
     "tab-separated columns"),
    (SYLPHTAX_BENCH, lambda ls: ls[:2], "no rows"),
    (SYLPHTAX_BENCH, lambda ls: replace_line(ls, "p__Bacillota_A\t", lambda ln: ln.replace("p__", "")),
     "GTDB clade"),
    (SYLPHTAX_BENCH, lambda ls: replace_line(ls, "p__Bacillota_A\t", lambda ln: ln.replace("\t32.63", "\tnan")),
     "expected a number|finite"),
    (SYLPHTAX_4COL, lambda ls: replace_line(ls, "g__Pumilibacter\t", lambda ln: ln + "\textra"),
     "tab-separated columns"),
])
def test_sylph_bad_input(tmp_path, relpath, edit, match):
    with pytest.raises(InputError, match=match):
        gutskin.read(corrupt(tmp_path, relpath, edit), format="sylph")


# ------------------------------------------------------------------------------------------------ kaiju
def test_kaiju_two_samples_by_file_column():
    p = gutskin.read(fixture(KAIJU_2))
    assert p.samples == ["s1_kaiju", "s2_kaiju"]  # full paths in the 'file' column
    assert p.units == "counts" and all(i.extra["rank"] == "phylum" for i in p.info)
    assert value_of(p, "s1_kaiju", "phylum", "Firmicutes") == 6133128
    assert value_of(p, "s2_kaiju", "phylum", "Bacteroidetes") == 2013028
    assert p.taxa_per_rank()["phylum"].tolist() == [42, 43]
    s1 = p.info[0]
    assert s1.unclassified == 751505 + 2777568
    assert s1.unclassified_share == pytest.approx((751505 + 2777568) / 26779485)
    assert s1.extra["viral_reads"] == 5429
    # Viruses is kept, but never as a phylum
    assert "Viruses" not in set(p.at_rank("phylum").taxa["name"])
    assert_proportions_sum_to_one(p, "phylum")
    with pytest.raises(RefusedError):
        p.at_rank("domain")  # plain names carry no lineage


def test_kaiju_genus_tables():
    g1 = gutskin.read(fixture(KAIJU_G1))
    assert g1.samples == ["first_kaiju_MEM_verbose"]
    assert value_of(g1, g1.samples[0], "genus", "Bacteroides") == 4187994
    assert int(g1.taxa_per_rank()["genus"][0]) == 1075
    assert g1.taxa.loc[g1.taxa["name"] == "Bacteroides", "taxid"].iloc[0] == 816
    g2 = gutskin.read(fixture(KAIJU_G2))
    assert value_of(g2, g2.samples[0], "genus", "Bacteroides") == 1632711
    assert int(g2.taxa_per_rank()["genus"][0]) == 1083
    assert g2.info[0].unclassified_share == pytest.approx((727076 + 7942956) / 27967850)
    both = gutskin.read_many([fixture(KAIJU_G1), fixture(KAIJU_G2)])
    assert both.n_samples == 2
    assert_proportions_sum_to_one(both, "genus")


def test_kaiju_taxon_id_names():
    p = gutskin.read(fixture(KAIJU_IDS))
    assert p.samples == ["barcode41_se-barcode41-kaiju"]
    info = p.info[0]
    assert info.extra["rank"] == "species" and info.extra["naming"] == "taxon ids"
    assert value_of(p, p.samples[0], "species", "taxonid:28901") == 841
    assert p.taxa.loc[p.taxa["name"] == "taxonid:28901", "taxid"].iloc[0] == 28901
    assert int(p.taxa_per_rank()["species"][0]) == 588
    assert info.unclassified == 16739 + 4023 and info.unclassified_share == pytest.approx(20762 / 28139)
    assert_proportions_sum_to_one(p, "species")


def test_kaiju_empty_and_virus_only_tables():
    with pytest.raises(InputError, match="the profile is empty: everything is unclassified"):
        gutskin.read(fixture(KAIJU_EMPTY))
    empty = gutskin.read(fixture(KAIJU_EMPTY), allow_empty=True)
    assert empty.samples == ["empty"] and empty.n_taxa == 0
    assert empty.info[0].unclassified_share == 1.0 and empty.info[0].extra["rank"] == "species"
    galaxy = gutskin.read(fixture(KAIJU_GALAXY))
    assert galaxy.samples == ["kaiju_out"] and galaxy.info[0].unclassified_share == 0.0
    assert galaxy.info[0].extra["viral_reads"] == 1
    with pytest.raises(RefusedError):
        galaxy.at_rank("phylum")  # one viral read, no phylum


def test_kaiju_lineage_list_rolls_up(tmp_path):
    def to_lineages(lines):
        out = []
        for ln in lines:
            t = ln.split("\t")
            if len(t) == 5 and t[4] in ("Firmicutes", "Bacteroidetes"):
                t[4] = f"Bacteria;{t[4]};"  # kaiju2table -l superkingdom,phylum
            out.append("\t".join(t))
        return out

    p = gutskin.read(corrupt(tmp_path, KAIJU_2, to_lineages))
    assert p.info[0].extra["naming"] == "lineage"
    assert value_of(p, "s1_kaiju", "phylum", "Firmicutes") == 6133128
    assert value_of(p, "s1_kaiju", "domain", "Bacteria") == 6133128 + 4599173


def test_kaiju_newer_header_names_the_rank(tmp_path):
    def newer(lines):
        out = [lines[0].replace("taxon_name", "phylum")]
        for ln in lines[1:]:
            if "cannot be assigned" in ln:  # the rank must then come from the header (the reads stay listed,
                ln = ln.rsplit("\t", 1)[0] + "\tunclassified"  # so the sample's percents still sum to 100)
            out.append(ln.replace("\tNA\t", "\t0\t"))
        return out

    p = gutskin.read(corrupt(tmp_path, KAIJU_2, newer))
    assert p.info[0].extra["rank"] == "phylum"
    assert value_of(p, "s2_kaiju", "phylum", "Bacteroidetes") == 2013028
    assert p.info[0].unclassified == 751505 + 2777568


@pytest.mark.parametrize(("edit", "match"), [
    (lambda ls: replace_line(ls, "\tFirmicutes", lambda ln: ln.replace("\t6133128\t", "\t-6133128\t")), "≥ 0"),
    (lambda ls: replace_line(ls, "\tFirmicutes", lambda ln: ln.replace("\t6133128\t", "\tmany\t")),
     "expected a number"),
    (lambda ls: replace_line(ls, "\tFirmicutes", lambda ln: ln.replace("\t1239\t", "\tNA\t")), "numeric taxon_id"),
    (lambda ls: replace_line(ls, "\tFirmicutes", lambda ln: ln.rsplit("\t", 1)[0]), "tab-separated columns"),
    (lambda ls: ls[:1], "no rows"),
    (lambda ls: replace_line(ls, "(non-viral) phylum", lambda ln: ln.replace("phylum", "genus")), "mixes ranks"),
    (lambda ls: [*ls, ls[1]], "appears twice"),
])
def test_kaiju_bad_input(tmp_path, edit, match):
    with pytest.raises(InputError, match=match):
        gutskin.read(corrupt(tmp_path, KAIJU_2, edit), format="kaiju")
