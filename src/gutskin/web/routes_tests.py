"""Uploaded tests, their reports (page, PDF, JSON) and the questionnaire."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from ..errors import InputError, RefusedError
from ..store.models import BuiltReport, QuestionnaireAnswers, Upload, UploadBlob
from . import adapter
from .access import owned
from .deps import Ctx, csrf_form, require_user
from .forms import parse_form, questionnaire_form

router = APIRouter()


def latest_answers(ctx: Ctx) -> QuestionnaireAnswers | None:
    person = ctx.person()
    return ctx.db.scalar(select(QuestionnaireAnswers).where(QuestionnaireAnswers.person_id == person.id)
                         .order_by(QuestionnaireAnswers.version.desc()).limit(1))


# ------------------------------------------------------------------------------------------ uploads
@router.get("/tests/new")
def upload_page(ctx: Ctx = Depends(require_user)):
    return ctx.render("upload.html.j2")


async def _upload_form(request: Request):
    """Refuse an oversized body before reading it, then check the CSRF token."""
    limit = request.app.state.config.max_upload_bytes
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit + 64 * 1024:
        raise _TooLarge(limit)
    return await csrf_form(request)


class _TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit


@router.post("/tests")
async def upload(request: Request, ctx: Ctx = Depends(require_user)):
    try:
        form = await _upload_form(request)
    except _TooLarge as exc:
        return ctx.render("upload.html.j2", status_code=413,
                          error=f"The file is larger than the {exc.limit // (1024 * 1024)} MB limit; nothing was "
                                "stored.")
    file = form.get("file")
    if file is None or isinstance(file, str) or not getattr(file, "filename", None):
        return ctx.render("upload.html.j2", status_code=400, error="Choose a file to upload.")
    data = await file.read(ctx.config.max_upload_bytes + 1)
    if len(data) > ctx.config.max_upload_bytes:
        return ctx.render("upload.html.j2", status_code=413,
                          error=f"The file is larger than the {ctx.config.max_upload_bytes // (1024 * 1024)} MB "
                                "limit; nothing was stored.")
    try:
        info = await run_in_threadpool(adapter.read_upload, data, file.filename)
    except (InputError, RefusedError) as exc:
        return ctx.render("upload.html.j2", status_code=400, error=str(exc))
    up = await run_in_threadpool(_save_upload, ctx, data, file.filename, info)  # database work off the loop
    return ctx.redirect(f"/tests/{up.id}")


def _save_upload(ctx: Ctx, data: bytes, filename: str, info: adapter.ReadUpload) -> Upload:
    person = ctx.person()
    up = Upload(user_id=ctx.user.id, person_id=person.id, filename=adapter._safe_filename(filename),
                size=len(data), sha256=hashlib.sha256(data).hexdigest(), format=info.format, profiler=info.profiler,
                database=info.database, method=info.method, samples=info.samples,
                sample=info.samples[0] if len(info.samples) == 1 else None, n_taxa=info.n_taxa)
    ctx.db.add(up)
    ctx.db.flush()
    ctx.db.add(UploadBlob(upload_id=up.id, user_id=ctx.user.id, data=data))
    ctx.audit("upload.create", obj_type="upload", obj_id=up.id, detail={"sha256": up.sha256, "format": up.format})
    ctx.db.commit()  # the row and its bytes together, or neither
    return up


@router.get("/tests/{upload_id}")
def test_page(upload_id: int, ctx: Ctx = Depends(require_user)):
    up = owned(ctx, Upload, upload_id)
    reports = ctx.db.scalars(select(BuiltReport).where(BuiltReport.upload_id == up.id)
                             .order_by(BuiltReport.id.desc())).all()
    return ctx.render("test.html.j2", up=up, reports=reports)


@router.post("/tests/{upload_id}/sample")
def choose_sample(upload_id: int, ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    up = owned(ctx, Upload, upload_id)
    sample = str(form.get("sample") or "")
    if sample not in up.samples:
        return ctx.render("test.html.j2", status_code=400, up=up, reports=[],
                          error="Choose one of the samples listed.")
    up.sample = sample
    ctx.audit("upload.choose_sample", obj_type="upload", obj_id=up.id)
    ctx.db.commit()
    return ctx.redirect(f"/tests/{up.id}")


@router.post("/tests/{upload_id}/delete")
def delete_test(upload_id: int, ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    up = owned(ctx, Upload, upload_id)
    ctx.audit("upload.delete", obj_type="upload", obj_id=up.id)
    ctx.db.delete(up)
    ctx.db.commit()
    return ctx.redirect("/")


@router.get("/tests/{upload_id}/original")
def original(upload_id: int, ctx: Ctx = Depends(require_user)):
    up = owned(ctx, Upload, upload_id)
    blob = ctx.db.get(UploadBlob, up.id)
    return ctx.finish(Response(blob.data, media_type="application/octet-stream",
                               headers={"Content-Disposition": f'attachment; filename="{up.filename}"'}))


# ------------------------------------------------------------------------------------------ reports
def report_for(ctx: Ctx, up: Upload) -> BuiltReport:
    """The cached report for this test with the current answers, built (in a worker thread) when missing."""
    answers = latest_answers(ctx)
    qv = answers.version if answers else 0
    row = ctx.db.scalar(select(BuiltReport).where(BuiltReport.upload_id == up.id,
                                                  BuiltReport.questionnaire_version == qv,
                                                  BuiltReport.gutskin_version == adapter.GUTSKIN_VERSION))
    if row is not None:
        return row
    blob = ctx.db.get(UploadBlob, up.id)
    report = adapter.build(blob.data, up.filename, up.sample, answers.answers if answers else None)
    row = BuiltReport(user_id=ctx.user.id, upload_id=up.id, questionnaire_version=qv,
                      report_json=adapter.report_json(report), **adapter.report_versions(report))
    ctx.db.add(row)
    try:
        ctx.db.flush()
    except IntegrityError:  # built at the same time by another request: use theirs
        ctx.db.rollback()
        return report_for(ctx, up)
    ctx.audit("report.build", obj_type="report", obj_id=row.id)
    ctx.db.commit()
    return row


@router.get("/tests/{upload_id}/report")
def test_report(upload_id: int, ctx: Ctx = Depends(require_user)):
    up = owned(ctx, Upload, upload_id)
    if up.sample is None:
        return ctx.redirect(f"/tests/{up.id}")
    try:
        row = report_for(ctx, up)
    except (InputError, RefusedError) as exc:
        return ctx.render("test.html.j2", status_code=400, up=up, reports=[], error=str(exc))
    return ctx.redirect(f"/reports/{row.id}")


@router.get("/reports/{report_id}")
def report_page(report_id: int, ctx: Ctx = Depends(require_user)):
    row = owned(ctx, BuiltReport, report_id)
    body, suggests = adapter.stored_report_page(row.id, row.report_json)
    return ctx.render("report.html.j2", row=row, suggests=suggests, body=body)


@router.get("/reports/{report_id}/json")
def report_json(report_id: int, ctx: Ctx = Depends(require_user)):
    row = owned(ctx, BuiltReport, report_id)
    return ctx.finish(Response(row.report_json, media_type="application/json",
                               headers={"Content-Disposition": f'attachment; filename="report-{row.id}.json"'}))


@router.get("/reports/{report_id}/pdf")
async def report_pdf(report_id: int, ctx: Ctx = Depends(require_user)):
    row = owned(ctx, BuiltReport, report_id)
    report = adapter.report_from_json(row.report_json)
    pdf = await run_in_threadpool(adapter.report_pdf, report)  # WeasyPrint takes a second: off the event loop
    return ctx.finish(Response(pdf, media_type="application/pdf",
                               headers={"Content-Disposition": f'attachment; filename="report-{row.id}.pdf"'}))


# ------------------------------------------------------------------------------------------ questionnaire
@router.get("/questionnaire")
def questionnaire_page(ctx: Ctx = Depends(require_user)):
    answers = latest_answers(ctx)
    current = adapter.questionnaire_from_answers(answers.answers) if answers else None
    return ctx.render("questionnaire.html.j2", qform=questionnaire_form(current), answers=answers)


@router.post("/questionnaire")
def questionnaire_save(ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    try:
        data = parse_form(form)
    except InputError as exc:
        ctx.db.rollback()
        answers = latest_answers(ctx)
        current = adapter.questionnaire_from_answers(answers.answers) if answers else None
        return ctx.render("questionnaire.html.j2", status_code=400, qform=questionnaire_form(current),
                          answers=answers, error=str(exc))
    save_answers(ctx, data)
    return ctx.redirect("/questionnaire?saved=1")


def save_answers(ctx: Ctx, data: dict, via: str | None = None) -> QuestionnaireAnswers:
    """Save validated answers as the next version (the page and the API); one transaction."""
    person = ctx.person()
    last = latest_answers(ctx)
    row = QuestionnaireAnswers(user_id=ctx.user.id, person_id=person.id, version=(last.version if last else 0) + 1,
                               schema_version=str(data.get("schema_version", "1.0")), answers=data)
    ctx.db.add(row)
    detail: dict = {"version": row.version}
    if via:
        detail["via"] = via
    ctx.db.flush()  # two saves at the same moment: the second's version is taken (IntegrityError)
    ctx.audit("questionnaire.save", obj_type="questionnaire", obj_id=None, detail=detail)
    ctx.db.commit()
    return row
