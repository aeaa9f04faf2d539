"""Whole-community distance between two tests, computed the same way for a person and for the reference pairs.

Both distances are taken at **genus** rank (the deepest rank 16S and shotgun profiles both resolve reliably)
on the two samples' genus proportions, over the genera present in either sample. Restricting to the pair's own
genera matters for Aitchison: its zero replacement and centring depend on the number of columns, so the
reference distributions (built by ``scripts/build_variability.py``) use exactly this function on every pair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics.beta import aitchison, bray_curtis
from ..profile import Profile

RANK = "genus"


def genus_table(profile: Profile) -> pd.DataFrame:
    """Samples × genera proportions (rows sum to 1 over named genera; columns named by genus)."""
    view = profile.proportions(RANK)
    names = [str(n) for n in view.taxa["name"].tolist()]
    frame = pd.DataFrame(view.values.toarray(), index=pd.Index(profile.samples, name="sample"), columns=names)
    return frame.T.groupby(level=0).sum().T  # taxa sharing a name count once


def pair_distances(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Bray–Curtis and Aitchison between two aligned proportion vectors, over taxa present in either."""
    keep = (a > 0) | (b > 0)
    if keep.sum() < 2 or a.sum() == 0 or b.sum() == 0:
        return {"braycurtis": float("nan"), "aitchison": float("nan")}
    m = np.vstack([a[keep], b[keep]])
    return {"braycurtis": float(bray_curtis(m, rank=None)[0, 1]), "aitchison": float(aitchison(m, rank=None)[0, 1])}


def profile_pair_distances(first: Profile, second: Profile) -> dict[str, float]:
    """Distances between the single samples of two profiles, aligned on genus names."""
    ta, tb = genus_table(first), genus_table(second)
    cols = ta.columns.union(tb.columns)
    a = ta.reindex(columns=cols, fill_value=0.0).iloc[0].to_numpy(dtype=float)
    b = tb.reindex(columns=cols, fill_value=0.0).iloc[0].to_numpy(dtype=float)
    return pair_distances(a, b)
