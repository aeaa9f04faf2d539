"""Alpha diversity equals scikit-bio to 1e-12 on real and random tables, on both kernel paths."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from skbio.diversity import alpha_diversity as sk_alpha

from gutskin.errors import InputError, RefusedError
from gutskin.metrics import ALPHA_METRICS, HAVE_NUMBA, alpha_diversity, use_backend
from tests import cohorts

from ..conftest import DATA, ROOT

TOL = 1e-12
SKBIO_NAME = {"observed": "observed_features", "shannon": "shannon", "simpson": "simpson",
              "inv_simpson": "inv_simpson", "pielou": "pielou_e", "chao1": "chao1", "ace": "ace"}
BACKENDS = ["numpy", "numba"] if HAVE_NUMBA else ["numpy"]


def skbio_reference(counts: np.ndarray, metric: str) -> np.ndarray:
    """scikit-bio's value per sample; NaN where scikit-bio refuses (ACE with only singleton rare taxa)."""
    name = SKBIO_NAME[metric]
    if metric == "ace":
        out = []
        for row in counts.astype(np.int64):
            try:
                out.append(float(sk_alpha(name, row[np.newaxis, :]).iloc[0]))
            except ValueError:
                out.append(np.nan)
        return np.array(out)
    data = counts.astype(np.int64) if metric == "chao1" else counts
    return sk_alpha(name, data).to_numpy(dtype=np.float64)


def assert_matches_skbio(ours: pd.DataFrame, counts: np.ndarray, metrics) -> None:
    for m in metrics:
        ref = skbio_reference(counts, m)
        got = ours[m].to_numpy(dtype=np.float64)
        assert np.array_equal(np.isnan(ref), np.isnan(got)), m
        ok = ~np.isnan(ref)
        if ok.any():
            assert np.max(np.abs(ref[ok] - got[ok])) <= TOL, (m, np.max(np.abs(ref[ok] - got[ok])))


@pytest.fixture(scope="module")
def psoriasis_100():
    return cohorts.psoriasis_100(DATA)


@pytest.fixture(scope="module")
def psoriasis_143():
    return cohorts.psoriasis_143(DATA)


@pytest.mark.parametrize("backend", BACKENDS)
def test_counts_cohort_all_metrics_match_skbio(psoriasis_100, backend):
    profile = psoriasis_100.profile
    counts = profile.at_rank("species").values.toarray()
    with use_backend(backend):
        ours = alpha_diversity(profile)
    assert list(ours.columns) == list(ALPHA_METRICS)
    assert list(ours.index) == profile.samples
    assert ours.attrs["rank"] == "species"
    assert "natural log" in ours.attrs["shannon_base"]
    assert_matches_skbio(ours, counts, ALPHA_METRICS)


@pytest.mark.parametrize("backend", BACKENDS)
def test_metaphlan4_counts_cohort_matches_skbio(psoriasis_143, backend):
    profile = psoriasis_143.profile
    counts = profile.at_rank("species").values.toarray()
    with use_backend(backend):
        ours = alpha_diversity(profile, "all")
    assert_matches_skbio(ours, counts, ALPHA_METRICS)


@pytest.mark.parametrize("backend", BACKENDS)
def test_percent_cohort_matches_skbio(backend):
    profile = cohorts.camda2024(DATA).profile
    values = profile.at_rank("species").values.toarray()
    metrics = ["observed", "shannon", "simpson", "inv_simpson", "pielou"]
    with use_backend(backend):
        ours = alpha_diversity(profile, metrics)
    assert_matches_skbio(ours, values, metrics)


def test_input_kinds_agree(psoriasis_100):
    profile = psoriasis_100.profile
    matrix = profile.at_rank("species").values
    frame = pd.DataFrame(matrix.toarray(), index=profile.samples)
    a = alpha_diversity(profile)
    b = alpha_diversity(matrix, ids=profile.samples)
    c = alpha_diversity(matrix.toarray(), ids=profile.samples)
    d = alpha_diversity(frame)
    for other in (b, c, d):
        pd.testing.assert_frame_equal(a, other, check_exact=False, rtol=0, atol=TOL)


def test_profile_rank_is_used():
    profile = cohorts.gmwi2_examples(DATA).profile
    genus = alpha_diversity(profile, "observed", rank="genus")
    expected = np.diff(profile.at_rank("genus").values.indptr)
    assert genus["observed"].tolist() == expected.tolist()
    species = alpha_diversity(profile, "observed")
    assert species["observed"].tolist() == np.diff(profile.at_rank("species").values.indptr).tolist()


def test_chao1_ace_refused_on_proportions_with_reason():
    profile = cohorts.gmwi2_examples(DATA).profile  # MetaPhlAn percent
    for metric in ("chao1", "ace", ["shannon", "chao1"]):
        with pytest.raises(RefusedError) as info:
            alpha_diversity(profile, metric)
        text = str(info.value)
        assert "integer read counts" in text and "percent" in text
    fractions = np.array([[0.5, 0.25, 0.25], [0.1, 0.9, 0.0]])
    with pytest.raises(RefusedError, match="non-integer"):
        alpha_diversity(fractions, ["chao1"])
    soft = alpha_diversity(profile, "all", refused="nan")
    assert soft["chao1"].isna().all() and soft["ace"].isna().all()
    assert set(soft.attrs["refused"]) == {"chao1", "ace"}
    assert soft["shannon"].notna().all()


