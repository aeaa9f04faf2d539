"""A failure inside the skin insights with a pinned reference is never retried against another reference.

Issue #10: a ``TypeError`` inside the insights made the report retry without the pinned reference, so the panels
were computed against GMHI 2020 while Methods named the pinned cohort, with status "ok". Now nothing catches it.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gutskin.cli import app
from gutskin.engine import analyse
from gutskin.report import build_report

from .conftest import EXAMPLE

PINNED = "psoriasis100-controls-mpa3"


def _broken(*args, **kwargs):
    raise TypeError("injected failure inside the insights")


def test_the_pinned_reference_is_the_one_used(example_profile, resources):
    a = analyse(example_profile, resources, reference=PINNED)[0]
    assert a.reference_part.status == "ok"
    assert a.provenance.reference.name == PINNED and a.provenance.reference.match == "pinned"
    assert a.skin.part.status == "ok" and a.skin.panels


def test_a_failure_inside_insights_raises_and_never_switches_reference(example_profile, resources, monkeypatch,
                                                                       tmp_path):
    import gutskin.insights.analysis as insights_analysis

    monkeypatch.setattr(insights_analysis, "measure_all", _broken)
    with pytest.raises(TypeError, match="injected failure"):
        analyse(example_profile, resources, reference=PINNED)
    with pytest.raises(TypeError, match="injected failure"):
        build_report(example_profile, reference=PINNED, resources=resources)
    res = CliRunner().invoke(app, ["report", str(EXAMPLE), "--reference", PINNED, "-o", str(tmp_path / "r.json")])
    assert res.exit_code != 0 and isinstance(res.exception, TypeError)
    assert not (tmp_path / "r.json").exists()
