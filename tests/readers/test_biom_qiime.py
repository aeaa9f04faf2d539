"""BIOM, QIIME 2 artifact and taxonomy readers on the real fixtures.

Every BIOM file and every ``.qza`` feature table is cross-checked against biom-format's own loader
(``biom.load_table``): same samples, same observations, same numbers. Hand-picked values were read off
the files (JSON data triples, or biom-format's ``table.get_value_by_ids``) and are quoted in comments.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import biom as biomformat
import numpy as np
import pandas as pd
import pytest

import gutskin
from gutskin.errors import InputError
from gutskin.readers import biom as biom_reader
from gutskin.readers import detect_format, qiime2, taxonomy_table
from gutskin.taxonomy.lineage import Lineage
from tests.conftest import FIXTURES, fixture

BIOM_FILES = {
    # file: (samples, observations, units, profiler, method)
    "biom/biom-format__rich_sparse_otu_table.biom": (6, 5, "counts", "QIIME", "16S"),
    "biom/biom-format__rich_sparse_otu_table_hdf5.biom": (6, 5, "counts", None, "unknown"),
    "biom/galaxy-iuc__SRS014464-Anterior_nares.biom": (1, 7, "percent", "MetaPhlAn", "shotgun"),
    "biom/generated__biom-2.1.18__convert_to-json.biom": (6, 5, "counts", None, "unknown"),
    "biom/motus__ERR878216_single_1.biom": (1, 7727, "fraction", "mOTUs", "shotgun"),
    "biom/q2-longitudinal__ecam-table-small__feature-table.biom": (18, 14, "fraction", "QIIME 2", "16S"),
    "biom/q2-types__feature-table_v100.biom": (9, 14, "counts", "QIIME", "16S"),
    "biom/unifrac__crawford.biom": (9, 365, "counts", "QIIME", "16S"),
}
QZA_TABLES = {
    # file: (archive version, samples, features, units)
    "qiime2_qza/caporaso-bio450__table.qza": ("1", 104, 1008, "counts"),
    "qiime2_qza/q2-composition__table-ancombc.qza": ("5", 34, 770, "counts"),
    "qiime2_qza/q2-longitudinal__ecam-table-small.qza": ("2", 18, 14, "fraction"),
    "qiime2_qza/q2-longitudinal__ecam-table-taxa.qza": ("1", 875, 561, "fraction"),
}
QZA_TAXONOMIES = {
    "qiime2_qza/q2-feature-table__moving-pics-taxonomy-gg-13-8.qza": "5",
    "qiime2_qza/q2-feature-table__moving-pics-taxonomy-gg-2.qza": "6",
}
TAXONOMY_TSV = {
    "gg-13-8": "qiime2_taxonomy_tsv/q2-feature-table__moving-pics-taxonomy-gg-13-8__taxonomy.tsv",
    "gg-2": "qiime2_taxonomy_tsv/q2-feature-table__moving-pics-taxonomy-gg-2__taxonomy.tsv",
}
MOVING_PICS_TABLE = "qiime2_qza/q2-composition__table-ancombc.qza"
UNCLASSIFIED_IDS = {"-1", "Unassigned;__;__;__;__;__;__"}


def _biom_member(qza: Path, tmp_path: Path) -> Path:
    """The artifact's data/feature-table.biom, extracted the way `qiime tools export` would."""
    with zipfile.ZipFile(qza) as zf:
        name = next(n for n in zf.namelist() if n.count("/") == 2 and n.endswith("/data/feature-table.biom"))
        out = tmp_path / f"{qza.stem}.biom"
        out.write_bytes(zf.read(name))
    return out


def _columns(profile) -> dict[str, int]:
    """Profile column per BIOM observation id (keys are the ids; mOTUs keys end in '|mOTU:<id>')."""
    out = {}
    for j, key in enumerate(profile.taxa.index):
        oid = key.rsplit("|mOTU:", 1)[1] if "|mOTU:" in key else key
        assert oid not in out
        out[oid] = j
    return out


