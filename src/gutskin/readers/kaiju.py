"""Kaiju ``kaiju2table`` tables, one or several samples per file.

Layout (Kaiju 1.7–1.9)::

    file\\tpercent\\treads\\ttaxon_id\\ttaxon_name
    s1_kaiju.out\\t22.902338\\t6133128\\t1239\\tFirmicutes
    s1_kaiju.out\\t0.000000\\t0\\t10239\\tViruses
    s1_kaiju.out\\t10.372000\\t2777568\\tNA\\tcannot be assigned to a (non-viral) phylum
    s1_kaiju.out\\t2.806271\\t751505\\tNA\\tunclassified

Newer Kaiju names the last column after the rank (``taxon_id\\tgenus``), ``taxon_path`` with ``-p``, or
one column per rank with ``-l``, and writes ``0`` instead of ``NA`` in ``taxon_id`` of the summary rows.
All of these are read.

Decisions
---------
* **Rank of the table.** kaiju2table reports one rank (``-r``). The file does not say which in its
  header (before 1.10), but every sample block ends with ``cannot be assigned to a (non-viral) <rank>``:
  that row names it. Failing that, a newer header's rank column names it; failing both, rows get rank
  ``no rank`` and keep their names (``at_rank`` then refuses, as it must).
* **Lineages.** Plain names fill only the table rank's slot. A ``;``-joined path (``-p``) gives the
  domain when it holds Bacteria/Archaea/Eukaryota; an ``-l`` list (``NA`` where a rank is missing) is
  lined up on the ranks superkingdom…species (on the ``-l`` header itself in newer Kaiju), so
  :meth:`Profile.at_rank` can roll up to higher ranks.
* **Summary rows.** ``cannot be assigned to a (non-viral) <rank>`` and ``unclassified`` are summed into
  the sample's unclassified value; ``belong to a (non-viral) <rank> having less than …`` (``-c``/``-m``
  filters) are classified reads too small to list, recorded in ``extra["below_threshold_reads"]``.
  ``Viruses`` (all viral reads, reported whatever the rank unless ``-e``) is kept as a ``no rank`` row, so
  it never poses as a phylum or genus; its reads are in ``extra["viral_reads"]``.
* ``taxonid:NNN`` names (no names.dmp entry) are kept as written; the taxid comes from ``taxon_id``.
* Values are read counts (``reads``); ``percent`` is checked but not kept. Sample names are the ``file``
  column's base name without suffix (``s1_kaiju.out`` → ``s1_kaiju``); the full path when those collide.
* A table with zero reads (MultiQC issue 2160) has no taxa and an unclassified share of 1.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from ..errors import InputError
from ..io import Peek, read_text
from ..profile import Profile, ProfileBuilder, SampleInfo
from ..taxonomy.lineage import Lineage
from ..taxonomy.ranks import NO_RANK, RANK_INDEX, rank_word
from .base import parse_taxid, parse_value, sample_name_from_path, split_row, tab_lines

FORMAT = "kaiju"
DESCRIPTION = "Kaiju kaiju2table output (one rank; one or several samples told apart by the 'file' column)"

_FIXED = ["file", "percent", "reads", "taxon_id"]
_CANNOT = re.compile(r"^cannot be assigned to a \(non-viral\) (.+)$")
_BELOW = re.compile(r"^belong to a \(non-viral\) (\S+) (having|with) less than")
_DOMAINS = {"Bacteria", "Archaea", "Eukaryota", "Viruses"}
_STANDARD_L = ["superkingdom", "phylum", "class", "order", "family", "genus", "species"]
_VIRUSES_TAXID = 10239


def sniff(peek: Peek) -> bool:
    if peek.is_binary:
        return False
    first = next((ln for ln in peek.lines if ln.strip()), "")
    tokens = [t.strip() for t in first.split("\t")]
    return tokens[:4] == _FIXED and len(tokens) >= 5


def read(path: Path, peek: Peek | None = None) -> Profile:
    lines = [(n, ln) for n, ln in tab_lines(read_text(path), path) if ln.strip()]
    if not lines:
        raise InputError("the file is empty; expected a kaiju2table table", path)
    header_no, header_line = lines[0]
    header = [t.strip() for t in header_line.split("\t")]
    if header[:4] != _FIXED or len(header) < 5:
        raise InputError("expected the kaiju2table header 'file\\tpercent\\treads\\ttaxon_id\\ttaxon_name'",
                         path, header_no)
    name_cols = header[4:]
    body = lines[1:]
    if not body:
        raise InputError("the kaiju2table table has a header but no rows; the file is empty or truncated", path)

    parsed = []
    percent_sum: dict[str, float] = {}
    last_line: dict[str, int] = {}
    table_ranks: set[str] = set()
    for n, ln in body:
        tokens = split_row(ln, header, path, n)
        file = tokens[0].strip()
        if not file:
            raise InputError("empty 'file' column", path, n, "file")
        percent = parse_value(tokens[1], path, n, "percent")
        percent_sum[file] = percent_sum.get(file, 0.0) + percent
        last_line[file] = n
        reads = parse_value(tokens[2], path, n, "reads")
        names = [t.strip() for t in tokens[4:]]
        label = names[0] if len(names) == 1 else ""
        m = _CANNOT.match(label)
        if m:
            table_ranks.add(m.group(1).strip())
        parsed.append((n, file, reads, tokens[3].strip(), names))

    if len(table_ranks) > 1:
        raise InputError(f"the table mixes ranks {sorted(table_ranks)}; kaiju2table writes one rank per table",
                         path)
    raw_rank = next(iter(table_ranks), None)
    if raw_rank is None and len(name_cols) == 1 and name_cols[0] not in ("taxon_name", "taxon_path"):
        raw_rank = name_cols[0]
    rank = rank_word(raw_rank) if raw_rank else NO_RANK
    if rank not in RANK_INDEX:
        rank = NO_RANK
    multi_rank = [rank_word(c) for c in name_cols] if len(name_cols) > 1 else None

    files = list(dict.fromkeys(p[1] for p in parsed))
    names_by_file = _sample_names(files)
    tallies = {f: {"unclassified": 0.0, "cannot": 0.0, "below": 0.0, "viral": 0.0, "total": 0.0} for f in files}
    taxa_rows = []
    naming = "names"
    for n, file, reads, taxon_id, names in parsed:
        tally = tallies[file]
        tally["total"] += reads
        label = names[0] if len(names) == 1 else ""
        if label == "unclassified":
            tally["unclassified"] += reads
            continue
        if _CANNOT.match(label):
            tally["cannot"] += reads
            continue
        if _BELOW.match(label):
            tally["below"] += reads
            continue
        taxid = parse_taxid(taxon_id)
        if taxid is None:
            raise InputError(f"expected a numeric taxon_id for taxon {' '.join(names)!r}, found {taxon_id!r}",
                             path, n, "taxon_id")
        if taxid == _VIRUSES_TAXID and label == "Viruses":
            tally["viral"] += reads
            taxa_rows.append((n, file, reads, taxid, Lineage.empty().with_name("domain", "Viruses"), NO_RANK,
                              "Viruses"))
            continue
        if multi_rank is not None:
            lineage, own = _from_columns(names, multi_rank, rank)
            naming = "lineage"
        elif ";" in label:
            lineage, own = _from_path(label, rank)
            naming = "lineage"
        else:
            if not label:
                raise InputError("empty taxon name", path, n, name_cols[0])
            own = label
            lineage = Lineage.empty().with_name(rank, own) if rank in RANK_INDEX else Lineage.empty()
            if label.startswith("taxonid:") and naming == "names":
                naming = "taxon ids"
        if not own:
            raise InputError(f"no taxon name at the table rank ({rank}) in {' '.join(names)!r}", path, n)
        taxa_rows.append((n, file, reads, taxid, lineage, rank, own))

    builder = ProfileBuilder("clades")
    sample_idx = {}
    for f in files:
        t = tallies[f]
        unclassified = t["unclassified"] + t["cannot"]
        share = unclassified / t["total"] if t["total"] > 0 else 1.0
        info = SampleInfo(
            source=str(path), format=FORMAT, units="counts", profiler="Kaiju", method="shotgun",
            unclassified=unclassified, unclassified_share=share,
            extra={"rank": rank, "file": f, "naming": naming, "unclassified_reads": t["unclassified"],
                   "not_assigned_at_rank_reads": t["cannot"], "viral_reads": t["viral"],
                   "below_threshold_reads": t["below"], "total_reads": t["total"],
                   # the Viruses row sits outside the table's rank: the long table keeps it as an unranked row
                   "unranked_rows_are_leaves": True},
        )
        sample_idx[f] = builder.add_sample(names_by_file[f], info)
    for n, file, reads, taxid, lineage, row_rank, own in taxa_rows:
        if reads == 0:
            continue
        t = builder.add_taxon(lineage, row_rank, own, taxid)
        builder.add_value(sample_idx[file], t, reads, where=f"{path}:{n}")
    for file, total in percent_sum.items():
        # kaiju2table lists every read of a sample, unclassified ones included: its percents sum to 100 (6
        # decimals per row). A sample short of that lost rows (a table cut short, or edited)
        if abs(total - 100.0) > 0.01 + 1e-6 * len(parsed):
            raise InputError(f"the rows of sample {file!r} add up to {total:.4f} % of its reads, not 100 %; the "
                             "table looks truncated or edited", path, last_line[file], "percent")
    return builder.build()


def _sample_names(files: list[str]) -> dict[str, str]:
    short = {f: sample_name_from_path(PurePosixPath(f).name or f) for f in files}
    counts: dict[str, int] = {}
    for s in short.values():
        counts[s] = counts.get(s, 0) + 1
    return {f: (s if counts[s] == 1 else f) for f, s in short.items()}


def _from_columns(names: list[str], ranks: list[str], rank: str) -> tuple[Lineage, str | None]:
    """Newer ``-l`` output: one column per listed rank, ``NA`` where the taxon has none."""
    lineage = Lineage.empty()
    for r, name in zip(ranks, names, strict=True):
        if r in RANK_INDEX and name and name != "NA":
            lineage = lineage.with_name(r, name)
    own = lineage.get(rank) if rank in RANK_INDEX else next((x for x in reversed(names) if x and x != "NA"), None)
    return lineage, own


def _from_path(text: str, rank: str) -> tuple[Lineage, str | None]:
    """``-p`` full path (``cellular organisms;Bacteria;…;Bacteroides;``) or ``-l`` list (``…;NA;Bacteroides;``)."""
    parts = [p.strip() for p in text.strip().rstrip(";").split(";")]
    real = [p for p in parts if p and p != "NA"]
    own = real[-1] if real else None
    lineage = Lineage.empty()
    is_list = "NA" in parts or (parts and parts[0] != "cellular organisms" and len(parts) <= len(_STANDARD_L))
    if is_list and rank in RANK_INDEX:
        k = RANK_INDEX[rank]
        if len(parts) == len(_STANDARD_L):
            words = _STANDARD_L
        elif len(parts) == k + 1:  # superkingdom … <rank>
            words = _STANDARD_L[: k + 1]
        elif len(parts) == k:  # phylum … <rank>
            words = _STANDARD_L[1: k + 1]
        else:
            words = []
        for word, name in zip(words, parts, strict=False):
            r = rank_word(word)
            if r in RANK_INDEX and name and name != "NA":
                lineage = lineage.with_name(r, name)
        if words:
            own = lineage.get(rank)
    else:
        domain = next((p for p in parts if p in _DOMAINS), None)
        if domain:
            lineage = lineage.with_name("domain", domain)
    if rank in RANK_INDEX and own and lineage.get(rank) is None:
        lineage = lineage.with_name(rank, own)
    return lineage, own
