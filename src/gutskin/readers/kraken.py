"""Kraken-style reports: Kraken 1 and 2, Bracken ``-w``, centrifuge-kreport, GTDB databases and Metabuli.

All of these write one taxon per line, tab-separated, no header, with the name indented by two spaces
per tree depth:

=========================  =========================================================================
Kraken 2 ``--report``      ``pct clade direct code taxid name`` (6 columns), codes ``U R D K P C O F
                           G S`` plus digits for ranks in between (``R1``, ``D1``, ``S2``)
Kraken 2 minimizer report  ``--report-minimizer-data``: 8 columns, ``minimizers distinct_minimizers``
                           after ``direct``
Kraken 1 report            6 columns, ``-`` as the code of every non-standard rank, root included
centrifuge-kreport         the Kraken 1 layout (it is a port of ``kraken-report``)
Bracken ``-w``             the Kraken 2 layout with re-estimated counts; percentages not padded
GTDB kraken2 database      every GTDB rank is "no rank" (codes ``R1 R2 R3…``); names carry
                           ``d__ p__ c__ …`` prefixes, which give the rank
Metabuli                   6 columns; column 4 is a rank *name* (``no rank``, ``superkingdom``,
                           ``species``); 4-decimal percentages
=========================  =========================================================================

Which tool wrote a file is set from what its content proves: rank names mean Metabuli, minimizer
columns mean Kraken 2, unpadded percentages or siblings not sorted by clade reads mean Bracken (Kraken
and centrifuge-kreport pad and sort), ``-`` codes mean the Kraken 1 layout (also centrifuge-kreport's).
Anything else is called Kraken 2, and ``extra["note"]`` says what could not be told apart.

Each taxon's value is its clade total (column 2, reads in the clade) in ``counts``. The lineage of
every row is built from the indentation tree: the canonical slots (domain … strain) come from the row
itself and its ancestors. Kraken 1's ``-`` codes are turned into the codes Kraken 2 would write for
the same node (the code of the nearest standard-ranked ancestor plus the number of levels below it), so
``cellular organisms`` is ``R1`` and a strain below a species is ``S1`` in both.

A canonical rank can sit inside a clade that already holds it (Metabuli and KrakenUniq write
``subspecies`` → … → ``strain``, NCBI puts the realm ``Riboviria`` below the superkingdom
``Viruses``). The outer row keeps the canonical rank; the inner one keeps its own rank word (``realm``)
or, when that word is the canonical one, ``<rank> (nested)``, so every canonical rank still counts each
read once.

The ``U`` row is the unclassified count, and ``unclassified_share = U / (U + classified)`` where
classified is the root's clade (the sum of top-level clades when there is no root).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from ..errors import InputError
from ..io import Peek, read_text
from ..profile import Profile, ProfileBuilder, SampleInfo, taxon_key
from ..taxonomy.lineage import Lineage
from ..taxonomy.ranks import (
    NO_RANK,
    PREFIX_RANK,
    RANK_INDEX,
    RANKS,
    UNCLASSIFIED,
    is_canonical,
    is_kraken_code,
    kraken_rank,
    rank_word,
    split_kraken_code,
)
from .base import parse_value, sample_name_from_path, tab_lines

FORMAT = "kraken_report"
ALIASES = ("kraken2", "kreport", "bracken_report", "centrifuge", "metabuli")
DESCRIPTION = ("Kraken-style report: Kraken 1/2 (6 or 8 columns, GTDB databases), Bracken -w, "
               "centrifuge-kreport, Metabuli")

_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\s*$")
_INTEGER = re.compile(r"^\s*\d+\s*$")
_RANK_WORD = re.compile(r"^[a-z][a-z ]*[a-z]$")
_GTDB_NAME = re.compile(r"^([dpcofgs])__(\S.*)$")
# Kraken 1 and 2 and centrifuge-kreport print the percentage with %6.2f; Bracken with %0.2f
_UNPADDED_PCT = re.compile(r"^\d{1,2}\.\d\d$")
_TOLERANCE = 1e-6


# ---------------------------------------------------------------------------------------------- sniffing
def _line_kind(tokens: list[str]) -> str | None:
    """``codes6``, ``codes8`` or ``words`` when a line has a kraken-style report's shape, else ``None``."""
    if len(tokens) not in (6, 8):
        return None
    numbers = tokens[1:3] + (tokens[3:5] if len(tokens) == 8 else [])
    if not _NUMBER.match(tokens[0]) or not all(_INTEGER.match(t) for t in numbers):
        return None
    rank, taxid, name = tokens[-3].strip(), tokens[-2], tokens[-1]
    if not _INTEGER.match(taxid) or not name.strip():
        return None
    if is_kraken_code(rank):
        return f"codes{len(tokens)}"
    if len(tokens) == 6 and _RANK_WORD.match(rank):
        return "words"
    return None