def _column(profile, oid: str) -> int:
    return _columns(profile)[oid]


def _value(profile, sample: str, oid: str) -> float:
    return float(profile.values[profile.samples.index(sample), _column(profile, oid)])


def _cross_check(profile, table) -> None:
    """The Profile holds biom-format's matrix: kept observations as columns, unassigned ones as unclassified."""
    ids = [str(i) for i in table.ids(axis="sample")]
    if profile.samples != ids:
        assert len(ids) == 1 and ids[0] in biom_reader.DEFAULT_SAMPLE_IDS
    dense = table.matrix_data.toarray()  # observations × samples
    obs = [str(o) for o in table.ids(axis="observation")]
    kept = [k for k, o in enumerate(obs) if o not in UNCLASSIFIED_IDS]
    assert profile.n_taxa == len(kept)
    where = _columns(profile)
    cols = [where[obs[k]] for k in kept]
    assert sorted(cols) == list(range(profile.n_taxa))
    ours = profile.values.toarray()[:, cols]
    np.testing.assert_array_equal(ours, dense[kept].T)
    unclassified = [k for k, o in enumerate(obs) if o in UNCLASSIFIED_IDS]
    for i, info in enumerate(profile.info):
        if unclassified:
            assert info.unclassified == pytest.approx(dense[unclassified, i].sum(), abs=0)
        else:
            assert info.unclassified is None


# ------------------------------------------------------------------------------------------------ coverage
def test_every_fixture_is_covered():
    on_disk = {str(p.relative_to(FIXTURES)) for d in ("biom", "qiime2_qza", "qiime2_taxonomy_tsv")
               for p in (FIXTURES / d).iterdir()}
    assert on_disk == set(BIOM_FILES) | set(QZA_TABLES) | set(QZA_TAXONOMIES) | set(TAXONOMY_TSV.values())


# ------------------------------------------------------------------------------------------------ BIOM
@pytest.mark.parametrize("rel", sorted(BIOM_FILES))
def test_biom_detected_and_matches_biom_format(rel):
    path = fixture(rel)
    assert detect_format(path) == "biom"
    n_samples, n_obs, units, profiler, method = BIOM_FILES[rel]
    profile = gutskin.read(path)
    table = biomformat.load_table(str(path))
    assert table.shape == (n_obs, n_samples)
    assert profile.n_samples == n_samples
    assert profile.units == units
    assert profile.info[0].profiler == profiler
    assert profile.info[0].method == method
    assert profile.info[0].format == "biom"
    assert profile.info[0].extra.get("units_reason")
    _cross_check(profile, table)


def test_rich_sparse_json_and_hdf5_agree():
    # JSON data triple [1,0,5]: GG_OTU_2 has 5 in Sample1; [2,3,4]: GG_OTU_3 has 4 in Sample4
    for rel in ("biom/biom-format__rich_sparse_otu_table.biom", "biom/biom-format__rich_sparse_otu_table_hdf5.biom",
                "biom/generated__biom-2.1.18__convert_to-json.biom"):
        p = gutskin.read(fixture(rel))
        assert p.samples == [f"Sample{i}" for i in range(1, 7)]
        assert p.layout == "features"
        assert _value(p, "Sample1", "GG_OTU_2") == 5
        assert _value(p, "Sample4", "GG_OTU_3") == 4
        assert _value(p, "Sample1", "GG_OTU_1") == 0
        # OTU_1 and OTU_5 are both Escherichia: four genera; only OTU_4 names a species
        genus = p.at_rank("genus")
        assert sorted(genus.taxa["name"]) == ["Dolichospermum", "Escherichia", "Halanaerobium", "Methanosarcina"]
        esch = genus.taxa.index.get_loc(genus.taxa.index[genus.taxa["name"] == "Escherichia"][0])
        # Sample3: OTU_1 1 ([0,2,1]) + OTU_5 1 ([4,2,1])
        assert genus.values[p.samples.index("Sample3"), esch] == 2
        assert p.at_rank("species").n_taxa == 1
        assert p.taxa.loc["GG_OTU_3", "domain"] == "Archaea"


