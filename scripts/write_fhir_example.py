#!/usr/bin/env python3
"""Write examples/fhir/bundle.json: the FHIR R4 Bundle of the shipped example, reproducibly.

The shipped MetaPhlAn 3 profile, the example questionnaire and the dairy/eczema trial (plan + diary), exported with
a fixed export time so the same gutskin gives the same file. The PDF is left out (``--no-pdf``): its bytes carry
the renderer's own timestamps and would make the example differ on every run; the HTML report is included.
``--check`` exits 1 instead of writing when the file differs (the export changed: review, then rewrite).

    .venv/bin/python scripts/write_fhir_example.py [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gutskin.export import export_fhir
from gutskin.export.validate import check_bundle

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "examples" / "fhir" / "bundle.json"
ISSUED = "2026-03-02T09:00:00Z"  # the day after the example trial's diary ends


def bundle_text() -> str:
    ex = ROOT / "examples"
    bundle = export_fhir(ex / "SRR1761667_metaphlan.txt", questionnaire=ex / "questionnaire.yaml",
                         trial=(ex / "trial" / "dairy-eczema-plan.json", ex / "trial" / "dairy-eczema-diary.csv"),
                         issued=ISSUED, pdf=False)
    problems = check_bundle(bundle)
    if problems:
        raise SystemExit(f"the example Bundle failed validation: {problems[:3]}")
    return json.dumps(bundle, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def main(argv: list[str]) -> int:
    text = bundle_text()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is out of date; run scripts/write_fhir_example.py", file=sys.stderr)
            return 1
        return 0
    from gutskin.io import write_atomic

    TARGET.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(TARGET, text)
    print(f"wrote {TARGET} ({len(text):,} characters)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
