"""A merged table of more samples than a partition holds is read in pieces: same samples, values and provenance
as reading it whole; bounded by a partition; resumable; a bad piece refused alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gutskin
from gutskin.cohort import store as store_mod
from gutskin.cohort.ingest import ingest
from gutskin.cohort.store import CohortStore
from gutskin.readers.split import merged_width, split_merged

from .conftest import crash_at_partition

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "metaphlan_merged"
MPA3 = FIXTURES / "generated__metaphlan-3.0.14-merge__kefir_v31_3samples.txt"
MPA4 = FIXTURES / "generated__metaphlan-4.1.1-merge__ERR7569997_ERR7569998.txt"


def _wide(source: Path, out: Path, copies: int, *, bad: tuple[int, str] | None = None) -> Path:
    """``source`` (a real merged MetaPhlAn table) with its sample columns repeated under new names: a wider table
    of real rows. ``bad``: (sample column, text) to put in that column's first data row."""
    lines = source.read_text(encoding="utf-8").splitlines()
    head_at = next(i for i, ln in enumerate(lines) if ln.split("\t")[0] in ("clade_name", "ID"))
    header = lines[head_at].split("\t")
    fixed = 2 if header[1] == "NCBI_tax_id" else 1
    names = header[fixed:]
    out_lines = lines[:head_at]
    out_lines.append("\t".join(header[:fixed] + [f"{n}_{k}" for k in range(copies) for n in names]))
    for r, ln in enumerate(lines[head_at + 1:]):
        cells = ln.split("\t")
        row = cells[:fixed] + cells[fixed:] * copies
        if bad is not None and r == 0:
            row[fixed + bad[0]] = bad[1]
        out_lines.append("\t".join(row))
    out.write_text("\n".join(out_lines) + "\n", encoding="utf-8")
    return out


def _by_sample(root: Path) -> dict[str, tuple[dict[str, float], object]]:
    st = CohortStore(root)
    out = {}
    for pid in st.partition_ids():
        part = st.read_partition(pid)
        for i, s in enumerate(part.samples):
            row = part.values[i]
            out[s] = (dict(zip(part.taxa.index[row.indices], row.data.tolist(), strict=True)), part.info[i])
    return out


@pytest.mark.parametrize("source", [MPA3, MPA4], ids=["metaphlan3", "metaphlan4"])
def test_pieces_read_like_the_whole_table(tmp_path: Path, source: Path) -> None:
    table = _wide(source, tmp_path / "merged.txt", copies=5)
    whole = gutskin.read(table)
    pieces = split_merged(table, 4, tmp_path / "pieces")
    assert pieces is not None and [p.n for p in pieces][:-1] == [4] * (len(pieces) - 1)
    assert sum(p.n for p in pieces) == whole.n_samples
    for piece in pieces:
        part = gutskin.read(piece.path)
        assert part.samples == whole.samples[piece.start:piece.start + piece.n]
        for j in range(part.n_samples):
            a, b = whole.values[piece.start + j], part.values[j]
            assert dict(zip(whole.taxa.index[a.indices], a.data.tolist(), strict=True)) == \
                dict(zip(part.taxa.index[b.indices], b.data.tolist(), strict=True))
            wi, pi = whole.info[piece.start + j], part.info[j]
            assert {k: v for k, v in vars(wi).items() if k != "source"} == \
                {k: v for k, v in vars(pi).items() if k != "source"}


def test_what_cannot_be_split_for_certain_is_read_whole(tmp_path: Path) -> None:
    table = _wide(MPA3, tmp_path / "merged.txt", copies=3)
    assert merged_width(table) == 9
    single = sorted((FIXTURES.parent / "metaphlan").iterdir())[0]
    assert merged_width(single) == 0  # a single-sample profile: told from its first lines, never split
    assert split_merged(table, 100, tmp_path / "a") is None  # fits in one piece
    repeated = tmp_path / "repeated.txt"
    text = table.read_text(encoding="utf-8")
    head = next(ln for ln in text.splitlines() if ln.startswith("clade_name"))
    cells = head.split("\t")
    repeated.write_text(text.replace(head, "\t".join([*cells[:3], cells[2], *cells[4:]])), encoding="utf-8")
    assert split_merged(repeated, 2, tmp_path / "b") is None  # the reader renames repeats over the whole header
    cut = tmp_path / "cut.txt"
    cut.write_text(text.rstrip("\n"), encoding="utf-8")
    assert split_merged(cut, 2, tmp_path / "c") is None  # a last line cut short: the reader refuses it
    ragged = tmp_path / "ragged.txt"
    lines = text.splitlines()
    lines[-1] += "\t1.0"
    ragged.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert split_merged(ragged, 2, tmp_path / "d") is None
    assert not any((tmp_path / d).exists() and any((tmp_path / d).iterdir()) for d in "bcd")


