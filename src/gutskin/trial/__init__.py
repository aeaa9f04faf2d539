"""Fair elimination-diet trials on skin symptoms: plan, diary, analysis, chart and CENT summary.

Python entry points::

    from gutskin import trial
    plan = trial.make_plan("dairy", "eczema", "2026-01-05")        # ABA 14/28/14, defaults by condition
    trial.save_plan(plan, "plan.json")
    diary = trial.load_diary("diary.csv", plan)                      # validated; InputError on bad rows
    result = trial.analyze(plan, diary)                              # verdict, effect, 95 % interval, ...
    svg = trial.timeline_svg(plan, diary, result)                    # inline SVG for the report
    cent = trial.cent_summary(plan, diary, result)                   # CENT-style facts + text

``effect`` is the harm of eating the food in outcome units (positive = worse); see
:mod:`gutskin.trial.analysis` for the model and the verdict rule, and ``docs/trial-calibration.md`` for the
measured error rates.
"""

from __future__ import annotations

from .analysis import analyze
from .calendar import to_ics, write_ics
from .chart import timeline_svg
from .defaults import CONDITIONS, SOURCES, defaults_for
from .diary import Diary, load_diary, template_csv, write_template
from .plan import Phase, Plan, Trial, load_plan, make_plan, plan_to_dict, save_plan
from .simulate import simulate_diary
from .summary import cent_summary, cent_text

__all__ = [
    "CONDITIONS", "SOURCES", "Diary", "Phase", "Plan", "Trial", "analyze", "cent_summary", "cent_text",
    "defaults_for", "load_diary", "load_plan", "make_plan", "plan_to_dict", "save_plan",
    "simulate_diary", "template_csv", "timeline_svg", "to_ics", "write_ics", "write_template",
]
