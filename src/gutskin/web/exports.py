"""What a stored test's FHIR Bundle is made of (issue #17): the test's bytes and chosen sample, the owner's latest
questionnaire answers, and the trial that goes with the test (with its diary). The Bundle itself is built by
``gutskin.export`` through :func:`gutskin.web.adapter.fhir_bundle`; the "my data" zip and the API both call
:func:`fhir_of_test`, so they hand out the same thing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError
from ..store.models import BuiltReport, DiaryEntry, QuestionnaireAnswers, TrialPlan, Upload, UploadBlob
from . import adapter
from .routes_trials import entry_rows


def trial_for(db: Session, upload: Upload) -> TrialPlan | None:
    """The trial started from a report of this test; else the owner's latest trial (a person runs one at a time,
    and the Bundle's CarePlan says which dates it covers)."""
    linked = db.scalar(select(TrialPlan).join(BuiltReport, TrialPlan.report_id == BuiltReport.id)
                       .where(BuiltReport.upload_id == upload.id, TrialPlan.user_id == upload.user_id)
                       .order_by(TrialPlan.id.desc()).limit(1))
    if linked is not None:
        return linked
    return db.scalar(select(TrialPlan).where(TrialPlan.user_id == upload.user_id)
                     .order_by(TrialPlan.id.desc()).limit(1))


def fhir_of_test(db: Session, upload: Upload, *, pdf: bool = True) -> dict[str, Any]:
    """The FHIR Bundle of ``upload`` (owned by ``upload.user_id``; the caller has checked access)."""
    if upload.sample is None:
        raise InputError("the file holds several samples; choose one first", field="sample")
    blob = db.get(UploadBlob, upload.id)
    answers = db.scalar(select(QuestionnaireAnswers).where(QuestionnaireAnswers.user_id == upload.user_id)
                        .order_by(QuestionnaireAnswers.version.desc()).limit(1))
    trial = trial_for(db, upload)
    rows: list[dict[str, Any]] = []
    if trial is not None:
        entries = list(db.scalars(select(DiaryEntry).where(DiaryEntry.trial_id == trial.id)
                                  .order_by(DiaryEntry.day)))
        rows = entry_rows(entries)
    return adapter.fhir_bundle(blob.data, upload.filename, upload.sample, answers.answers if answers else None,
                               plan=trial.plan if trial is not None and rows else None, diary_rows=rows or None,
                               pdf=pdf)
