#!/usr/bin/env python
"""Benchmark ``gutskin cohort`` at scale against the tools a user would pick instead.

A cohort of N samples (default 1,000,000) is made of random mixtures of real profiles from ``../shared/data``:
half MetaPhlAn 3 (the 45 GMWI2 stool profiles, every rank, with their UNKNOWN share) and half MetaPhlAn 4 (the
143 psoriasis-study profiles, SGB lineages). Each synthetic sample is w·A + (1 − w)·B for two real profiles A, B
of the same MetaPhlAn version and w ~ U(0.2, 0.8), built in memory block by block, then:

* **ingest (files)**: ``--file-samples`` of them written as gutskin long-format Parquet files of ``--per-file``
  samples (what ``gutskin convert --to parquet`` writes, a format ``gutskin.read`` accepts) and ingested with
  ``gutskin.cohort.ingest`` on ``--workers`` processes: this is the reader-bound rate a user sees;
* **ingest (store)**: all N samples added block by block through ``gutskin.cohort.ingest.Ingestor`` (the
  cohort store's own cost: partitioning, Parquet writing, manifest), time, peak memory, disk size;
* **score**: the full metric set plus reference percentiles, ``--workers`` local processes;
* **alpha**: the alpha metrics only (``--metrics alpha --no-percentiles``) against DuckDB SQL computing
  observed richness, Shannon and Simpson over the same Parquet with the same number of threads, and
  scikit-bio ``alpha_diversity`` on a 100,000-sample subset (dense counts, as scikit-bio needs);
* **reports**: ``--reports`` HTML reports (total time and per-report cost), when the report engine is there.

Every step runs in its own process; peak memory is the largest summed RSS of that process and its children,
sampled every 0.1 s. Timings are wall-clock seconds. The machine load average is recorded with the results.

Usage::

    nice .venv/bin/python benchmarks/bench_cohort.py --samples 10000 --file-samples 5000 --reports 20
    nice .venv/bin/python benchmarks/bench_cohort.py --update-doc               # the full run, writes the doc
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT.parent / "shared" / "data"
RESULTS = HERE / "results"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench_cohort:start -->", "<!-- bench_cohort:end -->"


# ---------------------------------------------------------------------------------------------- measuring
def _tree_rss(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def run_step(name: str, code: str, env: dict[str, str] | None = None) -> dict:
    """Run ``code`` in a fresh Python process; wall time, peak summed RSS of its process tree, its JSON output."""
    print(f"-- {name}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env={**os.environ, **(env or {})},
                            text=True)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.1)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, _ = proc.communicate()
    stop.set()
    t.join()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"step {name} failed with status {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    result.update(wall_s=round(wall, 2), peak_rss_mb=round(peak / 2**20, 1))
    print(f"   {json.dumps(result)}", file=sys.stderr, flush=True)
    return result


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ---------------------------------------------------------------------------------------------- inputs
GENERATE = r"""
import json, sys, time, dataclasses
import numpy as np, scipy.sparse as sp, pandas as pd
from pathlib import Path
import gutskin
from gutskin.profile import Profile
data, out, n, per_file = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
seed = int(sys.argv[5])
mp3 = sorted((data / "gmwi2_metaphlan3_examples" / "kefir").glob("*_metaphlan.txt"))
mp3.append(data / "gmwi2_metaphlan3_examples" / "SRR1761667_metaphlan.txt")
# every rank MetaPhlAn 3 wrote is kept: mixtures of clade totals are clade totals of the mixture
mp4 = gutskin.read(data / "psoriasis_gut_metaphlan4_143" / "abundance_counts.tsv.gz")
# the table itself does not say which profiler wrote it; its PROVENANCE.md does (MetaPhlAn 4, shotgun), and a
# lab ingesting its own tables knows it too. Without this the samples are "unknown method" and are placed
# against the nearest reference with caveats instead of the method-matched MetaPhlAn 4 one
mp4_info = dataclasses.replace(mp4.info[0], format="table", profiler="MetaPhlAn", profiler_version="4",
                               method="shotgun")
bases = [Profile.merge([gutskin.read(p) for p in mp3]),
         Profile(mp4.values, mp4.samples, mp4.taxa, [mp4_info] * mp4.n_samples, mp4.layout)]
rng = np.random.default_rng(seed)
mode = sys.argv[6]
if mode == "store":
    from gutskin.cohort.ingest import Ingestor
    ing = Ingestor(out, partition_size=per_file)
