"""BIOM tables: JSON 1.0 (sparse or dense) and HDF5 2.1, from QIIME 1/2, MetaPhlAn, mOTUs and biom-format.

Observations become features (ASVs, OTUs, mOTUs) with lineages from their ``taxonomy`` metadata (a list
in QIIME and MetaPhlAn files, a ``k__…; s__`` string in some others), from ``{name, NCBI_id}`` (mOTUs
``-B``), or from the observation id itself when it is a lineage (collapsed taxa tables, MetaPhlAn
``--biom``). Layout is ``features``: rows are disjoint leaves, higher ranks come from roll-ups.
MetaPhlAn tables whose rows nest (a genus and its species) are read as ``clades``; so are tables this
package wrote itself (``generated-by gutskin``), whose rank, name, taxid and units travel in metadata.

Units are judged from the numbers and the reasoning is kept in ``SampleInfo.extra["units_reason"]``:
whole numbers are counts; otherwise per-sample sums of about 1 mean fractions and about 100 percent.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError
from ..io import HDF5_MAGIC, Peek, compression, memory_bytes, read_bytes
from ..profile import UNITS, Profile, ProfileBuilder, SampleInfo, taxon_key
from ..taxonomy.lineage import Lineage, parse_prefixed
from ..taxonomy.metaphlan_version import version_from_generated_by
from ..taxonomy.ranks import RANKS
from ..taxonomy.taxon_strings import (
    feature_rank,
    is_unassigned,
    lineage_from_taxonomy,
    parse_canonical,
    taxonomy_style,
)
from .base import parse_taxid, sample_name_from_path

FORMAT = "biom"
DESCRIPTION = "BIOM table: JSON 1.0 (QIIME 1, MetaPhlAn --biom, mOTUs -B) or HDF5 2.1 (QIIME 2 export)"

#: sample ids tools write when they were given none
DEFAULT_SAMPLE_IDS = {"Metaphlan_Analysis", "Metaphlan2_Analysis", "unnamed sample", "No Table ID", "None"}
#: observation ids that hold the "not assigned" bucket rather than a taxon
UNCLASSIFIED_IDS = {"-1", "unassigned", "unclassified", "unknown", "UNKNOWN", "UNCLASSIFIED", "Unassigned",
                    "Unclassified"}
_LINEAGE_ID = re.compile(r"^(?:[a-zA-Z]__|D_\d+__)[^;|]*(?:[;|]\s*(?:[a-zA-Z]__|D_\d+__|__)?[^;|]*)*$")
_ASV_HASH = re.compile(r"^[0-9a-f]{32}$")
_DNA = re.compile(r"^[ACGTN]{40,}$")


# ---------------------------------------------------------------------------------------------- sniffing
def sniff(peek: Peek) -> bool:
    if peek.head.startswith(HDF5_MAGIC):
        return _hdf5_is_biom(peek)
    if peek.is_binary:
        return False
    text = peek.text.lstrip()
    if not text.startswith("{") or "ubiome_bacteriacounts" in text[:2000]:
        return False
    return ("Biological Observation Matrix" in text or "biom-format.org" in text
            or ('"matrix_type"' in text and '"shape"' in text))


#: what h5py raises on a damaged or unexpected HDF5 file (it has no single error type)
H5_ERRORS = (OSError, RuntimeError, TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError,
             UnicodeError)


def _hdf5_is_biom(peek: Peek) -> bool:
    try:
        with _open_hdf5(peek.path) as h5:
            return "observation" in h5 and "sample" in h5
    except InputError:
        return False
    except H5_ERRORS:  # damaged: say so when it is read as BIOM, not while sniffing
        return True


def _open_hdf5(path: Path, data: bytes | None = None):
    import h5py

    try:
        if data is None and (compression(path) is not None or memory_bytes(path) is not None):
            data = read_bytes(path)  # gzip/bz2 or an upload: h5py reads the plain bytes from memory
        if data is not None:
            if not data.startswith(HDF5_MAGIC):
                raise InputError("not an HDF5 file", path)
            return h5py.File(io.BytesIO(data), "r")
        return h5py.File(path, "r")
    except H5_ERRORS as exc:
        raise InputError(f"corrupt or truncated HDF5 file ({' '.join(str(exc).split())})", path) from None


# ---------------------------------------------------------------------------------------------- raw table
@dataclass
class BiomTable:
    """A BIOM table as stored: samples × observations values plus ids and metadata."""

    obs_ids: list[str]
    sample_ids: list[str]
    values: sp.csr_matrix  # samples × observations
    obs_metadata: list[dict[str, Any]] | None
    sample_metadata: list[dict[str, Any]] | None
    generated_by: str
    element_type: str | None
    table_type: str | None
    version: str


def load(path: Path, data: bytes | None = None) -> BiomTable:
    """Parse a BIOM file (or its bytes, e.g. from inside a .qza) without interpreting it."""
    raw = read_bytes(path) if data is None else data
    if raw.startswith(HDF5_MAGIC):
        return _load_hdf5(path, raw)
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    if text.startswith("{"):
        return _load_json(path, text)
    raise InputError("not a BIOM table: expected JSON (BIOM 1.0) or HDF5 (BIOM 2.1) content", path)


def _decode(values) -> list[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def _load_hdf5(path: Path, raw: bytes) -> BiomTable:
    try:
        return _load_hdf5_checked(path, raw)
    except InputError:
        raise
    except H5_ERRORS as exc:  # a damaged file: h5py and numpy raise a zoo of errors on one
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"damaged BIOM HDF5 file ({detail})", path) from None


#: an HDF5 global heap collection starts with this: signature "GCOL", version 1, three reserved zero bytes
_GCOL = b"GCOL\x01\x00\x00\x00"


def check_global_heaps(raw: bytes, path: Path) -> None:
    """Refuse an HDF5 file whose global heap collections do not add up, before the HDF5 library reads them.

    BIOM keeps its ids (variable-length strings) in global heap collections. A damaged object size inside one
    sends the HDF5 C library into a loop that never returns and cannot be interrupted from Python (found by
    the fuzz harness: seed 18031777, four flipped bytes in a real BIOM file). Each collection is walked as the
    format lays it out (HDF5 file format spec, "Global Heap"): 16-byte object headers, object data padded to 8
    bytes, ending exactly at the collection's end, with object 0 (free space) spanning what is left.
    """
    start = raw.find(_GCOL)
    while start != -1:
        if start + 16 > len(raw):
            raise InputError("corrupt or truncated HDF5 file (a global heap collection is cut short)", path)
        end = start + int.from_bytes(raw[start + 8:start + 16], "little")
        if end > len(raw) or end < start + 16:
            raise InputError("corrupt or truncated HDF5 file (a global heap collection runs past the end of the file)",
                             path)
        pos = start + 16
        while pos + 16 <= end:
            index = int.from_bytes(raw[pos:pos + 2], "little")
            size = int.from_bytes(raw[pos + 8:pos + 16], "little")
            if index == 0:  # free space: the rest of the collection, header included
                if pos + size != end:
                    raise InputError("corrupt or truncated HDF5 file (a global heap collection does not add up)", path)
                pos = end
                break
            pos += 16 + (size + 7) // 8 * 8
        if pos != end and not (pos < end and end - pos < 16):
            raise InputError("corrupt or truncated HDF5 file (a global heap collection does not add up)", path)
        start = raw.find(_GCOL, end)


def _load_hdf5_checked(path: Path, raw: bytes) -> BiomTable:
    check_global_heaps(raw, path)
    with _open_hdf5(path, raw) as h5:
        try:
            obs_ids = _decode(h5["observation/ids"][:])
            sample_ids = _decode(h5["sample/ids"][:])
            if "sample/matrix/indptr" in h5:
                grp, by_sample = h5["sample/matrix"], True
            else:
                grp, by_sample = h5["observation/matrix"], False
            data = np.asarray(grp["data"][:], dtype=np.float64)
            indices = np.asarray(grp["indices"][:], dtype=np.int64)
            indptr = np.asarray(grp["indptr"][:], dtype=np.int64)
        except KeyError as exc:
            raise InputError(f"HDF5 file is not a BIOM 2.x table (missing {exc})", path) from None
        attrs = {k: h5.attrs[k] for k in h5.attrs}
        obs_md = _hdf5_metadata(h5, "observation", len(obs_ids))
        sample_md = _hdf5_metadata(h5, "sample", len(sample_ids))
    n_s, n_o = len(sample_ids), len(obs_ids)
    try:
        if by_sample:
            values = sp.csr_matrix((data, indices, indptr), shape=(n_s, n_o))
        else:
            values = sp.csr_matrix((data, indices, indptr), shape=(n_o, n_s)).T.tocsr()
        values.check_format(full_check=True)
    except ValueError as exc:
        raise InputError(f"the BIOM matrix does not fit its {n_o} observations × {n_s} samples ({exc})",
                         path) from None
    version = attrs.get("format-version")
    version = ".".join(str(int(v)) for v in version) if version is not None else "2.1"
    return BiomTable(obs_ids, sample_ids, values, obs_md, sample_md, _attr_text(attrs.get("generated-by")),
                     None, _attr_text(attrs.get("type")) or None, version)


def _attr_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        return " ".join(_attr_text(v) for v in value.ravel())
    return str(value)


def _hdf5_metadata(h5, axis: str, n: int) -> list[dict[str, Any]] | None:
    grp = h5.get(f"{axis}/metadata")
    if grp is None or len(grp) == 0:
        return None
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    for key in grp:
        arr = grp[key][:]
        if len(arr) != n:
            continue
        for i, item in enumerate(arr):
            if isinstance(item, np.ndarray):
                value: Any = _decode(item.ravel())
            elif isinstance(item, bytes):
                value = item.decode("utf-8", errors="replace")
                if value[:1] in "[{":
                    with contextlib.suppress(ValueError):
                        value = json.loads(value)
            elif isinstance(item, np.generic):
                value = item.item()
            else:
                value = item
            out[i][key] = value
    return out


def _load_json(path: Path, text: str) -> BiomTable:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InputError(f"corrupt BIOM JSON ({exc})", path) from None
    except RecursionError:
        raise InputError("BIOM JSON nested far deeper than any BIOM table", path) from None
    if not isinstance(doc, dict):
        raise InputError("BIOM JSON must be an object with rows, columns and data", path)
    missing = [k for k in ("rows", "columns", "data") if k not in doc]
    if missing:
        raise InputError(f"BIOM JSON lacks {', '.join(missing)}", path, field=missing[0])
    rows, cols = doc["rows"] or [], doc["columns"] or []
    if not isinstance(rows, list) or not isinstance(cols, list) or not all(
            isinstance(x, dict) for x in (*rows, *cols)):
        raise InputError("BIOM 'rows' and 'columns' must be lists of objects", path, field="rows")
    try:
        obs_ids = [str(r["id"]) for r in rows]
        sample_ids = [str(c["id"]) for c in cols]
    except (TypeError, KeyError):
        raise InputError("every BIOM row and column needs an 'id'", path, field="rows") from None
    n_o, n_s = len(obs_ids), len(sample_ids)
    shape = doc.get("shape")
    if shape is not None and list(shape) != [n_o, n_s]:
        raise InputError(f"shape {shape} does not match {n_o} rows × {n_s} columns", path, field="shape")
    mtype = str(doc.get("matrix_type") or "sparse").lower()
    try:
        if mtype == "dense":
            dense = np.asarray(doc["data"], dtype=np.float64)
            if dense.size == 0:
                dense = dense.reshape(n_o, n_s)
            if dense.shape != (n_o, n_s):
                raise InputError(f"dense data is {dense.shape}, expected {(n_o, n_s)}", path, field="data")
            values = sp.csr_matrix(dense.T)
        else:
            triples = np.asarray(doc["data"], dtype=np.float64).reshape(-1, 3)
            r, c = triples[:, 0].astype(np.int64), triples[:, 1].astype(np.int64)
            if len(r) and (r.min() < 0 or c.min() < 0 or r.max() >= n_o or c.max() >= n_s
                           or np.any(r != triples[:, 0]) or np.any(c != triples[:, 1])):
                raise InputError("sparse data has an index outside the table", path, field="data")
            values = sp.csr_matrix((triples[:, 2], (c, r)), shape=(n_s, n_o))
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"BIOM data must be numbers ({exc})", path, field="data") from None
    obs_md = [r.get("metadata") or {} for r in rows]
    sample_md = [c.get("metadata") or {} for c in cols]
    if not all(isinstance(m, dict) for m in (*obs_md, *sample_md)):
        raise InputError("BIOM row and column metadata must be objects", path, field="metadata")
    return BiomTable(obs_ids, sample_ids, values, obs_md if any(obs_md) else None,
                     sample_md if any(sample_md) else None, str(doc.get("generated_by") or ""),
                     str(doc.get("matrix_element_type") or "") or None, doc.get("type"),
                     str(doc.get("format") or "1.0.0"))


# ---------------------------------------------------------------------------------------------- checks
def check_values(values: sp.csr_matrix, samples: list[str], taxa: list[str], path: Path) -> None:
    """Every stored value finite and ≥ 0, else an InputError naming the cell."""
    data = values.data
    bad = ~np.isfinite(data) | (data < 0)
    if not bad.any():
        return
    coo = values.tocoo()
    k = int(np.flatnonzero(~np.isfinite(coo.data) | (coo.data < 0))[0])
    v = coo.data[k]
    what = "a finite number" if not np.isfinite(v) else "an abundance ≥ 0"
    raise InputError(f"expected {what}, found {v!r} for {taxa[coo.col[k]]!r}", path,
                     field=samples[coo.row[k]])


def judge_units(values: sp.csr_matrix, int_typed: bool = False) -> tuple[str, str, list[str]]:
    """(units, reason, warnings) for a samples × taxa table of one kind of number."""
    data = values.data
    if int_typed:
        return "counts", "the table declares integer values", []
    if data.size == 0 or np.all(data == np.round(data)):
        return "counts", "every value is a whole number", []
    sums = np.asarray(values.sum(axis=1)).ravel()
    sums = sums[sums > 0]
    top, mid = float(sums.max()), float(np.median(sums))
    if top <= 1.0 + 1e-3:
        return "fraction", f"values are not whole numbers and samples sum to at most 1 (median {mid:.6g})", []
    if top <= 100.0 * (1 + 1e-3):
        return "percent", f"values are not whole numbers and samples sum to at most 100 (median {mid:.6g})", []
    return ("counts", f"values are not whole numbers but samples sum to more than 100 (max {top:.6g})",
            ["values are not whole numbers yet sum past 100 per sample; read as (estimated) counts"])


def assemble(layout: str, taxa: list[tuple[str, Lineage, str, str, int | None]], samples: list[str],
             info: list[SampleInfo], values: sp.spmatrix, path: Path) -> Profile:
    """A Profile from ready-made columns: ``taxa`` rows are (key, lineage, rank, name, taxid)."""
    builder = ProfileBuilder(layout)
    for j, (key, lineage, rank, name, taxid) in enumerate(taxa):
        if builder.add_taxon(lineage, rank, name, taxid, key=key) != j:
            raise InputError(f"taxon {name!r} ({key}) appears twice; every row must be a different taxon",
                             path)
    for s, i in zip(samples, info, strict=True):
        builder.add_sample(s, i)
    shell = builder.build()
    values = sp.csr_matrix(values, dtype=np.float64)
    values.eliminate_zeros()
    return Profile(values, shell.samples, shell.taxa, shell.info, layout)


# ---------------------------------------------------------------------------------------------- meaning
def profiler_from(generated_by: str) -> tuple[str | None, str | None]:
    """(profiler, version) from a ``generated_by`` text such as ``QIIME 1.9.0-rc1, master@…``."""
    g = (generated_by or "").strip()
    low = g.lower()
    version_m = re.search(r"v?(\d+(?:\.\d+)*[\w.+\-]*)", g)
    version = version_m.group(1).rstrip(",") if version_m else None
    if low.startswith("metaphlan"):
        return "MetaPhlAn", version_from_generated_by(g)
    if low.startswith("motus"):
        return "mOTUs", version
    if low.startswith(("qiime2", "qiime 2")):
        m = re.search(r"qiime\s?2\s+(\S+)", g, re.I)
        return "QIIME 2", m.group(1).rstrip(",") if m else None
    if low.startswith("qiime"):
        return "QIIME", version
    return None, None


def _is_lineage_id(text: str) -> bool:
    return bool(_LINEAGE_ID.match(text)) and "__" in text


def _motus_taxa(ids: list[str], names: list[str]) -> dict[str, tuple[Lineage, str]]:
    """Lineage and taxon key per mOTU, as the mOTUs profile reader makes them (so the two merge)."""
    from .motus import genus_of, genus_vocabulary
    vocabulary = genus_vocabulary(names)
    out = {}
    for oid, name in zip(ids, names, strict=True):
        lineage = Lineage.empty().with_name("species", name)
        genus = genus_of(name, vocabulary)
        if genus is not None:
            lineage = lineage.with_name("genus", genus)
        out[oid] = (lineage, f"{lineage.to_string()}|mOTU:{oid}")
    return out


def _evident_16s(table: BiomTable, profiler: str | None, style: str | None) -> str | None:
    """Why this looks like a 16S amplicon table, or ``None`` when it is not evident."""
    if profiler not in ("QIIME", "QIIME 2"):
        return None
    if style in ("greengenes", "greengenes2", "silva"):
        return f"{profiler} table with {style} 16S reference lineages"
    ids = table.obs_ids[:50]
    if ids and all(i.isdigit() for i in ids):
        return f"{profiler} table of numbered Greengenes-style OTUs"
    return None


def interpret(table: BiomTable, path: Path, fmt: str = FORMAT, units: str | None = None,
              profiler: str | None = None, profiler_version: str | None = None,
              extra: dict[str, Any] | None = None) -> Profile:
    """Turn a parsed BIOM table into a Profile (also used for the table inside a QIIME 2 artifact)."""
    n_s, n_o = table.values.shape
    if n_s == 0 or n_o == 0:
        raise InputError(f"the BIOM table is empty ({n_o} observations × {n_s} samples)", path)
    check_values(table.values, table.sample_ids, table.obs_ids, path)
    if table.generated_by.lower().startswith("gutskin"):
        return _interpret_own(table, path, fmt)
    if profiler is None:
        profiler, profiler_version = profiler_from(table.generated_by)
    md = table.obs_metadata or [{} for _ in range(n_o)]
    taxonomies = [_taxonomy_of(m) for m in md]
    unclassified_cols: list[int] = []
    taxa: list[tuple[str, Lineage, str, str, int | None]] = []
    keep: list[int] = []
    naming = "id"
    style = "metaphlan" if profiler == "MetaPhlAn" else "verbatim"
    named = [(oid, " ".join(str(m["name"]).split())) for oid, m, tax in zip(table.obs_ids, md, taxonomies, strict=True)
             if tax is None and m.get("name") and oid.strip() not in UNCLASSIFIED_IDS]
    motus = _motus_taxa([o for o, _ in named], [n for _, n in named]) if named else {}
    for j, (oid, m, tax) in enumerate(zip(table.obs_ids, md, taxonomies, strict=True)):
        taxid = parse_taxid(m.get("NCBI_id") or m.get("taxid") or m.get("taxonomy_id"))
        lineage_id = _is_lineage_id(oid) or oid.startswith("Unassigned;")
        if oid.strip() in UNCLASSIFIED_IDS or (lineage_id and is_unassigned(oid)):
            unclassified_cols.append(j)
            continue
        try:
            if tax is not None:
                lineage, naming = lineage_from_taxonomy(tax, style), "taxonomy metadata"
            elif m.get("name"):
                lineage, naming = motus[oid][0], "name metadata"
            elif lineage_id:
                lineage, naming = lineage_from_taxonomy(oid, style), "lineage ids"
            else:
                lineage = Lineage.empty()
        except ValueError as exc:
            raise InputError(f"cannot read the lineage of observation {oid!r} ({exc})", path) from None
        if lineage_id:
            name = lineage.deepest_name or oid
        elif m.get("name"):
            name = " ".join(str(m["name"]).split())
        else:
            name = oid
        keep.append(j)
        if oid in motus:
            taxa.append((motus[oid][1], lineage, "species", name, taxid))
        else:
            taxa.append((oid, lineage, feature_rank(lineage), name, taxid))
    if not taxa:
        raise InputError("the BIOM table holds only unassigned rows", path)
    values = table.values[:, keep] if len(keep) != n_o else table.values
    unclassified = (np.asarray(table.values[:, unclassified_cols].sum(axis=1)).ravel()
                    if unclassified_cols else None)
    totals = np.asarray(table.values.sum(axis=1)).ravel()
    reason = None
    warnings: list[str] = []
    if units is None:
        units, reason, warnings = judge_units(table.values, table.element_type == "int")
    layout = "features"
    if profiler == "MetaPhlAn" and _nested(taxa):
        layout = "clades"
        taxa = [(taxon_key(lin, rank, lin.get(rank) or name), lin, rank, lin.get(rank) or name, taxid)
                for _, lin, rank, name, taxid in taxa]
    tax_style = taxonomy_style(_taxonomy_strings(taxonomies, table.obs_ids))
    method_reason = _evident_16s(table, profiler, tax_style)
    if profiler in ("MetaPhlAn", "mOTUs"):
        method, method_reason = "shotgun", f"{profiler} profiles shotgun metagenomes"
    else:
        method = "16S" if method_reason else "unknown"
    samples = _sample_names(table.sample_ids, path)
    info = []
    for i in range(n_s):
        e: dict[str, Any] = {"generated_by": table.generated_by, "biom_format": table.version,
                             "feature_naming": naming, "layout": layout}
        if table.table_type:
            e["table_type"] = table.table_type
        if reason:
            e["units_reason"] = reason
        if method_reason:
            e["method_reason"] = method_reason
        if tax_style and profiler != "MetaPhlAn":
            e["taxonomy_style"] = tax_style
        if warnings:
            e["warnings"] = list(warnings)
        if table.sample_metadata and table.sample_metadata[i]:
            e["sample_metadata"] = dict(table.sample_metadata[i])
        if samples[i] != table.sample_ids[i]:
            e["sample_id_in_file"] = table.sample_ids[i]
        e.update(extra or {})
        u = None if unclassified is None else float(unclassified[i])
        info.append(SampleInfo(source=str(path), format=fmt, units=units, profiler=profiler,
                               profiler_version=profiler_version, method=method, unclassified=u,
                               unclassified_share=(None if u is None or totals[i] == 0 else u / totals[i]),
                               extra=e))
    return assemble(layout, taxa, samples, info, values, path)


def _taxonomy_of(md: dict[str, Any]) -> Any:
    for key in ("taxonomy", "Taxonomy", "taxonomy_string", "Consensus Lineage", "lineage"):
        if key in md and md[key] not in (None, "", []):
            return md[key]
    return None


def _taxonomy_strings(taxonomies: list[Any], ids: list[str]) -> pd.Series:
    texts = ["; ".join(map(str, t)) if isinstance(t, (list, tuple)) else str(t) for t in taxonomies if t]
    if not texts:
        texts = [i for i in ids if _is_lineage_id(i)]
    return pd.Series(texts, dtype=object)


def _nested(taxa: list[tuple[str, Lineage, str, str, int | None]]) -> bool:
    """True when some row's lineage is an ancestor of another row's (clade totals, not leaves)."""
    full = {lin.to_string() for _, lin, _, _, _ in taxa}
    for _, lin, rank, _, _ in taxa:
        if rank not in RANKS:
            continue
        for upper in RANKS[: RANKS.index(rank)]:
            if lin.get(upper) is not None and lin.truncate(upper).to_string() in full:
                return True
    return False


def _sample_names(ids: list[str], path: Path) -> list[str]:
    if len(ids) == 1 and ids[0] in DEFAULT_SAMPLE_IDS:
        return [sample_name_from_path(path)]
    return list(ids)


def _interpret_own(table: BiomTable, path: Path, fmt: str) -> Profile:
    """A BIOM file written by :func:`gutskin.writers.write_profile`: rank, name, taxid, units and layout in metadata."""
    md = table.obs_metadata or [{} for _ in table.obs_ids]
    taxa = []
    for oid, m in zip(table.obs_ids, md, strict=True):
        tax = m.get("taxonomy") or []
        try:
            lineage = parse_canonical("|".join(tax) if isinstance(tax, list) else str(tax))
        except ValueError:
            lineage, _, _ = parse_prefixed(";".join(tax) if isinstance(tax, list) else str(tax))
        taxa.append((oid, lineage, str(m.get("rank") or feature_rank(lineage)), str(m.get("name") or oid),
                     parse_taxid(m.get("taxid"))))
    smd = table.sample_metadata or [{} for _ in table.sample_ids]
    info = []
    for i in range(len(table.sample_ids)):
        units = str(smd[i].get("units") or "")
        if units not in UNITS:
            units = judge_units(table.values[i])[0]
        info.append(SampleInfo(source=str(path), format=fmt, units=units,
                               profiler=(smd[i].get("profiler") or None),
                               extra={"generated_by": table.generated_by, "original_source": smd[i].get("source"),
                                      "layout": smd[i].get("layout") or "clades",
                                      "unranked_rows_are_leaves": smd[i].get("unranked_rows_are_leaves") == "yes"}))
    layouts = {str(m.get("layout") or "") for m in smd}
    layout = "features" if layouts == {"features"} else "clades"  # files from before the layout was written: clades
    return assemble(layout, taxa, list(table.sample_ids), info, table.values, path)


# ---------------------------------------------------------------------------------------------- reader
def read(path: Path, peek: Peek | None = None) -> Profile:
    return interpret(load(path), path)
