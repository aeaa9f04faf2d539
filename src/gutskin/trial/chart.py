"""An inline, self-contained SVG timeline of a trial: phases shaded, daily scores, the result in words.

Design choices:

* colours from the Okabe–Ito palette (safe for the common colour-vision deficiencies): eating phases orange
  tint, elimination sky-blue tint; and nothing is told by colour alone — phases carry text labels, washout days
  are hatched, and the three kinds of day use different marker shapes (filled circle = used, hollow circle =
  washout, cross = not adhered);
* ``role="img"`` with ``<title>`` and ``<desc>`` (referenced by ``aria-labelledby``) holding the alt text: what the
  chart shows, phase means, the effect and interval, the verdict and the next step;
* no scripts, external fonts, images or CSS files; ids are prefixed per chart so several charts can share a page.
"""

from __future__ import annotations

import hashlib
import textwrap
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .analysis import _label, prepared
from .diary import Diary
from .plan import Plan

EAT_FILL = "#E69F00"      # Okabe–Ito orange
AVOID_FILL = "#56B4E9"    # Okabe–Ito sky blue
POINT = "#0072B2"         # Okabe–Ito blue
SLIP = "#D55E00"          # Okabe–Ito vermillion
INK = "#222222"
GRID = "#DDDDDD"

WIDTH = 760
LEFT, RIGHT, TOP, PLOT_H = 56, 16, 46, 190


def _fmt_day(d: Any) -> str:
    return f"{d.day} {d.strftime('%b')}"


def timeline_svg(plan: Plan | str | Path, diary: Diary | pd.DataFrame | str | Path,
                 result: dict[str, Any] | None = None, *, food: str | None = None) -> str:
    """The trial as an SVG string (see the module docstring); ``result`` from :func:`analyze` (computed if None)."""
    plan_obj, diary_obj, result, data = prepared(plan, diary, result, food)
    trial = data.trial
    uid = "gs" + hashlib.sha1(f"{trial.food}|{trial.start}|{len(diary_obj)}".encode()).hexdigest()[:8]
    n = trial.n_days
    plot_w = WIDTH - LEFT - RIGHT
    scale = plan_obj.scale if data.outcome == plan_obj.outcome else None
    finite = data.y[~np.isnan(data.y)]
    lo, hi = scale if scale is not None else (
        (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0))
    if hi - lo > 50 and finite.size:  # counts: zoom to the data rather than a 0–1000 range
        lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        hi = lo + 1.0

    def xpos(i: float) -> float:
        return LEFT + plot_w * (i + 0.5) / n

    def ypos(v: float) -> float:
        return TOP + PLOT_H * (1 - (v - lo) / (hi - lo))

    label = _label(data.outcome)
    direction = "lower is better" if plan_obj.better == "lower" else "higher is better"
    caption = _caption(result, label)
    wrapped = [piece for para in caption for piece in (textwrap.wrap(para, 100) or [""])]
    legend_y = TOP + PLOT_H + 40
    height = legend_y + 18 + 17 * len(wrapped) + 10

    title = f"Elimination trial of {trial.food}: daily {label} over {n} days"
    desc = _alt_text(result, data, label, direction)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{uid}-t {uid}-d" '
        'font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(desc)}</desc>',
        "<defs>",
        f'<pattern id="{uid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#777777" stroke-width="1.2"/>'
        "</pattern>",
        "</defs>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#FFFFFF"/>',
        f'<text x="{LEFT}" y="20" font-size="14" font-weight="bold" fill="{INK}">{escape(title)}</text>',
    ]
    # phase bands, labels and washout hatching
    for k, ph in enumerate(trial.phases):
        idx = np.flatnonzero(data.phase_index == k)
        x0, x1 = LEFT + plot_w * idx[0] / n, LEFT + plot_w * (idx[-1] + 1) / n
        fill, opacity = (EAT_FILL, 0.22) if ph.eating else (AVOID_FILL, 0.25)
        out.append(f'<rect x="{x0:.1f}" y="{TOP}" width="{x1 - x0:.1f}" height="{PLOT_H}" fill="{fill}" '
                   f'fill-opacity="{opacity}"/>')
        out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{TOP - 6}" text-anchor="middle" fill="{INK}">'
                   f'{escape(ph.name)} · {"eating" if ph.eating else "avoiding"}</text>')
        wash = idx[data.washout[idx]]
        if wash.size:
            wx0, wx1 = LEFT + plot_w * wash[0] / n, LEFT + plot_w * (wash[-1] + 1) / n
            out.append(f'<rect x="{wx0:.1f}" y="{TOP}" width="{wx1 - wx0:.1f}" height="{PLOT_H}" '
                       f'fill="url(#{uid}-hatch)" fill-opacity="0.35"/>')
        out.append(f'<text x="{x0 + 2:.1f}" y="{TOP + PLOT_H + 16}" fill="{INK}" font-size="11">'
                   f"{_fmt_day(ph.start)}</text>")
        used = data.y[idx][data.used[idx]]
        if used.size:  # dashed line at the phase mean of the days the model used
            m = float(used.mean())
            out.append(f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{ypos(m):.1f}" y2="{ypos(m):.1f}" stroke="{INK}" '
                       f'stroke-width="1.5" stroke-dasharray="6 4"><title>{escape(ph.name)} mean {m:.1f}</title>'
                       "</line>")
    # y axis with grid
    for v in _ticks(lo, hi):
        yv = ypos(v)
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yv:.1f}" y2="{yv:.1f}" stroke="{GRID}" '
                   'stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 6}" y="{yv + 4:.1f}" text-anchor="end" fill="{INK}">{v:g}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{PLOT_H}" fill="none" stroke="{INK}" '
               'stroke-width="1"/>')
    out.append(f'<text transform="translate(14 {TOP + PLOT_H / 2:.0f}) rotate(-90)" text-anchor="middle" '
               f'fill="{INK}">{escape(label)} ({direction})</text>')
    # the days
    for i in range(n):
        v = data.y[i]
        if np.isnan(v):
            continue
        cx, cy = xpos(i), ypos(float(v))
        tip = f"{data.days[i]}: {v:g}"
        if data.adhered[i] == 0:
            d = 4
            out.append(f'<path d="M{cx - d:.1f},{cy - d:.1f}L{cx + d:.1f},{cy + d:.1f}M{cx - d:.1f},{cy + d:.1f}'
                       f'L{cx + d:.1f},{cy - d:.1f}" stroke="{SLIP}" stroke-width="2"><title>{tip} (not adhered)'
                       "</title></path>")
        elif data.used[i]:
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.2" fill="{POINT}"><title>{tip}</title></circle>')
        else:
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.2" fill="#FFFFFF" stroke="#555555" '
                       f'stroke-width="1.2"><title>{tip} (washout, not used)</title></circle>')
    # legend
    lx = LEFT
    items = [
        (f'<rect x="{lx}" y="{legend_y - 9}" width="14" height="10" fill="{EAT_FILL}" fill-opacity="0.35"/>',
         "eating the food"),
        (f'<rect x="{{x}}" y="{legend_y - 9}" width="14" height="10" fill="{AVOID_FILL}" fill-opacity="0.4"/>',
         "avoiding it"),
        (f'<rect x="{{x}}" y="{legend_y - 9}" width="14" height="10" fill="url(#{uid}-hatch)"/>',
         "washout (not used)"),
        (f'<circle cx="{{cx}}" cy="{legend_y - 4}" r="3.2" fill="{POINT}"/>', "day used"),
        (f'<circle cx="{{cx}}" cy="{legend_y - 4}" r="3.2" fill="#FFFFFF" stroke="#555555"/>', "day not used"),
        (f'<path d="M{{x0}},{legend_y - 8}L{{x1}},{legend_y}M{{x0}},{legend_y}L{{x1}},{legend_y - 8}" '
         f'stroke="{SLIP}" stroke-width="2"/>', "not adhered"),
        (f'<line x1="{{x}}" x2="{{x2}}" y1="{legend_y - 4}" y2="{legend_y - 4}" stroke="{INK}" '
         'stroke-dasharray="6 4" stroke-width="1.5"/>', "phase mean"),
    ]
    for shape, text in items:
        out.append(shape.format(x=lx, cx=lx + 7, x0=lx + 3, x1=lx + 11, x2=lx + 14))
        out.append(f'<text x="{lx + 18}" y="{legend_y}" fill="{INK}" font-size="11">{escape(text)}</text>')
        lx += 24 + int(6.2 * len(text))
    # the result in words
    y = legend_y + 22
    for k, line in enumerate(wrapped):
        weight = ' font-weight="bold"' if k == 0 else ""
        out.append(f'<text x="{LEFT}" y="{y}" fill="{INK}"{weight}>{escape(line)}</text>')
        y += 17
    out.append("</svg>")
    return "\n".join(out)


