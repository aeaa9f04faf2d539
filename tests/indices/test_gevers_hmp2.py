"""Gevers MD index and the HMP2 dysbiosis score against direct computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist, pdist, squareform

from gutskin.errors import InputError
from gutskin.indices import gevers_md, gevers_md_result, hmp2_dysbiosis, hmp2_dysbiosis_result
from gutskin.profile import ProfileBuilder, SampleInfo
from gutskin.taxonomy.lineage import parse_prefixed
from tests import cohorts

from ..conftest import DATA


def genus_profile(samples: dict[str, dict[str, float]]):
    builder = ProfileBuilder("clades")
    for name, rows in samples.items():
        s = builder.add_sample(name, SampleInfo(source="t", format="test", units="counts", profiler="QIIME 2"))
        for genus, value in rows.items():
            lineage, rank, taxon = parse_prefixed(f"k__Bacteria|g__{genus}", "metaphlan")
            builder.add_value(s, builder.add_taxon(lineage, rank, taxon), value)
    return builder.build()


def test_gevers_md_is_log_ratio_of_listed_genera():
    p = genus_profile({
        "a": {"Escherichia-Shigella": 30, "Veillonella": 10, "Bacteroides": 50, "Faecalibacterium": 30, "Other": 99},
        "b": {"Bacteroides": 10},
        "c": {"Escherichia": 5, "Other": 5},
    })
    r = gevers_md_result(p)
    assert r.values["a"] == pytest.approx(np.log(40 / 80))
    assert r.values["b"] == -np.inf
    assert np.isnan(r.values["c"])
    assert "c" in r.sample_warnings and "b" in r.sample_warnings
    assert "Escherichia" in r.coverage["increased_found"]
    assert r.warnings and "16S" in r.warnings[0]
    old = gevers_md(p, version="qiime-1.8")
    assert old["a"] == pytest.approx(np.log(40 / 80))  # Sutterella/Akkermansia absent here
    with pytest.raises(InputError):
        gevers_md(p, version="nope")


def test_gevers_md_on_real_cohort_matches_manual_sum():
    profile = cohorts.gmwi2_examples(DATA).profile
    view = profile.at_rank("genus")
    names = view.taxa["name"].astype(str).to_numpy()
    values = view.values.toarray()
    inc = values[:, np.isin(names, ["Escherichia", "Haemophilus", "Fusobacterium", "Veillonella"])].sum(axis=1)
    dec_list = ["Dialister", "Faecalibacterium", "Ruminococcus", "Sutterella", "Rikenellaceae", "Parabacteroides",
                "Bacteroides", "Lachnospiraceae", "Coprococcus", "Erysipelotrichaceae", "Dorea", "Ruminococcaceae",
                "Oscillospira", "Bilophila"]
    dec = values[:, np.isin(names, dec_list)].sum(axis=1)
    with np.errstate(divide="ignore"):
        expected = np.where(dec > 0, np.where(inc > 0, np.log(inc / np.where(dec > 0, dec, 1)), -np.inf), np.nan)
    got = gevers_md(profile).to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    ok = np.isfinite(expected)
    assert np.allclose(got[ok], expected[ok], rtol=0, atol=1e-12)


@pytest.fixture(scope="module")
def psoriasis():
    return cohorts.psoriasis_100(DATA)


def test_hmp2_dysbiosis_is_median_bray_curtis_to_reference(psoriasis):
    profile, meta = psoriasis
    healthy = np.flatnonzero(meta["healthy"].to_numpy())
    patients = np.flatnonzero(~meta["healthy"].to_numpy())
    reference = profile.take_samples(healthy)
    query = profile.take_samples(patients)
    result = hmp2_dysbiosis_result(query, reference)
    frac = profile.proportions("species").values.toarray()
    d = cdist(frac[patients], frac[healthy], "braycurtis")
    assert np.allclose(result.values.to_numpy(), np.median(d, axis=1), rtol=0, atol=1e-12)
    ref_d = squareform(pdist(frac[healthy], "braycurtis"))
    np.fill_diagonal(ref_d, np.nan)
    threshold = np.percentile(np.nanmedian(ref_d, axis=1), 90)
    assert result.coverage["threshold"] == pytest.approx(threshold, abs=1e-12)
    assert (result.details["dysbiotic"] == (result.values > threshold)).all()
    assert not result.warnings  # same profiler, > 20 reference samples


def test_hmp2_leaves_out_self_and_same_subject(psoriasis):
    profile, _ = psoriasis
    reference = profile.take_samples(range(30))
    query = profile.take_samples(range(5))  # these five are also in the reference
    frac = profile.proportions("species").values.toarray()[:30]
    d = squareform(pdist(frac, "braycurtis"))
    res = hmp2_dysbiosis(query, reference)
    for i in range(5):
        others = np.delete(d[i], i)
        assert res.iloc[i] == pytest.approx(np.median(others), abs=1e-12)
    subjects = [f"s{i // 2}" for i in range(30)]  # pairs of samples share a subject
    res2 = hmp2_dysbiosis_result(query, reference, subjects=subjects[:5], reference_subjects=subjects)
    for i in range(5):
        keep = [j for j in range(30) if subjects[j] != subjects[i]]
        assert res2.values.iloc[i] == pytest.approx(np.median(d[i, keep]), abs=1e-12)
        assert res2.details["n_reference_used"].iloc[i] == len(keep)


def test_hmp2_warns_on_different_naming_and_small_reference(psoriasis):
    profile, _ = psoriasis
    other = cohorts.psoriasis_143(DATA).profile.take_samples(range(10))
    res = hmp2_dysbiosis_result(profile.take_samples(range(3)), other)
    text = " ".join(res.warnings)
    assert "different profilers or databases" in text and "only 10 samples" in text
    with pytest.raises(InputError):
        hmp2_dysbiosis(profile, profile.take_samples([0]))
