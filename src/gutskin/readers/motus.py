"""mOTUs 2 and 3 profiles (``motus profile``) and merged tables (``motus merge``).

Layout of a profile::

    # git tag version 3.0.3 |  motus version 3.0.3 | … | calc_motu 3.0.3 -k mOTU -C no_CAMI -g 3 -c -p | …
    # call: python …/motus profile -p -c -f … -o …
    #consensus_taxonomy\\tNCBI_tax_id\\t<sample>          (NCBI_tax_id only with -p)
    Ruminococcus bromii [ref_mOTU_v3_00853]\\t40518\\t20
    …
    unassigned\\tNA\\t17                                    (mOTUs 2 writes "-1")

``motus merge`` starts with ``# motus version … | merge … | info merged profiles: # git tag …`` and has
one value column per sample; ``-q`` puts the mOTU id in its own ``#mOTU`` column.

How rows become taxa (layout ``features``)
------------------------------------------
Every mOTU is a leaf with rank ``species``: its name (``Ruminococcus bromii``, spaces normalised, the
``[ref_mOTU…]`` id removed) fills the lineage's species slot, and the first word fills the genus slot
when the name is a genus-led name (``Blautia obeum/wexlerae``, ``Clostridium sp. CAG:567``,
``[Eubacterium] rectale``, ``Candidatus Accumulibacter phosphatis``). Names led by a higher taxon or a
placeholder (``Firmicutes bacterium CAG:313``, ``Clostridiales species incertae sedis``,
``unknown Ruminococcaceae``) get no genus. The mOTU id is kept in the taxon key
(``g__…|s__…|mOTU:ref_mOTU_v3_06108``), so mOTUs that share a species name stay distinct columns,
and :meth:`Profile.at_rank` ``("species")`` sums them, as the standard long table requires. The NCBI
taxid of ``-p`` is the species' taxid. ``-k <rank>`` profiles (genus, family, …) give leaves at that rank.

Zeros (mOTUs lists all ~33k mOTUs) are dropped. The ``-1`` / ``unassigned`` row becomes the sample's
unclassified value. Units are ``fraction`` by default and ``counts`` with ``-c`` (read from the header).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..io import Peek, read_text
from ..profile import Profile, ProfileBuilder, SampleInfo
from ..taxonomy.lineage import Lineage, parse_prefixed
from ..taxonomy.ranks import RANK_INDEX, rank_word
from .base import parse_taxid, parse_value, require_rows, sample_name_from_path, tab_lines, unique_names

FORMAT = "motus"
DESCRIPTION = "mOTUs 2/3 profile (fractions or -c counts, optional -p taxids) or 'motus merge' table"

_VERSION = re.compile(r"motus version\s+([^\s|]+)")
_GIT_TAG = re.compile(r"git tag version\s+([^\s|]+)")
_GENE_DB = re.compile(r"gene database:\s*([^\s|]+)")
_TAXONOMY = re.compile(r"taxonomy:\s*([^|]+?)\s*(?:\||$)")
_CALC_MOTU = re.compile(r"calc_motu\s+\S+\s+([^|]*)")
_ROW_ID = re.compile(r"^(.*?)\s*\[([^\[\]]+)\]\s*$")
_UNASSIGNED = {"-1", "unassigned"}
_DEFAULT_NAMES = {"unnamed sample", ""}
_ID_COLUMNS = {"mOTU", "mOTUs2_clade"}
_META_COLUMNS = {"consensus_taxonomy", "NCBI_tax_id", *_ID_COLUMNS}

# second words that show the first word is not a genus ("Firmicutes bacterium", "Parcubacteria group …")
_NOT_EPITHET = {"group", "division", "cluster", "family", "order", "class", "phylum", "clade", "lineage", "taxon",
                "endosymbiont", "symbiont", "oral", "environmental"}
_NOT_EPITHET_ENDINGS = ("bacterium", "archaeon")
# words that stand for "some species of" rather than an epithet
_PLACEHOLDERS = {"sp.", "sp", "spp.", "genomosp.", "cf.", "str.", "species"}
# endings of family, order, class and phylum names; the strict set is for "X species incertae sedis",
# where X is as often a class (Clostridia) as a genus (Roseburia)
_HIGHER = ("aceae", "ales", "ineae", "idae", "ota", "otes", "etes", "utes")
_HIGHER_STRICT = (*_HIGHER, "bacteria", "ia", "ica", "illi", "ae")


@dataclass
class MotusHeader:
    """What the ``#`` lines of a mOTUs output say about how it was made."""

    version: str | None = None
    database: str | None = None
    taxonomy: str | None = None
    flags: list[str] = field(default_factory=list)
    call: str | None = None
    merged: bool = False

    @property
    def counts(self) -> bool | None:
        """``True`` with ``-c``, ``False`` when the flags are known without it, ``None`` if unknown."""
        if self.flags:
            return "-c" in self.flags
        if self.call:
            return "-c" in self.call.split()
        return None

    @property
    def level(self) -> str:
        """The ``-k`` level: ``mOTU`` (default) or a rank word."""
        for flags in (self.flags, (self.call or "").split()):
            if "-k" in flags:
                i = flags.index("-k")
                if i + 1 < len(flags):
                    return flags[i + 1]
        return "mOTU"


