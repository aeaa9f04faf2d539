"""Readers: one module per profiler format; each turns a file into a :class:`~gutskin.profile.Profile`.

A reader module defines ``FORMAT`` (its id), ``DESCRIPTION``, ``sniff(peek) -> bool`` which looks
only at content (never the file name), and ``read(path, peek) -> Profile``. :func:`detect` asks them
in :data:`READERS` order, so more specific formats come before more general ones.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from ..errors import InputError
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


def _load() -> list[ModuleType]:
    mods = []
    for name in _READER_MODULES:
        try:
            mods.append(importlib.import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as exc:  # a reader still being written must not break the others
            if exc.name != f"{__name__}.{name}":
                raise
    return mods


READERS: list[ModuleType] = _load()
FORMATS: dict[str, ModuleType] = {m.FORMAT: m for m in READERS}
for _m in READERS:
    for _alias in getattr(_m, "ALIASES", ()):
        FORMATS[_alias] = _m


def detect(path: str | Path) -> ModuleType:
    """The reader whose format this file's content matches."""
    p = _peek(path)
    if not p.head.strip():
        raise InputError("the file is empty; expected a taxonomic profile", path)
    for reader in READERS:
        if reader.sniff(p):
            return reader
    if p.is_binary:
        raise InputError("binary content that is not a known profile format (BIOM HDF5, QIIME 2 .qza, gzip)",
                         path)
    raise InputError(
        "not a recognised profile format; expected one of: " + ", ".join(sorted(FORMATS)) +
        " (use --format to name it)", path)


def detect_format(path: str | Path) -> str:
    return detect(path).FORMAT


def read(path: str | Path, format: str | None = None, **options) -> Profile:
    """Read one profile file. ``format`` overrides detection (see :data:`FORMATS`)."""
    path = Path(path)
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
        return reader.read(path, p, **options)
    except InputError as exc:
        raise exc.at(path) from None
    except (UnicodeDecodeError, EOFError) as exc:
        raise InputError(f"cannot read as {reader.FORMAT}: {exc}", path) from None


def read_many(paths: Sequence[str | Path], format: str | None = None) -> Profile:
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
        prof = read(path, format)
        if taxonomy is not None:
            prof = taxonomy_table.attach(prof, taxonomy, path)
        profiles.append(prof)
    return Profile.merge(profiles)
