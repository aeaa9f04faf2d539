"""Rewrite tests/golden/analysis-golden.json from the engine's current Analysis of the shipped examples.

Run after an intended change (knowledge base, references, metrics) and explain the change in the commit:

    python scripts/update_golden.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.golden.cases import CASES, GOLDEN, analyse_case, pinned  # noqa: E402

from gutskin.engine import default_resources  # noqa: E402
from gutskin.io import write_atomic  # noqa: E402


def main() -> int:
    resources = default_resources()
    out = {name: pinned(analyse_case(name, resources)) for name in CASES}
    write_atomic(GOLDEN, json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN.relative_to(ROOT)} ({len(out)} cases)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
