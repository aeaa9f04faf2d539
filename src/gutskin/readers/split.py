"""A merged table of many samples as tables of fewer samples, so each can be read with bounded memory.

A reader parses a whole file into one Profile, and a table's memory grows with its sample columns: a merged
MetaPhlAn table of 100,000 samples needs many gigabytes. :func:`split_merged` streams such a table once, line
by line, and writes its sample columns in groups of at most ``max_samples`` into files of the same format
(every comment line, the header's leading columns and each row's clade and taxid kept, line numbers
unchanged), which the ordinary reader then reads one at a time. Each piece is read exactly as the whole table
would be, column for column.

Only what is certainly the same table in pieces is split: a merged MetaPhlAn table (``clade_name`` [+
``NCBI_tax_id``] or ``ID`` header) whose sample names are distinct, whose rows all have the header's width,
whose text is UTF-8 and whose last line is complete. Anything else is left to the reader of the whole file,
which then says exactly what is wrong (or reads it, e.g. renaming repeated sample names as it always does).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import InputError
from ..io import DECOMPRESS_ERRORS, open_binary

#: first header cell of a merged MetaPhlAn table (3.x/4.x ``clade_name``, 2.x ``ID``)
MERGED_FIRST = ("clade_name", "ID")
#: pieces written in one pass over the input (each an open file); more pieces take more passes
OPEN_AT_ONCE = 128
#: bytes read to tell whether a file starts like a merged table
PEEK = 1 << 16


@dataclass(frozen=True)
class Piece:
    """One file of the split table: samples ``start`` … ``start + n - 1`` of the whole table, in its order."""

    path: Path
    start: int
    n: int


class _NotSplittable(Exception):
    """The table is left whole (its reader reads it, and refuses it if it must)."""


def split_merged(path: str | Path, max_samples: int, folder: str | Path) -> list[Piece] | None:
    """``path`` as pieces of at most ``max_samples`` sample columns written into ``folder``, or None.

    None when the file is not a merged MetaPhlAn table with more than ``max_samples`` samples, or is one that
    is not certainly the same table when split (see the module notes); nothing is left in ``folder`` then.
    """
    if max_samples < 1:
        raise ValueError("max_samples must be at least 1")
    path, folder = Path(path), Path(folder)
    try:
        fixed, names = _header(path)
    except _NotSplittable:
        return None
    if len(names) <= max_samples:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    groups = [(s, min(s + max_samples, len(names))) for s in range(0, len(names), max_samples)]
    pieces = [Piece(folder / f"piece-{i:05d}.tsv", a, b - a) for i, (a, b) in enumerate(groups)]
    try:
        for first in range(0, len(pieces), OPEN_AT_ONCE):
            _write(path, fixed, len(names), pieces[first:first + OPEN_AT_ONCE])
    except (_NotSplittable, OSError):  # OSError: writing the pieces failed (a full disk); read whole, as before
        for p in pieces:
            p.path.unlink(missing_ok=True)
        return None
    return pieces


def merged_width(path: str | Path) -> int:
    """The number of sample columns of a merged MetaPhlAn table that could be split, else 0: a look at the first
    lines only (ingest asks it of every input, most of them single-sample files)."""
    try:
        return len(_header(Path(path))[1])
    except _NotSplittable:
        return 0


def _lines(path: Path) -> Iterator[str]:
    """The file's lines as text (decompressed), each without its line break; a last line without one, or a line
    that is not UTF-8, ends the split."""
    try:
        with open_binary(path) as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    raise _NotSplittable  # cut short: the whole-file reader refuses it with its own words
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise _NotSplittable from None  # Latin-1 files are decoded whole by the reader
                yield line.rstrip("\r\n")
    except (InputError, *DECOMPRESS_ERRORS, OSError):
        raise _NotSplittable from None


def _looks_merged(path: Path) -> bool:
    """Whether the file's first line that is not a comment starts like a merged MetaPhlAn header, from its
    first bytes only (a one-line JSON BIOM or a binary file must not be read whole to find a line break)."""
    try:
        with open_binary(path) as fh:
            head = fh.read(PEEK)
    except (InputError, *DECOMPRESS_ERRORS):
        return False
    for raw in head.lstrip(b"\xef\xbb\xbf").split(b"\n"):
        if not raw.strip() or raw.startswith(b"#"):
            continue
        return raw.startswith(tuple(f"{first}\t".encode() for first in MERGED_FIRST))
    return False


def _header(path: Path) -> tuple[int, list[str]]:
    """(number of leading non-sample columns, sample names) of a merged MetaPhlAn table."""
    if not _looks_merged(path):
        raise _NotSplittable
    for i, line in enumerate(_lines(path)):
        if i == 0:
            line = line.lstrip("\ufeff")
        if not line.strip() or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if cells[0] not in MERGED_FIRST:
            raise _NotSplittable
        fixed = 2 if len(cells) > 1 and cells[1] == "NCBI_tax_id" else 1
        names = cells[fixed:]
        if not names or len(set(names)) != len(names) or any(not n for n in names):
            raise _NotSplittable  # repeated or empty names: the reader's renaming is over the whole header
        return fixed, names
    raise _NotSplittable


def _write(path: Path, fixed: int, n_samples: int, pieces: list[Piece]) -> None:
    """One pass over ``path``, writing ``pieces`` (every line to each: comments whole, rows cut by column)."""
    width = fixed + n_samples
    with ExitStack() as stack:
        out: list[IO[str]] = [stack.enter_context(open(p.path, "w", encoding="utf-8", newline="\n",
                                                       buffering=1 << 20)) for p in pieces]
        for i, line in enumerate(_lines(path)):
            if i == 0:
                line = line.lstrip("\ufeff")
            if not line.strip() or line.startswith("#"):  # comments and blank lines: the reader skips them anywhere
                for fh in out:
                    fh.write(line + "\n")
                continue
            cells = line.split("\t")
            if len(cells) != width:
                raise _NotSplittable  # the reader names the line and what it expected
            lead = cells[:fixed]
            for fh, p in zip(out, pieces, strict=True):
                fh.write("\t".join(lead + cells[fixed + p.start:fixed + p.start + p.n]) + "\n")
