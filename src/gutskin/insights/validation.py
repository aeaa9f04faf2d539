"""Checking the skin panels against labelled cohorts: per-person scores and how well they separate groups.

Nothing here is fitted: the panel score is computed from the knowledge base as shipped, so a labelled cohort
is a genuine out-of-sample test. The reference used must not contain the cohort's own controls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..knowledge.base import KnowledgeBase
from ..knowledge.loader import load_kb
from ..profile import Profile
from ..reference.model import Reference
from .measure import measure_all
from .panels import build_panel


def panel_scores(profile: Profile, reference: Reference, condition: str, kb: KnowledgeBase | None = None,
                 population: str = "adult") -> pd.DataFrame:
    """One row per sample: panel score, its interval and the alignment counts for ``condition``."""
    kb = kb or load_kb()
    rows = []
    for i, name in enumerate(profile.samples):
        one = profile.take_samples([i])
        panel = build_panel(condition, measure_all(one, reference, kb), kb, population)
        # the lean before the healthy-calibration check: validation asks whether the lean itself separates groups
        score, interval = panel.raw_score, panel.raw_interval
        rows.append({"sample": name, "score": np.nan if score is None else score,
                     "low": np.nan if interval is None else interval[0],
                     "high": np.nan if interval is None else interval[1], **panel.counts})
    return pd.DataFrame(rows).set_index("sample")


def auc(scores_pos: np.ndarray, scores_neg: np.ndarray) -> float:
    """Area under the ROC curve = P(score of a case > score of a control), ties counted half (Mann–Whitney)."""
    pos = np.asarray(scores_pos, dtype=float)
    neg = np.asarray(scores_neg, dtype=float)
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


@dataclass
class AucResult:
    auc: float
    ci_low: float
    ci_high: float
    n_cases: int
    n_controls: int


def auc_with_ci(scores_pos, scores_neg, n_boot: int = 2000, seed: int = 11) -> AucResult:
    """AUC with a 95 % percentile-bootstrap interval, resampling cases and controls separately."""
    pos = np.asarray(scores_pos, dtype=float)
    neg = np.asarray(scores_neg, dtype=float)
    pos, neg = pos[np.isfinite(pos)], neg[np.isfinite(neg)]
    rng = np.random.default_rng(seed)
    boots = np.array([auc(rng.choice(pos, pos.size), rng.choice(neg, neg.size)) for _ in range(n_boot)])
    return AucResult(auc(pos, neg), float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975)),
                     int(pos.size), int(neg.size))
