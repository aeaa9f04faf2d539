"""GMWI2 without its contributors table (for large tables) gives the same values, coverage and warnings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gutskin
from gutskin.indices.gmwi2_2024 import gmwi2_result
from gutskin.profile import Profile

from ..conftest import DATA, FIXTURES

EXAMPLES = DATA / "gmwi2_metaphlan3_examples"
MP3 = sorted(EXAMPLES.glob("*_metaphlan.txt")) + sorted((EXAMPLES / "kefir").glob("*_metaphlan.txt"))
INPUTS = {
    "mp3_45": MP3,
    "mp4_143_counts": [DATA / "psoriasis_gut_metaphlan4_143" / "abundance_counts.tsv.gz"],
    "mp3_100_counts": [DATA / "psoriasis_gut_metaphlan_100" / "abundance_counts.tsv.gz"],
    "biom_16s": [FIXTURES / "biom" / "q2-longitudinal__ecam-table-small__feature-table.biom"],
    "gmhi_species": [DATA / "gmhi2020_example_25" / "species_relative_abundances.csv"],
}


def _read(paths: list[Path]) -> Profile:
    for p in paths:
        if not p.exists():
            pytest.skip(f"missing real data {p}")
    return gutskin.read_many(paths) if len(paths) > 1 else gutskin.read(paths[0])


def _assert_same(profile: Profile, **kwargs: str) -> None:
    full = gmwi2_result(profile, **kwargs)
    fast = gmwi2_result(profile, contributors=False, **kwargs)
    a, b = full.values.to_numpy(float), fast.values.to_numpy(float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(b[~np.isnan(b)], a[~np.isnan(a)], rtol=0, atol=1e-12)
    assert list(fast.values.index) == list(full.values.index)
    assert fast.coverage == full.coverage
    assert fast.warnings == full.warnings
    assert fast.sample_warnings == full.sample_warnings
    assert list(fast.details.columns) == list(full.details.columns)
    np.testing.assert_allclose(fast.details.to_numpy(float), full.details.to_numpy(float), rtol=0, atol=1e-12)
    assert fast.contributors.empty and list(fast.contributors.columns) == list(full.contributors.columns)


@pytest.mark.parametrize("name", list(INPUTS))
def test_equal_to_gmwi2_result(name: str) -> None:
    try:
        profile = _read(INPUTS[name])
    except gutskin.errors.InputError as exc:  # pragma: no cover - a reader change; say which
        pytest.skip(f"{name}: {exc}")
    _assert_same(profile)
    for match in ("clade", "name"):
        _assert_same(profile, match=match)


def test_empty_sample_and_mixed_partition() -> None:
    mp3 = _read(MP3[:5])
    # an all-zero sample: empty value and the same sample warning
    zero = Profile(mp3.values.multiply(np.array([[1.0], [0.0], [1.0], [1.0], [1.0]])), mp3.samples, mp3.taxa,
                   mp3.info, mp3.layout)
    _assert_same(zero)
