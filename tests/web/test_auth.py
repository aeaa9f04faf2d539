"""Accounts and sessions: sign-up with consent, login, cookies, CSRF, throttling, session ending."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from gutskin.store import Database
from gutskin.store.models import Consent, User, WebSession

from .conftest import PASSWORD, alert_of, client, count_rows, csrf_of, signup, token


def _login(c, email, password=PASSWORD):
    page = c.get("/login")
    return c.post("/login", data={"csrf_token": csrf_of(page), "email": email, "password": password})


def test_signup_records_consent_and_sets_a_host_cookie(web, config):
    r = signup(web, "Ann@Example.org")
    assert r.status_code == 200 and "My tests" in r.text
    cookie = r.history[0].headers["set-cookie"]
    assert cookie.startswith("__Host-gutskin=")
    for flag in ("HttpOnly", "Secure", "SameSite=lax", "Path=/"):
        assert flag.lower() in cookie.lower()
    assert "domain" not in cookie.lower()
    value = cookie.split(";")[0].split("=", 1)[1]
    assert len(value) >= 32  # 256 random bits, URL-safe
    db = Database(config.database_url)
    with db.sessions() as s:
        user = s.scalar(select(User).where(User.email == "ann@example.org"))
        assert user.password_hash.startswith("$argon2id$")
        consent = s.scalar(select(Consent).where(Consent.user_id == user.id))
        assert consent.text_version and len(consent.text_sha256) == 64 and consent.given_at is not None
        stored = s.scalars(select(WebSession.id)).all()
        assert value not in stored  # only the hash is stored
    db.dispose()


def test_signup_refuses_bad_input_and_stores_nothing(web, config):
    page = web.get("/signup")
    t = csrf_of(page)
    cases = [({"email": "not-an-email", "password": PASSWORD, "consent": "yes"}, "valid e-mail"),
             ({"email": "b@example.org", "password": "short", "consent": "yes"}, "at least 8"),
             ({"email": "b@example.org", "password": "password123", "consent": "yes"}, "most common"),
             ({"email": "b@example.org", "password": PASSWORD}, "consent")]
    for form, words in cases:
        r = web.post("/signup", data={"csrf_token": t, **form})
        assert r.status_code == 400 and words in alert_of(r), (form, alert_of(r))
    assert count_rows(config, User) == 0
    long_ok = "x y z " * 20  # 120 characters, no composition rules
    r = web.post("/signup", data={"csrf_token": t, "email": "b@example.org", "password": long_ok, "consent": "yes"})
    assert r.status_code == 200 and count_rows(config, User) == 1


def test_post_without_csrf_token_is_refused(web, config):
    r = web.post("/signup", data={"email": "c@example.org", "password": PASSWORD, "consent": "yes"})
    assert r.status_code == 403
    assert count_rows(config, User) == 0


def test_failed_login_says_nothing_about_the_account_and_login_makes_a_new_session(web, config):
    signup(web, "d@example.org")
    old = web.cookies.get("__Host-gutskin")
    unknown = _login(web, "nobody@example.org")
    wrong = _login(web, "d@example.org", "wrong password here")
    assert unknown.status_code == wrong.status_code == 400
    assert alert_of(unknown) == alert_of(wrong)
    ok = _login(web, "d@example.org")
    assert ok.status_code == 200 and "My tests" in ok.text
    new = web.cookies.get("__Host-gutskin")
    assert new and new != old


def test_login_is_throttled_per_account(config):
    with client(config) as c:
        signup(c, "e@example.org")
        c.cookies.clear()
        for _ in range(config.login_failures_per_account):
            assert _login(c, "e@example.org", "not the password").status_code == 400
        r = _login(c, "e@example.org")  # the right password, but locked for now
        assert r.status_code == 429 and "My tests" not in r.text


def test_logout_and_password_change_end_sessions_on_the_server(config):
    with client(config) as a, client(config) as b:
        signup(a, "f@example.org")
        _login(b, "f@example.org")
        assert count_rows(config, WebSession) == 2
        r = a.post("/logout", data={"csrf_token": token(a)})
        assert "Log in" in r.text and count_rows(config, WebSession) == 1
        _login(a, "f@example.org")
        r = a.post("/account/password", data={"csrf_token": token(a), "current_password": PASSWORD,
                                              "new_password": "another long passphrase"})
        assert r.status_code == 200 and count_rows(config, WebSession) == 0
        assert "Log in" in b.get("/account").text  # b's session is gone too
        assert "My tests" in _login(b, "f@example.org", "another long passphrase").text


def test_a_person_can_list_and_end_their_sessions(config):
    with client(config) as a, client(config) as b:
        signup(a, "g@example.org")
        _login(b, "g@example.org")
        page = a.get("/account")
        ends = [u for u in page.text.split('action="')[1:] if u.startswith("/account/sessions/")]
        assert len(ends) == 2
        db = Database(config.database_url)
        with db.sessions() as s:
            ids = set(s.scalars(select(WebSession.id)))
        db.dispose()
        from gutskin.web.security import token_hash

        b_id = (ids - {token_hash(a.cookies.get("__Host-gutskin"))}).pop()
        a.post(f"/account/sessions/{b_id}/end", data={"csrf_token": csrf_of(page)})
        assert count_rows(config, WebSession) == 1
        assert "Log in" in b.get("/account").text and "Account" in a.get("/account").text


def test_idle_session_expires(config):
    with client(config) as c:
        signup(c, "h@example.org")
        db = Database(config.database_url)
        long_ago = dt.datetime.now(dt.UTC) - config.session_idle - dt.timedelta(seconds=1)
        with db.sessions() as s, s.begin():
            s.execute(update(WebSession).values(last_seen_at=long_ago))
        db.dispose()
        assert "Log in" in c.get("/account").text
        assert count_rows(config, WebSession) == 0