def test_metaphlan_biom_species():
    p = gutskin.read(fixture("biom/galaxy-iuc__SRS014464-Anterior_nares.biom"))
    assert p.samples == ["galaxy-iuc__SRS014464-Anterior_nares"]  # 'Metaphlan_Analysis' is a default id
    assert p.info[0].extra["sample_id_in_file"] == "Metaphlan_Analysis"
    species = p.at_rank("species")
    names = dict(zip(species.taxa["name"], species.values.toarray()[0], strict=True))
    assert names["Corynebacterium accolens"] == pytest.approx(5.98726)  # data [0,0,5.98726]
    assert names["Moraxella lacunata"] == pytest.approx(22.57968)  # data [5,0,22.57968]
    assert p.at_rank("genus").n_taxa == 4
    assert "percent" in p.info[0].units and "100" in p.info[0].extra["units_reason"]


def test_motus_biom_names_and_unassigned():
    p = gutskin.read(fixture("biom/motus__ERR878216_single_1.biom"))
    assert p.samples == ["motus__ERR878216_single_1"]
    assert p.n_taxa == 7726  # 7727 rows, the '-1' row is the unassigned share
    assert p.info[0].unclassified == pytest.approx(0.11971896, abs=1e-8)
    assert p.info[0].profiler_version == "2.0.0-rc1"
    assert _value(p, "motus__ERR878216_single_1", "ref_mOTU_v2_0167") == pytest.approx(0.30648666, abs=1e-8)
    taxa = p.taxa.iloc[_column(p, "ref_mOTU_v2_0167")]
    assert (taxa["name"], taxa["species"], taxa["genus"], taxa["taxid"]) == (
        "Lactobacillus ruminis", "Lactobacillus ruminis", "Lactobacillus", 1623)
    assert p.to_long("species")["relative_abundance"].sum() == pytest.approx(1.0)
    # a mOTUs 'unknown <order>' name is not given a genus
    unknown = p.taxa.iloc[_column(p, "meta_mOTU_v2_7800")]
    assert unknown["name"] == "unknown Clostridiales" and pd.isna(unknown["genus"])


def test_qiime1_and_qiime2_exports():
    p = gutskin.read(fixture("biom/unifrac__crawford.biom"))
    assert p.samples[:2] == ["10084.PC.481", "10084.PC.593"]
    assert _value(p, "10084.PC.481", "206494") == 6
    assert _value(p, "10084.PC.593", "197790") == 4
    assert p.info[0].profiler_version == "1.9.0-rc1"
    assert sorted(p.at_rank("phylum").taxa["name"]) == ["Actinobacteria", "Bacteroidetes", "Deferribacteres",
                                                         "Firmicutes", "Proteobacteria", "TM7"]
    # Greengenes 'f__; g__; s__' placeholders are unassigned ranks, not names
    assert p.taxa.loc["197790", "rank"] == "order" and pd.isna(p.taxa.loc["197790", "family"])

    q = gutskin.read(fixture("biom/q2-types__feature-table_v100.biom"))
    assert q.samples == ["f2", "f1", "f3", "f4", "p2", "p1", "t1", "not16S.1", "t2"]
    assert _value(q, "f2", "295053") == 20  # data [0,0,20]
    assert q.info[0].extra["units_reason"] == "the table declares integer values"

    e = gutskin.read(fixture("biom/q2-longitudinal__ecam-table-small__feature-table.biom"))
    assert set(e.taxa["rank"]) == {"family"}
    sums = np.asarray(e.values.sum(axis=1)).ravel()
    np.testing.assert_allclose(sums, 1.0)
    assert "Bifidobacteriaceae" in set(e.taxa["name"])


