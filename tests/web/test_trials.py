"""Questionnaire versions, reports, the safety gate, trial plans and the diary."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gutskin.store import Database
from gutskin.store.models import BuiltReport, DiaryEntry, DiaryRevision, QuestionnaireAnswers, TrialPlan

from .conftest import EXAMPLE, alert_of, count_rows, token, upload

TODAY = dt.date.today()


def _adult(c):
    c.post("/questionnaire", data={"csrf_token": token(c), "about_you.age_group": "adult"})


def _start_trial(c, start: dt.date, food: str = "dairy", condition: str = "acne"):
    return c.post("/trials", data={"csrf_token": token(c), "food": food, "condition": condition,
                                   "start": start.isoformat(), "design": "ABA"})


def _diary(c, trial_path: str, day: dt.date, skin, revision: int = 0, **extra):
    return c.post(trial_path + "/diary", data={"csrf_token": token(c), "day": day.isoformat(),
                                               "revision": str(revision), "skin_score": str(skin), **extra})


def test_questionnaire_saves_new_versions_and_refuses_bad_values(user, config):
    t = token(user)
    r = user.post("/questionnaire", data={"csrf_token": t, "about_you.age_group": "adult",
                                          "skin.conditions.0.condition": "acne"})
    assert r.status_code == 200 and "Saved." in r.text
    user.post("/questionnaire", data={"csrf_token": t, "about_you.age_group": "adult", "diet.pattern": "vegan"})
    bad = [{"diet.plant_types_per_week": "many"}, {"diet.dairy_servings_per_day": "99"},
           {"about_you.age_group": "toddler"}, {"skin.conditions.0.severity": "mild"}]
    for form in bad:
        r = user.post("/questionnaire", data={"csrf_token": t, **form})
        assert r.status_code == 400 and alert_of(r), form
    db = Database(config.database_url)
    with db.sessions() as s:
        rows = s.scalars(select(QuestionnaireAnswers).order_by(QuestionnaireAnswers.version)).all()
        assert [q.version for q in rows] == [1, 2]
        assert rows[1].answers["diet"] == {"pattern": "vegan"}
    db.dispose()


def test_report_is_cached_per_test_and_questionnaire_version(user, config):
    up = upload(user, "example.txt", EXAMPLE.read_bytes())
    first = user.get(up.url.path + "/report")
    assert first.status_code == 200 and "Your gut microbiome and your skin" in first.text
    again = user.get(up.url.path + "/report")
    assert again.url == first.url and count_rows(config, BuiltReport) == 1
    pdf = user.get(first.url.path + "/pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    js = user.get(first.url.path + "/json").json()
    assert js["sample"] and js["schema_version"]
    user.post("/questionnaire", data={"csrf_token": token(user), "about_you.age_group": "adult"})
    third = user.get(up.url.path + "/report")
    assert third.url != first.url and count_rows(config, BuiltReport) == 2


def test_closed_safety_gate_shows_advice_and_makes_no_plan(user, config):
    user.post("/questionnaire", data={"csrf_token": token(user), "allergies.past_reactions.0.food": "peanut",
                                      "allergies.past_reactions.0.timing": "immediate",
                                      "allergies.past_reactions.0.anaphylaxis": "yes"})
    page = user.get("/trials/new")
    assert "No plan was made" in page.text and "anaphylaxis" in page.text
    r = _start_trial(user, TODAY)
    assert r.status_code == 409 and "anaphylaxis" in r.text
    assert count_rows(config, TrialPlan) == 0


def test_trial_diary_history_duplicates_and_analysis(user, config):
    start = TODAY - dt.timedelta(days=30)
    assert _start_trial(user, start).status_code == 409  # age unknown: the gate is closed
    assert count_rows(config, TrialPlan) == 0
    _adult(user)
    r = _start_trial(user, start)
    assert r.status_code == 200
    trial = r.url.path
    ics = user.get(trial + "/plan.ics")
    assert ics.text.startswith("BEGIN:VCALENDAR") and "dairy" in ics.text.lower()
    saved = 0
    for i in range(0, 28):
        if i % 5 == 3:
            continue  # some days missed
        rr = _diary(user, trial, start + dt.timedelta(days=i), 4 + (i % 3), itch="2", adhered="yes")
        assert rr.status_code == 200, alert_of(rr)
        saved += 1
    # a second entry for a day that has one is refused, nothing changed
    dup = _diary(user, trial, start, 9)
    assert dup.status_code == 400 and "already has an entry" in alert_of(dup)
    # out of range, wrong type, future day, outside the plan: refused, nothing stored
    for bad in ({"skin": 11}, {"skin": "bad"}, {"skin": 3, "day": TODAY + dt.timedelta(days=1)},
                {"skin": 3, "day": start - dt.timedelta(days=1)}):
        rb = _diary(user, trial, bad.get("day", start + dt.timedelta(days=3)), bad["skin"])
        assert rb.status_code == 400 and alert_of(rb), bad
    assert count_rows(config, DiaryEntry) == saved
    # an edit keeps the history
    edit = _diary(user, trial, start, 7, revision=1, notes="edited")
    assert edit.status_code == 200
    db = Database(config.database_url)
    with db.sessions() as s:
        e = s.scalar(select(DiaryEntry).where(DiaryEntry.day == start))
        assert e.skin_score == 7 and e.revision == 2
        revs = s.scalars(select(DiaryRevision).where(DiaryRevision.entry_id == e.id)
                         .order_by(DiaryRevision.revision)).all()
        assert [r.values["skin_score"] for r in revs] == [4, 7]
    db.dispose()
    page = user.get(trial)
    assert "days used" in page.text.lower() or "Days used" in page.text
    assert "<svg" in page.text
    assert any(w in page.text for w in ("worse while eating it", "does not settle it", "no verdict yet"))


def test_bad_trial_forms_store_nothing(user, config):
    _adult(user)
    for form, words in (({"food": "", "condition": "acne", "start": TODAY.isoformat()}, "food"),
                        ({"food": "dairy", "condition": "gout", "start": TODAY.isoformat()}, "condition"),
                        ({"food": "dairy", "condition": "acne", "start": "31/12/2026"}, "start"),
                        ({"food": "dairy", "condition": "acne", "start": TODAY.isoformat(), "design": "XYZ"},
                         "design"),
                        ({"food": "dairy", "condition": "acne", "start": TODAY.isoformat(), "report_id": "x"},
                         "report_id")):
        r = user.post("/trials", data={"csrf_token": token(user), **form})
        assert r.status_code == 400 and words in alert_of(r), (form, alert_of(r))
    assert count_rows(config, TrialPlan) == 0
