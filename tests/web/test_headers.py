"""Security properties that hold for every route: CSRF on every state-changing form, security headers, no state
change on GET (every POST route enumerated from the app)."""

from __future__ import annotations

import re
from pathlib import Path

from gutskin.store.models import AuditEvent, QuestionnaireAnswers, User
from gutskin.web.app import create_app

from .conftest import count_rows, make_config, token
from .test_access import _api_routes


def _routes(method: str) -> list[str]:
    app = create_app(make_config("sqlite://", Path("/tmp")))
    return sorted({p + r.path for p, r in _api_routes(app.routes) if method in r.methods})


def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(user, config):
    posts = _routes("POST")
    assert len(posts) >= 12
    before = {m: count_rows(config, m) for m in (User, QuestionnaireAnswers, AuditEvent)}
    for path in posts:
        url = re.sub(r"{\w+}", "1", path)
        if path.startswith("/api/"):  # bearer tokens only: a browser's cookie opens nothing there, so no CSRF
            assert user.post(url, data={"x": "1"}).status_code == 401, path
            continue
        for form in ({}, {"csrf_token": "forged"}):
            r = user.post(url, data={**form, "about_you.age_group": "adult", "confirm": "delete",
                                     "password": "correct horse battery staple", "email": "x@example.org"})
            assert r.status_code == 403, (path, form, r.status_code)
    assert {m: count_rows(config, m) for m in before} == before
    assert "My tests" in user.get("/").text  # still logged in: nothing was deleted or ended


def test_security_headers_on_pages(web, user):
    for url in ("/", "/login", "/account", "/questionnaire", "/tests/new", "/no-such-page"):
        r = user.get(url)
        h = r.headers
        assert h["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        csp = h["content-security-policy"]
        script = re.search(r"script-src ([^;]+)", csp).group(1)
        assert "unsafe-inline" not in script and "unsafe-eval" not in script
        assert h["referrer-policy"] == "same-origin"
        if r.status_code == 200:
            assert h["cache-control"] == "no-store"
            assert "<script" not in r.text.lower()  # every flow works without JavaScript


def test_get_routes_do_not_change_data(user, config):
    before = count_rows(config, QuestionnaireAnswers)
    for path in _routes("GET"):
        if "{" not in path:
            user.get(path)
    assert count_rows(config, QuestionnaireAnswers) == before
    assert token(user)
