"""sylph: ``sylph profile`` tables and sylph-tax ``.sylphmpa`` profiles (format ids ``sylph``, ``sylph_tax``).

``sylph profile`` (one row per sample × genome, several samples per file)::

    Sample_file  Genome_file  Taxonomic_abundance  Sequence_abundance  Adjusted_ANI  Eff_cov  ANI_5-95_percentile
    Eff_lambda  Lambda_5-95_percentile  Median_cov  Mean_cov_geq1  Containment_ind  Naive_ANI  kmers_reassigned
    Contig_name

There is no taxonomy: each genome is a feature (layout ``features``) whose only lineage slot is
``strain``, holding the genome file's base name, or, when one file holds many genomes (``sylph -i``
databases such as IMG/VR: the same ``Genome_file`` on several rows of one sample), the contig id (first
word of ``Contig_name`` up to any ``|``, the id sylph-tax looks up). Values are ``Taxonomic_abundance``
(percent). ``Eff_lambda`` ``HIGH`` and ``NA-NA`` percentiles are not read. The unclassified share is the
share of reads sylph gave to no genome, ``1 − ΣSequence_abundance / 100``.

``sylph query`` has the same columns minus the abundances; it holds containment and ANI, not
abundances, and is refused.

sylph-tax ``taxprof`` writes one ``.sylphmpa`` per sample::

    #SampleID\\t<reads file>\\tTaxonomies_used:['gtdb_r214_metadata.tsv']      (optional)
    clade_name\\trelative_abundance\\tsequence_abundance\\tANI (if strain-level)\\t Coverage (if strain-level)
    d__Bacteria|p__Bacillota_A|…|s__Pumilibacter|t__GCA_910587595.1\\t3.9625\\t3.0064\\t95.45\\t…

Header names may carry stray spaces, a MultiQC variant has only 4 columns, ``--annotate-virus-hosts``
adds a 6th. Rows are clade totals (layout ``clades``) in percent with GTDB names (underscores kept:
``Bordetella_A petrii``); ``t__`` is the genome. ``NO_TAXONOMY`` (a genome with no taxonomy) is kept
out of every rank above strain, its genome rows (``NO_TAXONOMY|t__genome.fasta``) are strain rows with
no other lineage, and its share is recorded in ``extra["no_taxonomy"]``. The unclassified share is
read-based, as for ``sylph profile``: ``1 − Σsequence_abundance`` of the top-level rows ``/ 100``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path, PurePosixPath, PureWindowsPath

from ..errors import InputError
from ..io import Peek, read_text
from ..profile import Profile, ProfileBuilder, SampleInfo
from ..taxonomy.lineage import Lineage, parse_prefixed
from .base import parse_value, sample_name_from_path, split_row, tab_lines

FORMAT = "sylph"
ALIASES = ("sylph_tax",)
DESCRIPTION = "sylph profile table (genomes, several samples) or sylph-tax .sylphmpa taxonomic profile"

_PROFILE_HEAD = ("Sample_file", "Genome_file")
_QUERY_ONLY = {"Adjusted_ANI", "Containment_ind"}
_READ_SUFFIX = re.compile(r"\.(fastq|fq|fasta|fa|fna|sylsp|sylqueries|txt)$", re.IGNORECASE)
_COMPRESSION = re.compile(r"\.(gz|bz2|xz|zst)$", re.IGNORECASE)
_TINY = 1e-9  # 100 - 99.99999999999999: float noise, not unclassified reads


def _tokens(line: str) -> list[str]:
    return [t.strip() for t in line.lstrip("#").split("\t")]


def _is_sylph_tax_header(line: str) -> bool:
    tokens = _tokens(line)
    return tokens[0] == "clade_name" and "sequence_abundance" in tokens


def sniff(peek: Peek) -> bool:
    if peek.is_binary:
        return False
    lines = [ln for ln in peek.lines[:10] if ln.strip()]
    if not lines:
        return False
    if tuple(_tokens(lines[0])[:2]) == _PROFILE_HEAD and not lines[0].startswith("#"):
        return True
    for ln in lines[:4]:
        if _is_sylph_tax_header(ln):
            return True
        if not ln.startswith("#SampleID"):
            break
    return False


def read(path: Path, peek: Peek | None = None) -> Profile:
    lines = tab_lines(read_text(path), path)
    nonblank = [(n, ln) for n, ln in lines if ln.strip()]
    if not nonblank:
        raise InputError("the file is empty; expected a sylph profile", path)
    n0, first = nonblank[0]
    if tuple(_tokens(first)[:2]) == _PROFILE_HEAD:
        return _read_profile(path, nonblank)
    if any(_is_sylph_tax_header(ln) for _, ln in nonblank[:4]):
        return _read_sylph_tax(path, nonblank)
    raise InputError("expected a 'Sample_file\\tGenome_file\\t…' (sylph profile) or "
                     "'clade_name\\trelative_abundance\\tsequence_abundance…' (sylph-tax) header", path, n0)


# ---------------------------------------------------------------------------------------------- names
def _basename(text: str) -> str:
    text = text.strip()
    name = PureWindowsPath(text).name if "\\" in text and "/" not in text else PurePosixPath(text).name
    return name or text


def reads_sample_name(text: str) -> str:
    """``/data/run1/S1_R1.fastq.gz`` → ``S1_R1``: the reads file's base name without read/sketch suffixes."""
    name = _COMPRESSION.sub("", _basename(text))
    return _READ_SUFFIX.sub("", name) or name


