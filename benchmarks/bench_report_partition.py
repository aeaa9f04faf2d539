#!/usr/bin/env python
"""Per-report cost of ``gutskin cohort report`` for one partition of a cohort store, in one warm process.

``bench_cohort.py`` reports the median over the partitions its reports cover, with every worker busy; this
times one partition at a time in a single process, so the cost of a MetaPhlAn 3 partition and of a MetaPhlAn 4
one can be told apart. The process first writes a few reports (imports, knowledge base and references loaded,
compiled templates), then writes ``--reports`` more in rounds of ``--round`` and prints the cost per report of
each round and of all (wall-clock; a shared machine varies from minute to minute, so the rounds are shown), and
the process's CPU time per report (a core taken by another process shows in the wall clock, not here).

Usage (on the store a ``bench_cohort.py --work DIR`` run leaves in ``DIR/cohort``)::

    nice .venv/bin/python benchmarks/bench_report_partition.py /tmp/bench-cohort/cohort p000001 p000002
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time

from gutskin.cohort.reports import REPORT_CHUNK, ReportJob, report_partition
from gutskin.cohort.store import CohortStore


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store", help="a cohort store folder (gutskin cohort ingest)")
    ap.add_argument("partitions", nargs="+", help="partition ids, e.g. p000001")
    ap.add_argument("--reports", type=int, default=1500, help="reports timed per partition")
    ap.add_argument("--round", type=int, default=REPORT_CHUNK, help="reports per timed round")
    ap.add_argument("--warm-up", type=int, default=20, help="reports written first, not timed")
    args = ap.parse_args()
    store = CohortStore(args.store)
    groups = {p.id: p.group for p in store.manifest().partitions}
    for pid in args.partitions:
        samples = store.read_partition(pid).samples
        with tempfile.TemporaryDirectory(prefix="gutskin-bench-") as folder:
            job = ReportJob(str(store.root), folder, "html", None, "2026-01-01T00:00:00Z")
            report_partition(job, pid, samples[:args.warm_up])
            rounds = []
            t0, c0 = time.perf_counter(), time.process_time()
            for start in range(args.warm_up, min(len(samples), args.warm_up + args.reports), args.round):
                chunk = samples[start:min(start + args.round, args.warm_up + args.reports)]
                t = time.perf_counter()
                report_partition(job, pid, chunk)
                rounds.append(round(1000 * (time.perf_counter() - t) / len(chunk), 1))
            n = min(len(samples) - args.warm_up, args.reports)
            group = groups.get(pid) or {}
            print(json.dumps({"partition": pid, "profiler": group.get("profiler"),
                              "profiler_version": group.get("profiler_version"), "reports": n,
                              "per_report_ms": round(1000 * (time.perf_counter() - t0) / max(n, 1), 1),
                              "cpu_per_report_ms": round(1000 * (time.process_time() - c0) / max(n, 1), 1),
                              "rounds_ms": rounds}), flush=True)
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
