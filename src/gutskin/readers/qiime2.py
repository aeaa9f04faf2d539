"""QIIME 2 artifacts (``.qza``): feature tables, and taxonomies given alongside them.

A ``.qza`` is a zip holding one root folder named by the artifact's uuid, with ``metadata.yaml`` (``uuid``,
``type``, ``format``), ``VERSION`` (``QIIME 2`` / ``archive: N`` / ``framework: X``) and ``data/``. The same
names recur under ``provenance/artifacts/<uuid>/`` for the inputs, so only the *root* copies count; the
uuid is read from the archive, never assumed. Archive versions 0 to 6 share this layout.

``FeatureTable[Frequency]`` (any ``% Properties(...)``) gives counts and ``FeatureTable[RelativeFrequency]``
fractions, from ``data/feature-table.biom`` (HDF5 BIOM 2.1; JSON BIOM in the oldest archives). Tables
collapsed to taxa use the taxonomy string as feature id, and so carry their own lineages.
``FeatureData[Taxonomy]`` (``data/taxonomy.tsv``) has no abundances: it is attached to a table given with it.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..io import ZIP_MAGIC, Peek, check_expansion, compression, limits, memory_bytes, parse_document, read_bytes
from ..profile import Profile
from . import biom

FORMAT = "qiime2"
ALIASES = ("qza",)
DESCRIPTION = "QIIME 2 artifact (.qza): FeatureTable[Frequency] or [RelativeFrequency]; taxonomy alongside"

_TABLE_UNITS = {"Frequency": "counts", "RelativeFrequency": "fraction"}
_TYPE = re.compile(r"^\s*(\w+)\[(\w+)\]")


@dataclass
class Artifact:
    root: str
    type: str
    format: str | None
    archive: str | None
    framework: str | None
    uuid: str | None
    members: list[str]


#: what a damaged or unusual zip can raise (NotImplementedError: an unsupported compression method;
#: RuntimeError: an encrypted member)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, ValueError, KeyError, EOFError, NotImplementedError,
               RuntimeError, UnicodeError, OverflowError)


def _zip(path: Path) -> zipfile.ZipFile:
    """The archive, opened without reading it whole (a huge .qza is sniffed from its directory)."""
    mem = memory_bytes(path)
    if mem is not None and compression(path) is None:
        source = io.BytesIO(mem)
    elif compression(path) is not None:  # a .qza.gz: decompress (bounded) first
        source = io.BytesIO(read_bytes(path))
    else:
        source = path  # type: ignore[assignment]
    try:
        if isinstance(source, io.BytesIO):
            head = source.getvalue()[:4]
        else:
            with open(source, "rb") as fh:
                head = fh.read(4)
        if not head.startswith(ZIP_MAGIC):
            raise InputError("not a QIIME 2 artifact: a .qza is a zip archive", path)
        return zipfile.ZipFile(source)
    except InputError:
        raise
    except _ZIP_ERRORS as exc:
        raise InputError(f"corrupt or truncated zip archive ({exc})", path) from None


def _member(zf: zipfile.ZipFile, name: str, path: Path, max_bytes: int | None = None) -> bytes:
    """One member's bytes, refusing a member that expands past the limits (a zip bomb) or is damaged."""
    try:
        zinfo = zf.getinfo(name)
        cap = limits().max_decompressed_bytes if max_bytes is None else max_bytes
        if zinfo.file_size > cap:
            raise InputError(f"{name} in the archive declares {zinfo.file_size:,} bytes, past the {cap:,}-byte "
                             "limit", path)
        chunks, total = [], 0
        with zf.open(zinfo) as fh:
            while chunk := fh.read(1 << 20):
                total += len(chunk)
                if total > cap:
                    raise InputError(f"{name} in the archive expands past the {cap:,}-byte limit", path)
                check_expansion(total, zinfo.compress_size, path, what=f"{name} expands")
                chunks.append(chunk)
        return b"".join(chunks)
    except InputError:
        raise
    except _ZIP_ERRORS as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"cannot extract {name} from the archive ({detail}); it looks corrupt", path) from None


