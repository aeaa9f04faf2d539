"""The web app on a fresh database (SQLite, or PostgreSQL when GUTSKIN_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gutskin.store import Database
from gutskin.web.app import create_app
from gutskin.web.config import WebConfig

from ..store.dbutil import fresh_database

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "SRR1761667_metaphlan.txt"
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ALERT = re.compile(r'class="alert" role="alert">(.*?)</p>', re.S)


def make_config(url: str, home: Path, **kw) -> WebConfig:
    return WebConfig(database_url=url, home=home, secret_key=b"test-secret-key-0123456789abcdef", **kw)


def csrf_of(resp) -> str:
    m = CSRF.search(resp.text)
    assert m, f"no CSRF token on {resp.url}"
    return m.group(1)


def alert_of(resp) -> str:
    m = ALERT.search(resp.text)
    return m.group(1) if m else ""


def client(config: WebConfig) -> TestClient:
    # https: the session cookie is Secure and __Host-, so the client must talk https to get it back.
    return TestClient(create_app(config), base_url="https://testserver", follow_redirects=True)


def signup(c: TestClient, email: str, password: str = PASSWORD):
    page = c.get("/signup")
    return c.post("/signup", data={"csrf_token": csrf_of(page), "email": email, "password": password,
                                   "consent": "yes"})


def token(c: TestClient) -> str:
    return csrf_of(c.get("/account"))


def upload(c: TestClient, name: str, data: bytes):
    return c.post("/tests", data={"csrf_token": token(c)}, files={"file": (name, data)})


@pytest.fixture
def config(tmp_path):
    with fresh_database(tmp_path) as url:
        yield make_config(url, tmp_path)


@pytest.fixture
def web(config):
    with client(config) as c:
        yield c


@pytest.fixture
def user(web):
    r = signup(web, "person@example.org")
    assert r.status_code == 200 and "My tests" in r.text
    return web


def count_rows(config: WebConfig, model) -> int:
    from sqlalchemy import func, select

    db = Database(config.database_url)
    try:
        with db.sessions() as s:
            return s.scalar(select(func.count()).select_from(model))
    finally:
        db.dispose()


def make_practitioner(config: WebConfig, c: TestClient, email: str) -> TestClient:
    """Sign ``c`` up as ``email`` and give the account the practitioner role (as `gutskin admin` would)."""
    from sqlalchemy import update

    from gutskin.store.models import User

    signup(c, email)
    db = Database(config.database_url)
    with db.sessions() as s, s.begin():
        s.execute(update(User).where(User.email == email).values(role="practitioner"))
    db.dispose()
    return c


def invite_code(c: TestClient, scope: str) -> str:
    page = c.post("/account/grants", data={"csrf_token": token(c), "scope": scope})
    m = re.search(r'<strong class="code">([A-Z0-9-]+)</strong>', page.text)
    assert m, page.text[:500]
    return m.group(1)
