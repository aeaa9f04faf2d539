"""The access-control matrix: every route and API endpoint of the app (enumerated, so a new route is covered the day
it is added) × {anonymous, owner, other person, practitioner with a grant, practitioner without one, practitioner
after revocation, admin}: the expected status, and never the owner's data in anyone else's response.

The expectation of a route follows from where it lives:

- public (log in, sign up, the landing page, the OpenAPI document): anyone; no one else's data in it.
- ``/admin…``: admins only; everyone else signed in gets 404, anonymous callers the login page (303).
- ``/clients/{grant_id}…`` and ``/api/v1/clients/{grant_id}…``: only the practitioner holding that live grant; 404
  for everyone else, the client themselves and the practitioner whose grant was revoked included.
- any other route with an object id: its owner only; 404 for everyone else (admins too: they see no health data).
- routes without an object id act on the caller's own account (``/clients`` and ``/admin`` need their role).

Anonymous callers get 303 to /login on pages and 401 on the API. State-changing routes with an object id are sent by
everyone but their rightful user (who would delete the fixture); a route whose parameter is not in ``IDS`` fails
``test_every_route_is_covered`` until someone says which object it takes.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select, update

from gutskin.store import Database
from gutskin.store.models import Upload, User
from gutskin.web.app import create_app
from gutskin.web.security import token_hash

from ..store.dbutil import fresh_database
from .conftest import EXAMPLE, client, csrf_of, invite_code, make_config, make_practitioner, signup, token, upload
from .test_api import make_token

SECRET_NAME = "owner-private-profile.txt"
DIARY_NOTE = "zebra-note-7781 owner's private diary"
OWNER_EMAIL = "owner@example.org"
ROLES = ("anonymous", "owner", "other", "pract_grant", "pract_none", "pract_revoked", "admin")
PUBLIC = {("GET", "/"), ("GET", "/login"), ("GET", "/signup"), ("POST", "/login"), ("POST", "/signup"),
          ("POST", "/logout"), ("GET", "/api/v1/openapi.json")}
NEVER_SENT = {("POST", "/logout")}  # would end the caller's session for the rest of the matrix
IDS = ("upload_id", "report_id", "trial_id", "session_id", "grant_id", "token_id", "day", "user_id")


def _set_role(config, email: str, role: str) -> None:
    db = Database(config.database_url)
    with db.transaction() as s:
        s.execute(update(User).where(User.email == email).values(role=role))
    db.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("access")
    with fresh_database(tmp) as url:
        config = make_config(url, tmp)
        with client(config) as owner, client(config) as other, client(config) as pract, \
                client(config) as pract_none, client(config) as pract_revoked, client(config) as admin, \
                client(config) as anonymous:
            signup(owner, OWNER_EMAIL)
            signup(other, "other@example.org")
            make_practitioner(config, pract, "pract@example.org")
            make_practitioner(config, pract_none, "pract-none@example.org")
            make_practitioner(config, pract_revoked, "pract-revoked@example.org")
            signup(admin, "admin@example.org")
            _set_role(config, "admin@example.org", "admin")
            t = token(owner)
            owner.post("/questionnaire", data={"csrf_token": t, "about_you.age_group": "adult"})
            # bytes of the owner's own (another checksum than the example others upload in the matrix)
            up = upload(owner, SECRET_NAME, EXAMPLE.read_bytes() + b"\n")
            upload_id = int(up.url.path.rsplit("/", 1)[1])
            rep = owner.get(f"/tests/{upload_id}/report")
            report_id = int(rep.url.path.rsplit("/", 1)[1])
            start = dt.date.today() - dt.timedelta(days=3)
            tr = owner.post("/trials", data={"csrf_token": t, "food": "dairy", "condition": "acne",
                                             "start": start.isoformat(), "design": "ABA"})
            trial_id = int(tr.url.path.rsplit("/", 1)[1])
            owner.post(f"/trials/{trial_id}/diary", data={"csrf_token": t, "day": start.isoformat(),
                                                           "revision": "0", "skin_score": "4", "notes": DIARY_NOTE})
            acc = pract.post("/clients", data={"csrf_token": token(pract),
                                               "code": invite_code(owner, "upload")})
            grant_id = int(acc.url.path.rsplit("/", 1)[1])
            acc = pract_revoked.post("/clients", data={"csrf_token": token(pract_revoked),
                                                       "code": invite_code(owner, "upload")})
            revoked_id = int(acc.url.path.rsplit("/", 1)[1])
            assert pract_revoked.get(f"/clients/{revoked_id}").status_code == 200  # it worked before revoking
            owner.post(f"/account/grants/{revoked_id}/revoke", data={"csrf_token": token(owner)})
            db = Database(config.database_url)
            with db.sessions() as s:
                owner_id = s.scalar(select(User.id).where(User.email == OWNER_EMAIL))
                sha = s.scalar(select(Upload.sha256).where(Upload.id == upload_id))
            db.dispose()
            ids = {"upload_id": upload_id, "report_id": report_id, "trial_id": trial_id, "grant_id": grant_id,
                   "session_id": token_hash(owner.cookies.get("__Host-gutskin")), "day": start.isoformat(),
                   "user_id": owner_id}
            signed_in = {"owner": owner, "other": other, "pract_grant": pract, "pract_none": pract_none,
                         "pract_revoked": pract_revoked, "admin": admin}
            tokens = {name: make_token(c) for name, c in signed_in.items()}
            ids["token_id"] = int(re.search(r"/account/tokens/(\d+)/revoke", owner.get("/account/tokens").text)
                                  .group(1))
            yield {"clients": {"anonymous": anonymous, **signed_in}, "ids": ids, "tokens": tokens,
                   "revoked_grant_id": revoked_id, "anon_csrf": csrf_of(anonymous.get("/login")),
                   "health": (SECRET_NAME, DIARY_NOTE.split()[0], sha)}


def _api_routes(routes, prefix: str = ""):
    """Every APIRoute, also inside included routers (newer FastAPI keeps them as wrappers)."""
    for r in routes:
        if isinstance(r, APIRoute):
            yield prefix, r
        elif hasattr(r, "include_context"):
            yield from _api_routes(r.include_context.included_router.routes, prefix + r.include_context.prefix)
        elif hasattr(r, "routes") and not hasattr(r, "app"):
            yield from _api_routes(r.routes, prefix)


def _all_routes() -> list[tuple[str, str]]:
    app = create_app(make_config("sqlite://", Path("/tmp")))
    out = sorted({(m, prefix + r.path) for prefix, r in _api_routes(app.routes) for m in r.methods - {"HEAD"}})
    assert len(out) >= 40, "route enumeration found too few routes; has FastAPI changed?"
    return out


ROUTES = _all_routes()


def kind(method: str, path: str) -> str:
    if (method, path) in PUBLIC:
        return "public"
    if path == "/admin" or path.startswith("/admin/"):
        return "admin"
    if path.startswith(("/clients/{grant_id}", "/api/v1/clients/{grant_id}")):
        return "client"
    if "{" in path:
        return "owner"
    return "self"


def expected(role: str, method: str, path: str) -> set[int] | None:
    """The statuses ``role`` may get; None: anything below 500 (the caller's own business)."""
    k, api = kind(method, path), path.startswith("/api/")
    if k == "public":
        return None
    if role == "anonymous":
        return {401} if api else {303}
    if k == "admin":
        return {200} if role == "admin" else {404}
    if k == "client":
        return {200} if role == "pract_grant" else {404}
    if k == "owner":  # (a report is built on first view and redirected to)
        return ({200, 303} if method == "GET" else {200}) if role == "owner" else {404}
    if path.startswith(("/clients", "/api/v1/clients")) and role in ("owner", "other"):
        return {403, 404}  # practitioner pages: not for people
    if method == "GET":
        return {200, 404} if api else {200}  # the API answers 404 for a resource the caller has none of yet
    return None


def _url(world, role: str, path: str) -> str:
    ids = dict(world["ids"])
    if role == "pract_revoked":  # the grant this practitioner held until the owner revoked it
        ids["grant_id"] = world["revoked_grant_id"]
    return re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)


