"""Low-level kernels over CSR matrices: a compiled path (numba, optional extra ``fast``) and a numpy/scipy path.

Both paths compute the same quantities; only the order of floating-point additions differs, so results
agree to about 1e-15 (tests require 1e-12). Alpha diversity: both paths produce the same per-row sums and
shared numpy code in :mod:`.alpha` turns them into metrics. Bray–Curtis: the compiled path is a sparse
inverted-index kernel; the fallback is scipy's own ``cdist``/``pdist``.

Which path runs:

* ``GUTSKIN_NO_NUMBA=1`` in the environment, or numba not installed → numpy/scipy only.
* :func:`set_backend` / :func:`use_backend` switch at run time (``"auto"``, ``"numba"``, ``"numpy"``). The
  choice is a context variable, not a process global: it applies to the current thread or asyncio task only,
  so a test forcing the numpy path cannot change what a server's other requests run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar

import numpy as np

BACKENDS = ("auto", "numba", "numpy")

HAVE_NUMBA = False
if not os.environ.get("GUTSKIN_NO_NUMBA"):
    try:  # pragma: no branch - depends on the environment
        import numba
        from numba import njit, prange

        HAVE_NUMBA = True
    except ImportError:  # the "fast" extra is not installed
        HAVE_NUMBA = False

_backend: ContextVar[str] = ContextVar("gutskin_kernel_backend", default="auto")


def set_backend(name: str) -> None:
    """Choose the kernel path for the current thread/task: ``"auto"`` (numba when installed), ``"numba"`` or
    ``"numpy"``."""
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {name!r}")
    if name == "numba" and not HAVE_NUMBA:
        raise ValueError("the numba backend needs the optional extra 'fast' (pip install gutskin[fast])")
    _backend.set(name)


def backend() -> str:
    """The path that will actually run: ``"numba"`` or ``"numpy"``."""
    if _backend.get() == "numpy" or not HAVE_NUMBA:
        return "numpy"
    return "numba"


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Temporarily switch the kernel path (tests use this to force the numpy fallback)."""
    if name not in BACKENDS or (name == "numba" and not HAVE_NUMBA):
        set_backend(name)  # raises with the reason
    token = _backend.set(name)
    try:
        yield
    finally:
        _backend.reset(token)


# ---------------------------------------------------------------------------------------------- alpha sums
#: Columns of the per-row sums array, in order.
ALPHA_SUMS = ("total", "sum_xlogx", "sum_sq", "observed", "singletons", "doubletons",
              "rare_taxa", "rare_individuals", "rare_gamma")
RARE_THRESHOLD = 10


