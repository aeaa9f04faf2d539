"""Resources loaded once per process (a CLI call, a web worker's lifespan, a Dask worker).

:class:`Resources` is frozen: the knowledge base, the synonym table and the reference store are shared
read-only between threads. :func:`default_resources` is the cached per-process instance built from
default settings; faces that read the environment build their own with :meth:`Resources.load`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ..indices import IndexInfo
from ..knowledge.base import KnowledgeBase
from ..knowledge.loader import load_kb
from ..metrics.composition import definitions as guild_definitions
from ..taxonomy.synonyms import SynonymTable
from ..taxonomy.synonyms import load as load_synonyms
from .references import ReferenceStore
from .settings import Settings


@dataclass(frozen=True)
class Resources:
    settings: Settings
    knowledge: KnowledgeBase
    references: ReferenceStore
    synonyms: SynonymTable = field(repr=False)
    guilds: Any = field(repr=False, default=None)  # composition guild definitions (metrics/data/composition.yaml)
    index_info: dict[str, IndexInfo] = field(default_factory=dict)  # each index module's title, source, cut-off

    @classmethod
    def load(cls, settings: Settings | None = None) -> Resources:
        settings = settings or Settings()
        from .scoring import INDEX_INFO

        return cls(settings=settings, knowledge=load_kb(), references=ReferenceStore(settings.references_dir),
                   synonyms=load_synonyms(), guilds=guild_definitions(), index_info=dict(INDEX_INFO))


_default: dict[Settings, Resources] = {}
_lock = threading.Lock()


def default_resources(settings: Settings | None = None) -> Resources:
    """The per-process :class:`Resources` for ``settings`` (default settings when ``None``), loaded once."""
    settings = settings or Settings()
    with _lock:
        res = _default.get(settings)
        if res is None:
            res = _default[settings] = Resources.load(settings)
    return res


def configure_numba(settings: Settings) -> None:
    """Point numba's kernel cache at ``settings.numba_cache_dir``.

    numba fixes the cache location of a kernel when its module is imported, so this only affects kernels
    imported afterwards; a face that must redirect the shipped kernels (a read-only install) sets
    ``NUMBA_CACHE_DIR`` before importing gutskin (the CLI maps ``GUTSKIN_NUMBA_CACHE_DIR`` onto it at start-up).
    """
    if settings.numba_cache_dir is None:
        return
    try:
        from numba.core import config
    except ImportError:  # numba is an optional extra
        return
    settings.numba_cache_dir.mkdir(parents=True, exist_ok=True)
    config.CACHE_DIR = str(settings.numba_cache_dir)
