"""``gutskin cohort score``: every number ``gutskin score`` computes, plus reference percentiles, per partition.

A task reads one partition back as a Profile and hands it to the scoring driver, which is vectorised over
the samples of a profile, so a partition of thousands of samples costs one call. Reference percentiles are
computed here for all samples of a partition at once (the same formulas as
:func:`gutskin.reference.percentiles.percentiles`, array-wise; tests hold them equal to 1e-12).

Results of each partition are written to a folder beside the output as they finish, so an interrupted run
resumes where it stopped; the final table is then assembled partition by partition (bounded memory) as
Parquet, TSV or CSV.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import InputError, RefusedError
from ..io import atomic_path
from . import _engine
from .executors import Executor
from .store import CohortStore

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported inside the functions that make tables (all run in the workers): the process that coordinates
# a run reads the manifest and assembles Arrow parts, and starting it should not wait for pandas

#: columns that describe a sample rather than measure it (left out of group comparisons)
ID_COLUMNS = ("partition", "reference", "reference_match", "reference_note")
OUTPUT_FORMATS = ("parquet", "tsv", "csv")


@dataclass(frozen=True)
class ScoreJob:
    """What to compute for every partition (picklable: it travels to process-pool and Dask workers)."""

    root: str
    metrics: str = "all"
    rank: str = "species"
    reference: str | None = None  # a reference name; None: chosen per partition by method match
    percentiles: bool = True
    intervals: bool = False
    features: bool = False


def score_partition(job: ScoreJob, pid: str) -> pd.DataFrame:
    """Scores (and percentiles) for every sample of partition ``pid``, indexed by sample."""
    profile = _engine.PartitionProfile(CohortStore(job.root).read_partition(pid))
    table = _engine.score_table(profile, job.metrics, job.rank)
    table.insert(0, "partition", pid)
    if job.percentiles:
        table = add_percentiles(table, profile, job.reference, intervals=job.intervals, table_rank=job.rank)
    if job.features:
        import pandas as pd

        from .features import feature_values

        table = pd.concat([table, feature_values(profile).set_axis(table.index, axis=0)], axis=1)
    return table


#: a partition's results between its task and the final table: Arrow IPC, uncompressed, because the assembly reads
#: every one back (memory-mapped, no decoding) and only the final table is compressed
PART_SUFFIX = ".arrow"


def write_part(work: str | os.PathLike[str], pid: str, frame: pd.DataFrame) -> None:
    """One partition's results, written whole or not at all (what a resumed run trusts)."""
    table = _arrow_table(frame)
    # text columns other than the sample name repeat a few values thousands of times (the warnings of a partition
    # are mostly one 400-character text): kept as dictionaries, a part is a fiftieth of the size
    for i, f in enumerate(table.schema):
        if f.name != "sample" and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)):
            table = table.set_column(i, f.name, pc.dictionary_encode(table.column(i)))
    # renamed into place when whole, so a crash leaves no half part; not synced to disk (a part is scratch: after
    # a power cut, a part the disk lost is found unreadable by the next run and scored again, see usable_parts)
    final = Path(work) / f"{pid}{PART_SUFFIX}"
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    """``frame`` with its index as the first column, as ``pa.Table.from_pandas(frame.reset_index())`` makes it.

    Column by column (each with pandas' null semantics: NaN is null, as from_pandas has it), which is a fifth of
    from_pandas' time on a partition's scores: that copies the frame and infers every column's conversion again.
    """
    names = [frame.index.name if frame.index.name is not None else "index", *map(str, frame.columns)]
    if len(set(names)) != len(names):
        return pa.Table.from_pandas(frame.reset_index(), preserve_index=False)
    import pandas as pd

    arrays = [pa.array(pd.Series(frame.index, copy=False)), *(pa.array(frame.iloc[:, i])
                                                              for i in range(frame.shape[1]))]
    return pa.table(arrays, names=names)


def usable_parts(work: Path) -> set[str]:
    """Partitions whose results in ``work`` can be read back; unreadable ones are removed (to be scored again)."""
    ok = set()
    for path in work.glob(f"p*{PART_SUFFIX}"):
        try:
            with pa.memory_map(str(path)) as source:
                reader = pa.ipc.open_file(source)
                rows = sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))
        except (OSError, pa.ArrowInvalid):
            path.unlink(missing_ok=True)
            continue
        if rows:
            ok.add(path.stem)
        else:
            path.unlink(missing_ok=True)
    return ok


