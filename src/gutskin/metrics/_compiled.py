"""The compiled kernels (numba, optional extra ``fast``), imported only when one first runs.

:mod:`gutskin.metrics._kernels` decides when to use them and holds the numpy paths that give the same numbers.
Importing numba and loading a cached kernel costs most of a second, so this module is imported on first use.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange


def threads() -> int:
    return int(numba.get_num_threads())


@njit(parallel=True, cache=True)
def count_sums(indptr, data, out):  # pragma: no cover - compiled
    """Columns 4–8 of :func:`gutskin.metrics._kernels.alpha_sums` (singletons … rare Σx(x−1)), one pass."""
    n = indptr.size - 1
    for i in prange(n):
        f1 = 0.0
        f2 = 0.0
        srare = 0.0
        nrare = 0.0
        grare = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            x = data[k]
            if x > 0.0:
                if x == 1.0:
                    f1 += 1.0
                elif x == 2.0:
                    f2 += 1.0
                if x <= 10.0:
                    srare += 1.0
                    nrare += x
                    grare += x * (x - 1.0)
        out[i, 4] = f1
        out[i, 5] = f2
        out[i, 6] = srare
        out[i, 7] = nrare
        out[i, 8] = grare


@njit(parallel=True, cache=True)
def bc_cross_inverted(a_ptr, a_idx, a_dat, a_sum, c_ptr, c_row, c_dat, b_sum, out):  # pragma: no cover
    nq = a_ptr.size - 1
    nr = b_sum.size
    for i in prange(nq):
        acc = np.zeros(nr)
        for k in range(a_ptr[i], a_ptr[i + 1]):
            j = a_idx[k]
            q = a_dat[k]
            for t in range(c_ptr[j], c_ptr[j + 1]):
                v = c_dat[t]
                acc[c_row[t]] += q if q < v else v
        sa = a_sum[i]
        for r in range(nr):
            den = sa + b_sum[r]
            out[i, r] = (den - 2.0 * acc[r]) / den if den > 0.0 else np.nan


@njit(cache=True)
def _first_above(rows, lo, hi, i):  # pragma: no cover
    # first position in rows[lo:hi] (sorted) holding a row index > i
    while lo < hi:
        mid = (lo + hi) // 2
        if rows[mid] <= i:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(parallel=True, cache=True)
def bc_pairs_inverted(ptr, idx, dat, sums, c_ptr, c_row, c_dat, out):  # pragma: no cover
    # upper triangle only; rows are taken in pairs (p, n-1-p) so both threads get the same work
    n = sums.size
    half = (n + 1) // 2
    for p in prange(half):
        acc = np.zeros(n)
        first = np.int64(p)
        for which in range(2):
            i = first if which == 0 else np.int64(n - 1) - first
            if which == 1 and i == first:
                continue
            for r in range(i + 1, n):
                acc[r] = 0.0
            for k in range(ptr[i], ptr[i + 1]):
                j = idx[k]
                q = dat[k]
                hi = c_ptr[j + 1]
                for t in range(_first_above(c_row, c_ptr[j], hi, i), hi):
                    v = c_dat[t]
                    acc[c_row[t]] += q if q < v else v
            si = sums[i]
            for r in range(i + 1, n):
                den = si + sums[r]
                d = (den - 2.0 * acc[r]) / den if den > 0.0 else np.nan
                out[i, r] = d
                out[r, i] = d
