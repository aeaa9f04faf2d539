"""Retest → HTML: a section (fragment) for the report's "since your last test" and a standalone page.

Self-contained: inline CSS and inline SVG charts (``<svg role="img">`` with ``<title>``/``<desc>``), no scripts,
no network. Colours are Okabe–Ito and never carry meaning alone (verdicts are words, markers are labelled).
"""

from __future__ import annotations

from html import escape

from . import model as M
from .quantities import limit_text

BLUE, ORANGE, VERMILLION, GREY, GREEN = "#0072B2", "#E69F00", "#D55E00", "#999999", "#009E73"
_VERDICT = {M.Verdict.changed: ("changed", VERMILLION), M.Verdict.within: ("within usual variation", GREEN),
            M.Verdict.cannot: ("cannot compare", GREY)}
_GROUPS = [("distance", "Whole community"), ("alpha", "Diversity"), ("index", "Health indices"),
           ("phylum", "Phylum shares"), ("guild", "Guilds"), ("taxon", "Key genera"), ("panel", "Skin panels")]

CSS = """
.retest{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1b1b1b;line-height:1.45}
.retest h2{font-size:1.35rem;margin:1.2rem 0 .4rem}.retest h3{font-size:1.1rem;margin:1rem 0 .3rem}
.retest .flag{border-left:5px solid #D55E00;background:#fff4ec;padding:.5rem .8rem;margin:.4rem 0}
.retest .flag.note{border-color:#56B4E9;background:#eef7fd}.retest .flag.refusal{border-color:#000;background:#f3f3f3}
.retest table{border-collapse:collapse;width:100%;font-size:.92rem;margin:.4rem 0 1rem}
.retest th,.retest td{border-bottom:1px solid #ddd;padding:.3rem .4rem;text-align:left;vertical-align:top}
.retest td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.retest .v-changed{color:#b34700;font-weight:600}.retest .v-within_usual_variation{color:#00704f}
.retest .v-cannot_compare{color:#666}.retest .small{font-size:.85rem;color:#444}
.retest svg{max-width:640px;width:100%;height:auto;display:block;margin:.3rem 0}
.retest .summary li{margin:.2rem 0}.retest .tests td,.retest .tests th{font-size:.88rem}
.retest .tests td:nth-child(-n+2){white-space:nowrap}
.retest .tests td{overflow-wrap:anywhere;word-break:break-word}
.retest table.q{table-layout:fixed}.retest table.q td.lim{white-space:normal;text-align:right}
.retest td .small{font-size:.92em}
@media print{.retest svg{max-width:12cm}.retest table{font-size:8.5pt}.retest tr,.retest .flag{break-inside:avoid}
.retest h3,.retest h4{break-after:avoid}.retest svg{break-inside:avoid}}
"""


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "—"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def distance_chart(d: M.DistanceChange) -> str:
    """Two box strips (same person, different people) on one axis, with a labelled line at this pair's distance."""
    if d.value is None or d.same_person is None:
        return ""
    dists = [("Same person", d.same_person, BLUE)] + ([("Different people", d.different_people, ORANGE)]
                                                       if d.different_people else [])
    hi = max([d.value] + [x.p95 for _, x, _ in dists]) * 1.08
    left, width, top = 130, 250, 26
    x = lambda v: left + width * v / hi  # noqa: E731
    rows = []
    for i, (name, dist, colour) in enumerate(dists):
        y = top + 10 + i * 34
        rows.append(
            f'<text x="{left - 8}" y="{y + 5}" text-anchor="end" font-size="12">{escape(name)}</text>'
            f'<line x1="{x(dist.p5):.1f}" x2="{x(dist.p95):.1f}" y1="{y}" y2="{y}" stroke="{colour}" stroke-width="2"/>'
            f'<rect x="{x(dist.p25):.1f}" y="{y - 8}" width="{max(x(dist.p75) - x(dist.p25), 1):.1f}" height="16" '
            f'fill="{colour}" fill-opacity=".35" stroke="{colour}"/>'
            f'<line x1="{x(dist.p50):.1f}" x2="{x(dist.p50):.1f}" y1="{y - 8}" y2="{y + 8}" stroke="{colour}" '
            f'stroke-width="2"/>')
    bottom = top + 10 + len(dists) * 34
    vx = x(d.value)
    ticks = "".join(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{bottom - 6}" y2="{bottom - 2}" stroke="#555"/>'
                    f'<text x="{x(t):.1f}" y="{bottom + 10}" font-size="10" text-anchor="middle">{_fmt(t, 2)}</text>'
                    for t in _ticks(hi))
    desc = (f"This pair's {d.label} is {_fmt(d.value)}; same-person pairs: median {_fmt(d.same_person.p50)}, "
            f"95th percentile {_fmt(d.same_person.p95)}"
            + (f"; different people: median {_fmt(d.different_people.p50)}" if d.different_people else "") + ".")
    return (f'<svg role="img" viewBox="0 0 400 {bottom + 18}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(d.label)}: your tests against same-person and different-people pairs</title>"
            f"<desc>{escape(desc)}</desc>" + "".join(rows) +
            f'<line x1="{left}" x2="{left + width}" y1="{bottom - 6}" y2="{bottom - 6}" stroke="#555"/>' + ticks +
            f'<line x1="{vx:.1f}" x2="{vx:.1f}" y1="{top - 6}" y2="{bottom - 6}" stroke="#000" stroke-width="2" '
            f'stroke-dasharray="4 2"/><text x="{vx + (4 if vx < 250 else -4):.1f}" y="{top - 10}" font-size="12" '
            f'font-weight="bold" text-anchor="{"start" if vx < 250 else "end"}">'
            f"your two tests: {_fmt(d.value)}</text></svg>")


