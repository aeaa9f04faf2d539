"""Alembic environment: migrates the database named in the config with gutskin's own metadata."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from gutskin.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:  # a caller's connection inside its own transaction (store.backup: one-transaction restore)
        context.configure(connection=given, target_metadata=target_metadata, render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # batch table rebuilds need it off
            connection.commit()  # end the autobegun transaction, so Alembic's own commits the migration
        # render_as_batch: SQLite can only change a table by rebuilding it; Alembic's batch mode does that.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
