"""The cohort store: a folder of partitions in long-format Parquet, a samples table and a manifest.

Layout of ``COHORT_DIR``::

    cohort.json            the manifest: partitions (id, samples, values, group), totals, bad-file count
    bad_files.tsv          every input that could not be read, with its one-line reason
    samples.parquet        one row per sample: partition, provenance (format, profiler, database, method, source …)
    parts/p000001/         one committed partition:
        values.parquet       long format: sample, key, taxid, rank, value (+ s, t: row and column positions)
        taxa.parquet         its taxa in column order (key, rank, name, taxid, lineage, one column per rank)
        samples.parquet      its samples with their provenance
        sources.json         which samples of which input file it holds (what a resumed ingest skips)

A partition is written into ``parts/.tmp-*`` and renamed into place in one step, so a reader sees a whole
partition or none; an interrupted write leaves only a temporary folder, removed by the next ingest. The
manifest is rewritten (atomically) after every partition, and readers use only the partitions it lists.
Every partition holds samples of one *group* (same layout, units, profiler family, database and ranks), so a
partition read back is exactly the Profile that ``gutskin score`` would build from the same files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import InputError
from ..io import write_atomic

if TYPE_CHECKING:
    import pandas as pd

    from ..profile import Profile, SampleInfo

# pandas, scipy and the data model are imported where a partition is read or written: a run's coordinating
# process reads only the manifest and never needs them (half a second of start-up before any worker begins)

MANIFEST = "cohort.json"
BAD_FILES = "bad_files.tsv"
SAMPLES = "samples.parquet"
PARTS = "parts"
FORMAT = "gutskin-cohort"
FORMAT_VERSION = 1
#: samples per partition: big enough that a task costs far more than its scheduling (0.2–1 ms), small
#: enough that a worker holds a partition comfortably (a few hundred MB at most)
DEFAULT_PARTITION_SIZE = 5000
INFO_FIELDS = ("source", "format", "units", "profiler", "profiler_version", "database", "method", "unclassified",
               "unclassified_share")
_COMPRESSION = "zstd"


@dataclass
class PartitionMeta:
    """One manifest entry."""

    id: str
    n_samples: int
    n_values: int
    group: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "n_samples": self.n_samples, "n_values": self.n_values, "group": self.group}


@dataclass
class Manifest:
    partition_size: int = DEFAULT_PARTITION_SIZE
    partitions: list[PartitionMeta] = field(default_factory=list)
    complete: bool = False
    bad_files: int = 0
    gutskin_version: str = ""

    @property
    def n_samples(self) -> int:
        return sum(p.n_samples for p in self.partitions)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": FORMAT_VERSION, "partition_size": self.partition_size,
                "complete": self.complete, "n_samples": self.n_samples, "n_partitions": len(self.partitions),
                "bad_files": self.bad_files, "gutskin_version": self.gutskin_version,
                "partitions": [p.to_dict() for p in self.partitions]}


class CohortStore:
    """A cohort folder: read its manifest and partitions, and (for ingest) commit new partitions."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    # ------------------------------------------------------------------ reading
    @property
    def parts_dir(self) -> Path:
        return self.root / PARTS

    def exists(self) -> bool:
        return (self.root / MANIFEST).is_file()

    def manifest(self) -> Manifest:
        path = self.root / MANIFEST
        if not path.is_file():
            raise InputError("not a cohort folder (no cohort.json); create one with 'gutskin cohort ingest'",
                             self.root)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"the cohort manifest cannot be read ({exc})", path) from None
        if raw.get("format") != FORMAT or raw.get("version") != FORMAT_VERSION:
            raise InputError(f"expected a {FORMAT} manifest version {FORMAT_VERSION}", path)
        return Manifest(partition_size=int(raw["partition_size"]),
                        partitions=[PartitionMeta(p["id"], int(p["n_samples"]), int(p["n_values"]), p["group"])
                                    for p in raw["partitions"]],
                        complete=bool(raw.get("complete")), bad_files=int(raw.get("bad_files", 0)),
                        gutskin_version=str(raw.get("gutskin_version", "")))

    def partition_ids(self) -> list[str]:
        return [p.id for p in self.manifest().partitions]

    def read_partition(self, pid: str) -> Profile:
        """The partition as a Profile (same taxa order, values and provenance as when it was ingested)."""
        return read_partition(self.parts_dir / pid)

    def samples(self) -> pd.DataFrame:
        """The samples table (one row per sample) of every committed partition, in partition order."""
        import pandas as pd

        frames = [pd.read_parquet(self.parts_dir / pid / "samples.parquet") for pid in self.partition_ids()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["sample", "partition"])

    # ------------------------------------------------------------------ writing (ingest)
    def open_for_ingest(self, partition_size: int, version: str) -> Manifest:
        """Create the folder or reopen it for a resumed ingest; drops interrupted temporaries and orphans."""
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        for tmp in self.parts_dir.glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)
        if self.exists():
            manifest = self.manifest()
            if manifest.partition_size != partition_size:
                raise InputError(f"this cohort was ingested with partitions of {manifest.partition_size} samples; "
                                 f"resume with the same --partition-size", field="--partition-size")
        else:
            manifest = Manifest(partition_size=partition_size, gutskin_version=version)
        listed = {p.id for p in manifest.partitions}
        for d in self.parts_dir.iterdir():
            if d.is_dir() and d.name.startswith("p") and d.name not in listed:
                # renamed into place but the manifest was not updated before the crash: its samples are not
                # counted as done, so they will be ingested again; remove the orphan to avoid duplicates
                shutil.rmtree(d, ignore_errors=True)
        manifest.complete = False
        self.write_manifest(manifest)
        return manifest

    def write_manifest(self, manifest: Manifest) -> None:
        write_atomic(self.root / MANIFEST, json.dumps(manifest.to_dict(), indent=1) + "\n")

    def committed_sources(self, manifest: Manifest) -> Iterator[dict[str, Any]]:
        for p in manifest.partitions:
            path = self.parts_dir / p.id / "sources.json"
            yield from json.loads(path.read_text(encoding="utf-8"))

    def commit_partition(self, manifest: Manifest, profile: Profile, group: dict[str, Any],
                         sources: list[dict[str, Any]]) -> PartitionMeta:
        """Write ``profile`` as the next partition (temporary folder, then one rename) and list it."""
        number = max((int(p.id[1:]) for p in manifest.partitions), default=0) + 1
        pid = f"p{number:06d}"
        tmp = self.parts_dir / f".tmp-{pid}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            n_values = write_partition(tmp, profile, pid)
            (tmp / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
            _fsync_tree(tmp)
            os.rename(tmp, self.parts_dir / pid)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        meta = PartitionMeta(pid, profile.n_samples, n_values, group)
        manifest.partitions.append(meta)
        self.write_manifest(manifest)
        return meta

    def finish(self, manifest: Manifest, bad: list[tuple[str, str]]) -> None:
        """Write the bad-file report, the cohort-wide samples table and the final manifest."""
        lines = ["file\treason"] + [f"{f}\t{' '.join(r.split())}" for f, r in bad]
        write_atomic(self.root / BAD_FILES, "\n".join(lines) + "\n")
        paths = [self.parts_dir / p.id / "samples.parquet" for p in manifest.partitions]
        tables = [pq.read_table(p) for p in paths]
        # partitions of a resumed ingest may come from an older gutskin without the n_values column
        table = pa.concat_tables(tables, promote_options="default") if tables else _samples_table([], [], "")
        from ..io import atomic_path

        with atomic_path(self.root / SAMPLES) as tmp:
            pq.write_table(table, tmp, compression=_COMPRESSION)
        manifest.bad_files = len(bad)
        manifest.complete = True
        self.write_manifest(manifest)


def _fsync_tree(folder: Path) -> None:
    for p in folder.iterdir():
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ---------------------------------------------------------------------------------------------- partition files
def _samples_table(samples: list[str], info: list[SampleInfo], pid: str, layout: str = "clades",
                   n_values: np.ndarray | None = None) -> pa.Table:
    cols: dict[str, Any] = {"sample": pa.array(samples, pa.string()),
                            "partition": pa.array([pid] * len(samples), pa.string()),
                            "layout": pa.array([layout] * len(samples), pa.string())}
    for name in INFO_FIELDS:
        values = [getattr(i, name) for i in info]
        kind = pa.float64() if name in ("unclassified", "unclassified_share") else pa.string()
        cols[name] = pa.array(values, kind)
    cols["extra"] = pa.array([json.dumps(i.extra, sort_keys=True, default=str) for i in info], pa.string())
    if n_values is not None:
        # how many values each sample has in values.parquet (its rows there are consecutive, in sample order):
        # a reader finds each sample's rows from these without decoding the row column
        cols["n_values"] = pa.array(np.asarray(n_values, dtype=np.int64))
    return pa.table(cols)


def write_partition(folder: Path, profile: Profile, pid: str) -> int:
    """Write the three Parquet files of one partition into ``folder``; returns the number of values."""
    import scipy.sparse as sp

    from ..profile import LINEAGE_COLUMNS

    csr = sp.csr_matrix(profile.values)
    csr.sort_indices()
    n = profile.n_samples
    rows = np.repeat(np.arange(n, dtype=np.int32), np.diff(csr.indptr))
    cols = csr.indices.astype(np.int32)
    taxa = profile.taxa
    keys = np.asarray(taxa.index, dtype=object)
    taxid = taxa["taxid"].to_numpy(dtype="float64", na_value=np.nan)
    sample_arr = pa.DictionaryArray.from_arrays(pa.array(rows), pa.array(profile.samples, pa.string()))
    key_arr = pa.DictionaryArray.from_arrays(pa.array(cols), pa.array(keys.tolist(), pa.string()))
    rank_arr = pa.array(taxa["rank"].to_numpy(dtype=object)[cols].tolist(), pa.string()).dictionary_encode()
    taxid_vals = taxid[cols]
    values = pa.table({
        "sample": sample_arr,
        "key": key_arr,
        "taxid": pa.array(np.where(np.isnan(taxid_vals), 0, taxid_vals).astype(np.int64),
                          mask=np.isnan(taxid_vals)),
        "rank": rank_arr,
        "value": pa.array(csr.data.astype(np.float64)),
        "s": pa.array(rows),
        "t": pa.array(cols),
    })
    # Encodings chosen for reading back, which every scoring and report task does (measured on MetaPhlAn
    # partitions): the abundances are mixed floats that zstd shrank by 4 % at most while decompressing them
    # was half the read, so they are stored plain; taxon positions as plain numbers with the fast lz4 codec
    # (a dictionary of positions took three times as long to decode); the sorted row numbers delta-coded
    pq.write_table(values, folder / "values.parquet",
                   compression={"value": "none", "t": "lz4", **{c: _COMPRESSION for c in ("sample", "key", "taxid",
                                                                                          "rank", "s")}},
                   use_dictionary=["sample", "key", "taxid", "rank"],
                   column_encoding={"s": "DELTA_BINARY_PACKED"})
    taxa_frame = taxa.reset_index()
    taxa_table = pa.table({
        "key": pa.array(taxa_frame["key"].astype(str).tolist(), pa.string()),
        "rank": pa.array(taxa_frame["rank"].tolist(), pa.string()),
        "name": pa.array([_str_or_none(x) for x in taxa_frame["name"]], pa.string()),
        "taxid": pa.array(np.where(np.isnan(taxid), 0, taxid).astype(np.int64), mask=np.isnan(taxid)),
        "lineage": pa.array([_str_or_none(x) for x in taxa_frame["lineage"]], pa.string()),
        **{r: pa.array([_str_or_none(x) for x in taxa_frame[r]], pa.string()) for r in LINEAGE_COLUMNS},
    })
    pq.write_table(taxa_table, folder / "taxa.parquet", compression=_COMPRESSION)
    pq.write_table(_samples_table(profile.samples, profile.info, pid, profile.layout, np.diff(csr.indptr)),
                   folder / "samples.parquet", compression=_COMPRESSION)
    return int(csr.nnz)


def _str_or_none(x: object) -> str | None:
    import pandas as pd

    if x is None or (isinstance(x, float) and x != x) or x is pd.NA:
        return None
    return str(x)


#: taxa tables already built in this process, by the bytes of their file (see :func:`_taxa`)
_TAXA: dict[bytes, pd.DataFrame] = {}
_TAXA_LIMIT = 16


def _taxa(path: Path) -> pd.DataFrame:
    """A partition's taxa table, shared by every partition whose taxa file holds the same bytes.

    Partitions of one group (one profiler and database) usually list the same taxa; sharing the frame saves
    building it again, and everything worked out per taxa table (rank roll-up plans, name keys; see
    :func:`gutskin.profile.by_taxa`) is then found again for the next partition a worker scores. A Profile never
    changes its taxa, so one frame can serve many.
    """
    raw = path.read_bytes()
    key = hashlib.blake2b(raw, digest_size=20).digest()
    hit = _TAXA.get(key)
    if hit is not None:
        return hit
    import pandas as pd

    from ..profile import LINEAGE_COLUMNS

    taxa = pq.read_table(pa.BufferReader(raw)).to_pandas()
    taxa["taxid"] = pd.array(taxa["taxid"].tolist(), dtype="Int64")
    for col in ["key", "rank", "name", "lineage", *LINEAGE_COLUMNS]:
        taxa[col] = taxa[col].astype(object).where(taxa[col].notna(), None)
    taxa = taxa.set_index("key")
    if len(_TAXA) >= _TAXA_LIMIT:
        _TAXA.pop(next(iter(_TAXA)))
    _TAXA[key] = taxa
    return taxa


def read_partition(folder: Path) -> Profile:
    """A partition folder back as a Profile."""
    import scipy.sparse as sp

    from ..profile import Profile

    samples = _read_whole(folder / "samples.parquet")
    taxa = _taxa(folder / "taxa.parquet")
    n, m = samples.num_rows, len(taxa)
    counts = samples.column("n_values") if "n_values" in samples.column_names else None
    if counts is not None and counts.null_count == 0:
        # the values are written sample by sample, so each sample's rows start where the previous one's end
        vals = _read_whole(folder / "values.parquet", ["t", "value"])
        t = vals.column("t").to_numpy()
        v = vals.column("value").to_numpy()
        indptr = np.concatenate(([0], np.cumsum(counts.to_numpy())))
        if indptr[-1] != t.size:
            raise InputError(f"the partition is damaged: its samples list {indptr[-1]} values, values.parquet "
                             f"holds {t.size}; ingest the cohort again", folder)
    else:  # a partition written before the counts were stored: find the row starts from the row numbers
        vals = _read_whole(folder / "values.parquet", ["s", "t", "value"])
        s = vals.column("s").to_numpy()
        t = vals.column("t").to_numpy()
        v = vals.column("value").to_numpy()
        if s.size > 1 and not bool((s[1:] >= s[:-1]).all()):  # changed by hand: put in order first
            order = np.lexsort((t, s))
            s, t, v = s[order], t[order], v[order]
        indptr = np.searchsorted(s, np.arange(n + 1, dtype=s.dtype), side="left")
    index = np.int32 if max(t.size, m) < np.iinfo(np.int32).max else np.int64
    values = sp.csr_matrix((v, t.astype(index, copy=False), indptr.astype(index)), shape=(n, m))
    info = _sample_infos(samples)
    layout = str(samples.column("layout")[0].as_py()) if n else "clades"
    return Profile(values, samples.column("sample").to_pylist(), taxa, info, layout=layout)


def _sample_infos(samples: pa.Table) -> list[SampleInfo]:
    """Each sample's provenance. Samples of one input share it, so each distinct SampleInfo is built once: the
    provenance columns are dictionary-encoded and their codes combined into one number per sample."""
    code = np.zeros(samples.num_rows, dtype=np.int64)
    radix = 1
    dictionaries: list[list[Any]] = []
    indices: list[np.ndarray] = []
    for name in (*INFO_FIELDS, "extra"):
        encoded = pc.dictionary_encode(_nan_as_none(samples.column(name)).combine_chunks(), null_encoding="encode")
        size = max(1, len(encoded.dictionary))
        idx = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        dictionaries.append(encoded.dictionary.to_pylist())
        indices.append(idx)
        if radix * size >= 2**62:
            # renumber the combinations seen so far (at most one per sample) so the next step cannot overflow
            _, code = np.unique(code, return_inverse=True)
            radix = int(code.max()) + 1 if code.size else 1
        code = code * size + idx
        radix *= size
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    built = [_info_from_values(tuple(d[int(i[row])] for d, i in zip(dictionaries, indices, strict=True)))
             for row in first.tolist()]
    return [built[k] for k in inverse.tolist()]


def _read_whole(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A Parquet file as one table whose columns are single chunks (so ``to_numpy`` needs no copy)."""
    pf = pq.ParquetFile(path, memory_map=True)
    return pf.read_row_groups(range(pf.num_row_groups), columns=columns)


def _nan_as_none(column: pa.ChunkedArray) -> pa.ChunkedArray:
    # a float column written from pandas may hold NaN for "not stated"; SampleInfo says None
    if pa.types.is_floating(column.type):
        return pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)
    return column


def _info_from_values(values: tuple) -> SampleInfo:
    from ..profile import SampleInfo

    fields = dict(zip((*INFO_FIELDS, "extra"), values, strict=True))
    extra = fields.pop("extra")
    return SampleInfo(**fields, extra=json.loads(extra) if extra else {})
