"""uBiome consumer exports: the JSON ``ubiome_bacteriacounts`` list and the CSV with the same fields.

Each entry is one NCBI taxon with its parent's taxid, its rank word, and ``count`` (reads assigned to
the clade) and ``count_norm`` (per million of Bacteria). So the file is a *tree*: lineages are built by
walking parent pointers, rows are clade totals (layout ``clades``) and ``count`` gives the units
(``counts``). Older exports store every value as a string; exports can be partial trees (a parent that is
not listed ends the walk, and the lineage holds what is known).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..errors import InputError
from ..io import Peek, read_text
from ..profile import Profile, ProfileBuilder, SampleInfo, taxon_key
from ..taxonomy.lineage import Lineage
from ..taxonomy.ranks import RANK_INDEX, rank_word
from .base import parse_taxid, parse_value, sample_name_from_path

FORMAT = "ubiome"
DESCRIPTION = "uBiome export (JSON ubiome_bacteriacounts or CSV count,count_norm,parent,tax_rank,…)"

FIELDS = ("count", "count_norm", "parent", "tax_rank", "tax_color", "avg", "taxon", "tax_name")
_REQUIRED = ("taxon", "parent", "count", "tax_name", "tax_rank")


def sniff(peek: Peek) -> bool:
    if peek.is_binary:
        return False
    text = peek.text.lstrip()
    if text.startswith("{"):
        return '"ubiome_bacteriacounts"' in text[:4096]
    first = text.split("\n", 1)[0].strip().lower()
    cols = {c.strip().strip('"') for c in first.split(",")}
    return {"count", "count_norm", "parent", "tax_rank", "taxon", "tax_name"} <= cols


def _entries(path: Path) -> tuple[list[tuple[int | None, dict]], str]:
    text = read_text(path)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except ValueError as exc:
            raise InputError(f"corrupt uBiome JSON ({exc})", path) from None
        rows = doc.get("ubiome_bacteriacounts") if isinstance(doc, dict) else None
        if not isinstance(rows, list):
            raise InputError("expected a JSON object with a 'ubiome_bacteriacounts' list", path,
                             field="ubiome_bacteriacounts")
        if not all(isinstance(r, dict) for r in rows):
            raise InputError("every ubiome_bacteriacounts entry must be an object", path,
                             field="ubiome_bacteriacounts")
        return [(None, r) for r in rows], "json"
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [f for f in _REQUIRED if f not in header]
    if missing:
        raise InputError(f"a uBiome CSV needs the columns {', '.join(_REQUIRED)}; missing {', '.join(missing)}",
                         path, 1)
    rows = []
    for n, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        rows.append((n, {k.strip(): v for k, v in row.items() if k is not None}))
    return rows, "csv"


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def read(path: Path, peek: Peek | None = None) -> Profile:
    entries, kind = _entries(path)
    if not entries:
        raise InputError("no uBiome taxa in the file; the export is empty", path)
    nodes: dict[int, dict] = {}
    order: list[int] = []
    for n, row in entries:
        for f in _REQUIRED:
            if f not in row:
                raise InputError(f"entry lacks {f!r}", path, n, f)
        taxid = parse_taxid(_text(row["taxon"]))
        if taxid is None:
            raise InputError(f"expected an NCBI taxid, found {row['taxon']!r}", path, n, "taxon")
        if taxid in nodes:
            raise InputError(f"taxon {taxid} is listed twice", path, n, "taxon")
        count = parse_value(_text(row["count"]), path, n, "count")
        name = _text(row["tax_name"])
        if not name:
            raise InputError(f"taxon {taxid} has no name", path, n, "tax_name")
        raw_rank = _text(row["tax_rank"]).replace("_", " ")
        nodes[taxid] = {"parent": parse_taxid(_text(row["parent"])), "name": name,
                        "rank": rank_word(raw_rank) if raw_rank else "no rank", "count": count, "line": n}
        order.append(taxid)

    def lineage_of(taxid: int) -> Lineage:
        lineage = Lineage.empty("plain")
        seen: set[int] = set()
        node: int | None = taxid
        while node is not None and node in nodes and node not in seen:
            seen.add(node)
            rec = nodes[node]
            if rec["rank"] in RANK_INDEX and lineage.get(rec["rank"]) is None:
                lineage = lineage.with_name(rec["rank"], rec["name"])
            node = rec["parent"]
        return lineage

    info = SampleInfo(source=str(path), format=FORMAT, units="counts", profiler="uBiome", method="16S",
                      extra={"export": kind, "layout": "clades",
                             "units_reason": "'count' holds reads assigned to each clade",
                             "method_reason": "uBiome sequenced the 16S rRNA V4 region"})
    builder = ProfileBuilder("clades")
    s = builder.add_sample(sample_name_from_path(path), info)
    for taxid in order:
        rec = nodes[taxid]
        lineage = lineage_of(taxid)
        key = taxon_key(lineage, rec["rank"], rec["name"], taxid)
        t = builder.add_taxon(lineage, rec["rank"], rec["name"], taxid, key=key)
        builder.add_value(s, t, rec["count"], where=f"{path}:{rec['line'] or taxid}")
    return builder.build()
