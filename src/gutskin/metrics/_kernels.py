"""Low-level kernels over CSR matrices: a compiled path (numba, optional extra ``fast``) and a numpy/scipy path.

Both paths compute the same per-row sums and pairwise quantities; only the order of floating-point
additions differs, so results agree to about 1e-15 (tests require 1e-12). The final formulas are
applied by shared numpy code in :mod:`.alpha` and :mod:`.beta`, so the two paths can never drift apart
in *what* they compute.

Which path runs:

* ``GUTSKIN_NO_NUMBA=1`` in the environment, or numba not installed → numpy/scipy only.
* :func:`set_backend` / :func:`use_backend` switch at run time (``"auto"``, ``"numba"``, ``"numpy"``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

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

_backend = "auto"


def set_backend(name: str) -> None:
    """Choose the kernel path: ``"auto"`` (numba when installed), ``"numba"`` or ``"numpy"``."""
    global _backend
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {name!r}")
    if name == "numba" and not HAVE_NUMBA:
        raise ValueError("the numba backend needs the optional extra 'fast' (pip install gutskin[fast])")
    _backend = name


def backend() -> str:
    """The path that will actually run: ``"numba"`` or ``"numpy"``."""
    if _backend == "numpy" or not HAVE_NUMBA:
        return "numpy"
    return "numba"


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Temporarily switch the kernel path (tests use this to force the numpy fallback)."""
    old = _backend
    set_backend(name)
    try:
        yield
    finally:
        set_backend(old)


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
    if backend() == "numba":
        _alpha_sums_numba(indptr.astype(np.int64, copy=False), data, out)
    else:
        _alpha_sums_numpy(indptr, data, out)
    return out


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
def bray_curtis_cross(a_ptr, a_idx, a_dat, a_sum, b_ptr, b_idx, b_dat, b_sum, n_cols) -> np.ndarray:
    """Σ min(a_i, b_j) for every row pair (compiled path only); shape (rows of a, rows of b)."""
    out = np.empty((a_ptr.size - 1, b_ptr.size - 1), dtype=np.float64)
    _bc_min_cross(a_ptr.astype(np.int64, copy=False), a_idx.astype(np.int64, copy=False), a_dat,
                  b_ptr.astype(np.int64, copy=False), b_idx.astype(np.int64, copy=False), b_dat,
                  int(n_cols), out)
    return out


def bray_curtis_pairs(ptr, idx, dat, n_cols) -> np.ndarray:
    """Σ min(a_i, a_j) for all pairs i < j, mirrored; diagonal left 0 (compiled path only)."""
    n = ptr.size - 1
    out = np.zeros((n, n), dtype=np.float64)
    _bc_min_pairs(ptr.astype(np.int64, copy=False), idx.astype(np.int64, copy=False), dat, int(n_cols), out)
    return out


if HAVE_NUMBA:

    @njit(parallel=True, cache=True)
    def _alpha_sums_numba(indptr, data, out):  # pragma: no cover - compiled
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
                    sxlx += x * np.log(x)
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
    def _bc_min_cross(a_ptr, a_idx, a_dat, b_ptr, b_idx, b_dat, n_cols, out):  # pragma: no cover
        # scatter one query row into a dense buffer, then gather over each reference row's entries
        nq = a_ptr.size - 1
        nr = b_ptr.size - 1
        for i in prange(nq):
            buf = np.zeros(n_cols)
            for k in range(a_ptr[i], a_ptr[i + 1]):
                buf[a_idx[k]] = a_dat[k]
            for j in range(nr):
                m = 0.0
                for k in range(b_ptr[j], b_ptr[j + 1]):
                    x = buf[b_idx[k]]
                    y = b_dat[k]
                    m += x if x < y else y
                out[i, j] = m

    @njit(parallel=True, cache=True)
    def _bc_min_pairs(ptr, idx, dat, n_cols, out):  # pragma: no cover
        # rows are processed in pairs (p, n-1-p) so both threads get the same share of the triangle
        n = ptr.size - 1
        half = (n + 1) // 2
        for p in prange(half):
            buf = np.zeros(n_cols)
            first = np.int64(p)
            for which in range(2):
                i = first if which == 0 else np.int64(n - 1) - first
                if which == 1 and i == first:
                    continue
                for k in range(ptr[i], ptr[i + 1]):
                    buf[idx[k]] = dat[k]
                for j in range(i + 1, n):
                    m = 0.0
                    for k in range(ptr[j], ptr[j + 1]):
                        x = buf[idx[k]]
                        y = dat[k]
                        m += x if x < y else y
                    out[i, j] = m
                    out[j, i] = m
                for k in range(ptr[i], ptr[i + 1]):
                    buf[idx[k]] = 0.0

    def numba_threads() -> int:
        return int(numba.get_num_threads())

else:  # pragma: no cover - exercised in the no-numba subprocess test

    def numba_threads() -> int:
        return 0
