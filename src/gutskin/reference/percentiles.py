"""Where a person stands in a reference: percentiles with uncertainty, typical ranges, and prevalence.

A percentile from a finite reference is an estimate. The interval given is the Jeffreys interval for a
binomial proportion (Beta(k + ½, n − k + ½) quantiles, k = percentile × n), which behaves well at the
extremes where a person most often lands. A taxon the person does not carry gets no percentile at all: it
is reported against the share of healthy people who carry it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..profile import Profile
from .measures import metric_values
from .model import Reference
from .taxa import TAXON_RANKS, rank_table

COLUMNS = ["sample", "kind", "feature", "rank", "value", "percentile", "ci_low", "ci_high", "typical_low",
           "typical_high", "prevalence", "status", "n_reference", "reference"]
#: reference taxa at least this prevalent are listed as "absent" when a person lacks them
LIST_ABSENT_ABOVE = 0.10


def jeffreys(p: float, n: int, level: float = 0.95) -> tuple[float, float]:
    if not np.isfinite(p) or n <= 0:
        return float("nan"), float("nan")
    from scipy import stats  # a third of a second to import; the web app starts without it

    k = p * n
    a = (1 - level) / 2
    lo = 0.0 if k <= 0 else float(stats.beta.ppf(a, k + 0.5, n - k + 0.5))
    hi = 1.0 if k >= n else float(stats.beta.ppf(1 - a, k + 0.5, n - k + 0.5))
    return lo, hi


def jeffreys_many(p: np.ndarray, n: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """:func:`jeffreys` for an array of percentiles against one reference size (the same quantile function,
    element by element, so the same numbers; one call instead of thousands of scalar ones)."""
    p = np.asarray(p, dtype=np.float64)
    lo = np.full(p.shape, np.nan)
    hi = np.full(p.shape, np.nan)
    if n <= 0 or p.size == 0:
        return lo, hi
    from scipy import stats

    ok = np.isfinite(p)
    k = p[ok] * n
    a = (1 - level) / 2
    inner_lo = k > 0
    inner_hi = k < n
    lo_k = np.zeros(k.shape)
    hi_k = np.ones(k.shape)
    lo_k[inner_lo] = stats.beta.ppf(a, k[inner_lo] + 0.5, n - k[inner_lo] + 0.5)
    hi_k[inner_hi] = stats.beta.ppf(1 - a, k[inner_hi] + 0.5, n - k[inner_hi] + 0.5)
    lo[ok] = lo_k
    hi[ok] = hi_k
    return lo, hi


def _status(p: float) -> str:
    if not np.isfinite(p):
        return "not comparable"
    if p < 0.10:
        return "below typical"
    if p > 0.90:
        return "above typical"
    return "typical"


def percentiles(profile: Profile, reference: Reference, *, taxa: bool = True) -> pd.DataFrame:
    """One row per sample × (metric or taxon): value, percentile in ``reference``, interval and status."""
    return pd.DataFrame(percentile_records(profile, reference, taxa=taxa), columns=COLUMNS)


def percentile_records(profile: Profile, reference: Reference, *, taxa: bool = True) -> list[dict]:
    """The rows of :func:`percentiles` as dicts."""
    name = reference.name
    return [dict(zip(COLUMNS, (*row, name), strict=True)) for row in percentile_rows(profile, reference, taxa=taxa)]


#: the fields of a :func:`percentile_rows` row (:data:`COLUMNS` without the reference's name)
ROW = tuple(COLUMNS[:-1])
_NAN = float("nan")


def percentile_rows(profile: Profile, reference: Reference, *, taxa: bool = True) -> list[tuple]:
    """The rows of :func:`percentiles` as tuples of :data:`ROW` (what a report reads: hundreds of rows per
    sample, cheaper as tuples than as dicts or a table): every sample's metrics, then its taxa rank by rank."""
    from .registry import TRANSFERABLE, VERSION_MARGIN, relation

    rows: list[tuple] = []
    values, _ = metric_values(profile, reference.metric_rank)
    # across profiler versions or profilers only quantities shown to transfer are placed, with a wider interval
    exact = relation(profile, reference) == "exact"
    # per metric, every sample at once: the values, percentiles and Jeffreys intervals (one vectorised quantile
    # call per metric gives the same numbers as one scalar call per sample and metric, at a fraction of the cost)
    placed = []
    for metric, dist in reference.metrics.items():
        if metric not in values.columns or dist.n == 0 or (not exact and metric not in TRANSFERABLE):
            continue
        xs = [float(x) for x in values[metric].tolist()]
        ps = [dist.cdf(x) if np.isfinite(x) else _NAN for x in xs]
        lo, hi = jeffreys_many(np.array(ps, dtype=np.float64), dist.n)
        los, his = lo.tolist(), hi.tolist()
        if not exact:
            los = [max(0.0, v - VERSION_MARGIN) for v in los]
            his = [min(1.0, v + VERSION_MARGIN) for v in his]
        placed.append((metric, dist, xs, ps, los, his, dist.q(0.10), dist.q(0.90)))
    for i, sample in enumerate(profile.samples):
        for metric, dist, xs, ps, los, his, low, high in placed:
            rows.append((sample, "metric", metric, None, xs[i], ps[i], los[i], his[i], low, high, None,
                         _status(ps[i]), dist.n))
    if taxa and exact:
        for rank in TAXON_RANKS:
            ref_taxa = reference.taxa.get(rank)
            table = rank_table(profile, rank)
            if not ref_taxa or table is None:
                continue
            rows.extend(_taxon_rows(profile, reference, rank, table, ref_taxa))
    return rows


