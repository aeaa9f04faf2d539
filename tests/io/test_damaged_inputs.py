"""Regression tests for every class of bad input in issue 13, each built from a real fixture at run time.

Each damaged file must end as an InputError naming the right file (line/field when known), or be read with
every sample and value accounted for. Nothing here is a committed damaged copy: the damage is applied here.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import gutskin
from gutskin.errors import InputError
from gutskin.readers import read_many
from gutskin.readers.taxonomy_table import lineage_from_taxonomy
from gutskin.writers import write_profile
from tests.conftest import fixture

KRAKEN = fixture("kraken2/multiqc__sample_01.report.txt")
KRAKEN_GZ = fixture("kraken2/taxpasta__2611_se-ERR5766174-db2.kraken2.report.txt.gz")
BIOM_JSON = fixture("biom/biom-format__rich_sparse_otu_table.biom")
BIOM_HDF5 = fixture("biom/biom-format__rich_sparse_otu_table_hdf5.biom")
UBIOME = fixture("consumer_ubiome/ubiome__sample1.json")
QZA = fixture("qiime2_qza/q2-composition__table-ancombc.qza")
TAXONOMY = fixture("qiime2_taxonomy_tsv/q2-feature-table__moving-pics-taxonomy-gg-13-8__taxonomy.tsv")
BIOM_TSV = fixture("generic_tables/generated__biom-2.1.18__convert_to-tsv_taxonomy.tsv")
TAXPASTA_WIDE = fixture("generic_tables/generated__taxpasta-0.7.0__merge_kraken2_wide.tsv")
MERGED_MPA = fixture("metaphlan_merged/generated__metaphlan-3.0.14-merge__kefir_v31_3samples.txt")
KAIJU_2 = fixture("kaiju/multiqc__2samples_kaiju2table_phylum.txt")
BRACKEN = fixture("bracken/bracken__sample_output_species_abundance.txt")


def refused(path: Path, *needles: str, **kw) -> InputError:
    with pytest.raises(InputError) as err:
        read_many([path], **kw) if not isinstance(path, list) else read_many(path, **kw)
    text = str(err.value)
    assert "\n" not in text
    for n in needles:
        assert n in text, text
    return err.value


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    out = tmp_path / name
    out.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return out


def _rezip(src: Path, dst: Path, member_end: str, body: bytes, method: int | None = None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.count("/") == member_end.count("/") + 1 and item.filename.endswith(member_end):
                data = body
            zout.writestr(item, data)
    if method is not None:  # an unsupported compression method id in every central-directory entry
        raw = bytearray(dst.read_bytes())
        at = raw.find(b"PK\x01\x02")
        while at >= 0:
            raw[at + 10:at + 12] = method.to_bytes(2, "little")
            at = raw.find(b"PK\x01\x02", at + 4)
        dst.write_bytes(bytes(raw))
    return dst


# ------------------------------------------------------------------------------------- compression
def test_corrupt_gzip_stream_is_refused_naming_the_file(tmp_path):
    raw = bytearray(KRAKEN_GZ.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # zlib.error ("invalid distance …") before the fix
    path = _write(tmp_path, "r.txt.gz", bytes(raw))
    refused(path, str(path), "cannot decompress")


def test_truncated_bz2_is_refused(tmp_path):
    packed = bz2.compress(KRAKEN.read_bytes())
    path = _write(tmp_path, "r.txt.bz2", packed[: len(packed) // 2])
    refused(path, str(path))


def test_a_gzip_bomb_is_refused_not_expanded(tmp_path):
    from gutskin import io as gio

    bomb = gzip.compress(KRAKEN.read_bytes()[:300] + b"0" * (8 * 1024**2), compresslevel=9)
    path = _write(tmp_path, "bomb.txt.gz", bomb)
    old = gio.limits()
    gio.configure(ratio_floor_bytes=1024**2)  # scaled down so the test stays small: 8 MB from ~8 KB
    try:
        refused(path, str(path), "compression bomb")
    finally:
        gio.configure(**{k: getattr(old, k) for k in ("ratio_floor_bytes",)})


# ------------------------------------------------------------------------------------- nesting, JSON, YAML
def test_deeply_nested_biom_json_is_refused(tmp_path):
    doc = BIOM_JSON.read_text()
    path = _write(tmp_path, "deep.biom", doc.replace('"rows":', '"x": ' + "[" * 100_000 + "]" * 100_000
                                                      + ', "rows":', 1))
    refused(path, str(path))


def test_deeply_nested_ubiome_json_is_refused(tmp_path):
    doc = json.loads(UBIOME.read_text())
    text = json.dumps(doc)
    path = _write(tmp_path, "deep.json", text[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    refused(path, str(path))


# ------------------------------------------------------------------------------------- text tables
def test_cr_only_line_endings_and_a_huge_field(tmp_path):
    text = BRACKEN.read_text()
    cr = _write(tmp_path, "cr.txt", text.replace("\n", "\r"))
    try:
        p = gutskin.read(cr)
        assert p.n_taxa == gutskin.read(BRACKEN).n_taxa  # read in full, or refused below
    except InputError as exc:
        assert str(cr) in str(exc)
    lines = text.split("\n")
    lines[3] = lines[3].split("\t", 1)[0] + "x" * 1_100_000 + "\t" + lines[3].split("\t", 1)[1]
    refused(_write(tmp_path, "huge.txt", "\n".join(lines)), "huge.txt")


@pytest.mark.parametrize("taxid", ["inf", "1e309", "99999999999999999999", "-5"])
def test_absurd_taxids_are_refused_naming_the_file(tmp_path, taxid):
    lines = KRAKEN.read_text().split("\n")
    cells = lines[5].split("\t")
    cells[4] = taxid
    lines[5] = "\t".join(cells)
    path = _write(tmp_path, "taxid.txt", "\n".join(lines))
    refused(path, str(path))


def test_a_file_cut_mid_number_is_refused_not_read_with_the_cut_number(tmp_path):
    text = KRAKEN.read_text()
    last = text.rstrip("\n").rsplit("\n", 1)[0]  # all but the last line …
    cut = last + "\n" + text.rstrip("\n").rsplit("\n", 1)[1][:3]  # … and the first digits of the last
    err = refused(_write(tmp_path, "cut.txt", cut), "truncated")
    assert err.line == cut.count("\n") + 1


def test_one_non_numeric_cell_refuses_a_biom_convert_tsv(tmp_path):
    lines = BIOM_TSV.read_text().split("\n")
    cells = lines[3].split("\t")
    cells[2] = "abc"
    lines[3] = "\t".join(cells)
    err = refused(_write(tmp_path, "t.tsv", "\n".join(lines)), "abc")
    assert err.line == 4 and err.field == "Sample2"


def test_merged_metaphlan_without_its_header_is_not_read_as_one_sample(tmp_path):
    lines = MERGED_MPA.read_text().split("\n")
    headerless = [ln for ln in lines if not ln.startswith("clade_name")]
    refused(_write(tmp_path, "merged.txt", "\n".join(headerless)), "header")


def test_two_sample_kaiju_table_cut_short_is_refused(tmp_path):
    lines = KAIJU_2.read_text().split("\n")
    for keep in (35, 45, len(lines) - 5):
        err = refused(_write(tmp_path, "k.txt", "\n".join(lines[:keep]) + "\n"), "truncated")
        assert err.field == "percent"


# ------------------------------------------------------------------------------------- QIIME 2 / BIOM / HDF5
def test_non_utf8_qza_metadata_is_refused_naming_the_archive(tmp_path):
    path = _rezip(QZA, tmp_path / "t.qza", "metadata.yaml", b"uuid: \xff\xfe\ntype: FeatureTable[Frequency]\n")
    refused(path, str(path), format="qiime2")
    refused(path, str(path))  # and while sniffing


def test_huge_or_bomb_qza_metadata_is_refused_quickly(tmp_path):
    big = b"type: FeatureTable[Frequency]\nx: " + b"a" * (3 * 1024**2) + b"\n"
    refused(_rezip(QZA, tmp_path / "big.qza", "metadata.yaml", big), format="qiime2")
    laughs = (b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
              b"type: FeatureTable[Frequency]\n")
    refused(_rezip(QZA, tmp_path / "lol.qza", "metadata.yaml", laughs), "aliases", format="qiime2")


def test_unsupported_zip_compression_method_is_refused(tmp_path):
    # deflate64 as the compression method: zipfile raises NotImplementedError
    path = _rezip(QZA, tmp_path / "m.qza", "metadata.yaml", b"type: FeatureTable[Frequency]\n", method=9)
    refused(path, str(path), format="qiime2")


@pytest.mark.parametrize("where", [0.3, 0.5, 0.8])
def test_damaged_hdf5_biom_is_refused_when_read_and_sniffed(tmp_path, where):
    raw = bytearray(BIOM_HDF5.read_bytes())
    for k in range(64):
        raw[int(len(raw) * where) + k] ^= 0x5A
    path = _write(tmp_path, "bad.biom", bytes(raw))
    for fmt in (None, "biom"):
        try:
            p = read_many([path], fmt)
        except InputError as exc:
            assert str(path) in str(exc) and "\n" not in str(exc)
        else:  # the damage hit bytes that do not matter: then every value must still be there
            assert np.isclose(p.values.sum(), gutskin.read(BIOM_HDF5).values.sum())


def test_a_damaged_global_heap_is_refused_before_hdf5_loops_on_it(tmp_path):
    """Fuzz seed 18031777: byte flips in a real BIOM file's global heap (where its ids live) sent the HDF5 C
    library into a loop that never returned; now the heap is walked first and the file refused."""
    import subprocess
    import sys

    from gutskin.readers.biom import check_global_heaps

    real = fixture("biom/q2-longitudinal__ecam-table-small__feature-table.biom")
    raw = bytearray(real.read_bytes())
    check_global_heaps(bytes(raw), real)  # the real file adds up
    start = raw.find(b"GCOL")
    # the size of the heap's 18th object, as the fuzz case damaged it (78 -> 1,358 bytes): the objects after
    # it no longer line up
    pos = start + 16
    for _ in range(17):
        pos += 16 + (int.from_bytes(raw[pos + 8:pos + 16], "little") + 7) // 8 * 8
    raw[pos + 9] ^= 0x05
    path = _write(tmp_path, "heap.biom", bytes(raw))
    with pytest.raises(InputError, match="global heap"):
        check_global_heaps(bytes(raw), path)
    # the whole command, in a child process so that a regression hangs only the child (the test then fails)
    done = subprocess.run([sys.executable, "-m", "gutskin", "convert", str(path), "-o", str(tmp_path / "o.tsv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and str(path) in done.stderr and "global heap" in done.stderr


def test_truncated_hdf5_biom_is_refused(tmp_path):
    raw = BIOM_HDF5.read_bytes()
    path = _write(tmp_path, "cut.biom", raw[: len(raw) // 2])
    refused(path, str(path))


def test_damaged_taxonomy_is_blamed_not_its_table(tmp_path):
    lines = TAXONOMY.read_text().split("\n")
    cut = _write(tmp_path, "taxonomy.tsv", "\n".join(lines[:-40]) + "\n")
    err = refused([QZA, cut], "lacks")
    assert err.path == str(cut)


# ------------------------------------------------------------------------------------- nothing lost
def test_tables_without_taxonomy_keep_their_rows(tmp_path):
    for src in (QZA, TAXPASTA_WIDE):
        profile = gutskin.read(src)
        out = tmp_path / f"{src.stem}.tsv"
        n = write_profile(profile, out)
        assert n == profile.values.nnz > 0
        back = gutskin.read(out)
        assert np.isclose(back.values.sum(), profile.values.sum())
        assert sorted(back.samples) == sorted(s for s, t in zip(profile.samples, profile.values.sum(axis=1).A1,
                                                                 strict=True) if t > 0)
    with pytest.raises(gutskin.RefusedError, match="give the taxonomy"):
        gutskin.read(QZA).at_rank("genus")


def test_kaiju_viral_reads_stay_in_the_long_table():
    profile = gutskin.read(KAIJU_2)
    table = profile.to_long()
    viral = table[table["name"] == "Viruses"]
    assert sorted(viral["count"].astype(float)) == [4961.0, 5429.0]
    assert set(viral["sample"]) == set(profile.samples)


def test_greengenes_strain_like_epithet_keeps_its_genus():
    lin = lineage_from_taxonomy("k__Bacteria; p__Firmicutes; c__Clostridia; o__Clostridiales; "
                                "f__Lachnospiraceae; g__Dorea; s__D168")
    assert lin.get("genus") == "Dorea" and lin.get("species") == "Dorea D168"
    taxa = {ln.split("\t")[1] for ln in TAXONOMY.read_text().split("\n")[1:] if "\t" in ln}
    upper = [t for t in taxa if "s__" in t and t.split("s__")[1][:1].isupper()]
    assert upper  # the real Greengenes fixture has such labels (s__SCA1145)
    for t in upper:
        lin = lineage_from_taxonomy(t)
        assert lin.get("species").startswith(lin.get("genus") + " ")


# ------------------------------------------------------------------------------------- streams and size
def test_reading_a_stream_with_a_name_equals_reading_the_path():
    for src in (KRAKEN, KRAKEN_GZ, BIOM_HDF5, QZA):
        by_path = gutskin.read(src)
        by_stream = gutskin.read(io.BytesIO(src.read_bytes()), name="upload-1")
        assert by_stream.values.shape == by_path.values.shape
        assert np.allclose(by_stream.values.toarray(), by_path.values.toarray())
        if by_path.n_samples == 1:
            assert by_stream.samples == ["upload-1"]


def test_a_parquet_long_table_reads_from_a_stream(tmp_path):
    out = tmp_path / "long.parquet"
    write_profile(gutskin.read(KRAKEN), out)
    by_stream = gutskin.read(io.BytesIO(out.read_bytes()), name="long.parquet")
    assert np.isclose(by_stream.values.sum(), gutskin.read(out).values.sum())


def test_a_damaged_stream_names_the_upload():
    with pytest.raises(InputError, match=r"^my-upload\.txt"):
        gutskin.read(io.BytesIO(b"\x1f\x8b\x08\x00garbage"), name="my-upload.txt")


def test_a_wide_taxpasta_table_with_10000_samples_is_read_whole(tmp_path):
    rng = np.random.default_rng(13)
    ids = [0, 2, 816, 976, 1239, 1301, 1578, 1613, 28116, 39948]
    counts = rng.poisson(4, size=(len(ids), 10_000))
    lines = ["taxonomy_id\t" + "\t".join(f"s{i}" for i in range(counts.shape[1]))]
    lines += [f"{t}\t" + "\t".join(map(str, row)) for t, row in zip(ids, counts, strict=True)]
    path = _write(tmp_path, "wide.tsv", "\n".join(lines) + "\n")
    profile = gutskin.read(path)
    assert profile.n_samples == 10_000
    classified = counts[1:].sum(axis=0)
    assert np.array_equal(np.asarray(profile.values.sum(axis=1)).ravel(), classified)
    assert [i.unclassified for i in profile.info[:3]] == [float(v) for v in counts[0, :3]]
    lines[5] = lines[5].replace("\t", "\tx", 1)  # one bad cell refuses the table, naming line and column
    err = refused(_write(tmp_path, "bad.tsv", "\n".join(lines) + "\n"), "'x")
    assert err.line == 6 and err.field == "s0"


def test_metaphlan_cut_at_a_line_boundary_is_refused(tmp_path):
    # MetaPhlAn 3 writes rank by rank, species last: losing its last lines loses species, not a partial row
    src = Path(__file__).resolve().parents[2] / "examples" / "SRR1761667_metaphlan.txt"
    lines = src.read_text().split("\n")
    err = refused(_write(tmp_path, "cut.txt", "\n".join(lines[:120]) + "\n"), "truncated")
    assert err.line == 120
    gutskin.read(src)  # the whole file reads


def test_bracken_table_cut_at_a_line_boundary_is_refused(tmp_path):
    lines = BRACKEN.read_text().split("\n")
    err = refused(_write(tmp_path, "cut.txt", "\n".join(lines[:150]) + "\n"), "truncated")
    assert err.field == "fraction_total_reads"
    gutskin.read(BRACKEN)  # the whole table reads (its fractions sum to 0.99992)


def test_motus_profile_missing_rows_is_refused_and_missing_its_last_row_is_warned(tmp_path):
    src = fixture("motus/motus__ERR878216_both.profile")
    lines = src.read_text().split("\n")
    nonzero = next(i for i, ln in enumerate(lines)
                   if ln and not ln.startswith(("#", "-1")) and float(ln.rsplit("\t", 1)[1]) > 0)
    edited = lines[:nonzero] + lines[nonzero + 1:]
    refused(_write(tmp_path, "edited.profile", "\n".join(edited)), "add up to")
    cut = [ln for ln in lines if not ln.startswith("-1")]
    profile = gutskin.read(_write(tmp_path, "cut.profile", "\n".join(cut)))
    assert any("may be truncated" in w for w in profile.info[0].extra["warnings"])