def _ticks(lo: float, hi: float) -> list[float]:
    span = hi - lo
    step = next(s for s in (0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 500, 1000) if span / s <= 6)
    start = np.ceil(lo / step) * step
    return [float(v) for v in np.arange(start, hi + 1e-9, step)]


_VERDICT_WORDS = {"trigger": "Looks like a trigger", "not_trigger": "Not a trigger",
                  "inconclusive": "Not settled yet"}


def _caption(result: dict[str, Any], label: str) -> list[str]:
    verdict = _VERDICT_WORDS[result["verdict"]]
    if result.get("effect") is None:
        first = f"{verdict}: not enough usable days to estimate the effect of {result['food']}."
    else:
        first = (f"{verdict}. Effect of eating {result['food']}: {result['effect']:+.1f} {label} points "
                 f"({result['ci_level']:.0%} interval {result['ci_low']:+.1f} to {result['ci_high']:+.1f}; "
                 "positive = worse; "
                 f"smallest change that matters: {result['mid']:g}).")
    return [first, result["summary"], "Next: " + result["next_step"]]


def _alt_text(result: dict[str, Any], data: Any, label: str, direction: str) -> str:
    parts = [f"Daily {label} ({direction}) for a {len(data.trial.phases)}-phase elimination trial of "
             f"{data.trial.food}, {data.trial.start} to {data.trial.end}."]
    for pm in result.get("phase_means", []):
        mean = "no usable days" if pm["mean_used"] is None else f"mean {pm['mean_used']:.1f}"
        parts.append(f"{pm['name']} ({pm['kind']}, {pm['days']} days, {pm['recorded']} recorded): {mean}.")
    parts += _caption(result, label)
    return " ".join(parts)
