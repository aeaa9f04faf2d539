"""Ranks: the canonical eight, and how every profiler spells them."""

from __future__ import annotations

import re

#: The canonical lineage, top to bottom. ``strain`` holds strains, SGBs and genome ids.
RANKS: tuple[str, ...] = ("domain", "phylum", "class", "order", "family", "genus", "species", "strain")
RANK_INDEX = {r: i for i, r in enumerate(RANKS)}

#: Rows that are not taxa but the classifier's "could not say" bucket.
UNCLASSIFIED = "unclassified"
NO_RANK = "no rank"

# One-letter prefixes: MetaPhlAn (k__), GTDB (d__), KrakenTools mpa (d_ / d__), QIIME (k__ / D_0__).
PREFIX_RANK = {
    "k": "domain",  # MetaPhlAn and Greengenes put Bacteria/Archaea at "kingdom"
    "d": "domain",
    "p": "phylum",
    "c": "class",
    "o": "order",
    "f": "family",
    "g": "genus",
    "s": "species",
    "t": "strain",
}
RANK_PREFIX = {"domain": "d", **{r: r[0] for r in RANKS[1:-1]}, "strain": "t"}  # t__, as MetaPhlAn writes

# SILVA 132 style D_0__ ... D_6__
SILVA_LEVEL_RANK = dict(enumerate(RANKS[:7]))

# Kraken report rank letters; digits after a letter mark an intermediate rank below it.
KRAKEN_CODE_RANK = {
    "U": UNCLASSIFIED,
    "R": "root",
    "D": "domain",
    "K": "kingdom",
    "P": "phylum",
    "C": "class",
    "O": "order",
    "F": "family",
    "G": "genus",
    "S": "species",
}
_KRAKEN_CODE = re.compile(r"^([URDKPCOFGS])(\d*)$")

# Full rank words (KrakenUniq, Metabuli, uBiome, CAMI, NCBI) mapped onto ours.
RANK_WORDS = {
    "superkingdom": "domain",
    "domain": "domain",
    "realm": "domain",
    "kingdom": "kingdom",
    "phylum": "phylum",
    "class": "class",
    "order": "order",
    "family": "family",
    "genus": "genus",
    "species": "species",
    "strain": "strain",
    "subspecies": "strain",
    "no rank": NO_RANK,
    "norank": NO_RANK,
    "root": "root",
    "unclassified": UNCLASSIFIED,
}


def kraken_rank(code: str) -> str:
    """Rank of a Kraken report rank code.

    ``S1`` (first level below species: subspecies and strains) is ``strain``; every other code with
    digits is an intermediate rank, returned as written (``R1``, ``G1``, ``S2``) so it never
    collides with a canonical rank. Kraken 1's ``-`` is ``no rank``.
    """
    code = code.strip()
    if code == "-":
        return NO_RANK
    m = _KRAKEN_CODE.match(code)
    if not m:
        raise ValueError(f"unknown Kraken rank code {code!r}")
    letter, digits = m.groups()
    if not digits:
        return KRAKEN_CODE_RANK[letter]
    if letter == "S" and digits == "1":
        return "strain"
    return code


def split_kraken_code(code: str) -> tuple[str, int] | None:
    """``"G1"`` → ``("G", 1)``, ``"S"`` → ``("S", 0)``; ``None`` for anything that is not a letter code."""
    m = _KRAKEN_CODE.match(code.strip())
    return None if m is None else (m.group(1), int(m.group(2) or 0))


def is_kraken_code(code: str) -> bool:
    return code.strip() == "-" or bool(_KRAKEN_CODE.match(code.strip()))


def rank_word(word: str) -> str:
    """Our rank for a full rank name; unknown words (``species group``, ``clade``) are kept as written."""
    w = word.strip().lower()
    return RANK_WORDS.get(w, w)


def is_canonical(rank: str) -> bool:
    return rank in RANK_INDEX
