"""The JSON API: tokens (hashed, scoped, expiring, revocable), tests/reports/diary endpoints, the lab workflow for a
client through a grant, and the committed OpenAPI document."""

from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import select

from gutskin.store import Database
from gutskin.store.models import ApiToken, Upload
from gutskin.web.routes_api import openapi_document

from ..conftest import FIXTURES, ROOT
from .conftest import alert_of, client, count_rows, invite_code, make_practitioner, signup, token

KRAKEN = FIXTURES / "kraken2" / "multiqc__sample_01.report.txt"


def make_token(c, scopes=("read", "write"), days="30") -> str:
    r = c.post("/account/tokens", data={"csrf_token": token(c), "name": "script", "scope": list(scopes),
                                        "days": days})
    m = re.search(r'<code class="code">(gsk_[^<]+)</code>', r.text)
    assert m, alert_of(r)
    return m.group(1)


def bearer(t: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {t}"}


def test_openapi_document_is_committed_and_current():
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(openapi_document())), \
        "docs/openapi.json is stale: python -m gutskin.web.routes_api > docs/openapi.json"


def test_tokens_are_hashed_scoped_and_revocable(user, config):
    for form, words in (({"name": "", "scope": ["read"], "days": "30"}, "name"),
                        ({"name": "x", "days": "30"}, "scope"),
                        ({"name": "x", "scope": ["read"], "days": "0"}, "1 to")):
        r = user.post("/account/tokens", data={"csrf_token": token(user), **form})
        assert r.status_code == 400 and words in alert_of(r)
    assert count_rows(config, ApiToken) == 0
    read_only = make_token(user, ("read",))
    db = Database(config.database_url)
    with db.sessions() as s:
        stored = s.scalar(select(ApiToken))
        assert read_only not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64
    db.dispose()
    assert user.get("/api/v1/tests").status_code == 401  # a cookie is not an API token
    assert user.get("/api/v1/tests", headers=bearer("gsk_nope")).status_code == 401
    assert user.get("/api/v1/tests", headers=bearer(read_only)).json() == []
    r = user.post("/api/v1/tests", headers=bearer(read_only), files={"file": ("k.txt", KRAKEN.read_bytes())})
    assert r.status_code == 403 and count_rows(config, Upload) == 0
    page = user.get("/account/tokens")
    tid = re.search(r'/account/tokens/(\d+)/revoke', page.text).group(1)
    user.post(f"/account/tokens/{tid}/revoke", data={"csrf_token": token(user)})
    assert user.get("/api/v1/tests", headers=bearer(read_only)).status_code == 401


def test_person_api_upload_report_and_diary(user, config):
    t = make_token(user)
    bad = user.post("/api/v1/tests", headers=bearer(t), files={"file": ("x.txt", b"not a profile\n")})
    assert bad.status_code == 400 and "not a recognised profile format" in bad.json()["detail"]
    assert count_rows(config, Upload) == 0
    up = user.post("/api/v1/tests", headers=bearer(t), files={"file": (KRAKEN.name, KRAKEN.read_bytes())})
    assert up.status_code == 201, up.text
    test = up.json()
    assert test["format"] and test["sample"]
    ref = user.post(f"/api/v1/tests/{test['id']}/report", headers=bearer(t))
    assert ref.status_code == 200, ref.text
    rep = user.get(f"/api/v1/reports/{ref.json()['id']}", headers=bearer(t)).json()
    assert rep["schema_version"] and rep["sample"] == test["sample"]
    pdf = user.get(f"/api/v1/reports/{ref.json()['id']}/pdf", headers=bearer(t))
    assert pdf.content.startswith(b"%PDF")
    user.post("/questionnaire", data={"csrf_token": token(user), "about_you.age_group": "adult"})
    start = dt.date.today() - dt.timedelta(days=3)
    user.post("/trials", data={"csrf_token": token(user), "food": "dairy", "condition": "acne",
                               "start": start.isoformat()})
    trial = user.get("/api/v1/trials", headers=bearer(t)).json()[0]
    url = f"/api/v1/trials/{trial['id']}/diary/{start.isoformat()}"
    assert user.put(url, headers=bearer(t), json={"skin_score": 4}).json()["revision"] == 1
    assert user.put(url, headers=bearer(t), json={"skin_score": 5}).status_code == 409  # same day again
    assert user.put(url, headers=bearer(t), json={"skin_score": 5, "revision": 1}).json()["revision"] == 2
    assert user.put(url, headers=bearer(t), json={"skin_score": 11, "revision": 2}).status_code == 422
    future = f"/api/v1/trials/{trial['id']}/diary/{(dt.date.today() + dt.timedelta(days=1)).isoformat()}"
    assert user.put(future, headers=bearer(t), json={"skin_score": 3}).status_code == 400
    assert [d["skin_score"] for d in user.get(f"/api/v1/trials/{trial['id']}/diary", headers=bearer(t)).json()] \
        == [5]


def test_lab_workflow_through_a_grant(config):
    with client(config) as person, client(config) as lab:
        signup(person, "client@example.org")
        make_practitioner(config, lab, "lab@example.org")
        code = invite_code(person, "upload")
        gid = int(lab.post("/clients", data={"csrf_token": token(lab), "code": code}).url.path.rsplit("/", 1)[1])
        t = make_token(lab)
        up = lab.post(f"/api/v1/clients/{gid}/tests", headers=bearer(t),
                      files={"file": (KRAKEN.name, KRAKEN.read_bytes())})
        assert up.status_code == 201, up.text
        ref = lab.post(f"/api/v1/clients/{gid}/tests/{up.json()['id']}/report", headers=bearer(t))
        assert ref.status_code == 200, ref.text
        rid = ref.json()["id"]
        assert lab.get(f"/api/v1/clients/{gid}/reports/{rid}", headers=bearer(t)).json()["sample"]
        assert lab.get(f"/api/v1/clients/{gid}/reports/{rid}/pdf", headers=bearer(t)).content.startswith(b"%PDF")
        assert lab.get(f"/api/v1/reports/{rid}", headers=bearer(t)).status_code == 404  # not the lab's own
        # the person sees the upload as theirs, and the lab's access in their log
        assert KRAKEN.name in person.get("/").text
        assert "client.report.read" in person.get("/account").text
        person.post(f"/account/grants/{gid}/revoke", data={"csrf_token": token(person)})
        r = lab.get(f"/api/v1/clients/{gid}/reports/{rid}", headers=bearer(t))
        assert r.status_code == 404 and "sample" not in r.text