# ------------------------------------------------------------------------------------------------ QIIME 2
@pytest.mark.parametrize("rel", sorted(QZA_TABLES))
def test_qza_tables_match_biom_format(rel, tmp_path):
    path = fixture(rel)
    assert detect_format(path) == "qiime2"
    archive, n_samples, n_features, units = QZA_TABLES[rel]
    profile = gutskin.read(path)
    assert profile.info[0].format == "qiime2"
    assert profile.info[0].extra["qiime2_archive"] == archive
    assert profile.info[0].profiler == "QIIME 2"
    assert profile.units == units
    table = biomformat.load_table(str(_biom_member(path, tmp_path)))
    assert table.shape == (n_features, n_samples)
    assert profile.n_samples == n_samples
    _cross_check(profile, table)


def test_qza_named_values():
    cap = gutskin.read(fixture("qiime2_qza/caporaso-bio450__table.qza"))
    assert cap.samples[:3] == ["M2.Middle.R", "K3.D", "K3.T"]
    assert cap.info[0].profiler_version == "2017.2.0"
    assert cap.values.sum() == 32708
    assert cap.info[0].method == "16S"  # numbered Greengenes OTUs
    anc = gutskin.read(fixture(MOVING_PICS_TABLE))
    assert anc.samples[:2] == ["L1S105", "L1S140"]
    assert anc.info[0].method == "unknown"  # ASV hashes alone do not say which gene
    assert np.asarray(anc.values.sum(axis=1)).ravel()[0] == 7780  # biom-format: sum of sample L1S105
    taxa = gutskin.read(fixture("qiime2_qza/q2-longitudinal__ecam-table-taxa.qza"))
    assert taxa.n_samples == 875 and taxa.n_taxa == 560  # 561 ids, one of them 'Unassigned;__;…'
    assert taxa.info[0].extra["feature_naming"] == "lineage ids"
    phyla = set(taxa.at_rank("phylum").taxa["name"])
    assert {"Firmicutes", "[Thermi]", "Euryarchaeota"} <= phyla and len(phyla) == 22
    # Greengenes writes only the epithet at species: 'g__Deinococcus;s__geothermalis'
    assert "Deinococcus geothermalis" in set(taxa.at_rank("species").taxa["name"])
    shares = [i.unclassified for i in taxa.info]
    assert all(s is not None for s in shares) and max(shares) > 0


def test_taxonomy_artifacts_are_recognised_and_refused_alone():
    for rel, archive in QZA_TAXONOMIES.items():
        path = fixture(rel)
        assert taxonomy_table.is_taxonomy(path)
        assert qiime2.artifact(path).archive == archive
        with pytest.raises(InputError, match="no abundances"):
            gutskin.read(path)
        with pytest.raises(InputError, match="give it together"):
            gutskin.read_many([path])
    for rel in TAXONOMY_TSV.values():
        assert taxonomy_table.is_taxonomy(fixture(rel))
        assert detect_format(fixture(rel)) == "qiime2_taxonomy"
        with pytest.raises(InputError, match="no abundances"):
            gutskin.read(fixture(rel))
    for rel in QZA_TABLES:
        assert not taxonomy_table.is_taxonomy(fixture(rel))


def test_taxonomy_qza_and_exported_tsv_agree():
    for style, tsv in TAXONOMY_TSV.items():
        qza = f"qiime2_qza/q2-feature-table__moving-pics-taxonomy-{style}.qza"
        a = taxonomy_table.load_taxonomies([fixture(qza)])
        b = taxonomy_table.load_taxonomies([fixture(tsv)])
        assert len(a) == 770
        pd.testing.assert_series_equal(a, b)
        raw = pd.read_csv(fixture(tsv), sep="\t", index_col=0)["Taxon"]
        assert (a.reindex(raw.index) == raw).all()