def _within_carriers(values: sp.csr_matrix, keys: list[str], ref_taxa: dict) -> list[float]:
    """For each stored entry of ``values`` (samples × taxa, CSR), the value's place among the
    reference's carriers of that taxon (:meth:`Distribution.cdf`; NaN where the reference has no such taxon or no
    quantiles for it): one vectorised call per taxon for the whole chunk instead of one per sample and taxon."""
    out = np.full(values.data.shape, np.nan)
    order = np.argsort(values.indices, kind="stable")
    by_col = values.indices[order]
    bounds = np.flatnonzero(np.diff(by_col)) + 1
    for seg in np.split(order, bounds):
        if seg.size == 0:
            continue
        summary = ref_taxa.get(keys[int(values.indices[seg[0]])])
        if summary is not None and summary.among_carriers.quantiles:
            out[seg] = summary.among_carriers.cdf_many(values.data[seg])
    return out.tolist()


def _taxon_rows(profile, reference, rank, table, ref_taxa) -> list[tuple]:
    rows: list[tuple] = []
    placed: list[int] = []  # rows whose interval is filled in at the end, all in one call
    n = reference.n
    dense_cols = {k: j for j, k in enumerate(table.keys)}
    typical: dict[str, tuple[float, float]] = {}  # each reference taxon's 10th/90th percentile, once per call

    def typical_of(key: str, dist) -> tuple[float, float]:
        got = typical.get(key)
        if got is None:
            got = typical[key] = (dist.q(0.10), dist.q(0.90))
        return got

    # the reference taxa listed as absent when a sample lacks them: each row but its sample, once per call
    listed = [(key, ("taxon", summary.name, rank, 0.0, _NAN, _NAN, _NAN, *typical_of(key, summary.among_carriers),
                     summary.prevalence, "absent", n))
              for key, summary in ref_taxa.items() if summary.prevalence >= LIST_ABSENT_ABOVE]
    values = table.values  # read entry by entry in stored order, as a row slice gives them
    data, cols, starts = values.data.tolist(), values.indices.tolist(), values.indptr.tolist()
    within_all = _within_carriers(values, table.keys, ref_taxa)
    for i, sample in enumerate(profile.samples):
        held = {table.keys[j]: (a, k) for k, (j, a) in enumerate(zip(cols[starts[i]:starts[i + 1]],
                                                                      data[starts[i]:starts[i + 1]], strict=True),
                                                                  start=starts[i]) if a > 0}
        for key, (a, k) in held.items():
            summary = ref_taxa.get(key)
            if summary is None:
                rows.append((sample, "taxon", table.names[dense_cols[key]], rank, a, _NAN, _NAN, _NAN, _NAN, _NAN,
                             0.0, "not in reference", n))
                continue
            within = within_all[k]
            p = (1 - summary.prevalence) + summary.prevalence * within if math.isfinite(within) else _NAN
            placed.append(len(rows))
            low, high = typical_of(key, summary.among_carriers)
            rows.append((sample, "taxon", summary.name, rank, a, p, _NAN, _NAN, low, high, summary.prevalence,
                         _status(p) if math.isfinite(p) else "too rare in reference", n))
        rows.extend((sample, *tail) for key, tail in listed if key not in held)
    lo, hi = jeffreys_many(np.array([rows[r][5] for r in placed], dtype=np.float64), n)
    for r, low, high in zip(placed, lo.tolist(), hi.tolist(), strict=True):
        row = rows[r]
        rows[r] = (*row[:6], low, high, *row[8:])
    return rows
