"""Write → read round trips: the standard long table survives TSV, CSV, Parquet and BIOM unchanged.

Property tests build random Profiles (random samples, taxa, lineages, taxids, counts or proportions,
clade and feature layouts); the real-file tests convert fixtures of several formats and read them back.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import gutskin
from gutskin import Profile, SampleInfo
from gutskin.cli import app
from gutskin.profile import ProfileBuilder
from gutskin.readers import detect_format
from gutskin.taxonomy.lineage import Lineage
from gutskin.taxonomy.ranks import RANKS
from gutskin.writers import write_profile
from tests.conftest import data, fixture

TEXT_COLUMNS = ["sample", "rank", "name", "lineage"]

# names as people and tools write them: letters, digits, spaces, punctuation, quotes, commas, non-ASCII
_NAME = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters=" _-.,'\"()[]:/#+"),
    min_size=1, max_size=10,
).map(lambda s: " ".join(s.split())).filter(lambda s: s != "")
_POOL = ["Bacteria", "Firmicutes", "Bacillota_A", "NA", "1", "null", "[Eubacterium]", "Prevotella copri",
         "GGB3614 SGB4886", "t__SGB1", "x,y", 'say "hi"']
_TAXON_NAME = st.one_of(st.sampled_from(_POOL), _NAME)


@st.composite
def _lineages(draw, n: int) -> list[Lineage]:
    """``n`` distinct lineages that share ancestors often (names drawn per rank from small pools)."""
    pools = [draw(st.lists(_TAXON_NAME, min_size=1, max_size=3, unique=True)) for _ in RANKS]
    out: dict[str, Lineage] = {}
    for _ in range(n * 3):
        depth = draw(st.integers(0, len(RANKS) - 1))
        names = []
        for k in range(len(RANKS)):
            skip = k < depth and draw(st.integers(0, 9)) == 0  # an unnamed intermediate rank now and then
            names.append(None if k > depth or skip else draw(st.sampled_from(pools[k])))
        lineage = Lineage(tuple(names))
        out.setdefault(lineage.to_string(), lineage)
        if len(out) == n:
            break
    return list(out.values())


@st.composite
def profiles(draw) -> Profile:
    layout = draw(st.sampled_from(["clades", "features"]))
    units = draw(st.sampled_from(["counts", "fraction", "percent"]))
    samples = draw(st.lists(st.one_of(_NAME, st.sampled_from(["NA", "0", "1e5", "S 1"])), min_size=1, max_size=4,
                            unique=True))
    lineages = draw(_lineages(draw(st.integers(1, 9))))
    if units == "counts":
        value = st.integers(0, 10**9).map(float)
    else:
        value = st.one_of(st.just(0.0), st.floats(min_value=1e-9, max_value=100.0, allow_nan=False,
                                                  allow_infinity=False))
    builder = ProfileBuilder(layout)
    for s in samples:
        builder.add_sample(s, SampleInfo(source="<hypothesis>", format="test", units=units))
    for j, lineage in enumerate(lineages):
        taxid = draw(st.one_of(st.none(), st.integers(1, 3_000_000)))
        if layout == "clades":
            rank = lineage.deepest_rank
            t = builder.add_taxon(lineage, rank, lineage.get(rank), taxid)
        else:
            key = f"feature-{j}"
            t = builder.add_taxon(lineage, lineage.deepest_rank, key, taxid, key=key)
        for s in range(len(samples)):
            builder.add_value(s, t, draw(value))
    profile = builder.build()
    assume(profile.values.nnz > 0)
    return profile


def canonical(table: pd.DataFrame) -> pd.DataFrame:
    """The long table in a fixed row order and fixed dtypes, for comparison."""
    t = table.copy()
    for c in TEXT_COLUMNS:
        t[c] = t[c].astype(object).map(str)
    t["taxid"] = t["taxid"].astype("Int64")
    t["count"] = t["count"].astype("Float64")
    t["relative_abundance"] = t["relative_abundance"].astype(float)
    return t.sort_values(["sample", "rank", "lineage", "name"], kind="stable").reset_index(drop=True)


def assert_same_long(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a, b = canonical(a), canonical(b)
    assert len(a) == len(b)
    pd.testing.assert_frame_equal(a[TEXT_COLUMNS], b[TEXT_COLUMNS])
    pd.testing.assert_series_equal(a["taxid"], b["taxid"])
    pd.testing.assert_series_equal(a["count"], b["count"])  # counts exact
    np.testing.assert_allclose(b["relative_abundance"].to_numpy(), a["relative_abundance"].to_numpy(),
                               rtol=0, atol=1e-12)


def assert_sums_to_one(table: pd.DataFrame) -> None:
    sums = table.groupby(["sample", "rank"], sort=False)["relative_abundance"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------------------------ properties
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile=profiles(), target=st.sampled_from(["tsv", "csv", "parquet", "biom"]))
def test_random_profiles_survive_write_and_read(profile, target):
    long = profile.to_long()
    assume(len(long) > 0)
    assert_sums_to_one(long)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"profile.{target}"
        write_profile(profile, path)
        assert detect_format(path) == ("biom" if target == "biom" else "generic")
        back = gutskin.read(path)
    again = back.to_long()
    assert_same_long(long, again)
    assert_sums_to_one(again)
    if target == "biom":  # the matrix keeps every sample, empty ones too
        assert back.samples == profile.samples
    else:  # a long table names the samples that have rows, in order of first appearance
        assert back.samples == list(dict.fromkeys(long["sample"]))
    counts = profile.units == "counts"
    assert all((i.units == "counts") == counts for i in back.info)


@settings(max_examples=60, deadline=None)
@given(profile=profiles(), rank=st.sampled_from(RANKS))
def test_long_table_to_profile_and_back(profile, rank):
    long = profile.to_long()
    assume(len(long) > 0)
    assert_same_long(long, Profile.from_long(long).to_long())
    one = long[long["rank"] == rank]
    if len(one):
        assert_same_long(one, Profile.from_long(one).to_long(rank))


@settings(max_examples=40, deadline=None)
@given(profile=profiles())
def test_proportions_sum_to_one(profile):
    for rank in RANKS:
        try:
            view = profile.proportions(rank)
        except gutskin.RefusedError:
            continue
        sums = np.asarray(view.values.sum(axis=1)).ravel()
        np.testing.assert_allclose(sums[sums > 0], 1.0, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------------------------ real files
REAL = {
    "metaphlan": [fixture("metaphlan/taxpasta__ERR7569997.txt")],
    "metaphlan_v3": [fixture("metaphlan/gmwi2__SRR1761667_metaphlan.txt")],
    "biom_json": [fixture("biom/biom-format__rich_sparse_otu_table.biom")],
    "biom_hdf5": [fixture("biom/unifrac__crawford.biom")],
    "biom_metaphlan": [fixture("biom/galaxy-iuc__SRS014464-Anterior_nares.biom")],
    "biom_motus": [fixture("biom/motus__ERR878216_single_1.biom")],
    "qza_taxa": [fixture("qiime2_qza/q2-longitudinal__ecam-table-taxa.qza")],
    "qza_with_taxonomy": [fixture("qiime2_qza/q2-composition__table-ancombc.qza"),
                          fixture("qiime2_qza/q2-feature-table__moving-pics-taxonomy-gg-2.qza")],
    "ubiome": [fixture("consumer_ubiome/ubiome__sprague-ubiome-150815.csv")],
    "biom_tsv": [fixture("generic_tables/generated__biom-2.1.18__convert_to-tsv_taxonomy.tsv")],
    "cohort_counts": [data("psoriasis_gut_metaphlan_100/abundance_counts.tsv.gz")],
    "cohort_percent": [data("camda2024_gut_613/taxonomy.csv.gz")],
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_convert_then_read_real_files(name, tmp_path):
    files = REAL[name]
    original = gutskin.read_many(files)
    expected = original.to_long()
    assert len(expected) > 0
    assert_sums_to_one(expected)
    runner = CliRunner()
    out = tmp_path / "out.tsv"
    result = runner.invoke(app, ["convert", *map(str, files), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert_same_long(expected, gutskin.read(out).to_long())
    for target in ("csv", "parquet", "biom"):
        path = tmp_path / f"out.{target}"
        write_profile(original, path)
        assert_same_long(expected, gutskin.read(path).to_long())


def test_convert_one_rank_then_read(tmp_path):
    src = fixture("metaphlan/taxpasta__ERR7569997.txt")
    out = tmp_path / "genus.csv"
    result = CliRunner().invoke(app, ["convert", str(src), "-o", str(out), "--rank", "genus"])
    assert result.exit_code == 0, result.output
    back = gutskin.read(out)
    assert back.ranks == ["genus"]
    assert_same_long(gutskin.read(src).to_long("genus"), back.to_long())


def test_parquet_is_sniffed_by_magic(tmp_path):
    profile = gutskin.read(fixture("consumer_ubiome/ubiome__sample1.json"))
    path = tmp_path / "no_extension"
    write_profile(profile, path, to="parquet")
    assert path.read_bytes()[:4] == b"PAR1"
    assert detect_format(path) == "generic"
    assert_same_long(profile.to_long(), gutskin.read(path).to_long())


def test_taxpasta_parquet(tmp_path):
    frame = pd.read_csv(fixture("generic_tables/generated__taxpasta-0.7.0__merge_kraken2_wide.tsv"), sep="\t")
    path = tmp_path / "taxpasta.parquet"
    frame.to_parquet(path, index=False)
    a = gutskin.read(path)
    b = gutskin.read(fixture("generic_tables/generated__taxpasta-0.7.0__merge_kraken2_wide.tsv"))
    assert a.samples == b.samples and (a.values != b.values).nnz == 0


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100)
    with pytest.raises(gutskin.InputError, match="Parquet"):
        gutskin.read(path)
