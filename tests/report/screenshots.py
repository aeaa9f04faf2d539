"""Refresh ``docs/screenshots/``: the example report as a person sees it on a phone, on a desktop, and in the PDF.

    .venv/bin/python -m tests.report.screenshots [docs/screenshots]

Builds the report for ``examples/SRR1761667_metaphlan.txt`` with ``examples/questionnaire.yaml``, opens the HTML
in headless Chromium (no network), and turns PDF pages into PNG with ``pdftoppm``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from .browser import DESKTOP, PHONE, chromium, open_page
from .conftest import EXAMPLE, QUESTIONNAIRE, ROOT

# (file name, viewport, section to scroll to or None for the top, device pixel ratio)
VIEWS = [
    ("phone-summary.png", PHONE, None),
    ("phone-diversity.png", PHONE, "diversity"),
    ("phone-key-taxa.png", PHONE, "key_taxa"),
    ("desktop-summary.png", DESKTOP, None),
    ("desktop-composition.png", DESKTOP, "composition"),
    ("desktop-indices.png", DESKTOP, "indices"),
    ("desktop-skin.png", DESKTOP, "skin"),
    ("desktop-trial.png", DESKTOP, "trial"),
]
PDF_PAGES = [1, 2]
TRIAL = (ROOT / "examples" / "trial" / "dairy-eczema-plan.json", ROOT / "examples" / "trial" / "dairy-eczema-diary.csv")


def main(argv: list[str]) -> int:
    import gutskin
    from gutskin.knowledge.questionnaire import load_questionnaire
    from gutskin.report import build_report, write_report

    from .conftest import load_trial

    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    profile = gutskin.read(EXAMPLE)
    report = build_report(profile, questionnaire=load_questionnaire(QUESTIONNAIRE) if QUESTIONNAIRE.exists() else None)
    views = list(VIEWS)
    with tempfile.TemporaryDirectory() as tmp:
        html = write_report(report, Path(tmp) / "report.html")
        pdf = write_report(report, Path(tmp) / "report.pdf")
        pages = {name: html for name, _, _ in views}
        if all(p.exists() for p in TRIAL):  # the results of the example trial, as a second report
            pages["desktop-trial-results.png"] = write_report(build_report(profile, trial=load_trial(TRIAL)),
                                                              Path(tmp) / "trial.html")
            views.append(("desktop-trial-results.png", DESKTOP, "trial"))
        with chromium() as browser:
            for name, viewport, section in views:
                with open_page(browser, pages[name], viewport) as (page, requests, errors):
                    if section:
                        page.locator(f"section#{section}").scroll_into_view_if_needed()
                        page.evaluate(f"document.getElementById('{section}').scrollIntoView()")
                    page.screenshot(path=str(out / name))
                    outside = [u for u in requests if not u.startswith("file://")]
                    if outside or errors:
                        raise SystemExit(f"{name}: network requests {outside} or console errors {errors}")
        for n in PDF_PAGES:
            stem = out / f"pdf-page-{n}"
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(n), "-l", str(n), "-singlefile", str(pdf),
                            str(stem)], check=True)
    print(f"wrote {len(views) + len(PDF_PAGES)} screenshots to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
