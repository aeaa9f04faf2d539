"""Percentile machinery on its own: quantile summaries, tie handling, and the Jeffreys interval."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gutskin.reference.model import METRIC_GRID, TAXON_GRID, Distribution
from gutskin.reference.percentiles import jeffreys


def test_cdf_matches_the_empirical_distribution_for_continuous_values():
    rng = np.random.default_rng(1)
    values = rng.normal(3.0, 0.5, 5000)
    dist = Distribution.of(values, METRIC_GRID)
    for x in np.linspace(2.0, 4.0, 9):
        assert dist.cdf(x) == pytest.approx((values < x).mean(), abs=0.006)
    assert dist.cdf(-10) == 0.0 and dist.cdf(10) == 1.0
    assert dist.q(0.5) == pytest.approx(np.median(values))


def test_ties_take_the_middle_of_their_run():
    # 60 % zeros: a zero lands in the middle of the zero run, not at 0 or 0.6
    values = np.r_[np.zeros(600), np.arange(1, 401)]
    dist = Distribution.of(values, METRIC_GRID)
    assert dist.cdf(0.0) == pytest.approx(0.3, abs=0.01)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=20, max_size=300))
def test_cdf_is_monotone_and_bounded(values):
    dist = Distribution.of(np.asarray(values), TAXON_GRID)
    xs = np.linspace(-1, 101, 60)
    cdf = [dist.cdf(x) for x in xs]
    assert all(0.0 <= c <= 1.0 for c in cdf)
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(cdf))


def test_jeffreys_interval_narrows_with_size_and_covers_the_estimate():
    lo_s, hi_s = jeffreys(0.5, 40)
    lo_l, hi_l = jeffreys(0.5, 4000)
    assert lo_s < lo_l < 0.5 < hi_l < hi_s
    assert jeffreys(0.0, 100)[0] == 0.0 and jeffreys(1.0, 100)[1] == 1.0
    assert np.isnan(jeffreys(float("nan"), 10)[0])


def test_cdf_many_is_cdf_element_by_element_on_shipped_references():
    from gutskin.reference.registry import available

    # taxon distributions of every shipped reference, at their own quantiles (ties), between them, and outside
    checked = 0
    for ref in available():
        for taxa in ref.taxa.values():
            for summary in list(taxa.values())[:150]:
                dist = summary.among_carriers
                if not dist.quantiles:
                    assert np.isnan(dist.cdf_many(np.array([0.1, 1.0]))).all()
                    continue
                qs = np.asarray(dist.quantiles)
                xs = np.r_[qs, (qs[:-1] + qs[1:]) / 2, qs[0] / 2, qs[-1] * 2 + 1, 0.0]
                got = dist.cdf_many(xs)
                assert got.tolist() == [dist.cdf(float(x)) for x in xs]  # bit for bit
                checked += 1
    assert checked > 300
