"""The trial diary: a CSV a person keeps in a spreadsheet, validated line by line.

Format
------
One row per day, a header row first. Lines starting with ``#`` and blank lines are ignored (the template uses
them for instructions). Commas, semicolons or tabs separate the columns (whichever the header uses); with
semicolons or tabs a decimal comma (``3,5``) is accepted.

=================  ========================================================================================
column             meaning
=================  ========================================================================================
``date``           required; ``YYYY-MM-DD``; each date once; inside the plan's phases
``skin_score``     default outcome: overall skin today, 0 (clear) … 10 (worst ever); steps of 0.5 are fine
``itch``           worst itch in the last 24 h, 0 … 10 (itch NRS)
``lesions``        optional count of spots/lesions
``adhered``        optional; 1 = followed the plan today, 0 = did not (e.g. ate the food while avoiding it)
``stress``         optional; 0 … 10 — used: a sensitivity check without days rated 7+, and a warning when stress
                   differs between eating and avoiding days
``new_skincare``   optional; 1 on a day a new skin product or treatment was started — used: a warning, and a
                   sensitivity check without the days from the first new product onward
``sleep_hours``    no longer asked (the analysis does not use it); still accepted, 0 … 24
``cycle_day``      no longer asked (the analysis does not use it); still accepted, 1 … 60
``notes``          optional free text
``phase``          pre-filled by the template for orientation; ignored on load
=================  ========================================================================================

Empty cells are missing values (a missing day costs a little precision, nothing more). Other columns are kept:
numeric ones can be analysed as the outcome (the plan's ``outcome`` and ``outcome_range`` say which and the
allowed range), text ones are carried along.

Every problem raises :class:`gutskin.errors.InputError` with the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import limits, read_text, write_atomic
from .defaults import COVARIATE_COLUMNS, KNOWN_COLUMNS, OUTCOME_COLUMNS, TEXT_COLUMNS
from .plan import Plan, load_plan

BINARY_COLUMNS = ("adhered", "new_skincare")
_YES = {"1", "yes", "y", "true"}
_NO = {"0", "no", "n", "false"}


@dataclass
class Diary:
    """A validated diary: ``frame`` has a ``date`` column (``datetime.date``), sorted, one row per date."""

    frame: pd.DataFrame
    path: str | None = None
    line_of: dict[date, int] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if c != "date"]

    @property
    def dates(self) -> list[date]:
        return list(self.frame["date"])

    def series(self, column: str) -> pd.Series:
        """Values of ``column`` indexed by date (NaN where missing)."""
        return pd.Series(self.frame[column].to_numpy(), index=list(self.frame["date"]), name=column)

    def __len__(self) -> int:
        return len(self.frame)


def _normalise_header(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _parse_date(text: str, path: str | None, line: int) -> date:
    raw = text.strip()
    # spreadsheets may append a time ("2026-01-05 00:00:00"); only the date part counts
    candidate = raw[:10] if len(raw) > 10 and raw[10] in " T" else raw
    try:
        if len(candidate) != 10:
            raise ValueError(raw)
        return date.fromisoformat(candidate.replace("/", "-"))
    except ValueError:
        raise InputError(f"date {raw!r} is not YYYY-MM-DD (if a spreadsheet changed it, format the date column "
                         "as text or ISO dates)", path, line=line, field="date") from None


def _parse_number(text: str, column: str, path: str | None, line: int, decimal_comma: bool) -> float:
    raw = text.strip()
    if column in BINARY_COLUMNS:
        low = raw.lower()
        if low in _YES:
            return 1.0
        if low in _NO:
            return 0.0
        try:
            flag = float(low)
        except ValueError:
            flag = math.nan
        if flag in (0.0, 1.0):
            return flag
        raise InputError(f"{raw!r} is not 0 or 1 (1 = yes, 0 = no)", path, line=line, field=column)
    candidate = raw.replace(",", ".") if decimal_comma else raw
    try:
        value = float(candidate)
    except ValueError:
        raise InputError(f"{raw!r} is not a number", path, line=line, field=column) from None
    if not math.isfinite(value):
        raise InputError(f"{raw!r} is not a finite number", path, line=line, field=column)
    return value


def _rows_from_text(text: str, path: str | None) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """Header and (line number, cells) rows; comment lines are blanked so line numbers stay physical."""
    lines = text.splitlines()
    kept = ["" if ln.lstrip().startswith("#") else ln for ln in lines]
    header_line = next((i for i, ln in enumerate(kept) if ln.strip()), None)
    if header_line is None:
        raise InputError("the diary is empty; expected a header row starting with 'date'", path)
    head = kept[header_line]
    delimiter = max((",", ";", "\t"), key=head.count)
    reader = csv.reader(io.StringIO("\n".join(kept)), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    last_line = 0
    for start_line, cells in _records(reader, kept, path):
        last_line = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        if header is None:
            header = cells
            continue
        # a record spanning lines (quoted newlines) is reported at its first non-blank line
        while start_line < last_line and not kept[start_line - 1].strip():
            start_line += 1
        rows.append((start_line, cells))
    assert header is not None
    return header, rows, delimiter


_DATED_ROW = re.compile(r"(?:^|\n)\s*\d{4}[-/]\d{2}[-/]\d{2}\s*[,;\t]")


def _records(reader: Any, kept: list[str], path: str | None):
    """(first line, cells) per CSV record, with damage reported at the line where it starts.

    A quote left open swallows every following line into one cell; csv's strict mode only notices at the end
    of the file, and a note may legitimately hold a quoted line break, so a cell that swallowed a dated row is
    reported as the unclosed quote it is. Field size and total text are bounded (a diary cell is a few words).
    """
    cap = limits().max_text_chars
    last_line = 0
    while True:
        start_line = last_line + 1
        while start_line <= len(kept) and not kept[start_line - 1].strip():
            start_line += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "end of data" in str(exc) or "EOF" in str(exc):
                raise InputError("a quote (\") opened on this line is never closed, so the rest of the diary "
                                 "would be read as one cell", path, line=start_line) from None
            raise InputError(f"cannot read this row ({exc})", path, line=start_line) from None
        last_line = reader.line_num
        for cell in cells:
            if len(cell) > cap:
                raise InputError(f"a cell of {len(cell):,} characters; diary cells are at most {cap:,}", path,
                                 line=start_line)
            if "\n" in cell and _DATED_ROW.search(cell):
                raise InputError("a quote (\") opened on this line is not closed before the next day's row",
                                 path, line=start_line)
        yield start_line, cells


def _validate(header: list[str], rows: list[tuple[int, list[str]]], path: str | None, plan: Plan | None,
              decimal_comma: bool, header_line: int = 1, outcome: str | None = None) -> Diary:
    names = [_normalise_header(h) for h in header]
    if "date" not in names:
        raise InputError(f"no 'date' column in the header (found: {', '.join(n or '(empty)' for n in names)})",
                         path, line=header_line, field="date")
    seen_names: set[str] = set()
    for n in names:
        if not n:
            continue
        if n in seen_names:
            raise InputError("column appears twice in the header", path, line=header_line, field=n)
        seen_names.add(n)
    wanted = outcome or (plan.outcome if plan is not None else None)
    if wanted is not None and wanted not in names:
        whose = "the plan's outcome" if outcome is None else "the outcome"
        raise InputError(f"{whose} column '{wanted}' is missing (columns: {', '.join(names)})",
                         path, line=header_line, field=wanted)
    text_cols = set(TEXT_COLUMNS)
    # unknown columns are numeric only if every non-empty cell parses as a number (or it is the plan's outcome)
    numeric_unknown: set[str] = set()
    for j, n in enumerate(names):
        if not n or n == "date" or n in KNOWN_COLUMNS or n in text_cols:
            continue
        cells = [r[1][j].strip() for r in rows if j < len(r[1]) and r[1][j].strip()]
        is_outcome = n == wanted
        if is_outcome or all(_is_number(c, decimal_comma) for c in cells):
            numeric_unknown.add(n)
    scale_of: dict[str, tuple[float, float]] = {k: (v[0], v[1]) for k, v in KNOWN_COLUMNS.items()}
    if plan is not None and plan.scale is not None:
        scale_of[plan.outcome] = plan.scale

    if plan is not None:
        plan_days = {p.start + timedelta(days=i) for t in plan.trials() for p in t.phases for i in range(p.days)}
    records: dict[str, list[Any]] = {n: [] for n in names if n}
    line_of: dict[date, int] = {}
    for line, cells in rows:
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names):]):
            raise InputError(f"{len(cells)} cells but the header has {len(names)} columns", path, line=line)
        cells = cells + [""] * (len(names) - len(cells))
        day: date | None = None
        values: dict[str, Any] = {}
        for n, cell in zip(names, cells, strict=False):
            if not n:
                continue
            raw = cell.strip()
            if n == "date":
                if not raw:
                    raise InputError("missing date", path, line=line, field="date")
                day = _parse_date(raw, path, line)
                continue
            if n in text_cols or (n not in KNOWN_COLUMNS and n not in numeric_unknown):
                values[n] = raw
                continue
            if not raw or raw.upper() in ("NA", "N/A", "NAN"):
                values[n] = np.nan
                continue
            value = _parse_number(raw, n, path, line, decimal_comma)
            if n in scale_of:
                lo, hi = scale_of[n]
                if not lo <= value <= hi:
                    raise InputError(f"value {raw} is outside the allowed range {lo:g}–{hi:g}", path, line=line,
                                     field=n)
            values[n] = value
        assert day is not None
        if day in line_of:
            raise InputError(f"date {day} appears twice (lines {line_of[day]} and {line}); keep one row per day",
                             path, line=line, field="date")
        if plan is not None and day not in plan_days:
            raise InputError(f"date {day} is outside the plan (phases run {plan.first_day} to {plan.last_day}"
                             f"{'' if len(plan.trials()) == 1 else ', queued trials included'})",
                             path, line=line, field="date")
        line_of[day] = line
        records["date"].append(day)
        for n in records:
            if n != "date":
                records[n].append(values.get(n, np.nan))
    if not line_of:
        raise InputError("the diary has a header but no rows", path)
    frame = pd.DataFrame(records)
    for n in frame.columns:
        if n != "date" and (n in KNOWN_COLUMNS or n in numeric_unknown):
            frame[n] = frame[n].astype(float)
    frame = frame.sort_values("date", kind="stable").reset_index(drop=True)
    return Diary(frame=frame, path=path, line_of=line_of)


def _is_number(text: str, decimal_comma: bool) -> bool:
    try:
        float(text.replace(",", ".") if decimal_comma else text)
    except ValueError:
        return text.upper() in ("NA", "N/A", "NAN")
    return True


def load_diary(source: str | Path | pd.DataFrame | Diary, plan: Plan | str | Path | None = None, *,
               outcome: str | None = None) -> Diary:
    """Read and validate a diary (CSV path, DataFrame, or :class:`Diary`), checking dates against ``plan``.

    The outcome column (``outcome``, else the plan's) must be present and numeric.

    Raises :class:`gutskin.errors.InputError` naming the file, line and column of the first problem: a missing
    or malformed date, a duplicate date, a date outside the plan, a non-number, or a value out of its range.
    """
    plan_obj = None if plan is None else load_plan(plan)
    if isinstance(source, Diary):
        if plan_obj is None and outcome is None:
            return source
        source = source.frame  # re-validate against the plan
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index() if "date" not in source.columns and source.index.name == "date" else source
        header = [str(c) for c in frame.columns]
        rows = [(i + 2, ["" if _is_missing(v) else _cell(v) for v in rec])
                for i, rec in enumerate(frame.itertuples(index=False, name=None))]
        return _validate(header, rows, None, plan_obj, decimal_comma=False, outcome=outcome)
    path = Path(source)
    text = read_text(path)
    header, rows, delimiter = _rows_from_text(text, str(path))
    header_line = next(i for i, ln in enumerate(text.splitlines(), 1)
                       if ln.strip() and not ln.lstrip().startswith("#"))
    return _validate(header, rows, str(path), plan_obj, decimal_comma=delimiter != ",", header_line=header_line,
                     outcome=outcome)


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _cell(v: Any) -> str:
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return str(v)


# only what the analysis uses is asked for (sleep and cycle day were asked once and never used)
TEMPLATE_COLUMNS = ("date", "phase", "skin_score", "itch", "adhered", "stress", "new_skincare", "notes")


def template_csv(plan: Plan | str | Path) -> str:
    """The diary template for ``plan``: instructions as ``#`` lines, then one row per planned day."""
    plan = load_plan(plan)
    outcome_cols = [plan.outcome] if plan.outcome not in TEMPLATE_COLUMNS else []
    cols = list(TEMPLATE_COLUMNS[:2]) + outcome_cols + list(TEMPLATE_COLUMNS[2:])
    out = io.StringIO()
    out.write("# gutskin trial diary. One row per day; leave a cell empty if you did not record it.\n")
    out.write(f"# Outcome analysed: {plan.outcome} ({'lower' if plan.better == 'lower' else 'higher'} is better). "
              "Fill it in at the same time each day.\n")
    for c in cols:
        if c in KNOWN_COLUMNS:
            lo, hi, what = KNOWN_COLUMNS[c]
            out.write(f"# {c}: {what} (allowed {lo:g} to {hi:g})\n")
    out.write("# phase: pre-filled for orientation; notes: free text. Lines starting with # are ignored.\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(cols)
    for t in plan.trials():
        for p in t.phases:
            for i in range(p.days):
                day = p.start + timedelta(days=i)
                label = p.name if len(plan.trials()) == 1 else f"{t.food}: {p.name}"
                writer.writerow([day.isoformat(), label] + [""] * (len(cols) - 2))
    return out.getvalue()


def write_template(plan: Plan | str | Path, path: str | Path) -> Path:
    """Write :func:`template_csv` to ``path``."""
    path = Path(path)
    write_atomic(path, template_csv(plan))
    return path


__all__ = ["COVARIATE_COLUMNS", "OUTCOME_COLUMNS", "Diary", "load_diary", "template_csv", "write_template"]