def test_integer_valued_arrays_allow_chao1():
    out = alpha_diversity(np.array([[1, 1, 2, 5], [3, 0, 0, 0]]), ["chao1", "ace"])
    assert out["chao1"].tolist() == [4 + 2 * 1 / (2 * 2), 1.0]


def test_empty_and_single_taxon_samples():
    table = np.array([[0, 0, 0], [0, 7, 0], [2, 2, 0]], dtype=float)
    out = alpha_diversity(table)
    assert out.loc[0, "observed"] == 0
    assert np.isnan(out.loc[0, ["shannon", "simpson", "inv_simpson", "pielou"]].astype(float)).all()
    assert out.loc[0, "chao1"] == 0.0 and out.loc[0, "ace"] == 0.0
    assert out.loc[1, "pielou"] == 1.0 and out.loc[1, "shannon"] == 0.0
    assert abs(out.loc[2, "shannon"] - np.log(2)) < TOL
    assert_matches_skbio(out.iloc[1:], table[1:], ["observed", "shannon", "simpson", "inv_simpson", "pielou",
                                                   "chao1", "ace"])


def test_shannon_base_and_aliases():
    table = np.array([[1, 2, 3, 4]])
    nats = alpha_diversity(table, ["shannon"])["shannon"].iloc[0]
    bits = alpha_diversity(table, ["shannon"], base=2)["shannon"].iloc[0]
    assert abs(bits - nats / np.log(2)) < TOL
    out = alpha_diversity(table, ["observed_features", "pielou_e", "shannon"])
    assert list(out.columns) == ["observed", "pielou", "shannon"]
    with pytest.raises(InputError, match="unknown alpha"):
        alpha_diversity(table, ["faith_pd"])


def test_bad_values_are_input_errors():
    with pytest.raises(InputError, match="negative"):
        alpha_diversity(np.array([[1.0, -1.0]]))
    with pytest.raises(InputError, match="NaN"):
        alpha_diversity(np.array([[1.0, np.nan]]))


@st.composite
def count_tables(draw):
    n = draw(st.integers(1, 12))
    m = draw(st.integers(1, 25))
    base = draw(arrays(np.int64, (n, m), elements=st.integers(0, 12)))
    big = draw(arrays(np.int64, (n, m), elements=st.integers(0, 10**6)))
    pick = draw(arrays(np.bool_, (n, m)))
    return np.where(pick, big, base)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count_tables())
def test_random_count_tables_match_skbio(counts):
    sparse = sp.csr_matrix(counts.astype(np.float64))
    for backend in BACKENDS:
        with use_backend(backend):
            ours = alpha_diversity(sparse)
        nonempty = counts.sum(axis=1) > 0
        assert_matches_skbio(ours[nonempty], counts[nonempty], ALPHA_METRICS)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 20)),
              elements=st.one_of(st.just(0.0), st.floats(1e-6, 1e3))))
def test_random_proportion_tables_match_skbio(values):
    metrics = ["observed", "shannon", "simpson", "inv_simpson", "pielou"]
    nonempty = values.sum(axis=1) > 0
    for backend in BACKENDS:
        with use_backend(backend):
            ours = alpha_diversity(values, metrics)
        assert_matches_skbio(ours[nonempty], values[nonempty], metrics)


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed")
def test_fallback_equals_compiled_path(psoriasis_143):
    profile = psoriasis_143.profile
    with use_backend("numba"):
        fast = alpha_diversity(profile)
    with use_backend("numpy"):
        slow = alpha_diversity(profile)
    assert fast.attrs["backend"] == "numba" and slow.attrs["backend"] == "numpy"
    pd.testing.assert_frame_equal(fast, slow, check_exact=False, rtol=0, atol=TOL, check_like=False)


def test_works_without_numba_installed(tmp_path):
    """A fresh interpreter where ``import numba`` fails: same numbers through the numpy path."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["numba"] = None  # makes "import numba" raise ImportError
        import numpy as np
        from gutskin.metrics import HAVE_NUMBA, alpha_diversity, backend, bray_curtis
        from scipy.spatial.distance import cdist
        assert not HAVE_NUMBA and backend() == "numpy"
        rng = np.random.default_rng(7)
        x = rng.poisson(0.7, size=(30, 40)).astype(float)
        a = alpha_diversity(x)
        np.save(sys.argv[1], a.to_numpy(dtype=float))
        d = bray_curtis(x[:5], x)
        assert np.nanmax(np.abs(d - cdist(x[:5], x, "braycurtis"))) <= 1e-12
        print("ok")
        """
    )
    target = tmp_path / "alpha_no_numba.npy"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    res = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True, env=env,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
    rng = np.random.default_rng(7)
    x = rng.poisson(0.7, size=(30, 40)).astype(float)
    here = alpha_diversity(x).to_numpy(dtype=float)
    there = np.load(target)
    assert np.allclose(here, there, rtol=0, atol=TOL, equal_nan=True)


def test_numpy_path_blocks_give_the_same_sums(monkeypatch, psoriasis_100):
    from gutskin.metrics import _kernels

    matrix = psoriasis_100.profile.at_rank("species").values
    with use_backend("numpy"):
        whole = alpha_diversity(matrix)
        monkeypatch.setattr(_kernels, "BLOCK_NNZ", 97)  # many blocks, rows never split
        blocked = alpha_diversity(matrix)
    pd.testing.assert_frame_equal(whole, blocked, check_exact=False, rtol=0, atol=TOL)
