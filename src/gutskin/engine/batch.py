"""Measuring many samples of one table at once, for exactly the numbers each would get measured alone.

A report measures every knowledge-base feature of one sample against its reference, and the diversity,
composition and index values it needs (:func:`gutskin.reference.measures.metric_values`) are computed by the
scoring driver. Run on a one-sample slice, that driver costs tens of milliseconds, most of it the same work
for every slice; run on the whole table it costs about as much for thousands of samples.

The two are not always the same. A few choices in the driver are made once per table, from all its samples:

* which rank guilds are summed at (species when the *median* sample has most of its abundance named at
  species, else genus: :func:`gutskin.metrics.composition.guild_shares`);
* which native rank a clade table rolls up to form a rank it does not report (the one that places the most
  abundance *summed over samples*: :meth:`gutskin.profile.Profile.at_rank`);
* how each index matches names (from the profiler and database of *every* sample).

So a sample gets its row from the whole-table run only when each of those choices, made for it alone, is the
one made for the table, and by a clear margin (a near-tie could fall either way in the last bit of a sum).
Every other sample is measured alone, as before. Tests hold the two paths equal on real cohorts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import RefusedError
from ..indices._common import naming_of
from ..metrics._table import rank_resolution
from ..metrics.composition import MIN_RESOLUTION, guild_rank
from ..profile import Profile
from ..reference.measures import metric_values
from ..reference.taxa import TAXON_RANKS, rank_table
from ..taxonomy.ranks import RANKS

#: a choice decided by less than this relative margin is treated as a tie: those samples are measured alone
MARGIN = 1e-9

Metrics = tuple[pd.DataFrame, dict[str, list[str]]]
#: per taxon rank, the whole table's rank table (None: the rank cannot be formed) and the sample's row in it
RankRows = dict[str, tuple[object, int]]


def metrics_by_sample(profile: Profile, metric_rank: str) -> dict[str, Metrics]:
    """For each sample whose numbers do not depend on the rest of ``profile``: its one-row metrics table, as
    :func:`~gutskin.reference.measures.metric_values` gives for that sample alone (and the table's warnings).

    Samples left out (and every sample when fewer than two, or when samples were profiled differently) are for
    the caller to measure alone.
    """
    if profile.n_samples < 2 or len({_provenance(i) for i in profile.info}) > 1:
        return {}
    agree = _guild_rank_agrees(profile) & _roll_ups_agree(profile)
    if not agree.any():
        return {}
    values, warnings = metric_values(profile, metric_rank)
    out: dict[str, Metrics] = {}
    for i in np.flatnonzero(agree):
        row = values.iloc[[int(i)]]
        if metric_rank != "species":
            # measured alone, a metric the sample has no value for is not a column at all
            row = row.loc[:, row.notna().any(axis=0)]
        out[profile.samples[int(i)]] = (row, warnings)
    return out


def rank_rows_by_sample(profile: Profile) -> dict[str, RankRows]:
    """For each sample whose taxon shares do not depend on the rest of ``profile``: the table-wide
    :func:`~gutskin.reference.taxa.rank_table` of each taxon rank and the sample's row in it, which is the one-row
    table the sample gets alone (each row is normalised and collapsed on its own; the columns depend only on the
    taxa, which a slice keeps). The choices made once per table are the roll-up rank of a clade table, and the
    species view, which a 16S sample skips: samples profiled differently, or a roll-up that is not clearly the
    same alone, leave every sample (or that one) to be measured alone.
    """
    if profile.n_samples < 2 or len({_provenance(i) for i in profile.info}) > 1:
        return {}
    agree = _roll_ups_agree(profile)
    if not agree.any():
        return {}
    try:
        tables = {rank: rank_table(profile, rank) for rank in TAXON_RANKS}
    except RefusedError:
        return {}
    return {profile.samples[int(i)]: {rank: (t, int(i)) for rank, t in tables.items()} for i in np.flatnonzero(agree)}


def _provenance(info) -> tuple:
    # everything a table-wide choice may read from a sample's provenance (index name matching, units)
    return (naming_of(info), info.format, info.units, info.method, info.profiler, info.profiler_version,
            info.database)


def _decided(best: np.ndarray, runner_up: np.ndarray) -> np.ndarray:
    scale = np.maximum(np.abs(best), np.finfo(np.float64).tiny)
    return (best - runner_up) > MARGIN * scale


def _guild_rank_agrees(profile: Profile) -> np.ndarray:
    """Per sample: would it, alone, sum guilds at the rank the table sums them at (clearly)?"""
    res = rank_resolution(profile, "species")  # zeros when the table has no species rank: genus alike alone
    finite = np.isfinite(res)
    table = float(np.nanmedian(res)) if finite.any() else 0.0
    alone = np.where(finite, res, 0.0)
    same_side = np.array([guild_rank(a) == guild_rank(table) for a in alone], dtype=bool)
    clear = (np.abs(alone - MIN_RESOLUTION) > MARGIN) & (abs(table - MIN_RESOLUTION) > MARGIN)
    return same_side & clear


def _roll_ups_agree(profile: Profile) -> np.ndarray:
    """Per sample: for every rank a clade table rolls up, would it alone roll up the same native rank?"""
    n = profile.n_samples
    ok = np.ones(n, dtype=bool)
    if profile.layout != "clades":
        return ok  # leaves roll up by lineage alone, whatever the values
    own = profile.taxa["rank"].to_numpy()
    values = profile.values.tocsc()
    for rank in RANKS:
        if (own == rank).any():
            continue  # reported natively: no choice
        deeper, columns = profile.roll_up_sources(rank)
        if len(deeper) < 2:
            continue  # nothing to choose from (or nothing at all: refused alone as in the table)
        placed = np.column_stack([np.asarray(values[:, np.flatnonzero(c)].sum(axis=1)).ravel() for c in columns])
        order = np.argsort(-placed, axis=1, kind="stable")
        first, second = order[:, 0], order[:, 1]
        rows = np.arange(n)
        table = placed.sum(axis=0)
        t_order = np.argsort(-table, kind="stable")
        if not _decided(table[t_order[:1]], table[t_order[1:2]])[0]:
            return np.zeros(n, dtype=bool)
        ok &= (first == t_order[0]) & _decided(placed[rows, first], placed[rows, second])
    return ok
