"""Saving a diary day through the one store function the web form and the API share."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from gutskin.store.diary import DayTaken, save_day
from gutskin.store.models import DiaryEntry, DiaryRevision, Person, TrialPlan, User, utcnow

DAY = dt.date(2026, 1, 6)


def _trial(db) -> tuple[int, int]:
    with db.transaction() as s:
        u = User(email="anna@example.org", password_hash="$argon2id$x", role="person")
        s.add(u)
        s.flush()
        me = Person(user_id=u.id, name="me")
        s.add(me)
        s.flush()
        t = TrialPlan(user_id=u.id, person_id=me.id, food="dairy", condition="acne",
                      start_date=dt.date(2026, 1, 5), end_date=dt.date(2026, 2, 15), plan={"design": "ABA"})
        s.add(t)
        s.flush()
        return u.id, t.id


def test_new_day_then_edit_keeps_every_version(db):
    user, trial = _trial(db)
    with db.transaction() as s:
        save_day(s, user_id=user, trial_id=trial, day=DAY, entry=None, values={"skin_score": 4.0}, now=utcnow())
    with db.transaction() as s:
        entry = s.scalar(select(DiaryEntry))
        save_day(s, user_id=user, trial_id=trial, day=DAY, entry=entry, values={"skin_score": 6.5}, now=utcnow())
    with db.transaction() as s:
        entry = s.scalar(select(DiaryEntry))
        assert (entry.revision, entry.skin_score) == (2, 6.5)
        versions = s.scalars(select(DiaryRevision).order_by(DiaryRevision.revision)).all()
        assert [(v.revision, v.values["skin_score"], v.values["day"]) for v in versions] == [
            (1, 4.0, "2026-01-06"), (2, 6.5, "2026-01-06")]


def test_a_day_created_in_between_is_refused_and_nothing_half_written(db):
    """Two requests both saw no entry for the day; the second to write gets DayTaken, its work rolled back."""
    user, trial = _trial(db)
    with db.transaction() as s:
        save_day(s, user_id=user, trial_id=trial, day=DAY, entry=None, values={"skin_score": 4.0}, now=utcnow())
    with db.sessions() as s, pytest.raises(DayTaken):
        save_day(s, user_id=user, trial_id=trial, day=DAY, entry=None, values={"skin_score": 9.0},
                 now=utcnow())
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(DiaryEntry)) == 1
        assert s.scalar(select(func.count()).select_from(DiaryRevision)) == 1
        assert s.scalar(select(DiaryEntry.skin_score)) == 4.0