def artifact(path: Path, zf: zipfile.ZipFile | None = None) -> Artifact:
    """The root folder, type, format and versions of a .qza."""
    zf = zf or _zip(path)
    names = zf.namelist()
    roots = sorted({n.split("/", 1)[0] for n in names if n.count("/") == 1 and n.endswith("/metadata.yaml")})
    if len(roots) != 1:
        raise InputError("not a QIIME 2 artifact: expected exactly one <uuid>/metadata.yaml at the top of the "
                         f"archive, found {len(roots)}", path)
    root = roots[0]
    raw = _member(zf, f"{root}/metadata.yaml", path, limits().max_archive_metadata_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("metadata.yaml in the archive is not UTF-8 text", path) from None
    try:
        meta = parse_document(text, path, kind="yaml") or {}
    except InputError as exc:
        raise InputError(f"unreadable metadata.yaml in the archive: {exc.message}", path) from None
    if not isinstance(meta, dict) or "type" not in meta:
        raise InputError("metadata.yaml has no 'type'", path, field="type")
    archive = framework = None
    if f"{root}/VERSION" in names:
        version = _member(zf, f"{root}/VERSION", path, limits().max_archive_metadata_bytes).decode(
            "utf-8", errors="replace")
        m = re.search(r"archive:\s*(\S+)", version)
        archive = m.group(1) if m else None
        m = re.search(r"framework:\s*(\S+)", version)
        framework = m.group(1) if m else None
    return Artifact(root, str(meta["type"]).strip(), meta.get("format"), archive, framework,
                    str(meta.get("uuid") or root), [n for n in names if n.startswith(root + "/")])


def _peek_artifact(p: Peek) -> Artifact | None:
    if not p.head.startswith(ZIP_MAGIC):
        return None
    try:
        return artifact(p.path)
    except InputError:
        return None


def sniff(peek: Peek) -> bool:
    return _peek_artifact(peek) is not None


def is_taxonomy_artifact(peek: Peek) -> bool:
    art = _peek_artifact(peek)
    return art is not None and art.type.replace(" ", "").startswith("FeatureData[Taxonomy]")


def taxonomy_text(path: Path) -> str:
    """The ``data/taxonomy.tsv`` of a FeatureData[Taxonomy] artifact."""
    zf = _zip(path)
    art = artifact(path, zf)
    name = f"{art.root}/data/taxonomy.tsv"
    if name not in art.members:
        raise InputError(f"the {art.type} artifact has no data/taxonomy.tsv", path)
    return _member(zf, name, path).decode("utf-8", errors="replace").lstrip("\ufeff")


def read(path: Path, peek: Peek | None = None) -> Profile:
    zf = _zip(path)
    art = artifact(path, zf)
    kind = art.type.replace(" ", "")
    if kind.startswith("FeatureData[Taxonomy]"):
        raise InputError("this is a taxonomy (feature id → lineage) with no abundances; give it together "
                         "with its feature table", path)
    m = _TYPE.match(kind)
    units = _TABLE_UNITS.get(m.group(2)) if m and m.group(1) == "FeatureTable" else None
    if units is None:
        raise InputError(f"unsupported QIIME 2 artifact type {art.type}; expected FeatureTable[Frequency] or "
                         "FeatureTable[RelativeFrequency] (and a FeatureData[Taxonomy] with it)", path,
                         field="type")
    name = f"{art.root}/data/feature-table.biom"
    if name not in art.members:
        raise InputError(f"the {art.type} artifact has no data/feature-table.biom", path)
    table = biom.load(path, _member(zf, name, path))
    declared = units
    units, units_warning = _check_declared_units(table, units, art.type, path)
    extra = {"qiime2_type": art.type, "qiime2_archive": art.archive, "qiime2_uuid": art.uuid,
             "qiime2_format": art.format}
    profile = biom.interpret(table, path, fmt=FORMAT, units=units, profiler="QIIME 2",
                             profiler_version=art.framework, extra=extra)
    data = profile.values.data
    fractional = units == "counts" and data.size > 0 and bool((data != data.round()).any())
    for i in profile.info:
        i.extra["units_reason"] = f"artifact type {art.type}"
        if units != declared and units_warning:
            i.extra.setdefault("warnings", []).append(units_warning)
        if fractional:
            i.extra.setdefault("warnings", []).append(
                "a FeatureTable[Frequency] holds non-integer values; read as counts, as its type says")
    return profile


def _check_declared_units(table: biom.BiomTable, units: str, kind: str, path: Path) -> tuple[str, str | None]:
    """A RelativeFrequency table must hold fractions; whole-number counts in one are read as counts, loudly."""
    if units != "fraction" or table.values.nnz == 0:
        return units, None
    totals = table.values.sum(axis=1).A1
    if totals.max() <= 1.0 + 1e-6:
        return units, None
    data = table.values.data
    if bool((data == data.round()).all()):
        return "counts", (f"the artifact says {kind} but holds whole-number counts (sample totals up to "
                          f"{totals.max():,.0f}); read as counts")
    raise InputError(f"the artifact says {kind} (fractions summing to 1 per sample) but a sample sums to "
                     f"{totals.max():g}; the table does not match its declared type", path, field="type")
