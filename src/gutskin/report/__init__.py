"""The report: one person's results as HTML, PDF and JSON, from one versioned model.

::

    from gutskin.engine import analyse, default_resources
    from gutskin.report import to_report, write_report
    resources = default_resources()
    analysis = analyse(profile, resources, questionnaires=answers)[0]
    report = to_report(analysis, resources, generated_at="2026-01-01T00:00:00Z")
    write_report(report, "report.html")      # or .pdf, .json

The report is presentation only: it computes nothing about the microbiome (see ``docs/architecture.md``).

Sections (see ``docs/report.md``): summary, diversity, composition, key taxa and guilds, published indices,
skin panels, recommendations, elimination trial, methods and provenance.
"""

from __future__ import annotations

from .build import build_report, build_reports, to_report
from .model import SCHEMA_VERSION, Report, json_schema
from .render import format_for, pdf_bytes, render_html, render_json, render_pdf, write_report

__all__ = ["SCHEMA_VERSION", "Report", "build_report", "build_reports", "format_for", "json_schema",
           "pdf_bytes", "render_html", "render_json", "render_pdf", "to_report", "write_report"]
