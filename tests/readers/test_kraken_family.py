"""Kraken-family readers on the real fixtures: Kraken 1/2 reports, Bracken, centrifuge-kreport, Metabuli,
KrakenUniq and mpa-style reports.

Expected numbers below were read off the fixture files by eye (the line is quoted in each comment or
table row); species counts are the number of lines whose rank column is ``S`` / ``species``.
"""

from __future__ import annotations

import contextlib
import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gutskin.readers as readers
from gutskin.errors import InputError
from gutskin.readers import bracken, kraken, kraken_mpa, krakenuniq
from gutskin.taxonomy.ranks import RANKS
from tests.conftest import FIXTURES, fixture

KRAKEN_DIRS = ("kraken2", "bracken_report", "centrifuge", "metabuli")
FAMILY_DIRS = (*KRAKEN_DIRS, "bracken", "krakenuniq", "kraken_mpa")


def _text(path: Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt") as fh:
            return fh.read()
    return path.read_text()


def _lines(relpath: str) -> list[str]:
    return _text(fixture(relpath)).splitlines(keepends=True)


def _lineage(row) -> list[str | None]:
    return [None if pd.isna(row[r]) else row[r] for r in RANKS]


def _clade(profile, name: str, rank: str | None = None) -> float:
    taxa = profile.taxa
    mask = taxa["name"] == name
    if rank is not None:
        mask &= taxa["rank"] == rank
    cols = np.flatnonzero(mask.to_numpy())
    assert len(cols) == 1, f"{name!r} matches {len(cols)} taxa"
    return float(profile.values[0, cols[0]])


# ------------------------------------------------------------------------------------------------ coverage
def test_every_family_fixture_is_covered_by_a_table_below():
    listed = set(KRAKEN_REPORTS) | set(KRAKENUNIQ) | set(BRACKEN_TABLES) | {MPA}
    on_disk = {str(p.relative_to(FIXTURES)) for d in FAMILY_DIRS for p in (FIXTURES / d).iterdir()}
    assert on_disk == listed


# ------------------------------------------------------------------------------------------------ kraken-style reports
# file -> (profiler, version, sample, (named taxon, its clade reads), n species rows, U reads, root/top clade reads,
#          columns, naming)
KRAKEN_REPORTS = {
    # " 98.40	26241409	0	-	1	root" / "  2.69	717629	449674	S	562	  …Escherichia coli"
    "kraken2/bracken__sample_test.report":
        ("Kraken", "1", "bracken__sample_test", ("Escherichia coli", 717629), 403, 425595, 26241409),
    # minimizer columns; "  0.00	150	150	28251	13056	S	9606	…Homo sapiens"
    "kraken2/multiqc__issue_1639__test2.kreport.txt":
        ("Kraken2", None, "multiqc__issue_1639__test2.kreport", ("Homo sapiens", 150), 1, 16255900, 150),
    # no U row; " 98.07	54036	40381	S	573	…Klebsiella pneumoniae"
    "kraken2/multiqc__issue_2825_no_unassigned__SRR27145089.kraken2.report.txt":
        ("Kraken2", None, "multiqc__issue_2825_no_unassigned__SRR27145089.kraken2.report",
         ("Klebsiella pneumoniae", 54036), 40, 0, 55099),
    # the single-U-row report
    "kraken2/multiqc__issue_2876_empty__empty.report":
        ("Kraken2", None, "multiqc__issue_2876_empty__empty", None, 0, 120098, 0),
    # Kraken 1 '-' codes; " 82.28	624962	396258	S	1496	…Peptoclostridium difficile"
    "kraken2/multiqc__sample_01.report.txt":
        ("Kraken", "1", "multiqc__sample_01.report", ("Peptoclostridium difficile", 624962), 41, 120098, 639475),
    "kraken2/multiqc__sample_03.report.txt":
        ("Kraken", "1", "multiqc__sample_03.report", ("Peptoclostridium difficile", 721680), 50, 83656, 729470),
    "kraken2/multiqc__v2.0.8_beta__sample1.kraken2.report.txt":
        ("Kraken2", None, "multiqc__v2.0.8_beta__sample1.kraken2.report", ("Homo sapiens", 4156), 1, 1356396, 4156),
    "kraken2/multiqc__v2.0.8_beta__sample2.kraken2.report.txt":
        ("Kraken2", None, "multiqc__v2.0.8_beta__sample2.kraken2.report",
         ("Severe acute respiratory syndrome-related coronavirus", 1352066), 14, 3628, 1356924),
    # 8 columns, percentages not in %6.2f form
    "kraken2/multiqc__v2.1.1__metagenome-with-minimizers.kreport.txt":
        ("Kraken2", None, "multiqc__v2.1.1__metagenome-with-minimizers.kreport", ("Escherichia coli", 44), 2, 54, 46),
    # gzipped
    "kraken2/taxpasta__2611_se-ERR5766174-db2.kraken2.report.txt.gz":
        ("Kraken2", None, "taxpasta__2611_se-ERR5766174-db2.kraken2.report", ("Saccharomyces cerevisiae", 96), 2,
         787758, 119),
    "kraken2/taxpasta__2612_pe-ERR5766176-db1.kraken2.report.txt":
        ("Kraken2", None, "taxpasta__2612_pe-ERR5766176-db1.kraken2.report", ("Homo sapiens", 152), 2, 627680, 168),
    "kraken2/taxpasta__test_1.kraken2.report.txt":
        ("Kraken2", None, "taxpasta__test_1.kraken2.report",
         ("Severe acute respiratory syndrome coronavirus 2", 100), 1, 0, 100),
    # Bracken -w 2016: unpadded percentages, U row kept; "5.44	1449813	1449813	S	562	…Escherichia coli"
    "bracken_report/bracken__sample_output_bracken.report":
        ("Bracken", None, "bracken__sample_output_bracken", ("Escherichia coli", 1449813), 403, 425595, 26241408),
    # Bracken 2.x, all percentages 100.00: content cannot tell it from Kraken 2
    "bracken_report/galaxy-iuc__NC_003198.1_simulated_kraken_style_bracken_report.txt":
        ("Kraken2", None, "galaxy-iuc__NC_003198.1_simulated_kraken_style_bracken_report",
         ("Salmonella enterica", 42), 1, 0, 42),
    # Bracken 2.6.0: no U row
    "bracken_report/multiqc__bracken__v2.6.0__bracken_report.txt":
        ("Bracken", None, "multiqc__bracken__v2.6.0__bracken_report", ("Salmonella enterica", 1171614), 196, None,
         1188381),
    # centrifuge-kreport: root '-', U row with 0 reads; "  1.01	1	1	S	687340	…Torque teno virus 1"
    "centrifuge/taxpasta__AD_pe-db1.centrifuge.txt":
        ("Kraken", "1", "taxpasta__AD_pe-db1.centrifuge", ("Torque teno virus 1", 1), 88, 0, 99),
    # Metabuli: rank names; "33.3333	500	0	species	562	…Escherichia coli"
    "metabuli/galaxy-iuc__metabuli__sr_report.tsv":
        ("Metabuli", None, "galaxy-iuc__metabuli__sr_report", ("Escherichia coli", 500), 3, 0, 1500),
}


@pytest.mark.parametrize("relpath", sorted(KRAKEN_REPORTS))
def test_kraken_style_report_detected_and_read(relpath):
    profiler, version, sample, named, n_species, u_reads, classified = KRAKEN_REPORTS[relpath]
    path = fixture(relpath)
    assert readers.detect_format(path) == "kraken_report"
    prof = readers.read(path, allow_empty=True)  # the all-unclassified run too
    info = prof.info[0]
    assert prof.samples == [sample]
    assert prof.layout == "clades" and prof.units == "counts"
    assert info.format == "kraken_report" and info.method == "shotgun"
    assert (info.profiler, info.profiler_version) == (profiler, version)
    assert info.extra["note"]
    if named is not None:
        assert _clade(prof, named[0]) == named[1]
    assert int((prof.taxa["rank"] == "species").sum()) == n_species
    if u_reads is None:
        assert info.unclassified is None and info.unclassified_share is None
    else:
        assert info.unclassified == u_reads
        assert info.unclassified_share == pytest.approx(u_reads / (u_reads + classified))
    if n_species:
        sums = np.asarray(prof.proportions("species").values.sum(axis=1)).ravel()
        assert sums == pytest.approx([1.0])
        long = prof.to_long("genus")
        assert set(long.columns) >= {"sample", "rank", "name", "lineage", "count", "relative_abundance"}
        assert (long["rank"] == "genus").all() and long["lineage"].str.contains("g__").all()
        assert long["relative_abundance"].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("relpath", sorted(KRAKEN_REPORTS))
def test_every_row_but_u_becomes_a_taxon_with_its_clade_reads(relpath):
    """Independent parse of the file: taxid → column 2, compared with the profile."""
    expected = {}
    for ln in _lines(relpath):
        cols = ln.rstrip("\n").split("\t")
        if cols[-3].strip() == "U" or (cols[-2] == "0" and cols[-1].strip() == "unclassified"):
            continue
        expected[int(cols[-2])] = float(cols[1])
    prof = kraken.read(fixture(relpath))
    got = dict(zip(prof.taxa["taxid"].astype(int), prof.values.toarray()[0], strict=True))
    assert got == expected


def test_kraken_lineage_is_built_from_the_indentation_tree():
    prof = kraken.read(fixture("kraken2/multiqc__issue_2825_no_unassigned__SRR27145089.kraken2.report.txt"))
    row = prof.taxa[prof.taxa["name"] == "Klebsiella pneumoniae"].iloc[0]
    assert row["rank"] == "species" and row["taxid"] == 573
    assert _lineage(row) == ["Bacteria", "Proteobacteria", "Gammaproteobacteria", "Enterobacterales",
                                       "Enterobacteriaceae", "Klebsiella", "Klebsiella pneumoniae", None]
    # S1 is the strain slot; S2 rows below it are intermediate ranks kept as written
    sub = prof.taxa[prof.taxa["name"] == "Klebsiella pneumoniae subsp. pneumoniae"].iloc[0]
    assert sub["rank"] == "strain" and sub["strain"] == "Klebsiella pneumoniae subsp. pneumoniae"
    deep = prof.taxa[prof.taxa["name"] == "Klebsiella pneumoniae subsp. pneumoniae HS11286"].iloc[0]
    assert deep["rank"] == "S2" and deep["strain"] == "Klebsiella pneumoniae subsp. pneumoniae"
    # non-canonical rows keep their taxid in the key, so keys stay unique
    assert prof.taxa.index.is_unique
    assert any(k.endswith(":131567") for k in prof.taxa.index)  # R1 cellular organisms
    # strains sum to at most their species, species to their genus
    assert _clade(prof, "Klebsiella", "genus") == 54517
    at_genus = prof.at_rank("genus")
    assert at_genus.values.sum() == pytest.approx(sum(
        float(ln.split("\t")[1]) for ln in _lines(
            "kraken2/multiqc__issue_2825_no_unassigned__SRR27145089.kraken2.report.txt") if "\tG\t" in ln))


def test_kraken1_dash_codes_become_kraken2_codes():
    prof = kraken.read(fixture("kraken2/bracken__sample_test.report"))
    taxa = prof.taxa.set_index("name")
    assert taxa.loc["root", "rank"] == "root"
    assert taxa.loc["cellular organisms", "rank"] == "R1"  # "- 131567   cellular organisms"
    assert taxa.loc["Escherichia coli K-12", "rank"] == "strain"  # '-' right below a species
    assert taxa.loc["Escherichia coli str. K-12 substr. MG1655", "rank"] == "S2"
    assert taxa.loc["Escherichia coli str. K-12 substr. MG1655", "species"] == "Escherichia coli"
    assert "'-'" in prof.info[0].extra["rank_codes"]
    # " 0.47 124305" for E. coli K-12
    assert _clade(prof, "Escherichia coli K-12") == 124305


def test_kraken1_and_kraken2_reports_share_taxon_keys():
    k1 = kraken.read(fixture("kraken2/multiqc__sample_01.report.txt"))
    k2 = kraken.read(fixture("kraken2/multiqc__issue_2825_no_unassigned__SRR27145089.kraken2.report.txt"))
    assert "d__Bacteria" in k1.taxa.index and "d__Bacteria" in k2.taxa.index
    assert k1.taxa.loc["d__Bacteria", "taxid"] == k2.taxa.loc["d__Bacteria", "taxid"] == 2


def test_centrifuge_report_is_named_honestly():
    info = kraken.read(fixture("centrifuge/taxpasta__AD_pe-db1.centrifuge.txt")).info[0]
    assert info.profiler == "Kraken" and "centrifuge-kreport" in info.extra["note"]
    # "  0.00	0	0	U	0	unclassified": a U row with no reads
    assert info.unclassified == 0 and info.unclassified_share == 0


def test_minimizer_report_is_certainly_kraken2():
    prof = kraken.read(fixture("kraken2/multiqc__issue_1639__test2.kreport.txt"))
    assert prof.info[0].extra["layout"] == "8-column"
    assert "minimizer" in prof.info[0].extra["note"]
    # "100.00	16255900	16255900	0	0	U	0	unclassified" vs root 150
    assert prof.info[0].unclassified_share == pytest.approx(16255900 / 16256050)


def test_bracken_w_reports_are_recognised_by_their_formatting():
    prof = kraken.read(fixture("bracken_report/multiqc__bracken__v2.6.0__bracken_report.txt"))
    info = prof.info[0]
    assert info.profiler == "Bracken"
    assert "not padded" in info.extra["note"] and "not sorted" in info.extra["note"]
    assert "leave unclassified reads out" in info.extra["note"]
    # Bracken drops reads below its threshold: root 1188381 but "cellular organisms" 1188380
    assert _clade(prof, "root") == 1188381 and _clade(prof, "cellular organisms") == 1188380
    # "0.06	697	0	G1	2614656	  unclassified Salmonella": an intermediate rank with species below it
    row = prof.taxa[prof.taxa["name"] == "Salmonella sp. SSDFZ54"].iloc[0]
    assert row["rank"] == "species" and row["genus"] == "Salmonella"
    g1 = prof.taxa[prof.taxa["name"] == "unclassified Salmonella"].iloc[0]
    assert g1["rank"] == "G1" and g1["taxid"] == 2614656


def test_bracken_w_report_and_its_o_table_agree():
    """MultiQC's Bracken 2.6.0 -w report and -o table are the same run."""
    report = kraken.read(fixture("bracken_report/multiqc__bracken__v2.6.0__bracken_report.txt"))
    table = bracken.read(fixture("bracken/multiqc__bracken__v2.6.0__bracken_species_abundances.tsv"))
    r = report.at_rank("species")
    from_report = dict(zip(r.taxa["taxid"].astype(int), r.values.toarray()[0], strict=True))
    from_table = dict(zip(table.taxa["taxid"].astype(int), table.values.toarray()[0], strict=True))
    assert from_report == from_table
    pr = report.proportions("species").to_dataframe()
    pt = table.proportions("species").to_dataframe()
    assert pr.shape == pt.shape
    assert sorted(pr.to_numpy().ravel()) == pytest.approx(sorted(pt.to_numpy().ravel()))


def test_metabuli_rank_names_and_nested_strains():
    prof = kraken.read(fixture("metabuli/galaxy-iuc__metabuli__sr_report.tsv"))
    taxa = prof.taxa.set_index("name")
    assert taxa.loc["Bacteria", "rank"] == "domain"  # "superkingdom"
    assert taxa.loc["Pseudomonas aeruginosa group", "rank"] == "species group"
    assert taxa.loc["Pseudomonas aeruginosa", "genus"] == "Pseudomonas"
    # subspecies takes the strain slot; the strain LT2 inside it must not count twice at strain rank
    assert taxa.loc["Salmonella enterica subsp. enterica", "rank"] == "strain"
    assert taxa.loc["Salmonella enterica subsp. enterica serovar Typhimurium str. LT2", "rank"] == "strain (nested)"
    strains = prof.at_rank("strain")
    assert strains.values.sum() == 1500  # K-12 500 + subsp. enterica 500 + PAO1 500
    assert prof.info[0].extra["layout"] == "metabuli"


# ------------------------------------------------------------------------------------------------ GTDB kraken2
def _as_gtdb_report(lines: list[str]) -> str:
    """Rewrite a real NCBI Kraken 2 report the way a GTDB-built kraken2 database reports it.

    No real GTDB kraken2 report is among the fixtures, so this derives one: GTDB ranks are all
    "no rank" to Kraken, so every kept node gets code ``R<depth>`` and a ``d__/p__/…/s__`` name prefix;
    intermediate NCBI nodes (``R1``, ``D1``, ``S1`` …) do not exist in GTDB, so they are dropped and
    their direct reads go to the nearest kept ancestor. Underscore suffixes (``_A``) are GTDB-style.
    """
    unclassified: list[str] = []
    nodes: list[dict] = []  # kept nodes: code, name, clade, direct, taxid, pct, children
    stack: list[tuple[int, int]] = []  # (original depth, index in nodes)
    for ln in lines:
        pct, clade, direct, code, taxid, raw = ln.rstrip("\n").split("\t")
        if code == "U":
            unclassified.append(ln)
            continue
        depth = (len(raw) - len(raw.lstrip(" "))) // 2
        name = raw.strip()
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if code == "R" or code in ("D", "P", "C", "O", "F", "G", "S"):
            if code != "R":
                name = f"{code.lower()}__{name}" + ("_A" if code == "P" else "")
            nodes.append({"code": code, "name": name, "clade": int(clade), "direct": int(direct), "taxid": taxid,
                          "pct": pct, "children": []})
            if stack:
                nodes[stack[-1][1]]["children"].append(len(nodes) - 1)
            stack.append((depth, len(nodes) - 1))
        else:
            nodes[stack[-1][1]]["direct"] += int(direct)
    out = list(unclassified)

    def emit(i: int, depth: int) -> None:
        node = nodes[i]
        code = "R" if node["code"] == "R" else f"R{depth}"
        out.append(f"{node['pct']}\t{node['clade']}\t{node['direct']}\t{code}\t{node['taxid']}\t"
                   f"{'  ' * depth}{node['name']}\n")
        for child in sorted(node["children"], key=lambda c: -nodes[c]["clade"]):  # Kraken sorts siblings
            emit(child, depth + 1)

    emit(0, 0)
    return "".join(out)


def test_gtdb_kraken2_database_report(tmp_path):
    src = "kraken2/multiqc__issue_2825_no_unassigned__SRR27145089.kraken2.report.txt"
    path = tmp_path / "gtdb_sample.kreport"
    path.write_text(_as_gtdb_report(_lines(src)))
    assert readers.detect_format(path) == "kraken_report"
    prof = readers.read(path)
    info = prof.info[0]
    assert info.profiler == "Kraken2" and info.database == "GTDB" and info.extra["naming"] == "gtdb"
    assert prof.samples == ["gtdb_sample"]
    row = prof.taxa[prof.taxa["name"] == "Klebsiella pneumoniae"].iloc[0]
    assert row["rank"] == "species"
    assert _lineage(row)[:7] == ["Bacteria", "Proteobacteria_A", "Gammaproteobacteria",
                                           "Enterobacterales", "Enterobacteriaceae", "Klebsiella",
                                           "Klebsiella pneumoniae"]
    assert _clade(prof, "Klebsiella pneumoniae") == 54036
    original = kraken.read(fixture(src))
    assert int((prof.taxa["rank"] == "species").sum()) == int((original.taxa["rank"] == "species").sum()) == 40
    assert not prof.taxa["rank"].str.match(r"^R\d+$").any()  # every R<n> became its canonical rank
    assert np.asarray(prof.proportions("species").values.sum(axis=1)).ravel() == pytest.approx([1.0])
    assert "g__Klebsiella" in prof.to_long("genus")["lineage"].iloc[0]


# ------------------------------------------------------------------------------------------------ KrakenUniq
# file -> (version, database, sample, named taxon, its reads, n species, unclassified reads, root reads)
KRAKENUNIQ = {
    # only row: "100	4937	4937	10648888	1	NA	0	no rank	unclassified"
    "krakenuniq/taxpasta__ERR3201952.krakenuniq.report.txt.gz":
        ("1.0.2", "./testdb-krakenuniq", "taxpasta__ERR3201952.krakenuniq.report", None, None, 0, 4937, 0),
    # v1.0.0 with the blank line after the comments, no unclassified row
    "krakenuniq/taxpasta__test1.krakenuniq.report.txt.gz":
        ("1.0.0", "customdb/", "taxpasta__test1.krakenuniq.report", "Severe acute respiratory syndrome-related "
         "coronavirus", 100, 1, 0, 100),
    # "7.61	34563	0	2330621	2.76	0.8755	44001	species	…Caldicellulosiruptor saccharolyticus"
    "krakenuniq/taxpasta__test3.krakenuniq.report.txt.gz":
        ("1.0.2", "./krakenuniq", "taxpasta__test3.krakenuniq.report", "Caldicellulosiruptor saccharolyticus",
         34563, 74, 15525, 438670),
}


@pytest.mark.parametrize("relpath", sorted(KRAKENUNIQ))
def test_krakenuniq_detected_and_read(relpath):
    version, db, sample, name, reads, n_species, u_reads, root = KRAKENUNIQ[relpath]
    path = fixture(relpath)
    assert readers.detect_format(path) == "krakenuniq"
    prof = readers.read(path, allow_empty=True)  # the all-unclassified run too
    info = prof.info[0]
    assert prof.samples == [sample]
    assert (info.profiler, info.profiler_version, info.database) == ("KrakenUniq", version, db)
    assert info.units == "counts" and info.format == "krakenuniq"
    if name:
        assert _clade(prof, name, "species") == reads
    assert int((prof.taxa["rank"] == "species").sum()) == n_species
    assert info.unclassified == u_reads
    assert info.unclassified_share == pytest.approx(u_reads / (u_reads + root))
    # every row but the unclassified one, with its 'reads' (clade) column
    expected = {}
    for ln in _lines(relpath):
        cols = ln.rstrip("\n").split("\t")
        if len(cols) == 9 and cols[6].isdigit() and cols[6] != "0":
            expected[int(cols[6])] = float(cols[1])
    assert dict(zip(prof.taxa["taxid"].astype(int), prof.values.toarray()[0], strict=True)) == expected
    if n_species:
        assert np.asarray(prof.proportions("species").values.sum(axis=1)).ravel() == pytest.approx([1.0])
        assert (prof.to_long("genus")["rank"] == "genus").all()
    else:
        assert prof.n_taxa == 0


def test_krakenuniq_ranks_and_lineage():
    prof = krakenuniq.read(fixture("krakenuniq/taxpasta__test3.krakenuniq.report.txt.gz"))
    taxa = prof.taxa.set_index("name")
    assert taxa.loc["Terrabacteria group", "rank"] == "clade"
    assert taxa.loc["Caldicellulosiruptor saccharolyticus DSM 8903", "rank"] == "strain"
    assert taxa.loc["Caldicellulosiruptor saccharolyticus DSM 8903", "family"] == (
        "Thermoanaerobacterales Family III. Incertae Sedis")
    assert taxa.loc["Fusobacterium nucleatum subsp. nucleatum", "rank"] == "strain"  # 'subspecies'
    assert prof.taxa.index.is_unique


# ------------------------------------------------------------------------------------------------ Bracken -o
# file -> (sample, named species, new_est_reads, n rows)
BRACKEN_TABLES = {
    # "Burkholderia phymatum	148447	S	655478	1228	656706	0.02503"
    "bracken/bracken__sample_output_species_abundance.txt":
        ("bracken__sample_output_species_abundance", "Burkholderia phymatum", 656706, 175),
    "bracken/galaxy-iuc__NC_003198.1_simulated_bracken_report.txt":
        ("galaxy-iuc__NC_003198.1_simulated_bracken_report", "Salmonella enterica", 42, 1),
    "bracken/multiqc__bracken__v2.6.0__bracken_species_abundances.tsv":
        ("multiqc__bracken__v2.6.0__bracken_species_abundances", "Salmonella enterica", 1171614, 196),
    # "Homo sapiens	9606	S	156	0	156	0.90173"
    "bracken/taxpasta__2612_pe-ERR5766176-db1_S.tsv":
        ("taxpasta__2612_pe-ERR5766176-db1_S", "Homo sapiens", 156, 2),
}


@pytest.mark.parametrize("relpath", sorted(BRACKEN_TABLES))
def test_bracken_table_detected_and_read(relpath):
    sample, name, reads, n_rows = BRACKEN_TABLES[relpath]
    path = fixture(relpath)
    assert readers.detect_format(path) == "bracken"
    prof = readers.read(path)
    info = prof.info[0]
    assert prof.samples == [sample]
    assert info.profiler == "Bracken" and info.units == "counts" and info.extra["level"] == "S"
    assert info.unclassified is None and info.unclassified_share is None
    assert prof.n_taxa == n_rows and set(prof.taxa["rank"]) == {"species"}
    assert _clade(prof, name) == reads
    # the lineage holds only the own rank
    row = prof.taxa[prof.taxa["name"] == name].iloc[0]
    assert _lineage(row) == [name if r == "species" else None for r in RANKS]
    props = prof.proportions("species")
    assert np.asarray(props.values.sum(axis=1)).ravel() == pytest.approx([1.0])
    # fraction_total_reads is Bracken's own share of the level, rounded to 5 decimals
    fractions = {}
    for ln in _lines(relpath)[1:]:
        cols = ln.rstrip("\n").split("\t")
        fractions[cols[0]] = float(cols[6])
    ours = dict(zip(props.taxa["name"], props.values.toarray()[0], strict=True))
    for taxon, frac in fractions.items():
        assert ours.get(taxon, 0.0) == pytest.approx(frac, abs=1e-4)


# ------------------------------------------------------------------------------------------------ mpa
MPA = "kraken_mpa/bracken__sample_output_bracken.mpa"


def test_kraken_mpa_detected_and_read():
    path = fixture(MPA)
    assert readers.detect_format(path) == "kraken_mpa"
    prof = readers.read(path)
    info = prof.info[0]
    assert prof.samples == ["bracken__sample_output_bracken"]
    assert info.units == "counts" and info.format == "kraken_mpa" and info.profiler is None
    assert info.extra["prefixes"].startswith("single underscore")
    assert info.unclassified is None and info.unclassified_share is None
    assert prof.n_taxa == 900  # one per line
    # "d_Bacteria|…|g_Escherichia|s_Escherichia coli	1449813"
    assert _clade(prof, "Escherichia coli", "species") == 1449813
    assert _clade(prof, "Bacteria", "domain") == 25808392
    assert int((prof.taxa["rank"] == "species").sum()) == 403
    row = prof.taxa[prof.taxa["name"] == "Escherichia coli"].iloc[0]
    assert row["genus"] == "Escherichia" and row["domain"] == "Bacteria"
    assert np.asarray(prof.proportions("species").values.sum(axis=1)).ravel() == pytest.approx([1.0])
    assert (prof.to_long("genus")["rank"] == "genus").all()


def test_kraken_mpa_matches_the_report_it_was_made_from():
    """Bracken's sample .mpa was converted from its sample -w report: species counts must agree."""
    mpa = kraken_mpa.read(fixture(MPA)).at_rank("species")
    report = kraken.read(fixture("bracken_report/bracken__sample_output_bracken.report")).at_rank("species")
    a = dict(zip(mpa.taxa.index, mpa.values.toarray()[0], strict=True))
    b = dict(zip(report.taxa.index, report.values.toarray()[0], strict=True))
    assert a == b  # same canonical lineage keys, same counts


def test_kraken_mpa_double_underscore_header_and_intermediate_ranks(tmp_path):
    """KrakenTools with --intermediate-ranks and a #Classification header, derived from the real .mpa."""
    out = ["#Classification\tmy_sample\n"]
    for ln in _lines(MPA):
        lineage, count = ln.rstrip("\n").split("\t")
        parts = [p.replace("_", "__", 1).replace(" ", "_") for p in lineage.split("|")]
        if parts == ["d__Bacteria", "p__Firmicutes"]:  # the intermediate rank's own row comes first
            out.append("d__Bacteria|x__Terrabacteria_group\t" + count + "\n")
        if parts[:2] == ["d__Bacteria", "p__Firmicutes"]:
            parts.insert(1, "x__Terrabacteria_group")
        out.append("|".join(parts) + "\t" + count + "\n")
    path = tmp_path / "sample.mpa.txt"
    path.write_text("".join(out))
    assert readers.detect_format(path) == "kraken_mpa"
    prof = readers.read(path)
    assert prof.samples == ["my_sample"]
    assert prof.info[0].extra["prefixes"] == "double underscore"
    original = kraken_mpa.read(fixture(MPA))
    assert _clade(prof, "Escherichia coli", "species") == 1449813  # underscores read back as spaces
    x_row = prof.taxa[prof.taxa["name"] == "Terrabacteria group"].iloc[0]
    assert x_row["rank"] == "no rank" and x_row["domain"] == "Bacteria" and pd.isna(x_row["phylum"])
    assert _clade(prof, "Firmicutes", "phylum") == _clade(original, "Firmicutes", "phylum")
    # x__ elements are skipped, so keys equal the plain file's
    sp_a = prof.at_rank("species")
    sp_b = original.at_rank("species")
    assert dict(zip(sp_a.taxa.index, sp_a.values.toarray()[0], strict=True)) == dict(
        zip(sp_b.taxa.index, sp_b.values.toarray()[0], strict=True))


def test_kraken_mpa_several_samples(tmp_path):
    """KrakenTools combine_mpa.py layout (#Classification + one column per sample), from the real .mpa."""
    lines = ["#Classification\tA\tB\n"]
    for ln in _lines(MPA):
        lineage, count = ln.rstrip("\n").split("\t")
        lines.append(f"{lineage}\t{count}\t{int(count) // 2}\n")
    prof = readers.read(_write(tmp_path, "combined.txt", lines))
    assert prof.samples == ["A", "B"]
    ecoli = np.flatnonzero((prof.taxa["name"] == "Escherichia coli").to_numpy())[0]
    assert prof.values[0, ecoli] == 1449813 and prof.values[1, ecoli] == 1449813 // 2


# ------------------------------------------------------------------------------------------------ sniffing
def test_family_sniffers_claim_nothing_else():
    from gutskin.io import peek

    ours = {"kraken_report", "krakenuniq", "bracken", "kraken_mpa"}
    expected_dir = {"kraken2": "kraken_report", "bracken_report": "kraken_report", "centrifuge": "kraken_report",
                    "metabuli": "kraken_report", "krakenuniq": "krakenuniq", "bracken": "bracken",
                    "kraken_mpa": "kraken_mpa"}
    for path in sorted(p for p in FIXTURES.glob("*/*") if p.is_file()):
        p = peek(path)
        claims = {m.FORMAT for m in (krakenuniq, bracken, kraken, kraken_mpa) if m.sniff(p)}
        want = expected_dir.get(path.parent.name)
        assert claims == ({want} if want else set()), (path, claims)
        if want:
            assert readers.detect_format(path) == want
        else:
            with contextlib.suppress(InputError):  # another format whose reader is not written yet
                assert readers.detect_format(path) not in ours


# ------------------------------------------------------------------------------------------------ bad input
def _write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("".join(lines))
    return path


def _error(path: Path, reader=None) -> InputError:
    with pytest.raises(InputError) as info:
        (reader.read(path) if reader else readers.read(path))
    err = info.value
    assert str(path) in str(err)
    return err


def test_truncated_report_at_a_line_boundary(tmp_path):
    lines = _lines("kraken2/multiqc__sample_01.report.txt")
    err = _error(_write(tmp_path, "cut.report", lines[:100]))
    assert "truncated" in err.message and err.line == 100


def test_truncated_report_mid_line(tmp_path):
    lines = _lines("kraken2/taxpasta__2612_pe-ERR5766176-db1.kraken2.report.txt")
    cut = "".join(lines)[: len("".join(lines[:20])) + 12]  # ends inside line 21
    path = tmp_path / "cut.kreport"
    path.write_text(cut)
    err = _error(path, kraken)
    assert err.line == 21 and "ends in the middle of a row" in err.message


def test_truncated_gzip_report(tmp_path):
    raw = fixture("kraken2/taxpasta__2611_se-ERR5766174-db2.kraken2.report.txt.gz").read_bytes()
    path = tmp_path / "cut.kreport.gz"
    path.write_bytes(raw[: len(raw) // 2])
    err = _error(path, kraken)
    assert "truncated" in err.message


def test_truncated_metabuli_and_centrifuge(tmp_path):
    for rel in ("metabuli/galaxy-iuc__metabuli__sr_report.tsv", "centrifuge/taxpasta__AD_pe-db1.centrifuge.txt"):
        lines = _lines(rel)
        err = _error(_write(tmp_path, Path(rel).name, lines[: len(lines) // 2]), kraken)
        assert "truncated" in err.message


@pytest.mark.parametrize("bad, field", [("-5", "clade_reads"), ("nan", "clade_reads"), ("12x", "clade_reads"),
                                        ("inf", "clade_reads")])
def test_bad_count_in_a_real_report(tmp_path, bad, field):
    lines = _lines("kraken2/multiqc__issue_2825_no_unassigned__SRR27145089.kraken2.report.txt")
    cols = lines[8].split("\t")  # Klebsiella pneumoniae
    cols[1] = bad
    lines[8] = "\t".join(cols)
    err = _error(_write(tmp_path, "bad.report", lines))
    assert err.line == 9 and err.field == field and bad in err.message


def test_negative_direct_reads(tmp_path):
    lines = _lines("kraken2/multiqc__sample_01.report.txt")
    cols = lines[3].split("\t")
    cols[2] = "-1"
    lines[3] = "\t".join(cols)
    err = _error(_write(tmp_path, "bad.report", lines))
    assert err.line == 4 and err.field == "direct_reads"


def test_indentation_jump(tmp_path):
    lines = _lines("kraken2/multiqc__sample_01.report.txt")
    cols = lines[5].split("\t")
    cols[-1] = "    " + cols[-1]  # Clostridia two levels deeper than Firmicutes
    lines[5] = "\t".join(cols)
    err = _error(_write(tmp_path, "bad.report", lines))
    assert err.line == 6 and "deeper" in err.message


def test_odd_indentation(tmp_path):
    lines = _lines("kraken2/multiqc__sample_01.report.txt")
    cols = lines[5].split("\t")
    cols[-1] = " " + cols[-1]
    lines[5] = "\t".join(cols)
    err = _error(_write(tmp_path, "bad.report", lines))
    assert err.line == 6 and "2 spaces" in err.message


def test_child_larger_than_its_parent(tmp_path):
    lines = _lines("kraken2/taxpasta__test_1.kraken2.report.txt")
    cols = lines[-1].split("\t")
    cols[1] = cols[2] = "150"  # SARS-CoV-2 with more reads than its species (100)
    lines[-1] = "\t".join(cols)
    err = _error(_write(tmp_path, "bad.report", lines))
    assert "at least" in err.message


def test_wrong_column_count(tmp_path):
    lines = _lines("kraken2/multiqc__sample_03.report.txt")
    lines[10] = "\t".join(lines[10].split("\t")[:4] + lines[10].split("\t")[5:])
    err = _error(_write(tmp_path, "bad.report", lines), kraken)
    assert err.line == 11 and "6 tab-separated columns" in err.message


def test_unknown_rank_code_and_second_u_row(tmp_path):
    lines = _lines("kraken2/multiqc__sample_03.report.txt")
    bad = lines.copy()
    bad[4] = bad[4].replace("\tP\t", "\tQ\t")
    err = _error(_write(tmp_path, "bad.report", bad), kraken)
    assert err.line == 5 and err.field == "rank"
    twice = [lines[0], *lines]
    err = _error(_write(tmp_path, "twice.report", twice), kraken)
    assert err.line == 2 and "second unclassified" in err.message


def test_binary_junk(tmp_path):
    path = tmp_path / "junk.report"
    path.write_bytes(b"\x00\x01\x02binary\x00" * 50)
    with pytest.raises(InputError):
        readers.read(path)
    err = _error(path, kraken)
    assert "binary" in err.message


def test_krakenuniq_bad_input(tmp_path):
    lines = _lines("krakenuniq/taxpasta__test3.krakenuniq.report.txt.gz")
    neg = lines.copy()
    cols = neg[10].split("\t")
    cols[1] = "-3"
    neg[10] = "\t".join(cols)
    err = _error(_write(tmp_path, "neg.txt", neg))
    assert err.line == 11 and err.field == "reads"
    err = _error(_write(tmp_path, "cut.txt", lines[:200]))
    assert "truncated" in err.message
    noheader = [ln for ln in lines if not ln.startswith("%")]
    err = _error(_write(tmp_path, "nohead.txt", noheader), krakenuniq)
    assert "header" in err.message
    short = lines.copy()
    short[20] = "\t".join(short[20].split("\t")[:5]) + "\n"
    err = _error(_write(tmp_path, "short.txt", short))
    assert err.line == 21 and "columns" in err.message
    raw = fixture("krakenuniq/taxpasta__test3.krakenuniq.report.txt.gz").read_bytes()
    cut = tmp_path / "cut.krakenuniq.gz"
    cut.write_bytes(raw[:1000])
    assert "truncated" in _error(cut).message


def test_bracken_table_bad_input(tmp_path):
    lines = _lines("bracken/multiqc__bracken__v2.6.0__bracken_species_abundances.tsv")
    neg = lines.copy()
    neg[3] = neg[3].replace("\t195\t", "\t-195\t")  # added_reads of Salmonella sp. SSDFZ54
    err = _error(_write(tmp_path, "neg.tsv", neg))
    assert err.line == 4 and err.field == "added_reads"
    mismatch = lines.copy()
    mismatch[1] = mismatch[1].replace("\t1171614\t", "\t1171615\t")
    err = _error(_write(tmp_path, "sum.tsv", mismatch))
    assert err.line == 2 and err.field == "new_est_reads"
    short = lines.copy()
    short[5] = "\t".join(short[5].split("\t")[:4]) + "\n"
    err = _error(_write(tmp_path, "short.tsv", short))
    assert err.line == 6 and "columns" in err.message
    err = _error(_write(tmp_path, "headeronly.tsv", lines[:1]))
    assert "no Bracken rows" in err.message
    level = lines.copy()
    level[2] = level[2].replace("\tS\t", "\tspecies\t")
    err = _error(_write(tmp_path, "level.tsv", level))
    assert err.field == "taxonomy_lvl"


def test_kraken_mpa_bad_input(tmp_path):
    lines = _lines(MPA)
    neg = lines.copy()
    neg[1] = neg[1].replace("\t10903399", "\t-10903399")
    err = _error(_write(tmp_path, "neg.mpa", neg), kraken_mpa)
    assert err.line == 2 and "≥ 0" in err.message
    cut = [*lines[:50], lines[50].split("\t")[0][:30]]
    err = _error(_write(tmp_path, "cut.mpa", cut), kraken_mpa)
    assert err.line == 51 and "ends in the middle of a row" in err.message
    bigger = lines.copy()
    bigger[1] = bigger[1].replace("\t10903399", "\t99999999")  # Proteobacteria larger than Bacteria
    err = _error(_write(tmp_path, "big.mpa", bigger), kraken_mpa)
    assert err.line == 1 and "at least" in err.message
    bad_element = lines.copy()
    bad_element[3] = bad_element[3].replace("|o_Enterobacteriales", "|Enterobacteriales")
    err = _error(_write(tmp_path, "elem.mpa", bad_element), kraken_mpa)
    assert err.line == 4 and err.field == "classification"
    twice = [*lines, lines[0]]
    err = _error(_write(tmp_path, "twice.mpa", twice), kraken_mpa)
    assert "twice" in err.message


def test_empty_files_are_refused(tmp_path):
    empty = _write(tmp_path, "empty.report", ["\n"])
    for reader in (kraken, krakenuniq, bracken, kraken_mpa):
        with pytest.raises(InputError):
            reader.read(empty)


def test_unclassified_share_uses_top_level_clades_without_a_root(tmp_path):
    """A report cut down to one domain subtree (no root row): the share uses the top-level clades."""
    lines = _lines("kraken2/multiqc__v2.0.8_beta__sample2.kraken2.report.txt")
    # keep U and the Viruses subtree (depth 1 under root), moved to depth 0
    body = [lines[0]]
    for ln in lines[2:]:
        cols = ln.split("\t")
        cols[-1] = cols[-1][2:]
        body.append("\t".join(cols))
    prof = kraken.read(_write(tmp_path, "noroot.report", body))
    # "  0.27	3628	3628	U" and "99.73	1356924	0	D	10239	  Viruses"
    assert prof.info[0].unclassified_share == pytest.approx(3628 / (3628 + 1356924))
    assert not math.isnan(prof.info[0].unclassified_share)
