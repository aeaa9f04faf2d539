"""Lineage strings in every style profilers write, parsed into one canonical form.

Styles handled:

* MetaPhlAn ``k__Bacteria|p__Firmicutes|…|s__Genus_species|t__SGB123``
* KrakenTools / Bracken mpa ``d_Bacteria|p_Firmicutes`` and ``d__…``
* GTDB and sylph-tax ``d__Bacteria;p__Firmicutes_A;…`` (``;`` or ``|``)
* QIIME / Greengenes ``k__Bacteria; p__Bacteroidetes; …; s__`` (empty trailing ranks kept by the tool)
* SILVA 132 ``D_0__Bacteria;D_1__…``
* plain rank-ordered lists (``Bacteria;Firmicutes;…``), given explicitly as positional
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .ranks import PREFIX_RANK, RANK_INDEX, RANK_PREFIX, RANKS, SILVA_LEVEL_RANK

_PREFIXED = re.compile(r"^\s*([a-zA-Z])__?(.*)$")
_SILVA = re.compile(r"^\s*D_(\d)__(.*)$")
# names MetaPhlAn writes as placeholders for "nothing known at this rank"
_EMPTY_NAMES = {"", "unidentified", "__"}


@dataclass(frozen=True, slots=True)
class Lineage:
    """Names at the eight canonical ranks (``None`` where the source has none), plus naming style."""

    names: tuple[str | None, ...]
    style: str = "plain"

    def __post_init__(self) -> None:
        if len(self.names) != len(RANKS):
            raise ValueError("a lineage has exactly one slot per canonical rank")

    @classmethod
    def empty(cls, style: str = "plain") -> Lineage:
        return cls((None,) * len(RANKS), style)

    def get(self, rank: str) -> str | None:
        return self.names[RANK_INDEX[rank]]

    @property
    def deepest_rank(self) -> str | None:
        for rank, name in zip(reversed(RANKS), reversed(self.names), strict=True):
            if name is not None:
                return rank
        return None

    @property
    def deepest_name(self) -> str | None:
        rank = self.deepest_rank
        return None if rank is None else self.get(rank)

    def truncate(self, rank: str) -> Lineage:
        """The lineage down to and including ``rank``; deeper slots emptied."""
        k = RANK_INDEX[rank] + 1
        return Lineage(self.names[:k] + (None,) * (len(RANKS) - k), self.style)

    def with_name(self, rank: str, name: str | None) -> Lineage:
        names = list(self.names)
        names[RANK_INDEX[rank]] = name
        return Lineage(tuple(names), self.style)

    def to_string(self) -> str:
        """Canonical text form ``d__Bacteria|p__Firmicutes|…`` with empty ranks left out."""
        return "|".join(
            f"{RANK_PREFIX[r]}__{n}" for r, n in zip(RANKS, self.names, strict=True) if n is not None
        )

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.to_string()


def display_name(raw: str, style: str) -> str:
    """The name as a person reads it: MetaPhlAn and KrakenTools underscores become spaces.

    GTDB-style names keep their underscores, because there ``Firmicutes_A`` or
    ``Phocaeicola_A_858004`` is a distinct taxon, not a spelling of a space.
    """
    name = raw.strip()
    if style in ("metaphlan", "mpa"):
        name = name.replace("_", " ")
    return name


def split_lineage(text: str) -> list[str]:
    """Split on ``|`` or ``;`` (whichever the string uses), trimming blanks."""
    sep = "|" if "|" in text else ";"
    return [p.strip() for p in text.strip().split(sep)]


def guess_style(parts: list[str]) -> str:
    first = next((p for p in parts if p), "")
    if first.startswith("D_0__"):
        return "silva"
    if first.startswith("d__"):
        return "gtdb"
    if first.startswith("k__"):
        return "metaphlan"
    if re.match(r"^[a-z]_[^_]", first):
        return "mpa"
    return "plain"


def parse_prefixed(text: str, style: str | None = None) -> tuple[Lineage, str | None, str | None]:
    """Parse a prefixed lineage string.

    Returns ``(lineage, own_rank, own_name)``: the canonical lineage; the rank of the last element
    (``None`` when the string is empty after trimming, e.g. QIIME's ``k__Bacteria; p__; s__``
    leaves ``phylum`` empty and the deepest *named* rank is ``domain``); and its display name.

    Unknown prefixes (KrakenTools ``x__`` intermediate ranks) are skipped.
    """
    parts = split_lineage(text)
    style = style or guess_style(parts)
    names: list[str | None] = [None] * len(RANKS)
    own_rank: str | None = None
    own_name: str | None = None
    for part in parts:
        if not part:
            continue
        silva = _SILVA.match(part)
        if silva:
            level, raw = int(silva.group(1)), silva.group(2)
            rank = SILVA_LEVEL_RANK.get(level)
        else:
            m = _PREFIXED.match(part)
            if not m:
                raise ValueError(f"lineage element {part!r} has no rank prefix")
            rank, raw = PREFIX_RANK.get(m.group(1).lower()), m.group(2)
            if m.group(1).lower() == "k" and style == "gtdb":
                rank = "domain"
        if rank is None:
            continue
        name_style = "metaphlan" if style in ("metaphlan", "mpa") else style
        name = display_name(raw, name_style)
        if name.lower() in _EMPTY_NAMES:
            continue
        names[RANK_INDEX[rank]] = name
        own_rank, own_name = rank, name
    return Lineage(tuple(names), style), own_rank, own_name


def parse_positional(parts: list[str | None], style: str = "plain") -> Lineage:
    """Lineage from names already in canonical rank order (domain first); blanks become ``None``."""
    names = [None if (p is None or not str(p).strip() or str(p).strip().upper() == "NA") else str(p).strip()
             for p in parts]
    names = (names + [None] * len(RANKS))[: len(RANKS)]
    return Lineage(tuple(names), style)
