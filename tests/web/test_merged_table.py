"""One merged table, many clients (issue #15): each mapped sample becomes that client's own test (only their
column) and report; a failing sample and a client without an upload grant are listed without losing the others."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from gutskin.errors import RefusedError
from gutskin.store import Database
from gutskin.store.models import AuditEvent, BuiltReport, Upload, UploadBlob, User
from gutskin.web import adapter

from ..conftest import FIXTURES
from .conftest import client, invite_code, make_practitioner, signup, token, upload
from .test_api import bearer, make_token

KEFIR = FIXTURES / "metaphlan_merged" / "generated__metaphlan-3.0.14-merge__kefir_v31_3samples.txt"
DUPLICATE_NAMES = FIXTURES / "metaphlan_merged" / "galaxy-iuc__metaphlan2__merged_community_profile.tabular"
S4, S3, S1 = "Subj004_time1_S4_metaphlan3", "Subj003_time1_S3_metaphlan3", "Subj001_time1_S1_metaphlan3"


def _accept(pract, code: str) -> int:
    r = pract.post("/clients", data={"csrf_token": token(pract), "code": code})
    return int(r.url.path.rsplit("/", 1)[1])


@pytest.fixture
def practice(config):
    """A practitioner with two upload grants (one client's e-mail names a sample), one reports-only grant, and a
    person who shares nothing."""
    with client(config) as pract, client(config) as a, client(config) as b, client(config) as c, \
            client(config) as stranger:
        make_practitioner(config, pract, "pract@example.org")
        signup(a, f"{S4.lower()}@example.org")  # the sample id equals this client's e-mail before the @
        signup(b, "b@example.org")
        signup(c, "c@example.org")
        signup(stranger, "stranger@example.org")
        grants = {"a": _accept(pract, invite_code(a, "upload")), "b": _accept(pract, invite_code(b, "upload")),
                  "c": _accept(pract, invite_code(c, "reports"))}
        yield {"pract": pract, "a": a, "b": b, "c": c, "stranger": stranger, "grants": grants, "config": config}


def _rows(config, model, email: str) -> list:
    db = Database(config.database_url)
    try:
        with db.sessions() as s:
            uid = s.scalar(select(User.id).where(User.email == email))
            rows = list(s.scalars(select(model).where(model.user_id == uid)))
            s.expunge_all()
            return rows
    finally:
        db.dispose()


def _mapping_page(pract, upload_id: int) -> str:
    page = pract.get(f"/tests/{upload_id}/clients")
    assert page.status_code == 200
    return page.text


def test_merged_table_page_maps_samples_and_keeps_going_past_failures(practice, monkeypatch):
    pract, g, config = practice["pract"], practice["grants"], practice["config"]
    up = upload(pract, KEFIR.name, KEFIR.read_bytes())
    upload_id = int(up.url.path.rsplit("/", 1)[1])
    assert f'href="/tests/{upload_id}/clients"' in up.text  # the table's page offers it to a practitioner
    html = _mapping_page(pract, upload_id)
    # every sample listed with a chooser; only clients whose grant allows uploading are offered
    assert all(s in html for s in (S4, S3, S1)) and "b@example.org" in html and "c@example.org" not in html
    assert re.search(rf'<option value="{g["a"]}" selected>', html), "the sample id naming a client is pre-chosen"

    real_build = adapter.build

    def build(data, filename, sample, answers):  # the engine refuses one sample; the others must not suffer
        if sample == S3:
            raise RefusedError("this sample is refused (injected for the test)")
        return real_build(data, filename, sample, answers)

    monkeypatch.setattr(adapter, "build", build)
    # S1 goes to a client whose grant allows reports only: the form does not offer it, a forged form is refused
    r = pract.post(f"/tests/{upload_id}/clients", data={"csrf_token": token(pract), "client.0": str(g["a"]),
                                                         "client.1": str(g["b"]), "client.2": str(g["c"])})
    assert r.status_code == 200
    lines = re.findall(r"<li class='(\w+)'><strong>([^<]+)</strong>", r.text)
    assert lines == [("stored", S4), ("failed", S3), ("failed", S1)]  # in table order, each with its outcome
    assert "its report could not be built: this sample is refused" in r.text
    assert "no live grant that allows uploading for this client" in r.text
    assert "1 stored with a report, 2 failed, 0 not mapped" in r.text

    (a_test,) = _rows(config, Upload, f"{S4.lower()}@example.org")
    assert a_test.sample == S4 and a_test.samples == [S4] and a_test.uploaded_by is not None
    (a_blob,) = _rows(config, UploadBlob, f"{S4.lower()}@example.org")
    assert S4.encode() in a_blob.data and S3.encode() not in a_blob.data and S1.encode() not in a_blob.data
    assert len(_rows(config, BuiltReport, f"{S4.lower()}@example.org")) == 1
    (b_test,) = _rows(config, Upload, "b@example.org")  # its own transaction: kept though the report failed
    assert b_test.samples == [S3] and _rows(config, BuiltReport, "b@example.org") == []
    assert _rows(config, Upload, "c@example.org") == []
    assert _rows(config, Upload, "stranger@example.org") == []

    # the client sees the test as theirs, and who uploaded it is in their log
    a = practice["a"]
    assert S4 in a.get("/").text
    db = Database(config.database_url)
    with db.sessions() as s:
        uid = s.scalar(select(User.id).where(User.email == f"{S4.lower()}@example.org"))
        actions = set(s.scalars(select(AuditEvent.action).where(AuditEvent.subject_user_id == uid)))
    db.dispose()
    assert {"upload.create", "client.report.build"} <= actions
    # and the practitioner reads the new report through the grant
    rid = re.search(rf"/clients/{g['a']}/reports/(\d+)", r.text).group(1)
    assert pract.get(f"/clients/{g['a']}/reports/{rid}").status_code == 200


def test_a_table_that_cannot_be_split_stores_nothing(practice):
    pract, g, config = practice["pract"], practice["grants"], practice["config"]
    up = upload(pract, DUPLICATE_NAMES.name, DUPLICATE_NAMES.read_bytes())  # two columns with the same name
    upload_id = int(up.url.path.rsplit("/", 1)[1])
    _mapping_page(pract, upload_id)
    r = pract.post(f"/tests/{upload_id}/clients", data={"csrf_token": token(pract), "client.0": str(g["a"]),
                                                         "client.1": str(g["b"])})
    assert r.text.count("<li class='failed'>") == 2 and "upload one file per client instead" in r.text
    assert _rows(config, Upload, "b@example.org") == [] and _rows(config, Upload, f"{S4.lower()}@example.org") == []


def test_mapping_needs_a_choice_and_the_owner(practice):
    pract, stranger = practice["pract"], practice["stranger"]
    up = upload(pract, KEFIR.name, KEFIR.read_bytes())
    upload_id = int(up.url.path.rsplit("/", 1)[1])
    r = pract.post(f"/tests/{upload_id}/clients", data={"csrf_token": token(pract)})
    assert r.status_code == 400 and "at least one sample" in r.text
    assert stranger.get(f"/tests/{upload_id}/clients").status_code == 404
    r = stranger.post(f"/tests/{upload_id}/clients", data={"csrf_token": token(stranger), "client.0": "1"})
    assert r.status_code == 404
    # a person without upload grants sees why nothing can be sent
    own = upload(stranger, KEFIR.name, KEFIR.read_bytes())
    page = stranger.get(f"/tests/{int(own.url.path.rsplit('/', 1)[1])}/clients")
    assert page.status_code == 200 and "No client has given you a grant" in page.text


def test_merged_table_through_the_api(practice):
    pract, g, config = practice["pract"], practice["grants"], practice["config"]
    lab = make_token(pract)
    files = {"file": (KEFIR.name, KEFIR.read_bytes())}
    r = pract.post("/api/v1/tables", headers=bearer(lab), files=files,
                   data={"clients": json.dumps({S4: g["a"], S1: g["c"]})})
    assert r.status_code == 200, r.text
    out = {s["sample"]: s for s in r.json()["samples"]}
    assert out[S4]["status"] == "stored" and out[S4]["report_id"] and out[S4]["client"].startswith("subj004")
    assert out[S1]["status"] == "failed" and "no live grant" in out[S1]["error"]
    assert out[S3]["status"] == "skipped"
    rep = pract.get(f"/api/v1/clients/{g['a']}/reports/{out[S4]['report_id']}", headers=bearer(lab))
    assert rep.status_code == 200 and rep.json()["sample"] == S4
    assert _rows(config, Upload, "c@example.org") == []
    for bad in ("not json", "[1]", json.dumps({S4: "a"}), "{}"):
        r = pract.post("/api/v1/tables", headers=bearer(lab), files=files, data={"clients": bad})
        assert r.status_code == 400 and "clients" in r.json()["detail"]
    r = pract.post("/api/v1/tables", headers=bearer(lab), files=files, data={"clients": json.dumps({"nope": 1})})
    assert r.status_code == 400 and "nope" in r.json()["detail"]
    read_only = make_token(pract, ("read",))
    r = pract.post("/api/v1/tables", headers=bearer(read_only), files=files,
                   data={"clients": json.dumps({S4: g["a"]})})
    assert r.status_code == 403


def test_progress_streams_from_a_real_server(tmp_path):
    """Through uvicorn: the page's head (title, "Each line appears when…") arrives before any sample is done, and
    the lines follow one by one, so a browser shows progress without JavaScript."""
    import httpx
    from sqlalchemy import update

    from gutskin.store import upgrade

    from ..store.dbutil import fresh_database
    from .test_crash import _logged_in, _port, _serve

    with fresh_database(tmp_path) as url:
        upgrade(url)
        port = _port()
        proc = _serve(url, tmp_path, port)
        try:
            base = f"http://127.0.0.1:{port}"
            pract, person = _logged_in(base, "pract@example.org", True), _logged_in(base, "a@example.org", True)
            db = Database(url)
            with db.sessions() as s, s.begin():
                s.execute(update(User).where(User.email == "pract@example.org").values(role="practitioner"))
            db.dispose()

            def tok(c: httpx.Client) -> str:
                return re.search(r'name="csrf_token" value="([^"]+)"', c.get("/account").text).group(1)

            page = person.post("/account/grants", data={"csrf_token": tok(person), "scope": "upload"})
            code = re.search(r'<strong class="code">([A-Z0-9-]+)</strong>', page.text).group(1)
            gid = pract.post("/clients", data={"csrf_token": tok(pract), "code": code}).url.path.rsplit("/", 1)[1]
            up = pract.post("/tests", data={"csrf_token": tok(pract)}, files={"file": (KEFIR.name, KEFIR.read_bytes())})
            upload_id = up.url.path.rsplit("/", 1)[1]
            form = {"csrf_token": tok(pract), "client.0": gid, "client.1": gid}
            with pract.stream("POST", f"/tests/{upload_id}/clients", data=form) as r:
                chunks = [c for c in r.iter_text() if c]
            assert "Each line appears when" in chunks[0] and "<li class" not in chunks[0]  # the head came first, alone
            body = "".join(chunks)
            assert body.count("<li class='stored'>") == 2 and "2 stored with a report, 0 failed, 1 not mapped" in body
            assert len(chunks) >= 3  # head, the lines as they came, the end
        finally:
            proc.terminate()
            proc.wait(timeout=30)
