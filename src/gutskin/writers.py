"""Writing a Profile: the standard long table (TSV, CSV, Parquet) or BIOM 2.1 HDF5.

Files are written to a temporary name beside the target and moved into place, so an interrupted or
failed write never leaves a half-written file where a good one was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError
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
    if path.parent and not path.parent.exists():
        raise InputError("the output folder does not exist", path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    os.close(fd)
    try:
        if to == "biom":
            n = _write_biom(profile, tmp, rank)
        else:
            table = profile.to_long(rank)
            n = len(table)
            if to == "parquet":
                table.to_parquet(tmp, index=False)
            else:
                table.to_csv(tmp, sep="\t" if to == "tsv" else ",", index=False, float_format="%.17g")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return n


def _write_biom(profile: Profile, tmp: str, rank: str | None) -> int:
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
    sample_md = [{"units": i.units, "source": i.source, "profiler": i.profiler or "", "layout": view.layout}
                 for i in view.info]
    table = biom.Table(view.values.T.tocsr(), list(taxa.index), list(view.samples), obs_md, sample_md,
                       type="OTU table")
    with h5py.File(tmp, "w") as fh:
        table.to_hdf5(fh, "gutskin")
    return view.values.nnz
