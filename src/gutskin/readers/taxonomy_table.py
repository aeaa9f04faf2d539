"""Taxonomy-only inputs (feature id → lineage) and attaching them to feature tables.

QIIME 2 keeps abundances (``FeatureTable``) and lineages (``FeatureData[Taxonomy]`` or an exported
``taxonomy.tsv``) apart; a user gives both files together.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..io import Peek, peek
from ..profile import Profile

FORMAT = "qiime2_taxonomy"
DESCRIPTION = "QIIME 2 taxonomy.tsv (Feature ID, Taxon[, Confidence]); give it with its feature table"


def sniff(p: Peek) -> bool:
    if p.is_binary:
        return False
    first = next((ln for ln in p.lines if ln.strip()), "")
    cols = [c.strip() for c in first.split("\t")]
    return len(cols) >= 2 and cols[0] in ("Feature ID", "#OTUID", "#OTU ID", "Feature.ID") and cols[1] == "Taxon"


def is_taxonomy(path: str | Path) -> bool:
    """True for a taxonomy.tsv or a FeatureData[Taxonomy] artifact."""
    p = peek(path)
    if sniff(p):
        return True
    from . import qiime2

    return qiime2.is_taxonomy_artifact(p)


def load_taxonomies(paths: list[Path]) -> pd.Series:
    raise NotImplementedError  # filled in by the QIIME 2 reader work


def attach(profile: Profile, taxonomy: pd.Series, path: Path) -> Profile:
    raise NotImplementedError


def read(path: Path, peek: Peek | None = None) -> Profile:
    from ..errors import InputError

    raise InputError("this is a taxonomy (feature id → lineage) with no abundances; give it together "
                     "with its feature table", path)
