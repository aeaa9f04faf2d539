"""Sign up, log in, log out, and the home page."""

from __future__ import annotations

import hashlib
import re

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..store.models import Consent, Person, TrialPlan, Upload, User, utcnow
from . import security
from .config import CONSENT_TEXT, CONSENT_VERSION
from .deps import Ctx, client_ip, csrf_form, get_ctx

router = APIRouter()
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
FAILED_LOGIN = "E-mail or password is not right, or the account is temporarily locked. Try again in a few minutes."


@router.get("/")
def home(ctx: Ctx = Depends(get_ctx)):
    if ctx.user is None:
        return ctx.render("landing.html.j2")
    uploads = ctx.db.scalars(select(Upload).where(Upload.user_id == ctx.user.id).order_by(Upload.id.desc())).all()
    trials = ctx.db.scalars(select(TrialPlan).where(TrialPlan.user_id == ctx.user.id)
                            .order_by(TrialPlan.id.desc())).all()
    return ctx.render("home.html.j2", uploads=uploads, trials=trials, today=utcnow().date())


@router.get("/signup")
def signup_page(ctx: Ctx = Depends(get_ctx)):
    if ctx.user is not None:
        return ctx.redirect("/")
    return ctx.render("signup.html.j2", consent_text=CONSENT_TEXT, consent_version=CONSENT_VERSION, form={})


@router.post("/signup")
def signup(ctx: Ctx = Depends(get_ctx), form=Depends(csrf_form)):
    email = str(form.get("email") or "").strip().lower()
    password = str(form.get("password") or "")
    consent = form.get("consent") == "yes"
    ip = client_ip(ctx.request) or "-"
    ip_key = "signup:ip:" + security.keyed(ctx.config, ip)

    def again(message: str, status: int = 400):
        ctx.db.rollback()
        return ctx.render("signup.html.j2", status_code=status, error=message, consent_text=CONSENT_TEXT,
                          consent_version=CONSENT_VERSION, form={"email": email})

    if security.throttled(ctx.db, ip_key, ctx.config.signups_per_address, ctx.config.throttle_window * 4):
        return again("Too many sign-ups from your address; please try again later.", 429)
    if not EMAIL.match(email) or len(email) > 320:
        return again("Please give a valid e-mail address (name@example.org).")
    problem = security.password_problem(password, email)
    if problem:
        return again(problem[:1].upper() + problem[1:] + ".")
    if not consent:
        return again("To keep and analyse your health data we need your consent: tick the box to agree.")
    security.record_attempt(ctx.db, ip_key)
    user = User(email=email, password_hash=security.hash_password(password))
    ctx.db.add(user)
    try:
        ctx.db.flush()
    except IntegrityError:
        # Say the same as for a new account would be kinder to privacy, but a person must learn why they cannot
        # sign up; the throttle above limits probing.
        ctx.db.rollback()
        security.record_attempt(ctx.db, ip_key)
        ctx.db.commit()
        return again("An account with this e-mail address exists already; log in instead.")
    ctx.db.add(Person(user_id=user.id, name="me", is_self=True))
    ctx.db.add(Consent(user_id=user.id, text_version=CONSENT_VERSION, ip=client_ip(ctx.request),
                       text_sha256=hashlib.sha256(CONSENT_TEXT.encode()).hexdigest()))
    ctx.user = user
    ctx.audit("account.create", obj_type="user", obj_id=user.id)
    ctx.audit("consent.give", obj_type="consent", detail={"version": CONSENT_VERSION})
    token = security.start_session(ctx.db, user, ctx.config, client_ip(ctx.request),
                                   ctx.request.headers.get("user-agent"))
    ctx.db.commit()
    ctx.extra_cookies.append((ctx.config.cookie_name, token))
    return ctx.redirect("/")


@router.get("/login")
def login_page(ctx: Ctx = Depends(get_ctx)):
    if ctx.user is not None:
        return ctx.redirect("/")
    return ctx.render("login.html.j2", form={})


@router.post("/login")
def login(ctx: Ctx = Depends(get_ctx), form=Depends(csrf_form)):
    email = str(form.get("email") or "").strip().lower()
    password = str(form.get("password") or "")
    cfg = ctx.config
    acct_key = "login:acct:" + security.keyed(cfg, email)
    ip_key = "login:ip:" + security.keyed(cfg, client_ip(ctx.request) or "-")
    blocked = (security.throttled(ctx.db, acct_key, cfg.login_failures_per_account, cfg.throttle_window)
               or security.throttled(ctx.db, ip_key, cfg.login_failures_per_address, cfg.throttle_window))
    user = ctx.db.scalar(select(User).where(User.email == email)) if email else None
    ok = security.verify_password(user.password_hash if user else None, password)  # always pays the hash cost
    if blocked or not ok or user is None or user.disabled_at is not None:
        security.record_attempt(ctx.db, acct_key)
        security.record_attempt(ctx.db, ip_key)
        if user is not None:
            ctx.audit("login.fail", actor=user.id, subject=user.id, detail={"throttled": bool(blocked)})
        ctx.db.commit()
        return ctx.render("login.html.j2", status_code=429 if blocked else 400, error=FAILED_LOGIN,
                          form={"email": email})
    security.clear_attempts(ctx.db, acct_key)
    if ctx.session is not None:  # never keep a session id across a login
        ctx.db.delete(ctx.session)
    token = security.start_session(ctx.db, user, cfg, client_ip(ctx.request), ctx.request.headers.get("user-agent"))
    ctx.user = user
    ctx.audit("login")
    ctx.db.commit()
    ctx.extra_cookies.append((cfg.cookie_name, token))
    return ctx.redirect("/")


@router.post("/logout")
def logout(ctx: Ctx = Depends(get_ctx), form=Depends(csrf_form)):
    if ctx.session is not None:
        ctx.audit("logout")
        ctx.db.delete(ctx.session)
        ctx.db.commit()
    ctx.extra_cookies.append((ctx.config.cookie_name, None))
    return ctx.redirect("/login")