def _unique_sample_names(files: list[str]) -> dict[str, str]:
    """Sample file → sample name; files whose short names collide keep their full path."""
    short = {f: reads_sample_name(f) for f in files}
    counts: dict[str, int] = {}
    for s in short.values():
        counts[s] = counts.get(s, 0) + 1
    return {f: (s if counts[s] == 1 else f) for f, s in short.items()}


# ---------------------------------------------------------------------------------------------- profile
def _read_profile(path: Path, lines: list[tuple[int, str]]) -> Profile:
    header_no, header_line = lines[0]
    header = _tokens(header_line)
    col = {c: i for i, c in enumerate(header)}
    if "Taxonomic_abundance" not in col:
        if set(col) >= _QUERY_ONLY:
            raise InputError("this is 'sylph query' output: it holds containment and ANI per genome, not "
                             "abundances; run 'sylph profile' on the same sketches to get a taxonomic profile",
                             path, header_no)
        raise InputError(f"expected a Taxonomic_abundance column in the sylph profile header, found {header}",
                         path, header_no)
    body = lines[1:]
    if not body:
        raise InputError("the sylph profile has a header but no rows; the file is empty or truncated", path)
    seq_col = col.get("Sequence_abundance")
    contig_col = col.get("Contig_name")
    rows = []
    for n, ln in body:
        tokens = ln.split("\t")
        if len(tokens) != len(header):
            raise InputError(f"expected {len(header)} tab-separated columns like the header, found {len(tokens)}",
                             path, n)
        sample_file = tokens[col["Sample_file"]].strip()
        genome_file = tokens[col["Genome_file"]].strip()
        if not sample_file or not genome_file:
            raise InputError("empty Sample_file or Genome_file", path, n)
        value = parse_value(tokens[col["Taxonomic_abundance"]], path, n, "Taxonomic_abundance")
        seq = parse_value(tokens[seq_col], path, n, "Sequence_abundance") if seq_col is not None else None
        contig = tokens[contig_col].strip() if contig_col is not None else ""
        rows.append((n, sample_file, genome_file, contig, value, seq))

    # a genome file seen twice in one sample is a multi-genome file (sylph -i): name genomes by contig
    multi: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for _, sample_file, genome_file, *_ in rows:
        if (sample_file, genome_file) in seen:
            multi.add(genome_file)
        seen.add((sample_file, genome_file))

    files = list(dict.fromkeys(r[1] for r in rows))
    names = _unique_sample_names(files)
    builder = ProfileBuilder("features")
    sample_idx: dict[str, int] = {}
    for f in files:
        mine = [r for r in rows if r[1] == f]
        seq_total = None if seq_col is None else sum(r[5] for r in mine)
        share = None
        if seq_total is not None:
            share = max(0.0, 1.0 - seq_total / 100.0)
            share = 0.0 if share < _TINY else share
        info = SampleInfo(
            source=str(path), format=FORMAT, units="percent", profiler="sylph", method="shotgun",
            unclassified=None, unclassified_share=share,
            extra={"layout": "sylph profile", "sample_file": f, "sequence_abundance_total": seq_total,
                   "unclassified_share_from": "Sequence_abundance" if seq_total is not None else None,
                   "genome_naming": "contig" if multi else "genome file"},
        )
        sample_idx[f] = builder.add_sample(names[f], info)
    for n, sample_file, genome_file, contig, value, _ in rows:
        if genome_file in multi:
            # the contig id, cut at the first '|' as sylph-tax does (IMG/VR ids carry '|'-joined fields)
            genome = contig.split()[0].split("|")[0] if contig.split() else ""
            if not genome:
                raise InputError(f"{genome_file!r} holds several genomes but this row has no Contig_name",
                                 path, n, "Contig_name")
        else:
            genome = _basename(genome_file)
        lineage = Lineage.empty().with_name("strain", genome)
        t = builder.add_taxon(lineage, "strain", genome)
        builder.add_value(sample_idx[sample_file], t, value, where=f"{path}:{n}")
    return builder.build()


