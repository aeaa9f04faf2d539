"""The score table written while partitions finish equals the one assembled from all parts at the end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gutskin.cohort.scoring import _arrow_table, _Assembler, _write_all, write_part


def _part(pid: str, n: int, *, drop: tuple[str, ...] = (), extra: bool = False, empty_note: bool = False
          ) -> pd.DataFrame:
    rng = np.random.default_rng(abs(hash(pid)) % 2**32)
    frame = pd.DataFrame({
        "partition": pid,
        "shannon": rng.uniform(0, 5, n),
        "observed": rng.integers(1, 400, n),
        "warnings": ["chao1: left empty: not counts"] * n,
        "reference_note": [None] * n if empty_note else ["a caveat"] * n,
    }, index=pd.Index([f"{pid}-s{i}" for i in range(n)], name="sample"))
    if extra:
        frame["gmhi_percentile"] = rng.uniform(0, 1, n)
    return frame.drop(columns=list(drop))


CASES = {
    "same columns": [{}, {}, {}],
    "a later part lacks a column": [{}, {"drop": ("reference_note",)}, {}],
    "a later part brings a column": [{}, {"extra": True}, {}],
    "the first part has an all-empty column": [{"empty_note": True}, {}, {}],
}


@pytest.mark.parametrize("kind", ["parquet", "tsv"])
@pytest.mark.parametrize("case", list(CASES))
def test_streamed_table_equals_the_assembled_one(tmp_path: Path, case: str, kind: str) -> None:
    work = tmp_path / "parts"
    work.mkdir()
    pids = [f"p{i:06d}" for i in range(1, 4)]
    for pid, options in zip(pids, CASES[case], strict=True):
        write_part(work, pid, _part(pid, 7, **options))
    streamed, whole = tmp_path / f"streamed.{kind}", tmp_path / f"whole.{kind}"
    table = _Assembler(work, pids, str(streamed), kind)
    for pid in reversed(pids):  # out of order: written only once the ones before are there
        table.add(pid)
    # streamed as they came unless a later part changed the columns, or the first one left a type open
    assert table.streaming == (case in ("same columns", "a later part lacks a column"))
    n = table.finish()
    table.close()
    assert n == _write_all(work, pids, str(whole), kind) == 21
    if kind == "parquet":
        assert pq.read_table(streamed).equals(pq.read_table(whole))
        back = pd.read_parquet(streamed)
        assert list(back["sample"]) == [f"{p}-s{i}" for p in pids for i in range(7)]
        assert back["warnings"].iloc[0] == "chao1: left empty: not counts"
    else:
        assert streamed.read_bytes() == whole.read_bytes()


def test_text_columns_read_back_as_plain_text(tmp_path: Path) -> None:
    """Repeated texts go to the writer as dictionaries (cheaper); readers still see plain text, not categories."""
    work = tmp_path / "parts"
    work.mkdir()
    pids = ["p000001", "p000002"]
    for pid in pids:
        write_part(work, pid, _part(pid, 5))
    out = tmp_path / "scores.parquet"
    _write_all(work, pids, str(out), "parquet")
    schema = pq.read_schema(out)
    assert all(not pa.types.is_dictionary(f.type) for f in schema)
    back = pd.read_parquet(out)
    assert not any(isinstance(back[c].dtype, pd.CategoricalDtype) for c in back.columns)
    assert list(back["partition"]) == ["p000001"] * 5 + ["p000002"] * 5
    assert back["reference_note"].tolist() == ["a caveat"] * 10


@pytest.mark.parametrize("index_name", ["sample", None])
def test_part_tables_match_pandas_conversion(index_name: str | None) -> None:
    """A part is what ``pa.Table.from_pandas(frame.reset_index())`` gives: NaN as null, the index first."""
    frame = _part("p000001", 6, empty_note=True)
    frame["chao1"] = np.nan
    frame.loc[frame.index[2], "shannon"] = np.nan
    frame.index.name = index_name
    expected = pa.Table.from_pandas(frame.reset_index(), preserve_index=False).replace_schema_metadata(None)
    got = _arrow_table(frame)
    assert got.equals(expected)
    assert got.column("chao1").null_count == 6
    assert got.column("shannon").null_count == 1