t = time.perf_counter()
written = 0
k = 0
while written < n:
    m = min(per_file, n - written)
    base = bases[k % 2]
    vals = base.values
    tot = np.asarray(vals.sum(axis=1)).ravel()
    norm = sp.diags(1 / tot) @ vals if base.units == "counts" else vals
    a = rng.integers(0, base.n_samples, m); b = rng.integers(0, base.n_samples, m); w = rng.uniform(0.2, 0.8, m)
    W = sp.csr_matrix((np.r_[w, 1 - w], (np.r_[np.arange(m), np.arange(m)], np.r_[a, b])),
                      shape=(m, base.n_samples))
    units = "fraction" if base.units == "counts" else base.units
    info = [dataclasses.replace(base.info[0], source=f"synthetic block {k}", units=units)] * m
    mix = Profile(W @ norm, [f"f{k:04d}s{i:06d}" for i in range(m)], base.taxa, info, base.layout)
    if mode == "store":
        ing.add(mix, ident=f"block{k}", path=f"block{k}")
    else:
        mix.to_long().to_parquet(out / f"part{k:04d}.parquet", index=False)
    written += m
    k += 1
if mode == "store":
    r = ing.finish()
print(json.dumps({"blocks": k, "samples": written, "seconds": round(time.perf_counter() - t, 2)}))
"""

INGEST = r"""
import json, sys, time
from pathlib import Path
from gutskin.cohort.ingest import ingest
inputs = sorted(Path(sys.argv[1]).glob("part*.parquet"))
t = time.perf_counter()
r = ingest(inputs, sys.argv[2], partition_size=int(sys.argv[3]), workers=int(sys.argv[4]))
print(json.dumps({"samples": r.n_samples, "partitions": r.n_partitions, "bad": len(r.bad),
                  "ingest_s": round(time.perf_counter() - t, 2)}))
"""

SCORE = r"""
import json, sys, time
from gutskin.cohort.scoring import ScoreJob, score_cohort
from gutskin.cohort.executors import Executor
root, out, workers, metrics, pct = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1"
t = time.perf_counter()
run = score_cohort(root, out, job=ScoreJob(root, metrics=metrics, percentiles=pct),
                   executor=Executor(workers=workers))
print(json.dumps({"samples": run.n_samples, "partitions": run.n_partitions,
                  "score_s": round(time.perf_counter() - t, 2)}))
"""

DUCKDB = r"""
import json, sys, time
import duckdb
root, threads, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
con = duckdb.connect()
con.execute(f"SET threads = {threads}")
t = time.perf_counter()
con.execute(f'''
COPY (
  WITH v AS (SELECT sample, value FROM read_parquet('{root}/parts/*/values.parquet')
             WHERE rank = 'species' AND value > 0),
  p AS (SELECT sample, value / sum(value) OVER (PARTITION BY sample) AS p FROM v)
  SELECT sample, count(*) AS observed, -sum(p * ln(p)) AS shannon, 1 - sum(p * p) AS simpson FROM p GROUP BY sample
) TO '{out}' (FORMAT parquet)''')
print(json.dumps({"duckdb_s": round(time.perf_counter() - t, 2)}))
"""

SKBIO = r"""
import json, sys, time
import numpy as np, pandas as pd, pyarrow.parquet as pq, pyarrow.dataset as ds
root, n = sys.argv[1], int(sys.argv[2])
from glob import glob
dataset = ds.dataset(sorted(glob(f"{root}/parts/*/values.parquet")), format="parquet")
table = dataset.to_table(columns=["sample", "key", "rank", "value"],
                                                               filter=ds.field("rank") == "species")
frame = table.to_pandas()
samples = pd.unique(frame["sample"])[:n]
frame = frame[frame["sample"].isin(set(samples))]
si, s_names = pd.factorize(frame["sample"])
ti, _ = pd.factorize(frame["key"])
import scipy.sparse as sp
m = sp.csr_matrix((frame["value"].to_numpy(), (si, ti)))
m = sp.diags(1e6 / np.asarray(m.sum(axis=1)).ravel()) @ m
counts = m.toarray()
np.rint(counts, out=counts)
counts = counts.astype(np.int32)  # scikit-bio wants counts: relative abundances as parts per million
del m, frame
from skbio.diversity import alpha_diversity
t = time.perf_counter()
for metric in ("observed_features", "shannon", "simpson"):
    alpha_diversity(metric, counts, ids=list(s_names))