# ---------------------------------------------------------------------------------------------- sylph-tax
def _taxonomies(tokens: list[str]) -> str | None:
    for tok in tokens:
        if tok.startswith("Taxonomies_used:"):
            raw = tok[len("Taxonomies_used:"):].strip()
            try:
                value = ast.literal_eval(raw)
            except (ValueError, SyntaxError):
                return raw or None
            if isinstance(value, list | tuple):
                return ",".join(str(v) for v in value) or None
            return str(value)
    return None


def _read_sylph_tax(path: Path, lines: list[tuple[int, str]]) -> Profile:
    sample_file = None
    database = None
    header_no, header = None, None
    start = 0
    for i, (n, ln) in enumerate(lines):
        if _is_sylph_tax_header(ln):
            header_no, header, start = n, _tokens(ln), i + 1
            break
        if ln.startswith("#SampleID"):
            tokens = _tokens(ln)
            sample_file = tokens[1] if len(tokens) > 1 and tokens[1] else None
            database = _taxonomies(tokens[2:])
    assert header is not None and header_no is not None  # read() checked
    col = {c: i for i, c in enumerate(header)}
    if "relative_abundance" not in col:
        raise InputError(f"expected a relative_abundance column, found {header}", path, header_no)
    seq_col = col.get("sequence_abundance")
    body = [(n, ln) for n, ln in lines[start:] if not ln.startswith("#")]
    if not body:
        raise InputError("the sylph-tax profile has a header but no rows; the file is empty or truncated", path)
    name = reads_sample_name(sample_file) if sample_file else sample_name_from_path(path)

    rows = []
    no_taxonomy = None
    seq_top = 0.0
    for n, ln in body:
        tokens = split_row(ln, header, path, n)
        clade = tokens[0].strip()
        if not clade:
            raise InputError("empty clade_name", path, n, "clade_name")
        value = parse_value(tokens[col["relative_abundance"]], path, n, "relative_abundance")
        if seq_col is not None and "|" not in clade:
            seq_top += parse_value(tokens[seq_col], path, n, "sequence_abundance")
        if clade == "NO_TAXONOMY":
            no_taxonomy = value
            continue
        rows.append((n, clade, value))

    share = None
    if seq_col is not None:
        share = max(0.0, 1.0 - seq_top / 100.0)
        share = 0.0 if share < _TINY else share
    info = SampleInfo(
        source=str(path), format=FORMAT, units="percent", profiler="sylph-tax", database=database,
        method="shotgun", unclassified=None, unclassified_share=share,
        extra={"layout": "sylph-tax", "naming": "gtdb", "sample_file": sample_file, "no_taxonomy": no_taxonomy,
               "unclassified_share_from": "sequence_abundance" if seq_col is not None else None},
    )
    builder = ProfileBuilder("clades")
    s = builder.add_sample(name, info)
    for n, clade, value in rows:
        if clade.startswith("NO_TAXONOMY|"):
            genome = clade.split("|", 1)[1].strip().removeprefix("t__")
            if not genome:
                raise InputError("NO_TAXONOMY row names no genome", path, n, "clade_name")
            lineage, rank, tname = Lineage.empty("gtdb").with_name("strain", genome), "strain", genome
        else:
            try:
                lineage, rank, tname = parse_prefixed(clade, style="gtdb")
            except ValueError as exc:
                raise InputError(f"expected a GTDB clade like d__Bacteria|p__Bacillota ({exc})", path, n,
                                 "clade_name") from None
            if rank is None or tname is None:
                raise InputError(f"clade {clade!r} names no taxon", path, n, "clade_name")
        t = builder.add_taxon(lineage, rank, tname)
        builder.add_value(s, t, value, where=f"{path}:{n}")
    return builder.build()
