"""A demo account for the first run (``make serve``): the shipped example profile, its questionnaire, a report,
and a dairy trial under way with diary days taken from the shipped (simulated) example diary.

Idempotent: an existing demo account is left as it is.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import yaml
from sqlalchemy import select

from ..store import Database
from ..store.models import (
    BuiltReport,
    Consent,
    DiaryEntry,
    DiaryRevision,
    Person,
    QuestionnaireAnswers,
    TrialPlan,
    Upload,
    UploadBlob,
    User,
    utcnow,
)
from . import adapter, security
from .config import CONSENT_TEXT, CONSENT_VERSION

DEMO_EMAIL = "demo@example.org"
DEMO_PASSWORD = "demo gutskin example"
DAYS_DONE = 24  # the demo trial started this many days ago


def seed_demo(database: Database, examples: Path) -> bool:
    """Create the demo account; False when it exists already."""
    with database.transaction() as db:
        if db.scalar(select(User).where(User.email == DEMO_EMAIL)) is not None:
            return False
        user = User(email=DEMO_EMAIL, password_hash=security.hash_password(DEMO_PASSWORD), display_name="Demo")
        db.add(user)
        db.flush()
        person = Person(user_id=user.id, name="Demo", is_self=True)
        db.add(person)
        db.add(Consent(user_id=user.id, text_version=CONSENT_VERSION,
                       text_sha256=hashlib.sha256(CONSENT_TEXT.encode()).hexdigest()))
        db.flush()
        profile_path = examples / "SRR1761667_metaphlan.txt"
        data = profile_path.read_bytes()
        info = adapter.read_upload(data, profile_path.name)
        up = Upload(user_id=user.id, person_id=person.id, filename=profile_path.name, size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(), format=info.format, profiler=info.profiler,
                    database=info.database, method=info.method, samples=info.samples, sample=info.samples[0],
                    n_taxa=info.n_taxa)
        db.add(up)
        db.flush()
        db.add(UploadBlob(upload_id=up.id, user_id=user.id, data=data))
        answers = yaml.safe_load((examples / "questionnaire.yaml").read_text(encoding="utf-8"))
        adapter.questionnaire_from_answers(answers)  # validated like a form
        db.add(QuestionnaireAnswers(user_id=user.id, person_id=person.id, version=1,
                                    schema_version=str(answers.get("schema_version", "1.0")), answers=answers))
        report = adapter.build(data, up.filename, up.sample, answers)
        db.add(BuiltReport(user_id=user.id, upload_id=up.id, questionnaire_version=1,
                           report_json=adapter.report_json(report), **adapter.report_versions(report)))
        start = utcnow().date() - dt.timedelta(days=DAYS_DONE)
        plan = adapter.new_plan("dairy", "acne", start, "ABA", adapter.gate_for(answers))
        p = adapter.plan_obj(plan)
        trial = TrialPlan(user_id=user.id, person_id=person.id, food=p.food, condition=p.condition,
                          start_date=p.first_day, end_date=p.last_day, plan=plan)
        db.add(trial)
        db.flush()
        with open(examples / "trial" / "dairy-eczema-diary.csv", encoding="utf-8") as f:
            rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
        for i, r in enumerate(rows[:DAYS_DONE]):
            if not r.get("skin_score"):
                continue  # a missed day, as in the example
            values = {"skin_score": float(r["skin_score"]), "itch": float(r["itch"]) if r.get("itch") else None,
                      "adhered": r.get("adhered") == "1" if r.get("adhered") else None, "notes": None,
                      "covariates": None}
            e = DiaryEntry(user_id=user.id, trial_id=trial.id, day=start + dt.timedelta(days=i), **values)
            db.add(e)
            db.flush()
            db.add(DiaryRevision(user_id=user.id, entry_id=e.id, revision=1,
                                 values={**values, "day": e.day.isoformat()}))
    return True