def _send(world, role: str, method: str, path: str, url: str):
    c = world["clients"][role]
    if path.startswith("/api/"):
        h = {} if role == "anonymous" else {"Authorization": f"Bearer {world['tokens'][role]}"}
        if method == "GET":
            return c.get(url, headers=h, follow_redirects=False)
        if method == "PUT":
            body = {"answers": {}} if path.endswith("/questionnaire") else {"skin_score": 5, "revision": 1}
            return c.put(url, headers=h, json=body, follow_redirects=False)
        return c.post(url, headers=h, files={"file": ("k.txt", EXAMPLE.read_bytes())}, follow_redirects=False)
    if method == "GET":
        return c.get(url, follow_redirects=False)
    csrf = world["anon_csrf"] if role == "anonymous" else token(c)
    return c.post(url, data={"csrf_token": csrf, "sample": "x", "day": dt.date.today().isoformat(),
                             "revision": "0", "skin_score": "5"}, follow_redirects=False)


def _leaks(world, role: str, path: str, body: str) -> list[str]:
    """The owner's data that ``role`` must not see in this response."""
    if role in ("owner", "pract_grant"):  # their own data; the grant allows reports, diary and upload
        return []
    found = [m for m in world["health"] if m and m in body]
    email_allowed = role == "admin" and kind("GET", path) == "admin"  # the account list: facts, no health data
    if OWNER_EMAIL in body and not email_allowed:
        found.append(OWNER_EMAIL)
    return found


