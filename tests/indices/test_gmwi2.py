"""GMWI2 equals a transcription of the original tool to 1e-9 on the 45 real MetaPhlAn 3 profiles."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import gutskin
from gutskin.indices import gmwi2, gmwi2_result
from gutskin.indices.gmwi2_2024 import model, nonzero_features
from gutskin.profile import Profile
from tests import cohorts

from ..conftest import DATA

TOL = 1e-9
EXAMPLES = DATA / "gmwi2_metaphlan3_examples"
FILES = sorted(EXAMPLES.glob("*_metaphlan.txt")) + sorted((EXAMPLES / "kefir").glob("*_metaphlan.txt"))
SHARED_COEF = DATA / "gmwi2_model" / "gmwi2_coefficients_all_3200.tsv"


def tool_transcription(path: Path) -> tuple[float, dict[str, float]]:
    """``gmwi2_metaphlan_output.py`` step by step: raw file, UNKNOWN, 100 − UNKNOWN, presence > 1e-5, Σ coef."""
    with open(SHARED_COEF, newline="") as fh:
        coefficients = {row["taxon"]: float(row["coefficient"]) for row in csv.DictReader(fh, delimiter="\t")}
    abundance: dict[str, float] = {}
    with open(path) as fh:
        lines = fh.read().splitlines()
    for line in lines[4:]:  # 3 comment lines, then the #clade_name header
        fields = line.split("\t")
        abundance[fields[0]] = float(fields[2])
    unknown = abundance["UNKNOWN"]
    score = 0.0
    present = {}
    for taxon, coef in coefficients.items():  # model feature order, as decision_function sums
        value = abundance.get(taxon, 0.0) / (100 - unknown)
        if value > 0.00001:
            score += coef
            if coef != 0:
                present[taxon] = coef
    return score + 0.0, present


@pytest.fixture(scope="module")
def examples() -> Profile:
    assert len(FILES) == 45
    return Profile.merge([gutskin.read(f) for f in FILES])


def test_equals_tool_on_all_45_profiles(examples):
    result = gmwi2_result(examples)
    assert len(result.values) == 45
    for path, sample in zip(FILES, examples.samples, strict=True):
        expected, present = tool_transcription(path)
        assert abs(result.values[sample] - expected) <= TOL, (sample, result.values[sample], expected)
        contrib = result.contributors[result.contributors["sample"] == sample]
        assert dict(zip(contrib["taxon"], contrib["coefficient"], strict=True)) == present
        assert abs(contrib["coefficient"].sum() - result.values[sample]) <= TOL


def test_single_file_read_gives_the_same_score():
    path = EXAMPLES / "SRR1761667_metaphlan.txt"
    expected, _ = tool_transcription(path)
    series = gmwi2(gutskin.read(path))
    assert abs(series.iloc[0] - expected) <= TOL
    assert series.attrs["warnings"] == []
    assert series.attrs["coverage"]["naming_matches"]
    assert series.attrs["coverage"]["match"] == "clade"


def test_shipped_coefficients_are_the_published_model():
    shipped = resources.files("gutskin.indices").joinpath("data/gmwi2_coefficients.tsv").read_bytes()
    assert shipped == SHARED_COEF.read_bytes()
    licence = resources.files("gutskin.indices").joinpath("data/GMWI2_LICENSE.txt").read_text()
    assert "MIT License" in licence and "Copyright (c) 2023 Daniel Chang" in licence
    feats = model()
    assert len(feats) == 3199  # the 3,200 features minus the zero-coefficient UNKNOWN.1 column
    nz = nonzero_features()
    assert len(nz) == 95
    assert sum(f.coefficient > 0 for f in nz) == 49
    assert len({f.key for f in feats}) == len(feats)


def test_clade_and_name_matching_agree_on_native_input(examples):
    a = gmwi2_result(examples, match="clade").values
    b = gmwi2_result(examples, match="name").values
    assert np.allclose(a, b, rtol=0, atol=1e-12)


def test_details_split_the_score(examples):
    r = gmwi2_result(examples)
    total = r.details["positive_sum"] + r.details["negative_sum"]
    assert np.allclose(total, r.values, rtol=0, atol=1e-12)
    assert (r.contributors.groupby("sample").size() == r.details["n_positive_present"]
            + r.details["n_negative_present"]).all()


def test_other_naming_is_computed_with_coverage_and_warning():
    profile = cohorts.psoriasis_143(DATA).profile  # MetaPhlAn 4 lineages, counts
    series = gmwi2(profile)
    cov = series.attrs["coverage"]
    assert not cov["naming_matches"] and cov["match"] == "name"
    assert 0 < cov["nonzero_found"] < 95
    assert f"{cov['nonzero_found']} of 95" in cov["text"]
    warnings = series.attrs["warnings"]
    assert any("MetaPhlAn 3" in w and cov["text"] in w for w in warnings)
    # the missing UNKNOWN share is each sample's own warning (a report reads the same whatever else was scored)
    result = gmwi2_result(profile)
    assert not any("UNKNOWN" in w for w in result.warnings)
    assert all(any("UNKNOWN" in w for w in result.warnings_for(s)) for s in profile.samples)
    assert not any("sample(s)" in w for s in profile.samples for w in result.warnings_for(s))
    assert series.notna().all()


def test_species_only_table_rolls_up_with_warning():
    profile = cohorts.psoriasis_100(DATA).profile  # MetaPhlAn 3 species with lineage, no higher-rank rows
    result = gmwi2_result(profile)
    assert set(result.coverage["ranks_rolled_up"]) == {"domain", "phylum", "class", "order", "family", "genus"}
    assert any("summing deeper rows" in w for w in result.warnings)
    assert any("does not state its database" in w for w in result.warnings)


def test_empty_sample_is_nan_with_reason(examples):
    from gutskin.profile import SampleInfo

    empty = Profile(np.zeros((1, examples.n_taxa)), ["blank"], examples.taxa,
                    [SampleInfo(source="x", format="metaphlan", units="percent", profiler="MetaPhlAn",
                                profiler_version="3", database="mpa_v30_CHOCOPhlAn_201901", unclassified=100.0)])
    result = gmwi2_result(Profile.merge([examples.take_samples([0]), empty]))
    assert np.isnan(result.values["blank"])
    assert result.sample_warnings["blank"]