print(json.dumps({"skbio_samples": len(s_names), "skbio_s": round(time.perf_counter() - t, 2)}))
"""

REPORTS = r"""
import json, sys, time
root, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
from gutskin.cohort.reports import report_cohort, ReportJob
from gutskin.cohort.executors import Executor
t = time.perf_counter()
run = report_cohort(root, out, job=ReportJob(root, fmt="html", limit=n), executor=Executor(workers=int(sys.argv[4])))
print(json.dumps({"reports": run.n_reports, "reports_s": round(time.perf_counter() - t, 2), **run.timing}))
"""


# ---------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--per-file", type=int, default=10_000, help="Samples per generated input file.")
    ap.add_argument("--file-samples", type=int, default=20_000, help="Samples ingested from files.")
    ap.add_argument("--partition-size", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skbio-samples", type=int, default=100_000)
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--work", type=Path, default=None, help="Scratch folder (default: a temporary one).")
    ap.add_argument("--update-doc", action="store_true")
    ap.add_argument("--doc-from", type=Path, default=None, help="Only rewrite the doc section from a results file.")
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--repeat", type=int, default=1, help="Run the alpha and DuckDB steps this many times "
                    "(alternately); the median run is reported.")
    ap.add_argument("--steps", default="files,store,score,alpha,duckdb,skbio,reports",
                    help="Comma-separated steps to run (with --work, a store left by an earlier run is reused).")
    args = ap.parse_args(argv)
    steps = set(args.steps.split(","))
    if args.doc_from:
        update_doc(json.loads(args.doc_from.read_text()), args.doc_from)
        return 0
    work = args.work or Path(tempfile.mkdtemp(prefix="gutskin-bench-cohort-"))
    work.mkdir(parents=True, exist_ok=True)
    inputs, files_store, store = work / "inputs", work / "from-files", work / "cohort"
    results: dict = {"steps": sorted(steps), "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "samples": args.samples,
                     "file_samples": args.file_samples, "per_file": args.per_file,
                     "partition_size": args.partition_size, "workers": args.workers,
                     "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                     "load_before": os.getloadavg()}
    try:
        if "files" in steps:
            for d in (inputs, files_store):
                if d.exists():
                    shutil.rmtree(d)
            inputs.mkdir()
            results["write_files"] = run_step("write input files", _argv(GENERATE, DATA, inputs, args.file_samples,
                                                                          args.per_file, args.seed, "files"))
            results["input_mb"] = round(du(inputs) / 2**20, 1)
            results["ingest_files"] = run_step("ingest (files)", _argv(INGEST, inputs, files_store,
                                                                        args.partition_size, args.workers))
        if "store" in steps or not (store / "cohort.json").is_file():
            if store.exists():
                shutil.rmtree(store)
            results["ingest"] = run_step("ingest (store)", _argv(GENERATE, DATA, store, args.samples,
                                                                 args.partition_size, args.seed, "store"))
        results["store_mb"] = round(du(store) / 2**20, 1)
        if "score" in steps:
            results["score"] = run_step("score (full)", _argv(SCORE, store, work / "scores.parquet", args.workers,
                                                              "all", 1))
            results["scores_mb"] = round((work / "scores.parquet").stat().st_size / 2**20, 1)
        # the alpha step and DuckDB take a few seconds each on a machine shared with other jobs: with --repeat
        # they run alternately that many times and the table shows each one's median run
        for _ in range(args.repeat):
            if "alpha" in steps:
                results.setdefault("alpha_runs", []).append(run_step(
                    "score (alpha)", _argv(SCORE, store, work / "alpha.parquet", args.workers, "alpha", 0)))
            if "duckdb" in steps:
                results.setdefault("duckdb_runs", []).append(run_step(
                    "duckdb (alpha)", _argv(DUCKDB, store, args.workers, work / "duck.parquet")))
        for step, key in (("alpha", "score_s"), ("duckdb", "duckdb_s")):
            runs = results.get(f"{step}_runs")
            if runs:
                results[step] = sorted(runs, key=lambda r: r[key])[len(runs) // 2]
        if "duckdb" in steps and (work / "alpha.parquet").is_file():
            results["agreement"] = _agreement(work / "alpha.parquet", work / "duck.parquet")
        if "skbio" in steps:
            results["skbio"] = run_step("scikit-bio (alpha)", _argv(SKBIO, store, min(args.skbio_samples,
                                                                                      args.samples)))
        if args.reports and "reports" in steps:
            if (work / "reports").exists():
                shutil.rmtree(work / "reports")
            try:
                results["reports"] = run_step("reports", _argv(REPORTS, store, work / "reports", args.reports,
                                                                args.workers))
            except SystemExit as exc:
                results["reports"] = {"error": str(exc)}
        results["load_after"] = os.getloadavg()
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"cohort-{results['date'].replace('-', '').replace(':', '')}.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {path}", file=sys.stderr)
    if args.update_doc:
        update_doc(results, path)
    return 0


def _argv(code: str, *values: object) -> str:
    """Bake arguments into a step's code (each step is ``python -c CODE``)."""
    for i, v in enumerate(values, start=1):
        code = code.replace(f"sys.argv[{i}]", repr(str(v)))
    return code


