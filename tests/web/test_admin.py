"""Admin pages: the account list shows no health data; disabling an account ends its sessions and stops its API
tokens at once (and is audited); enabling lets it back in; the audit log shows actions, not their details."""

from __future__ import annotations

from sqlalchemy import select, update

from gutskin.store import Database
from gutskin.store.models import AuditEvent, User

from .conftest import EXAMPLE, PASSWORD, alert_of, client, csrf_of, signup, token, upload
from .test_api import bearer, make_token

SECRET_NAME = "anna-private-profile.txt"


def _make_admin(config, c, email: str = "admin@example.org"):
    signup(c, email)
    db = Database(config.database_url)
    with db.transaction() as s:
        s.execute(update(User).where(User.email == email).values(role="admin"))
    db.dispose()
    return c


def _user_id(config, email: str) -> int:
    db = Database(config.database_url)
    try:
        with db.sessions() as s:
            return s.scalar(select(User.id).where(User.email == email))
    finally:
        db.dispose()


def test_disable_ends_sessions_and_tokens_at_once(config):
    with client(config) as anna, client(config) as admin, client(config) as anna2:
        signup(anna, "anna@example.org")
        up = upload(anna, SECRET_NAME, EXAMPLE.read_bytes())
        assert up.status_code == 200
        api = make_token(anna)
        assert anna.get("/api/v1/tests", headers=bearer(api)).status_code == 200
        _make_admin(config, admin)
        anna_id = _user_id(config, "anna@example.org")

        listing = admin.get("/admin")
        assert listing.status_code == 200 and "anna@example.org" in listing.text
        assert SECRET_NAME not in listing.text and "metaphlan" not in listing.text.lower()

        r = admin.post(f"/admin/users/{anna_id}/disable", data={"csrf_token": token(admin)})
        assert r.status_code == 200 and "disabled" in r.text
        # the very next request of the open session, and of the token, gets nothing
        assert anna.get("/account", follow_redirects=False).headers["location"].endswith("/login")
        assert anna.get("/api/v1/tests", headers=bearer(api)).status_code == 401
        page = anna2.get("/login")
        refused = anna2.post("/login", data={"csrf_token": csrf_of(page), "email": "anna@example.org",
                                             "password": PASSWORD})
        assert refused.status_code == 400 and "My tests" not in refused.text

        log = admin.get("/admin/audit")
        assert log.status_code == 200 and "admin.user.disable" in log.text and "anna@example.org" in log.text
        assert SECRET_NAME not in log.text  # actions are shown, their details (file, checksum, food) are not
        db = Database(config.database_url)
        with db.sessions() as s:
            sha = s.scalar(select(AuditEvent.detail).where(AuditEvent.action == "upload.create"))["sha256"]
        db.dispose()
        assert sha not in log.text

        admin.post(f"/admin/users/{anna_id}/enable", data={"csrf_token": token(admin)})
        back = anna2.post("/login", data={"csrf_token": csrf_of(anna2.get("/login")), "email": "anna@example.org",
                                          "password": PASSWORD})
        assert back.status_code == 200 and "My tests" in back.text
        assert anna.get("/api/v1/tests", headers=bearer(api)).status_code == 200  # the token was never revoked
        assert "admin.user.enable" in admin.get("/admin/audit").text


def test_admin_cannot_disable_itself_and_others_cannot_reach_admin(config):
    with client(config) as admin, client(config) as person:
        _make_admin(config, admin)
        signup(person, "p@example.org")
        me = _user_id(config, "admin@example.org")
        r = admin.post(f"/admin/users/{me}/disable", data={"csrf_token": token(admin)})
        assert r.status_code == 400 and "your own account" in alert_of(r)
        assert admin.get("/admin").status_code == 200
        assert person.get("/admin").status_code == 404
        assert person.post(f"/admin/users/{me}/disable", data={"csrf_token": token(person)}).status_code == 404
        assert admin.post("/admin/users/999999/disable", data={"csrf_token": token(admin)}).status_code == 404
        assert admin.post(f"/admin/users/{me}/disable", data={"csrf_token": "wrong"}).status_code == 403
