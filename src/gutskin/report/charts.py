"""Hand-written inline SVG charts for the report: no plotting library, no scripts, no external fonts.

Every chart is an ``<svg role="img">`` with ``<title>`` and ``<desc>`` (read by screen readers and shown as a
tooltip), sized by its ``viewBox`` so it scales to the page. Charts are drawn about 400 units wide with 13-unit
text, so on a phone (≈360 px) text stays near 12 px, and on a desktop the CSS caps their width.

Colours are the Okabe–Ito palette, which stays distinguishable with the common colour-vision deficiencies; no
chart relies on colour alone (the person is a labelled marker, zones carry words).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from contextvars import ContextVar
from html import escape

from markupsafe import Markup

# Okabe & Ito (2008), "Color Universal Design"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
BLACK = "#000000"
GREY = "#999999"
PALETTE = (BLUE, ORANGE, GREEN, SKY, VERMILLION, PURPLE, YELLOW, GREY)

INK = "#1a1a1a"
MUTED = "#555555"
FONT = "font-family:DejaVu Sans,Verdana,Arial,sans-serif"
W = 400  # viewBox width of every chart

# element ids are numbered per rendered document; the counter lives in a context variable so two reports
# rendered at once (threads of a web server, asyncio tasks) never share or race on it
_ids: ContextVar[itertools.count | None] = ContextVar("gutskin_chart_ids", default=None)


def _uid(prefix: str) -> str:
    counter = _ids.get()
    if counter is None:
        counter = itertools.count(1)
        _ids.set(counter)
    return f"{prefix}{next(counter)}"


def reset_ids() -> None:
    """Start element ids afresh (one report per document, so ids stay short and deterministic)."""
    _ids.set(itertools.count(1))


def _svg(height: float, title: str, desc: str, body: list[str], cls: str = "chart", width: float = W) -> Markup:
    tid, did = _uid("t"), _uid("d")
    head = (f'<svg class="{cls}" role="img" aria-labelledby="{tid} {did}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'xmlns="http://www.w3.org/2000/svg" style="{FONT}" preserveAspectRatio="xMinYMin meet">'
            f'<title id="{tid}">{escape(title)}</title><desc id="{did}">{escape(desc)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, s: str, *, size: float = 13, anchor: str = "start", fill: str = INK,
          weight: str = "normal") -> str:
    bold = ' font-weight="bold"' if weight == "bold" else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{bold}>'
            f"{escape(s)}</text>")


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    t = first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    return ticks


def fmt_number(x: float, digits: int = 3) -> str:
    """A value with about ``digits`` significant digits, no scientific notation for ordinary sizes."""
    if x is None or not math.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    return _strip(f"{x:,.{decimals}f}")


def _strip(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_tick(t: float) -> str:
    """A round axis value without trailing zeros (0.25, 0.5, 100)."""
    if abs(t) < 1e-12:
        return "0"
    return _strip(f"{t:,.6f}")


def fmt_share(x: float | None) -> str:
    """A 0–1 share as per cent, with precision that suits its size."""
    if x is None or not math.isfinite(x):
        return "–"
    pct = 100 * x
    if pct == 0:
        return "0%"
    if pct >= 10:
        return f"{pct:.0f}%"
    if pct >= 1:
        return f"{pct:.1f}%"
    if pct >= 0.01:
        return f"{pct:.2g}%"
    return "<0.01%"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def fmt_percentile(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "–"
    return ordinal(min(99, max(1, round(100 * p))))


# ---------------------------------------------------------------------------------------------- distributions
def _cdf(x: float, probs: Sequence[float], values: Sequence[float]) -> float:
    """Piecewise-linear CDF through the quantile points; flat runs (ties) are handled by the left edge."""
    if x <= values[0]:
        return 0.0 if x < values[0] else probs[0]
    if x >= values[-1]:
        return 1.0
    lo, hi = 0, len(values) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if values[mid] <= x:
            lo = mid
        else:
            hi = mid
    span = values[hi] - values[lo]
    frac = 0.0 if span <= 0 else (x - values[lo]) / span
    return probs[lo] + (probs[hi] - probs[lo]) * frac


def density_from_quantiles(probs: Sequence[float], values: Sequence[float], xs: Sequence[float],
                           bandwidth: float) -> list[float]:
    """Smoothed density of a distribution known by its quantiles: (F(x+h) − F(x−h)) / 2h."""
    return list(_density(tuple(probs), tuple(values), tuple(xs), bandwidth))


@functools.lru_cache(maxsize=1024)
def _density(probs: tuple[float, ...], values: tuple[float, ...], xs: tuple[float, ...],
             bandwidth: float) -> tuple[float, ...]:
    # the same reference curve is drawn for every person whose value lies inside it: drawn once
    return tuple((_cdf(x + bandwidth, probs, values) - _cdf(x - bandwidth, probs, values)) / (2 * bandwidth)
                 for x in xs)


#: a distribution chart's plot area: left and right edges, top of the curve, baseline (SVG units)
_DISTRIBUTION_FRAME = (14.0, W - 14.0, 34.0, 112.0)


def distribution_chart(*, probabilities: Sequence[float], values: Sequence[float], n: int, person: float | None,
                       label: str, value_text: str, percentile_text: str | None = None,
                       threshold: float | None = None) -> Markup:
    """The person (a marked line) within a healthy reference distribution (a shaded density).

    The darker band is the middle 80 % (10th–90th percentile), the dashed line the median, the dotted line an
    index's own cut-off (``threshold``).
    """
    probs, vals = list(probabilities), list(values)
    lo, hi = vals[0], vals[-1]
    if person is not None and math.isfinite(person):
        lo, hi = min(lo, person), max(hi, person)
    if threshold is not None:
        lo, hi = min(lo, threshold), max(hi, threshold)
    pad = (hi - lo) * 0.06 or max(abs(hi), 1.0) * 0.1
    lo, hi = lo - pad, hi + pad
    left, right, top, base = _DISTRIBUTION_FRAME
    height = 136.0

    def sx(x: float) -> float:
        return left + (x - lo) / (hi - lo) * (right - left)

    body, (q10, q50, q90) = _reference_drawing(tuple(probs), tuple(vals), lo, hi, threshold)
    body = list(body)
    desc = (f"Healthy reference of {n} people: middle 80% from {fmt_number(q10)} to {fmt_number(q90)}, "
            f"median {fmt_number(q50)}.")
    if person is not None and math.isfinite(person):
        px = sx(person)
        body.append(f'<line x1="{px:.1f}" y1="{top - 8:.1f}" x2="{px:.1f}" y2="{base:.1f}" stroke="{VERMILLION}" '
                    'stroke-width="3"/>')
        body.append(f'<path d="M{px - 7:.1f},{top - 16:.1f} L{px + 7:.1f},{top - 16:.1f} L{px:.1f},{top - 6:.1f} Z" '
                    f'fill="{VERMILLION}"/>')
        tag = f"You: {value_text}" + (f" ({percentile_text} percentile)" if percentile_text else "")
        anchor, tx = ("start", px + 10) if px < W * 0.55 else ("end", px - 10)
        body.append(_text(tx, top - 12, tag, size=13, anchor=anchor, weight="bold", fill=INK))
        desc += f" This person: {value_text}" + (f", {percentile_text} percentile." if percentile_text else ".")
    return _svg(height, f"{label}: you within the healthy reference", desc, body)


@functools.lru_cache(maxsize=1024)
def _reference_drawing(probs: tuple[float, ...], vals: tuple[float, ...], lo: float, hi: float,
                       threshold: float | None) -> tuple[tuple[str, ...], tuple[float, float, float]]:
    """The person-independent part of :func:`distribution_chart` (the shaded density, median, axis, ticks and
    cut-off) for a reference drawn between ``lo`` and ``hi``, and its 10th, 50th and 90th percentiles.

    Everyone whose value lies inside the reference range gets the same drawing: remembered (the curve is a
    few hundred points, and a report draws several).
    """
    left, right, top, base = _DISTRIBUTION_FRAME

    def sx(x: float) -> float:
        return left + (x - lo) / (hi - lo) * (right - left)

    steps = 120
    xs = [lo + (hi - lo) * i / steps for i in range(steps + 1)]
    h = max((vals[-1] - vals[0]) / 18, (hi - lo) / 200)
    dens = density_from_quantiles(probs, vals, xs, h)
    peak = max(dens) or 1.0

    def sy(d: float) -> float:
        return base - d / peak * (base - top - 6)

    def area(x0: float, x1: float) -> str:
        pts = [(x, d) for x, d in zip(xs, dens, strict=True) if x0 <= x <= x1]
        if len(pts) < 2:
            return ""
        path = f"M{sx(pts[0][0]):.1f},{base:.1f} " + " ".join(f"L{sx(x):.1f},{sy(d):.1f}" for x, d in pts)
        return path + f" L{sx(pts[-1][0]):.1f},{base:.1f} Z"

    q10 = _quantile(0.10, probs, vals)
    q50 = _quantile(0.50, probs, vals)
    q90 = _quantile(0.90, probs, vals)
    body = [
        f'<path d="{area(lo, hi)}" fill="{SKY}" fill-opacity="0.28" stroke="none"/>',
        f'<path d="{area(q10, q90)}" fill="{SKY}" fill-opacity="0.55" stroke="none"/>',
        f'<line x1="{sx(q50):.1f}" y1="{top + 4:.1f}" x2="{sx(q50):.1f}" y2="{base:.1f}" stroke="{BLUE}" '
        'stroke-width="1.5" stroke-dasharray="3 3"/>',
        f'<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" stroke="{MUTED}" stroke-width="1"/>',
    ]
    for t in nice_ticks(lo, hi, 5):
        if lo <= t <= hi:
            body.append(f'<line x1="{sx(t):.1f}" y1="{base}" x2="{sx(t):.1f}" y2="{base + 5}" stroke="{MUTED}"/>')
            body.append(_text(sx(t), base + 19, fmt_tick(t), size=13, anchor="middle", fill=MUTED))
    if threshold is not None:
        body.append(f'<line x1="{sx(threshold):.1f}" y1="{top - 2:.1f}" x2="{sx(threshold):.1f}" y2="{base:.1f}" '
                    f'stroke="{BLACK}" stroke-width="1.2" stroke-dasharray="2 3"/>')
    return tuple(body), (q10, q50, q90)


def _quantile(p: float, probs: Sequence[float], values: Sequence[float]) -> float:
    for i in range(1, len(probs)):
        if probs[i] >= p:
            span = probs[i] - probs[i - 1]
            frac = 0.0 if span <= 0 else (p - probs[i - 1]) / span
            return values[i - 1] + (values[i] - values[i - 1]) * frac
    return values[-1]


def scale_chart(*, person: float, lo: float, hi: float, label: str, value_text: str, threshold: float | None = None,
                low_label: str = "", high_label: str = "") -> Markup:
    """A number line with the person marked, for values with no reference distribution."""
    lo, hi = min(lo, person), max(hi, person)
    pad = (hi - lo) * 0.05 or 1.0
    lo, hi = lo - pad, hi + pad
    left, right, y = 14.0, W - 14.0, 52.0

    def sx(x: float) -> float:
        return left + (x - lo) / (hi - lo) * (right - left)

    body = [f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="{MUTED}" stroke-width="2"/>']
    for t in nice_ticks(lo, hi, 5):
        body.append(f'<line x1="{sx(t):.1f}" y1="{y - 4}" x2="{sx(t):.1f}" y2="{y + 4}" stroke="{MUTED}"/>')
        body.append(_text(sx(t), y + 19, fmt_tick(t), size=13, anchor="middle", fill=MUTED))
    if threshold is not None:
        tx = sx(threshold)
        body.append(f'<line x1="{tx:.1f}" y1="{y - 14}" x2="{tx:.1f}" y2="{y + 8}" stroke="{BLACK}" '
                    'stroke-dasharray="2 2"/>')
        if low_label:
            body.append(_text(tx - 6, y + 36, f"← {low_label}", size=11, anchor="end", fill=MUTED))
        if high_label:
            body.append(_text(tx + 6, y + 36, f"{high_label} →", size=11, fill=MUTED))
    px = sx(person)
    body.append(f'<circle cx="{px:.1f}" cy="{y}" r="7" fill="{VERMILLION}" stroke="white" stroke-width="1.5"/>')
    anchor, tx = ("start", px + 10) if px < W * 0.55 else ("end", px - 10)
    body.append(_text(tx, y - 14, f"You: {value_text}", weight="bold", anchor=anchor))
    return _svg(96, f"{label}: your value on the index's scale", f"{label} is {value_text}.", body)


# ---------------------------------------------------------------------------------------------- percentile bands
BAND_W = 320  # narrower than the other charts, so its numbers stay readable when it is drawn small


def percentile_band(*, percentile: float | None, ci_low: float | None, ci_high: float | None, label: str,
                    absent: bool = False) -> Markup:
    """A 0–100 percentile strip: low (<10) and high (>90) ends in orange, the typical middle in blue, the person
    as a dot with its 95 % interval as a black line."""
    left, right, y0, hgt = 8.0, BAND_W - 8.0, 4.0, 18.0

    def sx(p: float) -> float:
        return left + p * (right - left)

    body = [
        f'<rect x="{sx(0):.1f}" y="{y0}" width="{sx(0.1) - sx(0):.1f}" height="{hgt}" fill="{ORANGE}" '
        'fill-opacity="0.45"/>',
        f'<rect x="{sx(0.1):.1f}" y="{y0}" width="{sx(0.9) - sx(0.1):.1f}" height="{hgt}" fill="{SKY}" '
        'fill-opacity="0.35"/>',
        f'<rect x="{sx(0.9):.1f}" y="{y0}" width="{sx(1) - sx(0.9):.1f}" height="{hgt}" fill="{ORANGE}" '
        'fill-opacity="0.45"/>',
    ]
    for p in (0.1, 0.5, 0.9):
        body.append(_text(sx(p), y0 + hgt + 14, f"{round(p * 100)}th", size=12, anchor="middle", fill=MUTED))
    has_ci = (ci_low is not None and ci_high is not None and math.isfinite(ci_low) and math.isfinite(ci_high))
    if percentile is not None and math.isfinite(percentile):
        cy = y0 + hgt / 2
        if has_ci:
            body.append(f'<line x1="{sx(ci_low):.1f}" y1="{cy}" x2="{sx(ci_high):.1f}" y2="{cy}" stroke="{INK}" '
                        'stroke-width="2.5"/>')
            for c in (ci_low, ci_high):
                body.append(f'<line x1="{sx(c):.1f}" y1="{cy - 6}" x2="{sx(c):.1f}" y2="{cy + 6}" stroke="{INK}" '
                            'stroke-width="2"/>')
        body.append(f'<circle cx="{sx(percentile):.1f}" cy="{cy}" r="7" fill="{VERMILLION}" stroke="white" '
                    'stroke-width="1.5"/>')
        desc = f"{label}: {fmt_percentile(percentile)} percentile of the healthy reference"
        if has_ci:
            desc += f" (95% interval {fmt_percentile(ci_low)} to {fmt_percentile(ci_high)})"
        desc += "."
    elif absent:
        desc = f"{label}: not found in this sample, so it has no percentile."
    else:
        desc = f"{label}: no percentile (the reference has too few carriers to compare)."
    return _svg(y0 + hgt + 18, f"{label}: percentile among healthy people", desc, body, cls="chart band",
                width=BAND_W)


def lean_chart(*, score: float, low: float | None, high: float | None, label: str) -> Markup:
    """A −1 … +1 scale: where the profile sits between the opposite of a condition's reported gut pattern (−1)
    and that pattern (+1), with its 90 % interval."""
    left, right, y = 12.0, BAND_W - 12.0, 22.0

    def sx(v: float) -> float:
        return left + (v + 1.0) / 2.0 * (right - left)

    body = [f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="{MUTED}" stroke-width="2"/>']
    for v, text in ((-1.0, "−1"), (0.0, "0"), (1.0, "+1")):
        anchor = "start" if v < 0 else ("end" if v > 0 else "middle")
        body.append(f'<line x1="{sx(v):.1f}" y1="{y - 5}" x2="{sx(v):.1f}" y2="{y + 5}" stroke="{MUTED}"/>')
        body.append(_text(sx(v), y + 20, text, size=12, anchor=anchor, fill=MUTED))
    body.append(_text(left, y + 36, "opposite pattern", size=12, fill=MUTED))
    body.append(_text(right, y + 36, "patients' pattern", size=12, anchor="end", fill=MUTED))
    desc = f"{label}: score {score:+.2f} on a −1 to +1 scale"
    if low is not None and high is not None:
        body.append(f'<line x1="{sx(low):.1f}" y1="{y}" x2="{sx(high):.1f}" y2="{y}" stroke="{INK}" '
                    'stroke-width="4"/>')
        desc += f", 90% interval {low:+.2f} to {high:+.2f}"
    body.append(f'<circle cx="{sx(score):.1f}" cy="{y}" r="7" fill="{VERMILLION}" stroke="white" '
                'stroke-width="1.5"/>')
    return _svg(y + 42, f"{label}: lean toward or away from the reported pattern", desc + ".", body,
                cls="chart band", width=BAND_W)


# ---------------------------------------------------------------------------------------------- composition
def stacked_bar(parts: Sequence[tuple[str, float]], *, label: str) -> Markup:
    """One 100 % bar of shares (phyla); labels inside wide enough segments, the rest in the legend."""
    left, right, y0, hgt = 2.0, W - 2.0, 4.0, 34.0
    total = sum(v for _, v in parts) or 1.0
    x = left
    body = []
    desc_parts = []
    for i, (name, v) in enumerate(parts):
        w = v / total * (right - left)
        colour = PALETTE[i % len(PALETTE)]
        body.append(f'<rect x="{x:.2f}" y="{y0}" width="{max(w, 0):.2f}" height="{hgt}" fill="{colour}" '
                    f'stroke="white" stroke-width="1"><title>{escape(name)}: {fmt_share(v)}</title></rect>')
        text_fill = "white" if colour in (BLUE, GREEN, VERMILLION, BLACK) else INK
        tag = f"{name} {fmt_share(v)}"
        if w > len(tag) * 7.2 + 8:
            body.append(_text(x + 5, y0 + hgt / 2 + 4.5, tag, size=12, fill=text_fill))
        elif w > len(fmt_share(v)) * 7.2 + 6:
            body.append(_text(x + 4, y0 + hgt / 2 + 4.5, fmt_share(v), size=12, fill=text_fill))
        x += w
        desc_parts.append(f"{name} {fmt_share(v)}")
    return _svg(y0 + hgt + 4, label, "; ".join(desc_parts) + ".", body, cls="chart stacked")


def _log_pos(x: float, lo_exp: int, hi_exp: int) -> float:
    x = max(x, 10.0 ** lo_exp)
    return (math.log10(x) - lo_exp) / (hi_exp - lo_exp)


def range_dots(rows: Sequence[dict], *, label: str) -> Markup:
    """Per taxon: the reference's typical range (bar, among carriers) and the person's share (dot), log scale.

    ``rows``: dicts with ``name``, ``share`` (0–1), ``typical_low``, ``typical_high`` (0–1 or None).
    """
    lo_exp, hi_exp = -4, 0  # 0.01 % … 100 %
    left, right = 10.0, W - 10.0
    row_h = 40.0
    top = 6.0

    def sx(v: float) -> float:
        return left + _log_pos(v, lo_exp, hi_exp) * (right - left)

    body = []
    desc = []
    for i, r in enumerate(rows):
        y = top + i * row_h
        note = "" if r.get("typical_low") is not None else r.get("note", "")
        tail = f'<tspan font-weight="normal" fill="{MUTED}" font-size="11"> · {escape(note)}</tspan>' if note else ""
        body.append(f'<text x="{left:.1f}" y="{y + 13:.1f}" font-size="13" font-weight="bold" fill="{INK}">'
                    f'{escape(r["name"])}{tail}</text>')
        line_y = y + 26
        body.append(f'<line x1="{left}" y1="{line_y}" x2="{right}" y2="{line_y}" stroke="#dddddd"/>')
        lo_v, hi_v = r.get("typical_low"), r.get("typical_high")
        text = f"{r['name']}: you {fmt_share(r['share'])}"
        if lo_v is not None and hi_v is not None and math.isfinite(lo_v) and math.isfinite(hi_v):
            body.append(f'<rect x="{sx(lo_v):.1f}" y="{line_y - 5}" width="{max(sx(hi_v) - sx(lo_v), 2):.1f}" '
                        f'height="10" rx="3" fill="{SKY}" fill-opacity="0.6"/>')
            text += f", typical {fmt_share(lo_v)}–{fmt_share(hi_v)}"
        elif r.get("note"):
            text += f" ({r['note']})"
        share = r["share"]
        if share and share > 0:
            body.append(f'<circle cx="{sx(share):.1f}" cy="{line_y}" r="6" fill="{VERMILLION}" stroke="white" '
                        'stroke-width="1.5"/>')
            body.append(_text(right, y + 13, fmt_share(share), size=13, anchor="end", weight="bold"))
        desc.append(text)
    axis_y = top + len(rows) * row_h + 4
    body.append(f'<line x1="{left}" y1="{axis_y}" x2="{right}" y2="{axis_y}" stroke="{MUTED}"/>')
    for e in range(lo_exp, hi_exp + 1):
        x = sx(10.0 ** e)
        body.append(f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 5}" stroke="{MUTED}"/>')
        body.append(_text(x, axis_y + 18, fmt_share(10.0 ** e), size=11,
                          anchor="start" if e == lo_exp else ("end" if e == hi_exp else "middle"), fill=MUTED))
    return _svg(axis_y + 24, label, "; ".join(desc) + ". Log scale.", body, cls="chart ranges")


# ---------------------------------------------------------------------------------------------- trial
PHASE_COLOURS = {"baseline": GREY, "avoid": SKY, "avoidance": SKY, "elimination": SKY, "washout": YELLOW,
                 "challenge": ORANGE, "reintroduction": ORANGE, "exposure": ORANGE, "placebo": GREEN}


def timeline_chart(*, phases: Sequence[dict], points: Sequence[dict] = (), outcome: str = "symptom score",
                   label: str = "Trial timeline") -> Markup:
    """Phases as coloured bands over trial days, a legend naming each phase, and the daily score as a line
    (when a diary is given)."""
    if not phases and not points:
        return Markup("")
    days = [p["start_day"] for p in phases] + [p["end_day"] for p in phases] + [p["day"] for p in points]
    d0, d1 = min(days), max(days) + 1  # a phase covers its last day entirely
    left, right = (34.0 if points else 10.0), W - 10.0
    band_y, band_h = 6.0, 22.0
    plot_top, plot_base = 44.0, 150.0

    def sx(d: float) -> float:
        return left + (d - d0) / (d1 - d0) * (right - left)

    body = []
    desc = []
    colours = []
    for i, ph in enumerate(phases):
        colour = PHASE_COLOURS.get(str(ph["name"]).lower(), PALETTE[i % len(PALETTE)])
        colours.append(colour)
        x0, x1 = sx(ph["start_day"]), sx(ph["end_day"] + 1)
        body.append(f'<rect x="{x0:.1f}" y="{band_y}" width="{max(x1 - x0, 1):.1f}" height="{band_h}" '
                    f'fill="{colour}" fill-opacity="0.5" stroke="white"/>')
        if points:
            body.append(f'<rect x="{x0:.1f}" y="{plot_top}" width="{max(x1 - x0, 1):.1f}" '
                        f'height="{plot_base - plot_top:.1f}" fill="{colour}" fill-opacity="0.10"/>')
        n_days = ph["end_day"] - ph["start_day"] + 1
        tag = f"{n_days} d"
        if x1 - x0 > len(tag) * 7 + 6:
            body.append(_text((x0 + x1) / 2, band_y + 15, tag, size=12, anchor="middle"))
        desc.append(f"{ph['label']}: days {ph['start_day']}–{ph['end_day']}")
    y = band_y + band_h
    if points:
        scores = [p["score"] for p in points if p.get("score") is not None]
        s0, s1 = (min(scores), max(scores)) if scores else (0.0, 1.0)
        if s1 <= s0:
            s1 = s0 + 1
        ticks = nice_ticks(s0, s1, 4)
        if len(ticks) > 1:  # extend to round values on both sides of the data
            step = ticks[1] - ticks[0]
            while ticks[0] > s0 + 1e-9:
                ticks.insert(0, round(ticks[0] - step, 10))
            while ticks[-1] < s1 - 1e-9:
                ticks.append(round(ticks[-1] + step, 10))
        s0, s1 = min(s0, ticks[0]), max(s1, ticks[-1])

        def sy(v: float) -> float:
            return plot_base - (v - s0) / (s1 - s0) * (plot_base - plot_top)

        for t in ticks:
            body.append(f'<line x1="{left}" y1="{sy(t):.1f}" x2="{right}" y2="{sy(t):.1f}" stroke="#e0e0e0"/>')
            body.append(_text(left - 4, sy(t) + 4, fmt_tick(t), size=12, anchor="end", fill=MUTED))
        segs: list[list[tuple[float, float]]] = [[]]
        for p in points:
            if p.get("score") is None:
                if segs[-1]:
                    segs.append([])
                continue
            segs[-1].append((sx(p["day"] + 0.5), sy(p["score"])))
        for seg in segs:
            if len(seg) > 1:
                pts = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in seg)
                body.append(f'<polyline fill="none" stroke="{BLUE}" stroke-width="2" points="{pts}"/>')
            for x, yy in seg:
                body.append(f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="2.6" fill="{BLUE}"/>')
        body.append(_text(left, plot_top - 4, outcome, size=12, fill=MUTED))
        desc.append(f"{len(scores)} diary days scored")
        y = plot_base
    last = d1 - 1
    gap = (last - d0) * 0.12
    inner = [int(t) for t in nice_ticks(d0, last, 5) if d0 + gap < t < last - gap]
    for t in [d0, *inner, last]:
        anchor = "start" if t == d0 else ("end" if t == last else "middle")
        tx = sx(t) if t == d0 else (sx(t + 1) if t == last else sx(t + 0.5))
        body.append(_text(tx, y + 15, f"day {t}", size=12, anchor=anchor, fill=MUTED))
    y += 24
    x = left
    for ph, colour in zip(phases, colours, strict=True):
        text = ph["label"]
        width = 18 + len(text) * 6.6 + 14
        if x + width > right and x > left:
            x, y = left, y + 20
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="13" height="13" fill="{colour}" fill-opacity="0.5" '
                    f'stroke="{MUTED}" stroke-width="0.5"/>')
        body.append(_text(x + 18, y + 11.5, text, size=12))
        x += width
    return _svg(y + 20, label, "; ".join(desc) + ".", body, cls="chart timeline")
