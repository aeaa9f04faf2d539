"""The per-sample numbers placed against a reference, computed the way *that reference* computed them.

A shotgun reference summarises the scoring driver's metrics at species rank (:func:`.features.sample_metrics`).
A 16S reference summarises diversity at **genus** rank (amplicon species calls are unreliable and OTU/ASV counts
depend on the pipeline), phylum shares and the guilds a genus table can define; published species-level indices
(GMHI, GMWI2) are not computed for 16S. Richness (``observed``) is left out of 16S references: it depends on
sequencing depth, which differs tenfold between the 16S cohorts.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd

from ..errors import RefusedError
from ..profile import Profile

GENUS_ALPHA = ("shannon", "simpson", "inverse_simpson")


def metric_values(profile: Profile, metric_rank: str = "species") -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """samples × metrics and per-metric warnings, as a reference with ``metric_rank`` summarised them."""
    if metric_rank == "species":
        from .features import sample_metrics

        return sample_metrics(profile)
    from .. import metrics

    frames = []
    with contextlib.suppress(RefusedError):  # a profile with no genus names has no genus diversity
        frames.append(metrics.alpha_diversity(profile, list(GENUS_ALPHA), rank="genus"))
    try:
        comp = metrics.composition.composition_summary(profile)
        comp.index = profile.samples
        frames.append(comp.loc[:, comp.notna().any(axis=0)])
    except RefusedError:
        pass
    if not frames:
        return pd.DataFrame(index=profile.samples), {}
    out = pd.concat(frames, axis=1)
    out.index = list(profile.samples)
    return out.astype(float).replace([np.inf, -np.inf], np.nan), {}
