#!/usr/bin/env python
"""Run every ``benchmarks/bench_*.py`` script in turn (what ``make bench`` calls).

Extra arguments are passed to each script, e.g. ``run_all.py --quick`` or ``run_all.py --update-doc``.
Each script writes its JSON results into ``benchmarks/results/``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    status = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", file=sys.stderr, flush=True)
        status |= subprocess.run([sys.executable, str(script), *argv]).returncode
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
