"""Keeping renamed taxa matchable: old and new names of one taxon resolve to the same key.

Matching order used across gutskin: NCBI taxid first (where both sides have one), then names through
this table. Names are compared case-insensitively with underscores read as spaces, because MetaPhlAn
writes ``Eubacterium_rectale`` where a paper writes *Eubacterium rectale*. GTDB suffixes survive that
folding (``Firmicutes_A`` → ``firmicutes a``), so suffixed GTDB groups never merge with the plain name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import yaml

#: how many distinct names the per-name helpers remember: more than any real table holds, and bounded so a
#: long-running server reading many tables keeps a few MB at most
NAME_CACHE = 1 << 16


@lru_cache(maxsize=NAME_CACHE)  # pure, and asked for the same names once per sample of a table
def normalise(name: str) -> str:
    """Comparison key for a taxon name: lower case, ``_`` as space, single spaces, no rank prefix."""
    text = re.sub(r"^[a-zA-Z]__", "", name.strip())
    return " ".join(text.replace("_", " ").lower().split())


@dataclass(frozen=True)
class Rename:
    rank: str
    current: str
    old: tuple[str, ...]
    taxid: int | None
    source: str
    #: only part of an old genus moved (e.g. skin propionibacteria): never applied to a whole genus
    partial: bool = False


@dataclass(frozen=True, eq=False)
class SynonymTable:
    version: str
    renames: tuple[Rename, ...]
    groups: dict[str, tuple[str, ...]]
    group_sources: dict[str, str]

    @property
    def _index(self) -> dict[str, Rename]:
        return _index_for(self)

    def resolve(self, name: str) -> str:
        """The current accepted name for ``name`` (the name itself when it was never renamed)."""
        hit = self._index.get(normalise(name))
        return hit.current if hit else name.replace("_", " ").strip()

    def aliases(self, name: str) -> set[str]:
        """Every known name of the taxon ``name`` refers to, current and old, as written in the table."""
        hit = self._index.get(normalise(name))
        if hit is None:
            return {name.replace("_", " ").strip()}
        return {hit.current, *hit.old}

    def keys(self, name: str) -> set[str]:
        """Normalised keys of all aliases: what to look for in a profile's names."""
        return {normalise(a) for a in self.aliases(name)}

    def same_taxon(self, a: str, b: str) -> bool:
        return bool(self.keys(a) & self.keys(b))

    def taxid(self, name: str) -> int | None:
        hit = self._index.get(normalise(name))
        return hit.taxid if hit else None

    def group(self, name: str) -> tuple[str, ...]:
        """Members of a named group such as ``lactobacilli``."""
        try:
            return self.groups[name]
        except KeyError:
            raise KeyError(f"no taxon group {name!r}; known groups: {sorted(self.groups)}") from None


@cache
def _index_for(table: SynonymTable) -> dict[str, Rename]:
    index: dict[str, Rename] = {}
    for r in table.renames:
        for n in (r.current, *r.old):
            index[normalise(n)] = r
    return index


@cache
def load() -> SynonymTable:
    """The shipped rename table (``taxonomy/data/renames.yaml``)."""
    text = resources.files(__package__).joinpath("data/renames.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    renames = tuple(
        Rename(rank=e["rank"], current=e["current"], old=tuple(e.get("old", [])), taxid=e.get("taxid"),
               source=e["source"], partial=bool(e.get("partial", False)))
        for e in raw["renames"]
    )
    groups = {k: tuple(v["members"]) for k, v in raw.get("groups", {}).items()}
    sources = {k: v["source"] for k, v in raw.get("groups", {}).items()}
    return SynonymTable(version=str(raw["version"]), renames=renames, groups=groups, group_sources=sources)


def resolve(name: str) -> str:
    return load().resolve(name)


def aliases(name: str) -> set[str]:
    return load().aliases(name)


def same_taxon(a: str, b: str) -> bool:
    return load().same_taxon(a, b)
