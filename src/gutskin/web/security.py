"""Passwords, server-side sessions, CSRF tokens and throttling.

Sessions: the cookie holds 256 random bits; the database keeps only their SHA-256, so a leaked database cannot be
replayed as cookies. A session ends on the server at logout, password change, account deletion, after
``session_idle`` without a request, and ``session_absolute`` after login whatever happens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..store.models import Throttle, User, WebSession, utcnow
from .config import WebConfig

MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # long passphrases welcome; the cap only stops hashing megabytes

# argon2-cffi's defaults are argon2id, t=3, m=64 MiB, p=4: above the OWASP minimum (m=19 MiB, t=2, p=1).
_hasher = PasswordHasher()
# Verifying against this keeps a failed login for an unknown e-mail as slow as for a known one.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("gutskin.web").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why this password is refused, or None. Length and commonness only: no composition rules."""
    if len(password) < MIN_PASSWORD:
        return f"the password must have at least {MIN_PASSWORD} characters (15 or more is better)"
    if len(password) > MAX_PASSWORD:
        return f"the password must have at most {MAX_PASSWORD} characters"
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) < 3:
        return "this password is one of the most common ones; please choose another (a few random words work well)"
    if email and lowered == email.lower():
        return "the password must not be your e-mail address"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keyed(config: WebConfig, value: str) -> str:
    """A keyed hash (HMAC-SHA256), for keys that must not reveal an e-mail or address."""
    return hmac.new(config.secret_key, value.encode(), hashlib.sha256).hexdigest()[:40]


# ------------------------------------------------------------------------------------------ sessions
def start_session(db: Session, user: User, config: WebConfig, ip: str | None, agent: str | None) -> str:
    """A new session (always a new id: no session fixation). Returns the cookie value."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(WebSession(id=token_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32), created_at=now,
                      last_seen_at=now, expires_at=now + config.session_absolute, ip=ip,
                      user_agent=(agent or "")[:300]))
    return token


def load_session(db: Session, token: str | None, config: WebConfig) -> WebSession | None:
    """The live session for a cookie value, touched; an expired one is deleted."""
    if not token or len(token) > 100:
        return None
    row = db.get(WebSession, token_hash(token))
    if row is None:
        return None
    now = utcnow()
    if now >= row.expires_at or now - row.last_seen_at >= config.session_idle:
        db.delete(row)
        return None
    user = db.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        db.delete(row)
        return None
    if (now - row.last_seen_at).total_seconds() > 30:  # fewer writes: the idle clock needs no finer grain
        row.last_seen_at = now
    return row


def end_sessions(db: Session, user_id: int, keep: str | None = None) -> int:
    stmt = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep)
    return db.execute(stmt).rowcount or 0


# ------------------------------------------------------------------------------------------ CSRF
def anon_csrf(config: WebConfig, anon_cookie: str) -> str:
    """The form token for pages without a session: bound to the visitor's anonymous cookie by the secret key."""
    return keyed(config, "csrf:" + anon_cookie)


def tokens_equal(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


# ------------------------------------------------------------------------------------------ throttling
def throttled(db: Session, key: str, limit: int, window: dt.timedelta) -> bool:
    since = utcnow() - window
    n = db.scalar(select(func.count()).select_from(Throttle).where(Throttle.key == key, Throttle.at >= since))
    return (n or 0) >= limit


def record_attempt(db: Session, key: str) -> None:
    db.add(Throttle(key=key))


def clear_attempts(db: Session, key: str) -> None:
    db.execute(delete(Throttle).where(Throttle.key == key))
