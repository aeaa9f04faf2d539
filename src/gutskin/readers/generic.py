"""Generic tables: our own long table, taxpasta outputs, ``biom convert`` TSVs and taxa × samples matrices.

Asked last, so it only claims a table whose header says what it is:

=============================  ====================================================================
standard long table            ``sample, rank, name, taxid, lineage, count, relative_abundance`` (TSV,
                               CSV or Parquet), as :func:`gutskin.writers.write_profile` writes it;
                               read back exactly (counts where ``count`` is filled, else fractions)
taxpasta                       ``taxonomy_id`` then sample columns (wide), ``taxonomy_id, count,
                               sample`` (long) or ``taxonomy_id, count`` (standardise), with optional
                               ``name, rank, lineage, id_lineage, rank_lineage`` (blanks allowed);
                               taxid 0 is unclassified
``biom convert --to-tsv``      ``# Constructed from biom file`` / ``#OTU ID<TAB>samples…[<TAB>taxonomy]``
taxa × samples matrix          first column names taxa (``species``, ``Species``, ``clade_name``,
                               ``taxon``…; a rank word names the rank of bare names), the other
                               columns are samples holding percent, fractions or counts
=============================  ====================================================================

Matrix labels may be prefixed lineages (``k__…|s__…`` or ``;``-joined), prefixed names (``s__Genus_sp``)
or bare MetaPhlAn-style names (``Butyrivibrio_crossotus``): those are species, shown with spaces, and
the first word is stored as the genus so genus roll-ups work.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError
from ..io import PEEK_BYTES, Peek, compression, memory_bytes, read_bytes, read_text
from ..io import peek as _peek
from ..profile import LONG_COLUMNS, Profile, SampleInfo, taxon_key
from ..taxonomy.lineage import Lineage
from ..taxonomy.ranks import RANK_INDEX, RANKS, is_canonical, rank_word
from ..taxonomy.taxon_strings import feature_rank, is_unassigned, lineage_from_taxonomy, parse_canonical
from . import biom as biom_reader
from .base import NA_STRINGS, parse_taxid, sample_name_from_path

FORMAT = "generic"
ALIASES = ("table", "long", "taxpasta", "biom_tsv")
DESCRIPTION = ("generic table: gutskin long table (TSV/CSV/Parquet), taxpasta output, biom convert TSV, "
               "or a taxa × samples matrix (first column species/taxon/clade_name…)")

PARQUET_MAGIC = b"PAR1"
LONG_REQUIRED = ("sample", "rank", "name", "lineage", "relative_abundance")
TAXPASTA_ANNOTATIONS = ("name", "rank", "lineage", "id_lineage", "rank_lineage")
#: first-column headers of a taxa × samples matrix (compared lower-case, '#' and quotes stripped)
NAME_HEADERS = {"species", "taxon", "taxa", "taxonomy", "clade_name", "clade", "lineage", "name", "taxon_name",
                "otu", "otu id", "otuid", "otu_id", "#otu id", "feature", "feature_id", "features", "bug",
                "bugs", "microbe", "organism", "scientific_name", "term", "tax", "x"}
UNCLASSIFIED_LABELS = {"unknown", "unclassified", "unassigned", "other", "others", "-1", "no hit", "unmapped",
                       "unclassified_reads"}
_PREFIXED = re.compile(r"^\s*(?:[a-zA-Z]__|D_\d+__)")
_BINOMIAL = re.compile(r"^\[?[A-Z][a-z]+\]?[_ ](?:[a-z]|sp\b)|^(?:[A-Z][a-z]+|[GF]GB\d+)_SGB\d+")
_MAX_SNIFF_LINES = 40


# ---------------------------------------------------------------------------------------------- layout
@dataclass
class _Layout:
    kind: str  # long | taxpasta | biom_tsv | matrix
    header_line: int  # 0-based index into the text's lines
    sep: str
    header: list[str]
    rownames: bool = False  # R write.table style: the header lacks the row-name cell


def _cells(line: str, sep: str) -> list[str]:
    return next(csv.reader([line], delimiter=sep, quotechar='"'), [])


def _norm(cell: str) -> str:
    return cell.strip().lstrip("\ufeff").strip('"').strip().lstrip("#").strip().lower()


def _numberish(cell: str) -> bool:
    raw = cell.strip()
    if raw.lower() in NA_STRINGS - {"-"}:
        return True
    try:
        float(raw)
    except ValueError:
        return False
    return True


def _number(cell: str) -> bool:
    try:
        return math.isfinite(float(cell.strip()))
    except ValueError:
        return False


def _detect(lines: list[str], partial_last: bool, strict: bool) -> _Layout | None:
    """Which generic table ``lines`` (the first lines of a file) hold; ``strict`` also checks data cells."""
    idx = 0
    biom_tsv = False
    while idx < len(lines) and (not lines[idx].strip() or (lines[idx].startswith("#")
                                                          and "\t" not in lines[idx] and "," not in lines[idx])):
        if lines[idx].startswith("# Constructed from biom file"):
            biom_tsv = True
        idx += 1
    if idx >= len(lines):
        return None
    head = lines[idx].rstrip("\r")
    header_partial = partial_last and idx == len(lines) - 1
    sep = "\t" if "\t" in head else ("," if "," in head else None)
    if sep is None:
        return None
    header = [c.strip() for c in _cells(head, sep)]
    names = [_norm(c) for c in header]
    if len(header) < 2:
        return None
    data = []
    for j in range(idx + 1, min(len(lines), idx + 1 + _MAX_SNIFF_LINES)):
        if lines[j].strip():
            cells = _cells(lines[j].rstrip("\r"), sep)
            cut = partial_last and j == len(lines) - 1
            data.append((cells[:-1] if cut else cells, cut))
    if {n for n in names} >= set(LONG_REQUIRED):
        return _Layout("long", idx, sep, header)
    if names[0] == "taxonomy_id":
        if strict and not header_partial and not (data and all(c and c[0].strip().isdigit() for c, _ in data)):
            return None
        return _Layout("taxpasta", idx, sep, header)
    if biom_tsv or header[0].lstrip("\ufeff").strip() in ("#OTU ID", "#OTUID"):
        if strict and not header_partial and not all(len(c) > 1 and all(_numberish(x) for x in c[1:2])
                                                     for c, _ in data):
            return None
        return _Layout("biom_tsv", idx, sep, header)
    first = names[0]
    rank = rank_word(first)
    known = first in NAME_HEADERS or rank in RANK_INDEX
    if header_partial:
        return _Layout("matrix", idx, sep, header) if known else None
    if not strict:
        if not known and not any(_PREFIXED.match(c[0]) or _BINOMIAL.match(c[0]) for c, _ in data if c):
            return None
        rownames = bool(data) and len(data[0][0]) == len(header) + 1 and not data[0][1]
        return _Layout("matrix", idx, sep, header, rownames)
    if not data:
        return None
    rownames = len(data[0][0]) == len(header) + 1 and not data[0][1]
    width = len(header) + (1 if rownames else 0)
    labels = []
    n_numbers = 0
    for cells, cut in data:
        if (not cut and len(cells) != width) or not cells or not cells[0].strip():
            return None
        label = cells[0].strip()
        if _number(label):
            return None
        if not all(_numberish(x) for x in cells[1:]):
            return None
        n_numbers += sum(_number(x) for x in cells[1:])
        labels.append(label)
    if n_numbers == 0:
        return None
    if not known or rownames:  # an unnamed first column must hold names that look like taxa
        taxonish = sum(bool(_PREFIXED.match(x) or _BINOMIAL.match(x)) for x in labels)
        if taxonish < max(1, int(0.8 * len(labels))):
            return None
    return _Layout("matrix", idx, sep, header, rownames)


def sniff(peek: Peek) -> bool:
    if peek.head.startswith(PARQUET_MAGIC):
        return True
    if peek.is_binary:
        return False
    lines = peek.text.split("\n")
    partial = len(peek.head) >= PEEK_BYTES  # the last line may be cut short
    if len(lines) > _MAX_SNIFF_LINES + 20:
        lines, partial = lines[: _MAX_SNIFF_LINES + 20], False
    return _detect(lines, partial, strict=True) is not None


# ---------------------------------------------------------------------------------------------- reading
def read(path: Path, peek: Peek | None = None) -> Profile:
    peek = peek or _peek(path)
    if peek.head.startswith(PARQUET_MAGIC):
        return _read_parquet(path)
    text = read_text(path)
    # only the head is needed to sniff the layout; splitting a 200 MB table whole cost gigabytes of line objects
    head = text.split("\n", _MAX_SNIFF_LINES + 20)
    layout = _detect(head[: _MAX_SNIFF_LINES + 20], False, strict=False)  # whole lines: the rest is dropped
    if layout is None:
        raise InputError("not a table gutskin can read: expected a gutskin long table (sample, rank, name, "
                         "taxid, lineage, count, relative_abundance), a taxpasta table (taxonomy_id, …), a "
                         "'biom convert' TSV, or a taxa × samples matrix whose first column names taxa "
                         "(species, taxon, clade_name…) and whose other cells are numbers", path)
    if layout.kind == "long":
        frame = _frame(text, layout, path)
        return profile_from_long(frame, str(path), first_line=layout.header_line + 2)
    if layout.kind == "taxpasta":
        if len(layout.header) > _WIDE_COLUMNS and '"' not in text:
            return _wide_taxpasta(text, layout, path)
        return _from_taxpasta(_frame(text, layout, path), path, layout.header_line + 2)
    if layout.kind == "biom_tsv":
        return _read_biom_tsv(text, layout, path)
    return _read_matrix(text, layout, path)


#: below this many characters every row's cell count is checked; above it, only when the separators overflow
_EXACT_FIELD_CHECK = 8_000_000


def _no_extra_fields(text: str, layout: _Layout, width: int, path: Path) -> None:
    """Refuse a row with more cells than the header before pandas sees it.

    pandas would quietly make a column of every extra cell (one row with a million tabs took minutes) and then
    drop them. Counting separators over the whole text is one C-speed pass; only when the count exceeds what
    the rows can hold are the lines walked to name the first one that overflows. A quoted cell may hold the
    separator, so lines with quotes are left to the CSV parser.
    """
    body_start = 0
    for _ in range(layout.header_line + 1):
        nxt = text.find("\n", body_start)
        if nxt < 0:
            return
        body_start = nxt + 1
    rows = text.count("\n", body_start) + 1
    if len(text) > _EXACT_FIELD_CHECK and text.count(layout.sep, body_start) <= (width - 1) * rows:
        return  # a big table whose separators all fit: pandas names any single long row itself
    for k, line in enumerate(io.StringIO(text[body_start:])):
        if line.count(layout.sep) > width - 1 and '"' not in line:
            raise InputError(f"expected at most {width} columns like the header, found "
                             f"{line.count(layout.sep) + 1}", path, layout.header_line + 2 + k)


def _frame(text: str, layout: _Layout, path: Path) -> pd.DataFrame:
    """The table as strings (blanks stay ''), columns as in the header."""
    _check_header(layout.header, path, layout.header_line + 1)
    _no_extra_fields(text, layout, len(layout.header), path)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=layout.sep, header=None, skiprows=layout.header_line + 1,
                            names=list(range(len(layout.header))), dtype=str, keep_default_na=False,
                            skip_blank_lines=True, engine="c",
                            index_col=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"cannot split the table into columns ({exc})", path) from None
    frame.columns = layout.header
    return frame


def _check_header(header: list[str], path: Path | str, line: int | None) -> None:
    seen: set[str] = set()
    for cell in header:
        if cell in seen:
            raise InputError(f"column {cell!r} appears twice in the header; every sample needs its own column",
                             path, line, cell)
        seen.add(cell)


def _read_parquet(path: Path) -> Profile:
    try:
        # .parquet.gz and uploads (in-memory sources) are read from their plain bytes
        source = io.BytesIO(read_bytes(path)) if compression(path) or memory_bytes(path) is not None else path
        frame = pd.read_parquet(source)
    except InputError:
        raise
    except Exception as exc:  # pyarrow raises its own error types for damaged files
        raise InputError(f"cannot read the Parquet file ({exc}); it looks corrupt", path) from None
    cols = {str(c).strip().lower() for c in frame.columns}
    if cols >= set(LONG_REQUIRED):
        return profile_from_long(frame, str(path), first_line=None)
    if frame.columns.size and str(frame.columns[0]).strip().lower() == "taxonomy_id":
        text_frame = frame.astype(object).where(frame.notna(), "").astype(str)
        return _from_taxpasta(text_frame, path, None)
    raise InputError("a Parquet file that is neither a gutskin long table (sample, rank, name, lineage, "
                     f"relative_abundance …) nor a taxpasta table (taxonomy_id …); columns are {list(frame.columns)}",
                     path)


# ---------------------------------------------------------------------------------------------- long table
def _where(first_line: int | None, i: int) -> tuple[int | None, str]:
    return (None if first_line is None else first_line + i), f"row {i + 1}"


def _numbers(series: pd.Series, source: str, first_line: int | None, field: str,
             blanks_ok: bool) -> np.ndarray:
    """A column as float64; blanks are NaN when allowed; anything else non-numeric, negative or infinite is refused."""
    if series.dtype.kind in "biuf":
        values = series.to_numpy(dtype=np.float64)
    else:
        obj = series.astype(object)
        blank = obj.map(lambda v: v is None or (isinstance(v, float) and v != v) or pd.isna(v)
                        or str(v).strip() == "").to_numpy(dtype=bool)
        values = pd.to_numeric(obj.where(~blank, np.nan), errors="coerce").to_numpy(dtype=np.float64)
        bad = np.isnan(values) & ~blank
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            line, row = _where(first_line, i)
            raise InputError(f"expected a number, found {obj.iat[i]!r} ({row})", source, line, field)
    missing = np.isnan(values)
    if missing.any() and not blanks_ok:
        i = int(np.flatnonzero(missing)[0])
        line, row = _where(first_line, i)
        raise InputError(f"expected a number, found a blank or NaN ({row})", source, line, field)
    finite = values[~missing]
    if np.isinf(finite).any() or (finite < 0).any():
        i = int(np.flatnonzero(~missing & (np.isinf(values) | (values < 0)))[0])
        line, row = _where(first_line, i)
        raise InputError(f"expected a finite abundance ≥ 0, found {values[i]!r} ({row})", source, line, field)
    return values


def _strings(series: pd.Series) -> np.ndarray:
    obj = series.astype(object)
    return obj.map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)).to_numpy(
        dtype=object)


def profile_from_long(frame: pd.DataFrame, source: str = "<dataframe>", first_line: int | None = None) -> Profile:
    """A Profile from the standard long table (what :meth:`Profile.to_long` returns and ``convert`` writes).

    Rows are clade totals at their rank (layout ``clades``). A sample whose ``count`` is filled on every
    row is read as counts; otherwise its ``relative_abundance`` values are used, as fractions.
    """
    cols = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in LONG_COLUMNS if c in LONG_REQUIRED and c not in cols]
    if missing:
        raise InputError(f"a long table needs the columns {', '.join(LONG_COLUMNS)}; missing "
                         f"{', '.join(missing)}", source, field=missing[0])
    if len(frame) == 0:
        raise InputError("the long table has a header but no rows", source)
    samples = _strings(frame[cols["sample"]])
    ranks = _strings(frame[cols["rank"]])
    names = _strings(frame[cols["name"]])
    lineages = _strings(frame[cols["lineage"]])
    for field, arr in (("sample", samples), ("rank", ranks), ("name", names)):
        empty = np.flatnonzero([not str(v).strip() for v in arr])
        if empty.size:
            line, row = _where(first_line, int(empty[0]))
            raise InputError(f"empty {field} ({row})", source, line, field)
    rel = _numbers(frame[cols["relative_abundance"]], source, first_line, "relative_abundance", False)
    if "count" in cols:
        count = _numbers(frame[cols["count"]], source, first_line, "count", True)
    else:
        count = np.full(len(frame), np.nan)
    taxids: list[int | None] = [None] * len(frame)
    if "taxid" in cols:
        raw = frame[cols["taxid"]]
        for i, v in enumerate(raw.astype(object)):
            if v is None or (not isinstance(v, str) and pd.isna(v)) or str(v).strip() == "":
                continue
            t = parse_taxid(str(v))
            if t is None and str(v).strip() not in ("-1", "NA", "na"):
                line, row = _where(first_line, i)
                raise InputError(f"expected an NCBI taxid (a whole number), found {v!r} ({row})", source, line,
                                 "taxid")
            taxids[i] = t
    taxid_codes = np.array([-1 if t is None else t for t in taxids], dtype=np.int64)
    ident = pd.DataFrame({"r": ranks, "n": names, "l": lineages, "t": taxid_codes})
    taxon_codes = ident.groupby(["r", "n", "l", "t"], sort=False).ngroup().to_numpy()
    sample_codes, sample_names = pd.factorize(pd.Series(samples, dtype=object), sort=False)
    first_rows = pd.Series(np.arange(len(frame))).groupby(taxon_codes, sort=True).first().to_numpy()
    taxa = []
    used: dict[str, int] = {}
    for code, i in enumerate(first_rows):
        rank, name, lin_text, taxid = ranks[i], names[i], lineages[i], taxids[i]
        try:
            lineage = parse_canonical(lin_text)
        except ValueError:
            try:
                lineage = lineage_from_taxonomy(lin_text)
            except ValueError as exc:
                line, row = _where(first_line, int(i))
                raise InputError(f"cannot read the lineage {lin_text!r} ({exc}; {row})", source, line,
                                 "lineage") from None
        key = taxon_key(lineage, rank, name)
        if key in used:
            key = taxon_key(lineage, rank, name, taxid)
        n = 1
        base = key
        while key in used:
            n += 1
            key = f"{base}#{n}"
        used[key] = code
        taxa.append((key, lineage, rank, name, taxid))
    pairs = sample_codes.astype(np.int64) * max(len(taxa), 1) + taxon_codes
    dup = pd.Series(pairs).duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        line, row = _where(first_line, i)
        raise InputError(f"taxon {names[i]!r} at rank {ranks[i]!r} appears twice in sample {samples[i]!r} "
                         f"({row})", source, line)
    n_samples = len(sample_names)
    has_count = ~np.isnan(count)
    sample_counts = np.ones(n_samples, dtype=bool)
    np.logical_and.at(sample_counts, sample_codes, has_count)
    use_count = sample_counts[sample_codes]
    values = np.where(use_count, count, rel)
    matrix = sp.csr_matrix((values, (sample_codes, taxon_codes)), shape=(n_samples, len(taxa)))
    # the writer puts a row at no canonical rank into a long table only when it is a leaf no canonical row holds
    # (an unranked feature, kaiju's Viruses): say so, or the profile read back would leave it out of its long table
    unranked_leaves = any(not is_canonical(r) for r in pd.unique(ranks))
    info = []
    for s in range(n_samples):
        units = "counts" if sample_counts[s] else "fraction"
        reason = ("'count' is filled on every row of this sample" if sample_counts[s]
                  else "'count' is blank, so relative_abundance (a fraction per rank) is used")
        info.append(SampleInfo(source=source, format=FORMAT, units=units,
                               extra={"layout": "standard long table", "units_reason": reason,
                                      "unranked_rows_are_leaves": unranked_leaves}))
    return biom_reader.assemble("clades", taxa, [str(s) for s in sample_names], info, matrix, Path(source))


# ---------------------------------------------------------------------------------------------- taxpasta
#: above this many columns a taxpasta table is split by hand: pandas pays per column, and a table of
#: 100,000 samples × 40 taxa is mostly columns
_WIDE_COLUMNS = 200


def _wide_taxpasta(text: str, layout: _Layout, path: Path) -> Profile:
    """A wide taxpasta table with many sample columns, in time linear in its size."""
    header = [c.strip() for c in layout.header]
    _check_header(header, path, layout.header_line + 1)
    lower = [c.lower() for c in header]
    keep = [0] + [j for j in range(1, len(header)) if lower[j] in TAXPASTA_ANNOTATIONS]
    samples = [j for j in range(1, len(header)) if lower[j] not in TAXPASTA_ANNOTATIONS]
    if "sample" in lower or "count" in lower or not samples:
        return _from_taxpasta(_frame(text, layout, path), path, layout.header_line + 2)
    width = len(header)
    small: list[list[str]] = []
    numbers: list[list[str]] = []
    lines = text.split("\n")
    for i in range(layout.header_line + 1, len(lines)):
        line = lines[i].rstrip("\r")
        if not line.strip():
            continue
        cells = line.split(layout.sep)
        if len(cells) != width:
            raise InputError(f"expected {width} columns like the header, found {len(cells)}", path, i + 1)
        small.append([cells[j] for j in keep])
        numbers.append([cells[j] for j in samples])
    frame = pd.DataFrame(small, columns=[header[j] for j in keep], dtype=object)
    try:
        values = np.array(numbers, dtype=np.float64) if numbers else np.zeros((0, len(samples)))
    except (ValueError, OverflowError):
        values = None
    if values is None or not np.isfinite(values).all() or (values < 0).any():
        for r, row in enumerate(numbers):  # name the first bad cell exactly
            for k, cell in enumerate(row):
                try:
                    v = float(cell)
                except ValueError:
                    v = math.nan
                if not (math.isfinite(v) and v >= 0):
                    line = next(n for n, ln in enumerate(lines) if n > layout.header_line and ln.strip()) + 1 + r
                    raise InputError(f"expected a finite count ≥ 0, found {cell!r}", path, line, header[samples[k]])
    return _from_taxpasta(frame, path, layout.header_line + 2, wide=([header[j] for j in samples], values))


def _from_taxpasta(frame: pd.DataFrame, path: Path, first_line: int | None,
                   wide: tuple[list[str], np.ndarray] | None = None) -> Profile:
    cols = [str(c).strip() for c in frame.columns]
    frame.columns = cols
    _check_header(cols, path, None if first_line is None else first_line - 1)
    lower = [c.lower() for c in cols]
    annotations = [c for c, lo in zip(cols[1:], lower[1:], strict=True) if lo in TAXPASTA_ANNOTATIONS]
    rest = [c for c in cols[1:] if c not in annotations] if wide is None else wide[0]
    if not len(frame):
        raise InputError("the taxpasta table has a header but no rows", path)
    raw_ids = frame[cols[0]].astype(str).str.strip()
    ids = []
    for i, v in enumerate(raw_ids):
        try:
            t = int(float(v)) if v else -1
        except ValueError:
            t = -1
        if t < 0 or (v and float(v) != t):
            line, row = _where(first_line, i)
            raise InputError(f"expected a taxonomy id (a whole number ≥ 0), found {v!r} ({row})", path, line,
                             cols[0])
        ids.append(t)
    lower_rest = [c.lower() for c in rest]
    if "sample" in lower_rest and "count" in lower_rest:
        s_col, c_col = rest[lower_rest.index("sample")], rest[lower_rest.index("count")]
        counts = _numbers(frame[c_col], str(path), first_line, c_col, False)
        sample_of = _strings(frame[s_col])
        layout = "long"
    elif lower_rest == ["count"]:
        counts = _numbers(frame[rest[0]], str(path), first_line, rest[0], False)
        sample_of = np.array([sample_name_from_path(path)] * len(frame), dtype=object)
        layout = "standardised"
    else:
        if not rest:
            raise InputError("a taxpasta table needs sample columns after taxonomy_id", path, field=cols[0])
        counts = _wide_numbers(frame, rest, str(path), first_line) if wide is None else wide[1].T.ravel()
        sample_of = np.repeat(np.array(rest, dtype=object), len(frame))
        ids = ids * len(rest)
        layout = "wide"
    # annotations are per taxon row; in a wide table row i of the stacked samples is row i % n of the file
    # (repeating the whole frame per sample was quadratic: 100,000 sample columns never finished)
    n_rows = len(frame)
    ann = {lo: _strings(frame[c]) for c, lo in ((c, c.lower()) for c in annotations)}
    id_arr = np.asarray(ids, dtype=np.int64)
    sample_codes, sample_names = pd.factorize(pd.Series(sample_of, dtype=object), sort=False)
    if any(not str(s).strip() for s in sample_names):
        raise InputError("a row has an empty sample name", path, field="sample")
    classified = id_arr != 0
    taxon_ids, first_idx = np.unique(id_arr[classified], return_index=True)
    order = np.argsort(first_idx)
    taxon_ids = taxon_ids[order]
    rows_of = np.flatnonzero(classified)[first_idx[order]]
    taxa = []
    used: set[str] = set()
    for t, i in zip(taxon_ids, rows_of, strict=True):
        lineage, rank, name = _taxpasta_taxon(int(t), {k: v[i % n_rows] for k, v in ann.items()})
        key = taxon_key(lineage, rank, name)
        if key in used:
            key = taxon_key(lineage, rank, name, int(t))
        used.add(key)
        taxa.append((key, lineage, rank, name, int(t)))
    n_s = len(sample_names)
    col_arr = pd.Index(taxon_ids).get_indexer(id_arr)  # -1 for taxonomy id 0 (unclassified)
    col_arr = np.where(col_arr < 0, len(taxon_ids), col_arr)
    pair = sample_codes.astype(np.int64) * (len(taxon_ids) + 1) + col_arr
    dup = pd.Series(pair).duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0]) % max(len(raw_ids), 1)
        line, row = _where(first_line, i)
        raise InputError(f"taxonomy id {id_arr[i]} appears twice for one sample", path, line, cols[0])
    cls_rows = np.flatnonzero(classified)
    matrix = sp.csr_matrix((counts[cls_rows], (sample_codes[cls_rows], col_arr[cls_rows])),
                           shape=(n_s, len(taxon_ids)))
    unc_rows = np.flatnonzero(~classified)
    unclassified = np.bincount(sample_codes[unc_rows], weights=counts[unc_rows], minlength=n_s).astype(float)
    has_unclassified = np.bincount(sample_codes[unc_rows], minlength=n_s) > 0
    units, reason, warnings = biom_reader.judge_units(matrix)
    totals = np.asarray(matrix.sum(axis=1)).ravel() + unclassified
    info = []
    for s in range(n_s):
        u = float(unclassified[s]) if has_unclassified[s] else None
        info.append(SampleInfo(
            source=str(path), format=FORMAT, units=units, unclassified=u,
            unclassified_share=None if u is None or totals[s] == 0 else u / totals[s],
            extra={"layout": f"taxpasta {layout}", "units_reason": reason,
                   "warnings": [*warnings, _TAXPASTA_NOTE]}))
    return biom_reader.assemble("features", taxa, [str(s) for s in sample_names], info, matrix, path)


def _wide_numbers(frame: pd.DataFrame, columns: list[str], source: str, first_line: int | None) -> np.ndarray:
    """Sample columns stacked (all of the first sample, then the second …) as float64, in one pass.

    The whole block is converted at once; only when that fails is each column checked on its own, to name
    the first bad cell exactly.
    """
    block = frame[columns]
    try:
        values = block.to_numpy(dtype=np.float64) if all(k in "biuf" for k in block.dtypes.map(
            lambda d: d.kind)) else np.asarray(block.to_numpy(dtype=object), dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        values = None
    if values is None or not np.isfinite(values).all() or (values < 0).any():
        for c in columns:  # raises at the first bad cell, with its line and column
            _numbers(frame[c], source, first_line, c, False)
        raise InputError("a sample column holds a value that is not a finite number ≥ 0", source)  # pragma: no cover
    return values.T.ravel()


_TAXPASTA_NOTE = ("taxpasta keeps one value per taxon id (reads assigned directly to it for Kraken-family inputs, "
                  "clade values × 10⁶ for MetaPhlAn) and files everything it could not map to an NCBI id under "
                  "taxonomy_id 0, read here as unclassified; higher ranks roll up only through the lineages the "
                  "table carries")


def _taxpasta_taxon(taxid: int, ann: dict[str, str]) -> tuple[Lineage, str, str]:
    """(lineage, rank, name) from taxpasta's optional name/rank/lineage/rank_lineage cells."""
    name = ann.get("name", "").strip()
    raw_rank = ann.get("rank", "").strip()
    rank = rank_word(raw_rank) if raw_rank else None
    lineage = Lineage.empty("plain")
    names = [p.strip() for p in ann.get("lineage", "").split(";")]
    ranks = [p.strip() for p in ann.get("rank_lineage", "").split(";")]
    if any(names) and len(ranks) == len(names):
        for r, n in zip(ranks, names, strict=True):
            r = rank_word(r)
            if r in RANK_INDEX and n and lineage.get(r) is None:
                lineage = lineage.with_name(r, n)
    if name and rank in RANK_INDEX:
        lineage = lineage.with_name(rank, name)
    if rank is None:
        rank = feature_rank(lineage) if lineage.deepest_rank else "no rank"
    return lineage, rank, name or f"taxid {taxid}"


