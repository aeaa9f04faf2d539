"""Golden test: the engine's Analysis of the shipped examples does not drift.

Scores are pinned to 1e-12; panel leans and intervals (seeded bootstrap), percentiles and the trial result to
1e-9; recommendation ids, gate and panel items exactly. When a change is *intended* (new knowledge-base rows, a
rebuilt reference, a metric fix), regenerate the pinned file with ``python scripts/update_golden.py`` and say why
in the commit message.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from .cases import CASES, GOLDEN, REGENERATE, analyse_case, pinned


def _diff(a: Any, b: Any, path: str, out: list[str], rel: float) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: {'missing now' if k not in b else 'new'}")
            else:
                _diff(a[k], b[k], f"{path}.{k}", out, 1e-12 if k == "scores" else rel)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items pinned, {len(b)} now")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _diff(x, y, f"{path}[{i}]", out, rel)
    elif isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        if not math.isclose(a, b, rel_tol=rel, abs_tol=rel):
            out.append(f"{path}: pinned {a!r}, now {b!r}")
    elif a != b:
        out.append(f"{path}: pinned {a!r}, now {b!r}")


@pytest.mark.parametrize("case", list(CASES))
def test_analysis_matches_the_golden_file(case):
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert case in golden, f"no golden values for {case}; run `{REGENERATE}`"
    now = json.loads(json.dumps(pinned(analyse_case(case))))
    problems: list[str] = []
    _diff(golden[case], now, case, problems, 1e-9)
    assert not problems, (f"{len(problems)} pinned value(s) changed:\n  " + "\n  ".join(problems[:40])
                          + f"\nIf the change is intended, regenerate with `{REGENERATE}` and say why in the commit.")
