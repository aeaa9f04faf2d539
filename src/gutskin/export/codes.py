"""Code tables of the FHIR export: which published terminology each code comes from, and the gutskin CodeSystems.

A code is used only when it comes from a published system listed in :data:`PUBLISHED` (with the source that
verified it, repeated in ``docs/fhir.md``) or from the gutskin CodeSystems shipped in ``data/gutskin-codes.yaml``
and inside every exported Bundle. :func:`coding` refuses any other gutskin code, so a new metric or index cannot
reach an export without a published definition.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
NCBI_TAXONOMY = "http://www.ncbi.nlm.nih.gov/taxonomy"
UCUM = "http://unitsofmeasure.org"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DIAGNOSTIC_SERVICE = "http://terminology.hl7.org/CodeSystem/v2-0074"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
SDC_OBSERVATION_EXTRACT = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-observationExtract"

# Published codes used, each with the source it was checked against (docs/fhir.md cites them again).
PUBLISHED: dict[tuple[str, str], tuple[str, str]] = {
    (LOINC, "89862-7"): ("Patient-Oriented Eczema Measure [POEM]", "loinc.org/89862-7 (panel; listed as the panel "
                                                                   "of 89870-0 on loinc.org/89870-0)"),
    (LOINC, "89870-0"): ("Total score [POEM]", "loinc.org/89870-0"),
    (SNOMED, "24079001"): ("Atopic dermatitis", "SNOMED CT 24079001 |Atopic dermatitis (disorder)| (Mondo xref "
                                                "MONDO:0004980; HL7 SHIFT demo Condition)"),
    (SNOMED, "9014002"): ("Psoriasis", "SNOMED CT 9014002 |Psoriasis (disorder)| (Swiss ePL FHIR IG "
                                       "ClinicalUseDefinition LIM-9014002)"),
    (SNOMED, "11381005"): ("Acne", "SNOMED CT 11381005 |Acne| (OpenSAFELY acne codelist, HDR UK phenotype PH3998)"),
    (V3_INTERPRETATION, "L"): ("Low", "HL7 v3 ObservationInterpretation"),
    (V3_INTERPRETATION, "N"): ("Normal", "HL7 v3 ObservationInterpretation"),
    (V3_INTERPRETATION, "H"): ("High", "HL7 v3 ObservationInterpretation"),
    (V3_INTERPRETATION, "ND"): ("Not detected", "HL7 v3 ObservationInterpretation"),
    (OBSERVATION_CATEGORY, "laboratory"): ("Laboratory", "HL7 observation-category"),
    (OBSERVATION_CATEGORY, "survey"): ("Survey", "HL7 observation-category"),
    (DIAGNOSTIC_SERVICE, "MB"): ("Microbiology", "HL7 v2 table 0074"),
    (CONDITION_CLINICAL, "active"): ("Active", "HL7 condition-clinical"),
    (DATA_ABSENT_REASON, "not-a-number"): ("Not a Number (NaN)", "HL7 data-absent-reason"),
    (CONDITION_VERIFICATION, "confirmed"): ("Confirmed", "HL7 condition-ver-status"),
    (CONDITION_VERIFICATION, "unconfirmed"): ("Unconfirmed", "HL7 condition-ver-status"),
    (CONDITION_CATEGORY, "problem-list-item"): ("Problem List Item", "HL7 condition-category"),
}

# Skin conditions (questionnaire ids and trial condition names) → SNOMED CT where verified, else gutskin.
CONDITION_CODES: dict[str, tuple[str, str]] = {
    "acne": (SNOMED, "11381005"),
    "atopic_dermatitis": (SNOMED, "24079001"),
    "eczema": (SNOMED, "24079001"),
    "psoriasis": (SNOMED, "9014002"),
}

# Diary columns → item code (SDC observation-based extraction: these become Observations), UCUM unit.
DIARY_ITEMS: dict[str, tuple[str, str, str, str | None]] = {
    # column: (system, code, FHIR item type, UCUM unit or None)
    "skin_score": ("gutskin", "diary-skin-score", "decimal", "{score}"),
    "itch": ("gutskin", "diary-itch", "decimal", "{score}"),
    "lesions": ("gutskin", "diary-lesions", "decimal", "{count}"),
    "poem": (LOINC, "89870-0", "decimal", "{score}"),
    "adhered": ("gutskin", "diary-adhered", "decimal", None),
    "stress": ("gutskin", "diary-stress", "decimal", "{score}"),
    "sleep_hours": ("gutskin", "diary-sleep-hours", "decimal", "h"),
    "cycle_day": ("gutskin", "diary-cycle-day", "decimal", "d"),
    "new_skincare": ("gutskin", "diary-new-skincare", "decimal", None),
    "notes": ("gutskin", "diary-notes", "string", None),
}
EXTRACTED_DIARY_ITEMS = ("skin_score", "itch", "lesions", "poem", "stress", "sleep_hours")


@cache
def _data() -> dict[str, Any]:
    text = resources.files("gutskin.export").joinpath("data/gutskin-codes.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def version() -> str:
    return str(_data()["version"])


def system_url(name: str) -> str:
    """URL of a gutskin CodeSystem by short name (``gutskin``, ``gutskin-answer``)."""
    return _data()["systems"][name]["url"]


def concepts(name: str) -> dict[str, tuple[str, str | None]]:
    """code → (display, definition) of one gutskin CodeSystem."""
    out = {}
    for code, value in _data()["systems"][name]["concepts"].items():
        out[str(code)] = (value[0], value[1] if len(value) > 1 else None)
    return out


def gutskin_systems() -> dict[str, str]:
    """url → short name of every gutskin CodeSystem."""
    return {v["url"]: k for k, v in _data()["systems"].items()}


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    """A Coding; ``system`` is a URL or a gutskin short name. Unknown codes raise (a bug, not bad input)."""
    short = system if system in _data()["systems"] else gutskin_systems().get(system)
    if short is not None:
        table = concepts(short)
        if code not in table:
            raise KeyError(f"code {code!r} is not in the shipped gutskin CodeSystem {short!r}; add it to "
                           "export/data/gutskin-codes.yaml")
        return {"system": system_url(short), "code": code, "display": display or table[code][0]}
    if system == NCBI_TAXONOMY:
        if not str(code).isdigit():
            raise KeyError(f"NCBI taxonomy ids are numbers, not {code!r}")
        return {"system": system, "code": str(code), **({"display": display} if display else {})}
    if system == UCUM:
        return {"system": system, "code": code}
    if (system, code) not in PUBLISHED:
        raise KeyError(f"code {system}|{code} is not in the table of verified published codes")
    return {"system": system, "code": code, "display": display or PUBLISHED[(system, code)][0]}


def concept(system: str, code: str, text: str | None = None) -> dict[str, Any]:
    """A CodeableConcept with one coding (and ``text`` when given)."""
    out: dict[str, Any] = {"coding": [coding(system, code)]}
    if text:
        out["text"] = text
    return out


def condition_concept(condition: str, label: str | None = None) -> dict[str, Any]:
    """A skin condition as SNOMED CT where verified, else the gutskin code ``condition-<id>``."""
    if condition in CONDITION_CODES:
        system, code = CONDITION_CODES[condition]
        return concept(system, code, label)
    key = f"condition-{condition}"
    return concept("gutskin", key if key in concepts("gutskin") else "condition-other", label or condition)


def codesystem_resources() -> list[dict[str, Any]]:
    """The gutskin CodeSystems as FHIR R4 CodeSystem resources (content complete), as shipped in every Bundle."""
    out = []
    for short, spec in _data()["systems"].items():
        out.append({
            "resourceType": "CodeSystem",
            "id": short,
            "url": spec["url"],
            "version": version(),
            "name": spec["name"],
            "title": spec["title"],
            "status": "active",
            "experimental": False,
            "publisher": "gutskin",
            "description": " ".join(str(spec["description"]).split()),
            "caseSensitive": True,
            "content": "complete",
            "count": len(spec["concepts"]),
            "concept": [{"code": code, "display": d, **({"definition": df} if df else {})}
                        for code, (d, df) in concepts(short).items()],
        })
    return out
