"""Knowledge-base taxa measured for every sample of a partition at once.

The abundance of each knowledge-base taxon at genus or species rank, found the way the skin insights find it
(:class:`gutskin.insights.measure.SampleMeasurer`: every name the taxon has had, folded for comparison, plus its
NCBI taxid), but as one sparse product over all samples instead of one lookup per sample. Phyla, guilds,
diversity and indices are already columns of the scores table. Tests hold the values equal to the insights'.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..profile import Profile
from . import _engine

PREFIX = "kb."
RANKS = ("genus", "species")


def _name_keys(feature, synonyms, normalise) -> set[str]:
    keys: set[str] = set()
    for n in [*feature.all_names(), *feature.includes]:
        keys |= synonyms.keys(n)
        keys.add(normalise(n))
    return keys


def feature_values(profile: Profile) -> pd.DataFrame:
    """Samples × ``kb.<feature id>``: relative abundance (0–1) of each knowledge-base taxon at its rank.

    A taxon whose rank the profile cannot give (no genus names, say) is left out; one the profile's naming
    lacks is 0, as in the insights (its absence is then judged against the reference).
    """
    from ..taxonomy.synonyms import normalise

    kb, synonyms = _engine.knowledge_and_synonyms()
    columns: dict[str, np.ndarray] = {}
    for rank in RANKS:
        feats = [f for f in kb.features("taxon") if f.rank is not None and f.rank.value == rank
                 and f.measurable_in_stool_profile]
        if not feats:
            continue
        table = _engine.rank_table(profile, rank)
        if table is None:
            continue
        pos = {k: j for j, k in enumerate(table.keys)}
        by_taxid: dict[int, list[int]] = {}
        for j, t in enumerate(table.taxids):
            if t is not None:
                by_taxid.setdefault(t, []).append(j)
        rows, cols = [], []
        for i, f in enumerate(feats):
            hit = [pos[k] for k in _name_keys(f, synonyms, normalise) if k in pos]
            if f.ncbi_taxid is not None:
                hit += [j for j in by_taxid.get(f.ncbi_taxid, []) if j not in hit]
            rows.extend(hit)
            cols.extend([i] * len(hit))
        select = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(table.keys), len(feats)))
        values = np.asarray((table.values @ select).todense())
        for i, f in enumerate(feats):
            columns[f"{PREFIX}{f.id}"] = values[:, i]
    return pd.DataFrame(columns, index=pd.Index(profile.samples, name="sample"))
