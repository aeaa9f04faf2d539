"""``gutskin admin backup FILE`` and ``gutskin admin restore FILE``: the web app's database, SQLite or PostgreSQL.

The commands sit in the ``admin`` group that ``gutskin admin create-user`` opened (cli/serve.py); the work is done
by :mod:`gutskin.store.backup`.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from .serve import _redacted, admin_app


def _url(database_url: str | None) -> str:
    from ..store import database_url_from_env

    return database_url or database_url_from_env(os.environ)


@admin_app.command("backup")
def backup_cmd(
    file: Path = typer.Argument(..., help="The backup file to write (a zip; replaced atomically)."),
    database_url: str | None = typer.Option(None, "--database-url", help="As for gutskin serve."),
) -> None:
    """Back up the whole database to FILE (SQLite: online backup API; PostgreSQL: every table, one snapshot)."""
    from .. import __version__
    from ..store import backup

    url = _url(database_url)
    info = backup.backup(url, file, gutskin_version=__version__)
    typer.echo(f"backed up {_redacted(url)} ({info.backend}, schema {info.revision}, {info.total_rows} rows in "
               f"{len(info.rows)} tables) to {file}", err=True)


@admin_app.command("restore")
def restore_cmd(
    file: Path = typer.Argument(..., help="A file written by gutskin admin backup."),
    database_url: str | None = typer.Option(None, "--database-url", help="As for gutskin serve."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite a database that already holds accounts."),
) -> None:
    """Restore FILE into the database (stop the server first); an older backup is then migrated to this schema."""
    from ..store import backup

    url = _url(database_url)
    info = backup.restore(file, url, replace=replace)
    typer.echo(f"restored {file} ({info.total_rows} rows, schema {info.revision}) into {_redacted(url)}", err=True)