# ---------------------------------------------------------------------------------------------- biom tsv
def _read_biom_tsv(text: str, layout: _Layout, path: Path) -> Profile:
    frame = _frame(text, layout, path)
    header = layout.header
    if len(frame) == 0:
        raise InputError("the table has a header but no rows", path)
    meta_cols = []
    for c in reversed(header[1:]):
        col = frame[c]
        if c.strip().lower() in ("taxonomy", "consensus lineage", "lineage", "taxon") or not all(
                _numberish(v) for v in col.head(50)):
            meta_cols.insert(0, c)
        else:
            break
    sample_cols = [c for c in header[1:] if c not in meta_cols]
    if not sample_cols:
        raise InputError("the table has no sample columns", path, layout.header_line + 1)
    first_line = layout.header_line + 2
    blocks = [_numbers(frame[c], str(path), first_line, c, False) for c in sample_cols]
    values = sp.csr_matrix(np.vstack(blocks))
    ids = [str(v).strip() for v in frame[header[0]]]
    tax_col = meta_cols[0] if meta_cols else None
    md = [{"taxonomy": str(v)} if str(v).strip() else {} for v in frame[tax_col]] if tax_col else None
    table = biom_reader.BiomTable(ids, [c.strip() for c in sample_cols], values, md, None,
                                  "biom convert --to-tsv", None, None, "tsv")
    return biom_reader.interpret(table, path, fmt=FORMAT, extra={"layout": "biom convert TSV"})


