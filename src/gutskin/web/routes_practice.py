"""One merged table, many clients (issue #15): a practitioner (or lab) holding grants that allow uploads maps each
sample of a merged table to a client; each mapped sample becomes that client's own test — only their column of the
table, never the others' — and its report.

Pages: the table is uploaded as the practitioner's own test (``/tests/new``); its page links to
``/tests/{id}/clients``, a form listing every sample with a client chooser (pre-chosen where the sample id equals a
client's e-mail, its local part, or their name). Submitting streams a result page, one line per sample as it is
done (progress without JavaScript). API: ``POST /api/v1/tables`` (in ``routes_api``) does the same in one call.

Every sample is stored in its own transactions (the test with its bytes; then the report), so one failure —
no live upload grant for that client, a sample that cannot be taken out of the table, a report the engine refuses
— is listed with its reason and the others are kept.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import InputError, RefusedError
from ..store import Database
from ..store.models import Grant, Person, Upload, UploadBlob, User, utcnow
from . import adapter
from .access import live_grant, owned
from .config import WebConfig
from .deps import Ctx, NotFound, csrf_form, require_user

router = APIRouter()
log = logging.getLogger(__name__)


@dataclass
class SampleResult:
    sample: str
    grant_id: int | None
    client: str | None
    status: str  # "stored" (test and report), "failed", "skipped" (not mapped)
    test_id: int | None = None
    report_id: int | None = None
    error: str | None = None


def upload_clients(db: Session, practitioner_id: int) -> list[tuple[Grant, User]]:
    """The live grants this account holds that allow uploading, with each client (by e-mail)."""
    grants = db.scalars(select(Grant).where(Grant.grantee_user_id == practitioner_id, Grant.scope == "upload",
                                            Grant.accepted_at.is_not(None), Grant.revoked_at.is_(None))
                        .order_by(Grant.id)).all()
    out = [(g, db.get(User, g.user_id)) for g in grants]
    return sorted([(g, u) for g, u in out if u is not None], key=lambda gu: gu[1].email)


def _labels(db: Session, user: User) -> set[str]:
    """What a sample id may equal to name this client: the e-mail, its local part, the display and person names."""
    names = {user.email, user.email.split("@", 1)[0], user.display_name or ""}
    names |= {p.name for p in db.scalars(select(Person).where(Person.user_id == user.id))}
    return {n.strip().lower() for n in names if n and n.strip() and n.strip().lower() != "me"}


def auto_match(db: Session, samples: list[str], clients: list[tuple[Grant, User]]) -> dict[str, int]:
    """sample → grant id where the sample id equals exactly one client's label (case-insensitive)."""
    labels = {g.id: _labels(db, u) for g, u in clients}
    out = {}
    for s in samples:
        hits = [gid for gid, names in labels.items() if s.strip().lower() in names]
        if len(hits) == 1:
            out[s] = hits[0]
    return out


def store_sample(db: Session, request: Request, config: WebConfig, actor: User, table: bytes, filename: str,
                 sample: str, grant_id: int, via: str) -> SampleResult:
    """One mapped sample: the client's own test (one transaction), then its report (another)."""
    from .routes_tests import report_for

    ctx = Ctx(request=request, db=db, config=config, user=actor)
    res = SampleResult(sample=sample, grant_id=grant_id, client=None, status="failed")
    try:
        g = live_grant(ctx, grant_id, "upload")
    except NotFound:
        res.error = "no live grant that allows uploading for this client"
        return res
    client = db.get(User, g.user_id)
    res.client = client.email if client else None
    try:
        own, own_name, info = adapter.split_sample(table, filename, sample)
        owner_ctx = Ctx(request=request, db=db, config=config, user=client)
        person = owner_ctx.person()
        up = Upload(user_id=g.user_id, person_id=person.id, filename=own_name, size=len(own),
                    sha256=hashlib.sha256(own).hexdigest(), format=info.format, profiler=info.profiler,
                    database=info.database, method=info.method, samples=info.samples, sample=sample,
                    n_taxa=info.n_taxa, uploaded_by=actor.id)
        db.add(up)
        db.flush()
        db.add(UploadBlob(upload_id=up.id, user_id=g.user_id, data=own))
        ctx.audit("upload.create", subject=g.user_id, obj_type="upload", obj_id=up.id,
                  detail={"via": via, "merged_table": adapter._safe_filename(filename), "sample": sample})
        db.commit()
        res.test_id = up.id
    except (InputError, RefusedError) as exc:
        db.rollback()
        res.error = str(exc)
        return res
    try:
        row = report_for(owner_ctx, up)
        ctx.audit("client.report.build", subject=g.user_id, obj_type="report", obj_id=row.id, detail={"via": via})
        db.commit()
        res.report_id, res.status = row.id, "stored"
    except (InputError, RefusedError) as exc:
        db.rollback()
        res.error = f"the test was stored, but its report could not be built: {exc}"
    return res


