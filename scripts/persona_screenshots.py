#!/usr/bin/env python3
"""Render the shipped example profile's report once per persona of the safety table and screenshot its top.

    .venv/bin/python scripts/persona_screenshots.py [OUT_DIR]      # default docs/screenshots

Issue #12 asks that a report for each persona be rendered and looked at. The personas are the questionnaires in
``tests/safety/test_personas.py`` (the safety table the tests pin); each is combined with
``examples/SRR1761667_metaphlan.txt``, rendered to HTML, opened in Debian's headless Chromium (the project's
``tests/report/browser.py``, no network) and captured at a desktop viewport from the top of the report (main
points and the GP page) into ``OUT_DIR/persona-<name>.png``. A page that requests anything outside ``file://`` or
logs a console error stops the script.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.report.browser import chromium, open_page  # noqa: E402
from tests.safety.test_personas import PERSONAS  # noqa: E402

EXAMPLE = ROOT / "examples" / "SRR1761667_metaphlan.txt"
#: tall enough for the main points and the GP page of the example
VIEWPORT = {"width": 1280, "height": 2000}


def slug(name: str) -> str:
    """persona name -> file-name part (``adult who once had anaphylaxis`` -> ``adult-who-once-had-anaphylaxis``)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def main(argv: list[str]) -> int:
    import gutskin
    from gutskin.knowledge.questionnaire import parse_questionnaire
    from gutskin.report import build_report, write_report

    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    profile = gutskin.read(EXAMPLE)
    written = []
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        for name, answers in PERSONAS.items():
            # a fixed time so the screenshots change only when the report does
            report = build_report(profile, questionnaire=parse_questionnaire(answers),
                                  generated_at="2026-12-03T00:00:00Z")
            html = write_report(report, Path(tmp) / f"{slug(name)}.html")
            with open_page(browser, html, VIEWPORT) as (page, requests, errors):
                target = out / f"persona-{slug(name)}.png"
                page.screenshot(path=str(target))
                outside = [u for u in requests if not u.startswith("file://")]
                if outside or errors:
                    raise SystemExit(f"{name}: network requests {outside} or console errors {errors}")
            written.append(target)
            points = " | ".join(i.headline for i in report.summary.items)
            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: {points}")
    print(f"wrote {len(written)} persona screenshots to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
