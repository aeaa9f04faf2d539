"""Beta diversity: Bray–Curtis, Jaccard and Aitchison, all pairs or queries against a reference set.

Every function takes ``a`` (samples × taxa) and an optional ``b``: with ``b=None`` it returns the square
matrix of all pairs of ``a`` (zero diagonal, symmetric, like ``squareform(pdist(a))``); otherwise the
``len(a) × len(b)`` matrix of ``a`` against ``b`` (like ``cdist(a, b)``). Arrays and sparse matrices must
share their columns and are used as given. Two :class:`~gutskin.profile.Profile` objects are aligned on
taxon names at ``rank`` (default species) and converted to relative abundances first, so a counts
profile and a percent profile compare fairly.

Definitions (``u``, ``v`` two samples):

* **Bray–Curtis** ``Σ|u−v| / Σ(u+v)`` (= ``1 − 2 Σmin(u,v) / (Σu + Σv)``), as scipy ``braycurtis``; NaN
  for two empty samples (scipy gives NaN there too).
* **Jaccard** presence/absence: ``1 − |U∩V| / |U∪V|`` over taxa with a value > 0, equal to scipy
  ``jaccard`` on boolean presence vectors; 0 for two empty samples.
* **Aitchison** Euclidean distance between centred log-ratio (CLR) vectors. Zeros must be replaced
  before the logarithm; the default is the **multiplicative replacement** of Martín-Fernández et al.
  (2003): close each sample to 1, put ``δ`` in every zero (default ``δ = 1/D²``, ``D`` = number of
  taxa columns — the scikit-bio ``multi_replace`` default) and shrink the non-zero parts by
  ``1 − (number of zeros)·δ``. ``pseudocount=c`` instead adds ``c`` to every value before closure.
  ``D`` is the width of the *aligned* table, so compare samples only within one call.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from ..profile import Profile
from . import _kernels
from ._table import DEFAULT_RANK, as_table, row_sums

#: Rows of ``a`` processed per block by the dense fallbacks (bounds memory to block × columns).
BLOCK = 512

BETA_METRICS = ("braycurtis", "jaccard", "aitchison")


def _pair(a: Any, b: Any, rank: str | None) -> tuple[sp.csr_matrix, sp.csr_matrix | None]:
    """Two CSR matrices over the same columns (``b`` None for all-pairs)."""
    if isinstance(a, Profile) or isinstance(b, Profile):
        if b is not None and not (isinstance(a, Profile) and isinstance(b, Profile)):
            raise InputError("give both a and b as Profiles, or both as arrays over the same taxa columns")
        return align_profiles(a, b, rank or DEFAULT_RANK)
    ta = as_table(a, rank=None).matrix
    if b is None:
        return ta, None
    tb = as_table(b, rank=None).matrix
    if ta.shape[1] != tb.shape[1]:
        raise InputError(f"a has {ta.shape[1]} taxa columns and b has {tb.shape[1]}; they must be the same "
                         "columns in the same order")
    return ta, tb


def _name_key(name: Any) -> str:
    return " ".join(str(name).replace("_", " ").split()).lower()


def align_profiles(a: Profile, b: Profile | None, rank: str) -> tuple[sp.csr_matrix, sp.csr_matrix | None]:
    """Relative abundances of ``a`` (and ``b``) at ``rank`` over one shared set of columns.

    Columns are united by taxon name (case- and underscore-insensitive); taxa of one profile sharing a
    name are summed.
    """
    views = [a.proportions(rank)] + ([b.proportions(rank)] if b is not None else [])
    index: dict[str, int] = {}
    for v in views:
        for n in v.taxa["name"].tolist():
            index.setdefault(_name_key(n), len(index))
    out = []
    for v in views:
        cols = np.fromiter((index[_name_key(n)] for n in v.taxa["name"].tolist()), dtype=np.int64,
                           count=v.n_taxa)
        agg = sp.csr_matrix((np.ones(v.n_taxa), (np.arange(v.n_taxa), cols)), shape=(v.n_taxa, len(index)))
        out.append(sp.csr_matrix(v.values @ agg))
    a_m = as_table(out[0], rank=None).matrix
    b_m = as_table(out[1], rank=None).matrix if b is not None else None
    return a_m, b_m


# ---------------------------------------------------------------------------------------------- Bray–Curtis
def bray_curtis(a: Any, b: Any = None, *, rank: str | None = DEFAULT_RANK) -> np.ndarray:
    """Bray–Curtis dissimilarity: all pairs of ``a`` (``b=None``) or every row of ``a`` against ``b``.

    Uses the compiled sparse kernel when numba is installed (an inverted index of ``b`` by taxon, so each
    pair costs only its shared taxa), else scipy's ``pdist``/``cdist`` on dense blocks; both agree with
    scipy to 1e-12.
    """
    ma, mb = _pair(a, b, rank)
    if _kernels.backend() == "numba":
        return _kernels.bray_curtis_pairs(ma) if mb is None else _kernels.bray_curtis_cross(ma, mb)
    return _scipy_blocks(ma, mb, "braycurtis")


def _scipy_blocks(ma: sp.csr_matrix, mb: sp.csr_matrix | None, metric: str) -> np.ndarray:
    """scipy pdist/cdist on dense copies, ``a`` in blocks of rows (the fallback path)."""
    from scipy.spatial.distance import cdist, pdist, squareform  # a tenth of a second; only this path needs it

    with np.errstate(divide="ignore", invalid="ignore"):
        if mb is None:
            return squareform(pdist(ma.toarray(), metric))
        dense_b = mb.toarray()
        out = np.empty((ma.shape[0], mb.shape[0]), dtype=np.float64)
        for start in range(0, ma.shape[0], BLOCK):
            stop = min(start + BLOCK, ma.shape[0])
            out[start:stop] = cdist(ma[start:stop].toarray(), dense_b, metric)
        return out


# ---------------------------------------------------------------------------------------------- Jaccard
def jaccard(a: Any, b: Any = None, *, rank: str | None = DEFAULT_RANK) -> np.ndarray:
    """Presence/absence Jaccard distance ``1 − |A∩B| / |A∪B|`` (0 for two empty samples).

    Counted exactly with a sparse boolean product, so it equals scipy's ``jaccard`` on ``x > 0``.
    """
    ma, mb = _pair(a, b, rank)
    pa = _presence(ma)
    pb = pa if mb is None else _presence(mb)
    na = np.diff(pa.indptr).astype(np.float64)
    nb = np.diff(pb.indptr).astype(np.float64)
    out = np.empty((pa.shape[0], pb.shape[0]), dtype=np.float64)
    pbt = pb.T.tocsc()
    for start in range(0, pa.shape[0], BLOCK * 8):
        stop = min(start + BLOCK * 8, pa.shape[0])
        inter = (pa[start:stop] @ pbt).toarray().astype(np.float64)
        union = na[start:stop, None] + nb[None, :] - inter
        with np.errstate(divide="ignore", invalid="ignore"):
            block = (union - inter) / union
        block[union == 0] = 0.0
        out[start:stop] = block
    if mb is None:
        np.fill_diagonal(out, 0.0)
    return out


def _presence(m: sp.csr_matrix) -> sp.csr_matrix:
    p = sp.csr_matrix((np.ones(m.nnz, dtype=np.float64), m.indices, m.indptr), shape=m.shape)
    return p


# ---------------------------------------------------------------------------------------------- Aitchison
def clr(matrix: Any, *, delta: float | None = None, pseudocount: float | None = None) -> np.ndarray:
    """Centred log-ratio of every row after zero replacement (see the module docstring); dense result."""
    m = as_table(matrix, rank=None).matrix if not isinstance(matrix, sp.csr_matrix) else matrix
    dense = m.toarray()
    n_cols = dense.shape[1]
    if n_cols == 0:
        raise InputError("a table with no taxa columns has no log-ratios")
    if pseudocount is not None:
        if pseudocount <= 0:
            raise InputError("pseudocount must be > 0", field="pseudocount")
        dense = dense + pseudocount
    totals = dense.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        comp = dense / totals
    if pseudocount is None:
        d = (1.0 / n_cols) ** 2 if delta is None else float(delta)
        zeros = comp == 0
        keep = 1.0 - zeros.sum(axis=1, keepdims=True) * d
        if (keep < 0).any():
            raise InputError(f"zero replacement with delta={d:g} makes proportions negative; use a smaller delta",
                             field="delta")
        comp = np.where(zeros, d, keep * comp)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(comp)
    return logs - logs.mean(axis=1, keepdims=True)


def aitchison(a: Any, b: Any = None, *, rank: str | None = DEFAULT_RANK, delta: float | None = None,
              pseudocount: float | None = None) -> np.ndarray:
    """Aitchison distance: Euclidean distance between CLR vectors (zero replacement in the module docstring).

    An empty sample has no composition and gives NaN.
    """
    from scipy.spatial.distance import cdist, pdist, squareform

    ma, mb = _pair(a, b, rank)
    ca = clr(ma, delta=delta, pseudocount=pseudocount)
    if mb is None:
        out = squareform(pdist(ca, "euclidean"))
        empty = row_sums(ma) == 0
        out[empty, :] = np.nan
        out[:, empty] = np.nan
        return out
    cb = clr(mb, delta=delta, pseudocount=pseudocount)
    out = cdist(ca, cb, "euclidean")
    out[row_sums(ma) == 0, :] = np.nan
    out[:, row_sums(mb) == 0] = np.nan
    return out


def beta_diversity(metric: str, a: Any, b: Any = None, **kwargs: Any) -> np.ndarray:
    """Dispatch by name: ``"braycurtis"`` (also ``"bray_curtis"``), ``"jaccard"`` or ``"aitchison"``."""
    key = metric.lower().replace("-", "").replace("_", "")
    if key == "braycurtis":
        return bray_curtis(a, b, **kwargs)
    if key == "jaccard":
        return jaccard(a, b, **kwargs)
    if key == "aitchison":
        return aitchison(a, b, **kwargs)
    raise InputError(f"unknown beta diversity metric {metric!r}; expected one of {', '.join(BETA_METRICS)}",
                     field="metric")
