"""The JSON API under ``/api/v1`` (issue #15): personal API tokens (``Authorization: Bearer gsk_…``, hashed at rest,
scoped ``read``/``write``, expiring, revocable) for people and practitioners. Same access rules as the pages
(``gutskin.web.access``): another person's object is 404; a practitioner reaches a client only through a live grant.

The OpenAPI document is served at ``/api/v1/openapi.json`` and committed as ``docs/openapi.json``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..errors import InputError, RefusedError
from ..store import Database
from ..store.diary import DayTaken, save_day
from ..store.models import (
    ApiToken,
    BuiltReport,
    DiaryEntry,
    Grant,
    QuestionnaireAnswers,
    TrialPlan,
    Upload,
    UploadBlob,
    User,
    utcnow,
)
from . import adapter, security
from .access import client_object, live_grant, owned
from .deps import Ctx

router = APIRouter(prefix="/api/v1", tags=["api"])
TOKEN_PREFIX = "gsk_"


class ApiError(BaseModel):
    detail: str


class TestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    filename: str
    size: int
    sha256: str
    format: str
    profiler: str | None
    database: str | None
    method: str | None
    samples: list[str]
    sample: str | None
    created_at: dt.datetime


class ReportRef(BaseModel):
    id: int
    test_id: int
    questionnaire_version: int
    gutskin_version: str
    created_at: dt.datetime


class TrialOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    food: str
    condition: str
    start_date: dt.date
    end_date: dt.date
    plan: dict[str, Any]


class DiaryDay(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skin_score: float = Field(ge=0, le=10)
    itch: float | None = Field(None, ge=0, le=10)
    adhered: bool | None = None
    notes: str | None = Field(None, max_length=2000)
    revision: int = Field(0, ge=0, description="The revision this save replaces (0 for a new day).")


class DiaryOut(DiaryDay):
    day: dt.date


class GrantOut(BaseModel):
    id: int
    scope: str
    client: str | None = Field(None, description="The client's e-mail (for the practitioner's list).")
    accepted_at: dt.datetime | None
    revoked_at: dt.datetime | None


# ------------------------------------------------------------------------------------------ authentication
def api_ctx(request: Request):
    """The caller from its bearer token; 401 without a valid one. Tokens are never logged."""
    database: Database = request.app.state.database
    auth = request.headers.get("authorization", "")
    raw = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    with database.sessions() as db:
        tok = db.scalar(select(ApiToken).where(ApiToken.token_hash == security.token_hash(raw))) \
            if raw.startswith(TOKEN_PREFIX) and len(raw) < 200 else None
        now = utcnow()
        if tok is None or tok.revoked_at is not None or tok.expires_at <= now:
            raise HTTPException(401, "a valid API token is needed (Authorization: Bearer gsk_...)",
                                headers={"WWW-Authenticate": "Bearer"})
        user = db.get(User, tok.user_id)
        if user is None or user.disabled_at is not None:
            raise HTTPException(401, "a valid API token is needed", headers={"WWW-Authenticate": "Bearer"})
        if tok.last_used_at is None or (now - tok.last_used_at).total_seconds() > 60:
            tok.last_used_at = now
        db.commit()
        ctx = Ctx(request=request, db=db, config=request.app.state.config, user=user)
        ctx.scopes = set(tok.scopes)  # type: ignore[attr-defined]
        yield ctx


def _need(ctx: Ctx, scope: str) -> None:
    if scope not in ctx.scopes:  # type: ignore[attr-defined]
        raise HTTPException(403, f"this token lacks the '{scope}' scope")


def _bad(exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=400)


ERRORS = {401: {"model": ApiError}, 404: {"model": ApiError}, 400: {"model": ApiError}}


# ------------------------------------------------------------------------------------------ tests and reports
@router.get("/tests", response_model=list[TestOut], responses=ERRORS)
def list_tests(ctx: Ctx = Depends(api_ctx)):
    _need(ctx, "read")
    return ctx.db.scalars(select(Upload).where(Upload.user_id == ctx.user.id).order_by(Upload.id)).all()


def _store_upload(ctx: Ctx, owner_id: int, data: bytes, filename: str, sample: str | None) -> Upload:
    info = adapter.read_upload(data, filename)
    if sample is not None and sample not in info.samples:
        raise InputError(f"no sample named {sample!r}; samples are {info.samples[:10]}", field="sample")
    chosen = sample or (info.samples[0] if len(info.samples) == 1 else None)
    person = ctx.db.scalar(select(User).where(User.id == owner_id)).people[0]
    up = Upload(user_id=owner_id, person_id=person.id, filename=adapter._safe_filename(filename), size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), format=info.format, profiler=info.profiler,
                database=info.database, method=info.method, samples=info.samples, sample=chosen,
                n_taxa=info.n_taxa, uploaded_by=ctx.user.id if owner_id != ctx.user.id else None)
    ctx.db.add(up)
    ctx.db.flush()
    ctx.db.add(UploadBlob(upload_id=up.id, user_id=owner_id, data=data))
    ctx.audit("upload.create", subject=owner_id, obj_type="upload", obj_id=up.id, detail={"via": "api"})
    ctx.db.commit()
    return up


async def _read_file(ctx: Ctx, file: UploadFile) -> bytes:
    data = await file.read(ctx.config.max_upload_bytes + 1)
    if len(data) > ctx.config.max_upload_bytes:
        raise HTTPException(413, f"the file is larger than the {ctx.config.max_upload_bytes // (1024 * 1024)} MB "
                                 "limit; nothing was stored")
    return data


@router.post("/tests", response_model=TestOut, status_code=201, responses={**ERRORS, 413: {"model": ApiError}})
async def create_test(file: UploadFile = File(...), sample: str | None = Form(None), ctx: Ctx = Depends(api_ctx)):
    _need(ctx, "write")
    data = await _read_file(ctx, file)
    try:
        return await run_in_threadpool(_store_upload, ctx, ctx.user.id, data, file.filename or "upload", sample)
    except (InputError, RefusedError) as exc:
        ctx.db.rollback()
        return _bad(exc)


@router.get("/tests/{upload_id}", response_model=TestOut, responses=ERRORS)
def get_test(upload_id: int, ctx: Ctx = Depends(api_ctx)):
    _need(ctx, "read")
    return owned(ctx, Upload, upload_id)


def _report_ref(row: BuiltReport) -> ReportRef:
    return ReportRef(id=row.id, test_id=row.upload_id, questionnaire_version=row.questionnaire_version,
                     gutskin_version=row.gutskin_version, created_at=row.created_at)


@router.post("/tests/{upload_id}/report", response_model=ReportRef, responses=ERRORS)
def make_report(upload_id: int, ctx: Ctx = Depends(api_ctx)):
    """The report of this test with the current questionnaire (built once, then cached)."""
    _need(ctx, "write")
    from .routes_tests import report_for

    up = owned(ctx, Upload, upload_id)
    if up.sample is None:
        return _bad(InputError("the file holds several samples; upload it again with 'sample'", field="sample"))
    try:
        return _report_ref(report_for(ctx, up))
    except (InputError, RefusedError) as exc:
        return _bad(exc)


@router.get("/reports", response_model=list[ReportRef], responses=ERRORS)
def list_reports(ctx: Ctx = Depends(api_ctx)):
    _need(ctx, "read")
    rows = ctx.db.scalars(select(BuiltReport).where(BuiltReport.user_id == ctx.user.id).order_by(BuiltReport.id))
    return [_report_ref(r) for r in rows]


@router.get("/reports/{report_id}", responses={**ERRORS, 200: {"description": "The report JSON "
                                                                 "(docs/report-schema.json)."}})
def get_report(report_id: int, ctx: Ctx = Depends(api_ctx)):
    _need(ctx, "read")
    row = owned(ctx, BuiltReport, report_id)
    return Response(row.report_json, media_type="application/json")


@router.get("/reports/{report_id}/pdf", response_class=Response,
            responses={**ERRORS, 200: {"content": {"application/pdf": {}}}})
async def get_report_pdf(report_id: int, ctx: Ctx = Depends(api_ctx)):
    _need(ctx, "read")
    row = owned(ctx, BuiltReport, report_id)
    pdf = await run_in_threadpool(adapter.report_pdf, adapter.report_from_json(row.report_json))
    return Response(pdf, media_type="application/pdf")


@router.get("/tests/{upload_id}/fhir",
            responses={**ERRORS, 200: {"description": "The test as a FHIR R4 Bundle (docs/fhir.md), with the "
                                                      "questionnaire and the trial where present.",
                                       "content": {"application/fhir+json": {}}}})
async def get_test_fhir(upload_id: int, pdf: bool = True, ctx: Ctx = Depends(api_ctx)):
    """The FHIR R4 Bundle of this test (``gutskin export --fhir``): the report, every measured quantity, the
    questionnaire, and the trial plan with its diary days. ``pdf=false`` leaves the PDF out of the report."""
    _need(ctx, "read")
    from .exports import fhir_of_test

    up = owned(ctx, Upload, upload_id)
    try:
        bundle = await run_in_threadpool(fhir_of_test, ctx.db, up, pdf=pdf)
    except (InputError, RefusedError) as exc:
        return _bad(exc)
    ctx.audit("fhir.export", obj_type="upload", obj_id=up.id, detail={"via": "api"})
    ctx.db.commit()
    return JSONResponse(bundle, media_type="application/fhir+json")


# ------------------------------------------------------------------------------------------ questionnaire
class QuestionnaireIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, Any] = Field(description="The questionnaire answers (docs/questionnaire-schema.json).")


class QuestionnaireOut(BaseModel):
    version: int = Field(description="Each save is a new version (1, 2, ...); reports name the version they used.")
    schema_version: str
    saved_at: dt.datetime
    answers: dict[str, Any]


def _answers(ctx: Ctx, owner_id: int, version: int | None) -> QuestionnaireOut:
    q = select(QuestionnaireAnswers).where(QuestionnaireAnswers.user_id == owner_id)
    q = q.where(QuestionnaireAnswers.version == version) if version is not None \
        else q.order_by(QuestionnaireAnswers.version.desc()).limit(1)
    row = ctx.db.scalar(q)
    if row is None:
        raise HTTPException(404, "no questionnaire answers saved" if version is None else f"no version {version}")
    return QuestionnaireOut(version=row.version, schema_version=row.schema_version, saved_at=row.created_at,
                            answers=row.answers)


@router.get("/questionnaire", response_model=QuestionnaireOut, responses=ERRORS)
def get_questionnaire(version: int | None = Query(None, ge=1, le=2**31 - 1), ctx: Ctx = Depends(api_ctx)):
    """The latest saved answers (or the given version)."""
    _need(ctx, "read")
    return _answers(ctx, ctx.user.id, version)


@router.put("/questionnaire", response_model=QuestionnaireOut, responses={**ERRORS, 409: {"model": ApiError}})
def put_questionnaire(body: QuestionnaireIn, ctx: Ctx = Depends(api_ctx)):
    """Save the answers as a new version (the old versions stay; the next report uses the new one)."""
    _need(ctx, "write")
    from .routes_tests import save_answers

    try:
        adapter.questionnaire_from_answers(body.answers or {})
    except InputError as exc:
        return _bad(exc)
    try:
        row = save_answers(ctx, body.answers, via="api")
    except IntegrityError:  # saved at the same moment by another request
        ctx.db.rollback()
        return JSONResponse({"detail": "the questionnaire was just saved by another request; try again"},
                            status_code=409)
    return QuestionnaireOut(version=row.version, schema_version=row.schema_version, saved_at=row.created_at,
                            answers=row.answers)


# ------------------------------------------------------------------------------------------ trials and diary
@router.get("/trials", response_model=list[TrialOut], responses=ERRORS)
def list_trials(ctx: Ctx = Depends(api_ctx)):
    _need(ctx, "read")
    return ctx.db.scalars(select(TrialPlan).where(TrialPlan.user_id == ctx.user.id).order_by(TrialPlan.id)).all()


@router.get("/trials/{trial_id}/diary", response_model=list[DiaryOut], responses=ERRORS)
def get_diary(trial_id: int, ctx: Ctx = Depends(api_ctx)):
    _need(ctx, "read")
    trial = owned(ctx, TrialPlan, trial_id)
    rows = ctx.db.scalars(select(DiaryEntry).where(DiaryEntry.trial_id == trial.id).order_by(DiaryEntry.day))
    return [DiaryOut(day=e.day, skin_score=e.skin_score if e.skin_score is not None else 0, itch=e.itch,
                     adhered=e.adhered, notes=e.notes, revision=e.revision) for e in rows]


@router.put("/trials/{trial_id}/diary/{day}", response_model=DiaryOut, responses={**ERRORS, 409: {"model": ApiError}})
def put_diary(trial_id: int, day: dt.date, body: DiaryDay, ctx: Ctx = Depends(api_ctx)):
    """Save one day (the same rules as the diary page: within the plan, not in the future, one entry per day)."""
    _need(ctx, "write")

    trial = owned(ctx, TrialPlan, trial_id)
    if not trial.start_date <= day <= min(trial.end_date, utcnow().date()):
        return _bad(InputError(f"{day} is outside the plan or in the future", field="day"))
    entry = ctx.db.scalar(select(DiaryEntry).where(DiaryEntry.trial_id == trial.id, DiaryEntry.day == day))
    current = entry.revision if entry else 0
    if body.revision != current:
        return JSONResponse({"detail": f"{day} is at revision {current}; send revision={current} to change it"},
                            status_code=409)
    values = body.model_dump(exclude={"revision"})
    try:
        entry = save_day(ctx.db, user_id=ctx.user.id, trial_id=trial.id, day=day, entry=entry, values=values,
                         now=utcnow())
    except DayTaken:  # the same day saved at the same moment by another client
        return JSONResponse({"detail": f"{day} was just saved by another request; read it and try again"},
                            status_code=409)
    ctx.audit("diary.save", obj_type="diary_entry", obj_id=entry.id, detail={"via": "api"})
    ctx.db.commit()
    return DiaryOut(day=day, revision=entry.revision, **values)


# ------------------------------------------------------------------------------------------ grants and clients
@router.get("/grants", response_model=list[GrantOut], responses=ERRORS)
def list_grants(ctx: Ctx = Depends(api_ctx)):
    """Grants this account gave (as a person) and live grants it holds (as a practitioner)."""
    _need(ctx, "read")
    out = [GrantOut(id=g.id, scope=g.scope, accepted_at=g.accepted_at, revoked_at=g.revoked_at)
           for g in ctx.db.scalars(select(Grant).where(Grant.user_id == ctx.user.id))]
    for g in ctx.db.scalars(select(Grant).where(Grant.grantee_user_id == ctx.user.id, Grant.revoked_at.is_(None))):
        client = ctx.db.get(User, g.user_id)
        out.append(GrantOut(id=g.id, scope=g.scope, client=client.email if client else None,
                            accepted_at=g.accepted_at, revoked_at=g.revoked_at))
    return out


@router.post("/clients/{grant_id}/tests", response_model=TestOut, status_code=201,
             responses={**ERRORS, 413: {"model": ApiError}})
async def client_upload(grant_id: int, file: UploadFile = File(...), sample: str | None = Form(None),
                        ctx: Ctx = Depends(api_ctx)):
    """Upload a test on a client's behalf (a live grant with the 'upload' scope)."""
    _need(ctx, "write")
    g = live_grant(ctx, grant_id, "upload")
    data = await _read_file(ctx, file)
    try:
        return await run_in_threadpool(_store_upload, ctx, g.user_id, data, file.filename or "upload", sample)
    except (InputError, RefusedError) as exc:
        ctx.db.rollback()
        return _bad(exc)


