"""Cohort loaders: the real tables load into Profiles with aligned metadata; no data in the package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gutskin.errors import InputError
from tests import cohorts

from .conftest import DATA, ROOT

EXPECTED = {
    # name: (samples, taxa, units, healthy True count, profiler version)
    "gmhi_discovery": (4347, 313, "percent", 2636, "2"),
    "gmhi_validation": (782, 576, "percent", 118, "2"),
    "gmhi_example": (25, 576, "percent", 0, "2"),
    "camda2024": (613, 2115, "percent", 313, "4"),
    "camda2024_covid": (70, 929, "percent", 0, "4"),
    "psoriasis_143": (143, 1382, "counts", 45, "4"),
    "psoriasis_100": (100, 424, "counts", 47, "3"),
    "gmwi2_examples": (45, None, "percent", 0, "3"),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_loader_shapes_units_and_labels(name):
    n, n_taxa, units, n_healthy, version = EXPECTED[name]
    cohort = cohorts.load(name, DATA)
    profile, meta = cohort
    assert profile.n_samples == n
    if n_taxa is not None:
        assert profile.n_taxa == n_taxa
    assert profile.units == units
    assert {i.profiler_version for i in profile.info} == {version}
    assert list(meta.index) == profile.samples
    assert int(meta["healthy"].fillna(False).sum()) == n_healthy
    assert cohort.folder.parent == DATA
    assert (profile.values.data > 0).all()


def test_species_tables_get_display_names_and_genus():
    profile = cohorts.gmhi_example(DATA).profile
    row = profile.taxa[profile.taxa["name"] == "Bifidobacterium adolescentis"].iloc[0]
    assert row["rank"] == "species" and row["genus"] == "Bifidobacterium" and row["species"] == row["name"]
    camda = cohorts.camda2024(DATA).profile
    assert "GGB3614 SGB4886" in set(camda.taxa["name"])


def test_values_are_read_exactly():
    c = cohorts.gmhi_example(DATA)
    first = (DATA / "gmhi2020_example_25" / "species_relative_abundances.csv").read_text(encoding="utf-8-sig")
    line = next(ln for ln in first.splitlines() if ln.startswith("s__Acidaminococcus_fermentans"))
    values = [float(v) for v in line.split(",")[1:]]
    col = list(c.profile.taxa["name"]).index("Acidaminococcus fermentans")
    assert np.array_equal(c.profile.values[:, col].toarray().ravel(), np.array(values))


def test_validation_subset_679():
    c = cohorts.gmhi_validation(DATA, subset="679")
    assert c.profile.n_samples == 679
    assert not c.metadata["abnormal_bmi"].any()
    assert int(c.metadata["healthy"].sum()) == 118
    full = cohorts.gmhi_validation(DATA)
    assert int(full.metadata["abnormal_bmi"].sum()) == 103
    assert full.metadata["study"].nunique() == 9


def test_psoriasis_lineages():
    p143 = cohorts.psoriasis_143(DATA).profile
    assert set(p143.taxa["rank"]) == {"species"}
    assert p143.taxa["phylum"].notna().all()
    assert p143.at_rank("phylum").n_taxa > 3
    p100 = cohorts.psoriasis_100(DATA).profile
    smithii = p100.taxa[p100.taxa["name"] == "Methanobrevibacter smithii"].iloc[0]
    assert smithii["domain"] == "Archaea" and smithii["phylum"] == "Euryarchaeota"


def test_gmwi2_example_metadata():
    meta = cohorts.gmwi2_examples(DATA).metadata
    assert (meta["study"] == "kefir").sum() == 44
    assert meta["reextract"].sum() == 1


def test_data_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv(cohorts.ENV, str(DATA.parent))
    assert cohorts.data_dir() == DATA
    monkeypatch.setenv(cohorts.ENV, str(DATA))
    assert cohorts.data_dir() == DATA
    monkeypatch.delenv(cohorts.ENV)
    assert cohorts.data_dir() == DATA  # ../shared/data beside the repository
    with pytest.raises(InputError, match="no shared cohort data"):
        cohorts.data_dir(tmp_path)
    with pytest.raises(InputError, match="unknown cohort"):
        cohorts.load("nope", DATA)


def test_no_cohort_data_inside_the_package():
    package = ROOT / "src" / "gutskin"
    shared_names = {p.name for p in DATA.rglob("*") if p.is_file() and p.name != "PROVENANCE.md"}
    allowed = {"gmwi2_model_params.txt"}  # MIT model parameters, shipped on purpose with attribution
    for path in package.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            assert path.name not in shared_names - allowed, path
    for sub in ("metrics", "indices"):
        for path in (package / sub).rglob("*"):
            if path.is_file():
                assert path.stat().st_size < 1_000_000, path
    # the only shared-data bytes shipped are the MIT-licensed GMWI2 coefficients
    shipped = Path(package / "indices" / "data" / "gmwi2_coefficients.tsv").read_bytes()
    assert shipped == (DATA / "gmwi2_model" / "gmwi2_coefficients_all_3200.tsv").read_bytes()
