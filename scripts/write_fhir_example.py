#!/usr/bin/env python3
"""Write examples/fhir/bundle.json, the FHIR R4 Bundle of the shipped example, and its trimmed copy in docs/fhir.md.

The shipped MetaPhlAn 3 profile, the example questionnaire and the dairy/eczema trial (plan + diary), exported with
a fixed export time so the same gutskin gives the same file. The PDF is left out (``--no-pdf``): its bytes carry
the renderer's own timestamps and would make the example differ on every run; the HTML report is included.
The trimmed copy (a few resources, long lists and strings cut) replaces the ``json`` block under "The example
Bundle, trimmed" in docs/fhir.md. ``--check`` exits 1 instead of writing when either differs (the export changed:
review, then rewrite).

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
DOC = ROOT / "docs" / "fhir.md"
DOC_HEADING = "## The example Bundle, trimmed"
# resources shown in the docs, by type and code; the rest is summarised
SHOWN = [("DiagnosticReport", None), ("Observation", "panel-genus-composition"),
         ("Observation", "taxon-relative-abundance"), ("Observation", "index-gmhi"),
         ("Observation", "skin-evidence-lean"), ("CarePlan", None), ("QuestionnaireResponse", "diary"),
         ("Observation", "diary-skin-score")]
HIDDEN = {"category", "subject", "issued", "specimen", "device", "id"}
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


def _code(resource: dict) -> str | None:
    c = resource.get("code")
    return c["coding"][0]["code"] if isinstance(c, dict) and "coding" in c else None


def _trim(obj, keep: int = 1):
    """Cut lists to ``keep`` items (components: all), long strings to 90 characters, base64 to a stub."""
    if isinstance(obj, dict):
        return {k: (v[:24] + "…" if k == "data" else _trim(v, 9 if k == "component" else 1))
                for k, v in obj.items() if k not in HIDDEN}
    if isinstance(obj, list):
        if len(obj) > keep + 1:
            return [_trim(x) for x in obj[:keep]] + [f"… {len(obj) - keep} more"]
        return [_trim(x) for x in obj]
    if isinstance(obj, str) and len(obj) > 90:
        return obj[:87] + "…"
    return obj


def _pick(bundle: dict, rtype: str, code: str | None) -> dict:
    for entry in bundle["entry"]:
        r = entry["resource"]
        if r["resourceType"] != rtype:
            continue
        if rtype == "QuestionnaireResponse":
            if "diary" in r["questionnaire"] and len(r["item"]) >= 4:  # a day with every score recorded
                return entry
            continue
        if code and _code(r) != code:
            continue
        if code == "taxon-relative-abundance" and ("interpretation" not in r or "coding" not in
                                                   r["component"][0]["valueCodeableConcept"]):
            continue  # show a share with a taxid and a placement
        return entry
    raise SystemExit(f"no {rtype} {code or ''} in the example Bundle")


def _layout(obj, depth: int = 0) -> str:
    """JSON with two-space indents, short objects and lists on one line."""
    flat = json.dumps(obj, ensure_ascii=False)
    if len(flat) + depth * 2 <= 118 or not isinstance(obj, dict | list):
        return flat
    pad = "  " * (depth + 1)
    if isinstance(obj, dict):
        body = ",\n".join(f"{pad}{json.dumps(k)}: {_layout(v, depth + 1)}" for k, v in obj.items())
        return "{\n" + body + "\n" + "  " * depth + "}"
    return "[\n" + ",\n".join(pad + _layout(v, depth + 1) for v in obj) + "\n" + "  " * depth + "]"


def doc_text(bundle_json: str) -> str:
    bundle = json.loads(bundle_json)
    shown = [_trim(_pick(bundle, t, c)) for t, c in SHOWN]
    head = ("… the 2 gutskin CodeSystems, Patient, Specimen, Device (profiler) …")
    trimmed = {"resourceType": "Bundle", "id": bundle["id"], "type": bundle["type"], "timestamp": bundle["timestamp"],
               "entry": [head, *shown, f"… {len(bundle['entry']) - len(shown) - 5} more entries"]}
    text = DOC.read_text(encoding="utf-8")
    start = text.index("```json", text.index(DOC_HEADING))
    end = text.index("```", start + 7)
    return text[:start] + "```json\n" + _layout(trimmed) + "\n" + text[end:]


def main(argv: list[str]) -> int:
    text = bundle_text()
    doc = doc_text(text)
    if "--check" in argv:
        stale = [p for p, t in ((TARGET, text), (DOC, doc)) if not p.exists() or p.read_text(encoding="utf-8") != t]
        for p in stale:
            print(f"{p} is out of date; run scripts/write_fhir_example.py", file=sys.stderr)
        return 1 if stale else 0
    from gutskin.io import write_atomic

    TARGET.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(TARGET, text)
    write_atomic(DOC, doc)
    print(f"wrote {TARGET} ({len(text):,} characters) and the trimmed copy in {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