@router.get("/clients/{grant_id}/tests", response_model=list[TestOut], responses=ERRORS)
def client_tests(grant_id: int, ctx: Ctx = Depends(api_ctx)):
    _need(ctx, "read")
    g = live_grant(ctx, grant_id, "reports")
    ctx.audit("client.tests.read", subject=g.user_id, obj_type="grant", obj_id=g.id, detail={"via": "api"})
    ctx.db.commit()
    return ctx.db.scalars(select(Upload).where(Upload.user_id == g.user_id).order_by(Upload.id)).all()


@router.post("/clients/{grant_id}/tests/{upload_id}/report", response_model=ReportRef, responses=ERRORS)
def client_report_make(grant_id: int, upload_id: int, ctx: Ctx = Depends(api_ctx)):
    """Build (or fetch the cached) report of a client's test, with the client's questionnaire."""
    _need(ctx, "write")
    g = live_grant(ctx, grant_id, "upload")
    up = client_object(ctx, g, Upload, upload_id)
    if up.sample is None:
        return _bad(InputError("the file holds several samples; upload it again with 'sample'", field="sample"))
    from .routes_tests import report_for

    owner = ctx.db.get(User, g.user_id)
    as_owner = Ctx(request=ctx.request, db=ctx.db, config=ctx.config, user=owner)
    try:
        row = report_for(as_owner, up)
    except (InputError, RefusedError) as exc:
        return _bad(exc)
    ctx.audit("client.report.build", subject=g.user_id, obj_type="report", obj_id=row.id, detail={"via": "api"})
    ctx.db.commit()
    return _report_ref(row)


