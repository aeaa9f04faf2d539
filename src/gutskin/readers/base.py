"""Shared pieces for readers: value checks, line splitting, and the sample-info helper."""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import InputError

NA_STRINGS = {"", "na", "nan", "n/a", "none", "null", "-"}


def parse_value(text: str, path: str | Path, line: int | None, field: str) -> float:
    """One abundance value: a finite number ≥ 0, or an :class:`InputError` saying what was found."""
    raw = text.strip()
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"expected a number, found {raw!r}", path, line, field) from None
    if math.isnan(value) or math.isinf(value):
        raise InputError(f"expected a finite number, found {raw!r}", path, line, field)
    if value < 0:
        raise InputError(f"expected an abundance ≥ 0, found {raw!r}", path, line, field)
    return value


def parse_taxid(text: str | None) -> int | None:
    """An NCBI taxid, or ``None`` for blanks, ``NA`` and MetaPhlAn's ``-1``."""
    if text is None:
        return None
    raw = str(text).strip()
    if raw.lower() in NA_STRINGS or raw == "-1":
        return None
    try:
        value = int(float(raw))
    except ValueError:
        return None
    return value if value > 0 else None


def last_taxid(lineage_ids: str) -> int | None:
    """The last field of a ``|``-joined taxid lineage (``2|1239||`` → ``None``: no NCBI id at that rank)."""
    return parse_taxid(lineage_ids.split("|")[-1]) if lineage_ids is not None else None


def sample_name_from_path(path: str | Path) -> str:
    """The file stem, without compression and common profiler suffixes."""
    name = Path(path).name
    for ext in (".gz", ".bz2"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    name = re.sub(r"\.(txt|tsv|csv|tabular|profile|report|out|kreport|biom|json|qza|sylphmpa|mpa)$", "", name)
    return name


def tab_lines(text: str, path: str | Path | None = None) -> list[tuple[int, str]]:
    """(1-based line number, line) for every line, trailing newline characters removed.

    With ``path``, the text is a tool's output (every tool ends its last line with a line break), so a last
    line cut short is refused: see :func:`check_not_cut`.
    """
    lines = [(i + 1, ln.rstrip("\r\n")) for i, ln in enumerate(text.split("\n"))]
    if path is not None:
        check_not_cut(text, lines, path)
    return lines


def check_not_cut(text: str, lines: list[tuple[int, str]], path: str | Path) -> None:
    """Refuse a tool output whose last line stops mid-row (a download or copy cut short).

    Profilers end every line with a line break. A file that ends without one *and* whose last line ends in
    a digit, or has fewer columns than the line before it, was cut inside a row; reading it would keep the
    cut number (1,027,080 read as 10,270) or lose the row's sample.
    """
    if not text or text.endswith(("\n", "\r")):
        return
    body = [(n, ln) for n, ln in lines if ln.strip()]
    if not body:
        return
    n, last = body[-1]
    prev = body[-2][1] if len(body) > 1 else None
    fewer = prev is not None and not prev.startswith("#") and last.count("\t") < prev.count("\t")
    if last.rstrip()[-1:].isdigit() or last.rstrip().endswith(".") or fewer:
        raise InputError("the file ends in the middle of a row, without a final line break; it looks truncated "
                         "(cut short while copying or downloading; if the row is complete, end it with a line "
                         "break)", path, n)


def require_rows(n_rows: int, path: str | Path, what: str) -> None:
    if n_rows == 0:
        raise InputError(f"no {what} rows found; the file is empty or truncated", path)


def unique_names(raw: list[str], fallback: str | None = None,
                 placeholders: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """Sample column names made unique within one table (``x``, ``x.2``, …), with a warning per rename.

    Names in ``placeholders`` (a tool's default such as "unnamed sample") are replaced by ``fallback``
    before de-duplication. Merge tools write repeated names when file stems collide; a repeat is kept as a
    distinct sample rather than refused, because the file itself is valid.
    """
    seen: dict[str, int] = {}
    out: list[str] = []
    warnings: list[str] = []
    for name in raw:
        base = name.strip()
        if fallback is not None and base in placeholders:
            base = fallback
        if base in seen:
            seen[base] += 1
            new = f"{base}.{seen[base]}"
            warnings.append(f"sample column {name.strip()!r} appears more than once; the repeat is named {new!r}")
            out.append(new)
        else:
            seen[base] = 1
            out.append(base)
    return out, warnings


def split_row(line: str, header: list[str], path: str | Path, line_no: int) -> list[str]:
    """A tab-separated data row that must have as many columns as ``header``."""
    tokens = line.split("\t")
    if len(tokens) != len(header):
        raise InputError(f"expected {len(header)} tab-separated columns like the header "
                         f"({', '.join(header)}), found {len(tokens)}", path, line_no)
    return tokens
