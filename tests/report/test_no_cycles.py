"""Analysing and rendering a report leaves no cyclic garbage.

Cohort report workers switch the garbage collector's automatic runs off while they write (gutskin.cohort.reports:
walking a chunk's live analyses was a tenth of a report's time). That is only sound while a report's objects are
freed by reference counting: these tests fail when some part (the template's context, a recursive closure …)
starts making reference cycles again.
"""

from __future__ import annotations

import gc

import pytest

from gutskin.engine import analyse
from gutskin.report import render_html, render_json, to_report


@pytest.fixture()
def collector_off():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize("answers", [False, True])
def test_a_report_makes_no_reference_cycles(example_profile, example_answers, answers, collector_off) -> None:
    from gutskin.engine import default_resources

    resources = default_resources()
    q = example_answers if answers else None
    # once first: what is built on first use and then kept (caches, compiled templates) is not garbage
    render_html(to_report(analyse(example_profile, resources, questionnaires=q)[0], resources,
                          generated_at="2026-01-01T00:00:00Z"))
    gc.collect()
    for _ in range(3):
        for a in analyse(example_profile, resources, questionnaires=q):
            report = to_report(a, resources, generated_at="2026-01-01T00:00:00Z")
            assert render_html(report)
            assert render_json(report)
    del a, report
    assert gc.collect() == 0
