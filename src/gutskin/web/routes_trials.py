"""Elimination trials: start one (safety gate first), the calendar, the daily diary, progress and analysis."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy import select

from ..errors import InputError, RefusedError
from ..store.diary import DayTaken, save_day
from ..store.models import BuiltReport, DiaryEntry, TrialPlan, utcnow
from . import adapter
from .access import owned
from .deps import Ctx, csrf_form, require_user
from .routes_tests import latest_answers

router = APIRouter()
CONDITIONS = adapter.trial_conditions()
MIN_DAYS_FOR_ANALYSIS = 7
FIELDS = ("skin_score", "itch", "adhered", "stress", "sleep_hours", "notes")


def _suggestion(ctx: Ctx, report_id: str | None) -> dict[str, Any]:
    if not report_id or not report_id.isdigit():
        return {}
    row = owned(ctx, BuiltReport, int(report_id))
    rep = adapter.report_from_json(row.report_json)
    s = rep.trial.suggestion
    out: dict[str, Any] = {"report_id": row.id}
    if s is not None and s.food:
        out["food"] = s.food
    panels = sorted(rep.skin.panels, key=lambda p: not p.relevant)  # the person's own condition first
    for panel in panels:
        cond = adapter.trial_condition(panel.condition)
        if cond is not None:
            out["condition"] = cond
            break
    return out


@router.get("/trials/new")
def new_trial_page(ctx: Ctx = Depends(require_user), report_id: str | None = None):
    answers = latest_answers(ctx)
    gate = adapter.gate_for(answers.answers if answers else None)
    pre = _suggestion(ctx, report_id)
    return ctx.render("trial_new.html.j2", gate=gate, form={"start": utcnow().date().isoformat(), "design": "ABA",
                                                              **pre}, conditions=CONDITIONS)


@router.post("/trials")
def create_trial(ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    answers = latest_answers(ctx)
    gate = adapter.gate_for(answers.answers if answers else None)
    values = {k: str(form.get(k) or "").strip() for k in ("food", "condition", "start", "design", "report_id")}
    if not gate.ok:  # the gate comes first: a closed gate shows its advice and creates nothing
        ctx.audit("trial.gate_closed", detail={"reasons": gate.reasons})
        ctx.db.commit()
        return ctx.render("trial_new.html.j2", status_code=409, gate=gate, form=values, conditions=CONDITIONS)
    report_id = None
    if values["report_id"]:
        if not values["report_id"].isdigit():
            return ctx.render("trial_new.html.j2", status_code=400, gate=gate, form=values, conditions=CONDITIONS,
                              error="report_id: expected a number")
        report_id = owned(ctx, BuiltReport, int(values["report_id"])).id
    try:
        if not values["food"]:
            raise InputError("name the one food to test (e.g. dairy)", field="food")
        if values["condition"] not in CONDITIONS:
            raise InputError(f"expected one of {', '.join(CONDITIONS)}", field="condition")
        try:
            start = dt.date.fromisoformat(values["start"])
        except ValueError:
            raise InputError(f"start date {values['start']!r} is not a date (YYYY-MM-DD)", field="start") from None
        plan = adapter.new_plan(values["food"], values["condition"], start, values["design"] or "ABA", gate)
    except (InputError, RefusedError) as exc:
        return ctx.render("trial_new.html.j2", status_code=400, gate=gate, form=values, conditions=CONDITIONS,
                          error=str(exc))
    p = adapter.plan_obj(plan)
    row = TrialPlan(user_id=ctx.user.id, person_id=ctx.person().id, report_id=report_id, food=p.food,
                    condition=p.condition, start_date=p.first_day, end_date=p.last_day, plan=plan)
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("trial.create", obj_type="trial", obj_id=row.id, detail={"food": p.food})
    ctx.db.commit()
    return ctx.redirect(f"/trials/{row.id}")


def entries_of(ctx: Ctx, trial: TrialPlan) -> list[DiaryEntry]:
    return list(ctx.db.scalars(select(DiaryEntry).where(DiaryEntry.trial_id == trial.id).order_by(DiaryEntry.day)))


def entry_rows(entries: list[DiaryEntry]) -> list[dict[str, Any]]:
    rows = []
    for e in entries:
        row = {"date": e.day.isoformat(), "skin_score": e.skin_score, "itch": e.itch,
               "adhered": None if e.adhered is None else int(e.adhered), "notes": e.notes}
        row.update(e.covariates or {})
        rows.append(row)
    return rows


def _phases(trial: TrialPlan, today: dt.date) -> list[dict[str, Any]]:
    p = adapter.plan_obj(trial.plan)
    out = []
    for t in p.trials():
        for ph in t.phases:
            state = "done" if ph.end < today else ("now" if ph.start <= today <= ph.end else "later")
            out.append({"name": ph.name, "start": ph.start, "end": ph.end, "days": ph.days, "state": state,
                        "eating": ph.eating})
    return out


@router.get("/trials/{trial_id}")
def trial_page(trial_id: int, ctx: Ctx = Depends(require_user)):
    trial = owned(ctx, TrialPlan, trial_id)
    entries = entries_of(ctx, trial)
    today = utcnow().date()
    result = svg = None
    problem = None
    scored = [e for e in entries if e.skin_score is not None]
    if len(scored) >= MIN_DAYS_FOR_ANALYSIS:
        try:
            result, svg = adapter.analyse_trial(trial.plan, entry_rows(entries))
        except (InputError, RefusedError) as exc:
            problem = str(exc)
    days = [trial.start_date + dt.timedelta(days=i) for i in range((trial.end_date - trial.start_date).days + 1)]
    by_day = {e.day: e for e in entries}
    return ctx.render("trial.html.j2", trial=trial, phases=_phases(trial, today), entries=entries, by_day=by_day,
                      days=days, today=today, result=result, svg=svg, problem=problem,
                      min_days=MIN_DAYS_FOR_ANALYSIS, n_scored=len(scored))


@router.get("/trials/{trial_id}/plan.ics")
def trial_ics(trial_id: int, ctx: Ctx = Depends(require_user)):
    trial = owned(ctx, TrialPlan, trial_id)
    return ctx.finish(Response(adapter.plan_ics(trial.plan), media_type="text/calendar",
                               headers={"Content-Disposition": f'attachment; filename="trial-{trial.id}.ics"'}))


@router.get("/trials/{trial_id}/plan.json")
def trial_json(trial_id: int, ctx: Ctx = Depends(require_user)):
    trial = owned(ctx, TrialPlan, trial_id)
    return ctx.finish(Response(json.dumps(trial.plan, indent=2, ensure_ascii=False), media_type="application/json",
                               headers={"Content-Disposition": f'attachment; filename="trial-{trial.id}.json"'}))


@router.post("/trials/{trial_id}/delete")
def delete_trial(trial_id: int, ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    trial = owned(ctx, TrialPlan, trial_id)
    ctx.audit("trial.delete", obj_type="trial", obj_id=trial.id)
    ctx.db.delete(trial)
    ctx.db.commit()
    return ctx.redirect("/")


# ------------------------------------------------------------------------------------------ diary
def _day_choice(trial: TrialPlan, raw: str | None, today: dt.date) -> dt.date:
    if raw:
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise InputError(f"{raw!r} is not a date (YYYY-MM-DD)", field="day") from None
    else:
        day = min(max(today, trial.start_date), trial.end_date)
    if not trial.start_date <= day <= trial.end_date:
        raise InputError(f"{day} is outside this trial ({trial.start_date} to {trial.end_date})", field="day")
    if day > today:
        raise InputError(f"{day} is in the future; fill in a day once it has happened", field="day")
    return day


def _diary_render(ctx: Ctx, trial: TrialPlan, day: dt.date, status: int = 200, error: str | None = None,
                  values: dict[str, Any] | None = None):
    entry = ctx.db.scalar(select(DiaryEntry).where(DiaryEntry.trial_id == trial.id, DiaryEntry.day == day))
    phase = adapter.plan_obj(trial.plan).phase_on(day)
    today = utcnow().date()
    missed = [d for d in (trial.start_date + dt.timedelta(days=i)
                          for i in range((min(today, trial.end_date) - trial.start_date).days + 1))
              if d not in {e.day for e in entries_of(ctx, trial)}]
    if values is None and entry is not None:
        values = {"skin_score": entry.skin_score, "itch": entry.itch, "adhered": entry.adhered,
                  "notes": entry.notes, **(entry.covariates or {})}
    return ctx.render("diary.html.j2", status_code=status, trial=trial, day=day, entry=entry, phase=phase,
                      error=error, values=values or {}, missed=missed[-14:], today=today,
                      yesterday=today - dt.timedelta(days=1))


@router.get("/trials/{trial_id}/diary")
def diary_page(trial_id: int, ctx: Ctx = Depends(require_user), day: str | None = None):
    trial = owned(ctx, TrialPlan, trial_id)
    today = utcnow().date()
    try:
        d = _day_choice(trial, day, today)
    except InputError as exc:
        return _diary_render(ctx, trial, min(max(today, trial.start_date), trial.end_date), 400, str(exc))
    return _diary_render(ctx, trial, d)


def _number(form: Any, name: str, required: bool = False) -> float | None:
    raw = str(form.get(name) or "").strip().replace(",", ".")
    if raw == "":
        if required:
            raise InputError("give a value (0 to 10), or leave the day out", field=name)
        return None
    try:
        v = float(raw)
    except ValueError:
        raise InputError(f"expected a number, got {raw!r}", field=name) from None
    lo, hi, _ = adapter.diary_range(name)
    if not lo <= v <= hi:
        raise InputError(f"value {v:g} is out of range: must be between {lo:g} and {hi:g}", field=name)
    return v


@router.post("/trials/{trial_id}/diary")
def diary_save(trial_id: int, ctx: Ctx = Depends(require_user), form=Depends(csrf_form)):
    trial = owned(ctx, TrialPlan, trial_id)
    today = utcnow().date()
    raw_values = {k: form.get(k) for k in FIELDS}
    try:
        day = _day_choice(trial, str(form.get("day") or ""), today)
    except InputError as exc:
        return _diary_render(ctx, trial, min(max(today, trial.start_date), trial.end_date), 400, str(exc),
                             raw_values)
    try:
        skin = _number(form, "skin_score", required=True)
        itch = _number(form, "itch")
        stress = _number(form, "stress")
        sleep = _number(form, "sleep_hours")
        adhered_raw = str(form.get("adhered") or "")
        if adhered_raw not in ("", "yes", "no"):
            raise InputError("expected yes or no", field="adhered")
        notes = str(form.get("notes") or "").strip()[:2000] or None
        expected = str(form.get("revision") or "0")
        if not expected.isdigit():
            raise InputError("expected a revision number", field="revision")
        entry = ctx.db.scalar(select(DiaryEntry).where(DiaryEntry.trial_id == trial.id, DiaryEntry.day == day))
        current = entry.revision if entry is not None else 0
        if int(expected) != current:
            raise InputError(f"{day} already has an entry (saved {current} time(s)); it is shown below — change it "
                             "there" if int(expected) == 0 else
                             f"{day} was changed elsewhere since you opened it; check the values below and save again",
                             field="day")
    except InputError as exc:
        return _diary_render(ctx, trial, day, 400, str(exc), raw_values)
    covariates = {k: v for k, v in (("stress", stress), ("sleep_hours", sleep)) if v is not None} or None
    values = {"skin_score": skin, "itch": itch, "adhered": None if adhered_raw == "" else adhered_raw == "yes",
              "notes": notes, "covariates": covariates}
    try:
        entry = save_day(ctx.db, user_id=ctx.user.id, trial_id=trial.id, day=day, entry=entry, values=values,
                         now=utcnow())
    except DayTaken:  # the same day saved at the same moment from another device
        return _diary_render(ctx, trial, day, 409, f"field 'day': {day} was just saved from elsewhere; check the "
                                                   "values below and save again", raw_values)
    ctx.audit("diary.save", obj_type="diary_entry", obj_id=entry.id, detail={"revision": entry.revision})
    ctx.db.commit()
    return ctx.redirect(f"/trials/{trial.id}?saved={day.isoformat()}")
