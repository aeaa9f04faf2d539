"""The cohort's lean scoring (no GMWI2 contributors table) writes exactly the one scoring driver's table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gutskin
from gutskin.cohort import _engine
from gutskin.engine import score

from .conftest import KEFIR, MERGED_MPA4, PSORIASIS_100, PSORIASIS_143


def _same_table(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert list(got.index) == list(expected.index)
    for c in expected.columns:
        if expected[c].dtype == object or c == "warnings" or c.endswith("_coverage"):
            assert (expected[c].fillna("") == got[c].fillna("")).all(), c
        else:
            a, b = expected[c].to_numpy(float), got[c].to_numpy(float)
            assert np.array_equal(np.isnan(a), np.isnan(b)), c
            np.testing.assert_allclose(b[~np.isnan(b)], a[~np.isnan(a)], rtol=0, atol=1e-12, err_msg=c)


@pytest.fixture(scope="module")
def profiles() -> dict[str, gutskin.Profile]:
    for p in [*KEFIR, PSORIASIS_100, PSORIASIS_143, MERGED_MPA4]:
        if not p.exists():
            pytest.skip(f"missing real data {p}")
    return {"kefir": gutskin.read_many(KEFIR), "mpa4_merged": gutskin.read(MERGED_MPA4),
            "counts_100": gutskin.read(PSORIASIS_100), "counts_143": gutskin.read(PSORIASIS_143)}


@pytest.mark.parametrize("metrics", ["all", "indices", "gmwi2", "gmwi,shannon", "alpha", "shannon,gmwi2,guilds"])
@pytest.mark.parametrize("name", ["kefir", "mpa4_merged", "counts_100", "counts_143"])
def test_score_table_equals_the_driver(profiles: dict[str, gutskin.Profile], name: str, metrics: str) -> None:
    profile = profiles[name]
    expected = score(profile, metrics=metrics).table
    _same_table(expected, _engine.score_table(_engine.PartitionProfile(profile), metrics))


def test_partitions_with_the_same_taxa_share_one_frame_and_read_back_exactly(cohort_dir) -> None:
    from gutskin.cohort.store import CohortStore

    store = CohortStore(cohort_dir)
    parts = [store.read_partition(p.id) for p in store.manifest().partitions]
    by_source = {}
    for part in parts:
        by_source.setdefault(tuple(part.taxa.index), []).append(part)
    shared = [group for group in by_source.values() if len(group) > 1]
    assert shared, "the 100-sample table spans several partitions with the same taxa"
    for group in shared:
        assert all(p.taxa is group[0].taxa for p in group)
    # and the numbers are the input's own, partition by partition
    original = gutskin.read(PSORIASIS_100)
    group = next(g for g in shared if g[0].samples[0] in original.samples)
    for part in group:
        rows = [original.samples.index(s) for s in part.samples]
        cols = [original.taxa.index.get_loc(k) for k in part.taxa.index]
        assert np.array_equal(part.values.toarray(), original.values[rows][:, cols].toarray())
