"""The one place the cohort code meets the rest of gutskin: reading inputs, the scoring driver, references.

Everything the cohort runner needs from readers, the engine and references goes through these small
functions, so a change of engine API is a change here only.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from ..profile import Profile

VERSION = __version__


def is_taxonomy(path: Path) -> bool:
    """A taxonomy-only input (QIIME 2 ``FeatureData[Taxonomy]`` or ``taxonomy.tsv``), attached to tables."""
    from ..readers import taxonomy_table

    return taxonomy_table.is_taxonomy(path)


def load_taxonomies(paths: list[Path]) -> object:
    from ..readers import taxonomy_table

    return taxonomy_table.load_taxonomies(paths)


def read_input(path: Path, fmt: str | None, taxonomy: object | None, *, allow_empty: bool = False) -> Profile:
    """One input file as a Profile, exactly as ``gutskin score`` reads it (taxonomy attached when given).

    ``allow_empty``: a profile without a single value is returned, not refused (a piece of a split table: the
    whole table is refused only when all of it is empty, and its other pieces tell)."""
    from ..readers import read, taxonomy_table

    profile = read(path, fmt, allow_empty=allow_empty)
    if taxonomy is not None:
        profile = taxonomy_table.attach(profile, taxonomy, path)
    return profile


def split_input(path: Path, fmt: str | None, max_samples: int, folder: Path) -> list | None:
    """A merged MetaPhlAn table of more than ``max_samples`` samples as pieces written into ``folder``, each read
    like the whole table (:mod:`gutskin.readers.split`); None for every other input (read whole)."""
    from ..readers import FORMATS, detect
    from ..readers.split import merged_width, split_merged

    if merged_width(path) <= max_samples:  # the first lines tell (every single-sample file stops here)
        return None
    try:
        reader = FORMATS.get(fmt) if fmt is not None else detect(path)
    except InputError:
        return None  # the read of the whole file says what is wrong
    if reader is None or getattr(reader, "FORMAT", None) != "metaphlan":
        return None
    return split_merged(path, max_samples, folder)


def score_table(profile: Profile, metrics: str = "all", rank: str = "species") -> pd.DataFrame:
    """The scoring driver's table for ``profile`` (what ``gutskin score`` writes)."""
    from ..engine import score

    # no GMWI2 contributors table: a score table never shows it, and on a 5,000-sample partition it cost more
    # than every other metric together
    return score(profile, metrics=metrics, rank=rank, contributors=False).table


def metric_names(metrics: str = "all") -> list[str]:
    from ..engine.scoring import parse_metrics

    return parse_metrics(metrics)[0]


@functools.cache
def reference_store() -> object:
    """The per-process reference store (built once per worker; every reference it loads is cached in it).

    The cohort runner is a face: it takes the settings from the environment (``GUTSKIN_HOME`` for lab-built
    references) and needs only the references, not the knowledge base, to score.
    """
    from ..engine.references import ReferenceStore
    from ..engine.settings import Settings

    return ReferenceStore(Settings.from_environ(os.environ).references_dir)


def knowledge_and_synonyms() -> tuple[object, object]:
    """The per-process knowledge base and synonym table."""
    from ..engine.resources import default_resources

    res = default_resources()
    return res.knowledge, res.synonyms


def rank_table(profile: Profile, rank: str) -> object:
    """Per-sample proportions at ``rank`` keyed by current name, as the reference and insights use them."""
    from ..reference.features import rank_table as _rank_table

    return _rank_table(profile, rank)


def placement_rules(profile: Profile, reference: object) -> tuple[bool, tuple[str, ...], float]:
    """(exact, transferable metrics, interval margin): how :func:`gutskin.reference.percentiles.percentiles`
    places a profile in ``reference`` — every metric when the naming matches exactly, else only the quantities
    shown to transfer, with the interval widened by the margin."""
    from ..reference.registry import TRANSFERABLE, VERSION_MARGIN, relation

    exact = relation(profile, reference) == "exact"
    return exact, tuple(TRANSFERABLE), 0.0 if exact else float(VERSION_MARGIN)


def jeffreys_many(p: object, n: int, level: float = 0.95) -> tuple[object, object]:
    """Jeffreys intervals for an array of percentiles, as a report computes them."""
    from ..reference.percentiles import jeffreys_many as _jeffreys_many

    return _jeffreys_many(p, n, level)


def metric_values(profile: Profile, rank: str) -> pd.DataFrame:
    """The per-sample values a reference summarises, at ``rank`` (samples × metrics)."""
    from ..reference.measures import metric_values as _metric_values

    return _metric_values(profile, rank)[0]


@functools.cache
def resources() -> object:
    """The engine resources of this process (knowledge base, references, synonyms), loaded once per worker."""
    from ..engine import Resources
    from ..engine.settings import Settings

    return Resources.load(Settings.from_environ(os.environ))


def __getattr__(name: str) -> object:
    # PartitionProfile subclasses the data model (pandas, scipy): imported when a task first needs it, so the
    # process that only coordinates a run does not
    if name == "PartitionProfile":
        from ._partition import PartitionProfile

        return PartitionProfile
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