def parse_header(comment_lines: list[str]) -> MotusHeader:
    """Read version, database, taxonomy release and ``calc_motu`` flags from mOTUs ``#`` lines."""
    head = MotusHeader()
    for ln in comment_lines:
        text = ln.lstrip("#").strip()
        if text.startswith("call:"):
            head.call = text[len("call:"):].strip()
            continue
        if "motus version" not in text and "git tag version" not in text:
            continue
        if "| merge " in text or "info merged profiles" in text:
            head.merged = True
        m = _VERSION.search(text) or _GIT_TAG.search(text)
        if m and head.version is None:
            head.version = m.group(1)
        m = _GENE_DB.search(text)
        if m and head.database is None:
            head.database = m.group(1)
        m = _TAXONOMY.search(text)
        if m and head.taxonomy is None:
            head.taxonomy = m.group(1).strip()
        flag_sets = [m.group(1).split() for m in _CALC_MOTU.finditer(text)]
        if flag_sets and not head.flags:
            head.flags = flag_sets[0]
    return head


def sniff(peek: Peek) -> bool:
    if peek.is_binary:
        return False
    lines = [ln for ln in peek.lines[:50] if ln.strip()]
    if any(ln.startswith("@@") or ln.upper().startswith("@SAMPLEID") for ln in lines):
        return False  # mOTUs -C output is a CAMI profile
    for ln in lines[:6]:
        if not ln.startswith("#"):
            return False
        text = ln.lstrip("#").strip()
        if ("motus version" in text or "git tag version" in text) and "motus" in text.lower():
            return True
        if text.split("\t")[0] in ("consensus_taxonomy", "mOTU"):
            return True
    return False


def _lead(name: str) -> tuple[str, str] | None:
    """(leading genus-like word(s), next word) of a name, or ``None`` when it cannot lead a genus."""
    words = name.split()
    if words and words[0] == "Candidatus":
        if len(words) < 3:
            return None
        lead, nxt = f"Candidatus {words[1]}", words[2]
    else:
        if len(words) < 2:
            return None
        lead, nxt = words[0], words[1]
    core = lead.removeprefix("Candidatus ").strip("[]")
    if not core or not core[0].isupper() or not nxt[0].islower():
        return None
    low = nxt.lower()
    if low in _NOT_EPITHET or low.endswith(_NOT_EPITHET_ENDINGS):
        return None
    return lead, nxt


def genus_vocabulary(names: list[str]) -> set[str]:
    """Words that lead a real binomial (``Roseburia intestinalis``) somewhere in the table: known genera."""
    vocab = set()
    for name in names:
        lead = _lead(name)
        if lead and lead[1] not in _PLACEHOLDERS and not lead[0].strip("[]").lower().endswith(_HIGHER):
            vocab.add(lead[0])
    return vocab