# ---------------------------------------------------------------------------------------------- matrix
def _genus_of(species: str) -> str | None:
    words = species.split()
    if len(words) < 2:
        return None
    if words[0] == "Candidatus" and len(words) > 2:
        return f"{words[0]} {words[1]}"
    if words[0].lower() in ("unclassified", "uncultured", "unknown", "unidentified"):
        return None
    return words[0]


_GG_EVIDENCE = re.compile(r"(?:^|[;|]\s*)(?:s__[a-z]|[a-z]__\s*(?:;|$))")
_MPA_EVIDENCE = re.compile(r"(?:^|[;|]\s*)(?:s__[A-Z\[]|t__)")


def _label_naming(labels: list[str]) -> str:
    """``metaphlan`` (underscores are spaces) unless the labels look like QIIME/Greengenes strings."""
    gg = sum(bool(_GG_EVIDENCE.search(x)) for x in labels[:500])
    mpa = sum(bool(_MPA_EVIDENCE.search(x)) for x in labels[:500])
    return "verbatim" if gg > mpa else "metaphlan"


def _label_taxon(label: str, header_rank: str | None, naming: str = "metaphlan") -> tuple[Lineage, str, str] | None:
    """(lineage, rank, display name) of a matrix row label; ``None`` for unclassified rows."""
    text = label.strip()
    if text.lower() in UNCLASSIFIED_LABELS or is_unassigned(text):
        return None
    if _PREFIXED.match(text):
        lineage = lineage_from_taxonomy(text, naming)
        rank, name = lineage.deepest_rank, lineage.deepest_name
        if rank is None or name is None:
            return None
    else:
        name = " ".join(text.replace("_", " ").split())
        words = name.split(" ")
        rank = header_rank if header_rank in RANK_INDEX else ("species" if len(words) > 1 else "no rank")
        lineage = Lineage.empty("metaphlan")
        if rank in RANK_INDEX:
            lineage = lineage.with_name(rank, name)
    if rank == "species" and lineage.get("genus") is None:
        genus = _genus_of(name)
        if genus:
            lineage = lineage.with_name("genus", genus)
    return lineage, rank, name


