"""The HMP2 dysbiosis score (Lloyd-Price et al. 2019): distance from a healthy reference set.

Paper
    Lloyd-Price J, Arze C, Ananthakrishnan AN, et al. "Multi-omics of the gut microbial ecosystem in
    inflammatory bowel diseases." *Nature* 569:655–662 (2019), doi:10.1038/s41586-019-1237-9.
Reference implementations
    biobakery ``hmp2_analysis`` (bitbucket); ramay/Dysbiosis_Score_HMP2_IBD (R); dysbiosisR
    ``dysbiosisMedianCLV`` (recipe in ``shared/research/indices.md`` §4).

Formula
    Species profiles normalised to 1; the score of a sample is the **median Bray–Curtis dissimilarity to
    the reference samples** (leaving out the sample itself and, when subjects are given, every sample of the
    same subject). A sample is **dysbiotic** when its score is above the **90th percentile of the reference
    samples' own scores** (each computed the same way, leave-one-out; percentile by linear interpolation,
    R's default type 7).

Validity domain
    Defined with non-IBD HMP2 samples (week ≥ 20) as the reference. The score means "unlike this reference",
    so the reference must be profiled with the same profiler and database as the samples scored: across
    namings, different names for one taxon count as different taxa and inflate every distance (a warning
    says so). Taxa are aligned on their names at ``rank``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..metrics.beta import align_profiles, bray_curtis
from ..profile import Profile
from ._common import IndexInfo, IndexResult, naming_of

NAME = "HMP2_dysbiosis"
#: title, source and cut-off, as reports show them
INFO = IndexInfo(key="hmp2_dysbiosis", title="Dysbiosis score (HMP2)",
                 citation="Lloyd-Price J et al., 2019, Nature 569:655–662", doi="10.1038/s41586-019-1237-9")
REFERENCE = {
    "citation": "Lloyd-Price J et al. 2019, Nature 569:655-662, doi:10.1038/s41586-019-1237-9",
    "implementation": "median Bray-Curtis to a reference set; threshold = 90th percentile of the reference's "
                      "own scores",
    "built_on": "HMP2 IBDMDB species profiles (MetaPhlAn 2), non-IBD reference samples",
    "interpretation": "higher = further from the reference; above the threshold = dysbiotic",
}


def _subject_mask(q_subjects: Sequence[Any] | None, r_subjects: Sequence[Any] | None, nq: int, nr: int) -> np.ndarray:
    if q_subjects is None or r_subjects is None:
        return np.zeros((nq, nr), dtype=bool)
    q = np.asarray([str(s) for s in q_subjects], dtype=object)
    r = np.asarray([str(s) for s in r_subjects], dtype=object)
    return q[:, None] == r[None, :]


def _masked_median(d: np.ndarray, exclude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    masked = np.where(exclude, np.nan, d)
    used = (~np.isnan(masked)).sum(axis=1)
    with np.errstate(all="ignore"):
        med = np.full(d.shape[0], np.nan)
        ok = used > 0
        if ok.any():
            med[ok] = np.nanmedian(masked[ok], axis=1)
    return med, used


def hmp2_dysbiosis_result(
    profile: Profile,
    reference: Profile,
    *,
    rank: str = "species",
    subjects: Sequence[Any] | None = None,
    reference_subjects: Sequence[Any] | None = None,
    percentile: float = 90.0,
) -> IndexResult:
    """Dysbiosis score of every sample of ``profile`` against ``reference`` (a healthy / non-IBD set).

    ``subjects`` / ``reference_subjects``: subject id per sample, to leave out same-subject pairs.
    ``details`` holds ``dysbiotic`` (bool), ``n_reference_used`` and the threshold.
    """
    if not isinstance(profile, Profile) or not isinstance(reference, Profile):
        raise InputError("the dysbiosis score needs the samples and the reference set as Profiles")
    if reference.n_samples < 2:
        raise InputError("the reference set needs at least 2 samples", field="reference")
    for given, prof, what in ((subjects, profile, "subjects"), (reference_subjects, reference, "reference_subjects")):
        if given is not None and len(given) != prof.n_samples:
            raise InputError(f"{len(given)} {what} given for {prof.n_samples} samples", field=what)
    q, r = align_profiles(profile, reference, rank)
    assert r is not None
    d_qr = bray_curtis(q, r)
    q_names = np.asarray(profile.samples, dtype=object)
    same_name = q_names[:, None] == np.asarray(reference.samples, dtype=object)[None, :]
    exclude_q = same_name | _subject_mask(subjects, reference_subjects, q.shape[0], r.shape[0])
    scores, used = _masked_median(d_qr, exclude_q)

    d_rr = bray_curtis(r)
    exclude_r = np.eye(r.shape[0], dtype=bool) | _subject_mask(reference_subjects, reference_subjects,
                                                                r.shape[0], r.shape[0])
    ref_scores, _ = _masked_median(d_rr, exclude_r)
    finite = ref_scores[np.isfinite(ref_scores)]
    threshold = float(np.percentile(finite, percentile)) if finite.size else float("nan")

    # how much of each sample's abundance sits on taxa the reference has at all
    in_ref = np.asarray((r != 0).sum(axis=0)).ravel() > 0
    q_tot = np.asarray(q.sum(axis=1)).ravel()
    q_in = np.asarray(q[:, np.flatnonzero(in_ref)].sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        shared = np.where(q_tot > 0, q_in / np.where(q_tot > 0, q_tot, 1.0), np.nan)

    samples = list(profile.samples)
    idx = pd.Index(samples, name="sample")
    kinds_q = {naming_of(i) for i in profile.info}
    kinds_r = {naming_of(i) for i in reference.info}
    warnings: list[str] = []
    if kinds_q != kinds_r:
        warnings.append("the samples (" + ", ".join(sorted(k.describe() for k in kinds_q)) + ") and the reference ("
                        + ", ".join(sorted(k.describe() for k in kinds_r)) + ") come from different profilers or "
                        "databases: names of one taxon may differ and inflate every distance")
    if reference.n_samples < 20:
        warnings.append(f"the reference set has only {reference.n_samples} samples; its 90th percentile is unstable")
    sample_warnings = {s: ["dysbiosis score not computed: empty sample or no reference sample left"]
                       for s, v in zip(samples, scores, strict=True) if not np.isfinite(v)}
    text = (f"reference of {reference.n_samples} samples; threshold (P{percentile:g} of the reference's own scores) "
            f"{threshold:.4f}; median share of sample abundance on taxa seen in the reference "
            f"{np.nanmedian(shared) if np.isfinite(shared).any() else float('nan'):.3f}")
    coverage = {"reference_samples": reference.n_samples, "threshold": threshold, "percentile": percentile,
                "rank": rank, "naming_matches": kinds_q == kinds_r, "text": text}
    details = pd.DataFrame({"dysbiotic": scores > threshold, "n_reference_used": used,
                            "share_on_reference_taxa": shared, "threshold": threshold}, index=idx)
    return IndexResult(NAME, pd.Series(scores, index=idx, name=NAME), coverage, warnings, sample_warnings,
                       pd.DataFrame(), details, dict(REFERENCE))


def hmp2_dysbiosis(profile: Profile, reference: Profile, **kwargs: Any) -> pd.Series:
    """Dysbiosis score per sample; ``series.attrs`` holds coverage (incl. the threshold) and warnings."""
    return hmp2_dysbiosis_result(profile, reference, **kwargs).series()
