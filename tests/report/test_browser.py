"""The HTML report in a real browser: every section and chart renders, on a phone and a desktop, and nothing
tries to reach the network. Runs in CI (``make test`` installs Debian's chromium); skipped only without it."""

from __future__ import annotations

import pytest

from gutskin.report import write_report
from gutskin.report.model import SECTION_ORDER

from .browser import CHROMIUM, DESKTOP, PHONE, chromium, open_page

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def report_file(example_report, tmp_path_factory):
    return write_report(example_report, tmp_path_factory.mktemp("browser") / "report.html")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_section_and_chart_renders_offline(browser, report_file, example_report, viewport):
    with open_page(browser, report_file, viewport) as (page, requests, errors):
        width = viewport["width"]
        for sid in SECTION_ORDER:
            box = page.locator(f"section#{sid}").bounding_box()
            assert box is not None and box["height"] > 40, sid
            heading = page.locator(f"section#{sid} h2").first
            assert heading.is_visible() and heading.inner_text().strip(), sid
        charts = page.locator('svg[role="img"]')
        n = charts.count()
        assert n >= len(example_report.diversity.metrics) + 2
        for k in range(n):
            chart = charts.nth(k)
            box = chart.bounding_box()
            label = chart.locator("title").first.text_content()
            assert box is not None and box["width"] > 100 and box["height"] > 15, label
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, label
            assert chart.locator("desc").first.text_content().strip(), label
            assert chart.locator("path, rect, circle, line, polyline").count() > 0, label
        # nothing wider than the screen, text large enough to read without zooming
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        body_px = float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)"))
        assert body_px >= 16
        for cls in ("figcaption", ".refs", ".small"):
            if page.locator(cls).count():
                px = float(page.locator(cls).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
                assert px >= 12, cls
        # in-page links resolve
        for href in page.eval_on_selector_all('a[href^="#"]', "els => els.map(e => e.getAttribute('href'))"):
            assert page.locator(f"[id='{href[1:]}']").count() == 1, href
        page.mouse.wheel(0, 20000)
        page.wait_for_timeout(100)
    assert requests == [report_file.resolve().as_uri()], requests
    assert errors == []


def test_unavailable_sections_say_so(browser, example_profile, tmp_path):
    from gutskin.report import build_report

    from .conftest import infant_answers

    path = write_report(build_report(example_profile, questionnaire=infant_answers()), tmp_path / "r.html")
    with open_page(browser, path, PHONE) as (page, requests, errors):
        note = page.locator('[data-unavailable="skin"]')
        assert note.is_visible()
        assert "no healthy infant reference" in note.inner_text()
    assert errors == [] and all(u.startswith("file://") for u in requests)
