"""Per-request plumbing: the database session, the signed-in user, CSRF checks, audit entries, page rendering."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ..store import Database
from ..store.models import AuditEvent, Person, User, WebSession
from . import security
from .config import WebConfig


class LoginRequired(Exception):
    """Raised by :func:`require_user`; the app answers with a redirect to the login page."""


class NotFound(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=404, detail="Not found")


def client_ip(request: Request) -> str | None:
    # Behind a reverse proxy, uvicorn's --proxy-headers (with --forwarded-allow-ips) puts the client here.
    return request.client.host if request.client else None


@dataclass
class Ctx:
    request: Request
    db: Session
    config: WebConfig
    session: WebSession | None = None
    user: User | None = None
    anon_cookie: str | None = None
    set_anon: bool = False
    extra_cookies: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def csrf(self) -> str:
        if self.session is not None:
            return self.session.csrf_token
        return security.anon_csrf(self.config, self.anon_cookie or "")

    def person(self) -> Person:
        """The account holder's own person record (every account has one)."""
        assert self.user is not None
        for p in self.user.people:
            if p.is_self:
                return p
        p = Person(user_id=self.user.id, name=self.user.display_name or "me", is_self=True)
        self.db.add(p)
        self.db.flush()
        return p

    def audit(self, action: str, *, subject: int | None = None, obj_type: str | None = None,
              obj_id: int | None = None, detail: dict[str, Any] | None = None, actor: int | None = None) -> None:
        uid = self.user.id if self.user else None
        self.db.add(AuditEvent(actor_user_id=actor if actor is not None else uid,
                               subject_user_id=subject if subject is not None else uid, action=action,
                               object_type=obj_type, object_id=obj_id, ip=client_ip(self.request),
                               user_agent=(self.request.headers.get("user-agent") or "")[:300], detail=detail))

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        templates = self.request.app.state.templates
        html = templates.get_template(template).render(request=self.request, user=self.user, csrf=self.csrf,
                                                        config=self.config, **context)
        return self.finish(HTMLResponse(html, status_code=status_code))

    def redirect(self, url: str) -> RedirectResponse:
        return self.finish(RedirectResponse(url, status_code=303))

    def finish(self, response: Response) -> Response:
        if self.set_anon and self.anon_cookie:
            response.set_cookie(self.config.anon_cookie_name, self.anon_cookie, httponly=True,
                                secure=self.config.cookie_secure, samesite="lax", path="/")
        for name, value in self.extra_cookies:
            if value is None:
                response.delete_cookie(name, path="/", secure=self.config.cookie_secure, httponly=True,
                                       samesite="lax")
            else:
                response.set_cookie(name, value, httponly=True, secure=self.config.cookie_secure, samesite="lax",
                                    path="/")
        response.headers["Cache-Control"] = "no-store"
        return response


def get_ctx(request: Request):
    """One database session per request; committed by the route (``ctx.db.commit()``), else rolled back."""
    database: Database = request.app.state.database
    config: WebConfig = request.app.state.config
    with database.sessions() as db:
        ctx = Ctx(request=request, db=db, config=config)
        ctx.session = security.load_session(db, request.cookies.get(config.cookie_name), config)
        if ctx.session is not None:
            ctx.user = db.get(User, ctx.session.user_id)
        else:
            ctx.anon_cookie = request.cookies.get(config.anon_cookie_name)
            if not ctx.anon_cookie or len(ctx.anon_cookie) > 100:
                ctx.anon_cookie, ctx.set_anon = secrets.token_urlsafe(24), True
        db.commit()  # the session touch (or the removal of an expired one)
        try:
            yield ctx
        except Exception:
            db.rollback()
            raise


def require_user(ctx: Ctx = Depends(get_ctx)) -> Ctx:
    if ctx.user is None:
        raise LoginRequired()
    return ctx


async def csrf_form(request: Request) -> Any:
    """The submitted form, after checking its CSRF token (every state-changing form carries one)."""
    config: WebConfig = request.app.state.config
    form = await request.form()
    sent = form.get("csrf_token")
    token = request.cookies.get(config.cookie_name)
    expected = None
    if token:
        database: Database = request.app.state.database
        with database.sessions() as db:
            row = db.get(WebSession, security.token_hash(token)) if len(token) <= 100 else None
            expected = row.csrf_token if row is not None else None
    if expected is None:
        anon = request.cookies.get(config.anon_cookie_name)
        expected = security.anon_csrf(config, anon) if anon else None
    if not security.tokens_equal(sent if isinstance(sent, str) else None, expected):
        raise HTTPException(status_code=403, detail="The form has expired or did not come from this site. "
                                                    "Go back, reload the page and try again.")
    return form
