"""The web app's configuration: read from the environment by the face (``gutskin serve``), nowhere else.

- ``GUTSKIN_DATABASE_URL``: SQLAlchemy URL (``postgresql+psycopg://user@host/db`` in production); default: a
  SQLite file in the data folder.
- ``GUTSKIN_HOME``: the data folder (SQLite file, generated secret key, lab references); default
  ``~/.local/share/gutskin``.
- ``GUTSKIN_SECRET_KEY``: key for keyed hashes (throttle keys, anonymous CSRF tokens); default: generated once and
  kept in the data folder (mode 0600).
- ``GUTSKIN_MAX_UPLOAD_MB``: the largest upload (default 50).
- ``GUTSKIN_COOKIE_SECURE``: ``0`` only for plain-http hosts other than localhost (drops ``Secure`` and the
  ``__Host-`` prefix); default 1.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ..store.db import database_url_from_env, default_home

CONSENT_VERSION = "2026-12-01"
CONSENT_TEXT = (
    "I agree that gutskin stores and processes the health data I give it — my gut-test files, questionnaire "
    "answers, trial plans and skin diary — to make my reports and trial analyses. It is kept in this service's "
    "database, is not shared with anyone unless I grant access, and I can download all of it or delete my "
    "account (and with it everything) at any time, which withdraws this consent."
)


@dataclass(frozen=True)
class WebConfig:
    database_url: str
    home: Path
    secret_key: bytes
    max_upload_bytes: int = 50 * 1024 * 1024
    cookie_secure: bool = True
    session_idle: dt.timedelta = dt.timedelta(minutes=30)
    session_absolute: dt.timedelta = dt.timedelta(hours=12)
    throttle_window: dt.timedelta = dt.timedelta(minutes=15)
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    signups_per_address: int = 10
    migrate_on_start: bool = True

    @property
    def cookie_name(self) -> str:
        # __Host-: the browser only accepts it Secure, from this host, for path / (no sub-domain can plant it).
        return "__Host-gutskin" if self.cookie_secure else "gutskin_session"

    @property
    def anon_cookie_name(self) -> str:
        return "__Host-gutskin-anon" if self.cookie_secure else "gutskin_anon"

    def with_(self, **changes) -> WebConfig:
        return replace(self, **changes)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ, **overrides) -> WebConfig:
        home = Path(environ.get("GUTSKIN_HOME") or default_home())
        url = overrides.pop("database_url", None) or database_url_from_env(environ, home)
        key = environ.get("GUTSKIN_SECRET_KEY")
        secret = key.encode() if key else _stored_secret(home)
        mb = environ.get("GUTSKIN_MAX_UPLOAD_MB", "")
        cfg = cls(database_url=url, home=home, secret_key=secret,
                  cookie_secure=environ.get("GUTSKIN_COOKIE_SECURE", "1") not in ("0", "false", "no"))
        if mb.replace(".", "", 1).isdigit():
            cfg = replace(cfg, max_upload_bytes=int(float(mb) * 1024 * 1024))
        return replace(cfg, **overrides)


def _stored_secret(home: Path) -> bytes:
    """A random key made on first start and kept (mode 0600) in the data folder."""
    path = home / "secret_key"
    if path.exists():
        return path.read_bytes().strip()
    home.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32).encode()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(value)
    os.replace(tmp, path)
    return value
