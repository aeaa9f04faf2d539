"""Personal API tokens on the account page: made (shown once), listed, revoked (issue #15)."""

from __future__ import annotations

import datetime as dt
import secrets

from fastapi import APIRouter, Depends
from sqlalchemy import select

from ..store.models import ApiToken, utcnow
from . import security
from .access import owned
from .deps import Ctx, csrf_form, require_user
from .routes_api import TOKEN_PREFIX

router = APIRouter()
SCOPES = ("read", "write")
MAX_DAYS = 365
TOKENS_PER_HOUR = 10


def _page(ctx: Ctx, status: int = 200, **kw):
    tokens = ctx.db.scalars(select(ApiToken).where(ApiToken.user_id == ctx.user.id).order_by(ApiToken.id.desc()))
    return ctx.render("tokens.html.j2", status_code=status, tokens=list(tokens), now=utcnow(), **kw)


@router.get("/account/tokens")
def tokens_page(ctx: Ctx = Depends(require_user)):
    return _page(ctx)


@router.post("/account/tokens")
def create_token(ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    name = str(form.get("name") or "").strip()[:100]
    scopes = [s for s in form.getlist("scope") if s in SCOPES]
    days = str(form.get("days") or "90").strip()
    key = "token:acct:" + str(ctx.user.id)
    if security.throttled(ctx.db, key, TOKENS_PER_HOUR, dt.timedelta(hours=1)):
        return _page(ctx, 429, error="Too many tokens made in the last hour; try again later.")
    if not name:
        return _page(ctx, 400, error="Give the token a name (what will use it).")
    if not scopes:
        return _page(ctx, 400, error="Choose at least one scope: read or write.")
    if not days.isdigit() or not 1 <= int(days) <= MAX_DAYS:
        return _page(ctx, 400, error=f"Days valid: a whole number from 1 to {MAX_DAYS}.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tok = ApiToken(user_id=ctx.user.id, name=name, token_hash=security.token_hash(raw), prefix=raw[:10],
                   scopes=scopes, expires_at=utcnow() + dt.timedelta(days=int(days)))
    ctx.db.add(tok)
    security.record_attempt(ctx.db, key)
    ctx.db.flush()
    ctx.audit("token.create", obj_type="api_token", obj_id=tok.id, detail={"scopes": scopes})
    ctx.db.commit()
    return _page(ctx, new_token=raw)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    tok = owned(ctx, ApiToken, token_id)
    if tok.revoked_at is None:
        tok.revoked_at = utcnow()
        ctx.audit("token.revoke", obj_type="api_token", obj_id=tok.id)
        ctx.db.commit()
    return ctx.redirect("/account/tokens")