def run_table(database: Database, request: Request, config: WebConfig, actor_id: int, table: bytes, filename: str,
              samples: list[str], mapping: dict[str, int], via: str) -> Iterator[SampleResult]:
    """Each sample in table order, as it is done; one failure (even an unexpected one) never stops the others."""
    for sample in samples:
        gid = mapping.get(sample)
        if gid is None:
            yield SampleResult(sample=sample, grant_id=None, client=None, status="skipped")
            continue
        with database.sessions() as db:
            actor = db.get(User, actor_id)
            try:
                yield store_sample(db, request, config, actor, table, filename, sample, gid, via)
            except Exception:  # a bug for one sample: logged, listed, and the next sample goes on
                db.rollback()
                log.exception("merged table: sample %r failed", sample)
                yield SampleResult(sample=sample, grant_id=gid, client=None, status="failed",
                                   error="an internal error (logged for the administrator); nothing was lost for "
                                         "the other samples")


def parse_mapping(form: Any, samples: list[str]) -> dict[str, int]:
    """The form's ``client.<sample>`` choices: a grant id, or empty for "not this table's client"."""
    out = {}
    for i, s in enumerate(samples):
        value = str(form.get(f"client.{i}") or "").strip()
        if value.isdigit() and len(value) < 11:
            out[s] = int(value)
    return out


# ------------------------------------------------------------------------------------------ pages
@router.get("/tests/{upload_id}/clients")
def assign_page(upload_id: int, ctx: Ctx = Depends(require_user)):
    up = owned(ctx, Upload, upload_id)
    clients = upload_clients(ctx.db, ctx.user.id)
    return ctx.render("assign.html.j2", up=up, clients=clients, match=auto_match(ctx.db, up.samples, clients))


@router.post("/tests/{upload_id}/clients")
def assign(upload_id: int, request: Request, ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    up = owned(ctx, Upload, upload_id)
    mapping = parse_mapping(form, up.samples)
    clients = upload_clients(ctx.db, ctx.user.id)
    if not mapping:
        return ctx.render("assign.html.j2", status_code=400, up=up, clients=clients,
                          match=auto_match(ctx.db, up.samples, clients),
                          error="Choose a client for at least one sample.")
    table = ctx.db.get(UploadBlob, up.id).data
    filename, samples, actor_id = up.filename, list(up.samples), ctx.user.id
    page = ctx.request.app.state.templates.get_template("assign_result.html.j2").render(
        request=request, user=ctx.user, csrf=ctx.csrf, config=ctx.config, up=up, n=len(mapping),
        started=utcnow())
    head, _, tail = page.partition("<!--ROWS-->")
    ctx.audit("merged_table.assign", obj_type="upload", obj_id=up.id, detail={"samples": len(mapping)})
    ctx.db.commit()
    database: Database = request.app.state.database

    def stream() -> Iterator[str]:
        yield head
        counts = {"stored": 0, "failed": 0, "skipped": 0}
        for r in run_table(database, request, ctx.config, actor_id, table, filename, samples, mapping, "page"):
            counts[r.status] += 1
            yield _row_html(r)
        yield ("</ol><p class='summary' role='status'><strong>Done:</strong> "
               f"{counts['stored']} stored with a report, {counts['failed']} failed, {counts['skipped']} not "
               "mapped.</p>")
        yield tail

    # Streamed: the browser shows each sample's line as it is done (a report takes seconds), without JavaScript.
    return ctx.finish(StreamingResponse(stream(), media_type="text/html; charset=utf-8"))


def _row_html(r: SampleResult) -> str:
    who = escape(r.client or "—")
    if r.status == "skipped":
        return f"<li class='skipped'><strong>{escape(r.sample)}</strong>: not mapped to a client, not stored.</li>"
    if r.status == "stored":
        return (f"<li class='stored'><strong>{escape(r.sample)}</strong> → {who}: stored "
                f"(<a href='/clients/{r.grant_id}'>client page</a>, "
                f"<a href='/clients/{r.grant_id}/reports/{r.report_id}'>report</a>).</li>")
    return (f"<li class='failed'><strong>{escape(r.sample)}</strong> → {who}: <em>failed</em> — "
            f"{escape(r.error or '')}</li>")
