"""The account: sessions, password, "my data" (export everything, delete everything), and the audit trail."""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy import delete, select, update
from starlette.concurrency import run_in_threadpool

from ..errors import InputError, RefusedError
from ..store.models import (
    AuditEvent,
    BuiltReport,
    Consent,
    DiaryEntry,
    DiaryRevision,
    QuestionnaireAnswers,
    Throttle,
    TrialPlan,
    Upload,
    UploadBlob,
    User,
    WebSession,
    utcnow,
)
from . import adapter, security
from .access import NotFound
from .deps import Ctx, csrf_form, require_user
from .routes_trials import entry_rows

router = APIRouter()


def _sessions(ctx: Ctx) -> list[WebSession]:
    return list(ctx.db.scalars(select(WebSession).where(WebSession.user_id == ctx.user.id)
                               .order_by(WebSession.last_seen_at.desc())))


def _page(ctx: Ctx, status: int = 200, **kw: Any):
    events = ctx.db.scalars(select(AuditEvent).where(AuditEvent.subject_user_id == ctx.user.id)
                            .order_by(AuditEvent.id.desc()).limit(50)).all()
    consents = ctx.db.scalars(select(Consent).where(Consent.user_id == ctx.user.id)).all()
    return ctx.render("account.html.j2", status_code=status, sessions=_sessions(ctx), current=ctx.session,
                      events=events, consents=consents, **kw)


@router.get("/account")
def account(ctx: Ctx = Depends(require_user)):
    return _page(ctx)


