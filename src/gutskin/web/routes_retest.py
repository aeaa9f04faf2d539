"""A person's tests over time (issue #16): every stored test with a chosen sample, oldest first, compared with
``gutskin.retest`` — for each quantity the change between consecutive tests with its verdict (changed / within
usual variation / cannot compare), the method-change flags, and first → last — in the CLI's own words and charts
(``render_fragment``, the section ``gutskin retest -o retest.html`` shows). An overview table above it gives each
quantity's value at every test and the verdict of each step (``gutskin.retest.timeline``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from ..errors import InputError, RefusedError
from ..store.models import TrialPlan, Upload, UploadBlob
from . import adapter
from .deps import Ctx, require_user

router = APIRouter()


def _stored_tests(ctx: Ctx) -> list[adapter.StoredTest]:
    uploads = ctx.db.scalars(select(Upload).where(Upload.user_id == ctx.user.id, Upload.sample.is_not(None))
                             .order_by(Upload.created_at, Upload.id)).all()
    out = []
    for i, up in enumerate(uploads):
        blob = ctx.db.get(UploadBlob, up.id)
        out.append(adapter.StoredTest(data=blob.data, filename=up.filename, sample=up.sample,
                                      day=up.created_at.date(), label=f"Test {i + 1}"))
    return out


@router.get("/timeline")
async def timeline_page(ctx: Ctx = Depends(require_user)):
    tests = _stored_tests(ctx)
    if len(tests) < 2:
        return ctx.render("timeline.html.j2", n_tests=len(tests), section=None, rows=[], tests=[])
    trial = ctx.db.scalar(select(TrialPlan).where(TrialPlan.user_id == ctx.user.id)
                          .order_by(TrialPlan.id.desc()).limit(1))
    plan = trial.plan if trial is not None else None
    try:
        result, section, rows = await run_in_threadpool(adapter.retest_timeline, tests, plan)  # seconds of CPU
    except (InputError, RefusedError) as exc:
        return ctx.render("timeline.html.j2", status_code=400, n_tests=len(tests), section=None, rows=[], tests=[],
                          error=str(exc))
    ctx.audit("retest.view", detail={"tests": len(tests)})
    ctx.db.commit()
    return ctx.render("timeline.html.j2", n_tests=len(tests), section=section, rows=rows, tests=result.tests)
