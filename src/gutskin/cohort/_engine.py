"""The one place the cohort code meets the rest of gutskin: reading inputs, the scoring driver, references.

Everything the cohort runner needs from readers, the engine and references goes through these small
functions, so a change of engine API is a change here only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import __version__
from ..profile import Profile

VERSION = __version__


def is_taxonomy(path: Path) -> bool:
    """A taxonomy-only input (QIIME 2 ``FeatureData[Taxonomy]`` or ``taxonomy.tsv``), attached to tables."""
    from ..readers import taxonomy_table

    return taxonomy_table.is_taxonomy(path)


def load_taxonomies(paths: list[Path]) -> object:
    from ..readers import taxonomy_table

    return taxonomy_table.load_taxonomies(paths)


def read_input(path: Path, fmt: str | None, taxonomy: object | None) -> Profile:
    """One input file as a Profile, exactly as ``gutskin score`` reads it (taxonomy attached when given)."""
    from ..readers import read, taxonomy_table

    profile = read(path, fmt)
    if taxonomy is not None:
        profile = taxonomy_table.attach(profile, taxonomy, path)
    return profile


def score_table(profile: Profile, metrics: str = "all", rank: str = "species") -> pd.DataFrame:
    """The scoring driver's table for ``profile`` (what ``gutskin score`` writes)."""
    from ..engine import score

    return score(profile, metrics=metrics, rank=rank).table


def metric_names(metrics: str = "all") -> list[str]:
    from ..engine.scoring import parse_metrics

    return parse_metrics(metrics)[0]


def reference_store() -> object:
    """The per-process reference store (loaded once per worker; references are cached in it)."""
    from ..engine.resources import default_resources

    return default_resources().references


def knowledge_and_synonyms() -> tuple[object, object]:
    """The per-process knowledge base and synonym table."""
    from ..engine.resources import default_resources

    res = default_resources()
    return res.knowledge, res.synonyms


def rank_table(profile: Profile, rank: str) -> object:
    """Per-sample proportions at ``rank`` keyed by current name, as the reference and insights use them."""
    from ..reference.features import rank_table as _rank_table

    return _rank_table(profile, rank)