def genus_of(species: str, vocabulary: set[str] | frozenset[str] = frozenset()) -> str | None:
    """The genus a mOTU species name is led by, or ``None`` when its first word is not a genus.

    A word that leads a real binomial elsewhere in the table is a genus; otherwise names are judged by
    the ending of the leading word (``-aceae``, ``-ales``, ``-utes``… are higher ranks).
    """
    lead = _lead(species)
    if lead is None:
        return None
    genus, nxt = lead
    if genus in vocabulary:
        return genus
    core = genus.removeprefix("Candidatus ").strip("[]").lower()
    if nxt == "species":  # "<taxon> species incertae sedis"
        return None if core.endswith(_HIGHER_STRICT) else genus
    if nxt in _PLACEHOLDERS:  # "<taxon> sp."
        return None if core.endswith((*_HIGHER, "bacteria")) else genus
    return None if core.endswith(_HIGHER) else genus


def _split_row_name(raw: str) -> tuple[str, str | None]:
    """``Collinsella aerofaciens  [ref_mOTU_v2_1383]`` → (``Collinsella aerofaciens``, ``ref_mOTU_v2_1383``)."""
    m = _ROW_ID.match(raw)
    if m and m.group(1).strip():
        return " ".join(m.group(1).split()), m.group(2).strip()
    return " ".join(raw.split()), None


def _sample_names(raw: list[str], path: Path) -> tuple[list[str], list[str]]:
    stem = re.sub(r"\.motus$", "", sample_name_from_path(path))
    return unique_names(raw, fallback=stem, placeholders=frozenset(_DEFAULT_NAMES))


def _check_complete(rows: list, unassigned: list, units: str, samples: list[str], path: Path,
                    warnings: list[str]) -> None:
    """mOTUs ends every profile with its unassigned (``-1``) row, and relative abundances sum to 1 with it.

    A profile that lost its last lines lacks that row (said as a warning: the file may have been edited on
    purpose); one whose fractions, unassigned included, do not sum to 1 lost rows and is refused.
    """
    if all(u is None for u in unassigned):
        warnings.append("no unassigned (-1) row, which mOTUs writes last: the file may be truncated")
        return
    if units != "fraction":
        return
    last_line = rows[-1][0] if rows else None
    for i, name in enumerate(samples):
        total = sum(vals[i] for *_, vals in rows) + (unassigned[i] or 0.0)
        if total > 0 and abs(total - 1.0) > 0.005:
            raise InputError(f"the relative abundances of sample {name!r} add up to {total:.5f}, not 1; the "
                             "profile looks truncated or edited", path, last_line)


