#!/usr/bin/env python3
"""Write docs/report-schema.json (a gutskin report) and docs/analysis-schema.json (the engine's Analysis), the
published JSON schemas, from their pydantic models.

Run after any change to ``gutskin/report/model.py`` (and bump ``SCHEMA_VERSION``); a test fails while the
file is out of date. ``--check`` exits 1 instead of writing when the file differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gutskin.engine.model import SCHEMA_VERSION as ANALYSIS_VERSION
from gutskin.engine.model import Analysis
from gutskin.io import write_atomic
from gutskin.report.model import json_schema

DOCS = Path(__file__).resolve().parents[1] / "docs"
TARGET = DOCS / "report-schema.json"
ANALYSIS_TARGET = DOCS / "analysis-schema.json"


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def analysis_schema_text() -> str:
    schema = Analysis.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://gutskin.invalid/schemas/analysis/{ANALYSIS_VERSION}/analysis-schema.json"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    stale = False
    for target, text in ((TARGET, schema_text()), (ANALYSIS_TARGET, analysis_schema_text())):
        if "--check" in argv:
            current = target.read_text(encoding="utf-8") if target.exists() else ""
            if current != text:
                print(f"{target} is out of date; run scripts/write_report_schema.py", file=sys.stderr)
                stale = True
            continue
        write_atomic(target, text)
        print(f"wrote {target}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
