"""GMWI2, the Gut Microbiome Wellness Index 2 (Chang et al. 2024), from its published coefficients.

Paper
    Chang D, Gupta VK, Hur B, … Sung J. "Gut Microbiome Wellness Index 2 enhances health status prediction
    from gut microbiome taxonomic profiles." *Nature Communications* 15:7447 (2024),
    doi:10.1038/s41467-024-51651-9.
Reference implementation
    danielchang2002/GMWI2 @ 9850ec7 (MIT), ``gmwi2_metaphlan_output.py`` / ``pipeline.py::compute_gmwi2``.
    The fitted model's coefficients ship in ``indices/data/gmwi2_coefficients.tsv`` (MIT, © 2023 Daniel
    Chang; attribution and licence in ``indices/data/GMWI2_LICENSE.txt``).

Formula
    1. All ranks of a MetaPhlAn 3 profile (full ``k__…|p__…|…|s__…`` clade names), in percent.
    2. Fractions of the classified community: every clade ÷ (100 − UNKNOWN).
    3. Presence = fraction > 0.00001 (strict).
    4. ``GMWI2 = Σ coefficient · presence + intercept`` over the model's 3,200 features (95 non-zero
       coefficients: 49 positive = health-associated, 46 negative; intercept exactly 0). This is the L1
       logistic regression's ``decision_function``: > 0 ⇒ healthy-like, < 0 ⇒ non-healthy-like.

Validity domain
    Stool shotgun metagenomes profiled with **MetaPhlAn 3.0.13** and database **mpa_v30_CHOCOPhlAn_201901**
    (``--unknown_estimation --add_viruses``), which give full clade names at every rank and the UNKNOWN share.
    Trained on 8,069 samples from 54 studies (healthy vs 11 disease phenotypes); cross-validated balanced
    accuracy 80 %, external validation 72.1 %.

Other input
    The score is still computed, with its coverage and a warning on every value:

    * other MetaPhlAn versions or profilers: clade names differ above species (e.g. MetaPhlAn 4 writes
      ``o__Eubacteriales``), so features are matched by rank and terminal name instead of the whole clade
      (``match="auto"``; force either way with ``match="clade"`` or ``match="name"``);
    * species-only tables: higher ranks are rebuilt by summing species over their lineage
      (``Profile.at_rank``), which is not what MetaPhlAn reports at those ranks;
    * no UNKNOWN share: fractions are of the classified total at the top rank present.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError, RefusedError
from ..profile import Profile, by_taxa
from ..taxonomy.lineage import parse_prefixed
from ..taxonomy.ranks import RANKS
from ._common import IndexInfo, IndexResult, empty_sample_warnings, naming_of, norm_name

NAME = "GMWI2"
#: title, source and cut-off, as reports show them
INFO = IndexInfo(key="gmwi2", title="Gut Microbiome Wellness Index 2 (GMWI2)",
                 citation="Chang D, Gupta VK et al., 2024, Nat Commun 15:7447", doi="10.1038/s41467-024-51651-9",
                 cutoff=0.0, cutoff_applies_to=(("MetaPhlAn", "3"),),
                 cutoff_note="the 0 cut-off belongs to full MetaPhlAn 3 (mpa_v30) profiles with every rank and the "
                             "UNKNOWN row; elsewhere it is read only as a percentile in a matched reference")
PRESENCE_CUTOFF = 0.00001
INTERCEPT = 0.0
RANK_LETTER = {"k": "domain", "p": "phylum", "c": "class", "o": "order", "f": "family", "g": "genus", "s": "species"}
REFERENCE = {
    "citation": "Chang D et al. 2024, Nat Commun 15:7447, doi:10.1038/s41467-024-51651-9",
    "implementation": "danielchang2002/GMWI2 @ 9850ec7 (MIT, © 2023 Daniel Chang)",
    "built_on": "MetaPhlAn 3.0.13, mpa_v30_CHOCOPhlAn_201901, full clade names at every rank",
    "interpretation": "> 0 healthy-like, < 0 non-healthy-like",
}


@dataclass(frozen=True)
class Feature:
    clade: str
    rank: str
    coefficient: float
    key: str  # canonical lineage key as gutskin writes it (Profile.taxa index)
    name: str  # terminal name, comparison form


@cache
def model() -> tuple[Feature, ...]:
    """The 3,200 model features in model order (``UNKNOWN.1``, coefficient 0, is left out)."""
    text = resources.files(__package__).joinpath("data/gmwi2_coefficients.tsv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t"))
    out = []
    for r in rows:
        if r["taxon"] == "UNKNOWN.1":
            continue
        lineage, rank, name = parse_prefixed(r["taxon"], "metaphlan")
        if rank != RANK_LETTER[r["rank"]]:
            raise ValueError(f"GMWI2 coefficient table: rank of {r['taxon']!r} is {r['rank']}")
        out.append(Feature(r["taxon"], rank, float(r["coefficient"]), lineage.to_string(), norm_name(name).lower()))
    return tuple(out)


def nonzero_features() -> tuple[Feature, ...]:
    return tuple(f for f in model() if f.coefficient != 0.0)


def _denominators(profile: Profile) -> tuple[np.ndarray, dict[str, list[str]]]:
    """Per-sample divisor giving fractions of the classified community, and the warning each sample gets.

    The warning is the sample's own (not "N samples …" for the table): a person's report must read the same
    whichever other samples were scored beside it.
    """
    warnings: dict[str, list[str]] = {}
    if profile.layout == "features":  # leaves with lineages: the highest rank the lineages know
        top = next((r for r in RANKS if profile.taxa[r].notna().any()), None)
    else:
        top = next((r for r in RANKS if (profile.taxa["rank"] == r).any()), None)
    if top is None:
        raise RefusedError("GMWI2 needs named taxa; this profile has no lineage at any rank")
    top_totals = np.asarray(profile.at_rank(top).values.sum(axis=1)).ravel()
    denom = np.empty(profile.n_samples)
    message = (f"no UNKNOWN (unclassified) share reported: fractions are of the classified total at {top} rank "
               "(GMWI2 expects MetaPhlAn --unknown_estimation output)")
    for i, info in enumerate(profile.info):
        u = info.unclassified
        if u is not None and info.units == "percent":
            denom[i] = 100.0 - u
        elif u is not None and info.units == "fraction":
            denom[i] = 1.0 - u
        else:
            denom[i] = top_totals[i]
            if info.units != "counts" or u is None:
                warnings[profile.samples[i]] = [message]
    return denom, warnings


def _row_sum(terms: np.ndarray) -> np.ndarray:
    """Each row's sum, added left to right: the same bits whether a sample is scored alone or in a table of
    thousands (a matrix product or numpy's reduction may block the additions differently for one row and for
    many, and a report placing a sample alone would then disagree with its table's score in the last bit)."""
    out = np.zeros(terms.shape[0])
    for j in range(terms.shape[1]):
        out += terms[:, j]
    return out


def _lookup(taxa: pd.DataFrame, mode: str, feats: list) -> list[list[int]]:
    """The columns of ``taxa`` that hold each feature: its clade key, or every row whose name matches."""
    if mode == "clade":
        col_of = {k: c for c, k in enumerate(taxa.index)}
        return [[col_of[f.key]] if f.key in col_of else [] for f in feats]
    by_name: dict[str, list[int]] = {}
    for c, nm in enumerate(taxa["name"].tolist()):
        by_name.setdefault(norm_name(nm).lower(), []).append(c)
    return [by_name.get(f.name, []) for f in feats]


def gmwi2_result(profile: Profile, *, match: str = "auto", contributors: bool = True) -> IndexResult:
    """GMWI2 per sample, with coverage, warnings and the contributing taxa with their coefficients.

    ``contributors=False`` leaves the per-taxon table empty (values, coverage and warnings are the same): a
    score table never shows it, and for thousands of samples it costs more than every other metric together.
    """
    if not isinstance(profile, Profile):
        raise InputError("GMWI2 needs a Profile (full MetaPhlAn clade names); read files with gutskin.read")
    if match not in ("auto", "clade", "name"):
        raise InputError("match is 'auto', 'clade' or 'name'", field="match")
    features = model()
    kinds = {naming_of(i) for i in profile.info}
    native = bool(kinds) and all(k.metaphlan_major() == "3" and (k.database or "").startswith("mpa_v30")
                                 for k in kinds)
    db_unstated = all(k.metaphlan_major() == "3" and not k.database for k in kinds)
    mode = match if match != "auto" else ("clade" if native or db_unstated else "name")
    denom, denom_warnings = _denominators(profile)
    warnings: list[str] = []

    coef = np.array([f.coefficient for f in features])
    nz = coef != 0
    n = profile.n_samples
    present = np.zeros((n, len(features)), dtype=bool)
    # only the non-zero-coefficient features (95 of 3,200) are measured: the others change neither the score,
    # the details nor the contributors, only the coverage count, which needs a name match and no abundance
    fractions = np.zeros((n, len(features)), dtype=np.float64) if contributors else None
    matched = np.zeros(len(features), dtype=bool)
    rolled: list[str] = []
    missing_ranks: list[str] = []
    by_rank: dict[str, list[int]] = {}
    for j, f in enumerate(features):
        by_rank.setdefault(f.rank, []).append(j)
    for rank, idx in by_rank.items():
        try:
            view = profile.at_rank(rank)
        except RefusedError:
            missing_ranks.append(rank)
            continue
        if profile.layout == "features" or not (profile.taxa["rank"] == rank).any():
            rolled.append(rank)
        # which columns hold each feature depends only on the view's taxa: worked out once per taxa table
        lookup = by_taxa(view.taxa, ("gmwi2-lookup", mode, rank),
                         lambda view=view, idx=idx: _lookup(view.taxa, mode, [features[j] for j in idx]))
        matched[np.asarray(idx)[[bool(cs) for cs in lookup]]] = True
        keep = [(j, cs) for j, cs in zip(idx, lookup, strict=True) if nz[j] and cs]
        if not keep:
            continue
        # sum the matched columns per feature (one column each in clade mode)
        cols = [c for _, cs in keep for c in cs]
        feat_pos = np.repeat(np.arange(len(keep)), [len(cs) for _, cs in keep])
        agg = sp.csr_matrix((np.ones(len(cols)), (np.arange(len(cols)), feat_pos)), shape=(len(cols), len(keep)))
        block = (sp.csr_matrix(view.values)[:, cols] @ agg).toarray()
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = block / denom[:, None]
        at = [j for j, _ in keep]
        if fractions is not None:
            fractions[:, at] = frac
        present[:, at] = frac > PRESENCE_CUTOFF
    scores = _row_sum(np.where(present[:, nz], coef[nz], 0.0)) + INTERCEPT
    totals = np.asarray(profile.values.sum(axis=1)).ravel()
    empty = ~(totals > 0) | ~(denom > 0)
    scores[empty] = np.nan

    samples = list(profile.samples)
    described = ", ".join(sorted(k.describe() for k in kinds))
    n_nz = int(nz.sum())
    nz_matched = int((matched & nz).sum())
    if native or mode == "clade":
        text = (f"{nz_matched} of {n_nz} non-zero-coefficient taxa occur in this input (exact MetaPhlAn 3 clade "
                "names; absent clades count as absent, as in the original tool)")
    else:
        text = (f"{nz_matched} of {n_nz} non-zero-coefficient taxa found in this input by rank and name "
                f"({int(matched.sum())} of {len(features)} model features)")
    coverage: dict[str, Any] = {
        "expected_naming": "MetaPhlAn 3 (mpa_v30_CHOCOPhlAn_201901), full clade names",
        "input_naming": described,
        "naming_matches": native,
        "match": mode,
        "nonzero_found": nz_matched,
        "nonzero_total": n_nz,
        "features_found": int(matched.sum()),
        "features_total": len(features),
        "ranks_rolled_up": rolled,
        "ranks_missing": missing_ranks,
        "text": text,
    }
    if not native:
        if db_unstated:
            warnings.insert(0, f"GMWI2 was built on MetaPhlAn 3 with mpa_v30_CHOCOPhlAn_201901; this input "
                            f"({described}) does not state its database, so mpa_v30 naming is assumed")
        else:
            warnings.insert(0, f"GMWI2 was built on MetaPhlAn 3 (mpa_v30_CHOCOPhlAn_201901) full clade names; this "
                            f"input is {described}: {text}. Values are not comparable with the published GMWI2 or its "
                            "cut-off of 0")
    if rolled:
        warnings.append(f"no native rows at {', '.join(rolled)} rank: presence there comes from summing deeper rows "
                        "or features by lineage, not from the profiler's own estimate")
    if missing_ranks:
        warnings.append(f"no taxa can be placed at {', '.join(missing_ranks)} rank: those model features count "
                        "as absent")

    if fractions is not None:
        table = _contributors(samples, features, present, fractions, nz)
    else:  # the same columns, no rows
        table = _contributors([], features, np.zeros((0, len(features)), bool), np.zeros((0, len(features))), nz)
    idx_s = pd.Index(samples, name="sample")
    details = pd.DataFrame({
        "positive_sum": _row_sum(np.where(present[:, nz & (coef > 0)], coef[nz & (coef > 0)], 0.0)),
        "negative_sum": _row_sum(np.where(present[:, nz & (coef < 0)], coef[nz & (coef < 0)], 0.0)),
        "n_positive_present": present[:, nz & (coef > 0)].sum(axis=1),
        "n_negative_present": present[:, nz & (coef < 0)].sum(axis=1),
    }, index=idx_s)
    return IndexResult(
        name=NAME,
        values=pd.Series(scores, index=idx_s, name=NAME),
        coverage=coverage,
        warnings=warnings,
        sample_warnings=_merge(denom_warnings,
                               empty_sample_warnings(samples, np.where(empty, 0.0, 1.0), NAME) if empty.any() else {}),
        contributors=table,
        details=details,
        reference=dict(REFERENCE),
    )


def _merge(*parts: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in parts:
        for sample, msgs in part.items():
            out.setdefault(sample, []).extend(msgs)
    return out


def _contributors(samples: list[str], features: tuple[Feature, ...], present: np.ndarray, fractions: np.ndarray,
                  nz: np.ndarray) -> pd.DataFrame:
    rows, cols = np.nonzero(present & nz[None, :])
    frame = pd.DataFrame({
        "sample": np.asarray(samples, dtype=object)[rows],
        "taxon": np.asarray([f.clade for f in features], dtype=object)[cols],
        "rank": np.asarray([f.rank for f in features], dtype=object)[cols],
        "role": np.where(np.asarray([features[c].coefficient for c in cols]) > 0, "health-associated",
                         "disease-associated") if cols.size else np.array([], dtype=object),
        "coefficient": np.asarray([features[c].coefficient for c in cols], dtype=np.float64),
        "abundance": fractions[rows, cols],
    })
    frame = frame.sort_values(["sample", "coefficient"], ascending=[True, False], kind="stable")
    return frame.reset_index(drop=True)


def gmwi2(profile: Profile, **kwargs: Any) -> pd.Series:
    """GMWI2 per sample; ``series.attrs`` holds ``coverage``, ``warnings`` and the reference."""
    return gmwi2_result(profile, **kwargs).series()
