"""The per-sample numbers a reference summarises, computed the same way for cohort and person.

Taxa are keyed by their *current* name folded for comparison (``taxonomy.synonyms``), so a person
profiled under old names (Firmicutes, Eubacterium rectale) meets a reference written under new ones.
"""

from __future__ import annotations

import pandas as pd

from ..profile import Profile

# taxon tables under one current taxonomy live in .taxa (the same code for person and reference)
from .taxa import TAXON_RANKS, RankTable, rank_table, taxon_key  # noqa: F401

#: the metrics a reference summarises, in column order (names as :func:`gutskin.engine.score` writes them)
REFERENCE_METRICS = ("observed", "shannon", "simpson", "inv_simpson", "pielou", "phyla", "fb_ratio", "guilds", "gmhi",
                     "gmwi2")


def sample_metrics(profile: Profile) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Diversity metrics, composition summaries and indices per sample (samples × metrics), and the warnings
    each index carries for the whole table.

    Computed by the one scoring driver (:func:`gutskin.engine.score`), so a reference and a person are
    measured the same way. Only metrics valid for the input are asked for: richness estimators that need
    counts are left out. Index warnings are returned so they can travel with the reference.
    """
    from ..engine.scoring import score  # imported here: the engine itself uses this package

    scores = score(profile, metrics=REFERENCE_METRICS)
    alpha = [c for c in ("observed", "shannon", "simpson", "inv_simpson", "pielou")]
    comp = [c for c in scores.table.columns if c.startswith(("phylum.", "guild.")) or c == "fb_ratio"]
    comp = [c for c in comp if c.startswith("phylum.")] + ["fb_ratio"] + [c for c in comp if c.startswith("guild.")]
    out = scores.table[[*alpha, *comp, "gmhi", "gmwi2"]].copy()
    out.index = list(profile.samples)
    warnings: dict[str, list[str]] = {}
    for name, res in scores.indices.items():
        lines = list(res.warnings)
        # a sample's own warning (no UNKNOWN share …), summarised for the table: how many samples it concerns
        counts: dict[str, int] = {}
        for msgs in res.sample_warnings.values():
            for m in msgs:
                counts[m] = counts.get(m, 0) + 1
        lines += [f"{k} of {profile.n_samples} samples: {m}" for m, k in counts.items()]
        if lines:
            warnings[name] = lines
    return out, warnings