def _ticks(hi: float) -> list[float]:
    step = 10 ** len(str(int(hi / 4))) / 10 if hi >= 4 else (0.1 if hi <= 1.2 else 0.5)
    for m in (1, 2, 5, 10):
        if hi / (step * m) <= 6:
            step *= m
            break
    return [i * step for i in range(int(hi / step) + 1)]


def change_chart(quantities: list[M.QuantityChange]) -> str:
    """Each compared quantity's change divided by its usual variation: inside the band (−1…1) is noise."""
    rows = [q for q in quantities if q.verdict != M.Verdict.cannot and q.usual_variation]
    if not rows:
        return ""
    left, width, h = 210, 170, 16
    mid = left + width / 2
    x = lambda r: mid + (width / 2) * max(-3.0, min(3.0, r)) / 3  # noqa: E731
    body = []
    for i, q in enumerate(rows):
        y = 24 + i * h
        r = (q.change or 0) / q.usual_variation
        colour = VERMILLION if q.verdict == M.Verdict.changed else BLUE
        shape = (f'<rect x="{x(r) - 4:.1f}" y="{y - 4}" width="8" height="8" fill="{colour}"/>'
                 if q.verdict == M.Verdict.changed else f'<circle cx="{x(r):.1f}" cy="{y}" r="4" fill="{colour}"/>')
        label = q.label if len(q.label) <= 30 else q.label[:29] + "…"
        body.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" font-size="11">{escape(label)}</text>{shape}')
    height = 24 + len(rows) * h + 14
    band = (f'<rect x="{x(-1):.1f}" y="12" width="{x(1) - x(-1):.1f}" height="{height - 26}" fill="{GREEN}" '
            f'fill-opacity=".12"/><line x1="{mid}" x2="{mid}" y1="12" y2="{height - 14}" stroke="#777"/>')
    axis = "".join(f'<text x="{x(t):.1f}" y="{height - 2}" font-size="10" text-anchor="middle">{t:+d}×</text>'
                   for t in (-3, -1, 1, 3))
    return (f'<svg role="img" viewBox="0 0 400 {height}" xmlns="http://www.w3.org/2000/svg">'
            "<title>Each change measured in units of its usual variation</title><desc>The shaded band is usual "
            "variation (between −1 and +1 times the limit); squares outside it are changes beyond noise; values "
            "beyond ±3 are drawn at the edge.</desc>"
            f'<text x="{mid}" y="9" font-size="10" text-anchor="middle">fell ← usual variation → rose</text>'
            + band + "".join(body) + axis + "</svg>")


def _verdict(v: M.Verdict) -> str:
    text, _ = _VERDICT[v]
    return f'<span class="v-{v.value}">{escape(text)}</span>'


