#!/usr/bin/env python
"""Peak memory of ``gutskin cohort ingest`` on one large merged MetaPhlAn table: read whole against read in pieces.

A merged MetaPhlAn 3 table (``merge_metaphlan_tables.py`` layout: ``clade_name``, ``NCBI_tax_id``, one column per
sample) of ``--samples`` samples is written from random mixtures of the 45 real MetaPhlAn 3 profiles in
``../shared/data/gmwi2_metaphlan3_examples`` (each sample w·A + (1 − w)·B, w ~ U(0.2, 0.8), every clade row of the
two). It is then ingested twice, each in its own process: with a partition larger than the table (so it is read
whole, as every input was before) and with ``--partition-size`` (so it is read in pieces of a partition each).
Wall time and the peak summed RSS of each process tree are printed and written to ``benchmarks/results``; the two
stores are checked to hold the same samples with the same values.

Usage::

    nice .venv/bin/python benchmarks/bench_ingest_merged.py --samples 10000 --partition-size 2000
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_cohort import DATA, RESULTS, _argv, run_step  # noqa: E402  (a sibling script, not a package)

INGEST = r"""
import json, sys, time
from gutskin.cohort.ingest import ingest
t = time.perf_counter()
r = ingest([sys.argv[1]], sys.argv[2], partition_size=int(sys.argv[3]), workers=1)
print(json.dumps({"samples": r.n_samples, "partitions": r.n_partitions, "bad": len(r.bad),
                  "ingest_s": round(time.perf_counter() - t, 2)}))
"""

SAME = r"""
import json, sys
from gutskin.cohort.store import CohortStore
def load(root):
    st = CohortStore(root)
    out = {}
    for pid in st.partition_ids():
        p = st.read_partition(pid)
        for i, s in enumerate(p.samples):
            row = p.values[i]
            out[s] = dict(zip(p.taxa.index[row.indices], row.data.tolist()))
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
print(json.dumps({"same_samples": list(a) == list(b), "same_values": a == b}))
"""


def _profile_rows(path: Path) -> dict[tuple[str, str], float]:
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) >= 3:
            rows[(cells[0], cells[1])] = float(cells[2])
    return rows


def write_table(out: Path, n: int, seed: int) -> dict:
    folder = DATA / "gmwi2_metaphlan3_examples"
    files = [*sorted((folder / "kefir").glob("*_metaphlan.txt")), folder / "SRR1761667_metaphlan.txt"]
    profiles = [_profile_rows(f) for f in files]
    clades = sorted({c for p in profiles for c in p}, key=lambda c: (c[0] != "UNKNOWN", c[0].count("|"), c[0]))
    dense = np.array([[p.get(c, 0.0) for c in clades] for p in profiles])  # profiles × clades
    rng = np.random.default_rng(seed)
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("#mpa_v30_CHOCOPhlAn_201901\n")
        fh.write("\t".join(["clade_name", "NCBI_tax_id", *(f"mix{i:07d}" for i in range(n))]) + "\n")
        a, b = rng.integers(0, len(profiles), n), rng.integers(0, len(profiles), n)
        w = rng.uniform(0.2, 0.8, n)
        values = dense[a] * w[:, None] + dense[b] * (1 - w[:, None])  # samples × clades
        for j, (clade, taxid) in enumerate(clades):
            fh.write(clade + "\t" + taxid + "\t" + "\t".join(f"{v:.6g}" for v in values[:, j]) + "\n")
    return {"clades": len(clades), "table_mb": round(out.stat().st_size / 2**20, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--partition-size", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, default=None, help="Scratch folder (default: a temporary one).")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="gutskin-bench-merged-"))
    work.mkdir(parents=True, exist_ok=True)
    table = work / "merged_metaphlan3.txt"
    results: dict = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "samples": args.samples,
                     "partition_size": args.partition_size, "cpu": platform.processor() or platform.machine()}
    results.update(write_table(table, args.samples, args.seed))
    print(f"table: {results['table_mb']} MB, {results['clades']} clades × {args.samples} samples", file=sys.stderr)
    results["whole"] = run_step("ingest, read whole", _argv(INGEST, table, work / "whole", args.samples + 1))
    results["pieces"] = run_step("ingest, read in pieces", _argv(INGEST, table, work / "pieces",
                                                                  args.partition_size))
    results["check"] = run_step("same store contents", _argv(SAME, work / "whole", work / "pieces"))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"ingest-merged-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
