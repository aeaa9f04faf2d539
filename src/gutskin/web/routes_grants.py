"""Consented access for practitioners (issue #15): a person invites, chooses the scope, sees and revokes grants;
a practitioner accepts an invitation and reads the client's reports (and diary, when the scope allows) read-only.
Grants, revocations and every practitioner read are in the audit log, which the person sees on their account page.
"""

from __future__ import annotations

import datetime as dt
import secrets

from fastapi import APIRouter, Depends
from sqlalchemy import func, select

from ..errors import InputError, RefusedError
from ..store.models import BuiltReport, DiaryEntry, Grant, TrialPlan, Upload, User, utcnow
from . import adapter, security
from .access import SCOPE_ALLOWS, client_object, live_grant, owned
from .deps import Ctx, NotFound, csrf_form, require_user
from .routes_trials import MIN_DAYS_FOR_ANALYSIS, _phases, entries_of, entry_rows

router = APIRouter()
INVITE_DAYS = 7
SCOPE_WORDS = {"reports": "reports only", "reports_diary": "reports and trial diary",
               "upload": "reports, diary, and uploading tests for me"}
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper


def _code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))  # 80 bits
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _norm(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch in _ALPHABET)


def _grants_page(ctx: Ctx, status: int = 200, **kw):
    grants = ctx.db.scalars(select(Grant).where(Grant.user_id == ctx.user.id).order_by(Grant.id.desc())).all()
    names = {u.id: u.email for u in ctx.db.scalars(select(User).where(
        User.id.in_([g.grantee_user_id for g in grants if g.grantee_user_id])))}
    return ctx.render("grants.html.j2", status_code=status, grants=grants, names=names, scopes=SCOPE_WORDS,
                      now=utcnow(), **kw)


@router.get("/account/grants")
def grants_page(ctx: Ctx = Depends(require_user)):
    return _grants_page(ctx)


