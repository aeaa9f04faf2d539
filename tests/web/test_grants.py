"""Consented practitioner access: invite, accept, read (audited), revoke (access ends at once)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gutskin.store import Database
from gutskin.store.models import AuditEvent, Grant

from .conftest import EXAMPLE, alert_of, client, invite_code, make_practitioner, signup, token, upload


def _person_with_data(c):
    signup(c, "client@example.org")
    t = token(c)
    c.post("/questionnaire", data={"csrf_token": t, "about_you.age_group": "adult"})
    up = upload(c, "client-profile.txt", EXAMPLE.read_bytes())
    rep = c.get(up.url.path + "/report")
    start = dt.date.today() - dt.timedelta(days=2)
    tr = c.post("/trials", data={"csrf_token": t, "food": "dairy", "condition": "acne", "start": start.isoformat()})
    c.post(tr.url.path + "/diary", data={"csrf_token": t, "day": start.isoformat(), "revision": "0",
                                         "skin_score": "4"})
    return int(rep.url.path.rsplit("/", 1)[1]), int(tr.url.path.rsplit("/", 1)[1])


def test_invite_accept_read_revoke(config):
    with client(config) as person, client(config) as doc, client(config) as plain:
        report_id, trial_id = _person_with_data(person)
        make_practitioner(config, doc, "doc@example.org")
        signup(plain, "plain@example.org")
        assert plain.get("/clients").status_code == 404  # people are not practitioners

        bad = person.post("/account/grants", data={"csrf_token": token(person), "scope": "everything"})
        assert bad.status_code == 400
        code = invite_code(person, "reports_diary")
        wrong = doc.post("/clients", data={"csrf_token": token(doc), "code": "AAAA-BBBB-CCCC-DDDD"})
        assert wrong.status_code == 400 and "not valid" in alert_of(wrong)
        acc = doc.post("/clients", data={"csrf_token": token(doc), "code": code.lower()})
        assert acc.status_code == 200 and "client@example.org" in acc.text
        g = acc.url.path
        again = doc.post("/clients", data={"csrf_token": token(doc), "code": code})
        assert again.status_code == 400  # one-time

        listing = doc.get("/clients")
        assert "client@example.org" in listing.text and "1 of 3 days" in listing.text
        rep = doc.get(f"{g}/reports/{report_id}")
        assert rep.status_code == 200 and "Your gut microbiome and your skin" in rep.text and "Read-only" in rep.text
        tr = doc.get(f"{g}/trials/{trial_id}")
        assert tr.status_code == 200 and "Phases" in tr.text and "/diary?day=" not in tr.text
        assert doc.get(f"/reports/{report_id}").status_code == 404  # only through the grant

        log = person.get("/account").text
        for action in ("grant.invite", "grant.accept", "client.report.read", "client.trial.read"):
            assert action in log

        grants = person.get("/account/grants")
        gid = int(g.rsplit("/", 1)[1])
        person.post(f"/account/grants/{gid}/revoke", data={"csrf_token": token(person)})
        for url in (g, f"{g}/reports/{report_id}", f"{g}/trials/{trial_id}"):
            r = doc.get(url)
            assert r.status_code == 404 and "client-profile" not in r.text
        assert "client@example.org" not in doc.get("/clients").text
        assert "stopped" in person.get("/account/grants").text and grants.status_code == 200


def test_scope_reports_only_hides_the_diary(config):
    with client(config) as person, client(config) as doc:
        report_id, trial_id = _person_with_data(person)
        make_practitioner(config, doc, "doc2@example.org")
        code = invite_code(person, "reports")
        g = doc.post("/clients", data={"csrf_token": token(doc), "code": code}).url.path
        assert doc.get(f"{g}/reports/{report_id}").status_code == 200
        assert doc.get(f"{g}/trials/{trial_id}").status_code == 404
        db = Database(config.database_url)
        with db.sessions() as s:
            grant = s.scalar(select(Grant))
            assert grant.invite_code_hash is None and grant.accepted_at is not None
            assert s.scalar(select(AuditEvent).where(AuditEvent.action == "client.report.read")) is not None
        db.dispose()
