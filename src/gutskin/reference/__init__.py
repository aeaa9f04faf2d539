"""Reference populations: named, sized, method-matched healthy cohorts, and percentiles against them.

    from gutskin import reference
    ref = reference.load("gmhi-healthy-mpa2")
    table = ref.percentiles(profile)
"""

from __future__ import annotations

from .build import build_reference
from .model import Distribution, Reference, TaxonSummary
from .percentiles import percentiles
from .registry import Choice, available, choose, install, load, paths, user_dir

__all__ = ["Choice", "Distribution", "Reference", "TaxonSummary", "available", "build_reference", "choose",
           "install", "load", "paths", "percentiles", "user_dir"]
