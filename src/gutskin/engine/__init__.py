"""The analysis engine: one driver under every face.

    from gutskin.engine import Settings, Resources, analyse, score
    resources = Resources.load(Settings.from_environ(os.environ))   # once per process
    scores = score(profile)                                         # the `gutskin score` table
    analyses = analyse(profile, resources, questionnaires=q)        # one Analysis per sample

Data flows one way: readers → Profile → engine (metrics, indices, reference, knowledge, safety) → Analysis →
report / export / store. The engine does no I/O and reads no environment (see ``docs/architecture.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .analysis import analyse, gate_for
    from .model import SCHEMA_VERSION, Analysis
    from .resources import Resources, configure_numba, default_resources
    from .scoring import ALL_METRICS, ALPHA_METRICS, GROUPS, INDEX_METRICS, Scores, parse_metrics, score
    from .settings import Settings

#: where each public name lives. They are imported on first use: scoring needs neither the knowledge base nor
#: the insights (a second of imports), and a cohort worker that only scores should not pay for them
_EXPORTS = {
    **dict.fromkeys(("analyse", "gate_for"), ".analysis"),
    **dict.fromkeys(("SCHEMA_VERSION", "Analysis"), ".model"),
    **dict.fromkeys(("Resources", "configure_numba", "default_resources"), ".resources"),
    **dict.fromkeys(("ALL_METRICS", "ALPHA_METRICS", "GROUPS", "INDEX_METRICS", "Scores", "parse_metrics", "score"),
                    ".scoring"),
    "Settings": ".settings",
}


__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)


def taxon_key(name: str, rank: str = "species") -> str:
    """The comparison key of a taxon name at ``rank`` (the one rule both a person and a reference use)."""
    from ..reference.features import taxon_key as _key

    return _key(name, rank)


def current_name(name: str) -> str:
    """The accepted name of a taxon today (old names resolved), underscores as spaces."""
    from ..taxonomy.synonyms import resolve

    return resolve(str(name)).replace("_", " ")

__all__ = ["ALL_METRICS", "ALPHA_METRICS", "GROUPS", "INDEX_METRICS", "SCHEMA_VERSION", "Analysis", "Resources",
           "Scores", "Settings", "analyse", "configure_numba", "current_name", "default_resources", "gate_for",
           "parse_metrics", "score", "taxon_key"]
