"""MetaPhlAn-style ("mpa") Kraken reports: KrakenTools ``kreport2mpa.py`` and Kraken 2 ``--use-mpa-style``.

Layout::

    #Classification	sample_1            (optional; KrakenTools combine_mpa.py writes several samples)
    d__Bacteria	25808392
    d__Bacteria|p__Proteobacteria	10903399

Every row is a clade total in reads (counts). Elements are ``<letter>_<name>`` (the 2018 KrakenTools
wrote one underscore) or ``<letter>__<name>``. ``d p c o f g s`` fill the canonical lineage;
``k`` (kingdom), ``r`` (root) and ``x`` (``--intermediate-ranks``) are Kraken ranks with no canonical
slot, so they are left out of the lineage. A row that ends in one of them keeps that rank. Underscores
in names stand for spaces. The format carries no unclassified count.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..io import Peek, read_text
from ..profile import Profile, ProfileBuilder, SampleInfo, taxon_key
from ..taxonomy.lineage import display_name, parse_prefixed
from ..taxonomy.ranks import NO_RANK, UNCLASSIFIED
from .base import parse_value, require_rows, sample_name_from_path, tab_lines

FORMAT = "kraken_mpa"
ALIASES = ("kreport2mpa",)
DESCRIPTION = "mpa-style Kraken report (KrakenTools kreport2mpa.py, kraken2 --use-mpa-style)"

_ELEMENT = re.compile(r"^([a-zA-Z])(__?)(\S.*)$")
_CANONICAL_LETTERS = set("dpcofgs")
_OTHER_LETTERS = {"k": "kingdom", "r": "root", "x": NO_RANK, "u": UNCLASSIFIED}
_COUNT = re.compile(r"^\s*\d+(?:\.0+)?\s*$")
_HEADER = "#Classification"


def _looks_like_row(line: str) -> bool:
    tokens = line.rstrip("\r").split("\t")
    if len(tokens) < 2 or not all(_COUNT.match(t) for t in tokens[1:]):
        return False
    parts = tokens[0].split("|")
    return all(_ELEMENT.match(p) for p in parts)


def sniff(peek: Peek) -> bool:
    if peek.is_binary:
        return False
    lines = [ln for ln in peek.lines if ln.strip()]
    if not lines:
        return False
    if lines[0].startswith(_HEADER + "\t"):
        lines = lines[1:]
    data = lines[:40]
    if not data or any(ln.startswith("#") for ln in data):
        return False
    rows = [ln for ln in data if _looks_like_row(ln)]
    # the first line must be a row; a few damaged lines later on are left for read() to name
    if not rows or rows[0] is not data[0] or len(data) - len(rows) > max(2, len(data) // 10):
        return False
    # Kraken mpa lineages start at the domain (or root / an intermediate rank), never at MetaPhlAn's k__
    return any(_ELEMENT.match(ln.split("\t")[0].split("|")[0]).group(1).lower() in "drx" for ln in rows)


def _parse_path(path_text: str, path: Path, n: int) -> tuple[str, str, str, str]:
    """(canonical lineage string, own rank, own name, separator style) of one mpa lineage."""
    canonical = []
    own_rank = own_name = None
    seps = set()
    for part in path_text.split("|"):
        m = _ELEMENT.match(part.strip())
        if not m:
            raise InputError(f"expected a lineage of prefixed names like d__Bacteria|p__Proteobacteria, found "
                             f"element {part!r}", path, n, "classification")
        letter, sep, raw = m.group(1).lower(), m.group(2), m.group(3)
        seps.add(sep)
        name = display_name(raw, "mpa")
        if letter in _CANONICAL_LETTERS:
            canonical.append(f"{letter}__{raw}")
            own_rank, own_name = None, name
        else:
            own_rank, own_name = _OTHER_LETTERS.get(letter, NO_RANK), name
    assert own_name is not None
    return "|".join(canonical), own_rank or "", own_name, "/".join(sorted(seps))


def read(path: Path, peek: Peek | None = None) -> Profile:
    path = Path(path)
    text = read_text(path)
    lines = [(n, ln) for n, ln in tab_lines(text, path) if ln.strip()]
    require_rows(len(lines), path, "mpa-style Kraken")
    samples = [sample_name_from_path(path)]
    if lines[0][1].startswith(_HEADER):
        header = [t.strip() for t in lines[0][1].split("\t")]
        if len(header) < 2 or not all(header[1:]):
            raise InputError("expected '#Classification' followed by one sample name per column", path, lines[0][0])
        samples = header[1:]
        lines = lines[1:]
    require_rows(len(lines), path, "mpa-style Kraken")
    n_cols = 1 + len(samples)
    parsed = []
    unclassified: list[float] | None = None
    seps: set[str] = set()
    for n, ln in lines:
        if ln.startswith("#"):
            raise InputError(f"expected a lineage row, found a comment line {ln[:40]!r}", path, n)
        tokens = ln.split("\t")
        if len(tokens) != n_cols:
            what = "the header" if n_cols > 2 else "a lineage and a read count"
            raise InputError(f"expected {n_cols} tab-separated columns ({what}), found {len(tokens)}; the line is cut "
                             "short or the file is not an mpa-style report", path, n)
        values = [parse_value(v, path, n, samples[i]) for i, v in enumerate(tokens[1:])]
        lineage_text = tokens[0].strip()
        if lineage_text.lower() in (UNCLASSIFIED, "u__unclassified", "u_unclassified"):
            unclassified = values
            continue
        canonical, own_rank, own_name, sep = _parse_path(lineage_text, path, n)
        seps.add(sep)
        parsed.append((n, lineage_text, canonical, own_rank, own_name, values))
    builder = ProfileBuilder("clades")
    totals = [0.0] * len(samples)
    for _, lineage_text, _, _, _, values in parsed:
        if "|" not in lineage_text:
            totals = [t + v for t, v in zip(totals, values, strict=True)]
    style = "single underscore (KrakenTools 2018)" if seps == {"_"} else "double underscore"
    sample_ids = []
    for i, name in enumerate(samples):
        u = None if unclassified is None else unclassified[i]
        denom = (u or 0.0) + totals[i]
        info = SampleInfo(
            source=str(path), format=FORMAT, units="counts", profiler=None, method="shotgun", unclassified=u,
            unclassified_share=None if u is None or denom == 0 else u / denom,
            extra={"layout": "mpa", "prefixes": style, "value": "clade reads",
                   "note": "mpa-style Kraken reports are written by KrakenTools kreport2mpa.py (from Kraken, Kraken 2 "
                           "or Bracken reports) and by kraken2 --use-mpa-style; content cannot tell which"},
        )
        sample_ids.append(builder.add_sample(name, info))
    used: dict[str, str] = {}
    children: dict[str, list[float]] = {}
    values_by_path: dict[str, tuple[int, list[float]]] = {}
    for n, lineage_text, canonical, own_rank, own_name, values in parsed:
        lineage, rank, name = parse_prefixed(canonical, "mpa") if canonical else parse_prefixed("", "mpa")
        if own_rank:  # the row ends in a k__/r__/x__ element: a rank with no canonical slot
            rank, name = own_rank, own_name
            key = taxon_key(lineage, rank, name)
            if key in used and used[key] != lineage_text:
                key = f"{key}|{lineage_text}"
        else:
            assert rank is not None and name is not None
            key = taxon_key(lineage, rank, name)
        if key in used:
            raise InputError(f"lineage {lineage_text!r} is listed twice (first as {used[key]!r}); each clade appears "
                             "once", path, n)
        used[key] = lineage_text
        t = builder.add_taxon(lineage, rank, name, key=key)
        for s, v in zip(sample_ids, values, strict=True):
            builder.add_value(s, t, v, where=f"{path}:{n}")
        values_by_path[lineage_text] = (n, values)
        if "|" in lineage_text:
            parent = lineage_text.rsplit("|", 1)[0]
            acc = children.setdefault(parent, [0.0] * len(values))
            children[parent] = [a + v for a, v in zip(acc, values, strict=True)]
    for parent, sums in children.items():
        if parent not in values_by_path:
            continue
        n, pvals = values_by_path[parent]
        for i, (sv, pv) in enumerate(zip(sums, pvals, strict=True)):
            if sv > pv + 1e-6:
                raise InputError(f"expected the clade reads of {parent.split('|')[-1]!r} ({pv:g}) to be at least the "
                                 f"sum of its children's ({sv:g}) in sample {samples[i]!r}; the rows are inconsistent",
                                 path, n)
    return builder.build()
