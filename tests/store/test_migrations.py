"""Alembic migrations are the only way the schema changes: head equals the models, and every step goes back."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from gutskin.store.migrate import downgrade, revisions, upgrade
from gutskin.store.models import Base


def _diff(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_head_on_empty_database_equals_the_models(empty_url):
    upgrade(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables)
    assert _diff(empty_url) == []


def test_every_migration_downgrades_and_upgrades_again(empty_url):
    revs = revisions()
    assert revs, "no migrations found"
    upgrade(empty_url)
    for i in range(len(revs) - 1, -1, -1):  # step down one revision at a time
        downgrade(empty_url, revs[i - 1] if i > 0 else "base")
    assert _tables(empty_url) == set()
    upgrade(empty_url)
    assert _diff(empty_url) == []
