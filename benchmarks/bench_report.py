#!/usr/bin/env python
"""Benchmark the report: one report (HTML, PDF) for the shipped example, and 1,000 HTML reports from one table.

Measured, each in a fresh process:

* **one report, command line**: ``gutskin report examples/SRR1761667_metaphlan.txt -q examples/questionnaire.yaml
  -o report.html`` (and ``.pdf``), wall-clock, everything included (Python start-up, imports, reading, reference
  and knowledge-base loading, building, rendering, writing);
* **one report, in process**: after one warm-up report, the median of ``--repeats`` calls of
  ``build_report`` + ``render_html`` (and + the PDF), i.e. the cost of each further report in a running process
  such as a web server;
* **1,000 HTML reports**: ``gutskin report merged.tsv -o folder --to html`` on a 1,000-sample merged MetaPhlAn 3
  table (wall-clock, with its progress bar), plus an in-process breakdown: reading the table, the table-wide
  computations shared by all samples, and the per-report assembly + rendering + writing.

The 1,000-sample table is made from the 45 real MetaPhlAn 3 profiles in
``../shared/data/gmwi2_metaphlan3_examples`` (MIT): each sample is a random mixture ``w·A + (1−w)·B`` of two of
them (w uniform in 0.2–0.8, fixed seed), which keeps every rank summing like a real profile. It is written as a
``merge_metaphlan_tables.py``-style file.

Usage::

    .venv/bin/python benchmarks/bench_report.py                # full run, writes benchmarks/results/report-*.json
    .venv/bin/python benchmarks/bench_report.py --quick        # 50 samples, 1 repeat: a smoke run
    .venv/bin/python benchmarks/bench_report.py --update-doc   # also rewrite "Reports" in docs/benchmarks.md
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

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
DOC_START = "<!-- bench_report:start -->"
DOC_END = "<!-- bench_report:end -->"
EXAMPLE = ROOT / "examples" / "SRR1761667_metaphlan.txt"
QUESTIONNAIRE = ROOT / "examples" / "questionnaire.yaml"
SOURCES = ROOT.parent / "shared" / "data" / "gmwi2_metaphlan3_examples"
GUTSKIN = [sys.executable, "-m", "gutskin"]


# ---------------------------------------------------------------------------------------------- data
def _read_mpa(path: Path) -> dict[str, tuple[str, float]]:
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        rows[parts[0]] = (parts[1], float(parts[2]))
    return rows


def make_merged_table(path: Path, n: int, seed: int = 7) -> int:
    """Write an ``n``-sample merged MetaPhlAn 3 table of mixtures of the real profiles; returns how many were used."""
    files = sorted(SOURCES.glob("*.txt")) + sorted((SOURCES / "kefir").glob("*.txt"))
    profiles = [_read_mpa(f) for f in files]
    clades: dict[str, str] = {}
    for p in profiles:
        for clade, (taxid, _) in p.items():
            clades.setdefault(clade, taxid)
    names = list(clades)
    base = np.array([[p.get(c, ("", 0.0))[1] for c in names] for p in profiles])
    rng = np.random.default_rng(seed)
    a = rng.integers(0, len(profiles), n)
    b = (a + rng.integers(1, len(profiles), n)) % len(profiles)
    w = rng.uniform(0.2, 0.8, n)
    mixed = w[:, None] * base[a] + (1 - w[:, None]) * base[b]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("#mpa_v30_CHOCOPhlAn_201901\n")
        fh.write("clade_name\tNCBI_tax_id\t" + "\t".join(f"mix{k:04d}" for k in range(n)) + "\n")
        for j, clade in enumerate(names):
            fh.write(f"{clade}\t{clades[clade]}\t" + "\t".join(f"{v:.6g}" for v in mixed[:, j]) + "\n")
    return len(profiles)


# ---------------------------------------------------------------------------------------------- workers
def _wall(cmd: list[str], repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": times}


WORKER_ONE = r"""
import json, statistics, sys, time
import gutskin
from gutskin.report import build_report, render_html
from gutskin.report.render import pdf_bytes
example, questionnaire, repeats = sys.argv[1], sys.argv[2] or None, int(sys.argv[3])
profile = gutskin.read(example)
t = time.perf_counter(); r = build_report(profile, questionnaire=questionnaire); render_html(r)
first_html = time.perf_counter() - t
t = time.perf_counter(); pdf_bytes(r); first_pdf = time.perf_counter() - t
html, pdf, build = [], [], []
for _ in range(repeats):
    t = time.perf_counter(); r = build_report(profile, questionnaire=questionnaire); t1 = time.perf_counter()
    h = render_html(r); t2 = time.perf_counter(); pdf_bytes(r, h); t3 = time.perf_counter()
    build.append(t1 - t); html.append(t2 - t); pdf.append(t3 - t)
