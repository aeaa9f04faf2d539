"""CAMI Bioboxes taxonomic profiles (the OPAL / CAMI challenge format).

Layout, one block per sample (a file may hold several)::

    @SampleID:<id>
    @Version:0.9.3
    @Ranks:superkingdom|phylum|class|order|family|genus|species|strain
    @TaxonomyID:…                                   (optional)
    @@TAXID\\tRANK\\tTAXPATH\\tTAXPATHSN\\tPERCENTAGE   (extra columns such as _CAMI_genomeID allowed)
    2\\tsuperkingdom\\t2\\tBacteria\\t100.0
    1239\\tphylum\\t2|1239\\tBacteria|Firmicutes\\t33.15985

MetaPhlAn 4 ``--CAMI_format_output`` puts its ``#mpa_v…`` / command / ``#N reads processed`` lines in
front; mOTUs ``-C`` puts ``# git tag version … motus version …`` lines in front. The profiler,
version and database are read from those lines.

Rows are clade totals (layout ``clades``) in percent. The lineage comes from ``TAXPATHSN``, whose
``|``-separated names line up with the ``@Ranks`` list (empty fields are ranks with no name); the taxid
from ``TAXID``; the rank from ``RANK`` through :func:`~gutskin.taxonomy.ranks.rank_word`
(``superkingdom`` → ``domain``). MetaPhlAn writes species with underscores (``Butyrivibrio_hungatei``);
they are read as spaces, as the MetaPhlAn reader does. By the CAMI definition, whatever the top rank
leaves short of 100 % is unassigned: that remainder is the sample's unclassified value. A row with no
name of its own (MetaPhlAn writes an empty genus above ``Coriobacteriaceae_bacterium_68_1_3``) is named
``unclassified <nearest named ancestor>``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..io import Peek, read_text
from ..profile import Profile, ProfileBuilder, SampleInfo
from ..taxonomy.lineage import Lineage, display_name
from ..taxonomy.ranks import RANK_INDEX, RANKS, rank_word
from .base import parse_value, sample_name_from_path, tab_lines
from .motus import parse_header as parse_motus_header

FORMAT = "cami"
DESCRIPTION = "CAMI Bioboxes profile (@SampleID/@Ranks/@@TAXID…), incl. MetaPhlAn and mOTUs CAMI output"

_DEFAULT_RANKS = ["superkingdom", "phylum", "class", "order", "family", "genus", "species", "strain"]
_DEFAULT_SAMPLE_IDS = {"", "Metaphlan_Analysis", "Metaphlan2_Analysis", "unnamed sample"}
_MPA_DB = re.compile(r"^#\s*(mpa_v\w+|v\d+_CHOCOPhlAn\w*|[\w.-]*CHOCOPhlAn\w*)\s*$")
_READS_LINE = re.compile(r"^#\s*(\d+) (reads|bases) processed")
_INT = re.compile(r"^\d+$")


def sniff(peek: Peek) -> bool:
    if peek.is_binary:
        return False
    seen = 0
    for ln in peek.lines[:200]:
        s = ln.strip()
        if not s or s.startswith("#"):
            continue
        if not s.startswith("@"):
            return False
        key = s.split(":", 1)[0].split("\t", 1)[0].strip().upper()
        if key in ("@SAMPLEID", "@@TAXID", "@VERSION", "@RANKS", "@TAXONOMYID", "@__PROGRAM__"):
            return True
        seen += 1
        if seen > 5:
            return False
    return False


def _header_value(line: str) -> tuple[str, str]:
    key, _, value = line.partition(":")
    return key.strip().lstrip("@").strip().upper(), value.strip()


def _profiler(comments: list[str], program: str | None) -> tuple[str | None, str | None, str | None, dict]:
    """Profiler, version, database and notes from the ``#`` lines a tool wrote before the CAMI blocks."""
    extra: dict = {}
    text = " ".join(comments)
    if "motus version" in text or "git tag version" in text:
        head = parse_motus_header(comments)
        extra["taxonomy"] = head.taxonomy
        return "mOTUs", head.version, head.database, extra
    db = next((m.group(1) for ln in comments if (m := _MPA_DB.match(ln))), None)
    reads_line = any(_READS_LINE.match(ln) for ln in comments)
    if db or "metaphlan" in text.lower() or (program and "metaphlan" in program.lower()):
        version = None
        if db:
            if "SGB" in db:
                version = "4"
            elif db.startswith(("mpa_v30", "mpa_v31")):
                version = "4" if reads_line else "3"
            elif db.startswith(("mpa_v20", "v20")):
                version = "2"
        elif reads_line:
            version = "4"
        return "MetaPhlAn", version, db, extra
    if program:
        parts = program.split()
        return parts[0], (parts[1] if len(parts) > 1 else None), None, extra
    return None, None, None, extra


