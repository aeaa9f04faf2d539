"""Access control for every route that takes an object id: another user's id gives 404, never the data.

The routes are enumerated from the app, so a new route with an id parameter must be added to ``IDS`` (and get the
ownership check) or this test fails.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from gutskin.web.app import create_app
from gutskin.web.security import token_hash

from ..store.dbutil import fresh_database
from .conftest import EXAMPLE, client, invite_code, make_config, make_practitioner, signup, token, upload
from .test_api import make_token

SECRET_NAME = "owner-private-profile.txt"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("access")
    with fresh_database(tmp) as url:
        config = make_config(url, tmp)
        with client(config) as owner, client(config) as other, client(config) as pract:
            signup(owner, "owner@example.org")
            make_practitioner(config, pract, "pract@example.org")
            signup(other, "other@example.org")
            t = token(owner)
            owner.post("/questionnaire", data={"csrf_token": t, "about_you.age_group": "adult"})
            up = upload(owner, SECRET_NAME, EXAMPLE.read_bytes())
            upload_id = int(up.url.path.rsplit("/", 1)[1])
            rep = owner.get(f"/tests/{upload_id}/report")
            report_id = int(rep.url.path.rsplit("/", 1)[1])
            start = dt.date.today() - dt.timedelta(days=3)
            tr = owner.post("/trials", data={"csrf_token": t, "food": "dairy", "condition": "acne",
                                             "start": start.isoformat(), "design": "ABA"})
            trial_id = int(tr.url.path.rsplit("/", 1)[1])
            owner.post(f"/trials/{trial_id}/diary", data={"csrf_token": t, "day": start.isoformat(),
                                                           "revision": "0", "skin_score": "4"})
            code = invite_code(owner, "reports_diary")
            acc = pract.post("/clients", data={"csrf_token": token(pract), "code": code})
            grant_id = int(acc.url.path.rsplit("/", 1)[1])
            ids = {"upload_id": upload_id, "report_id": report_id, "trial_id": trial_id, "grant_id": grant_id,
                   "session_id": token_hash(owner.cookies.get("__Host-gutskin"))}
            tokens = {name: make_token(c) for name, c in (("owner", owner), ("other", other),
                                                              ("practitioner", pract))}
            ids["day"] = start.isoformat()
            ids["token_id"] = int(re.search(r"/account/tokens/(\d+)/revoke", owner.get("/account/tokens").text)
                                  .group(1))
            yield {"owner": owner, "other": other, "practitioner": pract, "ids": ids, "tokens": tokens}


IDS = ("upload_id", "report_id", "trial_id", "session_id", "grant_id", "token_id", "day")


def _api_routes(routes, prefix: str = ""):
    """Every APIRoute, also inside included routers (newer FastAPI keeps them as wrappers)."""
    for r in routes:
        if isinstance(r, APIRoute):
            yield prefix, r
        elif hasattr(r, "include_context"):
            yield from _api_routes(r.include_context.included_router.routes, prefix + r.include_context.prefix)
        elif hasattr(r, "routes") and not hasattr(r, "app"):
            yield from _api_routes(r.routes, prefix)


def _object_routes() -> list[tuple[str, str]]:
    app = create_app(make_config("sqlite://", Path("/tmp")))
    out = []
    for prefix, r in _api_routes(app.routes):
        path = prefix + r.path
        if "{" in path and path != "/api/v1/openapi.json":
            for m in sorted(r.methods - {"HEAD"}):
                out.append((m, path))
    assert len({p for _, p in out}) >= 8, "route enumeration found too few routes; has FastAPI changed?"
    return out


ROUTES = _object_routes()


def test_every_object_route_is_covered():
    assert ROUTES, "no routes with an object id found"
    for _, path in ROUTES:
        for name in re.findall(r"{(\w+)}", path):
            assert name in IDS, f"route {path} takes {{{name}}}: add it to IDS with an owner's object (and check it)"


def _request(world, who: str, method: str, path: str, url: str):
    c = world[who]
    if path.startswith("/api/"):
        h = {"Authorization": f"Bearer {world['tokens'][who]}"}
        if method == "GET":
            return c.get(url, headers=h)
        if method == "PUT":
            return c.put(url, headers=h, json={"skin_score": 5, "revision": 1})
        return c.post(url, headers=h, files={"file": ("k.txt", EXAMPLE.read_bytes())})
    if method == "GET":
        return c.get(url)
    return c.post(url, data={"csrf_token": token(c), "sample": "x", "day": dt.date.today().isoformat(),
                             "revision": "0", "skin_score": "5"})


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_another_users_object_gives_404(world, method, path):
    url = re.sub(r"{(\w+)}", lambda m: str(world["ids"][m.group(1)]), path)
    r = _request(world, "other", method, path, url)
    assert r.status_code == 404, (method, url, r.status_code)
    assert SECRET_NAME not in r.text and "owner@example.org" not in r.text
    via_grant = path.startswith(("/clients/", "/api/v1/clients/"))
    if method == "GET":  # and the rightful user does get it (so the 404 is the check, not a broken route)
        rightful = "practitioner" if via_grant else "owner"
        assert _request(world, rightful, method, path, url).status_code == 200
        if via_grant:  # the owner has no business on the practitioner's pages either
            assert _request(world, "owner", method, path, url).status_code == 404


def test_object_ids_in_queries_and_forms_are_checked_too(world):
    other, rid = world["other"], world["ids"]["report_id"]
    own = world["owner"].get(f"/trials/new?report_id={rid}")
    assert own.status_code == 200 and f'name="report_id" value="{rid}"' in own.text
    assert other.get(f"/trials/new?report_id={rid}").status_code == 404
    other.post("/questionnaire", data={"csrf_token": token(other), "about_you.age_group": "adult"})
    r = other.post("/trials", data={"csrf_token": token(other), "food": "dairy", "condition": "acne",
                                    "start": dt.date.today().isoformat(), "report_id": str(rid)})
    assert r.status_code == 404