print(json.dumps({"first_html": first_html, "first_pdf_render": first_pdf, "build": statistics.median(build),
                  "html": statistics.median(html), "pdf": statistics.median(pdf), "html_runs": html,
                  "pdf_runs": pdf, "html_bytes": len(h.encode()), "sections": [s for s, _ in r.sections()]}))
"""

WORKER_MANY = r"""
import json, sys, time, tempfile
from pathlib import Path
t0 = time.perf_counter()
import gutskin
from gutskin.report import build_reports, write_report
t1 = time.perf_counter()
profile = gutskin.read(sys.argv[1])
t2 = time.perf_counter()
out = Path(sys.argv[2]); out.mkdir(exist_ok=True)
reports = build_reports(profile)
first = next(reports)  # the table-wide computations run before the first report
t3 = time.perf_counter()
write_report(first, out / f"{first.sample}.html")
n = 1
for r in reports:
    write_report(r, out / f"{r.sample}.html"); n += 1
t4 = time.perf_counter()
size = sum(p.stat().st_size for p in out.iterdir())
print(json.dumps({"imports": t1 - t0, "read": t2 - t1, "shared_and_first_build": t3 - t2, "per_sample_total": t4 - t3,
                  "n": n, "per_report_ms": 1000 * (t4 - t3) / n, "total": t4 - t0, "bytes": size}))
"""


def _worker(code: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------- main
def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import weasyprint

    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "weasyprint": weasyprint.__version__, "load_average": os.getloadavg()[0]}


def run(n: int, repeats: int) -> dict:
    q = str(QUESTIONNAIRE) if QUESTIONNAIRE.exists() else ""
    result: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
                    "questionnaire": bool(q), "n_samples": n}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        qargs = ["-q", q] if q else []
        print("one report, command line ...", file=sys.stderr)
        result["cli_html"] = _wall([*GUTSKIN, "report", str(EXAMPLE), *qargs, "-o", str(tmp_path / "r.html")], repeats)
        result["cli_pdf"] = _wall([*GUTSKIN, "report", str(EXAMPLE), *qargs, "-o", str(tmp_path / "r.pdf")], repeats)
        print("one report, in process ...", file=sys.stderr)
        result["in_process"] = _worker(WORKER_ONE, str(EXAMPLE), q, str(max(repeats, 3)))
        table = tmp_path / "merged.tsv"
        result["source_profiles"] = make_merged_table(table, n)
        result["table_bytes"] = table.stat().st_size
        print(f"{n} HTML reports, command line ...", file=sys.stderr)
        result["cli_many"] = _wall([*GUTSKIN, "report", str(table), "-o", str(tmp_path / "many"), "--to", "html"], 1)
        n_files = len(list((tmp_path / "many").iterdir()))
        if n_files != n:
            raise SystemExit(f"expected {n} reports, found {n_files}")
        print(f"{n} HTML reports, in process ...", file=sys.stderr)
        result["many_in_process"] = _worker(WORKER_MANY, str(table), str(tmp_path / "many2"))
    result["machine"]["load_average_end"] = os.getloadavg()[0]
    return result


def markdown(r: dict, source: str) -> str:
    m, one, many = r["machine"], r["in_process"], r["many_in_process"]

    def s(x: float) -> str:
        return f"{x:.2f} s"

    lines = [
        DOC_START,
        f"<!-- generated by benchmarks/bench_report.py --update-doc from {source} -->",
        "",
        f"Run {r['when']} on {m['cpus']} cores ({m['cpu']}); load average {m['load_average']:.2f} at start, "
        f"{m['load_average_end']:.2f} at end (other work shared the machine). Python {m['python']}, WeasyPrint "
        f"{m['weasyprint']}. Example: `examples/SRR1761667_metaphlan.txt`"
        + (" with `examples/questionnaire.yaml`." if r["questionnaire"] else "."),
        "",
        "| what | target | measured |",
        "|---|---|---|",
        f"| one HTML report, in a running process (build + render, median) | < 1 s | {s(one['html'])} |",
        f"| one PDF report, in a running process (build + render + PDF, median) | < 3 s | {s(one['pdf'])} |",
        f"| one HTML report, `gutskin report … -o report.html` from a cold start (median) | – | "
        f"{s(r['cli_html']['median'])} |",
        f"| one PDF report, `gutskin report … -o report.pdf` from a cold start (median) | – | "
        f"{s(r['cli_pdf']['median'])} |",
        f"| {r['n_samples']:,} HTML reports from one merged table, `gutskin report table -o folder` | – | "
        f"{s(r['cli_many']['median'])} ({1000 * r['cli_many']['median'] / r['n_samples']:.0f} ms per report) |",
        "",
        f"In-process breakdown of the {many['n']:,} reports: imports {s(many['imports'])}, reading the "
        f"{r['table_bytes'] / 1e6:.1f} MB table {s(many['read'])}, table-wide computations (reference choice and "
        f"percentiles, diversity, guilds, indices, knowledge base) plus the first report "
        f"{s(many['shared_and_first_build'])}, then {many['per_report_ms']:.0f} ms per report to assemble, render "
        f"and write ({many['bytes'] / 1e6:.0f} MB of HTML in all). The first HTML report in a process costs "
        f"{s(one['first_html'])} (loading the reference cohorts and the knowledge base); the first PDF after it "
        f"{s(one['first_pdf_render'])} (WeasyPrint's import and font set-up included).",
        DOC_END,
    ]
    return "\n".join(lines)


SECTION_HEAD = """## Reports