def read(path: Path, peek: Peek | None = None) -> Profile:
    lines = tab_lines(read_text(path), path)
    first_at = next((i for i, (_, ln) in enumerate(lines) if ln.strip().startswith("@")), None)
    if first_at is None:
        raise InputError("no '@SampleID' / '@@TAXID' lines; not a CAMI profile", path)
    comments = [ln for _, ln in lines[:first_at] if ln.startswith("#")]
    blocks = _blocks(lines[first_at:], path)
    if not blocks:
        raise InputError("no CAMI sample block (@SampleID … @@TAXID …) found", path)
    program = next((b["headers"].get("__PROGRAM__") for b in blocks if b["headers"].get("__PROGRAM__")), None)
    profiler, version, database, notes = _profiler(comments, program)
    style = "metaphlan" if profiler == "MetaPhlAn" else "plain"

    builder = ProfileBuilder("clades")
    names = _sample_names([b["headers"].get("SAMPLEID", "") for b in blocks], path)
    for block, name in zip(blocks, names, strict=True):
        _read_block(builder, block, name, path, profiler, version, database, style, notes)
    return builder.build()


def _blocks(lines: list[tuple[int, str]], path: Path) -> list[dict]:
    """Split the CAMI part into sample blocks: header dict, column header, data rows."""
    blocks: list[dict] = []
    cur: dict | None = None
    for n, ln in lines:
        s = ln.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("@@"):
            if cur is None:
                cur = {"headers": {}, "start": n, "rows": []}
                blocks.append(cur)
            if cur.get("columns") is not None:
                raise InputError("a second '@@' column header in one sample block", path, n)
            cur["columns"] = [c.strip().lstrip("@").upper() for c in s.split("\t")]
            cur["columns_line"] = n
        elif s.startswith("@"):
            key, value = _header_value(s)
            if cur is None or cur.get("columns") is not None or (key == "SAMPLEID" and "SAMPLEID" in cur["headers"]):
                cur = {"headers": {}, "start": n, "rows": []}
                blocks.append(cur)
            cur["headers"][key] = value
        else:
            if cur is None or cur.get("columns") is None:
                raise InputError("data row before the '@@TAXID\\tRANK\\tTAXPATH\\tTAXPATHSN\\tPERCENTAGE' "
                                 "column header", path, n)
            cur["rows"].append((n, ln.rstrip("\r\n")))
    for b in blocks:
        if b.get("columns") is None:
            raise InputError("sample block has no '@@TAXID…' column header; the file looks truncated",
                             path, b["start"])
    return blocks


def _sample_names(raw: list[str], path: Path) -> list[str]:
    stem = sample_name_from_path(path)
    out: list[str] = []
    for i, name in enumerate(raw):
        base = name.strip()
        if base in _DEFAULT_SAMPLE_IDS:
            base = stem if len(raw) == 1 else f"{stem}.{i + 1}"
        candidate, k = base, 1
        while candidate in out:
            k += 1
            candidate = f"{base}.{k}"
        out.append(candidate)
    return out


