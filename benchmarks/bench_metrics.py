#!/usr/bin/env python
"""Benchmark gutskin's diversity kernels against scikit-bio and scipy on the same arrays.

Two comparisons, each method in its own fresh process (so peak memory is that method's alone):

* **alpha**: Shannon, Simpson, observed richness and Chao1 for N samples × 1,000 taxa (default 100,000
  samples, 150–300 taxa per sample) — scikit-bio ``alpha_diversity`` on the dense integer matrix against
  ``gutskin.metrics.alpha_diversity`` on the CSR matrix (compiled path, and the numpy fallback);
* **bray_curtis**: 1,000 query samples against a 5,000-sample reference — scipy ``cdist(..., "braycurtis")``
  on dense arrays against ``gutskin.metrics.bray_curtis`` on CSR (compiled path, and the fallback).

Data are synthetic but shaped like real profiles (Zipf-like taxon prevalence, lognormal abundances scaled to
20k–100k reads, rounded, floor 1), generated once from fixed seeds and shared by every method through a
temporary ``.npz``. Every method's output is saved and compared in the parent: max |difference| against
scikit-bio / scipy must be ≤ 1e-12.

Usage::

    .venv/bin/python benchmarks/bench_metrics.py               # full run, writes benchmarks/results/*.json
    .venv/bin/python benchmarks/bench_metrics.py --quick       # small sizes, a smoke run
    .venv/bin/python benchmarks/bench_metrics.py --update-doc  # also rewrite the table in docs/benchmarks.md

Timing = wall-clock seconds of the call inside the worker (imports, data loading and, for the dense
baselines, densifying are excluded; numba's JIT compile is excluded by a warm-up call on a tiny table).
Each method runs ``--repeats`` times; speedups use the medians. Memory = the worker's peak RSS
(``VmHWM``) and its growth over the RSS after imports and data loading.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
DOC_START = "<!-- bench_metrics:start -->"
DOC_END = "<!-- bench_metrics:end -->"
ALPHA_METRICS = ("shannon", "simpson", "observed", "chao1")
SKBIO_NAMES = {"shannon": "shannon", "simpson": "simpson", "observed": "observed_features", "chao1": "chao1"}


# ---------------------------------------------------------------------------------------------- data
def make_counts(n: int, n_taxa: int, seed: int, chunk: int = 10_000) -> sp.csr_matrix:
    """n samples × n_taxa integer counts; 150–300 taxa per sample drawn with Zipf-like weights."""
    rng = np.random.default_rng(seed)
    log_w = -1.1 * np.log(np.arange(n_taxa) + 8.0)
    rng.shuffle(log_w)
    blocks = []
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        k = rng.integers(150, 301, size=m)
        keys = log_w[None, :] + rng.gumbel(size=(m, n_taxa))  # Gumbel top-k = weighted sampling w/o replacement
        order = np.argsort(-keys, axis=1)
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(n_taxa)[None, :].repeat(m, axis=0), axis=1)
        present = ranks < k[:, None]
        raw = np.where(present, rng.lognormal(0.0, 2.0, size=(m, n_taxa)), 0.0)
        depth = rng.uniform(20_000, 100_000, size=m)
        counts = np.where(present, np.maximum(np.rint(raw / raw.sum(axis=1, keepdims=True) * depth[:, None]), 1.0),
                          0.0)
        blocks.append(sp.csr_matrix(counts))
    return sp.vstack(blocks, format="csr")


def describe(m: sp.csr_matrix) -> dict[str, float]:
    per_sample = np.diff(m.indptr)
    prevalence = np.asarray((m != 0).mean(axis=0)).ravel()
    data = m.data
    rows = np.repeat(np.arange(m.shape[0]), per_sample)
    singletons = np.bincount(rows, weights=(data == 1), minlength=m.shape[0])
    doubletons = np.bincount(rows, weights=(data == 2), minlength=m.shape[0])
    return {"samples": m.shape[0], "taxa": m.shape[1], "nnz": int(m.nnz),
            "taxa_per_sample_mean": float(per_sample.mean()), "taxa_per_sample_min": int(per_sample.min()),
            "taxa_per_sample_max": int(per_sample.max()),
            "prevalence_min": float(prevalence.min()), "prevalence_median": float(np.median(prevalence)),
            "prevalence_p90": float(np.percentile(prevalence, 90)), "prevalence_max": float(prevalence.max()),
            "singletons_per_sample": float(singletons.mean()), "doubletons_per_sample": float(doubletons.mean())}


def save_csr(path: Path, m: sp.csr_matrix) -> None:
    np.savez(path, data=m.data, indices=m.indices, indptr=m.indptr, shape=np.array(m.shape))


def load_csr(path: Path) -> sp.csr_matrix:
    z = np.load(path)
    return sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))


# ---------------------------------------------------------------------------------------------- workers
def _status_mb(field: str) -> float:
    """A memory line of /proc/self/status in MB (VmRSS = now, VmHWM = peak of this process image)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def rss_mb() -> float:
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    # not ru_maxrss: on Linux that survives fork+exec and would report the parent's peak
    return _status_mb("VmHWM")