**What is measured.** `benchmarks/bench_report.py` times the report for the shipped example (HTML and PDF), in a
running process and from a cold command-line start, and 1,000 HTML reports from one merged table with the
progress bar. The 1,000-sample MetaPhlAn 3 table is made of random two-profile mixtures of the 45 real MetaPhlAn 3
profiles in `shared/data/gmwi2_metaphlan3_examples` (MIT), so every sample looks like a real profile. Tests never
assert on time; this is the only place the numbers come from.

**Where the time goes.** Everything that works on whole tables (reference percentiles, diversity, guild shares,
published indices) runs once for all samples; the Jinja template is compiled once; charts are hand-written SVG
strings, no plotting library. The skin insight (`gutskin.insights.analyze`) works one sample at a time and is
about 85 % of the per-report cost in a batch: profiling 60 reports, it spent most of its time computing the
sample's metrics twice per call (`sample_metrics`, for the measurements and again for the warnings); the report's
own assembly and rendering is about 40 ms. A cold start is dominated by imports and by loading the reference
cohorts (all of them, to choose one) and the knowledge base, which a batch or a server pays once. The PDF is
WeasyPrint laying out the same HTML (about 26 A4 pages with the questionnaire); the print stylesheet switches grid
and flex layouts to plain blocks, which halved the layout time.
"""


def update_doc(block: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if DOC_START in text and DOC_END in text:
        head, rest = text.split(DOC_START, 1)
        _, tail = rest.split(DOC_END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + SECTION_HEAD + "\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="50 samples, 1 repeat")
    ap.add_argument("--update-doc", action="store_true", help="rewrite the Reports section of docs/benchmarks.md")
    ap.add_argument("--from-json", type=Path, help="write the doc section from an earlier results file, no run")
    args = ap.parse_args(argv)
    if args.from_json:
        block = markdown(json.loads(args.from_json.read_text(encoding="utf-8")),
                         str(args.from_json.resolve().relative_to(ROOT)))
        print(block)
        if args.update_doc:
            update_doc(block)
        return 0
    n, repeats = (50, 1) if args.quick else (args.samples, args.repeats)
    result = run(n, repeats)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"report-{stamp}{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    block = markdown(result, str(out.relative_to(ROOT)))
    print(block)
    if args.update_doc:
        update_doc(block)
        print(f"updated {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
