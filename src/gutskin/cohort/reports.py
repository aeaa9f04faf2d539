"""``gutskin cohort report``: one report per sample of a cohort, partition by partition, on any executor.

A task analyses a whole partition with :func:`gutskin.engine.analyse` (scores and percentiles are computed
for all its samples at once) and renders each :class:`~gutskin.engine.Analysis` through
:func:`gutskin.report.to_report` and the HTML / PDF / JSON renderers. Reports are written atomically; a
report already on disk is not written again, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import gc
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import atomic_batch
from .executors import Executor
from .store import CohortStore

FORMATS = ("html", "pdf", "json")
#: samples analysed together in a report task (bounds a worker's memory; see report_partition)
REPORT_CHUNK = 250
#: the garbage collector's youngest-generation threshold while reports are written: 0, no automatic collections
#: (Python's default is 700; see _fewer_collections)
YOUNG_COLLECTION_EVERY = 0
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class ReportJob:
    root: str
    folder: str = ""
    fmt: str = "html"
    reference: str | None = None
    generated_at: str = ""
    #: at most this many reports in all (a sample of the cohort), None for every sample
    limit: int | None = None


@dataclass
class PartitionReports:
    written: int
    skipped: int
    seconds: float
    analyse_s: float
    render_s: float


@dataclass
class ReportRun:
    folder: Path
    n_reports: int
    n_skipped: int
    executor: str
    timing: dict[str, Any] = field(default_factory=dict)


def file_name(sample: str) -> str:
    """A file name for a sample: safe characters only, and never a hidden file or a path."""
    name = _UNSAFE.sub("_", sample).strip("._") or "sample"
    return name[:150]


def report_partition(job: ReportJob, pid: str, samples: list[str] | None = None) -> PartitionReports:
    """Write the reports of partition ``pid`` (only ``samples`` when given) into ``job.folder``."""
    from . import _engine

    t0 = time.perf_counter()
    profile = _engine.PartitionProfile(CohortStore(job.root).read_partition(pid))
    folder = Path(job.folder)
    wanted = samples if samples is not None else profile.samples
    todo = [s for s in wanted if not (folder / f"{file_name(s)}.{job.fmt}").exists()]
    if not todo:
        return PartitionReports(0, len(wanted), time.perf_counter() - t0, 0.0, 0.0)
    resources = _engine.resources()
    with _fewer_collections():
        analyse_s, render_s = _write_reports(job, profile, resources, folder, todo)
    return PartitionReports(len(todo), len(wanted) - len(todo), time.perf_counter() - t0, analyse_s, render_s)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """No automatic garbage collection while reports are written; one young collection after each chunk.

    A chunk's analyses are a few hundred thousand live objects, and every automatic collection walked them:
    with Python's default threshold, a sixth of a report's time (4 of 25 ms), and still 1.5 of 21 ms with the
    threshold raised to 50,000. Nothing a report is made of is cyclic garbage any more (the template's context
    is emptied after rendering, and tests check that analysing and rendering leave no cycles), so every object is
    freed by reference counting when its chunk is done; :func:`_write_reports` still collects the young
    generations after each chunk, in case some input makes a cycle, which bounds such garbage by the chunk.
    """
    global _raised, _saved
    with _threshold_lock:  # Dask runs tasks in threads: the first in sets the threshold, the last out restores it
        if _raised == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(YOUNG_COLLECTION_EVERY, *_saved[1:])
        _raised += 1
    try:
        yield
    finally:
        with _threshold_lock:
            _raised -= 1
            if _raised == 0:
                gc.set_threshold(*_saved)


_threshold_lock = threading.Lock()
_raised = 0
_saved: tuple[int, ...] = gc.get_threshold()


def _write_reports(job: ReportJob, profile: Any, resources: Any, folder: Path, todo: list[str]
                   ) -> tuple[float, float]:
    """Analyse and write the reports of ``todo``; (seconds analysing, seconds rendering and writing)."""
    from ..engine import analyse
    from ..report import pdf_bytes, render_html, render_json, to_report

    render = {"html": render_html, "json": render_json, "pdf": pdf_bytes}[job.fmt]
    analyse_s = render_s = 0.0
    # a few hundred samples at a time: an Analysis holds over a thousand placements, so analysing a whole
    # partition of thousands first held them all (the workers grew to gigabytes); memory is now bounded by the
    # chunk, and each chunk is still measured at once (engine.batch)
    for start in range(0, len(todo), REPORT_CHUNK):
        t1 = time.perf_counter()
        analyses = analyse(profile, resources, reference=job.reference, samples=todo[start:start + REPORT_CHUNK])
        t2 = time.perf_counter()
        # a chunk's reports appear together, each whole (one file-system sync for the chunk, not two per file);
        # a chunk interrupted before the renames leaves none of its reports; each is whole or absent, and a
        # resumed run writes what is missing
        with atomic_batch() as batch:
            for a in analyses:
                report = to_report(a, resources, generated_at=job.generated_at)
                batch.write(folder / f"{file_name(a.sample)}.{job.fmt}", render(report))
        # automatic collection is off while reporting (_fewer_collections): the chunk's cycles, if it left any, go
        # now, once its analyses are dropped (walking them while still held was what made collections costly)
        analyses.clear()
        gc.collect(1)
        analyse_s += t2 - t1
        render_s += time.perf_counter() - t2
    return analyse_s, render_s


def report_cohort(root: str | os.PathLike[str], folder: str | os.PathLike[str], *, job: ReportJob | None = None,
                  executor: Executor | None = None,
                  progress: Callable[[int, int, int], None] | None = None) -> ReportRun:
    """Write one report per sample of the cohort at ``root`` into ``folder``.

    ``progress(partitions_done, partitions_total, reports_done)`` is called as partitions finish.
    """
    store = CohortStore(root)
    manifest = store.manifest()
    if not manifest.complete:
        raise InputError("the ingest of this cohort did not finish; run 'gutskin cohort ingest' again with the "
                         "same inputs to complete it", store.root)
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder", out)
    out.mkdir(parents=True, exist_ok=True)
    job = job or ReportJob(str(store.root))
    if job.fmt not in FORMATS:
        raise InputError(f"unknown report format {job.fmt!r}; expected {', '.join(FORMATS)}", field="--format")
    generated = job.generated_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    job = ReportJob(str(store.root), str(out), job.fmt, job.reference, generated, job.limit)
    if job.reference is not None:
        from . import _engine

        _engine.reference_store().load(job.reference)
    _check_unique_names(store)
    pids = [p.id for p in manifest.partitions]
    if job.limit is not None:
        # the first samples of the cohort, partition by partition
        left, chosen = job.limit, []
        for p in manifest.partitions:
            if left <= 0:
                break
            chosen.append(p.id)
            left -= p.n_samples
        pids = chosen
    executor = executor or Executor()
    func = partial(_report_task, job)
    written = skipped = 0
    parts: list[PartitionReports] = []
    if progress:
        progress(0, len(pids), 0)
    for done, (_pid, res) in enumerate(executor.map(func, pids), start=1):
        parts.append(res)
        written += res.written
        skipped += res.skipped
        if progress:
            progress(done, len(pids), written + skipped)
    timing = _timing(parts)
    return ReportRun(out, written, skipped, executor.describe(), timing)


def _report_task(job: ReportJob, pid: str) -> PartitionReports:
    samples = None
    if job.limit is not None:
        store = CohortStore(job.root)
        offset = 0
        for p in store.manifest().partitions:
            if p.id == pid:
                break
            offset += p.n_samples
        keep = max(0, job.limit - offset)
        samples = store.read_partition(pid).samples[:keep]
    return report_partition(job, pid, samples)


def _timing(parts: list[PartitionReports]) -> dict[str, Any]:
    """Per-report cost: the median over partitions (a warm worker's cost; each worker's first partition also
    pays imports, compilation and loading the knowledge base, which the median leaves out once there are a few
    partitions), and the mean over everything."""
    done = [p for p in parts if p.written]
    if not done:
        return {}
    n = sum(p.written for p in done)

    def median(values: list[float]) -> float:
        values = sorted(values)
        mid = len(values) // 2
        return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2

    return {"per_report_ms": round(1000 * median([p.seconds / p.written for p in done]), 1),
            "analyse_ms": round(1000 * median([p.analyse_s / p.written for p in done]), 1),
            "render_ms": round(1000 * median([p.render_s / p.written for p in done]), 1),
            "mean_per_report_ms": round(1000 * sum(p.seconds for p in done) / n, 1)}


def _check_unique_names(store: CohortStore) -> None:
    """Two samples whose names clean up to the same file name would overwrite each other: refuse first."""
    seen: dict[str, str] = {}
    for s in store.samples()["sample"]:
        name = file_name(str(s))
        if name in seen and seen[name] != s:
            raise InputError(f"samples {seen[name]!r} and {s!r} would both be written as {name}; rename one",
                             store.root)
        seen[name] = str(s)