def _part_schema(path: Path) -> pa.Schema:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).schema


def _read_part(path: Path) -> pa.Table:
    # the table's buffers keep the mapping alive; nothing is copied until the assembly writes them
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all()


def score_and_write(job: ScoreJob, work: str, pid: str) -> None:
    """:func:`score_partition`, its table written into ``work`` by the worker itself."""
    write_part(work, pid, score_partition(job, pid))
    quiet_collector()


def quiet_collector() -> None:
    """Move what a worker has built so far out of the cyclic garbage collector's sight, once.

    A worker keeps its imports, reference tables and shared taxa frames for its whole life. A full collection
    walks all of them, and building a partition's tables (thousands of small objects) triggers one every few
    partitions: on a million-sample run that was tens of milliseconds per partition. Objects made later are
    still collected as usual.
    """
    global _FROZEN
    if not _FROZEN:
        gc.collect()
        gc.freeze()
        _FROZEN = True


_FROZEN = False


# ---------------------------------------------------------------------------------------------- percentiles
def add_percentiles(table: pd.DataFrame, profile: Any, name: str | None, *, intervals: bool,
                    table_rank: str = "species") -> pd.DataFrame:
    """Append ``<metric>_percentile`` (and ``_ci_low``/``_ci_high``) columns for the reference's metrics.

    The same placement as :func:`gutskin.reference.percentiles.percentiles` (which metrics, which values,
    which interval), for all samples at once.
    """
    store = _engine.reference_store()
    try:
        choice = store.choose(profile, name)
    except RefusedError as exc:
        # no comparable reference (16S against shotgun …): say so for every sample, leave percentiles empty
        out = table.copy()
        out["reference"] = ""
        out["reference_match"] = "refused"
        out["reference_note"] = str(exc)
        return out
    ref = choice.reference
    exact, transferable, margin = _engine.placement_rules(profile, ref)
    # the reference summarised its metrics at its own rank (species for shotgun, genus for 16S)
    rank = getattr(ref, "metric_rank", "species")
    values = table if rank == table_rank else _engine.metric_values(profile, rank).set_axis(table.index, axis=0)
    cols: dict[str, np.ndarray] = {}
    for metric, dist in ref.metrics.items():
        if metric not in values.columns or dist.n == 0 or (not exact and metric not in transferable):
            continue
        x = values[metric].to_numpy(dtype=np.float64)
        p = cdf(dist, x)
        cols[f"{metric}_percentile"] = p
        if intervals:
            lo, hi = jeffreys(p, dist.n)
            if margin:
                lo, hi = np.maximum(0.0, lo - margin), np.minimum(1.0, hi + margin)
            cols[f"{metric}_ci_low"] = lo
            cols[f"{metric}_ci_high"] = hi
    import pandas as pd

    extra = pd.DataFrame(cols, index=table.index)
    extra["reference"] = ref.name
    extra["reference_match"] = choice.match
    extra["reference_note"] = " | ".join(choice.caveats)
    return pd.concat([table, extra], axis=1)


def cdf(dist: Any, x: np.ndarray) -> np.ndarray:
    """:meth:`Distribution.cdf` for an array: share of the reference below each value (ties: the run's middle)."""
    return dist.cdf_many(x)