@router.post("/account/sessions/{session_id}/end")
def end_session(session_id: str, ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    row = ctx.db.get(WebSession, session_id)
    if row is None or row.user_id != ctx.user.id:
        raise NotFound()
    ctx.audit("session.end", detail={"session": session_id[:8]})
    ctx.db.delete(row)
    ctx.db.commit()
    return ctx.redirect("/login" if row.id == ctx.session.id else "/account")


@router.post("/account/password")
def change_password(ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    old, new = str(form.get("current_password") or ""), str(form.get("new_password") or "")
    if not security.verify_password(ctx.user.password_hash, old):
        return _page(ctx, 400, error="The current password is not right; nothing was changed.")
    problem = security.password_problem(new, ctx.user.email)
    if problem:
        return _page(ctx, 400, error=problem[:1].upper() + problem[1:] + "; nothing was changed.")
    ctx.user.password_hash = security.hash_password(new)
    ctx.user.password_changed_at = utcnow()
    security.end_sessions(ctx.db, ctx.user.id)  # every session, this one too: log in again with the new password
    ctx.audit("password.change")
    ctx.db.commit()
    ctx.extra_cookies.append((ctx.config.cookie_name, None))
    return ctx.redirect("/login")


# ------------------------------------------------------------------------------------------ my data
def export_zip(ctx: Ctx) -> bytes:
    """Everything the account holds, as one zip: originals, reports (JSON and PDF), answers, trials, diary, log."""
    uid = ctx.user.id
    db = ctx.db
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        consents = db.scalars(select(Consent).where(Consent.user_id == uid)).all()
        zf.writestr("account.json", json.dumps({
            "email": ctx.user.email, "created_at": ctx.user.created_at.isoformat(),
            "consents": [{"version": c.text_version, "text_sha256": c.text_sha256, "given_at": c.given_at.isoformat()}
                         for c in consents]}, indent=2))
        for up in db.scalars(select(Upload).where(Upload.user_id == uid).order_by(Upload.id)):
            blob = db.get(UploadBlob, up.id)
            zf.writestr(f"tests/{up.id}-{up.filename}", blob.data)
            _write_bundle(zf, db, up)
            zf.writestr(f"tests/{up.id}.json", json.dumps({
                "filename": up.filename, "sha256": up.sha256, "format": up.format, "profiler": up.profiler,
                "database": up.database, "method": up.method, "samples": up.samples, "sample": up.sample,
                "uploaded_at": up.created_at.isoformat()}, indent=2))
        for rep in db.scalars(select(BuiltReport).where(BuiltReport.user_id == uid).order_by(BuiltReport.id)):
            zf.writestr(f"reports/{rep.id}.json", rep.report_json)
            zf.writestr(f"reports/{rep.id}.pdf", adapter.report_pdf(adapter.report_from_json(rep.report_json)))
        for q in db.scalars(select(QuestionnaireAnswers).where(QuestionnaireAnswers.user_id == uid)
                            .order_by(QuestionnaireAnswers.version)):
            zf.writestr(f"questionnaire/version-{q.version}.json",
                        json.dumps({"saved_at": q.created_at.isoformat(), "answers": q.answers}, indent=2))
        for t in db.scalars(select(TrialPlan).where(TrialPlan.user_id == uid).order_by(TrialPlan.id)):
            zf.writestr(f"trials/{t.id}/plan.json", json.dumps(t.plan, indent=2, ensure_ascii=False))
            entries = list(db.scalars(select(DiaryEntry).where(DiaryEntry.trial_id == t.id).order_by(DiaryEntry.day)))
            zf.writestr(f"trials/{t.id}/diary.csv", adapter.diary_csv(entry_rows(entries)))
            history = [{"day": e.day.isoformat(), "revision": r.revision, "saved_at": r.saved_at.isoformat(),
                        "values": r.values}
                       for e in entries
                       for r in db.scalars(select(DiaryRevision).where(DiaryRevision.entry_id == e.id)
                                           .order_by(DiaryRevision.revision))]
            zf.writestr(f"trials/{t.id}/diary-history.json", json.dumps(history, indent=2))
        events = db.scalars(select(AuditEvent).where(AuditEvent.subject_user_id == uid).order_by(AuditEvent.id))
        zf.writestr("audit-log.json", json.dumps([
            {"at": e.at.isoformat(), "action": e.action, "object": e.object_type, "object_id": e.object_id,
             "ip": e.ip, "detail": e.detail} for e in events], indent=2))
    return buf.getvalue()


def _write_bundle(zf: zipfile.ZipFile, db: Any, up: Upload) -> None:
    """tests/<id>-fhir/bundle.json: the test as a FHIR R4 Bundle (issue #17) with the questionnaire and trial; a
    test whose Bundle cannot be made (no sample chosen, a file the reader now refuses) gets a note saying why,
    and the rest of the export goes on."""
    from .exports import fhir_of_test

    try:
        bundle = fhir_of_test(db, up)
    except (InputError, RefusedError) as exc:
        zf.writestr(f"tests/{up.id}-fhir/not-exported.txt", f"No FHIR Bundle for this test: {exc}\n")
        return
    zf.writestr(f"tests/{up.id}-fhir/bundle.json", json.dumps(bundle, indent=2, ensure_ascii=False))


@router.post("/account/export")
async def export(ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    data = await run_in_threadpool(export_zip, ctx)
    ctx.audit("account.export")
    ctx.db.commit()
    return ctx.finish(Response(data, media_type="application/zip",
                               headers={"Content-Disposition": 'attachment; filename="gutskin-my-data.zip"'}))


def delete_account(ctx: Ctx, user: User) -> str:
    """Remove every row of this user (cascades from ``users``) and their log; leave one anonymous receipt."""
    uid = user.id
    db = ctx.db
    db.execute(delete(AuditEvent).where(AuditEvent.subject_user_id == uid))
    # What a deleted practitioner did to others' data stays in those people's logs, without naming the account.
    db.execute(update(AuditEvent).where(AuditEvent.actor_user_id == uid).values(actor_user_id=None))
    db.execute(delete(Throttle).where(Throttle.key == "login:acct:" + security.keyed(ctx.config, user.email)))
    db.delete(user)
    db.flush()
    receipt = secrets.token_hex(8)
    # The erasure itself is audited without naming whom: the receipt is shown to the person once.
    db.add(AuditEvent(actor_user_id=None, subject_user_id=None, action="account.delete", object_type="user",
                      object_id=None, detail={"receipt": receipt}))
    return receipt


@router.post("/account/delete")
def delete_me(ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    if str(form.get("confirm") or "").strip().lower() != "delete":
        return _page(ctx, 400, delete_error="Type the word delete to confirm; nothing was deleted.")
    if not security.verify_password(ctx.user.password_hash, str(form.get("password") or "")):
        return _page(ctx, 400, delete_error="The password is not right; nothing was deleted.")
    receipt = delete_account(ctx, ctx.user)
    ctx.db.commit()
    ctx.user, ctx.session = None, None
    ctx.extra_cookies.append((ctx.config.cookie_name, None))
    return ctx.render("deleted.html.j2", receipt=receipt)
