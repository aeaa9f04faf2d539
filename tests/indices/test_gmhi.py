"""GMHI equals a literal transcription of GMHI.R to 1e-9 and reproduces the paper's balanced accuracies."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gutskin.indices import gmhi, gmhi_result
from gutskin.indices.gmhi_2020 import classify, species_lists
from tests import cohorts

from ..conftest import DATA, ROOT

TOL = 1e-9


# ---------------------------------------------------------------------------------------------- the oracle
def read_species_table(path: Path, sep: str, add_prefix: bool = False) -> tuple[list, list, list]:
    """Species × samples table as plain lists, read with the csv module (no pandas, no gutskin)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=sep))
    header = rows[0]
    samples = header[1:]
    species, values = [], []
    for row in rows[1:]:
        if not row:
            continue
        species.append(("s__" + row[0]) if add_prefix else row[0])
        values.append([float(v) for v in row[1:]])
    return species, samples, values


def gmhi_r_transcription(species: list[str], samples: list[str], values: list[list[float]]) -> dict[str, float]:
    """GMHI.R, step by step, with loops (drop rows matching a pattern only when some row matches)."""
    lists = DATA / "gmhi2020_species_lists"
    mh = [ln.strip() for ln in (lists / "MH_species.txt").read_text().splitlines() if ln.strip()]
    mn = [ln.strip() for ln in (lists / "MN_species.txt").read_text().splitlines() if ln.strip()]
    # species_profile_1 / _2: remove unclassified, then virus rows
    rows = list(range(len(species)))
    rows = [i for i in rows if "unclassified" not in species[i]]
    rows = [i for i in rows if "virus" not in species[i]]
    out = {}
    for j, sample in enumerate(samples):
        col_sum = 0.0
        for i in rows:
            col_sum += values[i][j]
        profile3 = {}
        for i in rows:
            x = values[i][j] / col_sum
            if x < 0.00001:
                x = 0.0
            profile3[species[i]] = x
        def alpha_and_richness(members, profile3=profile3):
            total = 0.0
            richness = 0
            for i in rows:  # table order, like R's subsetting keeps row order
                name = species[i]
                if name in members:
                    x = profile3[name]
                    if x > 0:
                        total += math.log(x) * x
                        richness += 1
            return total * (-1), richness
        h_mh, r_mh = alpha_and_richness(set(mh))
        h_mn, r_mn = alpha_and_richness(set(mn))
        psi_mh = (r_mh / 7) * h_mh
        psi_mn = (r_mn / 31) * h_mn
        out[sample] = math.log10((psi_mh + 0.00001) / (psi_mn + 0.00001))
    return out


TABLES = {
    "gmhi_example": ("gmhi2020_example_25/species_relative_abundances.csv", ",", False),
    "gmhi_discovery": ("gmhi2020_discovery_4347/abundance_species_pct.tsv.gz", "\t", False),
    "gmhi_validation": ("gmhi2020_validation_782/validation_abundance.csv.gz", ",", False),
    "camda2024": ("camda2024_gut_613/taxonomy.csv.gz", ",", True),
}


@pytest.mark.parametrize("cohort", list(TABLES))
def test_equals_literal_transcription_of_gmhi_r(cohort):
    rel, sep, prefix = TABLES[cohort]
    species, samples, values = read_species_table(DATA / rel, sep, prefix)
    expected = gmhi_r_transcription(species, samples, values)
    profile = cohorts.load(cohort, DATA).profile
    ours = gmhi(profile)
    assert list(ours.index) == samples
    diffs = np.array([abs(ours[s] - expected[s]) for s in samples])
    assert np.isfinite(diffs).all()
    assert diffs.max() <= TOL, diffs.max()
    # exact zeros (no signature species) stay exact zeros
    zeros = [s for s in samples if expected[s] == 0.0]
    assert all(ours[s] == 0.0 for s in zeros)


def balanced_accuracy(values: pd.Series, healthy: pd.Series) -> tuple[float, float, float]:
    h = healthy.to_numpy(dtype=bool)
    v = values.to_numpy()
    acc_h = 100.0 * np.mean(v[h] > 0)
    acc_nh = 100.0 * np.mean(v[~h] < 0)
    return acc_h, acc_nh, (acc_h + acc_nh) / 2


def test_reproduces_published_accuracy_on_4347_pooled_samples():
    c = cohorts.gmhi_discovery(DATA)
    acc_h, acc_nh, ba = balanced_accuracy(gmhi(c.profile), c.metadata["healthy"])
    assert abs(ba - 69.7) <= 0.05
    assert abs(acc_h - 75.6) <= 0.05
    assert abs(acc_nh - 63.8) <= 0.05


