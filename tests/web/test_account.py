"""My data: the export holds everything; deleting the account leaves nothing of the person anywhere."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

from sqlalchemy import String, Text, select

from gutskin.store import Database
from gutskin.store.models import AuditEvent, Base, User

from .conftest import EXAMPLE, PASSWORD, alert_of, signup, token, upload


def _fill(c):
    t = token(c)
    c.post("/questionnaire", data={"csrf_token": t, "about_you.age_group": "adult",
                                   "skin.conditions.0.condition": "acne"})
    up = upload(c, "mine.txt", EXAMPLE.read_bytes())
    c.get(up.url.path + "/report")
    start = dt.date.today() - dt.timedelta(days=5)
    tr = c.post("/trials", data={"csrf_token": t, "food": "dairy", "condition": "acne", "start": start.isoformat()})
    for i in range(3):
        c.post(tr.url.path + "/diary", data={"csrf_token": t, "day": (start + dt.timedelta(days=i)).isoformat(),
                                             "revision": "0", "skin_score": "5", "adhered": "yes"})


def test_export_holds_everything(user):
    _fill(user)
    r = user.post("/account/export", data={"csrf_token": token(user)})
    assert r.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    names = zf.namelist()
    assert json.loads(zf.read("account.json"))["email"] == "person@example.org"
    original = next(n for n in names if n.startswith("tests/") and n.endswith("mine.txt"))
    assert zf.read(original) == EXAMPLE.read_bytes()
    assert any(n.startswith("reports/") and n.endswith(".json") for n in names)
    assert any(n.startswith("reports/") and n.endswith(".pdf") and zf.read(n).startswith(b"%PDF") for n in names)
    assert "questionnaire/version-1.json" in names
    diary = next(n for n in names if n.endswith("diary.csv"))
    assert zf.read(diary).decode().count("\n") == 4  # header + 3 days
    assert any(n.endswith("plan.json") for n in names)
    assert any(a["action"] == "upload.create" for a in json.loads(zf.read("audit-log.json")))


def test_delete_account_removes_every_row(user, config):
    _fill(user)
    db = Database(config.database_url)
    with db.sessions() as s:
        uid = s.scalar(select(User.id).where(User.email == "person@example.org"))
    # someone else's data stays
    from .conftest import client

    with client(config) as other:
        signup(other, "stays@example.org")
        upload(other, "theirs.txt", EXAMPLE.read_bytes())
    wrong = user.post("/account/delete", data={"csrf_token": token(user), "password": "wrong one", "confirm": "delete"})
    assert wrong.status_code == 400 and "nothing was deleted" in wrong.text
    r = user.post("/account/delete", data={"csrf_token": token(user), "password": PASSWORD, "confirm": "delete"})
    assert "Your account is deleted" in r.text
    with db.sessions() as s:
        for table in Base.metadata.sorted_tables:
            rows = s.execute(select(table)).all()
            for col in ("user_id", "actor_user_id", "subject_user_id", "grantee_user_id"):
                if col in table.c:
                    assert not [row for row in rows if getattr(row, col) == uid], (table.name, col)
            for row in rows:  # no text anywhere that names them
                for c in table.c:
                    if isinstance(c.type, String | Text):
                        assert "person@example.org" not in str(getattr(row, c.name) or ""), (table.name, c.name)
        assert s.scalar(select(User).where(User.email == "stays@example.org")) is not None
        receipt = s.scalars(select(AuditEvent).where(AuditEvent.action == "account.delete")).all()
        assert len(receipt) == 1 and receipt[0].subject_user_id is None
    db.dispose()
    assert "Log in" in user.get("/account").text
    assert alert_of(user.get("/")) == ""