@router.post("/account/grants")
def invite(ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    scope = str(form.get("scope") or "")
    if scope not in SCOPE_ALLOWS:
        return _grants_page(ctx, 400, error=f"Choose what to share: one of {', '.join(SCOPE_ALLOWS)}.")
    code = _code()
    g = Grant(user_id=ctx.user.id, scope=scope, invite_code_hash=security.token_hash(_norm(code)),
              invite_expires_at=utcnow() + dt.timedelta(days=INVITE_DAYS))
    ctx.db.add(g)
    ctx.db.flush()
    ctx.audit("grant.invite", obj_type="grant", obj_id=g.id, detail={"scope": scope})
    ctx.db.commit()
    return _grants_page(ctx, new_code=code, new_scope=scope)


@router.post("/account/grants/{grant_id}/revoke")
def revoke(grant_id: int, ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    g = owned(ctx, Grant, grant_id)
    if g.revoked_at is None:
        g.revoked_at = utcnow()
        g.invite_code_hash = None
        ctx.audit("grant.revoke", obj_type="grant", obj_id=g.id)
        ctx.db.commit()
    return ctx.redirect("/account/grants")


# ------------------------------------------------------------------------------------------ practitioner side
def _practitioner(ctx: Ctx) -> None:
    if ctx.user.role not in ("practitioner", "admin"):
        raise NotFound()


@router.get("/clients")
def clients(ctx: Ctx = Depends(require_user)):
    _practitioner(ctx)
    grants = ctx.db.scalars(select(Grant).where(Grant.grantee_user_id == ctx.user.id, Grant.revoked_at.is_(None),
                                                Grant.accepted_at.is_not(None)).order_by(Grant.id)).all()
    rows = []
    today = utcnow().date()
    for g in grants:
        client = ctx.db.get(User, g.user_id)
        last_test = ctx.db.scalar(select(func.max(Upload.created_at)).where(Upload.user_id == g.user_id))
        trial = ctx.db.scalar(select(TrialPlan).where(TrialPlan.user_id == g.user_id)
                              .order_by(TrialPlan.id.desc()).limit(1))
        adherence = None
        if trial is not None and "diary" in SCOPE_ALLOWS[g.scope]:
            days = max(0, (min(today, trial.end_date) - trial.start_date).days + 1)
            filled = ctx.db.scalar(select(func.count()).select_from(DiaryEntry)
                                   .where(DiaryEntry.trial_id == trial.id, DiaryEntry.day <= today))
            adherence = f"{filled} of {days} days" if days else "not started"
        rows.append({"grant": g, "email": client.email if client else "?", "last_test": last_test, "trial": trial,
                     "adherence": adherence, "today": today})
    return ctx.render("clients.html.j2", rows=rows, scopes=SCOPE_WORDS)


@router.post("/clients")
def accept(ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    _practitioner(ctx)
    code = _norm(str(form.get("code") or ""))
    key = "grant:acct:" + str(ctx.user.id)
    if security.throttled(ctx.db, key, 10, ctx.config.throttle_window):
        return ctx.render("clients.html.j2", status_code=429, rows=[], scopes=SCOPE_WORDS,
                          error="Too many codes tried; wait a few minutes.")
    g = ctx.db.scalar(select(Grant).where(Grant.invite_code_hash == security.token_hash(code))) if code else None
    if g is None or g.revoked_at is not None or g.accepted_at is not None or g.invite_expires_at < utcnow() \
            or g.user_id == ctx.user.id:
        security.record_attempt(ctx.db, key)
        ctx.db.commit()
        return ctx.render("clients.html.j2", status_code=400, rows=[], scopes=SCOPE_WORDS,
                          error="This code is not valid (used, expired, revoked or mistyped).")
    g.grantee_user_id, g.accepted_at, g.invite_code_hash = ctx.user.id, utcnow(), None
    ctx.audit("grant.accept", subject=g.user_id, obj_type="grant", obj_id=g.id)
    ctx.db.commit()
    return ctx.redirect(f"/clients/{g.id}")


@router.get("/clients/{grant_id}")
def client_page(grant_id: int, ctx: Ctx = Depends(require_user)):
    g = live_grant(ctx, grant_id)
    client = ctx.db.get(User, g.user_id)
    uploads = ctx.db.scalars(select(Upload).where(Upload.user_id == g.user_id).order_by(Upload.id.desc())).all()
    reports = ctx.db.scalars(select(BuiltReport).where(BuiltReport.user_id == g.user_id)
                             .order_by(BuiltReport.id.desc())).all()
    trials = ctx.db.scalars(select(TrialPlan).where(TrialPlan.user_id == g.user_id)).all() \
        if "diary" in SCOPE_ALLOWS[g.scope] else []
    ctx.audit("client.view", subject=g.user_id, obj_type="grant", obj_id=g.id)
    ctx.db.commit()
    return ctx.render("client.html.j2", g=g, client=client, uploads=uploads, reports=reports, trials=trials,
                      scopes=SCOPE_WORDS)


@router.get("/clients/{grant_id}/reports/{report_id}")
def client_report(grant_id: int, report_id: int, ctx: Ctx = Depends(require_user)):
    g = live_grant(ctx, grant_id, "reports")
    row = client_object(ctx, g, BuiltReport, report_id)
    ctx.audit("client.report.read", subject=g.user_id, obj_type="report", obj_id=row.id)
    ctx.db.commit()
    body, _ = adapter.stored_report_page(row.id, row.report_json)
    return ctx.render("report.html.j2", row=row, suggests=False, readonly=True, body=body)


@router.get("/clients/{grant_id}/trials/{trial_id}")
def client_trial(grant_id: int, trial_id: int, ctx: Ctx = Depends(require_user)):
    g = live_grant(ctx, grant_id, "diary")
    trial = client_object(ctx, g, TrialPlan, trial_id)
    entries = entries_of(ctx, trial)
    ctx.audit("client.trial.read", subject=g.user_id, obj_type="trial", obj_id=trial.id)
    ctx.db.commit()
    today = utcnow().date()
    result = svg = problem = None
    scored = [e for e in entries if e.skin_score is not None]
    if len(scored) >= MIN_DAYS_FOR_ANALYSIS:
        try:
            result, svg = adapter.analyse_trial(trial.plan, entry_rows(entries))
        except (InputError, RefusedError) as exc:
            problem = str(exc)
    days = [trial.start_date + dt.timedelta(days=i) for i in range((trial.end_date - trial.start_date).days + 1)]
    return ctx.render("trial.html.j2", trial=trial, phases=_phases(trial, today), entries=entries,
                      by_day={e.day: e for e in entries}, days=days, today=today, result=result, svg=svg,
                      problem=problem, min_days=MIN_DAYS_FOR_ANALYSIS, n_scored=len(scored), readonly=True)