def test_taxonomy_strings():
    gg = taxonomy_table.load_taxonomies([fixture(TAXONOMY_TSV["gg-13-8"])])
    lin = taxonomy_table.lineage_from_taxonomy(gg["0305a4993ecf2d8ef4149fdfc7592603"])
    assert lin.get("genus") == "Bacteroides" and lin.get("species") == "Bacteroides uniformis"
    lin = taxonomy_table.lineage_from_taxonomy(gg["4b5eeb300368260019c1fbc7a3c718fc"])  # '…; g__Bacteroides; s__'
    assert lin.deepest_rank == "genus"
    gg2 = taxonomy_table.load_taxonomies([fixture(TAXONOMY_TSV["gg-2"])])
    lin = taxonomy_table.lineage_from_taxonomy(gg2["4b5eeb300368260019c1fbc7a3c718fc"])
    assert lin.get("phylum") == "Bacteroidota"
    assert lin.get("genus") == "Phocaeicola_A_858004"  # GTDB suffixes are kept: they name other taxa
    assert lin.get("species") == "Phocaeicola_A_858004 vulgatus"
    assert taxonomy_table.lineage_from_taxonomy("Unassigned") == Lineage.empty()
    assert taxonomy_table.lineage_from_taxonomy("k__Bacteria; p__; c__").deepest_rank == "domain"
    brackets = taxonomy_table.lineage_from_taxonomy("k__Bacteria; p__Bacteroidetes; c__[Rhodothermi]")
    assert brackets.get("class") == "[Rhodothermi]"
    silva = taxonomy_table.lineage_from_taxonomy("D_0__Bacteria;D_1__Firmicutes;D_5__Faecalibacterium")
    assert silva.get("genus") == "Faecalibacterium"


def _genus_shares_by_hand(tmp_path: Path, tsv: Path, sample: str) -> pd.Series:
    """Genus shares of one sample straight from biom-format and the raw taxonomy strings.

    Genera are told apart by their whole lineage (Greengenes has a Clostridium in two families), so the
    key is the named ranks down to the genus, joined with '; '.
    """
    table = biomformat.load_table(str(_biom_member(fixture(MOVING_PICS_TABLE), tmp_path)))
    counts = pd.Series(table.data(sample, axis="sample"), index=[str(i) for i in table.ids("observation")])
    taxon = pd.read_csv(tsv, sep="\t", index_col=0)["Taxon"]

    def genus_lineage(text: str) -> str | None:
        parts = [p.strip() for p in text.split(";")]
        names = [p[3:] for p in parts if len(p) > 3 and p[1:3] == "__" and p[0] in "kdpcofg"]
        return "; ".join(names) if any(p.startswith("g__") and p[3:] for p in parts) else None

    g = taxon.map(genus_lineage).reindex(counts.index)
    known = counts[g.notna()]
    return known.groupby(g[g.notna()]).sum() / known.sum()


@pytest.mark.parametrize("style", ["gg-13-8", "gg-2"])
@pytest.mark.parametrize("as_qza", [True, False])
def test_table_with_taxonomy_rolls_up_to_genus(style, as_qza, tmp_path):
    tax_path = fixture(f"qiime2_qza/q2-feature-table__moving-pics-taxonomy-{style}.qza" if as_qza
                       else TAXONOMY_TSV[style])
    table_path = fixture(MOVING_PICS_TABLE)
    # a real pairing: every feature of the moving-pictures table is in the moving-pictures taxonomy
    ids = set(gutskin.read(table_path).taxa.index)
    assert ids <= set(taxonomy_table.load_taxonomies([tax_path]).index)
    # either order of the two files works
    for files in ([table_path, tax_path], [tax_path, table_path]):
        profile = gutskin.read_many(files)
        assert profile.n_samples == 34 and profile.layout == "features"
        assert profile.info[0].method == "16S"
        assert profile.info[0].extra["taxonomy"] == "attached"
    genus = profile.proportions("genus")
    expected = _genus_shares_by_hand(tmp_path, fixture(TAXONOMY_TSV[style]), "L1S105")
    keys = ["; ".join(n for n in row if isinstance(n, str))
            for row in genus.taxa[["domain", "phylum", "class", "order", "family", "genus"]].to_numpy()]
    ours = pd.Series(genus.values.toarray()[genus.samples.index("L1S105")], index=keys)
    ours = ours[ours > 0]
    expected = expected[expected > 0]
    assert set(ours.index) == set(expected.index)
    np.testing.assert_allclose(ours.sort_index().to_numpy(), expected.sort_index().to_numpy(), rtol=1e-12)
    top = "Bacteroides" if style == "gg-13-8" else "Bacteroides_H"  # GTDB splits Bacteroides
    assert genus.taxa["name"].iloc[int(np.argmax(genus.values.toarray()[0]))] == top
    assert "WAL_1855D" in set(genus.taxa["name"]) or style == "gg-2"  # Greengenes names keep their underscores
    assert profile.to_long("genus").groupby("sample")["relative_abundance"].sum().round(12).eq(1).all()


