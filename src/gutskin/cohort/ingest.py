"""``gutskin cohort ingest``: any number of profile files into a partitioned cohort store, resumably.

Inputs are read one at a time (memory is bounded by the largest single input plus one partition per
group being filled). Single-sample files are sorted into groups that can be scored together (same layout,
units, profiler, database and ranks); a merged table keeps to partitions of its own. Every
``partition_size`` samples of a group become one committed partition. Re-running the same command after a
crash or Ctrl-C skips every sample already committed (the partitions' ``sources.json`` say which samples of
which file they hold, keyed by path, size and mtime) and never sees a half-written partition. A file that
cannot be read is listed in ``bad_files.tsv`` with its one-line reason and the others go on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
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


def ingest(inputs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
           partition_size: int = DEFAULT_PARTITION_SIZE, fmt: str | None = None,
           progress: Callable[[str, int, int], None] | None = None) -> IngestResult:
    """Stream ``inputs`` into the cohort store at ``out`` (created or resumed).

    ``progress(file, samples_done, files_done)`` is called after each input file.
    """
    if partition_size < 1:
        raise InputError("the partition size must be at least 1", field="--partition-size")
    store = CohortStore(out)
    paths = [Path(p) for p in inputs]
    if not paths:
        raise InputError("no input files given")
    out_path = Path(out)
    if out_path.exists() and not out_path.is_dir():
        raise InputError("exists and is not a folder; give a folder for the cohort", out_path)
    out_path.mkdir(parents=True, exist_ok=True)
    manifest = store.open_for_ingest(partition_size, _engine.VERSION)
    done: dict[str, list[tuple[int, int]]] = {}
    n_file: dict[str, int] = {}
    seen: dict[str, tuple[str, str]] = {}  # sample id → (file identity, path): ids are unique in a cohort
    for src in store.committed_sources(manifest):
        done.setdefault(src["file"], []).append((src["start"], src["stop"]))
        n_file[src["file"]] = src["n_file"]
        for s in src.get("samples", []):
            seen[s] = (src["file"], src["path"])
    bad: list[tuple[str, str]] = []
    taxonomies = [p for p in paths if fmt is None and _safe_is_taxonomy(p)]
    tables = [p for p in paths if p not in taxonomies]
    taxonomy = None
    if taxonomies:
        try:
            taxonomy = _engine.load_taxonomies(taxonomies)
        except InputError as exc:
            bad.extend((str(p), exc.one_line()) for p in taxonomies)
    pending: dict[str, _Pending] = {}
    new_parts = 0
    skipped = 0
    n_before = manifest.n_samples

    def flush(key: str) -> None:
        nonlocal new_parts
        pend = pending.pop(key)
        profile = _union(pend.chunks)
        store.commit_partition(manifest, profile, pend.group, pend.sources)
        new_parts += 1

    for k, path in enumerate(tables):
        try:
            ident = file_identity(path)
        except OSError:
            bad.append((str(path), InputError("file not found", path).one_line()))
            continue
        spans = done.get(ident)
        if spans is not None and not _remaining(n_file[ident], spans):
            skipped += sum(b - a for a, b in spans)
            if progress:
                progress(str(path), manifest.n_samples, k + 1)
            continue
        try:
            profile = _engine.read_input(path, fmt, taxonomy)
        except (InputError, RefusedError) as exc:
            bad.append((str(path), exc.one_line() if isinstance(exc, InputError) else f"{path}: {exc}"))
            if progress:
                progress(str(path), manifest.n_samples, k + 1)
            continue
        dupes = [s for s in profile.samples if s in seen and seen[s][0] != ident]
        if dupes:
            bad.append((str(path), f"{path}: sample names already ingested from {seen[dupes[0]][1]}: "
                                   f"{', '.join(dupes[:5])}{' …' if len(dupes) > 5 else ''}; every sample needs "
                                   "a unique name in a cohort"))
            continue
        for s in profile.samples:
            seen[s] = (ident, str(path))
        group = group_of(profile)
        key = _group_key(group)
        if profile.n_samples > 1:
            # a merged table keeps to its own partitions: index coverage and warnings then read exactly as
            # for the table alone, and samples of two tables never change each other's scores
            key += f"|file={ident}"
        already = done.get(ident, [])
        skipped += sum(b - a for a, b in already)
        for a, b in _remaining(profile.n_samples, already):
            start = a
            while start < b:
                pend = pending.setdefault(key, _Pending(group))
                take = min(partition_size - pend.n, b - start)
                chunk = profile.take_samples(range(start, start + take)) if (start, take) != (0, profile.n_samples) \
                    else profile
                pend.chunks.append(chunk)
                pend.sources.append({"file": ident, "path": str(path), "start": start, "stop": start + take,
                                     "n_file": profile.n_samples, "samples": chunk.samples})
                pend.n += take
                start += take
                if pend.n >= partition_size:
                    flush(key)
        if profile.n_samples > 1 and key in pending:
            flush(key)
        if progress:
            progress(str(path), manifest.n_samples + sum(p.n for p in pending.values()), k + 1)
    for key in list(pending):
        flush(key)
    store.finish(manifest, bad)
    return IngestResult(Path(out), manifest.n_samples, len(manifest.partitions), new_parts,
                        skipped if n_before else 0, bad)


def _safe_is_taxonomy(path: Path) -> bool:
    try:
        return _engine.is_taxonomy(path)
    except InputError:
        return False
