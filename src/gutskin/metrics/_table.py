"""Turning what callers pass (Profile, numpy array, scipy.sparse matrix, DataFrame) into one CSR matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError
from ..profile import Profile

#: Rank used when a Profile is given and no rank is named.
DEFAULT_RANK = "species"


@dataclass
class Table:
    """A validated samples × taxa CSR matrix (float64, canonical, no explicit zeros) with its context."""

    matrix: sp.csr_matrix
    ids: list[str] | pd.Index
    #: per-column taxon names (Profiles and DataFrames), else None
    names: list[str] | None = None
    #: the Profile view the matrix came from (already at the requested rank), if any
    profile: Profile | None = None
    #: "counts", "percent", "fraction", "mixed" for Profiles; None for bare arrays
    units: str | None = None


def as_table(table: Any, rank: str | None = DEFAULT_RANK, ids: Any = None) -> Table:
    """Coerce ``table`` (samples × taxa) into a :class:`Table`.

    A :class:`~gutskin.profile.Profile` is taken at ``rank`` (default species) via ``Profile.at_rank``;
    the values stay as written (counts, percent or fractions). Arrays and sparse matrices are used as given.
    """
    view = None
    names = None
    units = None
    if isinstance(table, Profile):
        view = table.at_rank(rank) if rank is not None else table
        matrix = view.values
        row_ids: Any = list(view.samples)
        names = [str(n) for n in view.taxa["name"].tolist()]
        units = view.units
    elif isinstance(table, pd.DataFrame):
        matrix = sp.csr_matrix(table.to_numpy(dtype=np.float64))
        row_ids = table.index
        names = [str(c) for c in table.columns]
    elif sp.issparse(table):
        matrix = sp.csr_matrix(table, dtype=np.float64)
        row_ids = None
    else:
        arr = np.asarray(table)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise InputError(f"expected a numeric samples × taxa table, got an array of {arr.dtype}")
        if arr.ndim == 1:
            arr = arr[np.newaxis, :]
        if arr.ndim != 2:
            raise InputError(f"expected a 2-D samples × taxa table, got {arr.ndim} dimensions")
        matrix = sp.csr_matrix(arr.astype(np.float64, copy=False))
        row_ids = None
    if matrix.ndim != 2:
        raise InputError("expected a 2-D samples × taxa table")
    matrix = _canonical(matrix)
    for part in _chunks(matrix.data):
        if not np.isfinite(part).all():
            raise InputError("the table holds NaN or infinite values; abundances must be finite numbers")
        if (part < 0).any():
            raise InputError("the table holds negative values; abundances must be ≥ 0")
    if ids is not None:
        row_ids = ids if isinstance(ids, pd.Index) else list(ids)
        if len(row_ids) != matrix.shape[0]:
            raise InputError(f"{len(row_ids)} ids given for {matrix.shape[0]} samples", field="ids")
    elif row_ids is None:
        row_ids = pd.RangeIndex(matrix.shape[0])
    return Table(matrix=matrix, ids=row_ids, names=names, profile=view, units=units)


def _canonical(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """float64 CSR with sorted, summed indices and no stored zeros (a copy only when needed)."""
    if matrix.dtype != np.float64:
        matrix = matrix.astype(np.float64)
    if not matrix.has_canonical_format:
        matrix = matrix.copy()
        matrix.sum_duplicates()
    if any((part == 0).any() for part in _chunks(matrix.data)):
        matrix = matrix.copy()
        matrix.eliminate_zeros()
    return matrix


#: Elements per block when scanning values, so checks on big tables need little extra memory.
CHUNK = 1 << 20


def _chunks(data: np.ndarray):
    for start in range(0, data.size, CHUNK):
        yield data[start:start + CHUNK]


def is_integral(matrix: sp.csr_matrix) -> bool:
    """True when every stored value is a whole number."""
    return all(bool(np.all(part == np.floor(part))) for part in _chunks(matrix.data))


def row_sums(matrix: sp.csr_matrix) -> np.ndarray:
    return np.asarray(matrix.sum(axis=1), dtype=np.float64).ravel()


def rank_resolution(profile: Profile, rank: str) -> np.ndarray:
    """Per sample: the share of its abundance that has a name at ``rank`` (1.0 = fully resolved).

    Measured against the total at the highest canonical rank the profile can report (the classified total),
    so MetaPhlAn profiles give ≈ 1 at species while 16S tables with few species names give much less.
    """
    from ..errors import RefusedError
    from ..taxonomy.ranks import RANKS

    top = None
    for r in RANKS:
        try:
            top = profile.rank_totals(r)
            break
        except RefusedError:
            continue
    if top is None:
        return np.zeros(profile.n_samples)
    try:
        here = profile.rank_totals(rank)
    except RefusedError:
        return np.zeros(profile.n_samples)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(top > 0, np.minimum(here / np.where(top > 0, top, 1.0), 1.0), np.nan)
