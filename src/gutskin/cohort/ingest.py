"""``gutskin cohort ingest``: any number of profile files into a partitioned cohort store, resumably.

Inputs are read one at a time (memory is bounded by the inputs being read plus one partition per
group being filled); a merged MetaPhlAn table of more samples than a partition holds is read in pieces of a
partition each (:mod:`gutskin.readers.split`), so its size does not matter. Single-sample files are sorted
into groups that can be scored together (same layout, units, profiler, database and ranks); a merged table
keeps to partitions of its own. Every
``partition_size`` samples of a group become one committed partition. Re-running the same command after a
crash or Ctrl-C skips every sample already committed (the partitions' ``sources.json`` say which samples of
which file they hold, keyed by path, size and mtime) and never sees a half-written partition. A file that
cannot be read is listed in ``bad_files.tsv`` with its one-line reason and the others go on.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import shutil
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError, RefusedError
from ..profile import Profile
from . import _engine
from .store import DEFAULT_PARTITION_SIZE, CohortStore


@dataclass
class IngestResult:
    root: Path
    n_samples: int
    n_partitions: int
    new_partitions: int
    skipped_samples: int
    bad: list[tuple[str, str]]


def file_identity(path: Path) -> str:
    """Path, size and modification time: a changed file is not mistaken for the one already ingested."""
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def group_of(profile: Profile) -> dict[str, Any]:
    """What must be equal for samples to share a partition (so scores do not depend on the neighbours)."""
    info = profile.info[0]
    return {
        "layout": profile.layout,
        "units": profile.units,
        "format": info.format,
        "profiler": info.profiler or "",
        "profiler_version": info.profiler_version or "",
        "database": info.database or "",
        "method": info.method,
        "ranks": list(profile.ranks),
    }


def _group_key(group: dict[str, Any]) -> str:
    return "|".join(f"{k}={v}" for k, v in sorted(group.items()))


@dataclass
class _Pending:
    """Samples of one group waiting for their partition."""

    group: dict[str, Any]
    chunks: list[Profile] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    n: int = 0


def _union(chunks: list[Profile]) -> Profile:
    """Stack chunks of one group; taxa united by key in order of first appearance (as Profile.merge does)."""
    if len(chunks) == 1:
        return chunks[0]
    keys: dict[str, int] = {}
    taxa_parts = []
    blocks = []
    for p in chunks:
        index = p.taxa.index
        new = [k for k in index if k not in keys]
        for k in new:
            keys[k] = len(keys)
        if new:
            taxa_parts.append(p.taxa.loc[new])
        cols = np.fromiter((keys[k] for k in index), dtype=np.int64, count=len(index))
        coo = p.values.tocoo()
        blocks.append((coo.row, cols[coo.col], coo.data, p.n_samples))
    offset = 0
    rows, cols, data = [], [], []
    for r, c, d, n in blocks:
        rows.append(r + offset)
        cols.append(c)
        data.append(d)
        offset += n
    values = sp.csr_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(offset, len(keys)))
    taxa = pd.concat(taxa_parts)
    samples = [s for p in chunks for s in p.samples]
    info = [i for p in chunks for i in p.info]
    return Profile(values, samples, taxa, info, chunks[0].layout)


def _remaining(n: int, done: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Index ranges of ``range(n)`` not covered by the committed ``done`` ranges."""
    covered = np.zeros(n, dtype=bool)
    for a, b in done:
        covered[a:b] = True
    out = []
    i = 0
    while i < n:
        if covered[i]:
            i += 1
            continue
        j = i
        while j < n and not covered[j]:
            j += 1
        out.append((i, j))
        i = j
    return out


