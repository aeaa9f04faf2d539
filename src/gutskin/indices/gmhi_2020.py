"""GMHI, the Gut Microbiome Health Index (Gupta et al. 2020), exactly as its reference R script computes it.

Paper
    Gupta VK, Kim M, Bakshi U, Cunningham KY, Davis JM 3rd, Lazaridis KN, Nelson H, Chia N, Sung J.
    "A predictive index for health status using species-level gut microbiome profiling."
    *Nature Communications* 11:4635 (2020), doi:10.1038/s41467-020-18476-8 (open access, CC BY 4.0).
Reference implementation
    ``GMHI.R`` in jaeyunsung/GMHI_2020 @ 87fe9f6 (recipe in ``shared/research/indices.md`` §1). The 7 MH and
    43 MN species are Table 2 of the paper, shipped in ``indices/data/gmhi_species.yaml`` with that citation.

Formula (``x`` = a species' relative abundance as a fraction)
    1. Species rows only; drop every row whose name contains ``unclassified`` or ``virus``.
    2. Renormalise each sample to sum 1; set ``x < 0.00001`` (0.001 %) to 0.
    3. For the health-prevalent set MH (7 species) and the health-scarce set MN (43 species) separately:
       ``H = −Σ x ln x`` over present members (fractions of the whole sample, *not* re-closed within the
       set) and richness ``R`` = number of present members.
    4. ``ψ_MH = (R_MH / 7) · H_MH`` and ``ψ_MN = (R_MN / 31) · H_MN`` (|MH|' = 7, |MN|' = 31).
    5. ``GMHI = log10((ψ_MH + 0.00001) / (ψ_MN + 0.00001))``. GMHI > 0 ⇒ classified healthy, < 0 ⇒
       non-healthy, = 0 ⇒ neither (a sample with none of the 50 species gets exactly 0).

Validity domain
    Stool shotgun metagenomes profiled with **MetaPhlAn 2** (``--tax_lev s``, mpa_v20 species names), any
    scale (the script renormalises). Built on 4,347 samples from 34 studies (healthy vs 12 disease
    phenotypes, abnormal BMI counted as non-healthy); balanced accuracy 69.7 % pooled and 73.7 % on 679
    independent validation samples. Names are matched exactly (underscores and spaces are the same): on
    MetaPhlAn 3/4 or other namings many signature species do not exist under these names, so the index is
    still computed but its coverage is reported and a warning travels with every value.

One deliberate difference from running the R file verbatim
    ``GMHI.R`` removes rows with ``x[-grep(pattern, rownames), ]``. When no row matches a pattern, ``grep``
    returns an empty vector and R then selects *no rows at all*, so every sample gets GMHI = 0 (for example on
    the rebuilt 4,347-sample table, which has no ``unclassified`` rows, or on MetaPhlAn 4 tables without
    ``virus`` rows). That is an R indexing pitfall, not the method: the published accuracies come from the
    intended "drop matching rows" behaviour, which is what this module does. ``literal_r_subsetting=True``
    reproduces the verbatim script, pitfall included.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import yaml

from ..errors import InputError
from ..profile import Profile
from ._common import IndexInfo, IndexResult, Naming, empty_sample_warnings, naming_of, norm_name

NAME = "GMHI"
#: title, source and cut-off, as reports show them
INFO = IndexInfo(key="gmhi", title="Gut Microbiome Health Index (GMHI)",
                 citation="Gupta VK et al., 2020, Nat Commun 11:4635", doi="10.1038/s41467-020-18476-8", cutoff=0.0,
                 cutoff_applies_to=(("MetaPhlAn", "2"),),
                 cutoff_note="the 0 cut-off was set and validated on MetaPhlAn 2 species profiles; other namings "
                             "shift the index, so elsewhere it is read only as a percentile in a matched reference")
REFERENCE = {
    "citation": "Gupta VK et al. 2020, Nat Commun 11:4635, doi:10.1038/s41467-020-18476-8",
    "implementation": "GMHI.R, jaeyunsung/GMHI_2020 @ 87fe9f6",
    "built_on": "MetaPhlAn 2 (mpa_v20) species names, stool shotgun metagenomes",
    "interpretation": "> 0 healthy-like, < 0 non-healthy-like, 0 neither",
}


@cache
def species_lists() -> dict[str, Any]:
    """MH and MN species (MetaPhlAn 2 labels) and the constants, from ``indices/data/gmhi_species.yaml``."""
    text = resources.files(__package__).joinpath("data/gmhi_species.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _input(profile: Profile | pd.DataFrame) -> tuple[sp.csr_matrix, list[str], list[str], list[Naming | None]]:
    if isinstance(profile, Profile):
        view = profile.at_rank("species")
        return (view.values, view.taxa["name"].astype(str).tolist(), list(view.samples),
                [naming_of(i) for i in view.info])
    if isinstance(profile, pd.DataFrame):
        values = profile.to_numpy(dtype=np.float64)
        if not np.isfinite(values).all() or (values < 0).any():
            raise InputError("GMHI needs finite abundances ≥ 0")
        return (sp.csr_matrix(values), [str(c) for c in profile.columns], [str(i) for i in profile.index],
                [None] * len(profile.index))
    raise InputError("GMHI needs a Profile or a DataFrame of samples × species (columns = species names)")


def gmhi_result(profile: Profile | pd.DataFrame, *, literal_r_subsetting: bool = False,
                contributors: bool = True) -> IndexResult:
    """GMHI per sample with coverage, warnings, contributing species and ψ details.

    ``profile``: a :class:`~gutskin.profile.Profile` (its species rank is used) or a DataFrame of
    samples × species with species names as columns. ``contributors=False`` leaves the per-species table
    empty (values, details, coverage and warnings are the same): a score table never shows it.
    """
    lists = species_lists()
    const = lists["constants"]
    threshold = float(const["presence_threshold"])
    mh_prime = float(const["mh_prime"])
    mn_prime = float(const["mn_prime"])
    pseudo = float(const["pseudocount"])
    mh_names = [norm_name(n) for n in lists["health_prevalent_MH"]]
    mn_names = [norm_name(n) for n in lists["health_scarce_MN"]]

    matrix, names, samples, sample_namings = _input(profile)
    matrix = sp.csr_matrix(matrix, dtype=np.float64)
    # step 1: drop unclassified and virus rows (pattern match on the name, case-sensitive like grep)
    unclassified = np.array(["unclassified" in n for n in names], dtype=bool)
    virus = np.array(["virus" in n for n in names], dtype=bool)
    keep = ~unclassified & ~virus
    if literal_r_subsetting and (not unclassified.any() or not virus[~unclassified].any()):
        keep[:] = False
    kept = matrix[:, np.flatnonzero(keep)].tocsr()
    kept.sum_duplicates()
    kept_names = [norm_name(n) for n, k in zip(names, keep, strict=True) if k]
    # step 2: renormalise (x / column sum, as sweep() does) and zero values below the threshold
    totals = np.asarray(kept.sum(axis=1), dtype=np.float64).ravel()
    rows = np.repeat(np.arange(kept.shape[0]), np.diff(kept.indptr))
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = kept.data / totals[rows]
    frac = np.where(frac < threshold, 0.0, frac)
    fractions = sp.csr_matrix((frac, kept.indices, kept.indptr), shape=kept.shape)
    fractions.eliminate_zeros()

    details = {}
    parts: list[pd.DataFrame] = []
    for label, members, prime in (("MH", mh_names, mh_prime), ("MN", mn_names, mn_prime)):
        member_set = set(members)
        cols = np.array([n in member_set for n in kept_names], dtype=bool)
        sub = fractions[:, np.flatnonzero(cols)].tocsr()
        x = sub.data
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = x * np.log(x)
        h = -_row_sums(sub.indptr, plogp)
        r = np.diff(sub.indptr).astype(np.float64)
        details[f"R_{label}"] = r
        details[f"H_{label}"] = h
        details[f"psi_{label}"] = (r / prime) * h
        if not contributors:
            continue
        sub_names = [n for n, c in zip(kept_names, cols, strict=True) if c]
        coo = sub.tocoo()
        parts.append(pd.DataFrame({
            "sample": np.asarray(samples, dtype=object)[coo.row],
            "taxon": np.asarray(sub_names, dtype=object)[coo.col] if sub_names else np.array([], dtype=object),
            "role": "health-prevalent (MH)" if label == "MH" else "health-scarce (MN)",
            "abundance": coo.data,
            "weight": -coo.data * np.log(coo.data),
        }))
    values = np.log10((details["psi_MH"] + pseudo) / (details["psi_MN"] + pseudo))
    # a sample with nothing left is undefined (R fails on it); the verbatim-R pitfall instead gives 0 everywhere
    empty = ~(totals > 0) if keep.any() else np.zeros(len(samples), dtype=bool)
    values[empty] = np.nan
    for k in details:
        details[k][empty] = np.nan

    present = {norm_name(n) for n in names}
    mh_found = [n for n in mh_names if n in present]
    mn_found = [n for n in mn_names if n in present]
    coverage, warnings = _coverage(mh_names, mn_names, mh_found, mn_found, present, sample_namings)
    sample_warnings = empty_sample_warnings(samples, totals, NAME) if empty.any() else {}
    if literal_r_subsetting and not keep.any():
        warnings.append("literal_r_subsetting: GMHI.R's x[-grep(...), ] selected no rows (no 'unclassified' or no "
                        "'virus' row), so every sample is 0, as the verbatim R script gives")
    idx = pd.Index(samples, name="sample")
    if contributors:
        contrib = pd.concat(parts, ignore_index=True)
        contrib = contrib.sort_values(["sample", "role", "abundance"], ascending=[True, True, False], kind="stable")
    else:  # the same columns, no rows
        contrib = pd.DataFrame({c: pd.Series(dtype=object if c in ("sample", "taxon", "role") else np.float64)
                                for c in ("sample", "taxon", "role", "abundance", "weight")})
    return IndexResult(
        name=NAME,
        values=pd.Series(values, index=idx, name=NAME),
        coverage=coverage,
        warnings=warnings,
        sample_warnings=sample_warnings,
        contributors=contrib.reset_index(drop=True),
        details=pd.DataFrame(details, index=idx),
        reference=dict(REFERENCE),
    )


def _row_sums(indptr: np.ndarray, values: np.ndarray) -> np.ndarray:
    n = indptr.size - 1
    out = np.zeros(n, dtype=np.float64)
    nonempty = np.diff(indptr) > 0
    if values.size:
        out[nonempty] = np.add.reduceat(values, indptr[:-1][nonempty])
    return out


def _coverage(mh: list[str], mn: list[str], mh_found: list[str], mn_found: list[str], present: set[str],
              sample_namings: list[Naming | None]) -> tuple[dict[str, Any], list[str]]:
    kinds = {n for n in sample_namings}
    native = bool(kinds) and all(n is not None and n.metaphlan_major() == "2" for n in kinds)
    described = ", ".join(sorted({n.describe() if n is not None else "unknown profiler and naming" for n in kinds}))
    renamed = _renamed_present(mh + mn, mh_found + mn_found, present)
    text = (f"{len(mh_found)} of {len(mh)} health-prevalent (MH) and {len(mn_found)} of {len(mn)} health-scarce (MN) "
            f"species names occur in this input")
    coverage: dict[str, Any] = {
        "expected_naming": "MetaPhlAn 2 (mpa_v20) species",
        "input_naming": described,
        "naming_matches": native,
        "MH_found": len(mh_found),
        "MH_total": len(mh),
        "MN_found": len(mn_found),
        "MN_total": len(mn),
        "MH_missing": [n for n in mh if n not in mh_found],
        "MN_missing": [n for n in mn if n not in mn_found],
        "renamed_present": renamed,
        "text": text,
    }
    warnings = []
    if not native:
        msg = (f"GMHI was built on MetaPhlAn 2 (mpa_v20) species names; this input is {described}: {text}. Values are "
               "not comparable with GMHI of MetaPhlAn 2 profiles or with its cut-off of 0")
        if renamed:
            msg += ("; signature species present only under a newer name are not counted: "
                    + ", ".join(f"{old} (as {new})" for old, new in renamed))
        warnings.append(msg)
    return coverage, warnings


def _renamed_present(all_names: list[str], found: list[str], present: set[str]) -> list[tuple[str, str]]:
    from ..taxonomy.synonyms import aliases

    out = []
    for n in all_names:
        if n in found:
            continue
        for a in sorted(aliases(n)):
            a_n = norm_name(a)
            if a_n != n and a_n in present:
                out.append((n, a_n))
                break
    return out


def gmhi(profile: Profile | pd.DataFrame, **kwargs: Any) -> pd.Series:
    """GMHI per sample; ``series.attrs`` holds ``coverage``, ``warnings`` and the reference."""
    return gmhi_result(profile, **kwargs).series()


def classify(values: pd.Series) -> pd.Series:
    """The paper's call: ``"healthy"`` (> 0), ``"non-healthy"`` (< 0), ``"neither"`` (0) or NA."""
    out = np.where(values > 0, "healthy", np.where(values < 0, "non-healthy", "neither"))
    return pd.Series(pd.array(np.where(values.isna(), None, out), dtype="string"), index=values.index,
                     name=f"{values.name}_call")
