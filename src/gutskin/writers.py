"""Writing a Profile: the standard long table (TSV, CSV, Parquet) or BIOM 2.1 HDF5.

Every output goes through :func:`gutskin.io.atomic_write`: a temporary file beside the target, fsynced and
renamed into place, so an interrupted or failed write (Ctrl-C, SIGTERM, a full disk) never leaves a half-written
file where a good one was, nor a temporary file behind. BIOM HDF5 is built in memory first and written with
ordinary file I/O: h5py writing straight to a full disk can crash the process instead of raising.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from .errors import InputError
from .io import atomic_path, atomic_write
from .profile import Profile
from .taxonomy.ranks import RANK_PREFIX, RANKS

TARGETS = ("tsv", "csv", "parquet", "biom")


def target_from_path(path: str | Path) -> str:
    suffixes = [s.lstrip(".").lower() for s in Path(path).suffixes]
    for s in reversed(suffixes):
        if s in ("tsv", "txt", "tab"):
            return "tsv"
        if s in TARGETS:
            return s
    return "tsv"


def write_profile(profile: Profile, path: str | Path, to: str | None = None, rank: str | None = None) -> int:
    """Write ``profile``; returns the number of data rows written."""
    path = Path(path)
    to = (to or target_from_path(path)).lower()
    if to not in TARGETS:
        raise InputError(f"unknown output type {to!r}; expected one of {', '.join(TARGETS)}", field="--to")
    if to == "biom":
        data, n = _biom_bytes(profile, rank)
        with atomic_write(path, "wb") as fh:
            fh.write(data)
        return n
    table = profile.to_long(rank)
    if to == "parquet":
        with atomic_path(path) as tmp:
            table.to_parquet(tmp, index=False)
    else:
        # a carriage return inside a name (a damaged input) is not quoted by the minimal csv quoting and would
        # split the row when read back; quote every cell then, so the file still round-trips
        quoting = csv.QUOTE_ALL if _has_carriage_return(table) else csv.QUOTE_MINIMAL
        with atomic_write(path, "w", newline="") as fh:
            table.to_csv(fh, sep="\t" if to == "tsv" else ",", index=False, float_format="%.17g",
                         lineterminator="\n", quoting=quoting)
    return len(table)


def _has_carriage_return(table: pd.DataFrame) -> bool:
    for col in ("sample", "name", "lineage"):
        if col in table and table[col].astype(str).str.contains("\r", regex=False).any():
            return True
    return False


def _biom_bytes(profile: Profile, rank: str | None) -> tuple[bytes, int]:
    import biom
    import h5py

    view = profile.at_rank(rank) if rank else profile
    taxa = view.taxa
    obs_md = []
    for _, row in taxa.iterrows():
        lineage = [f"{RANK_PREFIX[r]}__{row[r]}" for r in RANKS if isinstance(row[r], str)]  # t__ for strain
        md = {"taxonomy": lineage, "rank": row["rank"], "name": row["name"], "taxid": ""}
        if row["taxid"] is not None and row["taxid"] == row["taxid"]:
            md["taxid"] = str(row["taxid"])
        obs_md.append(md)  # every row needs the same keys, or biom-format refuses to write
    # rows at no canonical rank that are leaves (kaiju's Viruses) are written to the long table; the flag travels
    # with the file so the table read back writes the same long table
    leaves = any(i.extra.get("unranked_rows_are_leaves") for i in view.info)
    sample_md = [{"units": i.units, "source": i.source, "profiler": i.profiler or "", "layout": view.layout,
                  "unranked_rows_are_leaves": "yes" if leaves else "no"} for i in view.info]
    table = biom.Table(view.values.T.tocsr(), list(taxa.index), list(view.samples), obs_md, sample_md,
                       type="OTU table")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as fh:
        table.to_hdf5(fh, "gutskin")
    return buffer.getvalue(), view.values.nnz
