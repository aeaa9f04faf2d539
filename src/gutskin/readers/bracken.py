"""Bracken ``-o`` abundance tables (Bracken 1.x and 2.x).

Layout::

    name	taxonomy_id	taxonomy_lvl	kraken_assigned_reads	added_reads	new_est_reads	fraction_total_reads
    Salmonella enterica	28901	S	759772	411842	1171614	0.98589

One row per taxon at the level Bracken estimated (``S``, ``G``, … as Kraken codes, ``S1`` for
strains). The value is ``new_est_reads`` (counts). The file holds no ancestry, so each lineage has
only the taxon's own rank. ``fraction_total_reads`` is a share of the *classified* reads at that level;
unclassified reads are not in the table, so they are not known. Columns are found by header name,
and ``kraken_assigned_reads + added_reads = new_est_reads`` is checked on every row.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..io import Peek, read_text
from ..profile import Profile, ProfileBuilder, SampleInfo, taxon_key
from ..taxonomy.lineage import Lineage
from ..taxonomy.ranks import is_canonical, kraken_rank
from .base import parse_value, require_rows, sample_name_from_path, tab_lines

FORMAT = "bracken"
ALIASES = ("bracken_table",)
DESCRIPTION = "Bracken -o abundance table (name, taxonomy_id, taxonomy_lvl, …, new_est_reads, fraction_total_reads)"

COLUMNS = ("name", "taxonomy_id", "taxonomy_lvl", "kraken_assigned_reads", "added_reads", "new_est_reads",
           "fraction_total_reads")


def _header(line: str) -> list[str]:
    return [t.strip() for t in line.rstrip("\r").split("\t")]


def sniff(peek: Peek) -> bool:
    if peek.is_binary:
        return False
    first = next((ln for ln in peek.lines if ln.strip()), "")
    return _header(first)[:3] == list(COLUMNS[:3])


def read(path: Path, peek: Peek | None = None) -> Profile:
    path = Path(path)
    text = read_text(path)
    lines = [(n, ln) for n, ln in tab_lines(text, path) if ln.strip()]
    require_rows(len(lines), path, "Bracken")
    header_no, header_text = lines[0]
    header = _header(header_text)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"expected a Bracken -o header with the columns {', '.join(COLUMNS)}; missing "
                         f"{', '.join(missing)}", path, header_no)
    col = {c: header.index(c) for c in COLUMNS}
    body = lines[1:]
    require_rows(len(body), path, "Bracken")
    builder = ProfileBuilder("clades")
    levels: list[str] = []
    entries = []
    fraction_sum = 0.0
    for n, ln in body:
        tokens = ln.split("\t")
        if len(tokens) != len(header):
            raise InputError(f"expected {len(header)} tab-separated columns like the header, found {len(tokens)}; "
                             "the line is cut short or the file is not one Bracken table", path, n)
        name = tokens[col["name"]].strip()
        if not name:
            raise InputError("expected a taxon name, found an empty field", path, n, "name")
        raw_id = tokens[col["taxonomy_id"]].strip()
        if not raw_id.isdigit():
            raise InputError(f"expected an integer taxonomy_id, found {raw_id!r}", path, n, "taxonomy_id")
        level = tokens[col["taxonomy_lvl"]].strip()
        try:
            rank = kraken_rank(level)
        except ValueError:
            raise InputError(f"expected a Kraken level code (D, P, C, O, F, G, S, S1 …), found {level!r}", path, n,
                             "taxonomy_lvl") from None
        assigned = parse_value(tokens[col["kraken_assigned_reads"]], path, n, "kraken_assigned_reads")
        added = parse_value(tokens[col["added_reads"]], path, n, "added_reads")
        new_est = parse_value(tokens[col["new_est_reads"]], path, n, "new_est_reads")
        fraction = parse_value(tokens[col["fraction_total_reads"]], path, n, "fraction_total_reads")
        if fraction > 1 + 1e-6:
            raise InputError(f"expected fraction_total_reads between 0 and 1, found {fraction}", path, n,
                             "fraction_total_reads")
        if abs(assigned + added - new_est) > 0.5:
            raise InputError(f"expected new_est_reads = kraken_assigned_reads + added_reads ({assigned:g} + "
                             f"{added:g}), found {new_est:g}", path, n, "new_est_reads")
        if level not in levels:
            levels.append(level)
        entries.append((n, name, int(raw_id), rank, new_est))
        fraction_sum += fraction
    # Bracken's fractions are of the reads it re-estimated, over the rows it wrote: they sum to 1 (5 decimals
    # per row). A table short of that lost rows (cut at a line boundary, or edited)
    if abs(fraction_sum - 1.0) > 0.005 + 1e-5 * len(entries):
        raise InputError(f"fraction_total_reads adds up to {fraction_sum:.5f}, not 1; the table looks truncated "
                         "or edited", path, body[-1][0], "fraction_total_reads")
    info = SampleInfo(
        source=str(path),
        format=FORMAT,
        units="counts",
        profiler="Bracken",
        method="shotgun",
        unclassified=None,
        unclassified_share=None,
        extra={"layout": "bracken -o", "level": levels[0] if len(levels) == 1 else levels,
               "value": "new_est_reads",
               "note": "a Bracken table holds one rank and no ancestry, and leaves unclassified reads out"},
    )
    s = builder.add_sample(sample_name_from_path(path), info)
    for n, name, taxid, rank, value in entries:
        if is_canonical(rank):
            lineage = Lineage.empty("ncbi").with_name(rank, name)
            key = taxon_key(lineage, rank, name)
        else:
            lineage = Lineage.empty("ncbi")
            key = taxon_key(lineage, rank, name, taxid)
        t = builder.add_taxon(lineage, rank, name, taxid, key=key)
        builder.add_value(s, t, value, where=f"{path}:{n}")
    return builder.build()