@router.get("/clients/{grant_id}/questionnaire", response_model=QuestionnaireOut, responses=ERRORS)
def client_questionnaire(grant_id: int, version: int | None = Query(None, ge=1, le=2**31 - 1),
                         ctx: Ctx = Depends(api_ctx)):
    """A client's questionnaire answers (read-only; any live grant: the reports are built from them)."""
    _need(ctx, "read")
    g = live_grant(ctx, grant_id, "reports")
    out = _answers(ctx, g.user_id, version)
    ctx.audit("client.questionnaire.read", subject=g.user_id, obj_type="questionnaire", obj_id=out.version,
              detail={"via": "api"})
    ctx.db.commit()
    return out


@router.get("/clients/{grant_id}/reports/{report_id}", responses=ERRORS)
def client_report(grant_id: int, report_id: int, ctx: Ctx = Depends(api_ctx)):
    _need(ctx, "read")
    g = live_grant(ctx, grant_id, "reports")
    row = client_object(ctx, g, BuiltReport, report_id)
    ctx.audit("client.report.read", subject=g.user_id, obj_type="report", obj_id=row.id, detail={"via": "api"})
    ctx.db.commit()
    return Response(row.report_json, media_type="application/json")


@router.get("/clients/{grant_id}/reports/{report_id}/pdf", response_class=Response,
            responses={**ERRORS, 200: {"content": {"application/pdf": {}}}})
