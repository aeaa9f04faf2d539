"""Backups of the store: ``backup(url, path)`` and ``restore(path, url)`` for SQLite and PostgreSQL.

A backup is one zip file, written atomically (a temporary file beside the target, renamed at the end):

- ``gutskin-backup.json`` — the manifest: format name and version, the database kind, the Alembic revision of the
  schema, the gutskin version that wrote it, the time, and the number of rows per table.
- SQLite: ``database.sqlite3``, a consistent copy made with SQLite's online backup API (readers and the writer of a
  running server are not stopped; the copy is one point in time).
- PostgreSQL: ``tables/<name>.jsonl``, every row of every table, read in one ``REPEATABLE READ`` read-only transaction
  (one snapshot), at the SQLAlchemy level — so no ``pg_dump`` of the server's exact major version has to be
  installed beside gutskin, and the file is checked and restored by the same code that wrote it.

``restore`` refuses, in one line, a file that is not a gutskin backup, one made for the other kind of database, and
one whose schema is newer than this gutskin knows. An older backup is restored at its own schema revision and then
migrated to the current one. The target must be empty or ``replace=True`` given (its tables are then dropped first).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, create_engine, func, inspect, select, text
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import make_url

from ..errors import InputError
from ..io import atomic_path
from . import migrate

FORMAT = "gutskin-backup"
FORMAT_VERSION = 1
MANIFEST = "gutskin-backup.json"
SQLITE_MEMBER = "database.sqlite3"
VERSION_TABLE = "alembic_version"
BATCH = 500


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    backend: str
    revision: str
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _backend(url: str) -> str:
    try:
        name = make_url(url).get_backend_name()
    except Exception:
        raise InputError("not a database URL (expected sqlite:///PATH or postgresql+psycopg://...)",
                         field="--database-url") from None
    if name not in ("sqlite", "postgresql"):
        raise InputError(f"unsupported database {name!r} (SQLite or PostgreSQL)", field="--database-url")
    return name


def _sqlite_file(url: str) -> Path:
    db = make_url(url).database
    if not db or db == ":memory:":
        raise InputError("a SQLite backup or restore needs a database file, not an in-memory database",
                         field="--database-url")
    return Path(db)


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def _check_current(revision: str | None, url: str) -> str:
    known = migrate.revisions()
    if revision is None:
        raise InputError("the database has no gutskin schema (nothing to back up)", field="--database-url")
    if revision != known[-1]:
        raise InputError(f"the database is at schema {revision}, not the current {known[-1]}; run gutskin serve "
                         "or gutskin admin with the matching gutskin version first", field="--database-url")
    return revision


# ------------------------------------------------------------------------------------------ values <-> JSON
def _encode(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def _decoder(column_type: sqltypes.TypeEngine) -> Any:
    """How to turn a JSON value back into what the (reflected) column takes."""
    if isinstance(column_type, sqltypes.LargeBinary):
        return lambda v: None if v is None else base64.b64decode(v)
    if isinstance(column_type, sqltypes.DateTime):
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if isinstance(column_type, sqltypes.Date):
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    return lambda v: v


# ------------------------------------------------------------------------------------------ backup
def backup(url: str, path: str | Path, *, gutskin_version: str = "") -> BackupInfo:
    """Write a backup of the database at ``url`` to ``path`` (atomically)."""
    kind = _backend(url)
    path = Path(path)
    manifest: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION, "backend": kind,
                                "gutskin_version": gutskin_version,
                                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        if kind == "sqlite":
            revision, rows = _backup_sqlite(url, zf)
        else:
            revision, rows = _backup_tables(url, zf)
        manifest.update(revision=revision, rows=rows)
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2))
    return BackupInfo(path=path, backend=kind, revision=revision, rows=rows)


def _backup_sqlite(url: str, zf: zipfile.ZipFile) -> tuple[str, dict[str, int]]:
    source = _sqlite_file(url)
    if not source.is_file():
        raise InputError("no such database file", path=source)
    with tempfile.TemporaryDirectory(prefix="gutskin-backup-") as folder:
        copy = Path(folder) / SQLITE_MEMBER
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(copy)
        try:
            src.backup(dst)  # the online backup API: a consistent copy while the server keeps running
        finally:
            src.close()
        try:
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            dst.close()
        engine = create_engine(f"sqlite+pysqlite:///{copy}")
        try:
            with engine.connect() as conn:
                revision = _check_current(_revision(conn), url)
                rows = _row_counts(conn)
        finally:
            engine.dispose()
        zf.write(copy, SQLITE_MEMBER)
    return revision, rows


def _row_counts(conn: Connection) -> dict[str, int]:
    meta = MetaData()
    meta.reflect(conn)
    return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in meta.sorted_tables if t.name != VERSION_TABLE}


def _backup_tables(url: str, zf: zipfile.ZipFile) -> tuple[str, dict[str, int]]:
    engine = create_engine(url)
    rows: dict[str, int] = {}
    try:
        # One snapshot for every table: writes during the backup are either wholly in it or wholly not.
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            revision = _check_current(_revision(conn), url)
            meta = MetaData()
            meta.reflect(conn)
            for table in meta.sorted_tables:
                if table.name == VERSION_TABLE:
                    continue
                order = list(table.primary_key.columns) or list(table.columns)
                n = 0
                with zf.open(f"tables/{table.name}.jsonl", "w") as out:
                    result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
                    for row in result.mappings():
                        out.write(json.dumps({k: _encode(v) for k, v in row.items()}).encode() + b"\n")
                        n += 1
                rows[table.name] = n
            conn.rollback()
    finally:
        engine.dispose()
    return revision, rows


# ------------------------------------------------------------------------------------------ restore
def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a backup file, after checking that it is one this gutskin can restore."""
    path = Path(path)
    not_ours = InputError("not a gutskin backup (made by gutskin admin backup)", path=path)
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read(MANIFEST))
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a backup file", path=path) from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise not_ours from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise not_ours
    if manifest.get("format_version") != FORMAT_VERSION or manifest.get("backend") not in ("sqlite", "postgresql"):
        raise InputError(f"a backup format this gutskin does not know (format version "
                         f"{manifest.get('format_version')!r}); restore it with a newer gutskin", path=path)
    known = migrate.revisions()
    if manifest.get("revision") not in known:
        raise InputError(f"the backup's schema ({manifest.get('revision')}) is newer than this gutskin knows "
                         f"(newest {known[-1]}); restore it with the gutskin version that made it "
                         f"({manifest.get('gutskin_version') or 'unknown'}) or a newer one", path=path)
    return manifest


