"""The store: where people's accounts, uploaded tests, answers, reports and trial diaries live.

``Database(url)`` opens SQLite or PostgreSQL; ``migrate.upgrade(url)`` brings the schema up to date (Alembic, the
only way the schema changes); the models are in :mod:`gutskin.store.models`.
"""

from __future__ import annotations

from typing import Any

from .db import Database, database_url_from_env, sqlite_url


def upgrade(url: str, revision: str = "head", **kw: Any) -> None:
    """:func:`gutskin.store.migrate.upgrade`, imported on call: Alembic costs a web worker ~0.4 s of CPU at start-up,
    and workers never migrate (``gutskin serve`` does, once, before starting them)."""
    from .migrate import upgrade as _upgrade

    _upgrade(url, revision, **kw)

__all__ = ["Database", "database_url_from_env", "sqlite_url", "upgrade"]
