"""KrakenUniq (and its earlier name KrakenHLL) ``--report-file``.

Layout::

    # KrakenUniq v1.0.2 DATE:… DB:./krakenuniq DB_SIZE:… WD:…
    # CL:krakenuniq --db … --report-file …
    <blank line in v1.0.0>
    %	reads	taxReads	kmers	dup	cov	taxID	rank	taxName
    3.418	15525	15525	5226988	1.17	NA	0	no rank	unclassified
    96.58	438670	0	44598440	1.86	0.1568	1	no rank	root
    …

Ranks are full NCBI words (``superkingdom``, ``species group``, ``clade``, ``strain``); the name in the
last column is indented by two spaces per tree depth, as in Kraken reports. The value of each taxon is
``reads`` (the clade total) in counts; the ``unclassified`` row (taxID 0) is the unclassified count.
``cov`` and ``dup`` may be ``NA`` and are not used. Columns are found by header name.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..io import Peek, read_text
from ..profile import Profile, ProfileBuilder, SampleInfo
from ..taxonomy.ranks import UNCLASSIFIED
from .base import parse_value, sample_name_from_path, tab_lines
from .kraken import (
    ReportRow,
    add_tree,
    build_tree,
    check_not_truncated,
    indentation,
    parse_report_taxid,
    unclassified_share,
)

FORMAT = "krakenuniq"
ALIASES = ("krakenhll",)
DESCRIPTION = "KrakenUniq / KrakenHLL --report-file (reads, taxReads, kmers, dup, cov, taxID, rank, taxName)"

_COMMENT = re.compile(r"^#\s*(KrakenUniq|KrakenHLL)\b", re.IGNORECASE)
_VERSION = re.compile(r"\bv(\d[\w.\-]*)")
_DB = re.compile(r"\bDB:(\S+)")
_REQUIRED = ("reads", "taxReads", "taxID", "rank", "taxName")


def _is_header(line: str) -> bool:
    tokens = [t.strip() for t in line.rstrip("\r").split("\t")]
    return len(tokens) >= 5 and tokens[0] == "%" and tokens[1] == "reads" and tokens[2] == "taxReads"


def sniff(peek: Peek) -> bool:
    if peek.is_binary:
        return False
    lines = [ln for ln in peek.lines if ln.strip()][:12]
    return any(_COMMENT.match(ln) for ln in lines[:3]) or any(_is_header(ln) for ln in lines)


def read(path: Path, peek: Peek | None = None) -> Profile:
    path = Path(path)
    text = read_text(path)
    profiler, version, database = "KrakenUniq", None, None
    header: list[str] | None = None
    header_line = 0
    rows: list[ReportRow] = []
    unclassified: float | None = None
    unclassified_line: int | None = None
    for n, ln in tab_lines(text, path):
        if not ln.strip():
            continue
        if header is None:
            if ln.startswith("#"):
                m = _COMMENT.match(ln)
                if m:
                    profiler = "KrakenHLL" if m.group(1).lower() == "krakenhll" else "KrakenUniq"
                    v = _VERSION.search(ln)
                    version = v.group(1) if v and version is None else version
                    db = _DB.search(ln)
                    database = db.group(1) if db and database is None else database
                continue
            if not _is_header(ln):
                raise InputError("expected the KrakenUniq header '%\\treads\\ttaxReads\\tkmers\\tdup\\tcov\\ttaxID\\t"
                                 f"rank\\ttaxName' before the first row, found {ln[:60]!r}", path, n)
            header = [t.strip() for t in ln.split("\t")]
            missing = [c for c in _REQUIRED if c not in header]
            if missing:
                raise InputError(f"expected the KrakenUniq header to name the columns {', '.join(missing)}", path, n)
            header_line = n
            continue
        tokens = ln.split("\t")
        if len(tokens) != len(header):
            raise InputError(f"expected {len(header)} tab-separated columns like the header on line {header_line}, "
                             f"found {len(tokens)}; the line is cut short or the file is not one report", path, n)
        col = dict(zip(header, tokens, strict=True))
        clade = parse_value(col["reads"], path, n, "reads")
        direct = parse_value(col["taxReads"], path, n, "taxReads")
        taxid = parse_report_taxid(col["taxID"], path, n, "taxID")
        depth, name = indentation(col["taxName"], path, n, "taxName")
        rank_text = col["rank"].strip()
        if not rank_text:
            raise InputError("expected a rank name like 'species' or 'no rank', found an empty field", path, n,
                             "rank")
        if taxid == 0 and name.lower() == UNCLASSIFIED:
            if unclassified is not None:
                raise InputError(f"a second unclassified row (the first is on line {unclassified_line}); a report "
                                 "has one", path, n)
            unclassified, unclassified_line = clade, n
            continue
        rows.append(ReportRow(n, depth, rank_text, taxid, name, clade, direct))
    if header is None:
        raise InputError("no KrakenUniq header line ('%\\treads\\ttaxReads…') found; the file is empty or truncated",
                         path)
    if not rows and unclassified is None:
        raise InputError("no report rows after the header; the file is empty or truncated", path, header_line)
    tree = build_tree(rows, path, words=True)
    check_not_truncated(tree, path)
    note = None
    if unclassified is None:
        unclassified = 0.0
        note = "no unclassified row: KrakenUniq leaves it out when no read is unclassified"
    info = SampleInfo(
        source=str(path),
        format=FORMAT,
        units="counts",
        profiler=profiler,
        profiler_version=version,
        database=database,
        method="shotgun",
        unclassified=unclassified,
        unclassified_share=unclassified_share(unclassified, tree),
        extra={"layout": "krakenuniq", "naming": tree.style, "value": "clade reads ('reads' column)",
               **({"note": note} if note else {})},
    )
    builder = ProfileBuilder("clades")
    s = builder.add_sample(sample_name_from_path(path), info)
    add_tree(builder, s, tree, path)
    return builder.build()
