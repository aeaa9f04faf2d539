"""Readers: one module per profiler format; each turns a file into a :class:`~gutskin.profile.Profile`.

A reader module defines ``FORMAT`` (its id), ``DESCRIPTION``, ``sniff(peek) -> bool`` which looks
only at content (never the file name), and ``read(path, peek) -> Profile``. :func:`detect` asks them
in :data:`READERS` order, so more specific formats come before more general ones.
"""

from __future__ import annotations

import csv
import importlib
import warnings
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

from ..errors import InputError
from ..io import ZIP_MAGIC, in_memory, read_stream
from ..io import peek as _peek
from ..profile import Profile

# Order matters: specific signatures first, loose tabular shapes last.
_READER_MODULES = [
    "qiime2",
    "biom",
    "ubiome",
    "cami",
    "metaphlan",
    "motus",
    "krakenuniq",
    "bracken",
    "kaiju",
    "sylph",
    "kraken",
    "kraken_mpa",
    "taxonomy_table",
    "generic",
]


READERS: list[ModuleType] = [importlib.import_module(f"{__name__}.{name}") for name in _READER_MODULES]
FORMATS: dict[str, ModuleType] = {m.FORMAT: m for m in READERS}
for _m in READERS:
    for _alias in getattr(_m, "ALIASES", ()):
        FORMATS[_alias] = _m


#: what a reader can raise on damaged content, besides InputError: the standard library and pandas raise these
#: for bad bytes, bad numbers, bad quoting and absurd nesting; any of them means the *file* is bad.
_BAD_CONTENT = (UnicodeError, EOFError, zlib.error, csv.Error, OverflowError, RecursionError, zipfile.BadZipFile,
                ValueError, MemoryError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested far too deeply"
    if isinstance(exc, MemoryError):
        return "too large to hold in memory"
    detail = " ".join(str(exc).split())
    if len(detail) > 200:
        detail = detail[:200] + "…"
    return detail or type(exc).__name__


def detect(path: str | Path) -> ModuleType:
    """The reader whose format this file's content matches."""
    p = _peek(path)
    if not p.head.strip():
        raise InputError("the file is empty; expected a taxonomic profile", path)
    for reader in READERS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                matched = reader.sniff(p)
        except InputError as exc:
            raise exc.at(path) from None
        except (*_BAD_CONTENT, KeyError, IndexError, TypeError):  # a sniffer choking means "not this format"
            matched = False
        if matched:
            return reader
    if p.head.startswith(ZIP_MAGIC) and "qiime2" in FORMATS:
        FORMATS["qiime2"].artifact(Path(path))  # a damaged .qza: its own, more precise refusal
    if p.is_binary:
        raise InputError("binary content that is not a known profile format (BIOM HDF5, QIIME 2 .qza, gzip)",
                         path)
    raise InputError(
        "not a recognised profile format; expected one of: " + ", ".join(sorted(FORMATS)) +
        " (use --format to name it)", path)


def detect_format(source: str | Path | BinaryIO, *, name: str | None = None) -> str:
    if _is_stream(source):
        with in_memory(_stream_name(name), read_stream(source, _stream_name(name))) as path:  # type: ignore[arg-type]
            return detect(path).FORMAT
    return detect(source).FORMAT  # type: ignore[arg-type]


def _is_stream(source: object) -> bool:
    return hasattr(source, "read") and not isinstance(source, (str, Path))


def _stream_name(name: str | None) -> str:
    return name or "upload"


def read(source: str | Path | BinaryIO, format: str | None = None, *, name: str | None = None,
         allow_empty: bool = False, **options) -> Profile:
    """Read one profile from a path or a binary stream. ``format`` overrides detection (see :data:`FORMATS`).

    ``name``: for a stream, the label errors name and the sample name of a single-sample format (an upload
    has no file name to take one from); for a path, a single-sample file's sample is renamed to it.

    A profile in which no taxon has a value (a run where every read stayed unclassified) is refused with one
    line: no output format can hold it (a long table has no row to write, a BIOM table no observation), so
    accepting it would only move the refusal to the file ``convert`` wrote. ``allow_empty=True`` returns it
    anyway, for ``inspect``, which reports its unclassified share.
    """
    if _is_stream(source):
        label = _stream_name(name)
        with in_memory(label, read_stream(source, label)) as path:  # type: ignore[arg-type]
            return _read_path(path, format, name, allow_empty, **options)
    return _read_path(Path(source), format, name, allow_empty, **options)  # type: ignore[arg-type]


def _refuse_empty(profile: Profile, path: Path) -> None:
    """One clear line for a profile without a single non-zero value."""
    if profile.values.nnz:
        return
    unclassified = [i.unclassified for i in profile.info]
    if profile.info and all(i.unclassified_share == 1.0 for i in profile.info):
        total = sum(u for u in unclassified if u is not None)
        if all(i.units == "counts" for i in profile.info) and total:
            why = f"every read is unclassified ({total:,.0f} reads)"
        else:
            why = "everything is unclassified"
    else:
        why = f"no taxon has a value in {'the sample' if profile.n_samples == 1 else 'any sample'}"
    raise InputError(f"the profile is empty: {why}; there is no taxon to read, score or convert", path)


def _read_path(path: Path, format: str | None, name: str | None, allow_empty: bool = False,
               **options) -> Profile:
    if format is None:
        reader = detect(path)
    else:
        reader = FORMATS.get(format)
        if reader is None:
            raise InputError(f"unknown format {format!r}; expected one of: {', '.join(sorted(FORMATS))}",
                             field="format")
    p = _peek(path)
    if not p.head.strip():
        raise InputError("the file is empty; expected a taxonomic profile", path)
    try:
        # numpy/pandas warnings about damaged numbers would print before the one-line refusal
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            profile = reader.read(path, p, **options)
    except InputError as exc:
        raise exc.at(path) from None
    except _BAD_CONTENT as exc:
        raise InputError(f"cannot read as {reader.FORMAT}: {_describe(exc)}", path) from None
    if not allow_empty:
        _refuse_empty(profile, path)
    if name is not None and profile.n_samples == 1 and profile.samples[0] != name:
        profile = Profile(profile.values, [name], profile.taxa, profile.info, profile.layout)
    return profile


def read_many(paths: Sequence[str | Path], format: str | None = None,
              on_file: Callable[[Path | None], None] | None = None) -> Profile:
    """Read several files into one merged Profile.

    Taxonomy-only inputs (a QIIME 2 ``FeatureData[Taxonomy]`` artifact or a ``taxonomy.tsv``) are
    attached to the feature tables given with them; given alone they are refused.
    """
    from . import taxonomy_table

    paths = [Path(p) for p in paths]
    taxonomies = [p for p in paths if format is None and taxonomy_table.is_taxonomy(p)]
    tables = [p for p in paths if p not in taxonomies]
    if taxonomies and not tables:
        raise InputError("this is a taxonomy (feature id → lineage) with no abundances; give it together "
                         "with its feature table", taxonomies[0])
    taxonomy = taxonomy_table.load_taxonomies(taxonomies) if taxonomies else None
    profiles = []
    for path in tables:
        if on_file is not None:  # progress: the file about to be read
            on_file(path)
        prof = read(path, format)
        if taxonomy is not None:
            prof = taxonomy_table.attach(prof, taxonomy, path, ", ".join(str(t) for t in taxonomies))
        profiles.append(prof)
    return Profile.merge(profiles)