def test_reproduces_published_accuracy_on_679_validation_samples():
    c = cohorts.gmhi_validation(DATA, subset="679")
    assert c.profile.n_samples == 679 and int(c.metadata["healthy"].sum()) == 118
    _, _, ba = balanced_accuracy(gmhi(c.profile), c.metadata["healthy"])
    assert abs(ba - 73.7) <= 0.05


def test_native_naming_has_full_coverage_and_no_warning():
    series = gmhi(cohorts.gmhi_validation(DATA).profile)
    cov = series.attrs["coverage"]
    assert cov["naming_matches"] and cov["MH_found"] == 7 and cov["MN_found"] == 43
    assert series.attrs["warnings"] == []
    assert "Gupta" in series.attrs["reference"]["citation"]


def test_other_naming_reports_coverage_and_warns():
    result = gmhi_result(cohorts.camda2024(DATA).profile)
    cov = result.coverage
    assert not cov["naming_matches"]
    assert cov["MH_found"] < 7 and cov["MN_found"] < 43
    assert f"{cov['MH_found']} of 7" in cov["text"]
    assert result.warnings and "MetaPhlAn 2" in result.warnings[0] and cov["text"] in result.warnings[0]
    renamed = dict(cov["renamed_present"])
    assert renamed.get("Clostridium bolteae") == "Enterocloster bolteae"
    series = result.series()
    assert series.attrs["warnings"] == result.warnings
    assert result.warnings_for(series.index[0]) == result.warnings


def test_details_and_contributors_explain_the_value():
    result = gmhi_result(cohorts.gmhi_example(DATA).profile)
    d = result.details
    recomputed = np.log10((d["psi_MH"] + 1e-5) / (d["psi_MN"] + 1e-5))
    assert np.allclose(recomputed, result.values, rtol=0, atol=1e-15)
    c = result.contributors
    for sample in result.values.index[:5]:
        rows = c[c["sample"] == sample]
        mh = rows[rows["role"].str.contains("MH")]
        assert len(mh) == d.loc[sample, "R_MH"]
        assert abs(mh["weight"].sum() - d.loc[sample, "H_MH"]) < 1e-12
        assert (rows["abundance"] >= 1e-5).all()


def test_dataframe_input_and_scale_invariance():
    profile = cohorts.gmhi_example(DATA).profile
    view = profile.at_rank("species")
    frame = pd.DataFrame(view.values.toarray() / 100.0, index=profile.samples, columns=view.taxa["name"].tolist())
    a = gmhi(profile)
    b = gmhi(frame)
    assert np.allclose(a.to_numpy(), b.to_numpy(), rtol=0, atol=TOL)
    assert not b.attrs["coverage"]["naming_matches"]  # a bare table has no provenance: warned


def test_literal_r_subsetting_reproduces_the_grep_pitfall():
    profile = cohorts.gmhi_discovery(DATA).profile.take_samples(range(50))  # no 'unclassified' rows at all
    literal = gmhi_result(profile, literal_r_subsetting=True)
    assert (literal.values == 0.0).all()
    assert any("grep" in w for w in literal.warnings)
    validation = cohorts.gmhi_validation(DATA).profile.take_samples(range(50))  # has both kinds of rows
    assert np.allclose(gmhi(validation, literal_r_subsetting=True), gmhi(validation), rtol=0, atol=0)


def test_shipped_species_lists_are_the_published_ones():
    lists = species_lists()
    mh = (DATA / "gmhi2020_species_lists" / "MH_species.txt").read_text().split()
    mn = (DATA / "gmhi2020_species_lists" / "MN_species.txt").read_text().split()
    assert lists["health_prevalent_MH"] == mh and lists["health_scarce_MN"] == mn
    assert "CC BY 4.0" in lists["citation"]
    assert lists["constants"] == {"presence_threshold": 1e-5, "mh_prime": 7, "mn_prime": 31, "pseudocount": 1e-5}


def test_classify_follows_the_paper():
    calls = classify(pd.Series([0.3, -0.2, 0.0, np.nan], name="GMHI"))
    assert calls.tolist()[:3] == ["healthy", "non-healthy", "neither"] and pd.isna(calls.iloc[3])


def test_reproduction_page_is_current():
    """docs/gmhi-reproduction.md is exactly what scripts/reproduce_gmhi.py writes today."""
    spec = importlib.util.spec_from_file_location("reproduce_gmhi", ROOT / "scripts" / "reproduce_gmhi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    page = module.render(DATA)
    assert (ROOT / "docs" / "gmhi-reproduction.md").read_text(encoding="utf-8") == page
    assert "69.7" in page and "73.7" in page
