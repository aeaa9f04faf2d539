"""Trial plans: one food at a time, baseline → elimination → reintroduction, as a validated file.

File format (JSON; YAML accepted too)::

    {"food": "dairy", "outcome": "skin_score", "better": "lower", "mid": 1.0,
     "condition": "eczema", "design": "ABA", "washout_days": 2, "lag_max_days": 6,
     "phases": [{"name": "baseline", "kind": "baseline", "start": "2026-01-05", "end": "2026-01-18"},
                {"name": "elimination", "kind": "elimination", "start": "2026-01-19", "end": "2026-02-15"},
                {"name": "reintroduction", "kind": "reintroduction", "start": "2026-02-16", "end": "2026-03-01"}],
     "queue": [{"food": "eggs", "phases": [...]}]}

* ``kind``: ``baseline`` (eating as usual), ``elimination`` (avoiding the food) or ``reintroduction`` (eating it
  again). ``start`` and ``end`` are inclusive ISO dates; phases are consecutive with no gaps or overlaps.
* ``outcome``: the diary column analysed; ``better``: whether ``lower`` or ``higher`` values are better;
  ``mid``: the smallest change that matters to the person, in outcome units (> 0).
* ``washout_days`` / ``lag_max_days``: analysis settings (defaults by condition, see
  :mod:`gutskin.trial.defaults`); ``queue``: further foods, each a full trial, run one after another.

Only ``food``, ``phases`` and the optional fields above are accepted; an unknown key is refused so typos
do not pass silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InputError
from ..io import parse_document, read_text, write_atomic
from ..safety import SafetyGate, elimination_limits
from .defaults import (
    DEFAULT_MID,
    KNOWN_COLUMNS,
    MIN_PHASE_DAYS,
    SOURCES,
    defaults_for,
    normalise_condition,
)

PhaseKind = Literal["baseline", "elimination", "reintroduction"]
EATING_KINDS = frozenset({"baseline", "reintroduction"})
#: limits that keep a damaged or hostile plan from making a row per day for millennia, or a food name that
#: floods a terminal (issue 13): two years from the first day to the last, queued trials included
MAX_PLAN_DAYS = 731
MAX_FOOD_CHARS = 200
MAX_QUEUED_TRIALS = 52
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)
DESIGNS = {"ABA": ("baseline", "elimination", "reintroduction"),
           "ABAB": ("baseline", "elimination", "reintroduction", "elimination")}


class Phase(BaseModel):
    """One period of a trial; ``start`` and ``end`` are both included."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    kind: PhaseKind
    start: date
    end: date

    @model_validator(mode="before")
    @classmethod
    def _default_name(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and not data.get("name") and data.get("kind"):
            data = {**data, "name": str(data["kind"])}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Phase:
        if self.end < self.start:
            raise ValueError(f"phase '{self.name}' ends ({self.end}) before it starts ({self.start})")
        if self.start < FIRST_DATE or self.end > LAST_DATE:
            raise ValueError(f"phase '{self.name}' runs {self.start} to {self.end}; dates must lie between "
                             f"{FIRST_DATE} and {LAST_DATE}")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def eating(self) -> bool:
        """True when the food is eaten in this phase (baseline and reintroduction)."""
        return self.kind in EATING_KINDS


class Trial(BaseModel):
    """One food's trial: its phases, consecutive, with at least one eating and one elimination phase."""

    model_config = ConfigDict(extra="forbid")

    food: str = Field(min_length=1, max_length=MAX_FOOD_CHARS)
    phases: list[Phase] = Field(min_length=2, max_length=60)

    @field_validator("food")
    @classmethod
    def _food(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("food must not be empty")
        return v

    @field_validator("phases")
    @classmethod
    def _consecutive(cls, phases: list[Phase]) -> list[Phase]:
        for a, b in pairwise(phases):
            if b.start != a.end + timedelta(days=1):
                what = "overlaps" if b.start <= a.end else "leaves a gap after"
                raise ValueError(f"phase '{b.name}' (starting {b.start}) {what} phase '{a.name}' (ending {a.end}); "
                                 "phases must follow each other day by day")
        span = (phases[-1].end - phases[0].start).days + 1
        if span > MAX_PLAN_DAYS:
            raise ValueError(f"the trial lasts {span:,} days; a trial is at most {MAX_PLAN_DAYS} days (two years)")
        kinds = {p.kind for p in phases}
        if "elimination" not in kinds or not kinds & EATING_KINDS:
            raise ValueError("a trial needs at least one elimination phase and one baseline or reintroduction "
                             "phase")
        return phases

    @property
    def start(self) -> date:
        return self.phases[0].start

    @property
    def end(self) -> date:
        return self.phases[-1].end

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    def phase_on(self, day: date) -> Phase | None:
        for p in self.phases:
            if p.start <= day <= p.end:
                return p
        return None


class Plan(Trial):
    """A trial plan: the first food's trial, the analysis settings, and the queue of later foods."""

    outcome: str = "skin_score"
    better: Literal["lower", "higher"] = "lower"
    mid: float = Field(default=DEFAULT_MID, gt=0)
    outcome_range: tuple[float, float] | None = None
    condition: str = "other"
    design: str | None = None
    washout_days: int | None = Field(default=None, ge=0, le=28)
    lag_max_days: int | None = Field(default=None, ge=0, le=30)
    queue: list[Trial] = Field(default_factory=list, max_length=MAX_QUEUED_TRIALS)
    safety: dict[str, Any] | None = None
    sources: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    created: str | None = None
    version: int = 1

    @field_validator("condition")
    @classmethod
    def _condition(cls, v: str) -> str:
        try:
            return normalise_condition(v)
        except InputError as exc:
            raise ValueError(exc.message) from None

    @field_validator("outcome")
    @classmethod
    def _outcome(cls, v: str) -> str:
        v = v.strip()
        if not v or v == "date":
            raise ValueError("outcome must name a diary column (for example skin_score or itch)")
        return v

    @model_validator(mode="after")
    def _queue_after(self) -> Plan:
        previous: Trial = self
        for t in self.queue:
            if t.start <= previous.end:
                raise ValueError(f"queued trial for '{t.food}' starts {t.start}, before the previous trial ends "
                                 f"({previous.end})")
            previous = t
        span = (previous.end - self.start).days + 1
        if span > MAX_PLAN_DAYS:
            raise ValueError(f"the plan with its queued trials lasts {span:,} days; a plan is at most "
                             f"{MAX_PLAN_DAYS} days (two years)")
        if self.outcome_range is not None and not self.outcome_range[0] < self.outcome_range[1]:
            raise ValueError("outcome_range must be [low, high] with low < high")
        return self

    # --- derived settings -------------------------------------------------------------------------------------
    @property
    def effective_washout(self) -> int:
        return self.washout_days if self.washout_days is not None else defaults_for(self.condition).washout_days

    @property
    def effective_lag_max(self) -> int:
        return self.lag_max_days if self.lag_max_days is not None else defaults_for(self.condition).lag_max_days

    @property
    def scale(self) -> tuple[float, float] | None:
        """Allowed range of the outcome, from ``outcome_range`` or the known columns."""
        if self.outcome_range is not None:
            return self.outcome_range
        known = KNOWN_COLUMNS.get(self.outcome)
        return None if known is None else (known[0], known[1])

    def trials(self) -> list[Trial]:
        """This plan's trial first, then the queued ones, in date order."""
        return [Trial(food=self.food, phases=self.phases), *self.queue]

    def trial(self, food: str | None = None) -> Trial:
        """The trial of ``food`` (the plan's first food when ``None``)."""
        if food is None:
            return self.trials()[0]
        key = " ".join(food.split()).lower()
        for t in self.trials():
            if t.food.lower() == key:
                return t
        raise InputError(f"food {food!r} is not in this plan; foods: {', '.join(t.food for t in self.trials())}",
                         field="food")

    @property
    def first_day(self) -> date:
        return self.start

    @property
    def last_day(self) -> date:
        return self.trials()[-1].end

    def phase_on(self, day: date) -> Phase | None:
        for t in self.trials():
            p = t.phase_on(day)
            if p is not None:
                return p
        return None


# --- building plans ---------------------------------------------------------------------------------------------

def _phases_for(start: date, design: str, durations: Mapping[str, int]) -> list[Phase]:
    phases: list[Phase] = []
    day = start
    kinds = DESIGNS[design]
    seen: dict[str, int] = {}
    for kind in kinds:
        seen[kind] = seen.get(kind, 0) + 1
        name = kind if seen[kind] == 1 else f"{kind} {seen[kind]}"
        n = durations[kind]
        phases.append(Phase(name=name, kind=kind, start=day, end=day + timedelta(days=n - 1)))
        day += timedelta(days=n)
    return phases


def split_foods(foods: str | Iterable[str]) -> list[str]:
    """Foods from repeated options and comma lists, de-duplicated, order kept."""
    items = [foods] if isinstance(foods, str) else list(foods)
    out: list[str] = []
    for item in items:
        for part in str(item).split(","):
            name = " ".join(part.split())
            if name and name.lower() not in {f.lower() for f in out}:
                out.append(name)
    if not out:
        raise InputError("give at least one food", field="--food")
    for name in out:
        if len(name) > MAX_FOOD_CHARS:
            raise InputError(f"a food name of {len(name):,} characters; at most {MAX_FOOD_CHARS}", field="--food")
    return out


def make_plan(
    foods: str | Iterable[str],
    condition: str | None,
    start: date | str,
    *,
    design: str = "ABA",
    baseline_days: int | None = None,
    elimination_days: int | None = None,
    reintroduction_days: int | None = None,
    outcome: str = "skin_score",
    better: str = "lower",
    mid: float | None = None,
    gap_days: int = 0,
    washout_days: int | None = None,
    lag_max_days: int | None = None,
    gate: SafetyGate | None = None,
) -> Plan:
    """Schedule a one-food-at-a-time trial (and a queue of later foods) with durations defaulting by condition.

    Durations default from :func:`gutskin.trial.defaults.defaults_for` (eczema 14/28/14 days, acne and psoriasis
    14/42/28; sources in that module). Every phase must last at least 7 days (seed advice); more days without the
    food than the safety module allows (:func:`gutskin.safety.elimination_limits`, 8 weeks in all, as guidance caps
    diagnostic diets at 6–8 weeks [BSACI]) are refused, and an elimination longer than two weeks carries the
    talk-to-a-clinician note [ECO]. Queued foods follow
    one after another, each with its own baseline, ``gap_days`` apart.

    The safety gate is the caller's job (see :func:`gutskin.safety.elimination_gate`): pass its result as
    ``gate`` to have its cautions recorded; a closed gate is refused here too.
    """
    if gate is not None and not gate.ok:
        raise InputError(gate.advice, field="safety")
    cond = normalise_condition(condition)
    d = defaults_for(cond)
    design_key = design.strip().upper()
    if design_key not in DESIGNS:
        raise InputError(f"unknown design {design!r}; expected ABA or ABAB", field="--design")
    if isinstance(start, str):
        try:
            start = date.fromisoformat(start.strip())
        except ValueError:
            raise InputError(f"start date {start!r} is not an ISO date (YYYY-MM-DD)", field="--start") from None
    durations = {"baseline": baseline_days or d.baseline_days,
                 "elimination": elimination_days or d.elimination_days,
                 "reintroduction": reintroduction_days or d.reintroduction_days}
    for kind, n in durations.items():
        if n < MIN_PHASE_DAYS:
            raise InputError(f"a {kind} phase of {n} days is too short: skin needs at least {MIN_PHASE_DAYS} days "
                             "per phase (and usually weeks)", field=f"--{kind}-days")
    if gap_days < 0:
        raise InputError("gap between queued trials must be 0 or more days", field="--gap-days")
    if better not in ("lower", "higher"):
        raise InputError(f"better must be 'lower' or 'higher', not {better!r}", field="--better")
    food_list = split_foods(foods)
    notes = list(d.notes)
    limits = elimination_limits()
    eliminated = durations["elimination"]  # one continuous block; ABAB eats the food again in between
    if eliminated > limits["elimination_days_max"]:
        raise InputError(f"{eliminated} days without the food is longer than a self-run trial may go (diagnostic "
                         f"diets are capped at {limits['elimination_days_max'] // 7} weeks and then need a "
                         "dietitian [BSACI]); shorten the elimination or plan it with a dietitian",
                         field="--elimination-days")
    if durations["elimination"] > limits["elimination_days_caution_after"]:
        notes.append(f"This plan leaves the food out for {durations['elimination']} days at a time: talk to a "
                     f"doctor, nurse or dietitian before cutting a food for more than "
                     f"{limits['elimination_days_caution_after'] // 7} weeks [ECO], and never extend the "
                     "elimination beyond the plan on your own.")
    notes.append("Change one thing at a time: keep other foods, skincare and treatments as they are during the "
                 "trial, and record any change in the diary.")
    if len(food_list) > 1:
        notes.append("Queued foods run one after another. If a food turns out to be a trigger, keep avoiding it "
                     "during the next trials and re-plan their dates after each analysis.")
    trials: list[Trial] = []
    day = start
    try:  # a start date or durations outside what a plan allows: one line naming the field, not a traceback
        for food in food_list:
            phases = _phases_for(day, design_key, durations)
            trials.append(Trial(food=food, phases=phases))
            day = phases[-1].end + timedelta(days=1 + gap_days)
    except ValidationError as exc:
        raise _input_error(exc, None) from None
    except OverflowError:
        raise InputError("the plan would run past the last date a calendar holds", field="--start") from None
    safety = None
    if gate is not None:
        safety = {"ok": gate.ok, "reasons": list(gate.reasons), "cautions": list(gate.cautions)}
    try:
        return Plan(
            food=trials[0].food, phases=trials[0].phases, queue=trials[1:], outcome=outcome, better=better,
            mid=DEFAULT_MID if mid is None else mid, condition=cond, design=design_key,
            washout_days=d.washout_days if washout_days is None else washout_days,
            lag_max_days=d.lag_max_days if lag_max_days is None else lag_max_days,
            safety=safety, sources=[f"[{k}] {SOURCES[k]}" for k in d.sources], notes=notes,
            created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
    except ValidationError as exc:
        raise _input_error(exc, None) from None


# --- reading and writing --------------------------------------------------------------------------------------

def _input_error(exc: ValidationError, path: str | Path | None) -> InputError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    extra = f" ({len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
    return InputError(f"invalid plan: {msg}{extra}", path, field=loc or None)


def _parse_mapping(text: str, path: str | Path | None) -> Any:
    stripped = text.lstrip()
    is_json = stripped.startswith("{") or (path is not None and str(path).lower().endswith(".json"))
    return parse_document(text, path, kind="json" if is_json else "yaml")  # depth/size/alias limits


def load_plan(source: str | Path | Mapping[str, Any] | Plan) -> Plan:
    """A :class:`Plan` from a JSON/YAML file, a mapping, or a plan (returned as is).

    Raises :class:`gutskin.errors.InputError` (with the file and the offending field) for anything invalid.
    """
    if isinstance(source, Plan):
        return source
    path: str | Path | None = None
    if isinstance(source, Mapping):
        data: Any = dict(source)
    else:
        path = Path(source)
        data = _parse_mapping(read_text(path), path)
    if not isinstance(data, Mapping):
        raise InputError("a plan must be a JSON/YAML object with 'food' and 'phases'", path)
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise _input_error(exc, path) from None


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """Plain JSON-ready data (dates as ISO strings, unset optional fields left out)."""
    return plan.model_dump(mode="json", exclude_none=True)


def save_plan(plan: Plan, path: str | Path) -> Path:
    """Write the plan as JSON, or YAML when the name ends in .yaml/.yml."""
    path = Path(path)
    data = plan_to_dict(plan)
    if path.suffix.lower() in (".yaml", ".yml"):
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    else:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return write_atomic(path, text)
