"""Building a reference from a cohort: the healthy samples' distributions, never their raw values."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..errors import InputError
from ..profile import Profile
from .measures import metric_values
from .model import METRIC_GRID, TAXON_GRID, Distribution, Reference, TaxonSummary
from .taxa import TAXON_RANKS, rank_table

#: taxa seen in fewer carriers than this get no abundance distribution (prevalence only)
MIN_CARRIERS = 5


def build_reference(
    profile: Profile,
    healthy: Sequence[bool] | np.ndarray,
    *,
    name: str,
    title: str | None = None,
    source: str = "",
    licence: str = "unknown",
    citation: str = "",
    healthy_definition: str = "as labelled by the cohort's metadata",
    countries: Sequence[str | None] | None = None,
    notes: Sequence[str] = (),
    naming: str | None = None,
    age_group: str = "adult",
    taxonomy: str | None = None,
    metric_rank: str | None = None,
) -> Reference:
    """Summarise the healthy samples of ``profile`` into a :class:`Reference`.

    Metrics use the same code as a person's report (:func:`features.sample_metrics`); taxa are
    summarised at genus and species rank as prevalence plus the abundance distribution among carriers.
    """
    mask = np.asarray(healthy, dtype=bool)
    if mask.shape != (profile.n_samples,):
        raise InputError(f"healthy labels cover {mask.size} samples but the profile has {profile.n_samples}")
    if not mask.any():
        raise InputError("no sample is labelled healthy; a reference needs healthy samples", field="healthy")
    cohort = profile.take_samples(np.flatnonzero(mask))
    info = cohort.info[0]
    metric_rank = metric_rank or ("genus" if info.method == "16S" else "species")
    values, warnings = metric_values(cohort, metric_rank)
    ref = Reference(
        name=name,
        title=title or name,
        n=cohort.n_samples,
        profiler=info.profiler or "unknown",
        profiler_version=info.profiler_version,
        database=info.database,
        method=info.method,
        naming=naming or _naming(info.profiler, info.profiler_version, info.database),
        source=source,
        licence=licence,
        citation=citation,
        healthy_definition=healthy_definition,
        countries=dict(Counter(c for c, h in zip(countries, mask, strict=True) if h and c)) if countries else {},
        notes=list(notes),
        age_group=age_group,
        metric_rank=metric_rank,
        taxonomy=taxonomy or info.database,
    )
    if metric_rank == "genus":
        ref.notes.append("16S: diversity is summarised at genus rank (Shannon, Simpson); richness is not, because "
                         "it follows sequencing depth; species-level indices (GMHI, GMWI2) are not computed")
    if "gmwi2" in values.columns and not cohort.taxa["phylum"].notna().any():
        # GMWI2 weighs taxa at every rank; a species-only table would give a distribution no full profile matches
        values = values.drop(columns="gmwi2")
        ref.notes.append("GMWI2 is not summarised: the cohort table holds species without higher ranks")
    ref.notes.extend(f"{k}: {w}" for k, ws in warnings.items() if k in values.columns for w in ws)
    for col in values.columns:
        ref.metrics[col] = Distribution.of(values[col].to_numpy(dtype=float), METRIC_GRID)
    for rank in TAXON_RANKS:
        table = rank_table(cohort, rank)
        if table is None:
            continue
        present = (table.values > 0).tocsc()
        counts = np.asarray(present.sum(axis=0)).ravel()
        csc = table.values.tocsc()
        by_key = {}
        for j, key in enumerate(table.keys):
            if counts[j] == 0:  # listed by the table but carried by no healthy sample
                continue
            carriers = csc.data[csc.indptr[j]:csc.indptr[j + 1]]
            carriers = carriers[carriers > 0]
            dist = (Distribution.of(carriers, TAXON_GRID) if carriers.size >= MIN_CARRIERS
                    else Distribution(int(carriers.size), [], float("nan"), float("nan")))
            by_key[key] = TaxonSummary(rank=rank, name=table.names[j], taxid=table.taxids[j],
                                       prevalence=float(counts[j] / cohort.n_samples),
                                       n_carriers=int(counts[j]), among_carriers=dist)
        ref.taxa[rank] = by_key
    if ref.small:
        ref.notes.insert(0, f"small reference (n={ref.n}): percentile intervals are wide (a person at the "
                            f"median has a 95 % interval of about ±{_half_width(ref.n):.0%}); it is chosen "
                            "automatically only when no larger reference of the same method exists")
    return ref


def _half_width(n: int) -> float:
    from .percentiles import jeffreys

    lo, hi = jeffreys(0.5, n)
    return (hi - lo) / 2


def _naming(profiler: str | None, version: str | None, database: str | None) -> str:
    parts = [p for p in (profiler, version and f"v{version}", database) if p]
    return " ".join(parts) or "unknown"
