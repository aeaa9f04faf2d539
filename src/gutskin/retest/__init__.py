"""Retests: did a person's gut really change between two tests, or is it noise?

::

    from gutskin.retest import compare_tests, render_html
    retest = compare_tests([before, after], dates=[d1, d2])   # single-sample Profiles in time order
    html = render_html(retest)                                   # standalone page; render_fragment for a section

Every quantity the report shows gets a change, its usual variation (from real repeated samples of the same
people, ``data/variability.json``) and a verdict: changed / within usual variation / cannot compare.
See ``docs/retest.md``.
"""

from __future__ import annotations

from .compare import compare_pair, compare_tests
from .model import SCHEMA_VERSION, PairComparison, Retest, Verdict
from .render import embed_in_report, render_fragment, render_html
from .timeline import since_last_test, timeline
from .variability import load_variability

__all__ = [
           "SCHEMA_VERSION",
           "PairComparison",
           "Retest",
           "Verdict",
           "compare_pair",
           "compare_tests",
           "embed_in_report",
           "load_variability",
           "render_fragment",
           "render_html",
           "since_last_test",
           "timeline",
]
