"""Opening the database: URL resolution, the engine, sessions, and migrating to the current schema.

SQLite is the embedded default (``$GUTSKIN_HOME/gutskin.sqlite3``, WAL mode, foreign keys on); PostgreSQL is the
production database (``postgresql+psycopg://user@host/db``). Faces pass the URL in; nothing here reads the
environment except :func:`database_url_from_env`, which a face calls.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ..errors import InputError

DEFAULT_FILENAME = "gutskin.sqlite3"


def default_home() -> Path:
    return Path.home() / ".local" / "share" / "gutskin"


def database_url_from_env(environ: Mapping[str, str], home: Path | None = None) -> str:
    """``GUTSKIN_DATABASE_URL``, else a SQLite file in the data folder (``GUTSKIN_HOME``)."""
    url = environ.get("GUTSKIN_DATABASE_URL")
    if url:
        return url
    home = home or Path(environ.get("GUTSKIN_HOME") or default_home())
    return sqlite_url(home / DEFAULT_FILENAME)


def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{Path(path).resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; a crash leaves no torn write
    cur.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; safe with WAL
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN until the first write, which breaks SAVEPOINTs and lets a
    # read-then-write interleave; issue BEGIN IMMEDIATE ourselves so each transaction takes the write lock at once.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An engine and a session factory for one database URL."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        try:
            parsed = make_url(url)
        except Exception:
            raise InputError("not a database URL (expected sqlite:///PATH or postgresql+psycopg://...)",
                             field="--database-url") from None
        self.url = url
        self.backend = parsed.get_backend_name()
        if self.backend not in ("sqlite", "postgresql"):
            raise InputError(f"unsupported database {self.backend!r} (SQLite or PostgreSQL)", field="--database-url")
        if self.backend == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False,
                                                                            "timeout": 15})
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # Let SQLAlchemy (not pysqlite) emit BEGIN; see _sqlite_begin.
            event.listen(self.engine, "connect", lambda c, r: setattr(c, "isolation_level", None))
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(url, echo=echo, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back entirely when it raises."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