def restore(path: str | Path, url: str, *, replace: bool = False) -> BackupInfo:
    """Restore the backup at ``path`` into the database at ``url``; the schema is then migrated to the newest."""
    path = Path(path)
    manifest = read_manifest(path)
    kind = _backend(url)
    if manifest["backend"] != kind:
        raise InputError(f"this is a {manifest['backend']} backup; restore it into a {manifest['backend']} "
                         f"database (the target is {kind})", path=path)
    if kind == "sqlite":
        _restore_sqlite(path, url, manifest, replace)
    else:
        _restore_tables(path, url, manifest, replace)
    migrate.upgrade(url)  # an older backup comes up to today's schema
    return BackupInfo(path=path, backend=kind, revision=manifest["revision"], rows=manifest["rows"])


def _refuse_if_in_use(conn: Connection, url: str, replace: bool) -> None:
    if replace or not inspect(conn).has_table("users"):
        return
    n = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
    if n:
        raise InputError(f"the target database holds {n} account(s); give --replace to overwrite it",
                         field="--database-url")


def _restore_sqlite(path: Path, url: str, manifest: dict[str, Any], replace: bool) -> None:
    target = _sqlite_file(url)
    with tempfile.TemporaryDirectory(prefix="gutskin-restore-") as folder:
        copy = Path(folder) / SQLITE_MEMBER
        try:
            with zipfile.ZipFile(path) as zf, zf.open(SQLITE_MEMBER) as src, open(copy, "wb") as out:
                shutil.copyfileobj(src, out)
        except (KeyError, zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"the backup is damaged ({exc})", path=path) from None
        src = sqlite3.connect(copy)
        try:
            ok = src.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            revision = src.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
        except sqlite3.DatabaseError:
            ok, revision = False, None
        if not ok or revision is None or revision[0] != manifest["revision"]:
            src.close()
            raise InputError("the backup is damaged (its database does not match its manifest)", path=path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            engine = create_engine(f"sqlite+pysqlite:///{target}")
            try:
                with engine.connect() as conn:
                    _refuse_if_in_use(conn, url, replace)
            finally:
                engine.dispose()
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)  # page by page into the target, under its write lock; replaces every table
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
            src.close()


def _jsonl(zf: zipfile.ZipFile, name: str) -> Iterator[dict[str, Any]]:
    with zf.open(name) as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _restore_tables(path: Path, url: str, manifest: dict[str, Any], replace: bool) -> None:
    # PostgreSQL's DDL is transactional: dropping the old tables, creating the backup's schema, loading the rows and
    # migrating to the newest schema are one transaction, so a damaged backup leaves the target as it was.
    engine = create_engine(url)
    try:
        with zipfile.ZipFile(path) as zf, engine.begin() as conn:
            _refuse_if_in_use(conn, url, replace)
            old = MetaData()
            old.reflect(conn)
            old.drop_all(conn)
            migrate.upgrade(url, manifest["revision"], connection=conn)
            meta = MetaData()
            meta.reflect(conn)
            names = {t.name for t in meta.sorted_tables} - {VERSION_TABLE}
            if set(manifest["rows"]) != names:
                raise InputError("the backup is damaged (its tables do not match its schema revision)", path=path)
            for table in meta.sorted_tables:  # parents before children: foreign keys hold at every insert
                if table.name != VERSION_TABLE:
                    _load_table(conn, zf, table, manifest["rows"][table.name], path)
            migrate.upgrade(url, "head", connection=conn)
    finally:
        engine.dispose()


def _load_table(conn: Connection, zf: zipfile.ZipFile, table: Any, expected: int, path: Path) -> None:
    decode = {c.name: _decoder(c.type) for c in table.columns}
    batch: list[dict[str, Any]] = []
    n = 0
    try:
        for row in _jsonl(zf, f"tables/{table.name}.jsonl"):
            batch.append({k: decode[k](v) for k, v in row.items()})
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                n, batch = n + len(batch), []
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(f"the backup is damaged (table {table.name}: {exc})", path=path) from None
    if batch:
        conn.execute(table.insert(), batch)
        n += len(batch)
    if n != expected:
        raise InputError(f"the backup is damaged (table {table.name}: {n} rows, the manifest says {expected})",
                         path=path)
    _reset_sequence(conn, table)


def _reset_sequence(conn: Connection, table: Any) -> None:
    """Rows came in with their ids; the id sequence must continue after the largest one."""
    pk = list(table.primary_key.columns)
    if len(pk) != 1 or not isinstance(pk[0].type, sqltypes.Integer):
        return
    col = pk[0].name
    seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": col}).scalar()
    if seq:
        conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT max("{col}") FROM "{table.name}"), 0) + 1, false)'),
                     {"s": seq})
