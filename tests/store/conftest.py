from __future__ import annotations

import pytest

from gutskin.store import Database, upgrade

from .dbutil import fresh_database


@pytest.fixture
def empty_url(tmp_path):
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def db(empty_url):
    upgrade(empty_url)
    database = Database(empty_url)
    yield database
    database.dispose()
