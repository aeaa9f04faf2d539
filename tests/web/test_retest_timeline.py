"""The retest timeline page (issue #16): a person's stored tests compared with gutskin.retest, showing exactly the
section the CLI's `gutskin retest -o retest.html` shows (same words, same charts), an overview of every quantity,
and the method-change flags."""

from __future__ import annotations

import datetime as dt
from html import escape

from gutskin.readers import read
from gutskin.retest import compare_tests, render_fragment
from gutskin.retest.render import _fmt

from ..conftest import FIXTURES, ROOT
from .conftest import client, signup, upload

OLD = ROOT / "examples" / "retest" / "Subj054_time1_S41_metaphlan.txt"
NEW = ROOT / "examples" / "retest" / "Subj054_time2_S42_metaphlan.txt"
BRACKEN = FIXTURES / "bracken" / "bracken__sample_output_species_abundance.txt"


def test_timeline_is_the_cli_retest_for_stored_tests(user):
    assert user.get("/timeline").status_code == 200 and "needs at least two tests" in user.get("/timeline").text
    upload(user, OLD.name, OLD.read_bytes())
    home = upload(user, NEW.name, NEW.read_bytes())
    assert 'href="/timeline"' in user.get("/").text  # linked from the test list once two tests are there
    assert home.status_code == 200
    page = user.get("/timeline")
    assert page.status_code == 200
    today = dt.date.today()  # the tests are dated by upload
    expected = compare_tests([read(OLD), read(NEW)], labels=["Test 1", "Test 2"], dates=[today, today])
    section = render_fragment(expected, heading="Did your gut change between tests?")
    assert section in page.text  # word for word (and chart for chart) what the CLI's page shows
    # the overview: each quantity's values and the step's verdict in the CLI's words
    shannon = next(q for q in expected.comparisons[0].quantities if q.key == "shannon")
    row = page.text.split(f"<tr><td>{shannon.label}</td>", 1)[1].split("</tr>", 1)[0]
    assert f">{_fmt(shannon.before)}<" in row and f">{_fmt(shannon.after)}<" in row
    assert {"changed": "changed", "within_usual_variation": "within usual variation",
            "cannot_compare": "cannot compare"}[shannon.verdict.value] in row


def test_a_method_change_is_flagged_and_others_see_only_theirs(config):
    with client(config) as me, client(config) as other:
        signup(me, "me@example.org")
        signup(other, "other@example.org")
        upload(me, OLD.name, OLD.read_bytes())
        upload(me, NEW.name, NEW.read_bytes())
        upload(me, BRACKEN.name, BRACKEN.read_bytes())  # another profiler and database
        page = me.get("/timeline")
        assert page.status_code == 200
        tests = [read(OLD), read(NEW), read(BRACKEN)]
        today = dt.date.today()
        expected = compare_tests(tests, labels=["Test 1", "Test 2", "Test 3"], dates=[today] * 3)
        flags = [f for c in expected.comparisons if c.before == 1 for f in c.flags]
        assert flags, "the retest library flags a profiler/database change"
        assert all(escape(f.text) in page.text for f in flags)  # shown as the CLI shows them
        assert render_fragment(expected, heading="Did your gut change between tests?") in page.text
        assert "2 → 3" in page.text and "1 → 2" in page.text
        # another person has their own (empty) timeline, never mine
        theirs = other.get("/timeline")
        assert theirs.status_code == 200 and "Subj054" not in theirs.text and "you have 0" in theirs.text
    with client(config) as anonymous:
        r = anonymous.get("/timeline", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
