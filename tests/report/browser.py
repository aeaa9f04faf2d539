"""Headless Chromium (Debian's, through Playwright) for looking at a report as a person would.

Never runs ``playwright install``: it drives the system browser at :data:`CHROMIUM`. Used by the browser test
and by ``python -m tests.report.screenshots`` (which refreshes ``docs/screenshots/``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
# The flags the project uses for headless Chromium. Playwright makes a fresh temporary profile itself
# (it refuses --user-data-dir in launch()), which is what --user-data-dir=<fresh tmp dir> does by hand.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_page(browser: Any, html: Path, viewport: dict[str, int]) -> Iterator[tuple[Any, list[str], list[str]]]:
    """The report loaded at ``viewport``; yields (page, every URL requested, console errors)."""
    page = browser.new_page(viewport=viewport, device_scale_factor=1)
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.resolve().as_uri(), wait_until="load")
    try:
        yield page, requests, errors
    finally:
        page.close()
