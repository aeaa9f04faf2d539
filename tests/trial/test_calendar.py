"""iCalendar export: RFC 5545 line rules, one all-day VEVENT per phase, stable UIDs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from gutskin.trial import make_plan, to_ics, write_ics


def unfold(text: str) -> list[str]:
    """RFC 5545 §3.1: a CRLF followed by one space or tab continues the previous line."""
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")[:-1]


def events(lines: list[str]) -> list[dict[str, str]]:
    out, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            out.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return out


def test_ics_is_valid_rfc5545(tmp_path: Path):
    plan = make_plan(["dairy", "crème fraîche; eggs & co"], "eczema", "2026-01-05")
    path = write_ics(plan, tmp_path / "trial.ics")
    raw = path.read_bytes()
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")          # every line ends in CRLF, no bare LF
    for line in raw.split(b"\r\n")[:-1]:
        assert len(line) <= 75                              # folded at 75 octets
        line.decode("utf-8")                                # folding never splits a UTF-8 character
    lines = unfold(raw.decode("utf-8"))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(ln.startswith("PRODID:") for ln in lines)
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT")
    evs = events(lines)
    phase_events = [e for e in evs if "RRULE" not in e]
    assert len(phase_events) == sum(len(t.phases) for t in plan.trials()) == 6
    uids = [e["UID"] for e in evs]
    assert len(set(uids)) == len(uids)
    for ev, (_trial, phase) in zip(phase_events, [(t, p) for t in plan.trials() for p in t.phases], strict=True):
        assert ev["DTSTART;VALUE=DATE"] == phase.start.strftime("%Y%m%d")
        # DTEND is exclusive: the day after the last day of the phase
        end = datetime.strptime(ev["DTEND;VALUE=DATE"], "%Y%m%d").date()
        assert (end - phase.end).days == 1
        assert re.fullmatch(r"\d{8}T\d{6}Z", ev["DTSTAMP"])
        assert phase.name in ev["SUMMARY"]
    # text escaping: the food's ';' and ',' are escaped in SUMMARY
    assert any("crème fraîche\\; eggs & co trial" in e["SUMMARY"] for e in phase_events)
    checkin = [e for e in evs if "RRULE" in e]
    assert checkin and checkin[0]["RRULE"] == f"FREQ=DAILY;COUNT={(plan.last_day - plan.first_day).days + 1}"


def test_uids_are_stable_and_checkin_optional():
    plan = make_plan("dairy", "acne", "2026-01-05")
    fixed = datetime(2026, 1, 1, tzinfo=UTC)
    a = to_ics(plan, now=fixed)
    assert a == to_ics(plan, now=fixed)
    assert "DTSTAMP:20260101T000000Z" in a
    assert "RRULE" not in to_ics(plan, checkin=False)
