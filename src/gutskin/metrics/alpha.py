"""Alpha diversity per sample, computed for all samples at once from one pass over a sparse table.

Definitions (``x`` = the sample's non-zero abundances, ``N = Σx``, ``p = x/N``, ``S_obs`` = number of
non-zero taxa); they match scikit-bio 0.7 exactly (tests hold them to 1e-12):

==============  ====================================================================================
``observed``    ``S_obs``, the number of taxa with a value > 0 (scikit-bio ``observed_features``)
``shannon``     ``H = −Σ p ln p`` in **nats (natural log, base e)**; ``base=2`` gives bits. Computed as
                ``ln N − Σ x ln x / N``, the same quantity without a division per entry.
``simpson``     Gini–Simpson ``1 − D`` with ``D = Σ p²`` (scikit-bio ``simpson``)
``inv_simpson`` ``1 / D`` (scikit-bio ``inv_simpson``)
``pielou``      Pielou's evenness ``J = H / ln S_obs``; 1.0 when ``S_obs = 1`` (scikit-bio ``pielou_e``)
``chao1``       bias-corrected Chao1 ``S_obs + F1 (F1 − 1) / (2 (F2 + 1))``, ``F1``/``F2`` = taxa seen
                exactly once / twice (scikit-bio ``chao1``, default ``bias_corrected=True``)
``ace``         ACE with rare threshold 10 (Chao & Lee 1992; EstimateS; scikit-bio ``ace``); NaN where it
                is undefined (every rare taxon is a singleton — scikit-bio raises there)
==============  ====================================================================================

An empty sample (no non-zero value) gets ``observed = 0``, ``chao1 = ace = 0`` and NaN for the others.

**Chao1 and ACE need integer read counts.** They estimate unseen taxa from how many taxa were seen
exactly once or twice; on relative abundances (every consumer export, MetaPhlAn percentages) there are no
singletons to count and the number would be meaningless. They are refused with
:class:`~gutskin.errors.RefusedError` unless every value is a whole number (and, for a Profile, the
units are ``counts``).

Which rank: a :class:`~gutskin.profile.Profile` is taken at ``rank="species"`` by default, through
``Profile.at_rank`` (native species rows where the profiler wrote them, else features rolled up by
lineage). Taxa with no name at that rank are left out, so on 16S tables where few features have a
species name, ask for ``rank="genus"`` (``gutskin score`` warns when less than 90 % of a sample's abundance
is named at the rank used). Values are used as written; every metric except Chao1/ACE is scale-invariant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, RefusedError
from . import _kernels
from ._table import DEFAULT_RANK, as_table, is_integral

#: Metric names in output order.
ALPHA_METRICS: tuple[str, ...] = ("observed", "shannon", "simpson", "inv_simpson", "pielou", "chao1", "ace")
#: Metrics that need integer counts.
COUNT_METRICS = frozenset({"chao1", "ace"})
#: scikit-bio spellings accepted as well.
ALIASES = {
    "observed_features": "observed",
    "observed_otus": "observed",
    "richness": "observed",
    "sobs": "observed",
    "pielou_e": "pielou",
    "evenness": "pielou",
    "inverse_simpson": "inv_simpson",
    "gini_simpson": "simpson",
}

SHANNON_BASE_NOTE = "natural log (nats)"


def normalise_metrics(metrics: str | Iterable[str] | None) -> list[str]:
    """Canonical metric names, in the order given; ``None`` or ``"all"`` → every metric."""
    if metrics is None:
        return list(ALPHA_METRICS)
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    out: list[str] = []
    for m in metrics:
        key = ALIASES.get(m.lower(), m.lower())
        if key == "all":
            out.extend(x for x in ALPHA_METRICS if x not in out)
            continue
        if key not in ALPHA_METRICS:
            raise InputError(f"unknown alpha diversity metric {m!r}; expected one of {', '.join(ALPHA_METRICS)}",
                             field="metrics")
        if key not in out:
            out.append(key)
    return out


def count_refusal(units: str | None, integral: bool | Callable[[], bool]) -> str | None:
    """Why Chao1/ACE cannot be computed on this table, or ``None`` when they can.

    ``integral`` may be a function, asked only when the units do not settle it already (it reads every value).
    """
    if units is not None and units != "counts":
        return (f"Chao1 and ACE need integer read counts (they count taxa seen once or twice); these values "
                f"are {units}, not counts — relative abundances (consumer exports, MetaPhlAn %) cannot give them")
    if not (integral() if callable(integral) else integral):
        return ("Chao1 and ACE need integer read counts (they count taxa seen once or twice); this table holds "
                "non-integer values, such as proportions, so they cannot be computed")
    return None


def alpha_diversity(
    table: Any,
    metrics: str | Sequence[str] | None = None,
    *,
    rank: str | None = DEFAULT_RANK,
    ids: Sequence[str] | None = None,
    base: float | None = None,
    refused: str = "raise",
) -> pd.DataFrame:
    """Alpha diversity of every sample (rows) for each metric (columns).

    Parameters
    ----------
    table:
        Samples × taxa: a :class:`~gutskin.profile.Profile`, a numpy array, a scipy.sparse matrix or a
        DataFrame (index = sample ids), like scikit-bio's ``alpha_diversity``.
    metrics:
        Names from :data:`ALPHA_METRICS` (scikit-bio spellings accepted), a comma-separated string, or
        ``None``/``"all"`` for all of them.
    rank:
        Rank at which a Profile is taken (default ``"species"``); ignored for arrays.
    ids:
        Sample ids for arrays (default 0..n−1).
    base:
        Logarithm base for Shannon (default e, i.e. nats). Pielou's J is base-free.
    refused:
        What to do when Chao1/ACE are asked for on non-count data: ``"raise"`` (default) raises
        :class:`~gutskin.errors.RefusedError`; ``"nan"`` fills the column with NaN and records the reason
        in ``result.attrs["refused"][metric]``.

    Returns
    -------
    pandas.DataFrame
        Index = sample ids; ``attrs`` holds ``rank``, ``shannon_base``, ``backend`` and ``refused``.
    """
    if refused not in ("raise", "nan"):
        raise ValueError("refused is 'raise' or 'nan'")
    names = normalise_metrics(metrics)
    tab = as_table(table, rank=rank, ids=ids)
    m = tab.matrix
    refusals: dict[str, str] = {}
    wanted_counts = [n for n in names if n in COUNT_METRICS]
    if wanted_counts:
        reason = count_refusal(tab.units, lambda: is_integral(m))
        if reason is not None:
            if refused == "raise":
                raise RefusedError(f"{' and '.join(wanted_counts)} refused: {reason}")
            refusals = dict.fromkeys(wanted_counts, reason)
    # the count columns feed only Chao1 and ACE: not summed when neither is asked for or both are refused
    counts = any(n in COUNT_METRICS and n not in refusals for n in names)
    sums = _kernels.alpha_sums(m.indptr, m.data, counts=counts)
    values = finish(sums, names, base=base, skip=set(refusals))
    frame = pd.DataFrame(values, index=tab.ids, columns=names)
    if "observed" in frame:
        frame["observed"] = frame["observed"].astype(np.int64)
    frame.attrs.update({
        "rank": rank if tab.profile is not None else None,
        "shannon_base": SHANNON_BASE_NOTE if base is None else f"log base {base}",
        "backend": _kernels.alpha_backend(counts),
        "refused": refusals,
    })
    return frame


def finish(sums: np.ndarray, names: Sequence[str], base: float | None = None,
           skip: set[str] | frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
    """Metric values from the per-row sums of :func:`gutskin.metrics._kernels.alpha_sums`."""
    total, sxlx, ssq, obs, f1, f2, srare, nrare, grare = (sums[:, k] for k in range(sums.shape[1]))
    n = sums.shape[0]
    empty = obs == 0
    out: dict[str, np.ndarray] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        shannon = np.where(empty, np.nan, np.log(np.where(empty, 1.0, total)) - sxlx / total)
        dominance = np.where(empty, np.nan, ssq / (total * total))
        for name in names:
            if name in skip:
                out[name] = np.full(n, np.nan)
            elif name == "observed":
                out[name] = obs.copy()
            elif name == "shannon":
                out[name] = shannon if base is None else shannon / np.log(base)
            elif name == "simpson":
                out[name] = 1.0 - dominance
            elif name == "inv_simpson":
                out[name] = 1.0 / dominance
            elif name == "pielou":
                out[name] = np.where(obs == 1, 1.0, shannon / np.log(obs))
            elif name == "chao1":
                out[name] = obs + f1 * (f1 - 1.0) / (2.0 * (f2 + 1.0))
            elif name == "ace":
                out[name] = _ace(obs, f1, srare, nrare, grare)
    return out


def _ace(obs, f1, srare, nrare, grare) -> np.ndarray:
    abundant = obs - srare
    c_ace = 1.0 - f1 / np.where(nrare > 0, nrare, 1.0)
    top = srare * grare
    bottom = c_ace * nrare * (nrare - 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = top / bottom - 1.0
        gamma = np.where(gamma < 0, 0.0, gamma)
        value = abundant + srare / c_ace + (f1 / c_ace) * gamma
    value = np.where(srare == 0, abundant, value)
    undefined = (f1 > 0) & (f1 == srare)
    return np.where(undefined, np.nan, value)