def _read_block(builder: ProfileBuilder, block: dict, name: str, path: Path, profiler: str | None,
                version: str | None, database: str | None, style: str, notes: dict) -> None:
    cols: list[str] = block["columns"]
    col_no = block["columns_line"]
    need = {c: (cols.index(c) if c in cols else None) for c in ("TAXID", "RANK", "TAXPATH", "TAXPATHSN",
                                                                  "PERCENTAGE")}
    missing = [c for c in ("TAXID", "RANK", "PERCENTAGE") if need[c] is None]
    if missing:
        raise InputError(f"the '@@' column header lacks {', '.join(missing)}; expected "
                         "@@TAXID\tRANK\tTAXPATH\tTAXPATHSN\tPERCENTAGE", path, col_no)
    headers = block["headers"]
    rank_words = [r.strip() for r in headers["RANKS"].split("|")] if headers.get("RANKS") else _DEFAULT_RANKS
    rank_pos = {r.lower(): i for i, r in enumerate(rank_words)}
    n_min = max(i for i in need.values() if i is not None) + 1

    rows = []
    for n, ln in block["rows"]:
        tokens = ln.split("\t")
        if len(tokens) < n_min:
            raise InputError(f"expected {len(cols)} tab-separated columns ({', '.join(cols)}), found {len(tokens)}",
                             path, n)
        value = parse_value(tokens[need["PERCENTAGE"]], path, n, "PERCENTAGE")
        raw_rank = tokens[need["RANK"]].strip()
        if not raw_rank:
            raise InputError("empty RANK", path, n, "RANK")
        rows.append((n, tokens, raw_rank, value))

    # CAMI: what the top rank leaves short of 100 % is unassigned
    top = next((r for r in rank_words if any(row[2].lower() == r.lower() for row in rows)), None)
    unclassified = None
    if top is not None:
        total_top = sum(row[3] for row in rows if row[2].lower() == top.lower())
        unclassified = max(0.0, 100.0 - total_top)
    info = SampleInfo(
        source=str(path), format=FORMAT, units="percent", profiler=profiler, profiler_version=version,
        database=database, method="shotgun", unclassified=unclassified,
        unclassified_share=None if unclassified is None else unclassified / 100.0,
        extra={"layout": "cami", "cami_version": headers.get("VERSION"),
               "taxonomy_id": headers.get("TAXONOMYID"), "sample_id": headers.get("SAMPLEID"),
               "ranks": rank_words, **notes},
    )
    s = builder.add_sample(name, info)
    for n, tokens, raw_rank, value in rows:
        taxid_text = tokens[need["TAXID"]].strip()
        names = tokens[need["TAXPATHSN"]].split("|") if need["TAXPATHSN"] is not None else []
        if need["TAXPATHSN"] is None and need["TAXPATH"] is not None:
            names = tokens[need["TAXPATH"]].split("|")  # no names: taxids stand in for them
        lineage, own = _lineage(names, raw_rank, rank_words, rank_pos, style, path, n)
        rank = rank_word(raw_rank)
        if not own:  # MetaPhlAn writes a nameless, taxid-less genus above "Coriobacteriaceae bacterium …"
            parent = next((x for x in reversed(names[:-1]) if x.strip()), None)
            own = f"unclassified {display_name(parent, style)}" if parent else taxid_text
        if not own:
            raise InputError("row names no taxon (empty TAXID and TAXPATHSN)", path, n)
        if rank in RANK_INDEX and lineage.get(rank) is None:
            lineage = lineage.with_name(rank, own)
        taxid = int(taxid_text) if _INT.match(taxid_text) and int(taxid_text) > 0 else None
        t = builder.add_taxon(lineage, rank, own, taxid)
        builder.add_value(s, t, value, where=f"{path}:{n}")


def _lineage(names: list[str], raw_rank: str, rank_words: list[str], rank_pos: dict[str, int], style: str,
             path: Path, n: int) -> tuple[Lineage, str | None]:
    """Canonical lineage from TAXPATHSN names aligned on @Ranks, and the row's own name."""
    clean = [display_name(x, style) if x.strip() else "" for x in names]
    pos = rank_pos.get(raw_rank.lower())
    if len(clean) > len(rank_words):
        raise InputError(f"TAXPATHSN has {len(clean)} names but @Ranks lists {len(rank_words)} ranks",
                         path, n, "TAXPATHSN")
    own = clean[-1] if clean and clean[-1] else None
    slots: list[str | None] = [None] * len(RANKS)
    if pos is not None and len(clean) == pos + 1:  # aligned with @Ranks, as the format defines
        for word, nm in zip(rank_words, clean, strict=False):
            canon = rank_word(word)
            if canon in RANK_INDEX and nm:
                slots[RANK_INDEX[canon]] = nm
    return Lineage(tuple(slots), "plain"), own