def worker(method: str, inputs: list[str], output: str, repeats: int) -> dict:
    """Run one method in this (fresh) process; save its result array; return timings and memory."""
    sys.path.insert(0, str(ROOT / "src"))
    if method.startswith("skbio"):
        from skbio.diversity import alpha_diversity as sk_alpha
    if method.startswith("scipy"):
        from scipy.spatial.distance import cdist
    if method.startswith("gutskin"):
        from gutskin.metrics import alpha_diversity, bray_curtis, set_backend

        set_backend("numpy" if method.endswith("numpy") else "numba")
        # warm-up on a tiny table: JIT compile (or cache load) is not part of the measurement
        tiny = sp.csr_matrix(np.array([[1.0, 2.0, 0.0], [0.0, 5.0, 1.0]]))
        alpha_diversity(tiny, list(ALPHA_METRICS))
        bray_curtis(tiny, tiny)
    mats = [load_csr(Path(p)) for p in inputs]
    if method == "skbio-alpha":
        dense = mats[0].toarray().astype(np.int64)

        def run():
            return np.column_stack([sk_alpha(SKBIO_NAMES[m], dense).to_numpy(dtype=np.float64) for m in ALPHA_METRICS])
    elif method.startswith("gutskin-alpha"):
        m0 = mats[0]

        def run():
            frame = alpha_diversity(m0, list(ALPHA_METRICS))
            return frame[list(ALPHA_METRICS)].to_numpy(dtype=np.float64)
    elif method == "scipy-cdist":
        q, r = mats[0].toarray(), mats[1].toarray()

        def run():
            return cdist(q, r, "braycurtis")
    elif method.startswith("gutskin-bc"):
        q, r = mats

        def run():
            return bray_curtis(q, r)
    else:
        raise SystemExit(f"unknown method {method}")
    base = rss_mb()
    times = []
    result = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    np.save(output, result)
    peak = peak_rss_mb()
    info = {"method": method, "times": times, "first": times[0], "min": min(times),
            "median": statistics.median(times), "rss_after_load_mb": base, "peak_rss_mb": peak,
            "peak_growth_mb": peak - base}
    if method.startswith("gutskin"):
        from gutskin.metrics import _kernels

        info["backend"] = _kernels.backend()
        info["numba_threads"] = _kernels.numba_threads()
    return info


def run_worker(method: str, inputs: list[Path], out: Path, repeats: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, "--out", str(out), "--repeats", str(repeats),
           *[str(p) for p in inputs]]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise RuntimeError(f"{method} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------- main
def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("scipy", "skbio", "numba", "pandas"):
        try:
            mod = __import__(name)
            out[name] = getattr(mod, "__version__", "?")
        except ImportError:
            out[name] = "not installed"
    return out


def machine() -> dict[str, object]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as fh:
            mem = int(fh.readline().split()[1]) / 2**20
    except OSError:
        mem = float("nan")
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem, 1), "platform": platform.platform(),
            "loadavg_start": list(os.getloadavg())}