class Ingestor:
    """Adds profiles to a cohort store, partition by partition; :func:`ingest` feeds it files.

    Library users with profiles already in memory (a pipeline, a benchmark) can use it directly::

        with Ingestor(out, partition_size=5000) as ing:
            for profile, label in profiles:
                ing.add(profile, ident=label, path=label)
    """

    def __init__(self, out: str | os.PathLike[str], partition_size: int = DEFAULT_PARTITION_SIZE) -> None:
        if partition_size < 1:
            raise InputError("the partition size must be at least 1", field="--partition-size")
        out_path = Path(out)
        if out_path.exists() and not out_path.is_dir():
            raise InputError("exists and is not a folder; give a folder for the cohort", out_path)
        out_path.mkdir(parents=True, exist_ok=True)
        self.root = out_path
        self.partition_size = partition_size
        self.store = CohortStore(out_path)
        self.manifest = self.store.open_for_ingest(partition_size, _engine.VERSION)
        self.done: dict[str, list[tuple[int, int]]] = {}
        self.n_file: dict[str, int] = {}
        self.seen: dict[str, tuple[str, str]] = {}  # sample id → (file identity, path): ids are unique in a cohort
        for src in self.store.committed_sources(self.manifest):
            self.done.setdefault(src["file"], []).append((src["start"], src["stop"]))
            self.n_file[src["file"]] = src["n_file"]
            for s in src.get("samples", []):
                self.seen[s] = (src["file"], src["path"])
        self.bad: list[tuple[str, str]] = []
        self.pending: dict[str, _Pending] = {}
        self.new_partitions = 0
        self.skipped = 0
        self._counted: set[str] = set()
        self.n_before = self.manifest.n_samples

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None:
            self.finish()

    @property
    def n_samples(self) -> int:
        """Samples committed or waiting for their partition."""
        return self.manifest.n_samples + sum(p.n for p in self.pending.values())

    def is_done(self, ident: str) -> bool:
        """Whether every sample of the input ``ident`` is committed already (then it need not be read)."""
        spans = self.done.get(ident)
        if spans is not None and not _remaining(self.n_file[ident], spans):
            self.count_committed(ident)
            return True
        return False

    def count_committed(self, ident: str) -> None:
        """Count the samples of ``ident`` committed by an earlier run as skipped, once per input (a split table
        is added piece by piece, and the pieces already committed are not read at all)."""
        if ident not in self._counted:
            self._counted.add(ident)
            self.skipped += sum(b - a for a, b in self.done.get(ident, []))

    def refuse(self, path: str, reason: str) -> None:
        self.bad.append((path, reason))

    def add(self, profile: Profile, ident: str, path: str, *, offset: int = 0, n_file: int | None = None) -> None:
        """Queue the samples of one input (those not committed before) and commit every full partition.

        A large merged table arrives in pieces (:func:`ingest` splits it): ``offset`` is the position of the
        piece's first sample in the whole table and ``n_file`` the table's number of samples, so the sources a
        partition records, and what a resumed run skips, are positions in the table whichever way it was read.
        """
        n_file = profile.n_samples if n_file is None else n_file
        dupes = [s for s in profile.samples if s in self.seen and self.seen[s][0] != ident]
        if dupes:
            self.refuse(path, f"{path}: sample names already ingested from {self.seen[dupes[0]][1]}: "
                              f"{', '.join(dupes[:5])}{' …' if len(dupes) > 5 else ''}; every sample needs "
                              "a unique name in a cohort")
            return
        for s in profile.samples:
            self.seen[s] = (ident, path)
        group = group_of(profile)
        key = _group_key(group)
        own = f"|file={ident}"
        if n_file > 1:
            # a merged table keeps to its own partitions: index coverage and warnings then read exactly as
            # for the table alone, and samples of two tables never change each other's scores
            key += own
        already = self.done.get(ident, [])
        self.count_committed(ident)
        size = self.partition_size
        end = offset + profile.n_samples
        for a, b in _remaining(n_file, already):
            a, b = max(a, offset), min(b, end)
            start = a
            while start < b:
                pend = self.pending.setdefault(key, _Pending(group))
                take = min(size - pend.n, b - start)
                first = start - offset
                whole = (first, take) == (0, profile.n_samples)
                chunk = profile if whole else profile.take_samples(range(first, first + take))
                pend.chunks.append(chunk)
                pend.sources.append({"file": ident, "path": path, "start": start, "stop": start + take,
                                     "n_file": n_file, "samples": chunk.samples})
                pend.n += take
                start += take
                if pend.n >= size:
                    self._flush(key)
        if n_file > 1 and end >= n_file:  # the table's last samples: its partly filled partitions are committed
            for k in [k for k in self.pending if k.endswith(own)]:
                self._flush(k)

    def _flush(self, key: str) -> None:
        pend = self.pending.pop(key)
        self.store.commit_partition(self.manifest, _union(pend.chunks), pend.group, pend.sources)
        self.new_partitions += 1

    def finish(self) -> IngestResult:
        for key in list(self.pending):
            self._flush(key)
        self.store.finish(self.manifest, self.bad)
        return IngestResult(self.root, self.manifest.n_samples, len(self.manifest.partitions), self.new_partitions,
                            self.skipped if self.n_before else 0, self.bad)


@dataclass(frozen=True)
class _Task:
    """One read: a whole input, or one piece of a large merged table (``source`` is then the piece's file)."""

    path: Path
    source: Path
    offset: int = 0
    n: int | None = None  # a piece's number of samples
    n_file: int | None = None


def _read(task: _Task, fmt: str | None, taxonomy: object | None) -> Profile | str:
    """One input (or piece) as a Profile, or its one-line reason (a worker's task: errors travel back as text)."""
    try:
        # a piece whose samples happen to be all empty is not an empty table (read whole, it would be accepted)
        profile = _engine.read_input(task.source, fmt, taxonomy, allow_empty=task.source != task.path)
    except InputError as exc:
        return exc.one_line().replace(str(task.source), str(task.path))
    except RefusedError as exc:
        return f"{task.path}: {exc}"
    if task.source != task.path:
        # a piece's samples come from the input the user named, not from the scratch file they passed through
        piece, table = str(task.source), str(task.path)
        profile.info = [dataclasses.replace(i, source=table) if i.source == piece else i for i in profile.info]
    return profile


