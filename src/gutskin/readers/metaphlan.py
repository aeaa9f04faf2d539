"""MetaPhlAn profiles, single-sample and merged, versions 2 to 4.

Layouts handled (all rows are clade totals in percent, every rank summing to about 100):

=========================  =====================================================================
single, 2 columns          MetaPhlAn 2 (``#SampleID\\tMetaphlan2_Analysis``) and the GTDB-converted
                           ``sgb_to_gtdb_profile.py`` output (``#clade_name\\trelative_abundance``)
single, 3 columns          ``--use_group_representative`` (clade, taxid, abundance)
single, 4 columns          MetaPhlAn 3 and 4 standard (clade, taxid lineage, abundance, additional)
single, 5 columns          ``-t rel_ab_w_read_stats`` (clade, taxid, abundance, coverage, est. reads)
merged                     ``merge_metaphlan_tables.py``: 2.x ``ID``; 3.x ``clade_name NCBI_tax_id``;
                           4.x ``clade_name`` (no taxid column)
=========================  =====================================================================

Header lines are recognised by content, never counted. ``UNKNOWN``/``UNCLASSIFIED`` rows become the
sample's unclassified share.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..io import Peek, read_text
from ..profile import Profile, ProfileBuilder, SampleInfo
from ..taxonomy.lineage import parse_prefixed
from ..taxonomy.metaphlan_version import metaphlan_version
from .base import (
    last_taxid,
    parse_taxid,
    parse_value,
    require_rows,
    sample_name_from_path,
    split_row,
    tab_lines,
    unique_names,
)

FORMAT = "metaphlan"
ALIASES = ("metaphlan_merged", "mpa")
DESCRIPTION = "MetaPhlAn 2/3/4 profile or merged table (all column variants, GTDB-converted)"

_DB_LINE = re.compile(r"^#(mpa_v\w+|v\d+_CHOCOPhlAn\w*|[\w.-]*CHOCOPhlAn\w*)\s*$")
_READS_LINE = re.compile(r"^#(\d+) (reads|bases) processed")
_UNCLASSIFIED = {"UNKNOWN", "UNCLASSIFIED", "unclassified", "UNKNOWN.1"}
_CLADE = re.compile(r"^(k__|d__)[^\t]*")
_DEFAULT_SAMPLE_IDS = {"Metaphlan_Analysis", "Metaphlan2_Analysis"}


def _header_tokens(line: str) -> list[str]:
    return [t.strip() for t in line.lstrip("#").split("\t")]


def sniff(peek: Peek) -> bool:
    if peek.is_binary:
        return False
    lines = [ln for ln in peek.lines if ln.strip()]
    if not lines:
        return False
    for ln in lines[:12]:
        if ln.startswith("#"):
            tokens = _header_tokens(ln)
            if tokens[0] == "clade_name" and "sequence_abundance" not in tokens:
                return True
            if _DB_LINE.match(ln) or "Metaphlan" in ln or _READS_LINE.match(ln):
                return True
        else:
            tokens = [t.strip() for t in ln.split("\t")]
            if "sequence_abundance" in tokens:  # sylph-tax, which borrows MetaPhlAn's clade names
                return False
            if tokens[0] in ("clade_name", "ID") and len(tokens) >= 2:
                nxt = next((x for x in lines[lines.index(ln) + 1:] if not x.startswith("#")), "")
                if nxt.startswith("k__") and ";" in nxt.split("\t")[0]:
                    # MetaPhlAn joins its own names with '|'; 'k__…;p__…' is a re-export (e.g. phyloseq)
                    return False
                return bool(_CLADE.match(nxt)) or nxt.split("\t")[0] in _UNCLASSIFIED
            break
    # headerless MetaPhlAn 2 style: every data line "k__...\tnumber"
    data = [ln for ln in lines if not ln.startswith("#")][:20]
    return bool(data) and all(
        _CLADE.match(ln) and len(ln.split("\t")) == 2 and "|" in ln + "|" for ln in data
    ) and data[0].startswith("k__")


def _version_from_db(db: str | None, reads_line: bool) -> str | None:
    return metaphlan_version(db, reads_line=reads_line)  # the one rule, shared with reference choice


def read(path: Path, peek: Peek | None = None) -> Profile:
    text = read_text(path)
    lines = tab_lines(text, path)
    comments = [(n, ln) for n, ln in lines if ln.startswith("#")]
    db = None
    reads_line = False
    sample_id = None
    column_header: list[str] | None = None
    header_line_no = None
    for n, ln in comments:
        m = _DB_LINE.match(ln)
        if m and db is None:
            db = m.group(1)
        elif n == 1 and ln.startswith("#") and "\t" not in ln and " " not in ln.strip() and db is None:
            db = ln[1:].strip() or None  # custom database index name on line 1
        if _READS_LINE.match(ln):
            reads_line = True
        tokens = _header_tokens(ln)
        if len(tokens) >= 2 and tokens[0] not in ("clade_name",) and tokens[1] in _DEFAULT_SAMPLE_IDS | {
                t for t in tokens[1:2] if not t.startswith("clade")}:
            if tokens[0] == "SampleID":
                sample_id = tokens[1] if tokens[1] not in _DEFAULT_SAMPLE_IDS else None
            elif not tokens[0].startswith(("clade", "estimated")):
                sample_id = tokens[1] if tokens[1] not in _DEFAULT_SAMPLE_IDS else tokens[0]
        if tokens[0] == "clade_name":
            column_header, header_line_no = tokens, n
    data = [(n, ln) for n, ln in lines if ln.strip() and not ln.startswith("#")]
    require_rows(len(data), path, "MetaPhlAn")
    first_tokens = [t.strip() for t in data[0][1].split("\t")]
    if first_tokens[0] in ("clade_name", "ID"):
        return _read_merged(path, data, first_tokens, db, reads_line)
    if db and db.startswith("mpa_v20"):
        db = db
    version = _version_from_db(db, reads_line)
    if column_header is None:
        n_cols = len(first_tokens)
        column_header = {2: ["clade_name", "relative_abundance"],
                         3: ["clade_name", "NCBI_tax_id", "relative_abundance"]}.get(
            n_cols, ["clade_name", "NCBI_tax_id", "relative_abundance", "additional_species"])
        if version is None and n_cols == 2:
            version = "2"
        _refuse_headerless_merged(data, path)
    ab_col = _find(column_header, ("relative_abundance",), path, header_line_no)
    tax_col = next((i for i, c in enumerate(column_header) if c in ("NCBI_tax_id", "clade_taxid")), None)
    name = sample_id or sample_name_from_path(path)
    builder = ProfileBuilder("clades")
    unclassified = None
    rows = []
    for n, ln in data:
        tokens = ln.split("\t")
        if len(tokens) <= ab_col:
            raise InputError(f"expected {len(column_header)} tab-separated columns "
                             f"({', '.join(column_header)}), found {len(tokens)}", path, n)
        clade = tokens[0].strip()
        value = parse_value(tokens[ab_col], path, n, column_header[ab_col])
        if clade in _UNCLASSIFIED:
            unclassified = value
            continue
        rows.append((n, clade, tokens[tax_col] if tax_col is not None and tax_col < len(tokens) else None,
                     value))
    style = "gtdb" if rows and rows[0][1].startswith("d__") else "metaphlan"
    is_gtdb_converted = style == "gtdb"
    info = SampleInfo(
        source=str(path),
        format=FORMAT,
        units="percent",
        profiler="MetaPhlAn",
        profiler_version=version,
        database=(f"{db} (GTDB-converted)" if is_gtdb_converted and db else db),
        method="shotgun",
        unclassified=unclassified,
        unclassified_share=None if unclassified is None else unclassified / 100.0,
        extra={"layout": f"{len(column_header)}-column", "naming": style},
    )
    s = builder.add_sample(name, info)
    for n, clade, taxids, value in rows:
        _add_clade(builder, s, clade, taxids, value, path, n, style)
    profile = builder.build()
    _check_complete(profile, path, data[-1][0])
    return profile


def _check_complete(profile: Profile, path: Path, last_line: int) -> None:
    """Refuse a profile cut at a line boundary: its species no longer add up to its kingdoms.

    Every rank of a MetaPhlAn profile sums to the same total (to rounding: 0.2 % at most in the real MetaPhlAn
    4 files here, exactly in MetaPhlAn 2 and 3), and the kingdom rows come first (depth-first in MetaPhlAn 2
    and 4, rank by rank in MetaPhlAn 3). A file that lost its last lines keeps its kingdoms but loses species
    (a loss under 0.5 % of the total passes unseen).
    """
    ranks = profile.taxa["rank"].to_numpy()
    if not ((ranks == "domain").any() and (ranks == "species").any()):
        return
    kingdoms = float(profile.values[:, ranks == "domain"].sum())
    species = float(profile.values[:, ranks == "species"].sum())
    if kingdoms > 0 and species < 0.995 * kingdoms:
        raise InputError(f"the species rows add up to {species:.4g} % but the kingdom rows to {kingdoms:.4g} %; the "
                         "file looks truncated (its last lines missing) or edited", path, last_line)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _refuse_headerless_merged(data: list[tuple[int, str]], path: Path) -> None:
    """A merged table that lost its ``clade_name`` header line must not be read as one sample.

    Without the header a merged table's rows look like a single profile whose extra columns are ignored:
    its second and later samples would vanish. A single profile's fourth column is text (additional species)
    or empty; several numeric columns after the taxid mean samples.
    """
    for n, ln in data[:50]:
        tokens = [t.strip() for t in ln.split("\t")]
        numeric = [t for t in tokens[2:] if t and _is_number(t)]
        if len(tokens) >= 4 and len(numeric) >= 2:
            raise InputError(f"this row has {len(numeric)} abundance columns but the file has no 'clade_name' "
                             "header naming the samples; a merged MetaPhlAn table needs its header line",
                             path, n)


def _find(header: list[str], names: tuple[str, ...], path: Path, line: int | None) -> int:
    for i, col in enumerate(header):
        if col in names:
            return i
    raise InputError(f"expected a column named {' or '.join(names)} in the header, found {header}", path, line)


def _add_clade(builder: ProfileBuilder, s: int, clade: str, taxids: str | None, value: float,
               path: Path, n: int, style: str) -> None:
    try:
        lineage, rank, name = parse_prefixed(clade, style)
    except ValueError as exc:
        raise InputError(f"expected a MetaPhlAn clade name like k__Bacteria|p__Firmicutes ({exc})", path, n,
                         "clade_name") from None
    if rank is None or name is None:
        raise InputError(f"clade {clade!r} names no taxon", path, n, "clade_name")
    taxid = last_taxid(taxids) if taxids and "|" in taxids else parse_taxid(taxids)
    t = builder.add_taxon(lineage, rank, name, taxid)
    builder.add_value(s, t, value, where=f"{path}:{n}")


def _read_merged(path: Path, data: list[tuple[int, str]], header: list[str], db: str | None,
                 reads_line: bool) -> Profile:
    header_no = data[0][0]
    has_taxid = len(header) > 1 and header[1] == "NCBI_tax_id"
    first_sample_col = 2 if has_taxid else 1
    raw_names = header[first_sample_col:]
    if not raw_names:
        raise InputError("merged MetaPhlAn table has no sample columns", path, header_no)
    names, warnings = unique_names(raw_names)
    if header[0] == "ID" and db is None:
        version = "2"
    elif has_taxid:
        version = _version_from_db(db, reads_line) or "3"
    else:
        version = "4" if (db is None or "SGB" in db) else _version_from_db(db, reads_line)
    body = data[1:]
    require_rows(len(body), path, "MetaPhlAn")
    first_clade = next((ln.split("\t")[0] for _, ln in body if ln.split("\t")[0] not in _UNCLASSIFIED), "")
    style = "gtdb" if first_clade.startswith("d__") else "metaphlan"
    unclassified = [None] * len(names)
    builder = ProfileBuilder("clades")
    parsed = []
    for n, ln in body:
        tokens = split_row(ln, header, path, n)
        clade = tokens[0].strip()
        vals = [parse_value(v, path, n, names[i]) for i, v in enumerate(tokens[first_sample_col:])]
        if clade in _UNCLASSIFIED:
            unclassified = vals
            continue
        parsed.append((n, clade, tokens[1] if has_taxid else None, vals))
    samples = []
    for i, name in enumerate(names):
        u = unclassified[i]
        info = SampleInfo(source=str(path), format=FORMAT, units="percent", profiler="MetaPhlAn",
                          profiler_version=version, database=db, method="shotgun", unclassified=u,
                          unclassified_share=None if u is None else u / 100.0,
                          extra={"layout": "merged", "naming": style, "warnings": warnings})
        samples.append(builder.add_sample(name, info))
    for n, clade, taxids, vals in parsed:
        try:
            lineage, rank, tname = parse_prefixed(clade, style)
        except ValueError as exc:
            raise InputError(f"expected a MetaPhlAn clade name ({exc})", path, n, "clade_name") from None
        if rank is None or tname is None:
            raise InputError(f"clade {clade!r} names no taxon", path, n, "clade_name")
        taxid = last_taxid(taxids) if taxids else None
        t = builder.add_taxon(lineage, rank, tname, taxid)
        for s, v in zip(samples, vals, strict=True):
            builder.add_value(s, t, v, where=f"{path}:{n}")
    return builder.build()