def test_a_large_merged_table_is_ingested_in_pieces_like_whole(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    table = _wide(MPA3, tmp_path / "merged.txt", copies=7)  # 21 samples
    whole_store = ingest([table], tmp_path / "whole", partition_size=50)
    sizes: list[int] = []
    real = store_mod.write_partition

    def record(folder, profile, pid):
        sizes.append(profile.n_samples)
        return real(folder, profile, pid)

    read_sizes: list[int] = []
    from gutskin.cohort import _engine

    real_read = _engine.read_input

    def read_input(path, fmt, taxonomy, **kw):
        p = real_read(path, fmt, taxonomy, **kw)
        read_sizes.append(p.n_samples)
        return p

    monkeypatch.setattr(store_mod, "write_partition", record)
    monkeypatch.setattr(_engine, "read_input", read_input)
    pieces_store = ingest([table], tmp_path / "pieces", partition_size=4)
    monkeypatch.undo()
    assert read_sizes == [4, 4, 4, 4, 4, 1]  # never the whole table at once
    assert sizes == [4, 4, 4, 4, 4, 1]
    assert whole_store.n_samples == pieces_store.n_samples == 21 and not pieces_store.bad
    whole, pieces = _by_sample(tmp_path / "whole"), _by_sample(tmp_path / "pieces")
    assert list(whole) == list(pieces)
    for s in whole:
        assert whole[s][0] == pieces[s][0]
        assert whole[s][1] == pieces[s][1]  # provenance, the source file included: the table, not a piece
        assert pieces[s][1].source == str(table)
    assert not list((tmp_path / "pieces" / "parts").glob(".tmp-*"))
    samples = pd.read_parquet(tmp_path / "pieces" / "samples.parquet")
    assert set(samples["source"]) == {str(table)}


def test_a_split_table_resumes_after_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = _wide(MPA4, tmp_path / "merged.txt", copies=6)  # 12 samples
    out = tmp_path / "crashed"
    crash_at_partition(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        ingest([table], out, partition_size=5)
    monkeypatch.undo()
    assert len(CohortStore(out).partition_ids()) == 1
    result = ingest([table], out, partition_size=5)
    assert result.skipped_samples == 5 and result.n_samples == 12
    got = [s for s in _by_sample(out)]
    assert len(got) == len(set(got)) == 12
    assert got == gutskin.read(table).samples
    assert not list((out / "parts").glob(".tmp-*"))


def test_a_bad_piece_is_refused_alone_and_named(tmp_path: Path) -> None:
    table = _wide(MPA3, tmp_path / "merged.txt", copies=4, bad=(7, "lots"))  # 12 samples, column 8 damaged
    with pytest.raises(gutskin.InputError):
        gutskin.read(table)  # read whole, the table is refused
    result = ingest([table], tmp_path / "out", partition_size=5)
    assert result.n_samples == 7  # pieces 1–5 and 11–12 ingested, 6–10 (with the bad cell) refused
    assert len(result.bad) == 1
    path, reason = result.bad[0]
    assert path == str(table)
    assert str(table) in reason and ".tmp-split" not in reason and "piece-" not in reason
    assert "samples 6–10 of the table's 12 were not ingested" in reason
    assert np.all([s.endswith(("_0", "_1")) or s.endswith("_3") for s in _by_sample(tmp_path / "out")])


def test_a_piece_of_empty_samples_is_not_an_empty_table(tmp_path: Path) -> None:
    """Read whole, a table with some empty samples is accepted; a piece holding only those is, too."""
    table = _wide(MPA3, tmp_path / "merged.txt", copies=4)  # 12 samples
    lines = table.read_text(encoding="utf-8").splitlines()
    head_at = next(i for i, ln in enumerate(lines) if ln.startswith("clade_name"))
    for r in range(head_at + 1, len(lines)):
        cells = lines[r].split("\t")
        cells[2 + 5:2 + 10] = ["0.0"] * 5  # samples 6–10: nothing
        lines[r] = "\t".join(cells)
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert gutskin.read(table).n_samples == 12
    result = ingest([table], tmp_path / "out", partition_size=5)
    assert result.n_samples == 12 and not result.bad


def test_pieces_that_cannot_be_written_leave_the_table_to_be_read_whole(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    table = _wide(MPA3, tmp_path / "merged.txt", copies=3)
    from gutskin.readers import split

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(split, "_write", full_disk)
    assert split_merged(table, 2, tmp_path / "pieces") is None
    assert not list((tmp_path / "pieces").iterdir())
    result = ingest([table], tmp_path / "out", partition_size=2)  # read whole instead
    assert result.n_samples == 9 and not result.bad
