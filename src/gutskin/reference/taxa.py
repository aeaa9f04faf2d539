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
from ..profile import Profile
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
    dom = view.taxa["domain"].astype(object).map(lambda d: str(d).lower() if isinstance(d, str) else "")
    keep = ~dom.isin(NON_PROKARYOTE).to_numpy()
    return view if keep.all() else view.take_taxa(keep)


def _species_view(profile: Profile) -> Profile | None:
    """Bacterial and archaeal species of a shotgun-style profile, or ``None`` (16S, or no species)."""
    if any(i.method == "16S" for i in profile.info):
        return None  # amplicon species calls are not reliable enough to define genera
    try:
        return prokaryotes(profile.at_rank("species"))
    except RefusedError:
        return None


def _collapse(values: sp.csr_matrix, keys: list[str | None], names: list[str], taxids: list) -> tuple:
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
    return sp.csr_matrix(values @ agg), list(uniq), out_names, out_taxids


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
        values = _normalised(species.values)
        # records, not iterrows: a Series per row cost most of a report's measuring time
        full = [_species_name(row) for row in species.taxa.to_dict("records")]
        taxids = species.taxa["taxid"].tolist()
        if rank == "species":
            current = [current_species(n) for n in full]
            keys = [normalise(c) for c in current]
            v, k, n, t = _collapse(values, keys, current, taxids)
            return RankTable("species", v, k, n, t, "species")
        genera = [genus_of(n) for n in full]
        keys = [normalise(g) if g else None for g in genera]
        v, k, n, _ = _collapse(values, keys, [g or "" for g in genera], [None] * len(genera))
        return RankTable("genus", v, k, n, [None] * len(k), "species roll-up")
    if rank == "species":
        return None
    try:
        view = prokaryotes(profile.at_rank("genus"))
    except RefusedError:
        return None
    values = _normalised(view.values)
    genera = [current_genus(str(x)) for x in view.taxa["name"]]
    keys = [normalise(g) if g else None for g in genera]
    v, k, n, t = _collapse(values, keys, [g or "" for g in genera], view.taxa["taxid"].tolist())
    return RankTable("genus", v, k, n, t, "genus rows")
