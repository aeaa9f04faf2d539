"""Genus and species tables under one current taxonomy, built the same way for a person and for a reference.

Genus shares are **species rolled up to their current genus** (:func:`gutskin.taxonomy.current.genus_of`) whenever
the profile has species (shotgun profilers), over the whole species total as denominator; species with no known
genus (``Lachnospiraceae bacterium``) stay in the denominator without a genus. Only profiles without species (16S
genus tables, genus-only exports) use their genus rows, through
:func:`gutskin.taxonomy.current.current_genus`. A profiler's own genus column is not trusted where the species
name says otherwise (MetaPhlAn 3 files *R. gnavus* under Blautia). Shares are of Bacteria and Archaea only:
viruses (mostly phages), host reads and fungi would otherwise dilute every bacterial share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import RefusedError
from ..profile import Profile, by_taxa
from ..taxonomy.current import current_genus, current_species, genus_of, is_placeholder
from ..taxonomy.synonyms import normalise

TAXON_RANKS = ("genus", "species")


@dataclass
class RankTable:
    """Proportions at one rank with columns keyed by normalised current name."""

    rank: str
    values: sp.csr_matrix  # samples × keys, rows sum to ≤ 1 (the rest has no name at this rank)
    keys: list[str]
    names: list[str]
    taxids: list[int | None]
    #: how the table was made: "species roll-up" or "genus rows"
    basis: str = ""


def taxon_key(name: str, rank: str = "species") -> str:
    """Comparison key of a taxon name at ``rank`` under the current taxonomy."""
    if rank == "genus":
        g = current_genus(name)
        return normalise(g) if g else normalise(name)
    return normalise(current_species(name))


def _species_name(row: Mapping[str, Any]) -> str:
    """A species' full name: Greengenes-style epithet-only species get their genus in front."""
    name = str(row["name"])
    if " " not in name.strip().replace("_", " ") and not is_placeholder(name):
        genus = row.get("genus")
        if isinstance(genus, str) and genus:
            return f"{genus} {name}"
    return name


#: domains left out of taxon shares: shares are of the bacterial and archaeal community (phages, host reads
#: and fungi are reported by the sample sanity checks instead of diluting every bacterial share)
NON_PROKARYOTE = ("viruses", "eukaryota", "eukarya")


def prokaryotes(view: Profile) -> Profile:
    """Only taxa whose domain is Bacteria or Archaea (or not stated)."""
    keep = prokaryote_mask(view.taxa)
    return view if keep.all() else view.take_taxa(keep)


def prokaryote_mask(taxa: pd.DataFrame) -> np.ndarray:
    """Per taxon: is its domain Bacteria or Archaea (or not stated)? Worked out once per taxa table."""
    return by_taxa(taxa, "prokaryotes", lambda: _prokaryote_mask(taxa))


def _prokaryote_mask(taxa: pd.DataFrame) -> np.ndarray:
    dom = taxa["domain"].astype(object).map(lambda d: str(d).lower() if isinstance(d, str) else "")
    return ~dom.isin(NON_PROKARYOTE).to_numpy()


def _species_view(profile: Profile) -> Profile | None:
    """Bacterial and archaeal species of a shotgun-style profile, or ``None`` (16S, or no species)."""
    if any(i.method == "16S" for i in profile.info):
        return None  # amplicon species calls are not reliable enough to define genera
    try:
        return prokaryotes(profile.at_rank("species"))
    except RefusedError:
        return None


def _collapse_plan(keys: list[str | None], names: list[str], taxids: list) -> tuple:
    uniq: dict[str, int] = {}
    out_names: list[str] = []
    out_taxids: list[int | None] = []
    rows, cols = [], []
    for j, k in enumerate(keys):
        if k is None:
            continue
        if k not in uniq:
            uniq[k] = len(out_names)
            out_names.append(names[j])
            t = taxids[j]
            out_taxids.append(None if t is None or pd.isna(t) else int(t))
        rows.append(j)
        cols.append(uniq[k])
    agg = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(keys), len(uniq)))
    return agg, list(uniq), out_names, out_taxids


def _normalised(values: sp.csr_matrix) -> sp.csr_matrix:
    totals = np.asarray(values.sum(axis=1)).ravel()
    inv = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    return sp.csr_matrix(sp.diags(inv) @ values)


def rank_table(profile: Profile, rank: str) -> RankTable | None:
    """Per-sample proportions at ``rank`` under the current taxonomy; ``None`` if the rank cannot be formed."""
    if rank not in TAXON_RANKS:
        raise ValueError(f"rank_table covers {TAXON_RANKS}, not {rank!r}")
    species = _species_view(profile)
    if species is not None:
        agg, k, n, t, basis = by_taxa(species.taxa, ("rank_table", rank), lambda: _species_plan(species.taxa, rank))
        return RankTable(rank, sp.csr_matrix(_normalised(species.values) @ agg), k, n, t, basis)
    if rank == "species":
        return None
    try:
        view = prokaryotes(profile.at_rank("genus"))
    except RefusedError:
        return None
    agg, k, n, t = by_taxa(view.taxa, ("rank_table", "genus rows"), lambda: _genus_plan(view.taxa))
    return RankTable("genus", sp.csr_matrix(_normalised(view.values) @ agg), k, n, t, "genus rows")


def _species_plan(taxa: pd.DataFrame, rank: str) -> tuple:
    """How a species view's columns collapse into current names at ``rank`` (it depends only on the names, so
    it is worked out once per taxa table, not once per sample of a report)."""
    # records, not iterrows: a Series per row cost most of a report's measuring time
    full = [_species_name(row) for row in taxa.to_dict("records")]
    taxids = taxa["taxid"].tolist()
    if rank == "species":
        current = [current_species(n) for n in full]
        keys = [normalise(c) for c in current]
        agg, k, n, t = _collapse_plan(keys, current, taxids)
        return agg, k, n, t, "species"
    genera = [genus_of(n) for n in full]
    keys = [normalise(g) if g else None for g in genera]
    agg, k, n, _ = _collapse_plan(keys, [g or "" for g in genera], [None] * len(genera))
    return agg, k, n, [None] * len(k), "species roll-up"


def _genus_plan(taxa: pd.DataFrame) -> tuple:
    genera = [current_genus(str(x)) for x in taxa["name"]]
    keys = [normalise(g) if g else None for g in genera]
    return _collapse_plan(keys, [g or "" for g in genera], taxa["taxid"].tolist())