def sniff(peek: Peek) -> bool:
    if peek.is_binary:
        return False
    data = [ln for ln in peek.lines if ln.strip() and not ln.startswith("#")][:40]
    if not data:
        return False
    kinds = [_line_kind(ln.rstrip("\r").split("\t")) for ln in data]
    # the first line must have the shape; a few damaged lines later on are left for read() to name
    return kinds[0] is not None and sum(k != kinds[0] for k in kinds) <= max(2, len(kinds) // 10)


# ---------------------------------------------------------------------------------------------- the tree
@dataclass
class ReportRow:
    """One taxon line of a kraken-style report, as written."""

    line: int
    depth: int
    rank_text: str
    taxid: int | None
    name: str
    clade: float
    direct: float


@dataclass
class ReportNode:
    """A row placed in the tree: its rank, canonical lineage and taxon key."""

    row: ReportRow
    rank: str
    name: str
    lineage: Lineage
    key: str
    letter: str | None = None  # Kraken code letter of the nearest standard-ranked node (for '-' codes)
    base_depth: int = 0
    children_clades: float = 0.0
    last_child_clade: float | None = None
    children: list[int] = field(default_factory=list)


@dataclass
class ReportTree:
    nodes: list[ReportNode]
    #: True when some siblings are not in descending clade order (Kraken itself always sorts them)
    unsorted_siblings: bool
    style: str
    #: the last row and its ancestors: the clades still open where the file ends
    open_at_end: list[int] = field(default_factory=list)


def indentation(raw_name: str, path: Path, line: int, field_name: str = "name") -> tuple[int, str]:
    """(depth, name) from an indented name column: two spaces per tree depth."""
    stripped = raw_name.lstrip(" ")
    spaces = len(raw_name) - len(stripped)
    if spaces % 2:
        raise InputError(f"expected the name indented by 2 spaces per tree depth, found {spaces} spaces",
                         path, line, field_name)
    name = stripped.strip()
    if not name:
        raise InputError("expected a taxon name, found an empty field", path, line, field_name)
    return spaces // 2, name


def parse_count(text: str, path: Path, line: int, field_name: str) -> float:
    """A read count: a finite number ≥ 0."""
    return parse_value(text, path, line, field_name)


def parse_report_taxid(text: str, path: Path, line: int, field_name: str = "taxid") -> int:
    raw = text.strip()
    if not _INTEGER.match(raw):
        raise InputError(f"expected an integer taxid, found {raw!r}", path, line, field_name)
    return int(raw)


def _nested_label(rank: str, rank_text: str, words: bool) -> str:
    if words:
        word = rank_text.strip().lower()
        return word if word != rank else f"{rank} (nested)"
    return rank_text if not is_canonical(kraken_rank(rank_text)) else f"{rank} (nested)"


def build_tree(rows: list[ReportRow], path: Path, *, words: bool) -> ReportTree:
    """Place report rows in their indentation tree, giving each a rank, lineage and unique key.

    ``words``: column 4 holds rank names (Metabuli, KrakenUniq) rather than Kraken codes. Raises
    :class:`InputError` for indentation jumps and for clades smaller than their own parts.
    """
    nodes: list[ReportNode] = []
    stack: list[int] = []
    used: set[str] = set()
    unsorted = False
    style = "ncbi"
    for row in rows:
        limit = nodes[stack[-1]].row.depth + 1 if stack else 0
        if row.depth > limit:
            if stack:
                parent = nodes[stack[-1]]
                raise InputError(
                    f"expected {row.name!r} at most one level (2 spaces) deeper than the row above it "
                    f"({parent.row.name!r}, depth {parent.row.depth}), found depth {row.depth}", path, row.line,
                    "name")
            raise InputError(f"expected the first taxon at depth 0 (no indentation), found depth {row.depth}",
                             path, row.line, "name")
        while stack and nodes[stack[-1]].row.depth >= row.depth:
            stack.pop()
        parent = nodes[stack[-1]] if stack else None
        if row.direct > row.clade + _TOLERANCE:
            raise InputError(f"expected the reads assigned directly to {row.name!r} ({_fmt(row.direct)}) to be at "
                             f"most its clade reads ({_fmt(row.clade)})", path, row.line)
        rank, name, letter, base = _resolve_rank(row, parent, words)
        if _GTDB_NAME.match(row.name) and not words:
            style = "gtdb"
        names = list(parent.lineage.names) if parent else [None] * len(RANKS)
        if is_canonical(rank):
            idx = RANK_INDEX[rank]
            if any(n is not None for n in names[idx:]):
                rank = _nested_label(rank, row.rank_text, words)
            else:
                names[idx] = name
        lineage = Lineage(tuple(names), "gtdb" if _GTDB_NAME.match(row.name) else "ncbi")
        key = taxon_key(lineage, rank, name) if is_canonical(rank) else taxon_key(lineage, rank, name, row.taxid)
        if key in used:
            base_key = lineage.to_string()
            alt = f"{base_key}|{rank}:{name}:{row.taxid}" if base_key else f"{rank}:{name}:{row.taxid}"
            if alt in used:
                raise InputError(f"taxon {name!r} (taxid {row.taxid}) is listed twice; a report lists each taxon "
                                 "once", path, row.line)
            key = alt
        used.add(key)
        node = ReportNode(row=row, rank=rank, name=name, lineage=lineage, key=key, letter=letter, base_depth=base)
        idx_node = len(nodes)
        nodes.append(node)
        if parent is not None:
            parent.children.append(idx_node)
            parent.children_clades += row.clade
            if parent.last_child_clade is not None and row.clade > parent.last_child_clade + _TOLERANCE:
                unsorted = True
            parent.last_child_clade = row.clade
        stack.append(idx_node)
    # top-level siblings (normally just root) are sorted too
    tops = [n.row.clade for n in nodes if n.row.depth == 0]
    if any(b > a + _TOLERANCE for a, b in pairwise(tops)):
        unsorted = True
    for node in nodes:
        inside = node.children_clades + node.row.direct
        if inside > node.row.clade + _TOLERANCE:
            raise InputError(
                f"expected the clade reads of {node.name!r} ({_fmt(node.row.clade)}) to be at least its direct "
                f"reads plus its children's clade reads ({_fmt(inside)}); the tree is inconsistent", path,
                node.row.line)
    return ReportTree(nodes, unsorted, style, list(stack))


def check_not_truncated(tree: ReportTree, path: Path) -> None:
    """For counts written by the classifier itself, where a clade is exactly its direct reads plus its
    children's clades: a clade still open at the end of the file with reads unaccounted for means the
    file was cut short."""
    for i in tree.open_at_end:
        node = tree.nodes[i]
        inside = node.children_clades + node.row.direct
        if node.row.clade - inside > _TOLERANCE:
            last = tree.nodes[-1].row.line
            raise InputError(
                f"the report ends inside the clade of {node.name!r} (line {node.row.line}), whose "
                f"{_fmt(node.row.clade)} reads are more than its direct reads plus its listed children's "
                f"({_fmt(inside)}); the file looks truncated", path, last)


def _resolve_rank(row: ReportRow, parent: ReportNode | None, words: bool) -> tuple[str, str, str | None, int]:
    """(rank, display name, code letter, depth of that letter's node) for one row."""
    if words:
        rank = rank_word(row.rank_text)
        if rank == NO_RANK and row.taxid == 1 and row.depth == 0:
            rank = "root"
        return rank, row.name, None, row.depth
    code = row.rank_text
    split = split_kraken_code(code)
    if split:
        letter, digits = split
        rank = kraken_rank(code)
        base = row.depth - digits
    elif parent is not None and parent.letter is not None:  # Kraken 1 '-': what Kraken 2 would write
        letter, base = parent.letter, parent.base_depth
        rank = kraken_rank(f"{letter}{row.depth - base}")
    elif row.taxid == 1:
        letter, base, rank = "R", row.depth, "root"
    else:
        letter, base, rank = None, row.depth, NO_RANK
    name = row.name
    gtdb = _GTDB_NAME.match(name)
    if gtdb:  # GTDB kraken2 databases: every rank is "no rank", the name prefix says which
        rank, name = PREFIX_RANK[gtdb.group(1)], gtdb.group(2).strip()
    return rank, name, letter, base


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def add_tree(builder: ProfileBuilder, sample: int, tree: ReportTree, path: Path) -> None:
    for node in tree.nodes:
        t = builder.add_taxon(node.lineage, node.rank, node.name, node.row.taxid, key=node.key)
        builder.add_value(sample, t, node.row.clade, where=f"{path}:{node.row.line}")


def classified_total(tree: ReportTree) -> float:
    """Reads in top-level clades (the root's clade when the report has a root)."""
    return sum(n.row.clade for n in tree.nodes if n.row.depth == 0)


def unclassified_share(unclassified: float | None, tree: ReportTree) -> float | None:
    if unclassified is None:
        return None
    total = unclassified + classified_total(tree)
    return unclassified / total if total > 0 else None


# ---------------------------------------------------------------------------------------------- reading
def read(path: Path, peek: Peek | None = None) -> Profile:
    path = Path(path)
    text = read_text(path)
    rows: list[ReportRow] = []
    pct_tokens: list[str] = []
    unclassified: float | None = None
    unclassified_line: int | None = None
    n_cols: int | None = None
    kind: str | None = None
    has_dash = False
    for n, ln in tab_lines(text, path):
        if not ln.strip() or ln.startswith("#"):
            continue
        tokens = ln.split("\t")
        if n_cols is None:
            if len(tokens) not in (6, 8):
                raise InputError(
                    "expected a kraken-style report line with 6 tab-separated columns (percent, clade reads, "
                    f"direct reads, rank, taxid, name; 8 with minimizer data), found {len(tokens)}", path, n)
            n_cols = len(tokens)
        elif len(tokens) != n_cols:
            raise InputError(f"expected {n_cols} tab-separated columns like the first report line, found "
                             f"{len(tokens)}; the line is cut short or the file is not one report", path, n)
        parse_value(tokens[0], path, n, "percent")
        clade = parse_count(tokens[1], path, n, "clade_reads")
        direct = parse_count(tokens[2], path, n, "direct_reads")
        if n_cols == 8:
            parse_count(tokens[3], path, n, "minimizers")
            parse_count(tokens[4], path, n, "distinct_minimizers")
        rank_text = tokens[-3].strip()
        taxid = parse_report_taxid(tokens[-2], path, n)
        depth, name = indentation(tokens[-1], path, n)
        if is_kraken_code(rank_text):
            line_kind = "codes"
        elif n_cols == 6 and _RANK_WORD.match(rank_text.lower()):
            line_kind = "words"
        else:
            raise InputError(
                "expected a Kraken rank code (U, R, D, K, P, C, O, F, G or S, optionally followed by digits, or "
                f"'-') or a rank name like 'species', found {rank_text!r}", path, n, "rank")
        if kind is None:
            kind = line_kind
        elif kind != line_kind:
            written = "rank names" if kind == "words" else "Kraken codes"
            raise InputError(f"expected every rank in column 4 written as {written} like the first line, found "
                             f"{rank_text!r}", path, n, "rank")
        is_u = rank_text == "U" if kind == "codes" else (taxid == 0 and name.lower() == UNCLASSIFIED)
        if is_u:
            if unclassified is not None:
                raise InputError(f"a second unclassified row (the first is on line {unclassified_line}); a report "
                                 "has one", path, n)
            unclassified, unclassified_line = clade, n
            continue
        has_dash = has_dash or rank_text == "-"
        pct_tokens.append(tokens[0])
        rows.append(ReportRow(n, depth, rank_text, taxid, name, clade, direct))
    if n_cols is None:
        raise InputError("no report rows found; expected a kraken-style report (the file is empty or truncated)",
                         path)
    words = kind == "words"
    tree = build_tree(rows, path, words=words)
    bracken_reasons = [] if words or n_cols == 8 else _bracken_evidence(pct_tokens, tree)
    if not bracken_reasons:  # Bracken drops reads below its threshold, so its clades need not add up
        check_not_truncated(tree, path)
    profiler, version, note = _profiler(words, n_cols, bracken_reasons, has_dash)
    notes = [note]
    if unclassified is None:
        if profiler == "Bracken":
            notes.append("no U row: Bracken -w reports leave unclassified reads out, so they are not known")
        else:
            unclassified = 0.0
            notes.append("no U row: the tool writes it only when some reads are unclassified")
    info = SampleInfo(
        source=str(path),
        format=FORMAT,
        units="counts",
        profiler=profiler,
        profiler_version=version,
        database="GTDB" if tree.style == "gtdb" else None,
        method="shotgun",
        unclassified=unclassified,
        unclassified_share=unclassified_share(unclassified, tree),
        extra={
            "layout": "metabuli" if words else f"{n_cols}-column",
            "naming": tree.style,
            "value": "clade reads (column 2)",
            "note": "; ".join(notes),
            **({"rank_codes": "Kraken 1 '-' codes replaced by the codes Kraken 2 writes"} if has_dash else {}),
        },
    )
    builder = ProfileBuilder("clades")
    s = builder.add_sample(sample_name_from_path(path), info)
    add_tree(builder, s, tree, path)
    return builder.build()


def _bracken_evidence(pct_tokens: list[str], tree: ReportTree) -> list[str]:
    reasons = []
    if any(_UNPADDED_PCT.match(t) for t in pct_tokens):
        reasons.append("percentages are not padded to 6 characters as Kraken and centrifuge-kreport print them")
    if tree.unsorted_siblings:
        reasons.append("siblings are not sorted by clade reads as Kraken and centrifuge-kreport sort them")
    return reasons


def _profiler(words: bool, n_cols: int, bracken_reasons: list[str], has_dash: bool) -> tuple[str, str | None, str]:
    if words:
        return "Metabuli", None, "rank names in column 4 are Metabuli's report layout"
    if n_cols == 8:
        return "Kraken2", None, "minimizer columns (--report-minimizer-data) are written only by Kraken 2"
    if bracken_reasons:
        return "Bracken", None, "Bracken -w report: " + " and ".join(bracken_reasons)
    if has_dash:
        return ("Kraken", "1", "'-' rank codes are the Kraken 1 kraken-report layout; centrifuge-kreport writes the "
                "same layout, so this may be Centrifuge output")
    return ("Kraken2", None, "Kraken 2 report layout; Bracken -w reports and centrifuge-kreport can write the same "
            "layout, which content cannot always tell apart")