def test_every_route_is_covered():
    for _, path in ROUTES:
        for name in re.findall(r"{(\w+)}", path):
            assert name in IDS, f"route {path} takes {{{name}}}: add it to IDS with an owner's object (and check it)"


def test_object_ids_in_queries_and_forms_are_checked_too(world):  # before the matrix, which posts junk forms
    cs, rid = world["clients"], world["ids"]["report_id"]
    own = cs["owner"].get(f"/trials/new?report_id={rid}")
    assert own.status_code == 200 and f'name="report_id" value="{rid}"' in own.text
    other = cs["other"]
    assert other.get(f"/trials/new?report_id={rid}").status_code == 404
    other.post("/questionnaire", data={"csrf_token": token(other), "about_you.age_group": "adult"})
    r = other.post("/trials", data={"csrf_token": token(other), "food": "dairy", "condition": "acne",
                                    "start": dt.date.today().isoformat(), "report_id": str(rid)})
    assert r.status_code == 404


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_access_matrix(world, method, path):
    problems = []
    for role in ROLES:
        want = expected(role, method, path)
        rightful = want is not None and 200 in want and 404 not in want
        if (method, path) in NEVER_SENT and role != "anonymous":
            continue
        if method != "GET" and rightful and kind(method, path) != "self":
            continue  # the rightful user's delete/revoke/disable would destroy the fixture; tested elsewhere
        r = _send(world, role, method, path, _url(world, role, path))
        if r.status_code >= 500:
            problems.append(f"{role}: {r.status_code}")
        elif want is not None and r.status_code not in want:
            problems.append(f"{role}: {r.status_code}, expected {sorted(want)}")
        if r.status_code == 303 and role == "anonymous" and kind(method, path) != "public":
            assert r.headers["location"].endswith("/login"), (role, path, r.headers["location"])
        body = r.content.decode("utf-8", "replace")
        leaked = _leaks(world, role, path, body)
        if leaked:
            problems.append(f"{role}: the response holds the owner's {leaked}")
    assert not problems, f"{method} {path}: " + "; ".join(problems)


def test_the_matrix_has_every_column_and_route_kind():
    kinds = {kind(m, p) for m, p in ROUTES}
    assert kinds == {"public", "admin", "client", "owner", "self"}, kinds
    assert len(ROLES) == 7
