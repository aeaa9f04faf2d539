"""A CENT-style summary of a finished (or interim) trial.

CENT 2015 (the CONSORT extension for N-of-1 trials; Vohra et al., BMJ 2015;350:h1738, and the explanation paper
Shamseer et al., BMJ 2015;350:h1793) asks a report to state the design, the number and length of periods
(including run-in and washout), how adherence and missing data were handled, the statistical method, and the
results with their uncertainty. :func:`cent_summary` gathers exactly those from the plan, the diary and the
analysis result, as a dict (for the report) with a ``text`` rendering.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .analysis import _label, prepared
from .diary import Diary
from .plan import Plan


def cent_summary(plan: Plan | str | Path, diary: Diary | pd.DataFrame | str | Path,
                 result: dict[str, Any] | None = None, *, food: str | None = None) -> dict[str, Any]:
    """CENT-shaped facts about the trial (keys below), plus ``text``: the same as readable lines.

    Keys: ``design``, ``participant``, ``intervention``, ``outcome``, ``periods``, ``washout``, ``adherence``,
    ``missing_data``, ``statistical_method``, ``results``, ``harms``, ``limitations``, ``text``.
    """
    plan_obj, _, result, data = prepared(plan, diary, result, food)
    trial = data.trial
    label = _label(data.outcome)
    periods = []
    for k, ph in enumerate(trial.phases):
        sel = data.phase_index == k
        adh = data.adhered[sel]
        adh_rec = adh[~np.isnan(adh)]
        periods.append({
            "number": k + 1, "name": ph.name, "kind": ph.kind, "condition": "eating" if ph.eating else "avoiding",
            "start": ph.start.isoformat(), "end": ph.end.isoformat(), "days": ph.days,
            "recorded": int((~np.isnan(data.y[sel])).sum()), "washout_days": int(data.washout[sel].sum()),
            "used": int(data.used[sel].sum()),
            "adherent_days": int((adh_rec == 1).sum()), "adherence_recorded": int(adh_rec.size),
        })
    design_letters = result.get("design") or "".join("A" if p.eating else "B" for p in trial.phases)
    n_eat = sum(p.eating for p in trial.phases)
    planned = trial.n_days
    recorded = int((~np.isnan(data.y)).sum())
    adh_all = data.adhered[~np.isnan(data.adhered)]
    elim = data.eating == 0
    slips = int(((data.adhered == 0) & elim).sum())
    summary: dict[str, Any] = {
        "design": {
            "type": "single-patient (N-of-1) elimination–reintroduction trial",
            "sequence": design_letters, "letters": "A = eating the food, B = avoiding it",
            "n_periods": len(trial.phases), "n_eating_periods": n_eat, "n_avoiding_periods": len(trial.phases) - n_eat,
            "randomised_order": False, "blinding": "none (the person knows what they eat)",
            "planned_days": planned,
        },
        "participant": {"condition": plan_obj.condition, "safety_gate": plan_obj.safety or "not recorded in plan"},
        "intervention": {"food": trial.food, "experimental": f"avoid {trial.food}",
                         "comparator": f"usual diet including {trial.food}"},
        "outcome": {"name": data.outcome, "label": label, "better": plan_obj.better, "mid": result.get("mid"),
                    "scale": list(plan_obj.scale) if plan_obj.scale and data.outcome == plan_obj.outcome else None,
                    "measurement": "daily self-rating in the diary"},
        "periods": periods,
        "washout": {
            "physical": "none: phases follow each other directly",
            "analytic_days": data.washout_days,
            "analytic": f"the first {data.washout_days} day(s) after each change of diet are left out",
            "lag_model": f"exponential approach to the new level, time constant averaged over 0–{data.lag_max_days} "
                         "days",
        },
        "adherence": {
            "recorded_days": int(adh_all.size),
            "adherent_days": int((adh_all == 1).sum()),
            "elimination_slips": slips,
            "handling": "non-adherent days are left out; slips during elimination count as exposure in the lag "
                        "model",
        },
        "missing_data": {
            "planned_days": planned, "recorded_days": recorded, "missing_days": planned - recorded,
            "missing_share": round((planned - recorded) / planned, 3),
            "handling": "no imputation: the AR(1) likelihood bridges gaps exactly",
        },
        "statistical_method": result.get("method"),
        "results": {k: result.get(k) for k in ("verdict", "final", "so_far", "effect", "ci_low", "ci_high",
                                               "ci_level", "n_foods", "alpha", "p_worse", "p_meaningful",
                                               "n_days_used", "autocorrelation", "lag_days", "trend_per_day",
                                               "summary")},
        "harms": [*(plan_obj.safety or {}).get("cautions", []),
                  "Stop and seek care at once if hives, swelling, breathing trouble or vomiting follow eating."],
        "limitations": [
            "Unblinded: expectations can change self-ratings.",
            f"Phase order fixed (baseline first), not randomised; {design_letters.count('B')} elimination "
            f"period(s) and {design_letters.count('A')} eating period(s).",
            "Other changes (season, stress, skincare, infections) can mimic a food effect.",
            *result.get("warnings", []),
        ],
    }
    summary["text"] = cent_text(summary)
    return summary


def cent_text(s: dict[str, Any]) -> str:
    """Readable lines for a :func:`cent_summary` dict."""
    d, o, r = s["design"], s["outcome"], s["results"]
    lines = [
        f"Design: {d['type']}, sequence {d['sequence']} ({d['letters']}), {d['n_periods']} periods, "
        f"{d['planned_days']} days; order not randomised; blinding: {d['blinding']}.",
        f"Condition: {s['participant']['condition']}. Intervention: {s['intervention']['experimental']}; "
        f"comparator: {s['intervention']['comparator']}.",
        f"Outcome: {o['label']} ({o['better']} is better), {o['measurement']}; smallest change that matters "
        f"{o['mid']:g}.",
        "Periods:",
    ]
    for p in s["periods"]:
        lines.append(f"  {p['number']}. {p['name']} ({p['condition']}) {p['start']} to {p['end']}: {p['days']} days, "
                     f"{p['recorded']} recorded, {p['washout_days']} washout, {p['used']} used"
                     + (f", adherent {p['adherent_days']}/{p['adherence_recorded']}" if p["adherence_recorded"]
                        else ""))
    w, a, m = s["washout"], s["adherence"], s["missing_data"]
    lines += [
        f"Washout: {w['physical']}; analytic: {w['analytic']}; {w['lag_model']}.",
        f"Adherence: recorded on {a['recorded_days']} days, adherent on {a['adherent_days']}; "
        f"{a['elimination_slips']} slip(s) during elimination; {a['handling']}.",
        f"Missing data: {m['missing_days']} of {m['planned_days']} planned days ({m['missing_share']:.0%}); "
        f"{m['handling']}.",
        f"Method: {s['statistical_method']}.",
    ]
    if r.get("effect") is None:
        lines.append(f"Result: {r['verdict']} (not enough usable days).")
    else:
        lines.append(f"Result: effect {r['effect']:+.2f} ({r['ci_level']:.0%} interval {r['ci_low']:+.2f} to "
                     f"{r['ci_high']:+.2f}, the interval the one-sided verdict rule reads), "
                     f"P(worse) {r['p_worse']:.3f}, P(at least mid) {r['p_meaningful']:.3f}, "
                     f"{r['n_days_used']} days used; verdict: {r['verdict']}.")
    lines.append(f"Summary: {r['summary']}")
    lines.append("Harms and safety: " + " ".join(_sentence(h) for h in s["harms"]))
    lines.append("Limitations: " + " ".join(_sentence(x) for x in s["limitations"]))
    return "\n".join(lines)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
