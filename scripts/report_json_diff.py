"""Differences between two report JSON files, one line per changed value (floats compared to 1e-9).

    python scripts/report_json_diff.py before.json after.json

Used to check that a refactor leaves the example report's content unchanged (docs/engine-migration.md).
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"ADDED   {path}.{k} {json.dumps(b[k])[:200]}")
            elif k not in b:
                out.append(f"REMOVED {path}.{k} {json.dumps(a[k])[:200]}")
            else:
                out.extend(diff(a[k], b[k], f"{path}.{k}"))
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"LENGTH  {path} {len(a)} -> {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            out.extend(diff(x, y, f"{path}[{i}]"))
    elif isinstance(a, float) and isinstance(b, float):
        if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            out.append(f"NUMBER  {path} {a!r} -> {b!r}")
    elif a != b:
        out.append(f"CHANGED {path} {json.dumps(a)[:300]} -> {json.dumps(b)[:300]}")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as fa, open(argv[1], encoding="utf-8") as fb:
        lines = diff(json.load(fa), json.load(fb))
    print("\n".join(lines) if lines else "no differences")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