def jeffreys(p: np.ndarray, n: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """The Jeffreys interval of :func:`gutskin.reference.percentiles.jeffreys`, for an array of percentiles."""
    return _engine.jeffreys_many(p, n, level)


# ---------------------------------------------------------------------------------------------- the run
@dataclass
class ScoreRun:
    output: Path
    n_samples: int
    n_partitions: int
    resumed: int
    executor: str


def output_format(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in OUTPUT_FORMATS:
            raise InputError(f"unknown output format {fmt!r}; expected {', '.join(OUTPUT_FORMATS)}", field="--to")
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("parquet", "pq"):
        return "parquet"
    if suffix in ("tsv", "txt"):
        return "tsv"
    if suffix == "csv":
        return "csv"
    raise InputError("cannot tell the output format from the name; end it in .parquet, .tsv or .csv (or give --to)",
                     path)


def score_cohort(root: str | os.PathLike[str], output: str | os.PathLike[str], *, job: ScoreJob | None = None,
                 executor: Executor | None = None, fmt: str | None = None,
                 progress: Callable[[int, int, int], None] | None = None) -> ScoreRun:
    """Score every partition of the cohort at ``root`` and write one table to ``output``.

    ``progress(partitions_done, partitions_total, samples_done)`` is called as partitions finish.
    """
    store = CohortStore(root)
    manifest = store.manifest()
    if not manifest.complete:
        raise InputError("the ingest of this cohort did not finish; run 'gutskin cohort ingest' again with the "
                         "same inputs to complete it", store.root)
    job = job or ScoreJob(str(store.root))
    executor = executor or Executor()
    out = Path(output)
    kind = output_format(out, fmt)
    if not out.parent.is_dir():
        raise InputError("the output folder does not exist", out.parent)
    if job.reference is not None:
        _engine.reference_store().load(job.reference)  # unknown name: one clear line before any work
    work = out.parent / f".{out.name}.parts"
    marker = work / "job.txt"
    if work.is_dir() and (not marker.is_file() or marker.read_text(encoding="utf-8") != repr(job)):
        # results of another request (other metrics, reference …) must not be mixed into this one
        shutil.rmtree(work)
    work.mkdir(exist_ok=True)
    marker.write_text(repr(job), encoding="utf-8")
    sizes = {p.id: p.n_samples for p in manifest.partitions}
    finished = usable_parts(work)
    todo = [pid for pid in sizes if pid not in finished]
    resumed = len(sizes) - len(todo)
    done_samples = sum(sizes[p] for p in finished if p in sizes)
    if progress:
        progress(resumed, len(sizes), done_samples)
    n_done = resumed
    # local workers write their partition's results themselves (the parent would otherwise unpickle and write
    # every table in turn, on the same cores); Dask workers may not see this folder, so they send them back
    local = executor.dask is None
    task = partial(score_and_write, job, str(work)) if local else partial(score_partition, job)
    with atomic_path(out) as tmp:
        table = _Assembler(work, list(sizes), tmp, kind)
        try:
            for pid in sizes:
                if pid in finished:
                    table.add(pid)
            for pid, frame in executor.map(task, todo):
                if not local:
                    write_part(work, pid, frame)
                table.add(pid)
                n_done += 1
                done_samples += sizes[pid]
                if progress:
                    progress(n_done, len(sizes), done_samples)
            n = table.finish()
        finally:
            table.close()
    shutil.rmtree(work, ignore_errors=True)
    return ScoreRun(out, n, len(sizes), resumed, executor.describe())


class _Assembler:
    """Writes the partitions' results into the final table in partition order while the others are scored.

    The final table's columns are those of the first partition; a partition with a column it lacks is given
    nulls there. Should a later partition bring a column (or a type) the first one did not have, the table is
    written again from all the parts at the end (:func:`_write_all`, the columns of all united), so the result is
    the same either way; the streaming only saves the wait for a serial assembly after the last partition.
    """

    def __init__(self, work: Path, pids: list[str], tmp: str, kind: str) -> None:
        self.work, self.pids, self.tmp, self.kind = work, pids, tmp, kind
        self.ready: set[str] = set()
        self.next = 0
        self.total = 0
        self.streaming = True
        self.names: list[str] = []
        self.types: dict[str, pa.DataType] = {}
        self.writer: pq.ParquetWriter | None = None
        self.fh: Any = None

    def add(self, pid: str) -> None:
        self.ready.add(pid)
        while self.streaming and self.next < len(self.pids) and self.pids[self.next] in self.ready:
            self._write(self.pids[self.next])
            self.next += 1

    def _write(self, pid: str) -> None:
        part = _read_part(self.work / f"{pid}{PART_SUFFIX}")
        if self.next == 0:
            self.names = list(part.schema.names)
            self.types = {f.name: _plain(f.type) for f in part.schema}
            if any(t == pa.null() for t in self.types.values()):
                self.streaming = False  # the type of an all-empty column is known only from the other parts
                return
            if self.kind == "parquet":
                self.writer = _parquet_writer(self.tmp, self.names, self.types)
            else:
                self.fh = open(self.tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
        elif any(f.name not in self.types or not _fits(f.type, self.types[f.name]) for f in part.schema):
            self.streaming = False
            return
        self.total += _append(part, self.names, self.types, self.writer, self.fh, self.kind, first=self.next == 0)

    def finish(self) -> int:
        if self.streaming and self.pids and self.next == len(self.pids):
            return self.total
        self.close()
        return _write_all(self.work, self.pids, self.tmp, self.kind)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.fh is not None:
            self.fh.close()
            self.fh = None


def _plain(kind: pa.DataType) -> pa.DataType:
    """The type a column has in the final table: text kept as a dictionary in a part is plain text there."""
    return kind.value_type if pa.types.is_dictionary(kind) else kind


def _fits(kind: pa.DataType, target: pa.DataType) -> bool:
    return kind == pa.null() or _plain(kind) == target


def _write_all(work: Path, pids: list[str], tmp: str, kind: str) -> int:
    """Concatenate the per-partition results in partition order, columns united, one partition in memory."""
    names: list[str] = []
    types: dict[str, pa.DataType] = {}
    for pid in pids:
        for f in _part_schema(work / f"{pid}{PART_SUFFIX}"):
            plain = _plain(f.type)
            if f.name not in types:
                names.append(f.name)
                types[f.name] = plain
            elif types[f.name] == pa.null():
                types[f.name] = plain
    total = 0
    writer = _parquet_writer(tmp, names, types) if kind == "parquet" else None
    try:
        with open(tmp, "w", encoding="utf-8", newline="") if writer is None else _null() as fh:
            for i, pid in enumerate(pids):
                # mapped one at a time: a mapped page counts in the process's memory until the map is dropped
                part = _read_part(work / f"{pid}{PART_SUFFIX}")
                total += _append(part, names, types, writer, fh, kind, first=i == 0)
    finally:
        if writer is not None:
            writer.close()
    return total


def _stored(name: str, kind: pa.DataType) -> pa.DataType:
    """How a column is handed to the Parquet writer: text other than the sample name as a dictionary.

    Parquet stores such a column dictionary-encoded whichever way it is given; given as the parts hold it (a few
    distinct warnings per partition), the writer encodes a few values instead of hashing a 400-character text
    per sample, which was most of the assembly's time.
    """
    if name != "sample" and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return pa.dictionary(pa.int32(), kind)
    return kind


def _parquet_writer(tmp: str, names: list[str], types: dict[str, pa.DataType]) -> pq.ParquetWriter:
    schema = pa.schema([(n, _stored(n, types[n])) for n in names])
    # no Arrow schema in the file: readers see the text columns as plain text, as they were before, not as
    # dictionaries (categoricals in pandas)
    return pq.ParquetWriter(tmp, schema, compression="zstd", store_schema=False)


def _append(part: pa.Table, names: list[str], types: dict[str, pa.DataType], writer: pq.ParquetWriter | None,
            fh: Any, kind: str, *, first: bool) -> int:
    """One part, its columns in the table's order and types (missing ones as nulls), written to the output."""
    if writer is not None:
        schema = writer.schema
        cols = [_column(part, f.name, f.type) for f in schema]
        writer.write_table(pa.table(cols, schema=schema))
        return part.num_rows
    schema = pa.schema([(n, types[n]) for n in names])
    table = pa.table([_column(part, n, types[n]) for n in names], schema=schema)
    table.to_pandas().to_csv(fh, sep="\t" if kind == "tsv" else ",", index=False, header=first, na_rep="")
    return table.num_rows


def _column(part: pa.Table, name: str, kind: pa.DataType) -> pa.ChunkedArray | pa.Array:
    if name not in part.column_names:
        return pa.nulls(part.num_rows, kind)
    col = part.column(name)
    return col if col.type == kind else col.cast(kind)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def read_scores(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A scores table written by :func:`score_cohort` (Parquet, TSV or CSV), indexed by sample."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path)
    kind = output_format(path, None)
    try:
        if kind == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if kind == "tsv" else ",", low_memory=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the scores table ({exc})", path) from None
    if "sample" not in frame.columns:
        raise InputError("expected a 'sample' column (a table written by 'gutskin cohort score')", path)
    return frame.set_index("sample")
