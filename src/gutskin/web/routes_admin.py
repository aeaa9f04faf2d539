"""Administration pages (issue #15): the account list (no health data), disabling and enabling an account, and the
audit log. Only accounts with the ``admin`` role reach them (others get 404, as for any page they may not see).

What an admin sees is deliberately thin: e-mail, role, dates, whether the account is disabled, how many sessions and
API tokens are live — never a test, report, answer, trial or diary value, and of the audit log only who did which
action to whose account, when and from where (not the entry's detail, which can name a food or a file).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import func, select

from ..store.models import ApiToken, AuditEvent, User, WebSession, utcnow
from . import security
from .access import MAX_ID
from .deps import Ctx, NotFound, csrf_form, require_user

router = APIRouter()
AUDIT_PAGE = 100


def _admin(ctx: Ctx = Depends(require_user)) -> Ctx:
    if ctx.user.role != "admin":
        raise NotFound()
    return ctx


def _live_counts(ctx: Ctx, model: type, *where) -> dict[int, int]:
    rows = ctx.db.execute(select(model.user_id, func.count()).where(*where).group_by(model.user_id)).all()
    return {uid: n for uid, n in rows}


@router.get("/admin")
def users(ctx: Ctx = Depends(_admin)):
    now = utcnow()
    accounts = ctx.db.scalars(select(User).order_by(User.id)).all()
    sessions = _live_counts(ctx, WebSession, WebSession.expires_at > now)
    tokens = _live_counts(ctx, ApiToken, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
    return ctx.render("admin_users.html.j2", accounts=accounts, sessions=sessions, tokens=tokens)


def _target(ctx: Ctx, user_id: int) -> User:
    target = ctx.db.get(User, user_id) if 1 <= user_id <= MAX_ID else None
    if target is None:
        raise NotFound()
    return target


@router.post("/admin/users/{user_id}/disable")
def disable(user_id: int, form=Depends(csrf_form), ctx: Ctx = Depends(_admin)):  # CSRF first, as elsewhere
    target = _target(ctx, user_id)
    if target.id == ctx.user.id:  # an admin locking themselves out would leave no one to undo it
        accounts = ctx.db.scalars(select(User).order_by(User.id)).all()
        return ctx.render("admin_users.html.j2", status_code=400, accounts=accounts, sessions={}, tokens={},
                          error="You cannot disable your own account.")
    if target.disabled_at is None:
        target.disabled_at = utcnow()
        # Sessions end at once (deleted); API tokens stop because every request checks the account (routes_api).
        ended = security.end_sessions(ctx.db, target.id)
        ctx.audit("admin.user.disable", subject=target.id, obj_type="user", obj_id=target.id,
                  detail={"sessions_ended": ended})
        ctx.db.commit()
    return ctx.redirect("/admin")


@router.post("/admin/users/{user_id}/enable")
def enable(user_id: int, form=Depends(csrf_form), ctx: Ctx = Depends(_admin)):
    target = _target(ctx, user_id)
    if target.disabled_at is not None:
        target.disabled_at = None
        ctx.audit("admin.user.enable", subject=target.id, obj_type="user", obj_id=target.id)
        ctx.db.commit()
    return ctx.redirect("/admin")


@router.get("/admin/audit")
def audit_log(ctx: Ctx = Depends(_admin), before: int | None = None):
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE)
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    events = ctx.db.scalars(stmt).all()
    ids = {e.actor_user_id for e in events} | {e.subject_user_id for e in events}
    emails = {u.id: u.email for u in ctx.db.scalars(select(User).where(User.id.in_([i for i in ids if i])))}
    older = events[-1].id if len(events) == AUDIT_PAGE else None
    return ctx.render("admin_audit.html.j2", events=events, emails=emails, older=older)