def alpha_sums(indptr: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Per-row sums over the positive entries of a CSR matrix, shape (rows, len(ALPHA_SUMS)).

    ``rare_*`` use the ACE rare threshold of 10 (entries ``x <= 10``): number of rare taxa, individuals
    in rare taxa (Σx) and Σx(x−1).
    """
    n = indptr.size - 1
    out = np.zeros((n, len(ALPHA_SUMS)), dtype=np.float64)
    if n == 0:
        return out
    compiled = backend() == "numba"
    # blocks of whole rows holding about BLOCK_NNZ values each bound the temporaries
    indptr = indptr.astype(np.int64, copy=False)
    start = 0
    while start < n:
        stop = int(np.searchsorted(indptr, indptr[start] + BLOCK_NNZ, side="right")) - 1
        stop = min(max(stop, start + 1), n)
        lo, hi = indptr[start], indptr[stop]
        if compiled:
            # numpy's vectorised logarithm is five times faster than one call per value inside the loop; the
            # loop skips the entries it is not defined for (zeros)
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.log(data[lo:hi])
            _alpha_sums_numba(indptr[start:stop + 1] - lo, data[lo:hi], logs, out[start:stop])
        else:
            _alpha_sums_numpy(indptr[start:stop + 1] - lo, data[lo:hi], out[start:stop])
        start = stop
    return out


#: Values per block in the numpy alpha path.
BLOCK_NNZ = 1 << 20


def _segment_sums(values: np.ndarray, indptr: np.ndarray, nonempty: np.ndarray) -> np.ndarray:
    """Σ values over each CSR row segment (rows without entries get 0)."""
    n = indptr.size - 1
    res = np.zeros(n, dtype=np.float64)
    if values.size:
        res[nonempty] = np.add.reduceat(values, indptr[:-1][nonempty])
    return res


def _alpha_sums_numpy(indptr: np.ndarray, data: np.ndarray, out: np.ndarray) -> None:
    pos = data > 0
    if not pos.all():  # drop explicit zeros so every entry below is a present taxon
        rows = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))[pos]
        data = data[pos]
        indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=indptr.size - 1))))
    nonempty = np.diff(indptr) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        xlogx = data * np.log(data)
    out[:, 0] = _segment_sums(data, indptr, nonempty)
    out[:, 1] = _segment_sums(xlogx, indptr, nonempty)
    out[:, 2] = _segment_sums(data * data, indptr, nonempty)
    out[:, 3] = np.diff(indptr)
    out[:, 4] = _segment_sums((data == 1).astype(np.float64), indptr, nonempty)
    out[:, 5] = _segment_sums((data == 2).astype(np.float64), indptr, nonempty)
    rare = data <= RARE_THRESHOLD
    out[:, 6] = _segment_sums(rare.astype(np.float64), indptr, nonempty)
    out[:, 7] = _segment_sums(np.where(rare, data, 0.0), indptr, nonempty)
    out[:, 8] = _segment_sums(np.where(rare, data * (data - 1.0), 0.0), indptr, nonempty)


# ---------------------------------------------------------------------------------------------- Bray–Curtis
def _index_dtype(n: int) -> type:
    return np.int32 if n < 2**31 - 1 else np.int64


def bray_curtis_cross(a, b) -> np.ndarray:
    """Bray–Curtis of every row of CSR ``a`` against every row of CSR ``b`` (compiled path only).

    The reference ``b`` is turned into an inverted index (CSC: for each taxon, the reference samples that
    hold it); each query row then adds ``min(q_j, r_j)`` into one accumulator per reference sample, over
    the shared taxa only. ``1 − 2 Σmin / (Σq + Σr)``; NaN when both samples are empty.
    """
    csc = b.tocsc()
    csc.sort_indices()
    a_sum = np.asarray(a.sum(axis=1), dtype=np.float64).ravel()
    b_sum = np.asarray(b.sum(axis=1), dtype=np.float64).ravel()
    out = np.empty((a.shape[0], b.shape[0]), dtype=np.float64)
    it = _index_dtype(max(a.shape[1], b.shape[0]))
    _bc_cross_inverted(a.indptr.astype(np.int64, copy=False), a.indices.astype(it, copy=False), a.data, a_sum,
                       csc.indptr.astype(np.int64, copy=False), csc.indices.astype(it, copy=False), csc.data, b_sum,
                       out)
    return out


def bray_curtis_pairs(a) -> np.ndarray:
    """All-pairs Bray–Curtis of the rows of CSR ``a`` (symmetric, zero diagonal; compiled path only)."""
    csc = a.tocsc()
    csc.sort_indices()
    sums = np.asarray(a.sum(axis=1), dtype=np.float64).ravel()
    n = a.shape[0]
    out = np.zeros((n, n), dtype=np.float64)
    it = _index_dtype(max(a.shape[1], n))
    _bc_pairs_inverted(a.indptr.astype(np.int64, copy=False), a.indices.astype(it, copy=False), a.data, sums,
                       csc.indptr.astype(np.int64, copy=False), csc.indices.astype(it, copy=False), csc.data, out)
    return out


if HAVE_NUMBA:

    @njit(parallel=True, cache=True)
    def _alpha_sums_numba(indptr, data, logs, out):  # pragma: no cover - compiled
        n = indptr.size - 1
        for i in prange(n):
            total = 0.0
            sxlx = 0.0
            ssq = 0.0
            obs = 0.0
            f1 = 0.0
            f2 = 0.0
            srare = 0.0
            nrare = 0.0
            grare = 0.0
            for k in range(indptr[i], indptr[i + 1]):
                x = data[k]
                if x > 0.0:
                    total += x
                    sxlx += x * logs[k]
                    ssq += x * x
                    obs += 1.0
                    if x == 1.0:
                        f1 += 1.0
                    elif x == 2.0:
                        f2 += 1.0
                    if x <= 10.0:
                        srare += 1.0
                        nrare += x
                        grare += x * (x - 1.0)
            out[i, 0] = total
            out[i, 1] = sxlx
            out[i, 2] = ssq
            out[i, 3] = obs
            out[i, 4] = f1
            out[i, 5] = f2
            out[i, 6] = srare
            out[i, 7] = nrare
            out[i, 8] = grare

    @njit(parallel=True, cache=True)
    def _bc_cross_inverted(a_ptr, a_idx, a_dat, a_sum, c_ptr, c_row, c_dat, b_sum, out):  # pragma: no cover
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
    def _bc_pairs_inverted(ptr, idx, dat, sums, c_ptr, c_row, c_dat, out):  # pragma: no cover
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

    def numba_threads() -> int:
        return int(numba.get_num_threads())

else:  # pragma: no cover - exercised in the no-numba subprocess test

    def numba_threads() -> int:
        return 0