def _read_all(tasks: Iterator[_Task], fmt: str | None, taxonomy: object | None,
              workers: int) -> Iterator[tuple[_Task, Profile | str]]:
    """Read ``tasks`` in order; with workers, several at a time but never more than 2 per worker in flight."""
    if workers <= 1:
        for task in tasks:
            yield task, _read(task, fmt, taxonomy)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        window: deque = deque()
        it = iter(tasks)
        for task in it:
            window.append((task, pool.submit(_read, task, fmt, taxonomy)))
            if len(window) >= 2 * workers:
                break
        while window:
            task, fut = window.popleft()
            nxt = next(it, None)
            if nxt is not None:
                window.append((nxt, pool.submit(_read, nxt, fmt, taxonomy)))
            yield task, fut.result()


def _tasks(todo: list[tuple[Path, str]], fmt: str | None, ing: Ingestor, scratch: Path) -> Iterator[_Task]:
    """The reads for ``todo``: a merged table of more samples than a partition holds is split into pieces of a
    partition each (read one at a time, so memory stays bounded by a partition, not by the table), split only
    when the reads reach it; pieces whose samples a resumed run committed already are not read again."""
    for n, (path, ident) in enumerate(todo):
        pieces = _engine.split_input(path, fmt, ing.partition_size, scratch / f"input-{n:06d}")
        if not pieces:
            yield _Task(path, path)
            continue
        total = pieces[-1].start + pieces[-1].n
        ing.count_committed(ident)
        left = _remaining(total, ing.done.get(ident, []))
        for piece in pieces:
            stop = piece.start + piece.n
            if not any(a < stop and b > piece.start for a, b in left):  # committed by an earlier run
                piece.path.unlink(missing_ok=True)
                continue
            yield _Task(path, piece.path, piece.start, piece.n, total)


def ingest(inputs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
           partition_size: int = DEFAULT_PARTITION_SIZE, fmt: str | None = None, workers: int = 1,
           progress: Callable[[str, int, int], None] | None = None) -> IngestResult:
    """Stream ``inputs`` into the cohort store at ``out`` (created or resumed).

    ``workers`` processes read files in parallel (partitions are still committed in input order, so the
    store is the same whatever the number of workers). ``progress(file, samples_done, files_done)`` is called
    after each input file.
    """
    paths = [Path(p) for p in inputs]
    if not paths:
        raise InputError("no input files given")
    ing = Ingestor(out, partition_size)
    taxonomies = [p for p in paths if fmt is None and _safe_is_taxonomy(p)]
    tables = [p for p in paths if p not in taxonomies]
    taxonomy = None
    if taxonomies:
        try:
            taxonomy = _engine.load_taxonomies(taxonomies)
        except InputError as exc:
            for p in taxonomies:
                ing.refuse(str(p), exc.one_line())
    todo: list[tuple[Path, str]] = []
    files_done = 0
    for path in tables:
        try:
            ident = file_identity(path)
        except OSError:
            ing.refuse(str(path), InputError("file not found", path).one_line())
            files_done += 1
            continue
        if ing.is_done(ident):
            files_done += 1
            continue
        todo.append((path, ident))
    if progress:
        progress("", ing.n_samples, files_done)
    idents = dict(todo)
    # pieces of large merged tables pass through the store's own scratch folder (removed when a later run opens
    # the store, should this one be interrupted)
    scratch = ing.store.parts_dir / f".tmp-split-{uuid.uuid4().hex[:8]}"
    try:
        for task, result in _read_all(_tasks(todo, fmt, ing, scratch), fmt, taxonomy, workers):
            if task.source != task.path:
                task.source.unlink(missing_ok=True)
            n = 0 if isinstance(result, str) else result.n_samples
            if isinstance(result, str):
                if task.n is not None:
                    # one piece of a split table: its samples are the ones refused, the others go on
                    n = task.n
                    result += (f" (samples {task.offset + 1}–{task.offset + n} of the table's {task.n_file} were "
                               "not ingested; its other samples were)")
                ing.refuse(str(task.path), result)
            else:
                ing.add(result, idents[task.path], str(task.path), offset=task.offset, n_file=task.n_file)
            if task.n_file is None or task.offset + n >= task.n_file:
                files_done += 1
            if progress:
                progress(str(task.path), ing.n_samples, files_done)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return ing.finish()


def _safe_is_taxonomy(path: Path) -> bool:
    try:
        return _engine.is_taxonomy(path)
    except InputError:
        return False
