"""The trial schedule as an iCalendar file (RFC 5545), written by hand (no dependency).

What is produced, and why each rule matters to calendar apps:

* lines end in CRLF and are folded at 75 octets (continuation lines start with one space), RFC 5545 §3.1;
* one ``VEVENT`` per phase with all-day ``DTSTART;VALUE=DATE`` and an *exclusive* ``DTEND;VALUE=DATE``
  (the day after the phase's last day, §3.6.1 / §3.8.2.2), a stable ``UID`` (re-importing updates instead
  of duplicating) and a UTC ``DTSTAMP`` (§3.8.7.2);
* text values escape backslash, semicolon, comma and newline (§3.3.11);
* optionally one recurring all-day event ``RRULE:FREQ=DAILY;COUNT=n`` as the daily diary reminder.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ..io import write_atomic
from .plan import Phase, Plan, Trial, load_plan

PRODID = "-//gutskin//elimination-diet trial//EN"

_WHAT = {
    "baseline": "Eat as usual, including {food}. Fill in the skin diary every day.",
    "elimination": "Avoid {food} completely (check labels). Keep everything else the same. Fill in the diary "
                   "every day; mark adhered = 0 on any day you ate it.",
    "reintroduction": "Eat {food} again, normally (at least 2–3 times a week). Fill in the diary every day. Stop "
                      "and seek care at once if hives, swelling or breathing trouble follow eating.",
}


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    """Split a content line into ≤ 75-octet pieces without cutting a UTF-8 character."""
    out: list[str] = []
    current = ""
    limit = 75
    for ch in line:
        if len((current + ch).encode("utf-8")) > limit:
            out.append(current)
            current = " " + ch
            limit = 75  # continuation lines: the leading space counts towards the 75 octets
        else:
            current += ch
    out.append(current)
    return out


def _uid(*parts: str) -> str:
    digest = hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:20]
    return f"{digest}@gutskin.trial"


def _event(lines: list[str], *, uid: str, stamp: str, start: date, end_inclusive: date, summary: str,
           description: str, categories: str, rrule: str | None = None) -> None:
    lines += ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}",
              f"DTSTART;VALUE=DATE:{start.strftime('%Y%m%d')}",
              f"DTEND;VALUE=DATE:{(end_inclusive + timedelta(days=1)).strftime('%Y%m%d')}"]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    lines += [f"SUMMARY:{_escape(summary)}", f"DESCRIPTION:{_escape(description)}",
              # CATEGORIES is a list: escape each item, keep the separating commas
              "CATEGORIES:" + ",".join(_escape(c) for c in categories.split(",")), "TRANSP:TRANSPARENT",
              "END:VEVENT"]


def _phase_summary(trial: Trial, phase: Phase) -> str:
    return f"{trial.food} trial: {phase.name} ({phase.days} days)"


def to_ics(plan: Plan | str | Path, *, checkin: bool = True, now: datetime | None = None) -> str:
    """The plan (queued trials included) as iCalendar text with CRLF line endings."""
    plan = load_plan(plan)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{_escape('Elimination trial: ' + ', '.join(t.food for t in plan.trials()))}"]
    for trial in plan.trials():
        for phase in trial.phases:
            desc = _WHAT[phase.kind].format(food=trial.food)
            desc += f"\nOutcome: {plan.outcome} ({plan.better} is better). Phase {phase.start} to {phase.end}."
            _event(lines, uid=_uid(trial.food, phase.name, phase.start.isoformat()), stamp=stamp,
                   start=phase.start, end_inclusive=phase.end, summary=_phase_summary(trial, phase),
                   description=desc, categories=f"gutskin,{phase.kind}")
    if checkin:
        n_days = (plan.last_day - plan.first_day).days + 1
        _event(lines, uid=_uid("check-in", plan.food, plan.first_day.isoformat()), stamp=stamp,
               start=plan.first_day, end_inclusive=plan.first_day, summary="Skin diary check-in",
               description=f"Score {plan.outcome} for today (and itch, adherence, notes).",
               categories="gutskin,diary", rrule=f"FREQ=DAILY;COUNT={n_days}")
    lines.append("END:VCALENDAR")
    folded = [piece for line in lines for piece in _fold(line)]
    return "\r\n".join(folded) + "\r\n"


def write_ics(plan: Plan | str | Path, path: str | Path, *, checkin: bool = True) -> Path:
    """Write :func:`to_ics` to ``path`` (bytes, so the CRLF line endings survive on every platform)."""
    path = Path(path)
    return write_atomic(path, to_ics(plan, checkin=checkin).encode("utf-8"))