async def client_report_pdf(grant_id: int, report_id: int, ctx: Ctx = Depends(api_ctx)):
    _need(ctx, "read")
    g = live_grant(ctx, grant_id, "reports")
    row = client_object(ctx, g, BuiltReport, report_id)
    ctx.audit("client.report.read", subject=g.user_id, obj_type="report", obj_id=row.id,
              detail={"via": "api", "as": "pdf"})
    ctx.db.commit()
    pdf = await run_in_threadpool(adapter.report_pdf, adapter.report_from_json(row.report_json))
    return Response(pdf, media_type="application/pdf")


class TableSample(BaseModel):
    sample: str
    grant_id: int | None = Field(None, description="The client's grant this sample was mapped to.")
    client: str | None = Field(None, description="The client's e-mail.")
    status: str = Field(description="stored (test and report), failed (see error), skipped (not mapped).")
    test_id: int | None = None
    report_id: int | None = None
    error: str | None = None


class TableResult(BaseModel):
    filename: str
    samples: list[TableSample]


@router.post("/tables", response_model=TableResult, responses={**ERRORS, 413: {"model": ApiError}})
async def merged_table(file: UploadFile = File(...),
                       clients: str = Form(..., description='JSON object: sample id → grant id, e.g. '
                                                            '{"S1": 12, "S2": 14}. Unmapped samples are skipped.'),
                       ctx: Ctx = Depends(api_ctx)):
    """A merged table with many samples for many clients (labs): each mapped sample becomes that client's own test
    (only their sample) and report, through a live grant that allows uploading. Each sample is stored in its own
    transactions; a failure is listed with its reason and never undoes the others."""
    import json

    from .routes_practice import run_table

    _need(ctx, "write")
    try:
        raw = json.loads(clients)
    except ValueError:
        raw = None
    if not isinstance(raw, dict) or not raw or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in raw.items()):
        return _bad(InputError('clients must be a JSON object of sample id → grant id, e.g. {"S1": 12}',
                               field="clients"))
    data = await _read_file(ctx, file)
    filename = file.filename or "upload"
    try:
        info = await run_in_threadpool(adapter.read_upload, data, filename)
    except (InputError, RefusedError) as exc:
        return _bad(exc)
    unknown = sorted(set(raw) - set(info.samples))
    if unknown:
        return _bad(InputError(f"no sample named {unknown[0]!r} in this table; samples are {info.samples[:10]}",
                               field="clients"))
    mapping = {k: v for k, v in raw.items()}
    actor_id = ctx.user.id
    ctx.db.commit()

    def work() -> list[TableSample]:
        return [TableSample(**r.__dict__) for r in run_table(ctx.request.app.state.database, ctx.request,
                                                              ctx.config, actor_id, data, filename, info.samples,
                                                              mapping, "api")]

    results = await run_in_threadpool(work)
    return TableResult(filename=adapter._safe_filename(filename), samples=results)


def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI document (committed as docs/openapi.json; a test fails when it is stale)."""
    doc = get_openapi(title="gutskin API", version=__version__, routes=router.routes,
                      description="Personal API tokens (Authorization: Bearer gsk_...) are made on the account "
                                  "page. Another person's object is 404; a practitioner reaches a client only "
                                  "through a live grant.")
    doc.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    doc["security"] = [{"bearer": []}]
    return doc


@router.get("/openapi.json", include_in_schema=False)
def openapi():
    return JSONResponse(openapi_document())


if __name__ == "__main__":  # python -m gutskin.web.routes_api > docs/openapi.json
    import json
    import sys

    sys.stdout.write(json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n")
