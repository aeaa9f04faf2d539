"""The per-sample numbers a reference summarises, computed the same way for cohort and person.

Taxa are keyed by their *current* name folded for comparison (``taxonomy.synonyms``), so a person
profiled under old names (Firmicutes, Eubacterium rectale) meets a reference written under new ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import RefusedError
from ..profile import Profile
from ..taxonomy.synonyms import normalise, resolve

TAXON_RANKS = ("genus", "species")


def taxon_key(name: str) -> str:
    return normalise(resolve(name))


@dataclass
class RankTable:
    """Proportions at one rank with columns keyed by normalised current name."""

    rank: str
    values: sp.csr_matrix  # samples × keys, rows sum to 1 (or 0 for empty samples)
    keys: list[str]
    names: list[str]
    taxids: list[int | None]


def rank_table(profile: Profile, rank: str) -> RankTable | None:
    """Per-sample proportions at ``rank``, columns merged by current name; ``None`` if the rank is absent."""
    try:
        view = profile.proportions(rank)
    except RefusedError:
        return None
    names = view.taxa["name"].astype(str).tolist()
    keys = [taxon_key(n) for n in names]
    uniq: dict[str, int] = {}
    col = np.empty(len(keys), dtype=np.int64)
    out_names: list[str] = []
    out_taxids: list[int | None] = []
    taxids = view.taxa["taxid"].tolist()
    for j, k in enumerate(keys):
        if k not in uniq:
            uniq[k] = len(out_names)
            out_names.append(resolve(names[j]))
            out_taxids.append(None if pd.isna(taxids[j]) else int(taxids[j]))
        col[j] = uniq[k]
    agg = sp.csr_matrix((np.ones(len(keys)), (np.arange(len(keys)), col)), shape=(len(keys), len(uniq)))
    return RankTable(rank, sp.csr_matrix(view.values @ agg), list(uniq), out_names, out_taxids)


def sample_metrics(profile: Profile) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Diversity metrics and indices per sample (samples × metrics) and the warnings each carries.

    Only metrics valid for the input are computed: richness-type estimators that need counts are left
    out for proportions. Index coverage warnings are returned so they can travel with the reference.
    """
    from .. import indices, metrics

    frames = []
    warnings: dict[str, list[str]] = {}
    alpha = metrics.alpha_diversity(profile, ["observed", "shannon", "simpson", "inverse_simpson", "pielou"])
    frames.append(alpha)
    # composition summaries (phylum shares, F/B ratio, guilds) get reference distributions like any metric
    frames.append(metrics.composition.composition_summary(profile).set_axis(alpha.index, axis=0))
    for name, func in (("gmhi", indices.gmhi), ("gmwi2", indices.gmwi2)):
        series = func(profile)
        frames.append(series.rename(name).to_frame())
        w = list(series.attrs.get("warnings", []))
        if w:
            warnings[name] = w
    out = pd.concat(frames, axis=1)
    out.index = profile.samples
    return out, warnings
