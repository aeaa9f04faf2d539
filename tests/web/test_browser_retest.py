"""The retest timeline in a real browser (Debian's chromium, JavaScript off), at desktop and phone widths: the page
never scrolls sideways (the overview table scrolls inside its own box).

Screenshots go to ``docs/screenshots/web-retest-timeline[-phone].png`` when ``GUTSKIN_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os

import pytest

from gutskin.store import upgrade

from ..conftest import ROOT
from ..report.browser import CHROMIUM, DESKTOP, FLAGS, PHONE
from ..store.dbutil import backend, fresh_database
from .test_browser import _submit
from .test_crash import _port, _serve

SHOTS = ROOT / "docs" / "screenshots"
OLD = ROOT / "examples" / "retest" / "Subj054_time1_S41_metaphlan.txt"
NEW = ROOT / "examples" / "retest" / "Subj054_time2_S42_metaphlan.txt"
PASSWORD = "a browser test passphrase"
# the elements reaching past the right edge (outside any scroll box), for the failure message
WIDEST = """() => { const w = document.documentElement.clientWidth;
  const boxed = e => { for (let a = e.parentElement; a; a = a.parentElement) {
    if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true; } return false; };
  return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1 && !boxed(e))
  .slice(0, 6).map(e => e.tagName + '.' + e.className + ' in ' + (e.closest('table') || {}).className + ' '
    + Math.round(e.getBoundingClientRect().right) + ' ' + e.textContent.slice(0, 40)); }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (make apt-test installs Debian's chromium)")
    pytest.importorskip("playwright")
    tmp = tmp_path_factory.mktemp("browser-retest")
    with fresh_database(tmp) as url:
        upgrade(url)
        port = _port()
        proc = _serve(url, tmp, port, secure_cookie=True)
        try:
            yield f"http://localhost:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_retest_timeline_in_a_browser(server, width):
    from playwright.sync_api import sync_playwright

    viewport = DESKTOP if width == "desktop" else PHONE
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        ctx = browser.new_context(viewport=viewport, java_script_enabled=False)
        page = ctx.new_page()
        page.set_default_timeout(120_000)
        try:
            page.goto(server + "/signup")
            page.fill("input[name=email]", f"retest-{width}@example.org")
            page.fill("input[name=password]", PASSWORD)
            page.check("input[name=consent]")
            _submit(page, "button[type=submit]")
            for f in (OLD, NEW):
                page.goto(server + "/tests/new")
                page.set_input_files("input[name=file]", str(f))
                _submit(page, "button[type=submit]")
            page.goto(server + "/")
            _submit(page, "text=My tests over time")
            page.wait_for_selector("section.retest.overview")
            text = page.content()
            assert "Did your gut change between tests?" in text and "usual variation" in text
            if os.environ.get("GUTSKIN_SCREENSHOTS") and backend() == "sqlite":
                SHOTS.mkdir(parents=True, exist_ok=True)
                name = "web-retest-timeline" + ("" if width == "desktop" else "-phone")
                height = page.evaluate("document.documentElement.scrollHeight")
                clip = {"x": 0, "y": 0, "width": viewport["width"], "height": min(height, 2400)}
                page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, clip=clip)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"the page is {overflow}px wider than the screen: {page.evaluate(WIDEST)}"
        finally:
            browser.close()
