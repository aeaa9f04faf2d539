"""Checks of an exported Bundle: the R4 resource models, plus structural rules they do not check.

The official HL7 FHIR validator (a Java jar) is published on Maven Central, which gutskin's machines cannot reach;
no npm, PyPI or Debian package ships it (see docs/fhir.md). So every export is checked twice here:

* :func:`model_errors` — every resource parsed by the ``fhir.resources`` R4B models (data types, cardinalities,
  required and unknown elements; R4B equals R4 for the resources used). The models do not check code values;
* :func:`structural_errors` — what the models cannot see: each ``fullUrl`` a unique ``urn:uuid`` matching the
  resource id, every reference and canonical resolving inside the Bundle, every code from the shipped gutskin
  CodeSystems or the table of verified published codes, one ``value[x]`` per Observation and component, UCUM
  quantities, the required-binding status codes, QuestionnaireResponse answers matching their Questionnaire items,
  and the invariants obs-6, obs-7, qrs-1, qrs-2, con-3, the required elements of each resource type used, and no
  empty array, object or string anywhere (a JSON rule of FHIR).
"""

from __future__ import annotations

import re
from typing import Any

from . import codes

_UUID = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_REQUIRED = {
    "Observation": ("status", "code"), "DiagnosticReport": ("status", "code"),
    "QuestionnaireResponse": ("status",), "Questionnaire": ("status",), "CarePlan": ("status", "intent", "subject"),
    "Condition": ("subject",), "CodeSystem": ("status", "content"), "Specimen": (), "Device": (), "Patient": (),
}
# required bindings of R4 (the status-like codes a receiver acts on)
_BOUND = {
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                                "entered-in-error", "unknown"},
    ("DiagnosticReport", "status"): {"registered", "partial", "preliminary", "final", "amended", "corrected",
                                     "appended", "cancelled", "entered-in-error", "unknown"},
    ("QuestionnaireResponse", "status"): {"in-progress", "completed", "amended", "entered-in-error", "stopped"},
    ("Questionnaire", "status"): {"draft", "active", "retired", "unknown"},
    ("CodeSystem", "status"): {"draft", "active", "retired", "unknown"},
    ("CodeSystem", "content"): {"not-present", "example", "fragment", "complete", "supplement"},
    ("CarePlan", "status"): {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("Specimen", "status"): {"available", "unavailable", "unsatisfactory", "entered-in-error"},
}
_ANSWER_TYPE = {"boolean": "valueBoolean", "decimal": "valueDecimal", "integer": "valueInteger",
                "date": "valueDate", "string": "valueString", "choice": "valueCoding"}