def _agreement(ours: Path, duck: Path) -> dict:
    """Largest difference between gutskin's and DuckDB's observed/Shannon/Simpson (same samples)."""
    import pandas as pd

    a = pd.read_parquet(ours).set_index("sample")
    b = pd.read_parquet(duck).set_index("sample").loc[a.index]
    return {m: float(np.nanmax(np.abs(a[m].to_numpy(float) - b[m].to_numpy(float))))
            for m in ("observed", "shannon", "simpson")}


def update_doc(r: dict, path: Path) -> None:
    """Rewrite the cohort section of docs/benchmarks.md from one results file."""

    def g(step: str, key: str) -> object:
        value = r.get(step, {}).get(key, "—")
        return f"{value:,}" if isinstance(value, int) else value

    def loads(x: list[float]) -> str:
        return " / ".join(f"{v:.1f}" for v in x)

    n = r["samples"]
    agreement = max(r["agreement"].values()) if r.get("agreement") else float("nan")
    rate = r["file_samples"] / r["ingest_files"]["wall_s"] if r.get("ingest_files") else float("nan")
    lines = [
        START,
        f"<!-- generated by benchmarks/bench_cohort.py --update-doc from benchmarks/results/{path.name} -->",
        "",
        f"Run {r['date']}: {n:,} samples (random mixtures of real MetaPhlAn 3 and 4 profiles), "
        f"{r['workers']} worker processes, partitions of {r['partition_size']:,} samples, {r['cores']} cores "
        f"shared with other jobs (load average 1/5/15 min before: {loads(r['load_before'])}; after: "
        f"{loads(r.get('load_after', []))}). Wall-clock seconds; peak memory is the largest summed RSS of the "
        "step's process tree.",
        "",
        "| step | samples | wall time (s) | peak memory (MB) | notes |",
        "|---|---:|---:|---:|---|",
        f"| ingest from files (long Parquet, {r['per_file']:,} samples per file) | {r['file_samples']:,} | "
        f"{g('ingest_files', 'wall_s')} | {g('ingest_files', 'peak_rss_mb')} | {rate:,.0f} samples/s: the "
        "readers' parsing; input " + f"{r.get('input_mb', '—')} MB |",
        f"| ingest into the store (profiles in memory) | {n:,} | {g('ingest', 'wall_s')} | "
        f"{g('ingest', 'peak_rss_mb')} | includes making the mixtures; store {r.get('store_mb', '—')} MB on disk |",
        f"| score: full metric set + percentiles | {g('score', 'samples')} | {g('score', 'wall_s')} | "
        f"{g('score', 'peak_rss_mb')} | {g('score', 'partitions')} partitions; {g('score', 'score_s')} s after "
        f"start-up; output {r.get('scores_mb', '—')} MB Parquet |",
        f"| score: alpha metrics only | {g('alpha', 'samples')} | {g('alpha', 'wall_s')} | "
        f"{g('alpha', 'peak_rss_mb')} | all seven alpha metrics, no percentiles; {g('alpha', 'score_s')} s after "
        "Python start-up and imports |",
        f"| DuckDB SQL: observed, Shannon, Simpson | {n:,} | {g('duckdb', 'wall_s')} | {g('duckdb', 'peak_rss_mb')} | "
        f"same Parquet, {r['workers']} threads; query {g('duckdb', 'duckdb_s')} s; max difference from gutskin "
        f"{agreement:.1e} |",
        *([f"| alpha only vs DuckDB, {len(r['alpha_runs'])} alternating runs | | "
           f"{' / '.join(str(x['wall_s']) for x in r['alpha_runs'])} vs "
           f"{' / '.join(str(x['wall_s']) for x in r.get('duckdb_runs', []))} | | whole steps, gutskin vs DuckDB; "
           "the rows above show the median run of each |"] if len(r.get("alpha_runs", [])) > 1 else []),
        f"| scikit-bio alpha_diversity: observed, Shannon, Simpson | {g('skbio', 'skbio_samples')} | "
        f"{g('skbio', 'wall_s')} | {g('skbio', 'peak_rss_mb')} | the three calls {g('skbio', 'skbio_s')} s "
        "(dense counts; loading excluded) |",
    ]
    rep = r.get("reports") or {}
    if "reports" in rep:
        lines.append(f"| HTML reports | {rep['reports']:,} | {rep['wall_s']} | {rep['peak_rss_mb']} | "
                     f"{rep.get('per_report_ms', '—')} ms per report in a warm worker (analyse "
                     f"{rep.get('analyse_ms', '—')} ms, render {rep.get('render_ms', '—')} ms) |")
    elif "error" in rep:
        lines.append(f"| HTML reports | — | — | — | failed: {rep['error']} |")
    lines += ["", END]
    text = DOC.read_text(encoding="utf-8")
    block = "\n".join(lines)
    if START in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