def _pair_html(r: M.Retest, c: M.PairComparison) -> str:
    a, b = r.tests[c.before], r.tests[c.after]
    head = f"<h3>{escape(a.label)} → {escape(b.label)}" + (
        f" <span class='small'>({escape(a.date)} → {escape(b.date)})</span>" if a.date and b.date else "") + "</h3>"
    flags = "".join(f'<div class="flag {escape(f.severity)}"><strong>{escape(f.code.replace("_", " "))}:</strong> '
                    f"{escape(f.text)}</div>" for f in c.flags)
    if c.status == "refused":
        return head + flags + f"<p><strong>Not compared.</strong> {escape(c.refusal)}.</p>"
    parts = [head, flags]
    summary = ""
    if c.changed:
        summary += "<p><strong>Changed beyond usual variation</strong></p><ul class='summary'>" + "".join(
            f"<li>{escape(s)}</li>" for s in c.changed) + "</ul>"
    else:
        summary += "<p><strong>Nothing changed beyond usual variation.</strong></p>"
    summary += "<p><strong>Within usual variation</strong></p><ul class='summary'>" + "".join(
        f"<li>{escape(s)}</li>" for s in c.unchanged) + "</ul>"
    summary += "<p><strong>What these tests cannot tell</strong></p><ul class='summary small'>" + "".join(
        f"<li>{escape(s)}</li>" for s in c.unknowable) + "</ul>"
    if c.trial:
        summary += f"<p class='flag note'>{escape(c.trial)}</p>"
    parts.append(summary)
    for d in c.distances:
        parts.append(f"<h4>{escape(d.label)}</h4>" + distance_chart(d) +
                     f"<p class='small'>Verdict: {_verdict(d.verdict)}"
                     + (f" — {escape(d.reason)}" if d.reason else "") + "</p>")
    parts.append("<h4>Every quantity against its usual variation</h4>" + change_chart(c.quantities))
    for group, title in _GROUPS:
        if group == "distance":
            continue
        qs = [q for q in c.quantities if q.group == group]
        if not qs:
            continue
        rows = "".join(
            f"<tr><td>{escape(q.label)}</td><td class='num'>{_fmt(q.before)}</td><td class='num'>{_fmt(q.after)}"
            f"</td><td class='num lim'>{escape(q.change_text or '—')}</td><td class='num lim'>"
            f"{escape(limit_text(q.scale, q.usual_variation))}</td><td>{_verdict(q.verdict)}"
            + (f"<div class='small'>{escape(q.reason)}</div>" if q.reason else "")
            + (f"<div class='small'>Evidence on direction: {escape(q.evidence)}</div>" if q.evidence else "")
            + "</td></tr>" for q in qs)
        parts.append(f"<h4>{escape(title)}</h4><table class='q'><colgroup><col style='width:27%'>"
                     "<col style='width:10%'><col style='width:10%'><col style='width:11%'><col style='width:17%'>"
                     "<col style='width:25%'></colgroup><thead><tr><th>quantity</th><th>before</th><th>after</th>"
                     "<th>change</th><th>usual variation</th><th>verdict</th></tr></thead><tbody>" + rows +
                     "</tbody></table>")
    return "".join(parts)


def render_fragment(r: M.Retest, *, heading: str = "Since your last test", css: bool = True) -> str:
    """The retest as a ``<section>`` for embedding in a report (its own ``.retest``-scoped ``<style>`` unless
    ``css=False``)."""
    tests = "".join(
        f"<tr><td>{escape(t.label)}</td><td>{escape(t.date or '—')}</td><td>{escape(t.source)}</td>"
        f"<td>{escape(t.method)}</td><td>{escape(' '.join(x for x in (t.profiler, t.profiler_version) if x) or '—')}"
        f"</td><td>{escape(t.database or '—')}</td><td>{escape(t.lab or '—')}</td></tr>" for t in r.tests)
    anchors = "".join(f"<li>{escape(a.finding)} <span class='small'>{escape(a.citation)}</span></li>"
                      for a in r.anchors)
    notes = "".join(f"<li>{escape(n)}</li>" for n in r.notes)
    return ((f"<style>{CSS}</style>" if css else "") +
            f'<section class="retest" aria-label="{escape(heading)}"><h2>{escape(heading)}</h2>'
            "<table class='tests'><thead><tr><th>test</th><th>date</th><th>file</th><th>method</th><th>profiler</th>"
            f"<th>database</th><th>lab</th></tr></thead><tbody>{tests}</tbody></table>"
            + "".join(_pair_html(r, c) for c in r.comparisons)
            + f"<h3>How to read this</h3><ul class='small'>{notes}</ul>"
            + f"<h3>Published context</h3><ul class='small'>{anchors}</ul>"
            + f"<p class='small'>gutskin {escape(r.gutskin_version)} · {escape(r.schema_version)} · "
              f"variability {escape(r.variability_version)}</p></section>")


def render_html(r: M.Retest, *, title: str = "gutskin retest") -> str:
    """A standalone HTML page (inline CSS and SVG; opens offline)."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{escape(title)}</title><style>body{{max-width:52rem;margin:1rem auto;padding:0 1rem}}"
            f"{CSS}</style></head><body>" + render_fragment(r, heading="Did your gut change between tests?", css=False)
            + "</body></html>\n")


def embed_in_report(report_html: str, r: M.Retest) -> str:
    """The report's HTML with the "since your last test" section placed before its methods section (else before
    ``</main>`` or ``</body>``). The hook for ``gutskin report NEW --previous OLD``."""
    section = render_fragment(r)
    for anchor in ('<section id="methods"', "</main>", "</body>"):
        at = report_html.find(anchor)
        if at >= 0:
            return report_html[:at] + section + report_html[at:]
    return report_html + section
