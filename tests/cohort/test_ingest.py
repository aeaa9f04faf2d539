"""Ingest: every sample once, provenance kept, bad files listed, resumable after a crash."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import gutskin
from gutskin.cohort import store as store_mod
from gutskin.cohort.ingest import ingest
from gutskin.cohort.store import CohortStore
from gutskin.errors import InputError

from .conftest import KEFIR, PSORIASIS_100, crash_at_partition, inputs


def _all_samples(root: Path) -> list[str]:
    st = CohortStore(root)
    return [s for pid in st.partition_ids() for s in st.read_partition(pid).samples]


def test_every_sample_once_with_its_values_and_provenance(cohort_dir: Path) -> None:
    st = CohortStore(cohort_dir)
    manifest = st.manifest()
    assert manifest.complete
    expected = {}
    for path in inputs():
        prof = gutskin.read(path)
        for s in prof.samples:
            expected[s] = (prof, path)
    got = _all_samples(cohort_dir)
    assert sorted(got) == sorted(expected)
    assert manifest.n_samples == len(expected)
    assert max(p.n_samples for p in manifest.partitions) <= 40
    # the values of every sample come back exactly, keyed by taxon
    for pid in st.partition_ids():
        part = st.read_partition(pid)
        for i, s in enumerate(part.samples[:5]):
            prof, path = expected[s]
            j = prof.samples.index(s)
            orig = pd.Series(prof.values[j].toarray().ravel(), index=prof.taxa.index)
            back = pd.Series(part.values[i].toarray().ravel(), index=part.taxa.index)
            orig, back = orig[orig != 0], back[back != 0]
            pd.testing.assert_series_equal(orig.sort_index(), back.sort_index(), rtol=0, atol=0,
                                           check_names=False)
            assert part.info[i].source == prof.info[j].source
            assert part.info[i].unclassified == prof.info[j].unclassified
            assert part.info[i].database == prof.info[j].database
    samples = pd.read_parquet(cohort_dir / "samples.parquet")
    assert list(samples["sample"]) == got
    for col in ("format", "profiler", "database", "method", "source", "units", "partition"):
        assert col in samples.columns


def test_long_format_columns(cohort_dir: Path) -> None:
    pid = CohortStore(cohort_dir).partition_ids()[0]
    table = pq.read_table(cohort_dir / "parts" / pid / "values.parquet")
    assert {"sample", "key", "taxid", "rank", "value"} <= set(table.column_names)
    frame = table.to_pandas()
    assert (frame["value"] > 0).all()
    assert not frame.duplicated(["sample", "key"]).any()


def test_merged_tables_keep_to_their_own_partitions(cohort_dir: Path) -> None:
    st = CohortStore(cohort_dir)
    for pid in st.partition_ids():
        sources = json.loads((cohort_dir / "parts" / pid / "sources.json").read_text())
        multi = {s["path"] for s in sources if s["n_file"] > 1}
        assert len(multi) <= 1
        if multi:
            assert len({s["path"] for s in sources}) == 1


def test_bad_files_listed_others_ingested(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "binary.tsv"
    binary.write_bytes(b"\x00\x01\x02garbage" * 50)
    truncated = tmp_path / "truncated.txt.gz"
    truncated.write_bytes(gzip.compress(KEFIR[0].read_bytes())[:200])
    missing = tmp_path / "missing.txt"
    out = tmp_path / "c"
    result = ingest([KEFIR[0], empty, binary, KEFIR[1], truncated, missing], out, partition_size=10)
    assert result.n_samples == 2
    report = pd.read_csv(out / "bad_files.tsv", sep="\t")
    assert sorted(report["file"]) == sorted(str(p) for p in (empty, binary, truncated, missing))
    for reason in report["reason"]:
        assert "\n" not in reason and len(reason) > 10
    assert "empty" in report.set_index("file").loc[str(empty), "reason"]
    assert CohortStore(out).manifest().bad_files == 4


def test_duplicate_sample_names_across_files_are_refused_per_file(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    copy = tmp_path / "elsewhere" / KEFIR[0].name  # same file name, so the same sample name
    shutil.copy(KEFIR[0], copy)
    out = tmp_path / "c"
    result = ingest([KEFIR[0], copy], out, partition_size=10)
    assert result.n_samples == 1
    assert len(result.bad) == 1 and "already ingested" in result.bad[0][1]


def test_resume_after_a_crash_without_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [*KEFIR[:6], PSORIASIS_100]
    reference = tmp_path / "once"
    ingest(files, reference, partition_size=20)
    out = tmp_path / "crashed"
    # the third partition's files are written, the partition is not yet renamed into place
    crash_at_partition(monkeypatch, 3, written=True)
    with pytest.raises(KeyboardInterrupt):
        ingest(files, out, partition_size=20)
    monkeypatch.undo()
    st = CohortStore(out)
    assert len(st.partition_ids()) == 2 and not st.manifest().complete
    # what a hard kill leaves behind: a temporary folder, and a partition renamed before the manifest was updated
    shutil.copytree(out / "parts" / "p000001", out / "parts" / ".tmp-p000003-deadbeef")
    shutil.copytree(out / "parts" / "p000002", out / "parts" / "p000003")
    before = _all_samples(out)
    result = ingest(files, out, partition_size=20)
    assert result.skipped_samples == len(before)
    assert not list((out / "parts").glob(".tmp-*"))
    got = _all_samples(out)
    assert len(got) == len(set(got))
    assert sorted(got) == sorted(_all_samples(reference))
    listed = set(st.partition_ids())
    assert {d.name for d in (out / "parts").iterdir()} == listed
    # a third run finds nothing to do
    again = ingest(files, out, partition_size=20)
    assert again.new_partitions == 0 and again.n_samples == len(got)


def test_resume_refuses_another_partition_size(tmp_path: Path) -> None:
    ingest(KEFIR[:2], tmp_path / "c", partition_size=5)
    with pytest.raises(InputError, match="partition"):
        ingest(KEFIR[:2], tmp_path / "c", partition_size=7)


def test_a_file_changed_after_ingest_is_not_mixed_in(tmp_path: Path) -> None:
    src = tmp_path / "one.txt"
    shutil.copy(KEFIR[0], src)
    out = tmp_path / "c"
    ingest([src], out, partition_size=5)
    before = CohortStore(out).read_partition("p000001")
    src.write_text(src.read_text() + "\n")  # a different file now (size and mtime), same sample name
    result = ingest([src], out, partition_size=5)
    assert result.new_partitions == 0 and result.n_samples == 1
    assert len(result.bad) == 1 and "already ingested" in result.bad[0][1]
    after = CohortStore(out).read_partition("p000001")
    assert (after.values != before.values).nnz == 0


@pytest.mark.slow
def test_parallel_reading_writes_the_same_store(tmp_path: Path, cohort_dir: Path) -> None:
    out = tmp_path / "parallel"
    ingest(inputs(), out, partition_size=40, workers=2)
    a, b = CohortStore(cohort_dir), CohortStore(out)
    assert a.partition_ids() == b.partition_ids()
    for pid in a.partition_ids():
        pa_, pb_ = a.read_partition(pid), b.read_partition(pid)
        assert pa_.samples == pb_.samples and list(pa_.taxa.index) == list(pb_.taxa.index)
        assert (pa_.values != pb_.values).nnz == 0


def _copy_partition(cohort_dir: Path, tmp_path: Path) -> Path:
    pid = CohortStore(cohort_dir).partition_ids()[0]
    folder = tmp_path / pid
    shutil.copytree(cohort_dir / "parts" / pid, folder)
    return folder


def test_a_partition_without_value_counts_reads_the_same(cohort_dir: Path, tmp_path: Path) -> None:
    """Partitions written before samples.parquet held n_values are read from the row column instead."""
    folder = _copy_partition(cohort_dir, tmp_path)
    new = store_mod.read_partition(folder)
    samples = pq.read_table(folder / "samples.parquet")
    assert "n_values" in samples.column_names
    pq.write_table(samples.drop(["n_values"]), folder / "samples.parquet")
    old = store_mod.read_partition(folder)
    assert old.samples == new.samples and old.info == new.info
    assert (old.values != new.values).nnz == 0 and old.values.shape == new.values.shape
    assert old.values.has_canonical_format


def test_a_partition_whose_counts_disagree_is_refused_in_one_line(cohort_dir: Path, tmp_path: Path) -> None:
    folder = _copy_partition(cohort_dir, tmp_path)
    samples = pq.read_table(folder / "samples.parquet")
    counts = samples.column("n_values").to_pylist()
    counts[0] += 1
    i = samples.column_names.index("n_values")
    pq.write_table(samples.set_column(i, "n_values", pa.array(counts, pa.int64())), folder / "samples.parquet")
    with pytest.raises(InputError, match="damaged"):
        store_mod.read_partition(folder)