def _read_matrix(text: str, layout: _Layout, path: Path) -> Profile:
    header = [c.strip().lstrip("\ufeff") for c in layout.header]
    if layout.rownames:
        header = ["", *header]
    label_header = header[0]
    sample_cols = header[1:]
    _check_header(sample_cols, path, layout.header_line + 1)
    if any(not c for c in sample_cols):
        raise InputError("a sample column has no name", path, layout.header_line + 1)
    _no_extra_fields(text, layout, len(header), path)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=layout.sep, header=None, skiprows=layout.header_line + 1,
                            names=list(range(len(header))), dtype={0: str}, keep_default_na=False,
                            na_values=["", "NA", "NaN", "nan", "N/A", "null", "NULL", "None"],
                            skip_blank_lines=True, index_col=False, engine="c")
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"cannot split the table into {len(header)} columns ({exc})", path) from None
    if len(frame) == 0:
        raise InputError("the table has a header but no rows", path)
    line_of = [layout.header_line + 2 + k for k, ln in enumerate(text.split("\n")[layout.header_line + 1:])
               if ln.strip()]
    raw = frame.iloc[:, 1:]
    for j in range(raw.shape[1]):
        col = raw.iloc[:, j]
        if col.dtype.kind not in "biuf":
            bad = pd.to_numeric(col, errors="coerce").isna() & col.notna()
            i = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else int(np.flatnonzero(col.isna())[0])
            raise InputError(f"expected a number, found {col.iat[i]!r}", path, _line(line_of, i), sample_cols[j])
    values = raw.to_numpy(dtype=np.float64)
    nan = np.isnan(values)
    if nan.any():
        i, j = np.argwhere(nan)[0]
        raise InputError("expected a number, found a blank or NA", path, _line(line_of, int(i)), sample_cols[j])
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(f"expected a finite abundance ≥ 0, found {values[i, j]!r}", path, _line(line_of, int(i)),
                         sample_cols[j])
    header_rank = rank_word(_norm(label_header))
    header_rank = header_rank if header_rank in RANK_INDEX else None
    labels = frame.iloc[:, 0].astype(object).tolist()
    taxa = []
    keep = []
    unclassified_rows = []
    seen: dict[str, int] = {}
    styles = set()
    naming = _label_naming([str(x) for x in labels if isinstance(x, str)])
    for i, label in enumerate(labels):
        if label is None or (not isinstance(label, str) and pd.isna(label)) or not str(label).strip():
            raise InputError("a row has no taxon name", path, _line(line_of, i), label_header or "first column")
        label = str(label)
        try:
            parsed = _label_taxon(label, header_rank, naming)
        except ValueError as exc:
            raise InputError(f"cannot read the taxon {label!r} ({exc})", path, _line(line_of, i),
                             label_header or "first column") from None
        if parsed is None:
            unclassified_rows.append(i)
            continue
        lineage, rank, name = parsed
        key = taxon_key(lineage, rank, name)
        if key in seen:
            raise InputError(f"taxon {label!r} appears twice (also on line {seen[key]})", path, _line(line_of, i),
                             label_header or "first column")
        seen[key] = _line(line_of, i)
        styles.add("prefixed" if _PREFIXED.match(label) else "bare")
        taxa.append((key, lineage, rank, name, None))
        keep.append(i)
    if not taxa:
        raise InputError("the table names no taxa (only unclassified rows)", path)
    matrix = sp.csr_matrix(values[keep].T)
    units, reason, warnings = biom_reader.judge_units(matrix)
    unclassified = values[unclassified_rows].sum(axis=0) if unclassified_rows else None
    totals = values.sum(axis=0)
    ranks_seen = sorted({t[2] for t in taxa}, key=lambda r: RANK_INDEX.get(r, len(RANKS)))
    if "no rank" in ranks_seen:
        warnings = [*warnings, "some row names are single words under a first column that names no rank; "
                    "they are kept with rank 'no rank' (name the column after the rank, e.g. 'genus')"]
    info = []
    for s in range(len(sample_cols)):
        u = None if unclassified is None else float(unclassified[s])
        info.append(SampleInfo(
            source=str(path), format=FORMAT, units=units, unclassified=u,
            unclassified_share=None if u is None or totals[s] == 0 else u / totals[s],
            extra={"layout": "taxa × samples matrix", "units_reason": reason, "label_column": label_header,
                   "label_style": "+".join(sorted(styles)), "naming": naming, "ranks": ranks_seen,
                   "warnings": list(warnings)}))
    return biom_reader.assemble("clades", taxa, sample_cols, info, matrix, path)


def _line(line_of: list[int], i: int) -> int | None:
    return line_of[i] if 0 <= i < len(line_of) else None
