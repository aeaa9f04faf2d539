"""Fresh, empty databases for the store and web tests: SQLite files by default, PostgreSQL when
``GUTSKIN_TEST_DATABASE_URL`` names a server (``scripts/pg-test-cluster.sh run -- pytest tests/store tests/web``).

Each PostgreSQL test gets its own database, created from ``template0`` and dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gutskin.store import sqlite_url

PG_URL = os.environ.get("GUTSKIN_TEST_DATABASE_URL")


def backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (no tables)."""
    if not PG_URL:
        yield sqlite_url(tmp_path / "test.sqlite3")
        return
    name = "t_" + secrets.token_hex(6)
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