def test_taxonomy_that_does_not_fit_the_table_is_refused():
    # the taxonomy falls short, so the message starts with the taxonomy file and names the table too
    with pytest.raises(InputError, match=r"lacks 1008 of the 1008 features of .*caporaso-bio450__table\.qza") as err:
        gutskin.read_many([fixture("qiime2_qza/caporaso-bio450__table.qza"),
                           fixture(TAXONOMY_TSV["gg-13-8"])])
    assert str(err.value).startswith(str(fixture(TAXONOMY_TSV["gg-13-8"])))


def test_conflicting_taxonomies_are_refused():
    with pytest.raises(InputError, match="give one taxonomy per feature table"):
        taxonomy_table.load_taxonomies([fixture(TAXONOMY_TSV["gg-13-8"]), fixture(TAXONOMY_TSV["gg-2"])])


def test_taxonomy_on_a_clade_profile_is_refused():
    with pytest.raises(InputError, match="only be attached to a feature table"):
        gutskin.read_many([fixture("metaphlan/taxpasta__ERR7569997.txt"), fixture(TAXONOMY_TSV["gg-13-8"])])


# ------------------------------------------------------------------------------------------------ bad input
def _rezip(src: Path, dst: Path, replace: dict[str, bytes | None]) -> Path:
    """A copy of a .qza with some members replaced (or dropped with None)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            key = next((k for k in replace if item.filename.endswith(k) and item.filename.count("/") ==
                        k.count("/") + 1), None)
            if key is None:
                zout.writestr(item, zin.read(item.filename))
            elif replace[key] is not None:
                zout.writestr(item, replace[key])
    return dst


def test_corrupt_zip(tmp_path):
    raw = fixture(MOVING_PICS_TABLE).read_bytes()
    bad = tmp_path / "table.qza"
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError):
        gutskin.read(bad)
    with pytest.raises(InputError, match="corrupt or truncated zip"):
        gutskin.read(bad, format="qiime2")


def test_corrupt_member_inside_zip(tmp_path):
    src = fixture(MOVING_PICS_TABLE)
    bad = _rezip(src, tmp_path / "t.qza", {"data/feature-table.biom": b"\x89HDF\r\n\x1a\n" + b"\0" * 64})
    with pytest.raises(InputError, match="HDF5"):
        gutskin.read(bad)


def test_damaged_compressed_member(tmp_path):
    src = fixture(MOVING_PICS_TABLE)
    raw = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = next(i for i in zf.infolist() if i.filename.endswith("data/feature-table.biom"))
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 200
    for k in range(start, start + 400):
        raw[k] ^= 0xFF
    bad = tmp_path / "damaged.qza"
    bad.write_bytes(bytes(raw))
    with pytest.raises(InputError, match="looks corrupt"):
        gutskin.read(bad)


def test_corrupt_hdf5(tmp_path):
    raw = fixture("biom/unifrac__crawford.biom").read_bytes()
    bad = tmp_path / "cut.biom"
    bad.write_bytes(raw[:4096])
    with pytest.raises(InputError):
        gutskin.read(bad)
    with pytest.raises(InputError, match="corrupt or truncated HDF5"):
        gutskin.read(bad, format="biom")


def test_unsupported_artifact_type(tmp_path):
    src = fixture(MOVING_PICS_TABLE)
    meta = b"uuid: d768bcbb-1312-46af-baa4-f8bfaf3eed3c\ntype: FeatureTable[PresenceAbsence]\nformat: BIOMV210DirFmt\n"
    bad = _rezip(src, tmp_path / "pa.qza", {"metadata.yaml": meta})
    assert detect_format(bad) == "qiime2"
    with pytest.raises(InputError, match=r"unsupported QIIME 2 artifact type FeatureTable\[PresenceAbsence\]"):
        gutskin.read(bad)
    meta = b"uuid: x\ntype: SampleData[SequencesWithQuality]\nformat: X\n"
    with pytest.raises(InputError, match="unsupported QIIME 2 artifact type SampleData"):
        gutskin.read(_rezip(src, tmp_path / "seq.qza", {"metadata.yaml": meta}))
    with pytest.raises(InputError, match=r"no data/feature-table\.biom"):
        gutskin.read(_rezip(src, tmp_path / "nodata.qza", {"data/feature-table.biom": None}))


def test_relative_frequency_holding_counts_is_read_as_counts_with_a_warning(tmp_path):
    # a table typed RelativeFrequency that holds whole-number counts: reading them as fractions would make
    # every share wrong, so they are read as counts and the mismatch is said (issue 13)
    src = fixture(MOVING_PICS_TABLE)
    meta = b"uuid: d768bcbb-1312-46af-baa4-f8bfaf3eed3c\ntype: FeatureTable[RelativeFrequency]\nformat: B\n"
    p = gutskin.read(_rezip(src, tmp_path / "rf.qza", {"metadata.yaml": meta}))
    assert p.units == "counts"
    assert any("holds whole-number counts" in w for w in p.info[0].extra["warnings"])
    assert p.values.sum() == gutskin.read(src).values.sum()


def _json_biom(tmp_path: Path, **changes) -> Path:
    doc = json.loads(fixture("biom/biom-format__rich_sparse_otu_table.biom").read_text())
    doc.update(changes)
    out = tmp_path / "t.biom"
    out.write_text(json.dumps(doc))
    return out


@pytest.mark.parametrize(("data", "match"), [
    ([[0, 2, -1.0]], "≥ 0"),
    ([[0, 2, "x"]], "must be numbers"),
    ([[0, 2, float("nan")]], "finite"),
    ([[0, 9, 1.0]], "outside the table"),
])
def test_bad_biom_values(tmp_path, data, match):
    with pytest.raises(InputError, match=match):
        gutskin.read(_json_biom(tmp_path, data=data))


def test_bad_biom_structure(tmp_path):
    with pytest.raises(InputError, match="empty"):
        gutskin.read(_json_biom(tmp_path, rows=[], data=[], shape=[0, 6]))
    with pytest.raises(InputError, match="shape"):
        gutskin.read(_json_biom(tmp_path, shape=[4, 6]))
    broken = tmp_path / "broken.biom"
    broken.write_text(fixture("biom/biom-format__rich_sparse_otu_table.biom").read_text()[:500])
    with pytest.raises(InputError, match="corrupt BIOM JSON"):
        gutskin.read(broken)


def test_duplicate_samples_across_files():
    path = fixture("biom/unifrac__crawford.biom")
    with pytest.raises(InputError, match="duplicate sample names"):
        gutskin.read_many([path, path])


def test_gzipped_biom_is_read(tmp_path):
    import gzip

    for rel in ("biom/unifrac__crawford.biom", "biom/q2-types__feature-table_v100.biom"):
        out = tmp_path / (Path(rel).name + ".gz")
        out.write_bytes(gzip.compress(fixture(rel).read_bytes()))
        assert detect_format(out) == "biom"
        a, b = gutskin.read(out), gutskin.read(fixture(rel))
        assert (a.values != b.values).nnz == 0 and list(a.taxa.index) == list(b.taxa.index)


def test_units_judgement():
    import scipy.sparse as sp

    assert biom_reader.judge_units(sp.csr_matrix([[1.0, 2.0]]))[0] == "counts"
    assert biom_reader.judge_units(sp.csr_matrix([[0.25, 0.75], [0.5, 0.5]]))[0] == "fraction"
    assert biom_reader.judge_units(sp.csr_matrix([[25.5, 74.5]]))[0] == "percent"
    units, _reason, warnings = biom_reader.judge_units(sp.csr_matrix([[250.5, 740.5]]))
    assert units == "counts" and warnings


def test_sniffers_do_not_claim_each_other(tmp_path):
    from gutskin.io import peek

    for rel in BIOM_FILES:
        assert not qiime2.sniff(peek(fixture(rel)))
    for rel in QZA_TABLES:
        assert not biom_reader.sniff(peek(fixture(rel)))
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("a/b.txt", "hello")
    assert not qiime2.sniff(peek(other))
    with pytest.raises(InputError):
        gutskin.read(other)


# ------------------------------------------------------------------------------------------------ archive 0
def _artifact(path: Path, uuid: str, kind: str, fmt: str, members: dict[str, bytes], archive: str = "0") -> Path:
    """A minimal .qza as the oldest QIIME 2 wrote it (archive 0: no provenance folder)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{uuid}/metadata.yaml", f"uuid: {uuid}\ntype: {kind}\nformat: {fmt}\nprovenance: null\n")
        zf.writestr(f"{uuid}/VERSION", f"QIIME 2\narchive: {archive}\nframework: 2.0.5\n")
        for name, raw in members.items():
            zf.writestr(f"{uuid}/data/{name}", raw)
    return path


