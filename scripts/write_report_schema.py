#!/usr/bin/env python3
"""Write docs/report-schema.json, the published JSON schema of a gutskin report, from the pydantic model.

Run after any change to ``gutskin/report/model.py`` (and bump ``SCHEMA_VERSION``); a test fails while the
file is out of date. ``--check`` exits 1 instead of writing when the file differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gutskin.report.model import json_schema

TARGET = Path(__file__).resolve().parents[1] / "docs" / "report-schema.json"


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = schema_text()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} is out of date; run scripts/write_report_schema.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
