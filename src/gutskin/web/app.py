"""The FastAPI application: ``create_app(config)``; ``gutskin serve`` runs it with uvicorn."""

from __future__ import annotations

from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..engine import Settings
from ..report.wording import trial_verdict_words
from ..store import Database, upgrade
from ..store.models import User
from . import adapter, security
from .config import WebConfig
from .deps import LoginRequired


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("gutskin.web", "templates"),
                             autoescape=jinja2.select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    env.globals["version"] = __version__
    env.globals["trial_verdict_words"] = trial_verdict_words  # the report's and the CLI's words for a trial result
    return env


def _signed_in(request: Request) -> tuple[User | None, str | None]:
    """The signed-in user and their CSRF token, read only (an error page changes no session)."""
    cfg: WebConfig = request.app.state.config
    token = request.cookies.get(cfg.cookie_name)
    database: Database | None = getattr(request.app.state, "database", None)
    if not token or database is None:
        return None, None
    try:
        with database.sessions() as db:
            session = security.load_session(db, token, cfg)
            user = db.get(User, session.user_id) if session is not None else None
            return user, session.csrf_token if session is not None else None
    except Exception:  # the header is a courtesy: an error page must render even when the database does not answer
        return None, None


def create_app(config: WebConfig | None = None) -> FastAPI:
    config = config or WebConfig.from_environ()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if config.migrate_on_start:
            upgrade(config.database_url)
        app.state.database = Database(config.database_url)
        # The engine's resources (knowledge base, references), loaded once for this worker, in the background.
        adapter.load_resources_in_background(Settings(home=config.home))
        try:
            yield
        finally:
            app.state.database.dispose()

    app = FastAPI(title="gutskin", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.config = config
    app.state.templates = _templates()
    static = Path(str(resources.files("gutskin.web").joinpath("static")))
    report_static = Path(str(resources.files("gutskin.report").joinpath("static")))
    app.mount("/static/report", StaticFiles(directory=report_static), name="report-static")
    app.mount("/static", StaticFiles(directory=static), name="static")

    from . import (
        routes_account,
        routes_admin,
        routes_api,
        routes_auth,
        routes_grants,
        routes_practice,
        routes_retest,
        routes_tests,
        routes_tokens,
        routes_trials,
    )

    for module in (routes_auth, routes_account, routes_tests, routes_trials, routes_grants, routes_tokens,
                   routes_api, routes_admin, routes_practice, routes_retest):
        app.include_router(module.router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        return await _http(request, HTTPException(404, "Not found"))  # a malformed id in a page URL

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers={**(exc.headers or {}), "Cache-Control": "no-store"})
        env = request.app.state.templates
        user, csrf = await run_in_threadpool(_signed_in, request)  # the page header as on any other page
        html = env.get_template("error.html.j2").render(status=exc.status_code, message=exc.detail, user=user,
                                                        csrf=csrf)
        return HTMLResponse(html, status_code=exc.status_code, headers={"Cache-Control": "no-store"})

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
        return response

    return app
