"""The Gevers microbial dysbiosis (MD) index, as QIIME 1 computes it.

Paper
    Gevers D, Kugathasan S, Denson LA, et al. "The treatment-naive microbiome in new-onset Crohn's disease."
    *Cell Host & Microbe* 15(3):382–392 (2014), doi:10.1016/j.chom.2014.02.005.
Reference implementation
    QIIME 1 ``compute_taxonomy_ratios.py`` (``known_indices['md']``); both genus lists found in QIIME's
    history ship in ``indices/data/gevers_md.yaml`` (default: the later, 1.9.1 list).

Formula
    ``MD = ln(Σ abundance of the "increased" genera / Σ abundance of the "decreased" genera)`` at genus rank;
    NaN when the decreased sum is 0, −inf when only the increased sum is 0 (QIIME's conventions). Higher =
    more Crohn's-like dysbiosis. Ratio of sums, so the scale of the input does not matter.

Validity domain
    16S rRNA genus profiles (Greengenes-era names) of paediatric new-onset Crohn's disease. The genus names
    are matched exactly as QIIME did, against the genus name only (case- and underscore-insensitive, with
    ``Escherichia-Shigella`` counted as *Escherichia*); the 1.9.1 list's four family names
    (Rikenellaceae, Lachnospiraceae, Erysipelotrichaceae, Ruminococcaceae) therefore only count where a
    profile writes them as a genus name. On shotgun/MetaPhlAn input the value is computed with a warning.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..errors import InputError, RefusedError
from ..profile import Profile
from ._common import IndexInfo, IndexResult, naming_of

NAME = "Gevers_MD"
#: title, source and cut-off, as reports show them
INFO = IndexInfo(key="gevers_md", title="Microbial dysbiosis index (Gevers)",
                 citation="Gevers D et al., 2014, Cell Host Microbe 15(3):382–392", doi="10.1016/j.chom.2014.02.005",
                 pmid="24629344")
DEFAULT_VERSION = "qiime-1.9.1"


@cache
def definition() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("data/gevers_md.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _key(name: Any) -> str:
    return " ".join(str(name).replace("_", " ").split()).lower()


def gevers_md_result(profile: Profile, *, version: str = DEFAULT_VERSION) -> IndexResult:
    """MD index per sample with coverage (genera of each list found) and warnings."""
    if not isinstance(profile, Profile):
        raise InputError("the Gevers MD index needs a Profile with genus names")
    d = definition()
    if version not in d["versions"]:
        raise InputError(f"unknown MD index version {version!r}; expected one of {sorted(d['versions'])}",
                         field="version")
    spec = d["versions"][version]
    aliases = {_key(k): {_key(k), *(_key(a) for a in v)} for k, v in d.get("genus_aliases", {}).items()}
    samples = list(profile.samples)
    idx = pd.Index(samples, name="sample")
    try:
        view = profile.at_rank("genus")
    except RefusedError as exc:
        values = pd.Series(np.nan, index=idx, name=NAME)
        return IndexResult(NAME, values, {"text": "no genus names in this input"},
                           [f"Gevers MD index not computed: {exc}"], reference=_reference(d, version))
    names = [_key(n) for n in view.taxa["name"].tolist()]
    sums = {}
    found: dict[str, list[str]] = {}
    masks = {}
    for side in ("increased", "decreased"):
        mask = np.zeros(len(names), dtype=bool)
        found[side] = []
        for genus in spec[side]:
            keys = aliases.get(_key(genus), {_key(genus)})
            hit = np.array([n in keys for n in names], dtype=bool)
            if hit.any():
                found[side].append(genus)
            mask |= hit
        masks[side] = mask
        sums[side] = np.asarray(view.values[:, np.flatnonzero(mask)].sum(axis=1)).ravel()
    inc, dec = sums["increased"], sums["decreased"]
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(dec > 0, np.where(inc > 0, np.log(inc / np.where(dec > 0, dec, 1.0)), -np.inf), np.nan)
    text = (f"{len(found['increased'])} of {len(spec['increased'])} increased and {len(found['decreased'])} of "
            f"{len(spec['decreased'])} decreased genera occur in this input")
    kinds = {naming_of(i) for i in view.info}
    described = ", ".join(sorted(k.describe() for k in kinds))
    warnings = [f"the MD index was designed on 16S rRNA genus profiles of paediatric Crohn's disease (Gevers 2014); "
                f"this input is {described}: {text}"]
    sample_warnings: dict[str, list[str]] = {}
    for s, i_, d_ in zip(samples, inc, dec, strict=True):
        if not d_ > 0:
            sample_warnings[s] = ["Gevers MD index undefined: none of the 'decreased' genera is present"]
        elif not i_ > 0:
            sample_warnings[s] = ["Gevers MD index is −inf: none of the 'increased' genera is present"]
    rows = []
    coo = view.values.tocoo()
    for side in ("increased", "decreased"):
        sel = masks[side][coo.col]
        rows.append(pd.DataFrame({"sample": np.asarray(samples, dtype=object)[coo.row[sel]],
                                  "taxon": view.taxa["name"].to_numpy()[coo.col[sel]],
                                  "role": side, "abundance": coo.data[sel]}))
    contributors = pd.concat(rows, ignore_index=True).sort_values(["sample", "role", "abundance"],
                                                                   ascending=[True, False, False], kind="stable")
    coverage = {"version": version, "increased_found": found["increased"], "decreased_found": found["decreased"],
                "increased_total": len(spec["increased"]), "decreased_total": len(spec["decreased"]),
                "expected_naming": "16S rRNA genus names (QIIME 1 / Greengenes)", "input_naming": described,
                "naming_matches": False, "text": text}
    details = pd.DataFrame({"increased_sum": inc, "decreased_sum": dec}, index=idx)
    return IndexResult(NAME, pd.Series(values, index=idx, name=NAME), coverage, warnings, sample_warnings,
                       contributors.reset_index(drop=True), details, _reference(d, version))


def _reference(d: dict[str, Any], version: str) -> dict[str, str]:
    return {"citation": d["citation"], "implementation": f"{d['implementation']} ({version})",
            "built_on": "16S rRNA genus profiles, paediatric new-onset Crohn's disease",
            "interpretation": "higher = more Crohn's-like dysbiosis"}


def gevers_md(profile: Profile, **kwargs: Any) -> pd.Series:
    """MD index per sample; ``series.attrs`` holds coverage and warnings."""
    return gevers_md_result(profile, **kwargs).series()
