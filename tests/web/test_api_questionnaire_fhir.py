"""The API's questionnaire (versioned, same access rules as the pages) and FHIR in the web app (issue #17): the
"my data" zip and the API hand out the Bundle `gutskin export --fhir` makes, and it validates the way tests/export
validates Bundles (fhir.resources R4B models plus the structural checks)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

from gutskin.export.validate import model_errors, structural_errors

from ..conftest import FIXTURES
from .conftest import EXAMPLE, client, invite_code, make_practitioner, signup, token, upload
from .test_api import bearer, make_token

ANSWERS = {"about_you": {"age_group": "adult"}, "skin": {"conditions": [{"condition": "acne"}]}}


def _types(bundle: dict) -> set[str]:
    return {e["resource"]["resourceType"] for e in bundle["entry"]}


def test_questionnaire_api_is_versioned_and_checked(user):
    rw, ro = make_token(user), make_token(user, ("read",))
    assert user.get("/api/v1/questionnaire", headers=bearer(rw)).status_code == 404  # nothing saved yet
    bad = user.put("/api/v1/questionnaire", headers=bearer(rw), json={"answers": {"about_you": {"age": "x"}}})
    assert bad.status_code == 400 and "questionnaire" in bad.json()["detail"]
    assert user.put("/api/v1/questionnaire", headers=bearer(ro), json={"answers": ANSWERS}).status_code == 403
    first = user.put("/api/v1/questionnaire", headers=bearer(rw), json={"answers": ANSWERS})
    assert first.status_code == 200 and first.json()["version"] == 1 and first.json()["answers"] == ANSWERS
    second = user.put("/api/v1/questionnaire", headers=bearer(rw),
                      json={"answers": {"about_you": {"age_group": "adult", "sex": "female"}}})
    assert second.json()["version"] == 2
    assert user.get("/api/v1/questionnaire", headers=bearer(ro)).json()["version"] == 2
    old = user.get("/api/v1/questionnaire?version=1", headers=bearer(ro)).json()
    assert old["answers"] == ANSWERS  # each save is a new row; the old one stays as it was
    assert user.get("/api/v1/questionnaire?version=7", headers=bearer(ro)).status_code == 404
    page = user.get("/questionnaire")  # the page reads the same rows
    assert page.status_code == 200 and "version 2" in page.text.lower()


def test_questionnaire_api_access_rules(config):
    with client(config) as owner, client(config) as other, client(config) as pract:
        signup(owner, "owner@example.org")
        signup(other, "other@example.org")
        make_practitioner(config, pract, "pract@example.org")
        owner.put("/api/v1/questionnaire", headers=bearer(make_token(owner)), json={"answers": ANSWERS})
        other_token = make_token(other)
        assert other.get("/api/v1/questionnaire", headers=bearer(other_token)).status_code == 404  # not the owner's
        code = invite_code(owner, "reports")
        grant_id = int(pract.post("/clients", data={"csrf_token": token(pract), "code": code}).url.path
                       .rsplit("/", 1)[1])
        pt = make_token(pract)
        got = pract.get(f"/api/v1/clients/{grant_id}/questionnaire", headers=bearer(pt))
        assert got.status_code == 200 and got.json()["answers"] == ANSWERS
        assert other.get(f"/api/v1/clients/{grant_id}/questionnaire", headers=bearer(other_token)).status_code == 404
        assert "client.questionnaire.read" in owner.get("/account").text  # the person sees the read in their log
        grants = owner.get("/account/grants").text
        gid = grants.split("/account/grants/")[1].split("/revoke")[0]
        owner.post(f"/account/grants/{gid}/revoke", data={"csrf_token": token(owner)})
        assert pract.get(f"/api/v1/clients/{grant_id}/questionnaire", headers=bearer(pt)).status_code == 404


def _with_trial(c) -> int:
    """An uploaded test, saved answers, and a trial with two diary days; returns the test id."""
    t = token(c)
    c.post("/questionnaire", data={"csrf_token": t, "about_you.age_group": "adult"})
    up = upload(c, "mine.txt", EXAMPLE.read_bytes())
    upload_id = int(up.url.path.rsplit("/", 1)[1])
    start = dt.date.today() - dt.timedelta(days=3)
    tr = c.post("/trials", data={"csrf_token": t, "food": "dairy", "condition": "acne", "start": start.isoformat(),
                                 "design": "ABA"})
    trial_id = int(tr.url.path.rsplit("/", 1)[1])
    for i, score in enumerate(("4", "5")):
        day = (start + dt.timedelta(days=i)).isoformat()
        c.post(f"/trials/{trial_id}/diary", data={"csrf_token": t, "day": day, "revision": "0", "skin_score": score})
    return upload_id


def test_fhir_bundle_from_the_api_and_in_my_data(user):
    upload_id = _with_trial(user)
    rw = make_token(user)
    r = user.get(f"/api/v1/tests/{upload_id}/fhir?pdf=false", headers=bearer(rw))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/fhir+json")
    bundle = r.json()
    assert bundle["resourceType"] == "Bundle" and model_errors(bundle) == [] and structural_errors(bundle) == []
    assert {"DiagnosticReport", "Observation", "Questionnaire", "QuestionnaireResponse", "CarePlan"} <= _types(bundle)
    days = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"
            and "basedOn" in e["resource"]]
    assert len(days) >= 2  # the diary days travel (empty days are kept as dates)
    with client(user.app.state.config) as other:  # another person: 404, not the Bundle
        signup(other, "other@example.org")
        assert other.get(f"/api/v1/tests/{upload_id}/fhir", headers=bearer(make_token(other))).status_code == 404

    z = user.post("/account/export", data={"csrf_token": token(user)})
    assert z.status_code == 200
    with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
        zipped = json.loads(zf.read(f"tests/{upload_id}-fhir/bundle.json"))
    assert model_errors(zipped) == [] and structural_errors(zipped) == []
    assert {"CarePlan", "QuestionnaireResponse"} <= _types(zipped)
    report = next(e["resource"] for e in zipped["entry"] if e["resource"]["resourceType"] == "DiagnosticReport")
    assert {f["contentType"] for f in report["presentedForm"]} == {"text/html", "application/pdf"}


def test_a_test_without_a_chosen_sample_is_said_not_hidden(user):
    table = FIXTURES / "metaphlan_merged" / "generated__metaphlan-3.0.14-merge__kefir_v31_3samples.txt"
    up = upload(user, table.name, table.read_bytes())
    upload_id = int(up.url.path.rsplit("/", 1)[1])
    r = user.get(f"/api/v1/tests/{upload_id}/fhir", headers=bearer(make_token(user)))
    assert r.status_code == 400 and "sample" in r.json()["detail"]
