"""Generic tables (taxpasta, `biom convert` TSV, taxa × samples matrices, our long table) and uBiome exports.

Fixture values below were read off the files with grep (the matching line is quoted). The five real
cohort tables are cross-checked cell by cell against an independent pandas read of the same file.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gutskin
from gutskin import Profile
from gutskin.errors import InputError
from gutskin.io import peek
from gutskin.readers import detect_format, generic, ubiome
from tests.conftest import FIXTURES, data, fixture

GENERIC = {
    "generic_tables/generated__biom-2.1.18__convert_to-tsv_taxonomy.tsv": (6, "counts"),
    "generic_tables/generated__taxpasta-0.7.0__merge_kraken2_wide.tsv": (2, "counts"),
    "generic_tables/generated__taxpasta-0.7.0__merge_krakenuniq_named.tsv": (2, "counts"),
    "generic_tables/generated__taxpasta-0.7.0__standardise_metaphlan_ERR7569997.tsv": (1, "counts"),
}
UBIOME = (
    "consumer_ubiome/ubiome__sample1.json",
    "consumer_ubiome/ubiome__sprague-ubiome-150815.csv",
    "consumer_ubiome/ubiome__sprague-ubiome-150815.json",
)
COHORTS = {
    # file: (separator, samples, taxa, units, detected format)
    "gmhi2020_discovery_4347/abundance_species_pct.tsv.gz": ("\t", 4347, 313, "percent", "generic"),
    "gmhi2020_validation_782/validation_abundance.csv.gz": (",", 782, 576, "percent", "generic"),
    "camda2024_gut_613/taxonomy.csv.gz": (",", 613, 2115, "percent", "generic"),
    # header 'clade_name' + 'k__…;…' rows: a phyloseq re-export, read by the generic reader as counts
    "psoriasis_gut_metaphlan4_143/abundance_counts.tsv.gz": ("\t", 143, 1382, "counts", "generic"),
    "psoriasis_gut_metaphlan_100/abundance_counts.tsv.gz": ("\t", 100, 424, "counts", "generic"),
}


def _value(profile: Profile, sample: str, name: str) -> float:
    cols = np.flatnonzero((profile.taxa["name"] == name).to_numpy())
    assert len(cols) == 1, f"{name!r} matches {len(cols)} taxa"
    return float(profile.values[profile.samples.index(sample), cols[0]])


def _taxid_value(profile: Profile, sample: str, taxid: int) -> float:
    cols = np.flatnonzero((profile.taxa["taxid"] == taxid).fillna(False).to_numpy())
    assert len(cols) == 1
    return float(profile.values[profile.samples.index(sample), cols[0]])


# ------------------------------------------------------------------------------------------------ coverage
def test_every_fixture_is_covered():
    on_disk = {str(p.relative_to(FIXTURES)) for d in ("generic_tables", "consumer_ubiome")
               for p in (FIXTURES / d).iterdir()}
    assert on_disk == set(GENERIC) | set(UBIOME)


@pytest.mark.parametrize("rel", sorted(GENERIC))
def test_generic_fixtures_detected(rel):
    assert detect_format(fixture(rel)) == "generic"
    n_samples, units = GENERIC[rel]
    p = gutskin.read(fixture(rel))
    assert p.n_samples == n_samples and p.units == units
    assert all(i.format == "generic" for i in p.info)


# ------------------------------------------------------------------------------------------------ biom tsv
def test_biom_convert_tsv_equals_the_biom_it_came_from():
    tsv = gutskin.read(fixture("generic_tables/generated__biom-2.1.18__convert_to-tsv_taxonomy.tsv"))
    hdf = gutskin.read(fixture("biom/biom-format__rich_sparse_otu_table_hdf5.biom"))
    assert tsv.samples == hdf.samples == [f"Sample{i}" for i in range(1, 7)]
    assert list(tsv.taxa.index) == list(hdf.taxa.index)
    assert (tsv.values != hdf.values).nnz == 0
    pd.testing.assert_frame_equal(tsv.taxa, hdf.taxa)
    # 'GG_OTU_2\t5.0\t1.0\t0.0\t2.0\t3.0\t1.0\tk__Bacteria; p__Cyanobacteria; …'
    assert tsv.values[0, tsv.taxa.index.get_loc("GG_OTU_2")] == 5
    assert tsv.taxa.loc["GG_OTU_2", "genus"] == "Dolichospermum"
    assert tsv.info[0].extra["units_reason"] == "every value is a whole number"  # '5.0' are counts


# ------------------------------------------------------------------------------------------------ taxpasta
def test_taxpasta_wide_kraken2():
    p = gutskin.read(fixture("generic_tables/generated__taxpasta-0.7.0__merge_kraken2_wide.tsv"))
    a, b = "2612_pe-ERR5766176-db1.kraken2.report", "2611_se-ERR5766174-db1.kraken2.report"
    assert p.samples == [a, b]
    assert p.layout == "features" and p.n_taxa == 43  # 44 rows, taxonomy_id 0 is unclassified
    assert _taxid_value(p, a, 9606) == 152 and _taxid_value(p, b, 9606) == 23  # '9606\t152\t23'
    assert _taxid_value(p, b, 559292) == 96  # '559292\t16\t96'
    assert p.info[0].unclassified == 627680 and p.info[1].unclassified == 787758  # '0\t627680\t787758'
    assert p.info[0].unclassified_share == pytest.approx(627680 / (627680 + 152 + 16))


def test_taxpasta_named():
    p = gutskin.read(fixture("generic_tables/generated__taxpasta-0.7.0__merge_krakenuniq_named.tsv"))
    assert p.samples == ["test1.krakenuniq.report", "test2.krakenuniq.report"]
    root = p.taxa[p.taxa["taxid"] == 1].iloc[0]
    assert (root["name"], root["rank"]) == ("root", "no rank")  # '1\troot\tno rank\t\t0\t0'
    blank = p.taxa[p.taxa["taxid"] == 2697049].iloc[0]  # '2697049\t\t\t\t100\t100': no name in the taxdump
    assert blank["name"] == "taxid 2697049"
    assert _taxid_value(p, "test2.krakenuniq.report", 2697049) == 100
    assert p.info[0].unclassified is None


def test_taxpasta_standardised_single_sample():
    path = fixture("generic_tables/generated__taxpasta-0.7.0__standardise_metaphlan_ERR7569997.tsv")
    p = gutskin.read(path)
    assert p.samples == ["generated__taxpasta-0.7.0__standardise_metaphlan_ERR7569997"]
    assert p.n_taxa == 239  # 240 rows; '0\t552815083' is taxpasta's bucket for ids it could not map
    assert _taxid_value(p, p.samples[0], 2) == 85333210  # '2\t85333210'
    assert p.info[0].unclassified == 552815083
    assert any("MetaPhlAn" in w for w in p.info[0].extra["warnings"])


def test_taxpasta_long_and_lineages(tmp_path):
    out = tmp_path / "long.csv"
    out.write_text("taxonomy_id,name,rank,lineage,rank_lineage,count,sample\n"
                   "0,,,,,10,s1\n"
                   "816,Bacteroides,genus,Bacteria;Bacteroidota;Bacteroides,superkingdom;phylum;genus,30,s1\n"
                   "817,Bacteroides fragilis,species,Bacteria;Bacteroidota;Bacteroides;Bacteroides fragilis,"
                   "superkingdom;phylum;genus;species,60,s1\n"
                   "817,Bacteroides fragilis,species,,,5,s2\n")
    assert detect_format(out) == "generic"
    p = gutskin.read(out)
    assert p.samples == ["s1", "s2"]
    frag = p.taxa[p.taxa["taxid"] == 817].iloc[0]
    assert (frag["domain"], frag["phylum"], frag["genus"], frag["species"]) == (
        "Bacteria", "Bacteroidota", "Bacteroides", "Bacteroides fragilis")
    # features roll up: reads assigned to the genus node plus those of its species
    genus = p.at_rank("genus")
    assert genus.values[0].toarray().ravel().tolist() == [90.0]
    assert p.info[0].unclassified == 10 and p.info[1].unclassified is None


# ------------------------------------------------------------------------------------------------ cohorts
def _pandas_matrix(path: Path, sep: str) -> pd.DataFrame:
    frame = pd.read_csv(path, sep=sep, index_col=0, encoding="utf-8-sig")
    return frame


@pytest.mark.parametrize("rel", sorted(COHORTS))
def test_cohort_tables(rel):
    path = data(rel)
    sep, n_samples, n_taxa, units, detected = COHORTS[rel]
    assert detect_format(path) == detected
    p = gutskin.read(path, format="generic")
    assert p.n_samples == n_samples and p.n_taxa == n_taxa
    assert p.units == units and p.layout == "clades"
    assert set(p.taxa["rank"]) == {"species"}
    reference = _pandas_matrix(path, sep)
    assert p.samples == [str(c) for c in reference.columns]
    np.testing.assert_array_equal(p.values.toarray(), reference.to_numpy(dtype=float).T)
    # every species has a genus, so genus roll-ups work
    assert p.taxa["genus"].notna().all()
    genus = p.proportions("genus")
    sums = np.asarray(genus.values.sum(axis=1)).ravel()
    np.testing.assert_allclose(sums[sums > 0], 1.0)


def test_cohort_named_values():
    gmhi = gutskin.read(data("gmhi2020_discovery_4347/abundance_species_pct.tsv.gz"))
    assert gmhi.samples[0] == "ACVD_1" and gmhi.samples[-1] == "Underweight_4347"
    # 's__Abiotrophia_defectiva\t0.012194173\t0\t…'
    assert _value(gmhi, "ACVD_1", "Abiotrophia defectiva") == pytest.approx(0.012194173)
    assert gmhi.taxa.loc[gmhi.taxa["name"] == "Abiotrophia defectiva", "genus"].item() == "Abiotrophia"
    sums = np.asarray(gmhi.values.sum(axis=1)).ravel()
    np.testing.assert_allclose(sums, 100, atol=1e-5)

    val = gutskin.read(data("gmhi2020_validation_782/validation_abundance.csv.gz"))
    assert val.info[0].extra["label_column"] == "Species"  # the UTF-8 BOM is gone
    assert val.samples[0] == "SAMEA2582018"
    # 's__Acidaminococcus_fermentans,0,0,0,0,0,0,0,0.013465496,…' (8th sample is SAMEA2582026)
    assert _value(val, "SAMEA2582026", "Acidaminococcus fermentans") == pytest.approx(0.013465496)

    camda = gutskin.read(data("camda2024_gut_613/taxonomy.csv.gz"))
    row = camda.taxa[camda.taxa["name"] == "Butyrivibrio crossotus"].iloc[0]
    assert (row["rank"], row["genus"], row["species"]) == ("species", "Butyrivibrio", "Butyrivibrio crossotus")
    sgb = camda.taxa[camda.taxa["name"] == "GGB3614 SGB4886"].iloc[0]
    assert sgb["genus"] == "GGB3614"  # as MetaPhlAn 4 names that SGB's genus
    assert _value(camda, camda.samples[38], "Butyrivibrio crossotus") == pytest.approx(4.02179)

    pso4 = gutskin.read(data("psoriasis_gut_metaphlan4_143/abundance_counts.tsv.gz"), format="generic")
    row = pso4.taxa[pso4.taxa["name"] == "GGB2998 SGB3988"].iloc[0]
    assert (row["phylum"], row["family"], row["genus"]) == ("Firmicutes", "FGB1226", "GGB2998")
    assert _value(pso4, "Control.A04", "GGB2998 SGB3988") == 13225  # 4th value of the first data row
    assert pso4.info[0].extra["units_reason"] == "every value is a whole number"

    pso = gutskin.read(data("psoriasis_gut_metaphlan_100/abundance_counts.tsv.gz"))
    assert pso.samples[:2] == ["D9_profile", "D99_profile"]
    assert _value(pso, "D99_profile", "Methanobrevibacter smithii") == 40023  # 'Methanobrevibacter_smithii\t0\t40023'
    assert pso.at_rank("genus").n_taxa < pso.n_taxa


def test_metaphlan_lineage_counts_table_read_as_generic_keeps_counts():
    """Reading the clade_name counts table with the generic reader keeps the integer counts as counts."""
    p = gutskin.read(data("psoriasis_gut_metaphlan4_143/abundance_counts.tsv.gz"), format="generic")
    assert p.is_counts
    long = p.to_long("species")
    assert long["count"].notna().all()


# ------------------------------------------------------------------------------------------------ uBiome
@pytest.mark.parametrize("rel", UBIOME)
def test_ubiome_detected(rel):
    assert detect_format(fixture(rel)) == "ubiome"
    p = gutskin.read(fixture(rel))
    assert p.units == "counts" and p.layout == "clades" and p.n_samples == 1
    assert p.info[0].profiler == "uBiome"
    assert p.samples == [Path(rel).name.rsplit(".", 1)[0]]


def test_ubiome_string_values_and_partial_tree():
    p = gutskin.read(fixture("consumer_ubiome/ubiome__sample1.json"))
    assert p.n_taxa == 20
    assert _value(p, p.samples[0], "Firmicutes") == 157391  # "count": "157391" (a string)
    assert _value(p, p.samples[0], "Bacteria") == 252684
    clone = p.taxa[p.taxa["taxid"] == 134223].iloc[0]
    # 134223 → 134222 'environmental samples' (no_rank) → 872 Desulfovibrio → 194924 (not in the file)
    assert (clone["rank"], clone["genus"]) == ("species", "Desulfovibrio")
    assert p.taxa[p.taxa["taxid"] == 134222].iloc[0]["rank"] == "no rank"  # 'no_rank' spelled NCBI's way
    genus = p.to_long("genus")
    assert set(genus["name"]) == {"Dialister", "Desulfovibrio"}


def test_ubiome_csv_and_json_are_the_same_export():
    a = gutskin.read(fixture("consumer_ubiome/ubiome__sprague-ubiome-150815.csv"))
    b = gutskin.read(fixture("consumer_ubiome/ubiome__sprague-ubiome-150815.json"))
    assert list(a.taxa.index) == list(b.taxa.index)
    assert (a.values != b.values).nnz == 0
    assert a.n_taxa == 643
    counts = a.taxa["rank"].value_counts()
    assert counts["species"] == 223 and counts["genus"] == 128 and counts["species group"] == 3
    assert _value(a, a.samples[0], "Blautia") == 59364  # '59364,97908,186803,genus,,,572511,Blautia'
    assert _value(a, a.samples[0], "root") == 611672
    blautia = a.taxa[a.taxa["name"] == "Blautia"].iloc[0]
    assert blautia["lineage"] == ("d__Bacteria|p__Firmicutes|c__Clostridia|o__Clostridiales|f__Lachnospiraceae"
                                  "|g__Blautia")
    phyla = a.to_long("phylum")
    assert phyla.iloc[0]["name"] == "Firmicutes" and phyla.iloc[0]["count"] == 389684


def test_ubiome_bad_input(tmp_path):
    bad = tmp_path / "u.json"
    bad.write_text(json.dumps({"ubiome_bacteriacounts": [
        {"taxon": "2", "parent": "131567", "count": "-5", "tax_name": "Bacteria", "tax_rank": "superkingdom"}]}))
    with pytest.raises(InputError, match="≥ 0"):
        gutskin.read(bad)
    bad.write_text(json.dumps({"ubiome_bacteriacounts": [
        {"taxon": "2", "parent": "131567", "count": "many", "tax_name": "Bacteria", "tax_rank": "superkingdom"}]}))
    with pytest.raises(InputError, match="expected a number"):
        gutskin.read(bad)
    bad.write_text(json.dumps({"ubiome_bacteriacounts": []}))
    with pytest.raises(InputError, match="empty"):
        gutskin.read(bad)
    bad.write_text('{"ubiome_bacteriacounts": [{"taxon": 2,')
    with pytest.raises(InputError):
        gutskin.read(bad, format="ubiome")
    csv = tmp_path / "u.csv"
    csv.write_text("count,count_norm,parent,tax_rank,tax_color,avg,taxon,tax_name\n5,1,0,root,,,1,root\n"
                   "3,1,1,superkingdom,,,1,Bacteria\n")
    with pytest.raises(InputError, match="listed twice"):
        gutskin.read(csv)


# ------------------------------------------------------------------------------------------------ bad tables
MATRIX = "species\tS1\tS2\ns__Bacteroides_uniformis\t60\t10\ns__Prevotella_copri\t40\t90\n"


@pytest.mark.parametrize(("cell", "match"), [
    ("-3", "≥ 0"),
    ("NA", "blank or NA"),
    ("", "blank or NA"),
    ("nan", "blank or NA"),
    ("lots", "expected a number"),
    ("inf", "finite"),
])
def test_bad_matrix_cells(tmp_path, cell, match):
    out = tmp_path / "m.tsv"
    out.write_text(MATRIX.replace("\t90\n", f"\t{cell}\n"))
    with pytest.raises(InputError, match=match) as err:
        gutskin.read(out, format="generic")
    assert err.value.line == 3 and err.value.field == "S2"


def test_matrix_units_by_column_sums(tmp_path):
    out = tmp_path / "m.tsv"
    out.write_text(MATRIX)
    assert gutskin.read(out).units == "counts"
    out.write_text(MATRIX.replace("60", "60.5").replace("40", "39.5"))
    assert gutskin.read(out).units == "percent"
    out.write_text("taxon,S1\nBacteroides_uniformis,0.25\nPrevotella_copri,0.75\nUNKNOWN,0\n")
    p = gutskin.read(out)
    assert p.units == "fraction" and p.n_taxa == 2 and p.info[0].unclassified == 0


def test_duplicate_columns_rows_and_empty_tables(tmp_path):
    out = tmp_path / "m.tsv"
    out.write_text(MATRIX.replace("S2", "S1"))
    with pytest.raises(InputError, match="appears twice") as err:
        gutskin.read(out)
    assert err.value.field == "S1"
    out.write_text(MATRIX + "s__Prevotella_copri\t1\t1\n")
    with pytest.raises(InputError, match="appears twice"):
        gutskin.read(out)
    out.write_text("species\tS1\tS2\n")
    with pytest.raises(InputError):
        gutskin.read(out, format="generic")
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        gutskin.read(empty)


def test_duplicate_samples_across_files(tmp_path):
    a, b = tmp_path / "a.tsv", tmp_path / "b.tsv"
    a.write_text(MATRIX)
    b.write_text(MATRIX)
    with pytest.raises(InputError, match="duplicate sample names"):
        gutskin.read_many([a, b])
    b.write_text(MATRIX.replace("S1", "S3").replace("S2", "S4"))
    merged = gutskin.read_many([a, b])
    assert merged.samples == ["S1", "S2", "S3", "S4"]


def test_gzipped_matrix(tmp_path):
    out = tmp_path / "m.tsv.gz"
    out.write_bytes(gzip.compress(("\ufeff" + MATRIX).encode()))
    assert detect_format(out) == "generic"
    assert gutskin.read(out).samples == ["S1", "S2"]


@pytest.mark.parametrize("rel", [
    "camda2024_gut_613/metadata.tsv",
    "gmhi2020_discovery_4347/metadata.tsv",
    "gmhi2020_validation_782/validation_metadata.csv",
    "psoriasis_gut_metaphlan_100/metadata.tsv",
    "psoriasis_gut_metaphlan_100/taxonomy.tsv",
    "gmwi2_model/gmwi2_coefficients_nonzero.tsv",
    "gmhi2020_species_lists/MH_species.txt",
    "gmhi2020_discovery_4347/PROVENANCE.md",
])
def test_generic_does_not_claim_other_tables(rel):
    assert not generic.sniff(peek(data(rel)))
    assert not ubiome.sniff(peek(data(rel)))


def test_junk_tables_are_not_claimed(tmp_path):
    junk = {
        "samples.csv": "sample_id,age,bmi\nS1,34,22.1\nS2,51,27.5\n",
        "words.tsv": "species\tS1\nBacteroides_uniformis\tmany\n",
        "numbers.tsv": "species\tS1\n12\t3\n",
        "one_column.txt": "species\nBacteroides uniformis\n",
        "transposed.tsv": "\tBacteroides_uniformis\tPrevotella_copri\nS1\t1\t2\n",
    }
    for name, text in junk.items():
        path = tmp_path / name
        path.write_text(text)
        assert not generic.sniff(peek(path)), name
        with pytest.raises(InputError):
            gutskin.read(path)


def test_r_style_matrix_without_a_row_name_header(tmp_path):
    out = tmp_path / "r.tsv"
    out.write_text("S1\tS2\nBacteroides_uniformis\t1\t2\nPrevotella_copri\t3\t4\n")
    assert detect_format(out) == "generic"
    p = gutskin.read(out)
    assert p.samples == ["S1", "S2"] and _value(p, "S2", "Prevotella copri") == 4


def test_bare_names_under_a_rank_header(tmp_path):
    out = tmp_path / "g.csv"
    out.write_text("genus,S1\nBacteroides,60\nPrevotella,40\n")
    p = gutskin.read(out)
    assert set(p.taxa["rank"]) == {"genus"}
    assert p.to_long("genus")["relative_abundance"].tolist() == [0.6, 0.4]


# ------------------------------------------------------------------------------------------------ long table
def test_long_table_from_frame_and_errors():
    frame = pd.DataFrame({
        "sample": ["a", "a", "b"], "rank": ["genus", "genus", "genus"], "name": ["X", "Y", "X"],
        "taxid": [1, None, 1], "lineage": ["d__B|g__X", "d__B|g__Y", "d__B|g__X"],
        "count": [3.0, 1.0, None], "relative_abundance": [0.75, 0.25, 1.0]})
    p = Profile.from_long(frame)
    assert p.samples == ["a", "b"]
    assert [i.units for i in p.info] == ["counts", "fraction"]
    assert p.taxa.loc["d__B|g__X", "taxid"] == 1
    bad = frame.copy()
    bad.loc[1, "relative_abundance"] = -1
    with pytest.raises(InputError, match="≥ 0"):
        Profile.from_long(bad)
    dup = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="appears twice"):
        Profile.from_long(dup)
    with pytest.raises(InputError, match="missing"):
        Profile.from_long(frame.drop(columns=["lineage"]))
    with pytest.raises(InputError, match="no rows"):
        Profile.from_long(frame.iloc[:0])


@pytest.mark.parametrize("rel", ["generic_tables/generated__taxpasta-0.7.0__merge_krakenuniq_named.tsv",
                                 "generic_tables/generated__biom-2.1.18__convert_to-tsv_taxonomy.tsv"])
@pytest.mark.parametrize("extra", [3, 1_100_000])
def test_a_row_with_more_cells_than_the_header_is_refused_by_line(rel, extra, tmp_path):
    """Fuzz seed 16010905: a million tabs inside one row made pandas build a million columns for minutes,
    then drop them. Any extra cell is refused at once, naming the row's line."""
    lines = fixture(rel).read_text(encoding="utf-8").split("\n")
    header_at = next(i for i, ln in enumerate(lines) if ln.count("\t") >= 2)
    target = header_at + 2  # the second data row
    lines[target] = lines[target] + "\t1" * extra
    bad = tmp_path / Path(rel).name
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError, match=rf":{target + 1}: expected at most \d+ columns like the header, found"):
        gutskin.read(bad)
