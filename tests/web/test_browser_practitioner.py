"""A practitioner's journey in a real browser (Debian's chromium through Playwright), desktop and phone widths:
a person uploads a profile, starts a trial and invites a practitioner; the practitioner accepts the code, sees the
client in the list, reads the client's report and diary; the person revokes; the practitioner's next request gets
no data (404), and the person's log shows every read. Then an admin looks at the account list and the audit log
(no health data in either).

Screenshots go to ``docs/screenshots/web-practitioner-*.png`` and ``web-admin-*.png`` when ``GUTSKIN_SCREENSHOTS=1``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import update

from gutskin.store import Database, upgrade
from gutskin.store.models import User

from ..report.browser import CHROMIUM, DESKTOP, FLAGS, PHONE
from ..store.dbutil import fresh_database
from .test_browser import PASSWORD, PROFILE, _shot, _slide, _submit
from .test_crash import _port, _serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real server process (uvicorn) on a fresh database: (its address, the database URL)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (make apt-test installs Debian's chromium)")
    pytest.importorskip("playwright")
    tmp = tmp_path_factory.mktemp("browser-practitioner")
    with fresh_database(tmp) as url:
        upgrade(url)
        port = _port()
        proc = _serve(url, tmp, port, secure_cookie=True)
        try:
            yield f"http://localhost:{port}", url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _make_practitioner(url: str, email: str, role: str = "practitioner") -> None:
    # as `gutskin admin create-user --role practitioner` would; the app offers no self-promotion
    db = Database(url)
    with db.transaction() as s:
        s.execute(update(User).where(User.email == email).values(role=role))
    db.dispose()


def _signup(page, server: str, email: str) -> None:
    page.goto(server + "/signup")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.check("input[name=consent]")
    _submit(page, "button[type=submit]")
    assert "My tests" in page.content()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_practitioner_journey(server, width):
    from playwright.sync_api import sync_playwright

    base, url = server
    viewport = DESKTOP if width == "desktop" else PHONE
    sfx = "" if width == "desktop" else "-phone"
    person_email, doc_email = f"client-{width}@example.org", f"dermatologist-{width}@example.org"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        # two separate browser contexts: two people on two devices, each with their own cookie
        person_ctx = browser.new_context(viewport=viewport, java_script_enabled=False)
        doc_ctx = browser.new_context(viewport=viewport, java_script_enabled=False)
        admin_ctx = browser.new_context(viewport=viewport, java_script_enabled=False)
        person, doc, admin = person_ctx.new_page(), doc_ctx.new_page(), admin_ctx.new_page()
        for page in (person, doc, admin):
            page.set_default_timeout(60_000)
        try:
            # the person: a test, its report, a trial with two diary days
            _signup(person, base, person_email)
            person.goto(base + "/tests/new")
            person.set_input_files("input[name=file]", str(PROFILE))
            _submit(person, "button[type=submit]")
            _submit(person, "text=Read the report")
            person.wait_for_selector("#summary")
            person.goto(base + "/questionnaire")  # the trial's safety gate needs the age group
            person.select_option("select[name='about_you.age_group']", "adult")
            _submit(person, "form.questionnaire button[type=submit]")
            start = dt.date.today() - dt.timedelta(days=2)
            person.goto(base + "/trials/new")
            person.fill("input[name=food]", "dairy")
            person.select_option("select[name=condition]", "acne")
            person.fill("input[name=start]", start.isoformat())
            _submit(person, "button[type=submit]")
            trial_url = person.url
            for i, score in ((0, 6), (1, 4)):
                person.goto(f"{trial_url}/diary?day={(start + dt.timedelta(days=i)).isoformat()}")
                _slide(person, "skin_score", score)
                _submit(person, "button.big")
                assert "Saved the diary" in person.content()

            # the invitation: reports and diary
            person.goto(base + "/account/grants")
            person.select_option("select[name=scope]", "reports_diary")
            _submit(person, "button[type=submit]")
            code = person.locator("strong.code").inner_text()
            assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", code)
            _shot(person, "practitioner-invite" + sfx)

            # the practitioner accepts and reads
            _signup(doc, base, doc_email)
            _make_practitioner(url, doc_email)
            doc.goto(base + "/clients")
            doc.fill("input[name=code]", code)
            _submit(doc, "button[type=submit]")
            doc.wait_for_load_state()
            assert person_email in doc.content() and "Read-only" in doc.content()
            client_url = doc.url
            doc.goto(base + "/clients")
            assert person_email in doc.content() and "2 of 3 days" in doc.content()
            _shot(doc, "practitioner-clients" + sfx)
            doc.goto(client_url)
            _shot(doc, "practitioner-client" + sfx)
            _submit(doc, "main a[href*='/reports/'], .page a[href*='/reports/']")
            doc.wait_for_selector("#summary")
            report_url = doc.url
            assert "Your gut microbiome and your skin" in doc.content()
            _shot(doc, "practitioner-report" + sfx, full=False)
            doc.goto(client_url)
            _submit(doc, ".page a[href*='/trials/']")
            doc.wait_for_selector("text=Phases")
            trial_page = doc.url
            content = doc.content()
            assert "<td>6</td>" in content and "<td>4</td>" in content  # the two diary days' skin scores
            assert "/diary?day=" not in content  # read-only: no link to edit the client's diary
            _shot(doc, "practitioner-trial" + sfx)

            # the person sees the reads and revokes
            person.goto(base + "/account")
            log = person.content()
            assert "client.report.read" in log and "client.trial.read" in log
            person.goto(base + "/account/grants")
            assert doc_email in person.content()
            _submit(person, "button:text-is('Stop sharing')")
            person.wait_for_load_state()
            assert "stopped" in person.content()
            _shot(person, "practitioner-revoked" + sfx)

            # the practitioner's next requests get nothing
            for target in (report_url, trial_page, client_url):
                resp = doc.goto(target)
                assert resp is not None and resp.status == 404, target
                content = doc.content()
                assert person_email not in content and "Phases" not in content and 'id="summary"' not in content
                assert "Log out" in content  # still signed in: only the client's data is gone
            _shot(doc, "practitioner-after-revoke" + sfx)
            doc.goto(base + "/clients")
            assert person_email not in doc.content() and "No client shares anything" in doc.content()

            # an admin sees the accounts and the log, never the data
            _signup(admin, base, f"admin-{width}@example.org")
            _make_practitioner(url, f"admin-{width}@example.org", role="admin")
            admin.goto(base + "/admin")
            content = admin.content()
            assert person_email in content and doc_email in content and PROFILE.name not in content
            _shot(admin, "admin-users" + sfx)
            admin.goto(base + "/admin/audit")
            content = admin.content()
            assert "client.report.read" in content and "grant.revoke" in content and PROFILE.name not in content
            _shot(admin, "admin-audit" + sfx, full=False)
        finally:
            person_ctx.close()
            doc_ctx.close()
            admin_ctx.close()
            browser.close()
