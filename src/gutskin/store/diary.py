"""Saving one diary day: the entry, its revision row, in the caller's transaction.

The web form and the API both save diary days; the rules (one entry per trial and day, a revision number that
goes up by one per save, every saved version kept) live here once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import DiaryEntry, DiaryRevision


class DayTaken(Exception):
    """Another request created the same day at the same moment; the transaction was rolled back."""


def save_day(db: Session, *, user_id: int, trial_id: int, day: dt.date, entry: DiaryEntry | None,
             values: dict[str, Any], now: dt.datetime) -> DiaryEntry:
    """Create or update the day's entry with ``values`` and add its revision row (nothing is committed).

    ``entry`` is the day's current entry (None for a new day): callers read it first to check the revision the
    person edited. Raises :class:`DayTaken` when the unique (trial, day) key shows that another request created
    the day in between; the session is rolled back then.
    """
    if entry is None:
        entry = DiaryEntry(user_id=user_id, trial_id=trial_id, day=day, revision=1, created_at=now,
                           updated_at=now, **values)
        db.add(entry)
    else:
        for k, v in values.items():
            setattr(entry, k, v)
        entry.revision += 1
        entry.updated_at = now
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise DayTaken(str(day)) from None
    db.add(DiaryRevision(user_id=user_id, entry_id=entry.id, revision=entry.revision, saved_at=now,
                         values={**values, "day": day.isoformat()}))
    return entry
