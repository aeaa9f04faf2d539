"""Reference cohorts: built from real cohorts, percentiles behave, methods are matched honestly."""

from __future__ import annotations

import gzip
import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import gutskin
from gutskin import reference
from gutskin.errors import RefusedError
from gutskin.profile import Profile
from tests import cohorts
from tests.cli_runner import run_gutskin
from tests.conftest import DATA, ROOT, fixture


@pytest.fixture(scope="module")
def camda():
    return cohorts.camda2024(DATA)


@pytest.fixture(scope="module")
def camda_split(camda):
    """Half the healthy samples build a reference; the other half is held back."""
    meta = camda.metadata
    healthy = np.flatnonzero(meta["healthy"].to_numpy())
    rng = np.random.default_rng(2024)
    build_idx = np.sort(rng.choice(healthy, size=len(healthy) // 2, replace=False))
    held_idx = np.setdiff1d(healthy, build_idx)
    mask = np.zeros(camda.profile.n_samples, dtype=bool)
    mask[build_idx] = True
    ref = reference.build_reference(camda.profile, mask, name="camda-half", licence="test only")
    return ref, held_idx


def metric_percentiles(ref, profile, metric="shannon"):
    table = ref.percentiles(profile, taxa=False)
    return table.loc[table["feature"] == metric, "percentile"].to_numpy()


def test_reference_holds_summaries_not_samples(camda_split):
    ref, _ = camda_split
    assert ref.n == 156
    assert {"shannon", "observed", "simpson", "gmhi"} <= set(ref.metrics)
    assert len(ref.metrics["shannon"].quantiles) == 201  # a fixed grid, whatever n is
    taxa = ref.taxa["species"]
    assert all(0 < t.prevalence <= 1 for t in taxa.values())
    # keyed by current name: MetaPhlAn 4's Bacteroides vulgatus is stored as Phocaeicola vulgatus
    assert "phocaeicola vulgatus" in taxa and "bacteroides vulgatus" not in taxa
    assert taxa["phocaeicola vulgatus"].name == "Phocaeicola vulgatus"


def test_held_back_healthy_percentiles_are_uniform(camda, camda_split):
    ref, held = camda_split
    p = metric_percentiles(ref, camda.profile.take_samples(held))
    assert len(p) == len(held)
    # uniform within sampling error: Kolmogorov–Smirnov against U(0, 1)
    assert stats.kstest(p, "uniform").pvalue > 0.01
    assert 0.4 < np.mean(p) < 0.6


def test_own_samples_percentiles_are_uniform(camda, camda_split):
    ref, _ = camda_split
    healthy = np.flatnonzero(camda.metadata["healthy"].to_numpy())
    p = metric_percentiles(ref, camda.profile.take_samples(healthy))
    assert stats.kstest(p, "uniform").pvalue > 0.01


def test_crohns_disease_scores_lower_shannon_than_held_back_healthy(camda, camda_split):
    ref, held = camda_split
    cd = np.flatnonzero(camda.metadata["diagnosis"].eq("CD").to_numpy())
    p_cd = metric_percentiles(ref, camda.profile.take_samples(cd))
    p_h = metric_percentiles(ref, camda.profile.take_samples(held))
    assert np.median(p_cd) < np.median(p_h) - 0.15
    assert stats.mannwhitneyu(p_cd, p_h, alternative="less").pvalue < 1e-6


def test_absent_taxon_is_reported_against_prevalence(camda, camda_split):
    ref, held = camda_split
    person = camda.profile.take_samples(held[:1])
    table = ref.percentiles(person)
    absent = table[table["status"] == "absent"]
    assert len(absent) > 0
    assert absent["percentile"].isna().all()  # never a "0th percentile"
    assert (absent["prevalence"] >= 0.10).all()
    present = table[(table["kind"] == "taxon") & (table["value"] > 0) & table["percentile"].notna()]
    assert ((present["percentile"] > 0) & (present["percentile"] <= 1)).all()
    assert (present["ci_low"] <= present["percentile"]).all() and (present["percentile"] <= present["ci_high"]).all()


def test_shipped_references_list_with_provenance():
    refs = {r.name: r for r in reference.available()}
    shipped = [n for n, (_, origin) in reference.paths().items() if origin == "shipped"]
    assert len(shipped) >= 2
    gmhi = refs["gmhi2020-healthy-mpa2"]
    assert gmhi.n == 2636 and gmhi.profiler == "MetaPhlAn" and gmhi.profiler_version == "2"
    assert gmhi.licence and gmhi.citation and sum(gmhi.countries.values()) > 2000
    proc = run_gutskin("reference", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = {r["name"]: r for r in json.loads(proc.stdout)}
    assert {"gmhi2020-healthy-mpa2", "camda2024-healthy-mpa4"} <= set(listed)
    assert all(r["source"] and r["licence"] and r["n"] > 0 for r in listed.values())
    assert listed["psoriasis100-controls-mpa3"]["small"] is True


def test_metaphlan3_is_matched_to_metaphlan3_and_pinning_across_versions_says_so():
    profile = gutskin.read(fixture("metaphlan/gmwi2__SRR1761667_metaphlan.txt"))
    choice = reference.choose(profile)
    assert choice.reference.profiler_version == "3" and choice.scope == "full"
    pinned = reference.choose(profile, "gmhi2020-healthy-mpa2")
    assert pinned.match == "pinned" and pinned.scope == "transferable"
    assert any("MetaPhlAn 3" in c for c in pinned.caveats)
    small = reference.choose(profile, "psoriasis100-controls-mpa3")
    assert any("wide" in c for c in small.caveats)


def test_metaphlan4_matches_the_metaphlan4_reference():
    profile = gutskin.read(fixture("metaphlan/taxpasta__ERR7569997.txt"))
    choice = reference.choose(profile)
    assert choice.reference.name == "camda2024-healthy-mpa4"


def test_16s_against_shotgun_is_refused():
    profile = gutskin.read(fixture("metaphlan/gmwi2__SRR1761667_metaphlan.txt"))
    amplicon = Profile(profile.values, profile.samples, profile.taxa,
                       [replace(i, method="16S") for i in profile.info], profile.layout)
    assert reference.choose(amplicon).reference.method == "16S"  # never a shotgun reference
    with pytest.raises(RefusedError, match="not comparable"):
        reference.choose(amplicon, "gmhi2020-healthy-mpa2")
    with pytest.raises(RefusedError, match="not comparable"):
        reference.choose(profile, "hmp1-healthy-16s-gg")


def test_cli_build_installs_a_lab_reference(tmp_path, monkeypatch):
    files = sorted((DATA / "gmwi2_metaphlan3_examples" / "kefir").glob("*_metaphlan.txt"))[:12]
    names = [gutskin.read(f).samples[0] for f in files]
    meta = tmp_path / "meta.tsv"
    # which kefir participants count as "healthy" here is arbitrary: this checks the mechanics only
    pd.DataFrame({"sample": names, "status": ["ok" if i % 3 else "ill" for i in range(len(names))],
                  "country": "US"}).to_csv(meta, sep="\t", index=False)
    env = {"GUTSKIN_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    cmd = ["reference", "build", *map(str, files), "--name", "lab-kefir", "--metadata", str(meta),
           "--healthy-column", "status", "--healthy-value", "ok", "--country-column", "country"]
    proc = run_gutskin(*cmd, env=env)  # in-process: GUTSKIN_HOME is read per command, not at import
    assert proc.returncode == 0, proc.stderr
    listed = run_gutskin("reference", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    lab = {r["name"]: r for r in json.loads(listed.stdout)}["lab-kefir"]
    assert lab["origin"] == "user" and lab["n"] == 8 and lab["countries"] == {"US": 8}
    again = run_gutskin(*cmd, env=env)
    assert again.returncode == 2 and "--force" in again.stderr


def test_shipped_references_are_what_the_script_builds(tmp_path):
    """The shipped summaries are reproducible from ../shared/data by scripts/build_references.py."""
    script = ROOT / "scripts" / "build_references.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True)
    shipped = ROOT / "src" / "gutskin" / "reference" / "data"
    built = sorted(p.name for p in tmp_path.glob("*.ref.json.gz"))
    assert built == sorted(p.name for p in shipped.glob("*.ref.json.gz"))
    for name in built:
        # decoded values with a tolerance, not bytes: another CPU or BLAS may differ in the last bit of a quantile
        _assert_close(_decode(tmp_path / name), _decode(shipped / name), name)


def _decode(path: Path):
    with gzip.open(path, "rb") as fh:
        return json.loads(fh.read())


def _assert_close(a, b, where: str) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        assert sorted(a) == sorted(b), where
        for k in a:
            _assert_close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_close(x, y, f"{where}[{i}]")
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        assert (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (where, a, b)
    else:
        assert a == b, (where, a, b)
