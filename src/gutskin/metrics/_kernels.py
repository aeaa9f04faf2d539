"""Low-level kernels over CSR matrices: a compiled path (numba, optional extra ``fast``) and a numpy/scipy path.

Both paths compute the same quantities. Alpha diversity: the moments every metric uses (Σx, Σx·ln x, Σx²,
observed) always come from numpy, vectorised, so they are the same to the last bit on either path; the compiled
kernel only adds the count columns Chao1 and ACE use (whole numbers, exact in any order), where numpy needs a
temporary per column. Shared numpy code in :mod:`.alpha` turns the sums into metrics. Bray–Curtis: the compiled
path is a sparse inverted-index kernel, the fallback scipy's own ``cdist``/``pdist``; they agree to about 1e-15
(tests require 1e-12). The compiled kernels live in :mod:`._compiled`, imported on first use.

Which path runs:

* ``GUTSKIN_NO_NUMBA=1`` in the environment, or numba not installed → numpy/scipy only.
* :func:`set_backend` / :func:`use_backend` switch at run time (``"auto"``, ``"numba"``, ``"numpy"``). The
  choice is a context variable, not a process global: it applies to the current thread or asyncio task only,
  so a test forcing the numpy path cannot change what a server's other requests run.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from contextvars import ContextVar

import numpy as np

BACKENDS = ("auto", "numba", "numpy")

def _numba_installed() -> bool:
    if os.environ.get("GUTSKIN_NO_NUMBA"):
        return False
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):  # a module entry set to None (tests) or a broken install
        return False


#: numba is installed (the optional extra "fast") and not switched off. It is imported only when a compiled
#: kernel first runs (:mod:`._compiled`): importing it and loading a cached kernel cost most of a second, which
#: every process paid at start-up (the web app, each cohort worker) though most never needed a compiled path
HAVE_NUMBA = _numba_installed()

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


def alpha_sums(indptr: np.ndarray, data: np.ndarray, counts: bool = True) -> np.ndarray:
    """Per-row sums over the positive entries of a CSR matrix, shape (rows, len(ALPHA_SUMS)).

    ``rare_*`` use the ACE rare threshold of 10 (entries ``x <= 10``): number of rare taxa, individuals
    in rare taxa (Σx) and Σx(x−1). ``counts=False`` leaves the five count columns (singletons … rare_gamma,
    which only Chao1 and ACE use) at zero.

    The first four columns always come from numpy (vectorised, pairwise sums per row), whichever backend is
    chosen, so a sample's Shannon and Simpson are the same to the last bit however it is computed. The count
    columns are sums of whole numbers when they are used (Chao1 and ACE need integer counts), exact in any
    order; the compiled kernel computes them when numba is there, because numpy needs a temporary per column.
    """
    indptr = indptr.astype(np.int64, copy=False)
    n = indptr.size - 1
    out = np.zeros((n, len(ALPHA_SUMS)), dtype=np.float64)
    if n == 0:
        return out
    compiled = alpha_backend(counts) == "numba"
    # blocks of whole rows holding about BLOCK_NNZ values each bound the temporaries
    start = 0
    while start < n:
        stop = int(np.searchsorted(indptr, indptr[start] + BLOCK_NNZ, side="right")) - 1
        stop = min(max(stop, start + 1), n)
        lo, hi = indptr[start], indptr[stop]
        ptr, block, rows = indptr[start:stop + 1] - lo, data[lo:hi], out[start:stop]
        if compiled:
            from . import _compiled

            _compiled.count_sums(ptr, block, rows)  # skips zeros itself
        ptr, block = _positive(ptr, block)
        _moment_sums_numpy(ptr, block, rows)
        if counts and not compiled:
            _count_sums_numpy(ptr, block, rows)
        start = stop
    return out


def alpha_backend(counts: bool) -> str:
    """The path :func:`alpha_sums` takes: only the count columns ever use the compiled kernel."""
    return "numba" if counts and backend() == "numba" else "numpy"


#: Values per block in the alpha sums.
BLOCK_NNZ = 1 << 20


def _segment_sums(values: np.ndarray, indptr: np.ndarray, nonempty: np.ndarray) -> np.ndarray:
    """Σ values over each CSR row segment (rows without entries get 0)."""
    n = indptr.size - 1
    res = np.zeros(n, dtype=np.float64)
    if values.size:
        res[nonempty] = np.add.reduceat(values, indptr[:-1][nonempty])
    return res


def _positive(indptr: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entries > 0 only (explicit zeros dropped), so every entry is a present taxon."""
    pos = data > 0
    if pos.all():
        return indptr, data
    rows = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))[pos]
    return np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=indptr.size - 1)))), data[pos]


def _moment_sums_numpy(indptr: np.ndarray, data: np.ndarray, out: np.ndarray) -> None:
    """Columns total, Σx·ln x, Σx², observed (entries all > 0): one scratch array reused for every product."""
    nonempty = np.diff(indptr) > 0
    scratch = np.empty_like(data)
    out[:, 0] = _segment_sums(data, indptr, nonempty)
    np.log(data, out=scratch)
    np.multiply(data, scratch, out=scratch)
    out[:, 1] = _segment_sums(scratch, indptr, nonempty)
    np.multiply(data, data, out=scratch)
    out[:, 2] = _segment_sums(scratch, indptr, nonempty)
    out[:, 3] = np.diff(indptr)


def _count_sums_numpy(indptr: np.ndarray, data: np.ndarray, out: np.ndarray) -> None:
    """Columns singletons, doubletons, rare taxa, rare individuals, rare Σx(x−1) (entries all > 0)."""
    nonempty = np.diff(indptr) > 0
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
    from . import _compiled

    _compiled.bc_cross_inverted(a.indptr.astype(np.int64, copy=False), a.indices.astype(it, copy=False), a.data, a_sum,
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
    from . import _compiled

    _compiled.bc_pairs_inverted(a.indptr.astype(np.int64, copy=False), a.indices.astype(it, copy=False), a.data, sums,
                       csc.indptr.astype(np.int64, copy=False), csc.indices.astype(it, copy=False), csc.data, out)
    return out


def numba_threads() -> int:
    """Threads the compiled kernels use (0 without numba); imports numba."""
    if not HAVE_NUMBA:
        return 0
    from . import _compiled

    return _compiled.threads()
