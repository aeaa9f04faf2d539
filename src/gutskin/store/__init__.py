"""The store: where people's accounts, uploaded tests, answers, reports and trial diaries live.

``Database(url)`` opens SQLite or PostgreSQL; ``migrate.upgrade(url)`` brings the schema up to date (Alembic, the
only way the schema changes); the models are in :mod:`gutskin.store.models`.
"""

from __future__ import annotations

from .db import Database, database_url_from_env, sqlite_url
from .migrate import upgrade

__all__ = ["Database", "database_url_from_env", "sqlite_url", "upgrade"]