def maxdiff(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return float("inf")
    ok = ~np.isnan(a)
    return float(np.max(np.abs(a[ok] - b[ok]))) if ok.any() else 0.0


def benchmark(args: argparse.Namespace) -> dict:
    report: dict = {"benchmark": "bench_metrics", "started": datetime.now(UTC).isoformat(timespec="seconds"),
                    "machine": machine(), "versions": versions(), "repeats": args.repeats,
                    "note": "wall-clock seconds of the call only; other processes share the CPU"}
    with tempfile.TemporaryDirectory(prefix="gutskin-bench-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        alpha_data = make_counts(args.alpha_samples, args.taxa, seed=1)
        reference = make_counts(args.reference, args.taxa, seed=2)
        queries = make_counts(args.queries, args.taxa, seed=3)
        report["data_seconds"] = time.perf_counter() - t0
        report["data"] = {"alpha": describe(alpha_data), "reference": describe(reference),
                          "queries": describe(queries)}
        paths = {"alpha": tmp / "alpha.npz", "ref": tmp / "ref.npz", "query": tmp / "query.npz"}
        save_csr(paths["alpha"], alpha_data)
        save_csr(paths["ref"], reference)
        save_csr(paths["query"], queries)
        del alpha_data, reference, queries

        methods = {
            "alpha": [("skbio-alpha", [paths["alpha"]]), ("gutskin-alpha-numba", [paths["alpha"]]),
                      ("gutskin-alpha-numpy", [paths["alpha"]])],
            "bray_curtis": [("scipy-cdist", [paths["query"], paths["ref"]]),
                            ("gutskin-bc-numba", [paths["query"], paths["ref"]]),
                            ("gutskin-bc-numpy", [paths["query"], paths["ref"]])],
        }
        for task, entries in methods.items():
            results = {}
            arrays = {}
            for method, inputs in entries:
                if "numba" in method and not _have_numba():
                    continue
                out = tmp / f"{method}.npy"
                print(f"  {task}: {method} …", file=sys.stderr, flush=True)
                results[method] = run_worker(method, inputs, out, args.repeats)
                arrays[method] = np.load(out)
            baseline = entries[0][0]
            for method, info in results.items():
                info["speedup_vs_baseline"] = results[baseline]["median"] / info["median"]
                info["max_abs_diff_vs_baseline"] = maxdiff(arrays[method], arrays[baseline])
                if task == "alpha":
                    info["max_abs_diff_per_metric"] = {
                        m: maxdiff(arrays[method][:, k], arrays[baseline][:, k]) for k, m in enumerate(ALPHA_METRICS)}
            report[task] = {"baseline": baseline, "methods": results}
    report["machine"]["loadavg_end"] = list(os.getloadavg())
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return report


def _have_numba() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


LABELS = {
    "skbio-alpha": "scikit-bio `alpha_diversity` ×4 metrics (dense int64)",
    "gutskin-alpha-numba": "gutskin `alpha_diversity` (CSR, numba kernel)",
    "gutskin-alpha-numpy": "gutskin `alpha_diversity` (CSR, numpy fallback)",
    "scipy-cdist": "scipy `cdist(q, ref, \"braycurtis\")` (dense)",
    "gutskin-bc-numba": "gutskin `bray_curtis(q, ref)` (CSR, numba kernel)",
    "gutskin-bc-numpy": "gutskin `bray_curtis(q, ref)` (numpy/scipy fallback)",
}


def markdown(report: dict) -> str:
    lines = []
    m = report["machine"]
    d = report["data"]
    lines.append(f"Run {report['started']} (UTC) on {m['cpus']} cores ({m['cpu']}), {m['memory_gib']} GiB RAM; "
                 f"load average {m['loadavg_start'][0]:.2f} at start, {m['loadavg_end'][0]:.2f} at end. "
                 + ", ".join(f"{k} {v}" for k, v in report["versions"].items()) + ".")
    lines.append("")
    a = d["alpha"]
    lines.append(f"Data: alpha table {a['samples']:,} samples × {a['taxa']:,} taxa, {a['taxa_per_sample_min']}–"
                 f"{a['taxa_per_sample_max']} taxa per sample (mean {a['taxa_per_sample_mean']:.1f}), taxon prevalence "
                 f"{100 * a['prevalence_min']:.1f} % (min) / {100 * a['prevalence_median']:.1f} % (median) / "
                 f"{100 * a['prevalence_max']:.1f} % (max), {a['singletons_per_sample']:.1f} singletons and "
                 f"{a['doubletons_per_sample']:.1f} doubletons per sample. Bray–Curtis: {d['queries']['samples']:,} "
                 f"queries × {d['reference']['samples']:,} reference samples. Each method ran {report['repeats']}× "
                 "in its own process; times are the median (min–max in brackets).")
    lines.append("")
    for task, title in (("alpha", "Alpha diversity (Shannon, Simpson, observed, Chao1)"),
                        ("bray_curtis", "Bray–Curtis, queries against a reference set")):
        lines.append(f"**{title}**")
        lines.append("")
        lines.append("| method | seconds (median) | speedup | peak RSS MB | RSS growth MB | max abs diff vs baseline |")
        lines.append("|---|---|---|---|---|---|")
        for method, info in report[task]["methods"].items():
            diff = info["max_abs_diff_vs_baseline"]
            diff_text = "— (baseline)" if method == report[task]["baseline"] else f"{diff:.1e}"
            timing = f"{info['median']:.3f} ({min(info['times']):.3f}–{max(info['times']):.3f})"
            lines.append(f"| {LABELS.get(method, method)} | {timing} | {info['speedup_vs_baseline']:.1f}× | "
                         f"{info['peak_rss_mb']:.0f} | {info['peak_growth_mb']:.0f} | {diff_text} |")
        if task == "alpha":
            per = report[task]["methods"].get("gutskin-alpha-numba", {}).get("max_abs_diff_per_metric")
            if per:
                lines.append("")
                lines.append("Per metric, numba kernel vs scikit-bio: "
                             + ", ".join(f"{k} {v:.1e}" for k, v in per.items()) + ".")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def update_doc(report: dict, json_name: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    origin = f"<!-- generated by benchmarks/bench_metrics.py --update-doc from benchmarks/results/{json_name} -->"
    block = f"{DOC_START}\n{origin}\n\n{markdown(report)}{DOC_END}"
    if DOC_START in text and DOC_END in text:
        head, rest = text.split(DOC_START, 1)
        _, tail = rest.split(DOC_END, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="gutskin diversity metrics vs scikit-bio and scipy")
    parser.add_argument("--alpha-samples", type=int, default=100_000)
    parser.add_argument("--taxa", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--reference", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--results-dir", default=str(RESULTS))
    parser.add_argument("--update-doc", action="store_true", help="rewrite the generated block of docs/benchmarks.md")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    parser.add_argument("inputs", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.inputs, args.out, args.repeats)))
        return 0
    if args.quick:
        args.alpha_samples, args.queries, args.reference, args.repeats = 2_000, 100, 300, 2
    report = benchmark(args)
    results_dir = Path(args.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = report["started"].replace(":", "").replace("-", "").replace("+0000", "Z")
    name = f"metrics-{'quick-' if args.quick else ''}{stamp}.json"
    (results_dir / name).write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(markdown(report))
    print(f"wrote {results_dir / name}", file=sys.stderr)
    if args.update_doc:
        update_doc(report, name)
        print(f"updated {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
