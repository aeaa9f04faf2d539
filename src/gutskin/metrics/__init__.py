"""Diversity metrics and composition summaries, vectorised over all samples.

* :func:`alpha_diversity` — observed richness, Shannon (natural log), Simpson (1 − D), inverse Simpson,
  Pielou evenness, Chao1 and ACE (the last two need integer counts).
* :func:`bray_curtis`, :func:`jaccard`, :func:`aitchison` — all pairs (``b=None``) or queries against a
  reference set.
* :func:`composition_summary`, :func:`phylum_shares`, :func:`fb_ratio`, :func:`guild_shares` — shares of the
  classified community defined in ``metrics/data/composition.yaml`` with citations.

A compiled kernel is used when numba (optional extra ``fast``) is installed; :func:`use_backend("numpy")
<use_backend>` forces the pure numpy/scipy path, which gives the same numbers.
"""

from __future__ import annotations

from ._kernels import HAVE_NUMBA, backend, set_backend, use_backend
from .alpha import ALPHA_METRICS, COUNT_METRICS, alpha_diversity
from .beta import BETA_METRICS, aitchison, beta_diversity, bray_curtis, clr, jaccard
from .composition import composition_summary, definitions, fb_ratio, guild_shares, phylum_shares

__all__ = [
    "ALPHA_METRICS",
    "BETA_METRICS",
    "COUNT_METRICS",
    "HAVE_NUMBA",
    "aitchison",
    "alpha_diversity",
    "backend",
    "beta_diversity",
    "bray_curtis",
    "clr",
    "composition_summary",
    "definitions",
    "fb_ratio",
    "guild_shares",
    "jaccard",
    "phylum_shares",
    "set_backend",
    "use_backend",
]
