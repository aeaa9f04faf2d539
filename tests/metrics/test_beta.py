"""Bray–Curtis and Jaccard equal scipy, Aitchison equals scikit-bio's CLR + scipy, to 1e-12."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import cdist, pdist, squareform
from skbio.stats.composition import clr as sk_clr
from skbio.stats.composition import multi_replace

from gutskin.errors import InputError
from gutskin.metrics import HAVE_NUMBA, aitchison, beta_diversity, bray_curtis, jaccard, use_backend
from gutskin.metrics.beta import align_profiles
from tests import cohorts

from ..conftest import DATA

TOL = 1e-12
BACKENDS = ["numpy", "numba"] if HAVE_NUMBA else ["numpy"]


def close(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    if ok.any():
        assert np.max(np.abs(a[ok] - b[ok])) <= TOL, np.max(np.abs(a[ok] - b[ok]))


@pytest.fixture(scope="module")
def camda_fractions():
    profile = cohorts.camda2024(DATA).profile
    return profile.proportions("species").values


@pytest.mark.parametrize("backend", BACKENDS)
def test_bray_curtis_real_cohort_matches_scipy(camda_fractions, backend):
    m = camda_fractions
    dense = m.toarray()
    with use_backend(backend):
        pairs = bray_curtis(m)
        cross = bray_curtis(m[:50], m[100:400])
    close(pairs, squareform(pdist(dense, "braycurtis")))
    close(cross, cdist(dense[:50], dense[100:400], "braycurtis"))
    assert np.array_equal(pairs, pairs.T)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bray_curtis_counts_cohort_matches_scipy(backend):
    m = cohorts.psoriasis_143(DATA).profile.at_rank("species").values
    with use_backend(backend):
        got = bray_curtis(m)
    close(got, squareform(pdist(m.toarray(), "braycurtis")))


def test_jaccard_and_aitchison_real_cohort(camda_fractions):
    dense = camda_fractions[:120].toarray()
    close(jaccard(dense), squareform(pdist(dense > 0, "jaccard")))
    close(jaccard(dense[:10], dense), cdist(dense[:10] > 0, dense > 0, "jaccard"))
    nonempty = dense[dense.sum(axis=1) > 0]
    ref = cdist(sk_clr(multi_replace(nonempty[:15])), sk_clr(multi_replace(nonempty)), "euclidean")
    close(aitchison(nonempty[:15], nonempty), ref)


tables = arrays(np.float64, st.tuples(st.integers(1, 9), st.integers(1, 16)),
                elements=st.one_of(st.just(0.0), st.integers(1, 10**5).map(float), st.floats(1e-6, 1e3)))


@settings(max_examples=60, deadline=None)
@given(tables, st.integers(0, 8))
def test_random_tables_match_scipy(x, split):
    split = min(split, x.shape[0])
    a, b = x[:split] if split else x, x
    for backend in BACKENDS:
        with use_backend(backend):
            close(bray_curtis(x), squareform(pdist(x, "braycurtis")) if x.shape[0] > 1 else np.zeros((1, 1)))
            close(bray_curtis(sp.csr_matrix(a), sp.csr_matrix(b)), cdist(a, b, "braycurtis"))
    close(jaccard(a, b), cdist(a > 0, b > 0, "jaccard"))


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(2, 12)),
              elements=st.one_of(st.just(0.0), st.floats(1e-3, 1e3))))
def test_random_aitchison_matches_skbio(x):
    x = x[x.sum(axis=1) > 0]
    if x.shape[0] < 2:
        return
    ref = squareform(pdist(sk_clr(multi_replace(x)), "euclidean"))
    close(aitchison(x), ref)
    delta = 1e-7
    ref_delta = cdist(np.atleast_2d(sk_clr(multi_replace(x[:1], delta=delta))), sk_clr(multi_replace(x, delta=delta)))
    close(aitchison(x[:1], x, delta=delta), ref_delta)


def test_aitchison_pseudocount_and_empty():
    x = np.array([[1.0, 0.0, 3.0], [2.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    got = aitchison(x, pseudocount=1.0)
    ref = squareform(pdist(sk_clr((x[:2] + 1) / (x[:2] + 1).sum(axis=1, keepdims=True)), "euclidean"))
    close(got[:2, :2], ref)
    assert np.isnan(got[2]).all() and np.isnan(got[:, 2]).all()
    with pytest.raises(InputError):
        aitchison(x, pseudocount=0.0)


def test_empty_samples_follow_scipy():
    x = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    for backend in BACKENDS:
        with use_backend(backend):
            close(bray_curtis(x[:2], x), cdist(x[:2], x, "braycurtis"))
            assert bray_curtis(x)[0, 0] == 0.0
    assert jaccard(x)[0, 1] == 0.0


def test_profiles_are_aligned_by_name_and_closed():
    p = cohorts.psoriasis_100(DATA).profile
    a, b = p.take_samples(range(0, 10)), p.take_samples(range(10, 40))
    a = a.drop_empty_taxa()
    b = b.drop_empty_taxa()
    assert a.n_taxa != b.n_taxa  # different columns: alignment is needed
    got = bray_curtis(a, b)
    full = p.proportions("species").values.toarray()
    close(got, cdist(full[:10], full[10:40], "braycurtis"))
    ma, mb = align_profiles(a, b, "species")
    assert ma.shape[1] == mb.shape[1]
    close(jaccard(a, b), cdist(full[:10] > 0, full[10:40] > 0, "jaccard"))


def test_errors_and_dispatch():
    x = np.ones((2, 3))
    with pytest.raises(InputError, match="columns"):
        bray_curtis(x, np.ones((2, 4)))
    with pytest.raises(InputError, match="unknown beta"):
        beta_diversity("unifrac", x)
    close(beta_diversity("bray-curtis", x), bray_curtis(x))
    profile = cohorts.gmhi_example(DATA).profile
    with pytest.raises(InputError, match="both"):
        bray_curtis(profile, x)
