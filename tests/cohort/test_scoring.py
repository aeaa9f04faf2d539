"""Cohort scoring equals the one scoring driver on the same samples, whichever executor runs it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gutskin
from gutskin.cohort.executors import Executor
from gutskin.cohort.features import feature_values
from gutskin.cohort.scoring import (
    ScoreJob,
    cdf,
    jeffreys,
    read_scores,
    score_cohort,
    score_partition,
    write_part,
)
from gutskin.cohort.store import CohortStore
from gutskin.engine import default_resources, score
from gutskin.errors import InputError
from gutskin.insights.measure import SampleMeasurer
from gutskin.reference.percentiles import jeffreys as jeffreys_scalar

from .conftest import KEFIR, MERGED_MPA4, PSORIASIS_100


def _numeric(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if not c.endswith("_coverage") and c != "warnings"]


def _assert_same(expected: pd.DataFrame, got: pd.DataFrame, text: bool = True) -> None:
    got = got.loc[expected.index]
    cols = _numeric(expected)
    a = expected[cols].to_numpy(dtype=np.float64)
    b = got[cols].to_numpy(dtype=np.float64)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(b[~np.isnan(a)], a[~np.isnan(a)], rtol=0, atol=1e-12)
    for c in expected.columns:
        if c.endswith("_coverage") or (text and c == "warnings"):
            assert (expected[c].fillna("") == got[c].fillna("")).all(), c


@pytest.fixture(scope="module")
def single(cohort_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("scores") / "scores.parquet"
    score_cohort(cohort_dir, out, job=ScoreJob(str(cohort_dir), intervals=True, features=True),
                 executor=Executor(workers=1))
    return read_scores(out)


def test_equal_to_the_driver_on_the_same_samples(single: pd.DataFrame) -> None:
    # single-sample files share partitions: the same as 'gutskin score' on those files together
    kefir = score(gutskin.read_many(KEFIR)).table
    _assert_same(kefir, single)
    merged = score(gutskin.read(MERGED_MPA4)).table
    _assert_same(merged, single)
    # the 100-sample table spans three partitions: every number and every warning equal (warnings are each
    # sample's own, never a count of the samples scored beside it)
    big = score(gutskin.read(PSORIASIS_100)).table
    _assert_same(big, single)
    assert single.loc[big.index, "partition"].nunique() == 3


def test_percentiles_equal_the_reference_module(cohort_dir: Path, single: pd.DataFrame) -> None:
    st = CohortStore(cohort_dir)
    store = default_resources().references
    for pid in st.partition_ids()[:2]:
        profile = st.read_partition(pid)
        choice = store.choose(profile)
        expected = choice.reference.percentiles(profile, taxa=False)
        assert (single.loc[profile.samples, "reference"] == choice.reference.name).all()
        for row in expected.itertuples(index=False):
            got = single.at[row.sample, f"{row.feature}_percentile"]
            lo = single.at[row.sample, f"{row.feature}_ci_low"]
            hi = single.at[row.sample, f"{row.feature}_ci_high"]
            for x, y in ((row.percentile, got), (row.ci_low, lo), (row.ci_high, hi)):
                assert (np.isnan(x) and np.isnan(y)) or abs(x - y) <= 1e-12


def test_vector_cdf_and_interval_match_the_scalar_ones() -> None:
    ref = default_resources().references.load("camda2024-healthy-mpa4")
    dist = ref.metrics["shannon"]
    qs = np.asarray(dist.quantiles)
    x = np.concatenate([qs, (qs[:-1] + qs[1:]) / 2, [qs[0] - 1, qs[-1] + 1, np.nan, np.inf, -np.inf]])
    got = cdf(dist, x)
    want = np.array([dist.cdf(v) if np.isfinite(v) else (np.nan if np.isnan(v) else float(v > 0)) for v in x])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    lo, hi = jeffreys(got, dist.n)
    for p, a, b in zip(got, lo, hi, strict=True):
        ea, eb = jeffreys_scalar(p, dist.n)
        assert (np.isnan(ea) and np.isnan(a)) or abs(ea - a) <= 1e-12
        assert (np.isnan(eb) and np.isnan(b)) or abs(eb - b) <= 1e-12


def test_kb_taxa_equal_the_insights_measurement(cohort_dir: Path) -> None:
    st = CohortStore(cohort_dir)
    res = default_resources()
    profile = st.read_partition(st.partition_ids()[0])
    values = feature_values(profile)
    assert values.shape[1] > 20
    ref = res.references.choose(profile).reference
    for i in (0, profile.n_samples - 1):
        measurer = SampleMeasurer(profile.take_samples([i]), ref, res.knowledge)
        for col in values.columns:
            m = measurer.measure(res.knowledge.feature(col[3:]))
            assert m.value is not None and abs(m.value - values.iat[i, values.columns.get_loc(col)]) <= 1e-12


def _stopped_run(cohort_dir: Path, out: Path, job: ScoreJob) -> tuple[Path, str]:
    """The work folder a run of ``job`` left behind after scoring the first partition (and its id)."""
    work = out.parent / f".{out.name}.parts"
    work.mkdir()
    (work / "job.txt").write_text(repr(job))
    pid = CohortStore(cohort_dir).partition_ids()[0]
    write_part(work, pid, score_partition(job, pid))
    return work, pid


def test_tsv_output_and_resume(cohort_dir: Path, tmp_path: Path, single: pd.DataFrame) -> None:
    out = tmp_path / "scores.tsv"
    job = ScoreJob(str(cohort_dir), intervals=True, features=True)
    # a run that stopped after one partition left its result in the work folder
    work, pid = _stopped_run(cohort_dir, out, job)
    run = score_cohort(cohort_dir, out, job=job)
    assert run.resumed == 1 and not work.exists()
    # leftovers of a different request are not mixed in
    work.mkdir()
    (work / "job.txt").write_text(repr(ScoreJob(str(cohort_dir), metrics="alpha")))
    write_part(work, pid, score_partition(job, pid))
    assert score_cohort(cohort_dir, out, job=job).resumed == 0
    back = read_scores(out)
    assert list(back.index) == list(single.index)
    cols = [c for c in single.columns if pd.api.types.is_float_dtype(single[c])]
    np.testing.assert_allclose(back[cols].to_numpy(float), single[cols].to_numpy(float), rtol=1e-12, atol=1e-12)


def test_a_damaged_part_is_scored_again(cohort_dir: Path, tmp_path: Path, single: pd.DataFrame) -> None:
    """Parts are not synced to disk; one cut short (a power cut) is found unreadable and scored again."""
    out = tmp_path / "scores.parquet"
    job = ScoreJob(str(cohort_dir), intervals=True, features=True)
    work, first = _stopped_run(cohort_dir, out, job)
    pids = CohortStore(cohort_dir).partition_ids()
    whole = (work / f"{first}.arrow").read_bytes()
    (work / f"{first}.arrow").write_bytes(whole[: len(whole) // 2])
    (work / f"{pids[-1]}.arrow").write_bytes(b"")
    run = score_cohort(cohort_dir, out, job=job)
    assert run.resumed == 0 and run.n_samples == len(single)
    back = read_scores(out)
    cols = [c for c in single.columns if pd.api.types.is_float_dtype(single[c])]
    np.testing.assert_allclose(back[cols].to_numpy(float), single[cols].to_numpy(float), rtol=1e-12, atol=1e-12)


def test_unknown_reference_is_one_clear_error(cohort_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no reference named"):
        score_cohort(cohort_dir, tmp_path / "s.parquet", job=ScoreJob(str(cohort_dir), reference="nope"))


@pytest.mark.slow
def test_process_pool_gives_the_same_table(cohort_dir: Path, tmp_path: Path, single: pd.DataFrame) -> None:
    out = tmp_path / "pool.parquet"
    run = score_cohort(cohort_dir, out, job=ScoreJob(str(cohort_dir), intervals=True, features=True),
                       executor=Executor(workers=2))
    assert run.executor == "2 local processes"
    pd.testing.assert_frame_equal(read_scores(out), single, rtol=0, atol=1e-12)


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_table(cohort_dir: Path, tmp_path: Path, single: pd.DataFrame) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        out = tmp_path / "dask.parquet"
        run = score_cohort(cohort_dir, out, job=ScoreJob(str(cohort_dir), intervals=True, features=True),
                           executor=Executor(dask=cluster.scheduler_address))
    assert run.executor.startswith("Dask cluster")
    pd.testing.assert_frame_equal(read_scores(out), single, rtol=0, atol=1e-12)


def test_unreachable_scheduler_is_one_clear_error(cohort_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot reach a Dask scheduler"):
        score_cohort(cohort_dir, tmp_path / "s.parquet", executor=Executor(dask="tcp://127.0.0.1:9", connect_timeout=2))


def test_slurm_job_script_runs_a_plain_dask_worker() -> None:
    from dask_jobqueue import SLURMCluster

    cluster = SLURMCluster(cores=8, processes=4, memory="32GB", walltime="02:00:00", queue="normal",
                           account="mylab", python="/opt/gutskin/.venv/bin/python",
                           job_extra_directives=["--cpus-per-task=8"], scheduler_options={"dashboard_address": None})
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert script.startswith("#!/usr/bin/env bash")
    assert "#SBATCH -p normal" in script and "#SBATCH -A mylab" in script and "#SBATCH -t 02:00:00" in script
    assert "/opt/gutskin/.venv/bin/python -m distributed.cli.dask_worker" in script
    assert "--nworkers 4" in script and "--nthreads 2" in script
