"""The report: one person's results as HTML, PDF and JSON, from one versioned model.

::

    from gutskin.report import build_report, write_report
    report = build_report(profile, questionnaire="examples/questionnaire.yaml")
    write_report(report, "report.html")      # or .pdf, .json

Sections (see ``docs/report.md``): summary, diversity, composition, key taxa and guilds, published indices,
skin panels, recommendations, elimination trial, methods and provenance.
"""

from __future__ import annotations

from .build import build_report, build_reports
from .model import SCHEMA_VERSION, Report, json_schema
from .render import format_for, render_html, render_json, render_pdf, write_report

__all__ = ["SCHEMA_VERSION", "Report", "build_report", "build_reports", "format_for", "json_schema",
           "render_html", "render_json", "render_pdf", "write_report"]
