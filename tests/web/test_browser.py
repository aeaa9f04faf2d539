"""The whole journey in a real browser (Debian's chromium through Playwright), at desktop and phone widths:
sign up → upload a real profile → answer two questions → read the report → start a dairy/acne trial → ten diary
days (some skipped, one edited) → the trial page → export my data (zip opened and checked) → delete the account.

Screenshots of each page go to ``docs/screenshots/web-*.png`` when ``GUTSKIN_SCREENSHOTS=1``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from gutskin.store import upgrade

from ..conftest import FIXTURES, ROOT
from ..report.browser import CHROMIUM, DESKTOP, FLAGS, PHONE
from ..store.dbutil import backend, fresh_database
from .test_crash import _port, _serve

pytestmark = pytest.mark.slow
PROFILE = FIXTURES / "metaphlan" / "gmwi2__Subj001_time1_S1_metaphlan3.txt"
SHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "a browser test passphrase"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (make apt-test installs Debian's chromium)")
    pytest.importorskip("playwright")
    tmp = tmp_path_factory.mktemp("browser")
    with fresh_database(tmp) as url:
        upgrade(url)
        port = _port()
        proc = _serve(url, tmp, port, secure_cookie=True)
        try:
            yield f"http://localhost:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _shot(page, name: str, full: bool = True) -> None:
    if os.environ.get("GUTSKIN_SCREENSHOTS") and backend() == "sqlite":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"web-{name}.png"), full_page=full)


def _submit(page, selector: str) -> None:
    """Click a button or link that loads a page, and wait for that page: reading the page between the click
    and the new document's load gave an empty page now and then on a busy machine."""
    page.click(selector)
    page.wait_for_load_state("domcontentloaded")


def _slide(page, name: str, value: float) -> None:
    page.locator(f"input[name={name}]").evaluate("(e, v) => { e.value = v; }", str(value))


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_journey(server, width):
    from playwright.sync_api import sync_playwright

    viewport = DESKTOP if width == "desktop" else PHONE
    sfx = "" if width == "desktop" else "-phone"
    email = f"browser-{width}@example.org"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        ctx = browser.new_context(viewport=viewport, accept_downloads=True,
                                  java_script_enabled=False)  # every flow works without JavaScript
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        try:
            page.goto(server + "/signup")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", PASSWORD)
            page.check("input[name=consent]")
            _shot(page, "signup" + sfx)
            _submit(page, "button[type=submit]")
            assert "My tests" in page.content()
            cookie = next(c for c in ctx.cookies() if c["name"].startswith("__Host-"))
            assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"

            page.goto(server + "/tests/new")
            page.set_input_files("input[name=file]", str(PROFILE))
            _submit(page, "button[type=submit]")
            assert "Read the report" in page.content()
            _shot(page, "test" + sfx)

            page.goto(server + "/questionnaire")
            page.select_option("select[name='about_you.age_group']", "adult")
            page.click("summary:text-is('Conditions 1')")
            page.select_option("select[name='skin.conditions.0.condition']", "acne")
            page.locator("h1").scroll_into_view_if_needed()  # no JavaScript: scroll back to the top
            _shot(page, "questionnaire" + sfx, full=False)
            _submit(page, "form.questionnaire button[type=submit]")
            assert "Saved." in page.content()

            page.goto(server + "/")
            page.click("text=Report")
            page.wait_for_selector("#summary")
            content = page.content()
            assert "Your gut microbiome and your skin" in content and "Skin" in content
            _shot(page, "report" + sfx, full=False)

            start = dt.date.today() - dt.timedelta(days=13)
            page.goto(server + "/trials/new")
            page.fill("input[name=food]", "dairy")
            page.select_option("select[name=condition]", "acne")
            page.fill("input[name=start]", start.isoformat())
            _shot(page, "trial-new" + sfx)
            _submit(page, "button[type=submit]")
            assert "Phases" in page.content()
            trial_url = page.url

            entered = [0, 1, 2, 4, 5, 6, 8, 9, 10, 12]  # days 3, 7 and 11 skipped
            for i in entered:
                day = start + dt.timedelta(days=i)
                page.goto(f"{trial_url}/diary?day={day.isoformat()}")
                _slide(page, "skin_score", 3 + (i % 4))
                _slide(page, "itch", 2)
                page.check("input[name=adhered][value=yes]")
                if i == 12:
                    _shot(page, "diary" + sfx)
                _submit(page, "button.big")
                assert "Saved the diary" in page.content(), page.content()[:2000]
            edit_day = start + dt.timedelta(days=5)
            page.goto(f"{trial_url}/diary?day={edit_day.isoformat()}")
            assert "Save changes" in page.content()
            _slide(page, "skin_score", 8)
            page.fill("textarea[name=notes]", "corrected")
            _submit(page, "button.big")
            page.goto(trial_url)
            content = page.content()
            assert "changed 1×" in content
            assert any(w in content for w in ("worse while eating it", "does not settle it", "no verdict yet"))
            _shot(page, "trial" + sfx)

            page.goto(server + "/account")
            with page.expect_download() as dl:
                page.click("text=Download everything (zip)")
            zf = zipfile.ZipFile(io.BytesIO(Path(dl.value.path()).read_bytes()))
            names = zf.namelist()
            assert json.loads(zf.read("account.json"))["email"] == email
            assert any(n.endswith(PROFILE.name) and zf.read(n) == PROFILE.read_bytes() for n in names)
            diary = next(n for n in names if n.endswith("diary.csv"))
            lines = zf.read(diary).decode().strip().splitlines()
            assert len(lines) == 1 + len(entered)
            assert "corrected" in zf.read(diary).decode()
            _shot(page, "account" + sfx)

            page.fill("form.danger input[name=password]", PASSWORD)
            page.fill("input[name=confirm]", "delete")
            _submit(page, "button.danger")
            assert "Your account is deleted" in page.content()
            _shot(page, "deleted" + sfx)
            page.goto(server + "/login")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", PASSWORD)
            _submit(page, "button[type=submit]")
            assert "not right" in page.content()
        finally:
            ctx.close()
            browser.close()