def model_errors(bundle: dict[str, Any]) -> list[str]:
    """Problems found by the fhir.resources R4B models (the Bundle, then each resource on its own)."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    out = []
    try:
        get_fhir_model_class("Bundle").model_validate(bundle)
    except ValidationError as exc:
        out.append(f"Bundle: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}")
    for i, entry in enumerate(bundle.get("entry", [])):
        res = entry.get("resource", {})
        try:
            get_fhir_model_class(res.get("resourceType", "?")).model_validate(res)
        except (ValidationError, KeyError, ValueError) as exc:
            msg = exc.errors()[0] if isinstance(exc, ValidationError) else {"loc": (), "msg": str(exc)}
            out.append(f"entry[{i}] {res.get('resourceType')}: {msg['loc']}: {msg['msg']}")
    return out


def _walk(obj: Any, path: str):
    if isinstance(obj, dict):
        yield path, obj
        for k, v in obj.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk(v, f"{path}[{i}]")


def _empties(obj: Any, path: str) -> list[str]:
    if isinstance(obj, dict):
        return [path] if not obj else [p for k, v in obj.items() for p in _empties(v, f"{path}.{k}")]
    if isinstance(obj, list):
        return [path] if not obj else [p for i, v in enumerate(obj) for p in _empties(v, f"{path}[{i}]")]
    return [path] if isinstance(obj, str) and not obj.strip() else []


def _value_keys(obj: dict[str, Any]) -> list[str]:
    return [k for k in obj if k.startswith("value") and k[5:6].isupper()]


def structural_errors(bundle: dict[str, Any]) -> list[str]:
    """Problems the resource models cannot see (see the module docstring); empty when the Bundle is sound."""
    out: list[str] = []
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") not in ("collection", "document"):
        out.append("not a Bundle of type collection or document")
    entries = bundle.get("entry", [])
    full_urls: dict[str, dict[str, Any]] = {}
    canonicals: dict[str, dict[str, Any]] = {}
    for i, e in enumerate(entries):
        url, res = e.get("fullUrl"), e.get("resource") or {}
        if not url or not _UUID.match(url):
            out.append(f"entry[{i}]: fullUrl {url!r} is not a urn:uuid")
        elif url in full_urls:
            out.append(f"entry[{i}]: fullUrl {url} appears twice")
        elif res.get("id") != url.removeprefix("urn:uuid:"):
            out.append(f"entry[{i}]: resource id {res.get('id')!r} differs from its fullUrl")
        full_urls[url] = res
        if "url" in res and res.get("resourceType") in ("Questionnaire", "CodeSystem"):
            canonicals[res["url"]] = res
            if "version" in res:
                canonicals[f"{res['url']}|{res['version']}"] = res
    shipped = {cs["url"]: {c["code"] for c in cs.get("concept", [])} for cs in canonicals.values()
               if cs.get("resourceType") == "CodeSystem"}
    for i, e in enumerate(entries):
        res = e.get("resource") or {}
        rtype = res.get("resourceType", "?")
        where = f"entry[{i}] {rtype}"
        for field in _REQUIRED.get(rtype, ()):
            if field not in res:
                out.append(f"{where}: required element '{field}' missing")
        for (btype, field), allowed in _BOUND.items():
            if btype == rtype and field in res and res[field] not in allowed:
                out.append(f"{where}: {field} {res[field]!r} is not an R4 {rtype}.{field} code")
        if rtype not in _REQUIRED and rtype != "Bundle":
            out.append(f"{where}: resource type not expected in a gutskin export")
        out.extend(f"{where}: {p} is empty (FHIR JSON has no empty arrays, objects or strings)"
                   for p in _empties(res, rtype))
        for path, node in _walk(res, rtype):
            ref = node.get("reference")
            if isinstance(ref, str) and ref not in full_urls:
                out.append(f"{where}: reference {ref} at {path} does not resolve inside the Bundle")
            if "system" in node and "code" in node and not path.endswith("Quantity") and "value" not in node:
                out.extend(_code_problem(node, shipped, f"{where} {path}"))
            if ("value" in node and ("code" in node or "system" in node)
                    and (node.get("system") != codes.UCUM or not node.get("code"))):
                out.append(f"{where}: quantity at {path} is not a UCUM quantity")
        if rtype == "Observation":
            out.extend(_observation_problems(res, where))
        if rtype == "Condition" and "clinicalStatus" not in res:
            out.append(f"{where}: con-3 clinicalStatus missing")
        if rtype == "QuestionnaireResponse":
            form = canonicals.get(res.get("questionnaire", ""))
            if form is None:
                out.append(f"{where}: questionnaire {res.get('questionnaire')!r} is not in the Bundle")
            else:
                out.extend(_response_problems(form.get("item", []), res.get("item", []), where))
    return out


def _code_problem(coding: dict[str, Any], shipped: dict[str, set[str]], where: str) -> list[str]:
    system, code = coding["system"], str(coding["code"])
    if system in shipped:
        return [] if code in shipped[system] else [f"{where}: code {code!r} is not in the shipped CodeSystem {system}"]
    if system in codes.gutskin_systems():
        return [f"{where}: gutskin CodeSystem {system} is not shipped in the Bundle"]
    if system == codes.NCBI_TAXONOMY:
        return [] if code.isdigit() else [f"{where}: NCBI taxonomy code {code!r} is not a taxid"]
    if (system, code) in codes.PUBLISHED:
        return []
    return [f"{where}: code {system}|{code} is neither shipped nor in the table of verified published codes"]


def _observation_problems(obs: dict[str, Any], where: str) -> list[str]:
    out = []
    values = _value_keys(obs)
    if len(values) > 1:
        out.append(f"{where}: more than one value[x] ({values})")
    if values and "dataAbsentReason" in obs:
        out.append(f"{where}: obs-6 dataAbsentReason with a value")
    for j, comp in enumerate(obs.get("component", [])):
        if "code" not in comp:
            out.append(f"{where}: component[{j}] has no code")
        if len(_value_keys(comp)) > 1:
            out.append(f"{where}: component[{j}] has more than one value[x]")
        if comp.get("code") == obs.get("code"):
            out.append(f"{where}: obs-7 component[{j}] repeats the Observation code")
    return out


def _response_problems(form_items: list[dict[str, Any]], items: list[dict[str, Any]], where: str) -> list[str]:
    out = []
    by_link = {f["linkId"]: f for f in form_items}
    seen: set[str] = set()
    for it in items:
        link = it.get("linkId")
        spec = by_link.get(link)
        if spec is None:
            out.append(f"{where}: item {link!r} is not in its Questionnaire")
            continue
        if link in seen and not (spec.get("repeats") and spec["type"] == "group"):
            out.append(f"{where}: item {link!r} repeated (qrs-2: answers of one item go in one answer list)")
        seen.add(link)
        if it.get("answer") and it.get("item"):
            out.append(f"{where}: qrs-1 item {link!r} has both answers and nested items")
        answers = it.get("answer", [])
        if len(answers) > 1 and not spec.get("repeats"):
            out.append(f"{where}: item {link!r} has {len(answers)} answers but does not repeat")
        want = _ANSWER_TYPE.get(spec.get("type", ""))
        for a in answers:
            if want is not None and _value_keys(a) != [want]:
                out.append(f"{where}: item {link!r} answer {_value_keys(a)} does not match type {spec['type']}")
        if spec.get("type") == "group":
            out.extend(_response_problems(spec.get("item", []), it.get("item", []), where))
    for spec in form_items:
        if spec.get("required") and spec["linkId"] not in seen:
            out.append(f"{where}: required item {spec['linkId']!r} missing")
    return out


def check_bundle(bundle: dict[str, Any]) -> list[str]:
    """Every problem found by the models and the structural checks (empty: the Bundle passed both)."""
    return model_errors(bundle) + structural_errors(bundle)
