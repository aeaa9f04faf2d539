"""Taxon strings → :class:`~gutskin.taxonomy.lineage.Lineage`: the lineage helpers every reader shares.

Moved here from ``readers/taxonomy_table.py`` (which re-exports them) so readers, ``Profile.from_long`` and
other layers parse lineages one way. Strings seen in the wild:

* Greengenes 13_8 ``k__Bacteria; p__Bacteroidetes; …; g__Bacteroides; s__`` — ``"; "`` separators, empty
  trailing ranks, brackets (``c__[Rhodothermi]``) and a species *epithet only* (``s__uniformis``, also
  strain-like ``s__D168``), which is joined to its genus (``Bacteroides uniformis``);
* Greengenes2 / GTDB ``d__Bacteria; p__Firmicutes_D; …; s__Phocaeicola_A_858004 vulgatus`` (kept verbatim);
* SILVA ``D_0__Bacteria;D_1__…`` and plain rank-ordered lists;
* ``Unassigned`` (no lineage at all);
* our own canonical ``d__Bacteria|p__Firmicutes|…`` (:func:`parse_canonical`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from .lineage import Lineage, guess_style, parse_positional, parse_prefixed
from .ranks import PREFIX_RANK, RANK_INDEX, RANKS

__all__ = ["UNASSIGNED_WORDS", "feature_rank", "is_unassigned", "lineage_from_taxonomy", "parse_canonical",
           "taxonomy_style"]

#: words that stand for "no assignment" in place of a lineage
UNASSIGNED_WORDS = {"unassigned", "unclassified", "unknown", "no hit", "no_hit", "unidentified", "none"}
_HAS_PREFIX = re.compile(r"^\s*(?:[a-zA-Z]__|D_\d+__)")
_CANONICAL_PART = re.compile(r"^([a-z])__(.*)$", re.S)


def is_unassigned(text: str) -> bool:
    """``Unassigned``, ``Unassigned;__;__``, ``unclassified``…: a row that names no taxon at all."""
    first = re.split(r"[;|]", str(text).strip(), maxsplit=1)[0].strip()
    return first.lower() in UNASSIGNED_WORDS or not first.strip("_ ")


def lineage_from_taxonomy(value: object, naming: str = "verbatim") -> Lineage:
    """A lineage from a taxonomy string or list (QIIME, Greengenes 1/2, SILVA, MetaPhlAn, GTDB, plain).

    ``naming="verbatim"`` keeps names as written (QIIME and Greengenes: ``g__WAL_1855D`` is a name with an
    underscore); ``naming="metaphlan"`` reads ``k__``/``s__`` names the MetaPhlAn way, underscores standing
    for spaces (``s__Bacteroides_uniformis``). ``Unassigned`` and blanks give an empty lineage. Raises
    :class:`ValueError` for strings that mix prefixed and unprefixed elements.
    """
    if value is None or (isinstance(value, float) and value != value):
        return Lineage.empty()
    if isinstance(value, (list, tuple)):
        parts = [str(p).strip() for p in value]
    else:
        text = str(value).strip()
        sep = "|" if "|" in text else ";"
        parts = [p.strip() for p in text.split(sep)]
    parts = [p for p in parts if p and p.strip("_ ")]  # drop '' and QIIME's bare '__' placeholders
    if not parts or is_unassigned(parts[0]):
        return Lineage.empty()
    if not any(_HAS_PREFIX.match(p) for p in parts):
        return parse_positional(list(parts))
    style = guess_style(parts)
    if naming != "metaphlan":
        greengenes = style == "metaphlan"
        lineage, _, _ = parse_prefixed(";".join(parts), "gtdb")  # 'gtdb' keeps names exactly as written
        return _join_epithet(Lineage(lineage.names, "greengenes" if greengenes else style))
    if style == "plain":  # e.g. a lone 's__Genus_species': MetaPhlAn naming, unless GTDB-like spaces show
        style = "gtdb" if any(" " in p for p in parts) else "metaphlan"
    lineage, _, _ = parse_prefixed(";".join(parts), style)
    return _join_epithet(lineage)


def _join_epithet(lineage: Lineage) -> Lineage:
    """Greengenes 13_8 writes only the epithet at species (``g__Bacteroides; s__uniformis``)."""
    species, genus = lineage.get("species"), lineage.get("genus")
    if not (species and genus and " " not in species):
        return lineage
    if species[:1].islower() and lineage.style in ("metaphlan", "greengenes"):
        return lineage.with_name("species", f"{genus} {species}")
    # Greengenes also writes strain-like epithets that start upper-case or with a digit (g__Dorea; s__D168):
    # still an epithet, so the species keeps its genus (else "D168" would pose as a genus of its own)
    if (lineage.style == "greengenes" and "_" not in species and not species.startswith(genus.split()[0])
            and (species[:1].isupper() or species[:1].isdigit())):
        return lineage.with_name("species", f"{genus} {species}")
    return lineage


def parse_canonical(text: object) -> Lineage:
    """Our own lineage string ``d__Bacteria|p__Firmicutes|…`` back into a :class:`Lineage`.

    Names are kept verbatim (they are already display names). Ranks are read in order, so a second
    ``s__`` after the species is the strain (older writers used ``s`` for both).
    """
    if text is None or (isinstance(text, float) and text != text) or pd.isna(text):
        return Lineage.empty()
    text = str(text).strip()
    if not text:
        return Lineage.empty()
    names: list[str | None] = [None] * len(RANKS)
    last = -1
    for part in text.split("|"):
        m = _CANONICAL_PART.match(part.strip())
        if not m:
            raise ValueError(f"lineage element {part!r} is not like 'g__Name'")
        letter, name = m.group(1), m.group(2)
        rank = "strain" if letter == "t" else PREFIX_RANK.get(letter)
        if rank is None:
            raise ValueError(f"lineage element {part!r} has an unknown rank prefix {letter!r}")
        idx = RANK_INDEX[rank]
        if idx <= last and rank == "species" and last == RANK_INDEX["species"]:
            idx = RANK_INDEX["strain"]
        if idx <= last:
            raise ValueError(f"lineage element {part!r} is out of rank order")
        names[idx] = name
        last = idx
    return Lineage(tuple(names), "plain")


def feature_rank(lineage: Lineage) -> str:
    """The rank a feature (ASV, OTU, mOTU) is filed under: the deepest rank its lineage names."""
    return lineage.deepest_rank or "feature"


def taxonomy_style(taxa: Iterable[object]) -> str | None:
    """``greengenes``, ``greengenes2``, ``silva`` or ``None``: which 16S reference the strings come from."""
    sample = [str(t) for t, _ in zip(taxa, range(200), strict=False)]
    if any(t.startswith("D_0__") for t in sample):
        return "silva"
    if any(t.startswith("d__") for t in sample):
        return "greengenes2" if any(re.search(r"_\d{4,}\b", t) for t in sample) else "gtdb-style"
    if any(t.startswith("k__") for t in sample):
        return "greengenes"
    return None