def read(path: Path, peek: Peek | None = None) -> Profile:
    lines = tab_lines(read_text(path), path)
    comments = [(n, ln) for n, ln in lines if ln.startswith("#")]
    data = [(n, ln) for n, ln in lines if ln.strip() and not ln.startswith("#")]
    head = parse_header([ln for _, ln in comments])
    column_line = next(((n, ln) for n, ln in reversed(comments)
                        if ln.lstrip("#").split("\t")[0].strip() in _META_COLUMNS), None)
    if column_line is None:
        raise InputError("expected a '#consensus_taxonomy\\t…\\t<sample>' column header line before the mOTUs rows",
                         path, comments[-1][0] if comments else 1)
    header_no, header_text = column_line
    header = [t.strip() for t in header_text.lstrip("#").split("\t")]
    meta = 0
    while meta < len(header) and header[meta] in _META_COLUMNS:
        meta += 1
    if meta == len(header):
        raise InputError(f"the column header {header} names no sample column", path, header_no)
    name_col = header.index("consensus_taxonomy") if "consensus_taxonomy" in header[:meta] else 0
    id_col = next((i for i, c in enumerate(header[:meta]) if c in _ID_COLUMNS), None)
    taxid_col = header.index("NCBI_tax_id") if "NCBI_tax_id" in header[:meta] else None
    samples, warnings = _sample_names(header[meta:], path)
    require_rows(len(data), path, "mOTUs")

    level_word = head.level
    level = rank_word(level_word) if level_word != "mOTU" else "species"
    if level not in RANK_INDEX:
        level = "species"

    rows: list[tuple[int, str, str | None, int | None, list[float]]] = []
    unassigned = [None] * len(samples)
    for n, ln in data:
        tokens = ln.split("\t")
        if len(tokens) != len(header):
            raise InputError(f"expected {len(header)} tab-separated columns like the header "
                             f"({', '.join(header)}), found {len(tokens)}", path, n)
        vals = [parse_value(v, path, n, samples[i]) for i, v in enumerate(tokens[meta:])]
        raw_name = tokens[name_col].strip()
        if raw_name in _UNASSIGNED or (id_col is not None and tokens[id_col].strip() in _UNASSIGNED):
            unassigned = vals
            continue
        if not raw_name:
            raise InputError("empty mOTU name", path, n, header[name_col])
        name, motu_id = _split_row_name(raw_name)
        if id_col is not None and id_col != name_col:
            motu_id = tokens[id_col].strip() or motu_id
        taxid = parse_taxid(tokens[taxid_col]) if taxid_col is not None else None
        rows.append((n, name, motu_id, taxid, vals))
    if not rows and all(u is None for u in unassigned):
        raise InputError("no mOTU rows found; the file is empty or truncated", path)

    counts = head.counts
    if counts is None:  # no header flags: fractions never exceed 1
        counts = any(v > 1 for *_, vals in rows for v in vals)
    units = "counts" if counts else "fraction"
    _check_complete(rows, unassigned, units, samples, path, warnings)

    builder = ProfileBuilder("features")
    sample_idx = []
    for i, name in enumerate(samples):
        total = sum(vals[i] for *_, vals in rows) + (unassigned[i] or 0.0)
        u = unassigned[i]
        share = None if u is None else (u / total if total > 0 else 1.0)
        info = SampleInfo(
            source=str(path), format=FORMAT, units=units, profiler="mOTUs", profiler_version=head.version,
            database=head.database, method="shotgun", unclassified=u, unclassified_share=share,
            extra={"layout": "merged" if len(samples) > 1 or head.merged else "single",
                   "level": level_word, "taxonomy": head.taxonomy, "flags": " ".join(head.flags) or None,
                   "warnings": warnings},
        )
        sample_idx.append(builder.add_sample(name, info))
    vocabulary = genus_vocabulary([r[1] for r in rows]) if level == "species" else set()
    for n, name, motu_id, taxid, vals in rows:
        if not any(vals):
            continue
        lineage, label, key = _lineage_and_key(name, motu_id, level, vocabulary)
        t = builder.add_taxon(lineage, level, label, taxid, key=key)
        for s, v in zip(sample_idx, vals, strict=True):
            builder.add_value(s, t, v, where=f"{path}:{n}")
    return builder.build()


def _lineage_and_key(name: str, motu_id: str | None, level: str, vocabulary: set[str]) -> tuple[Lineage, str, str]:
    """Lineage, display name and taxon key of one mOTUs row."""
    if "|" in name and "__" in name:  # a prefixed full lineage (k__…|…|s__…)
        try:
            lineage, _, _ = parse_prefixed(name)
        except ValueError:
            lineage = Lineage.empty()
        lineage = lineage.truncate(level)
        if lineage.get(level) is None:
            lineage = lineage.with_name(level, name)
        name = lineage.get(level) or name
    else:
        lineage = Lineage.empty().with_name(level, name)
        if level == "species":
            genus = genus_of(name, vocabulary)
            if genus is not None:
                lineage = lineage.with_name("genus", genus)
    base = lineage.to_string()
    key = f"{base}|mOTU:{motu_id}" if motu_id else base
    return lineage, name, key