def test_archive_0_table_with_json_biom_and_headerless_taxonomy(tmp_path):
    json_biom = fixture("biom/biom-format__rich_sparse_otu_table.biom").read_bytes()
    table = _artifact(tmp_path / "table.qza", "0f3b1c9e-0000-4000-8000-000000000001", "FeatureTable[Frequency]",
                      "BIOMV100DirFmt", {"feature-table.biom": json_biom})
    assert detect_format(table) == "qiime2"
    p = gutskin.read(table)
    assert qiime2.artifact(table).archive == "0"
    assert p.info[0].extra["qiime2_archive"] == "0" and p.units == "counts"
    assert (p.values != gutskin.read(fixture("biom/biom-format__rich_sparse_otu_table.biom")).values).nnz == 0
    # the legacy TaxonomyFormat has no header line
    rows = "".join(f"GG_OTU_{i}\tk__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; "
                   f"f__Lachnospiraceae; g__Blautia; s__{'obeum' if i == 1 else ''}\t0.9{i}\n" for i in range(1, 6))
    tax = _artifact(tmp_path / "taxonomy.qza", "0f3b1c9e-0000-4000-8000-000000000002", "FeatureData[Taxonomy]",
                    "TaxonomyDirectoryFormat", {"taxonomy.tsv": rows.encode()})
    assert taxonomy_table.is_taxonomy(tax)
    both = gutskin.read_many([table, tax])
    genus = both.at_rank("genus")
    assert genus.taxa["name"].tolist() == ["Blautia"]
    np.testing.assert_array_equal(genus.values.toarray().ravel(), np.asarray(p.values.sum(axis=1)).ravel())
    assert "Blautia obeum" in set(both.at_rank("species").taxa["name"])
    plain = tmp_path / "headerless_taxonomy.tsv"
    plain.write_text(rows)
    assert taxonomy_table.is_taxonomy(plain)
    assert len(taxonomy_table.load_taxonomies([plain])) == 5
