"""The short seeded fuzz run of ``make test``: damaged real fixtures, questionnaires, plans and diaries.

Every case must be refused with one line naming the damaged file, or read with every sample and value
accounted for (see ``tests/fuzz/harness.py``; the long run and its numbers are in docs/reliability.md).
"""

from __future__ import annotations

import collections

import pytest

from tests.fuzz.harness import FINDINGS, run


@pytest.mark.slow  # ~10 s on a quiet machine, ~25 s on a busy one
def test_seeded_fuzz_smoke_finds_no_internal_error_hang_loss_or_unnamed_refusal():
    outcomes = run(120, seed=1, timeout=20.0)
    findings = [o for o in outcomes if o.kind in FINDINGS]
    assert not findings, findings[:5]
    counts = collections.Counter(o.kind for o in outcomes)
    # the run exercises both outcomes (a harness that refuses or reads everything tests nothing)
    assert counts["refused"] > 20 and counts["read"] > 20, counts
    assert any(o.fixture.startswith("examples:") for o in outcomes)


def test_cases_are_reproducible_from_their_seed(tmp_path):
    from tests.fuzz.harness import fixtures, run_case

    names = fixtures()
    a = run_case(1234, names, tmp_path)
    b = run_case(1234, names, tmp_path)
    assert (a.fixture, a.mutation, a.kind) == (b.fixture, b.mutation, b.kind)
