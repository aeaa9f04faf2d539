"""Profile.rank_totals gives the totals of the rank view without building it (rank resolution uses it)."""

from __future__ import annotations

import numpy as np
import pytest

import gutskin
from gutskin.errors import RefusedError
from gutskin.taxonomy.ranks import RANKS
from tests.conftest import data, fixture

INPUTS = [
    fixture("metaphlan/gmwi2__SRR1761667_metaphlan.txt"),  # clade table: native rows at every rank
    fixture("metaphlan_merged/generated__metaphlan-4.1.1-merge__ERR7569997_ERR7569998.txt"),
    fixture("kraken2/taxpasta__2611_se-ERR5766174-db2.kraken2.report.txt.gz"),
    fixture("biom/unifrac__crawford.biom"),
    data("psoriasis_gut_metaphlan4_143/abundance_counts.tsv.gz"),
    data("movingpictures_16s_gut_467/genus_counts.tsv.gz"),  # genus leaves: species and below refused
]


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_rank_totals_equal_the_views_totals(path) -> None:
    profile = gutskin.read(path)
    checked = 0
    for rank in RANKS:
        try:
            view = profile.at_rank(rank)
        except RefusedError:
            with pytest.raises(RefusedError):
                profile.rank_totals(rank)
            continue
        expected = np.asarray(view.values.sum(axis=1)).ravel()
        got = profile.rank_totals(rank)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)  # the same values added in another order
        checked += 1
    assert checked >= 1
