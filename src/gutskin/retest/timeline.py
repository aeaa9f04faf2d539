"""Hooks for the other faces: the report's "since your last test" section and the web app's timeline.

* :func:`since_last_test` — the report (``gutskin report NEW --previous OLD …``) calls it with the profiles it
  read and embeds :func:`~gutskin.retest.render.render_fragment` of the result (or its JSON).
* :func:`timeline` — a person's stored tests in date order → one series per quantity (value at each test and the
  verdict of each step), ready for a chart; the web app draws it, nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict

from ..profile import Profile
from . import model as M
from .compare import compare_tests


def since_last_test(current: Profile, previous: Sequence[Profile], *, dates: Sequence[date | None] | None = None,
                    labs: Sequence[str | None] | None = None, trial: dict | None = None) -> M.Retest:
    """Compare earlier tests (oldest first) with the current one; ``dates``/``labs`` cover previous + current."""
    labels = [f"Earlier test {i + 1}" for i in range(len(previous))] + ["This test"]
    if len(previous) == 1:
        labels[0] = "Your last test"
    return compare_tests([*previous, current], labels=labels, dates=dates, labs=labs, trial=trial)


class Step(BaseModel):
    model_config = ConfigDict(frozen=True)
    before: int
    after: int
    change: float | None
    usual_variation: float | None
    verdict: M.Verdict


class Series(BaseModel):
    model_config = ConfigDict(frozen=True)
    key: str
    label: str
    group: str
    scale: str
    values: list[float | None]
    steps: list[Step]


def timeline(retest: M.Retest) -> list[Series]:
    """One series per quantity: its value at every test and the verdict of each consecutive step."""
    n = len(retest.tests)
    series: dict[str, dict] = {}
    for c in retest.comparisons:
        if c.after != c.before + 1:
            continue  # first → last is a summary, not a step
        for q in c.quantities:
            s = series.setdefault(q.key, {"key": q.key, "label": q.label, "group": q.group, "scale": q.scale,
                                          "values": [None] * n, "steps": []})
            s["values"][c.before] = q.before if s["values"][c.before] is None else s["values"][c.before]
            s["values"][c.after] = q.after
            s["steps"].append(Step(before=c.before, after=c.after, change=q.change,
                                   usual_variation=q.usual_variation, verdict=q.verdict))
        for d in c.distances:
            s = series.setdefault(d.metric, {"key": d.metric, "label": d.label, "group": "distance",
                                             "scale": "distance", "values": [None] * n, "steps": []})
            s["steps"].append(Step(before=c.before, after=c.after, change=d.value,
                                   usual_variation=d.usual_variation, verdict=d.verdict))
    return [Series(**s) for s in series.values()]
