"""Rendering a :class:`~gutskin.report.model.Report`: self-contained HTML, PDF (WeasyPrint) and JSON.

All three come from the same model. The HTML inlines its CSS and SVG charts and carries a Content Security
Policy that forbids every network request; the PDF is that HTML laid out by WeasyPrint for A4 paper.
Files are written to a temporary name beside the target and renamed into place, so a failed write never
leaves a half-written report.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from ..errors import InputError
from . import charts, wording
from .model import SECTION_ORDER, Citation, Report, TaxonShare

FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf", ".json": "json"}
# the words of badges and labels live with every other sentence, in .wording
STATUS_WORDS = wording.SECTION_STATUS_WORDS
VALIDITY_WORDS = wording.VALIDITY_WORDS
GRADE_WORDS = wording.GRADE_WORDS
ALIGNMENT_WORDS = wording.ALIGNMENT_BADGES
#: scale drawn for an index when no reference distribution is available
INDEX_SPAN = {"gmhi": (-3.0, 3.0), "gmwi2": (-6.0, 6.0), "gevers_md": (-5.0, 5.0)}


def format_for(path: str | Path, to: str | None = None) -> str:
    """``html``, ``pdf`` or ``json`` from ``to`` or the file extension."""
    if to:
        fmt = to.lower().lstrip(".")
        if fmt not in ("html", "pdf", "json"):
            raise InputError(f"unknown report format {to!r}; expected html, pdf or json", field="--to")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"cannot tell the report format from {Path(path).name!r}; end the name with .html, "
                         ".pdf or .json", field="-o")
    return FORMATS[suffix]


@cache
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gutskin.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.globals.update(charts=charts, num=charts.fmt_number, share=charts.fmt_share, pct=charts.fmt_percentile,
                       palette=charts.PALETTE, status_words=STATUS_WORDS, validity_words=VALIDITY_WORDS,
                       grade_words=GRADE_WORDS, alignment_words=ALIGNMENT_WORDS, phyla_parts=_phyla_parts,
                       range_rows=_range_rows,
                       index_span=_index_span, dump=_dump)
    env.tests["startswith"] = lambda value, prefix: str(value).startswith(prefix)
    env.globals.update(evidence_html=jinja2.pass_context(_evidence_html), refs_html=jinja2.pass_context(_refs_html),
                       grade_html=jinja2.pass_context(_grade_html), sources_html=_sources_html)
    return env


# The evidence line (grade badge, label, numbered sources) is drawn about thirty times per report: as Jinja
# macros it was a fifth of the rendering time. These write the same markup; report.html.j2 calls them. Each
# is given the template's context (jinja2.pass_context, in _environment), for the report's source numbering.
def _grade_html(context: Any, ev: Any) -> Markup:
    return Markup(_grade_text(ev))


def _grade_text(ev: Any) -> str:
    if ev and ev.grade:
        g = escape(ev.grade)
        label = f": {escape(ev.label)}" if ev.label else ""
        return f'<span class="grade grade-{g}" title="Evidence grade {g}{label}">Grade {g}</span>'
    if ev and ev.label:
        return '<span class="grade grade-none" title="Not graded in the knowledge base">Ungraded</span>'
    return ""


def _refs_html(context: Any, citations: Any) -> Markup:
    return Markup(_refs_text(context.resolve("cite"), citations))


def _refs_text(cite: Callable[[Any], int], citations: Any) -> str:
    if not citations:
        return ""
    numbers = [cite(c) for c in citations]  # whole numbers: nothing to escape
    return ('<span class="refs"> · Sources:'
            + "".join(f' <a href="#src-{n}" aria-label="source {n}">[{n}]</a>' for n in numbers) + "</span>")


def _sources_html(sources: list[Citation]) -> Markup:
    """The numbered source list (each with its DOI, PubMed or web link): about seventy per report."""
    items = []
    for i, c in enumerate(sources, start=1):
        item = f'<li id="src-{i}">{escape(c.text)}'
        if c.doi:
            doi = escape(c.doi)
            item += f' <a href="https://doi.org/{doi}">doi:{doi}</a>'
        if c.pmid:
            pmid = escape(c.pmid)
            item += f' <a href="https://pubmed.ncbi.nlm.nih.gov/{pmid}/">PubMed {pmid}</a>'
        if not c.doi and not c.pmid and c.url:
            url = escape(c.url)
            item += f' <a href="{url}">{url}</a>'
        items.append(item + "</li>")
    return Markup("".join(items))


def _evidence_html(context: Any, ev: Any, show_label: bool = True) -> Markup:
    if not ev:
        return Markup("")
    label = f' <span class="grade-label">{escape(ev.label)}</span>' if show_label and ev.label else ""
    return Markup(f'<p class="evidence">{_grade_text(ev)}{label}{_refs_text(context.resolve("cite"), ev.citations)}'
                  "</p>")


@cache
def _css() -> Markup:
    """The stylesheet, inlined verbatim (CSS is not HTML: it must not be entity-escaped)."""
    text = resources.files("gutskin.report").joinpath("static/report.css").read_text(encoding="utf-8")
    if "</" in text:
        raise ValueError("report.css must not contain '</'")
    return Markup(text)


def _phyla_parts(phyla: list[TaxonShare], keep: int = 6) -> list[tuple[str, float]]:
    parts = [(p.name, p.share) for p in phyla[:keep]]
    rest = sum(p.share for p in phyla[keep:])
    if rest > 0:
        parts.append(("Other phyla", rest))
    return parts


def _range_rows(taxa: list[TaxonShare], has_reference: bool = True) -> list[dict[str, Any]]:
    """Rows for :func:`charts.range_dots`, saying why a taxon has no typical range."""
    rows = []
    for g in taxa:
        note = ""
        if has_reference and g.typical_low is None:
            note = "not in reference" if g.prevalence in (None, 0) else "too rare in reference"
        rows.append({"name": g.name, "share": g.share, "typical_low": g.typical_low, "typical_high": g.typical_high,
                     "note": note})
    return rows




def _index_span(key: str) -> tuple[float, float]:
    return INDEX_SPAN.get(key, (-1.0, 1.0))


def _dump(items: list[Any]) -> list[dict[str, Any]]:
    return [i.model_dump() for i in items]


class _Citations:
    """Numbers each distinct source once, in order of first mention, for the report's source list."""

    def __init__(self) -> None:
        self.order: list[Citation] = []
        self.index: dict[str, int] = {}

    def number(self, c: Citation) -> int:
        key = c.text.strip()
        if key not in self.index:
            self.order.append(c)
            self.index[key] = len(self.order)
        return self.index[key]


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document."""
    charts.reset_ids()
    cites = _Citations()
    sections = [(sid, getattr(report, sid)) for sid in SECTION_ORDER]
    template = _environment().get_template("report.html.j2")
    # Template.render, with the context emptied afterwards. The template's macros and its context refer to each
    # other, so the context is freed only by the cyclic garbage collector, and with it everything it holds: the
    # whole report, a thousand objects. Emptied, the report is freed as soon as the caller drops it, and the
    # collector has a few objects to find per report instead (it took a tenth of a cohort report's time).
    ctx = template.new_context({
        "r": report, "css": _css(), "sections": sections, "titles": {sid: s.title for sid, s in sections},
        "shown_first": wording.SHOWN_FIRST, "print_findings": wording.PRINT_FINDINGS, "cite": cites.number,
        "sources_list": lambda: list(cites.order)})
    try:
        return template.environment.concat(template.root_render_func(ctx))  # type: ignore[attr-defined]
    except Exception:
        template.environment.handle_exception()
        raise  # handle_exception always raises (with the template's lines in the traceback)
    finally:
        ctx.vars.clear()
        ctx.parent.clear()
        ctx.exported_vars.clear()


def render_json(report: Report, indent: int | None = 2) -> str:
    return report.model_dump_json(indent=indent)


def pdf_bytes(report: Report, html: str | None = None) -> bytes:
    """The report as PDF (A4), laid out by WeasyPrint from the same HTML."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # CSS it does not support is not an error here
    html = html if html is not None else render_html(report)
    return HTML(string=html, base_url=None, url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url: str, *args: Any, **kwargs: Any):
    raise ValueError(f"reports fetch nothing ({url})")


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` atomically: the one helper, :func:`gutskin.io.write_atomic`."""
    from ..io import write_atomic as _write_atomic

    return _write_atomic(path, data.encode("utf-8") if isinstance(data, str) else data)


RENDERERS: dict[str, Callable[[Report], bytes | str]] = {
    "html": render_html,
    "json": render_json,
    "pdf": pdf_bytes,
}


def render_pdf(report: Report, path: str | Path) -> Path:
    return write_atomic(path, pdf_bytes(report))


def write_report(report: Report, path: str | Path, to: str | None = None) -> Path:
    """Write ``report`` in the format named by ``to`` or by the extension of ``path``."""
    fmt = format_for(path, to)
    return write_atomic(path, RENDERERS[fmt](report))
