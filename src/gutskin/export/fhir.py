"""One person's results as one FHIR R4 ``Bundle`` (type ``collection``).

Why ``collection`` and not ``document``: a document Bundle is an attested, immutable clinical document that must
start with a ``Composition`` whose sections list every entry; here the clinical report envelope already exists as
the ``DiagnosticReport`` (conclusion, HTML and PDF as ``presentedForm``), and a receiver (a record system, a
personal health record, ``gutskin import``) wants to take the resources one by one. A collection says exactly
that: a set of related resources with no processing implied (``transaction`` would tell a server to store them).

Contents: the gutskin CodeSystems; a placeholder ``Patient`` (no identifying data; the receiver links it to its own
record); the stool ``Specimen``; the profiler as ``Device`` (gutskin itself is named, with its version, in each
``method``); one ``Observation`` per measured quantity
(single ``valueQuantity``; the organism, guild, condition, percentile and intervals as components); one grouping
``Observation`` per section with ``hasMember``; the ``DiagnosticReport``; the questionnaire as ``Questionnaire`` +
``QuestionnaireResponse``; the skin conditions as ``Condition``; the elimination trial as ``CarePlan``, the diary
as one ``QuestionnaireResponse`` per day with its scores extracted as ``Observation`` (SDC observation-based
extraction), and the trial's effect as an ``Observation``.

Every ``fullUrl`` is a ``urn:uuid`` derived from the sample and the resource's key, so the same inputs give the
same Bundle.
"""

from __future__ import annotations

import base64
import math
import uuid
from datetime import date
from typing import Any

from . import codes, forms
from .source import ExportInput, Measure

_NS = uuid.UUID("6f1d3c52-8a0e-4b8e-9a57-2f4c1c0e5d11")  # gutskin export namespace for uuid5 ids

_SECTION_PANELS = {
    "diversity": ("panel-diversity", "Diversity"),
    "phylum": ("panel-phylum-composition", "Phylum composition"),
    "genus": ("panel-genus-composition", "Genus composition"),
    "index_taxa": ("panel-index-taxa", "Taxa the indices use"),
    "guild_taxa": ("panel-guild-taxa", "Functional group members found"),
    "guild": ("panel-guilds", "Functional groups"),
    "index": ("panel-indices", "Published indices"),
    "skin": ("panel-skin", "Skin evidence"),
}
_INTERPRETATION = {"below typical": "L", "typical": "N", "above typical": "H", "absent": "ND"}


class _Ids:
    def __init__(self, sample: str) -> None:
        self.sample = sample

    def __call__(self, key: str) -> tuple[str, str]:
        """(id, fullUrl) for the resource with ``key``."""
        u = uuid.uuid5(_NS, f"{self.sample}\x1f{key}")
        return str(u), f"urn:uuid:{u}"


def _num(v: float) -> float:
    """Round away binary noise from a scaled float (12 significant digits, far below any method's precision)."""
    return float(f"{v:.12g}")


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


def _qty(value: float, unit: str, fraction: bool = False) -> dict[str, Any]:
    v = _num(value * 100 if fraction else value)
    out: dict[str, Any] = {"value": v, "system": codes.UCUM, "code": unit}
    out["unit"] = {"%": "%", "1": "1", "{species}": "species", "{score}": "score", "{count}": "count",
                   "h": "h", "d": "d"}.get(unit, unit)
    return out


def _component(code: str, **value: Any) -> dict[str, Any]:
    return {"code": codes.concept("gutskin", code), **value}


def build_bundle(inp: ExportInput) -> dict[str, Any]:
    """The FHIR R4 Bundle (as JSON-ready dicts) for one person's export."""
    ids = _Ids(inp.sample)
    entries: list[dict[str, Any]] = []

    def add(key: str, resource: dict[str, Any]) -> str:
        rid, full = ids(key)
        entries.append({"fullUrl": full, "resource": {"resourceType": resource.pop("resourceType"), "id": rid,
                                                       **resource}})
        return full

    for cs in codes.codesystem_resources():
        cs.pop("id")
        add(f"codesystem:{cs['name']}", cs)
    patient = add("patient", {"resourceType": "Patient", "active": True})
    specimen = add("specimen", {
        "resourceType": "Specimen", "identifier": [{"value": inp.sample}], "status": "available",
        "type": {"text": "Stool"}, "subject": {"reference": patient},
        "note": [{"text": f"Sample {inp.sample} from file {inp.input_file}."}]})
    profiler = add("device:profiler", {
        "resourceType": "Device",
        "deviceName": [{"name": inp.profiler or "unknown profiler", "type": "model-name"}],
        **({"version": [{"value": inp.profiler_version}]} if inp.profiler_version else {}),
        "type": codes.concept("gutskin", "device-taxonomic-profiler"),
        **({"note": [{"text": f"Database: {inp.database}"}]} if inp.database else {})})

    method = _method(inp)
    urls: dict[str, str] = {m.key: ids(f"obs:{m.key}")[1] for m in inp.measures}
    members: dict[str, list[str]] = {}
    for m in inp.measures:
        obs = _observation(m, inp, patient, specimen, profiler, method, urls)
        add(f"obs:{m.key}", obs)
        members.setdefault(m.section, []).append(urls[m.key])
    groups = []
    for section, (code, title) in _SECTION_PANELS.items():
        if section not in members:
            continue
        groups.append(add(f"panel:{section}", {
            "resourceType": "Observation", "status": "final",
            "category": [codes.concept(codes.OBSERVATION_CATEGORY, "laboratory")],
            "code": codes.concept("gutskin", code, title), "subject": {"reference": patient},
            "specimen": {"reference": specimen}, "issued": inp.issued,
            "hasMember": [{"reference": u} for u in members[section]]}))

    conditions = _conditions(inp, add, patient)
    if inp.plan is not None:
        _careplan, trial_obs = _trial(inp, add, ids, patient, conditions)
        groups.extend(trial_obs)
    if inp.questionnaire is not None:
        form = forms.questionnaire_resource("x")
        form.pop("id")
        add("questionnaire", form)
        qr = forms.questionnaire_response(inp.questionnaire, "x", patient, inp.issued)
        qr.pop("id")
        add("questionnaire-response", qr)

    presented = [{"contentType": "text/html", "language": "en", "title": f"gutskin report {inp.sample} (HTML)",
                  "data": base64.b64encode(inp.html.encode("utf-8")).decode("ascii")}]
    if inp.pdf is not None:
        presented.append({"contentType": "application/pdf", "language": "en",
                          "title": f"gutskin report {inp.sample} (PDF)",
                          "data": base64.b64encode(inp.pdf).decode("ascii")})
    add("diagnostic-report", {
        "resourceType": "DiagnosticReport", "status": "final",
        "category": [codes.concept(codes.DIAGNOSTIC_SERVICE, "MB")],
        "code": codes.concept("gutskin", "gut-microbiome-skin-report"), "subject": {"reference": patient},
        "issued": inp.issued, "specimen": [{"reference": specimen}],
        "result": [{"reference": g} for g in groups], "conclusion": inp.conclusion, "presentedForm": presented})
    return {"resourceType": "Bundle", "id": ids("bundle")[0], "type": "collection", "timestamp": inp.issued,
            "entry": entries}


def _method(inp: ExportInput) -> dict[str, Any]:
    parts = [f"{inp.profiler or 'unknown profiler'}{' ' + inp.profiler_version if inp.profiler_version else ''}"]
    if inp.database:
        parts.append(f"database {inp.database}")
    parts.append(f"gutskin {inp.gutskin_version}")
    if inp.reference is not None:
        parts.append(f"reference {inp.reference.name}")
    code = f"method-{inp.method}" if f"method-{inp.method}" in codes.concepts("gutskin") else "method-unknown"
    return codes.concept("gutskin", code, "; ".join(parts))


def _observation(m: Measure, inp: ExportInput, patient: str, specimen: str, profiler: str,
                 method: dict[str, Any], urls: dict[str, str]) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation", "status": "final",
        "category": [codes.concept(codes.OBSERVATION_CATEGORY, "laboratory")],
        "code": codes.concept("gutskin", m.code, m.label), "subject": {"reference": patient},
        "issued": inp.issued,
    }
    if _finite(m.value):
        obs["valueQuantity"] = _qty(m.value, m.unit, m.fraction)
    else:  # computed but not a number (e.g. a ratio with an empty denominator): say so, never write NaN
        obs["dataAbsentReason"] = codes.concept(codes.DATA_ABSENT_REASON, "not-a-number")
    p = m.placement
    if p is not None and p.status in _INTERPRETATION:
        obs["interpretation"] = [codes.concept(codes.V3_INTERPRETATION, _INTERPRETATION[p.status], p.status)]
    elif p is not None and p.status:
        obs["interpretation"] = [{"text": p.status}]
    if m.notes:
        obs["note"] = [{"text": n} for n in m.notes]
    if m.section == "skin":
        kb = f"gutskin knowledge base {inp.kb_version}" if inp.kb_version else "gutskin knowledge base"
        obs["method"] = {"text": f"{kb}; {method['text']}"}
    else:
        obs["method"] = method
        obs["specimen"] = {"reference": specimen}
        obs["device"] = {"reference": profiler}
    if p is not None and inp.reference is not None and _finite(p.typical_low) and _finite(p.typical_high):
        ref = inp.reference
        obs["referenceRange"] = [{
            "low": _qty(p.typical_low, m.unit, m.fraction), "high": _qty(p.typical_high, m.unit, m.fraction),
            "text": f"10th to 90th percentile of {ref.title} (n = {p.n_reference or ref.n}; reference "
                    f"'{ref.name}'{'; ' + ref.citation if ref.citation else ''})"}]
    comps: list[dict[str, Any]] = []
    if m.taxon is not None:
        t = m.taxon
        cc: dict[str, Any] = {"text": (t.display or t.name).replace("_", " ")}
        if t.taxid is not None:
            cc["coding"] = [codes.coding(codes.NCBI_TAXONOMY, str(t.taxid), t.name.replace("_", " "))]
        comps.append(_component("organism", valueCodeableConcept=cc))
        comps.append(_component("taxon-rank", valueString=t.rank))
    if m.guild is not None:
        comps.append(_component("guild", valueCodeableConcept={"text": m.guild}))
    if m.condition is not None:
        comps.append(_component("skin-condition",
                                valueCodeableConcept=codes.condition_concept(m.condition, m.condition_label)))
    if m.interval is not None and all(_finite(x) for x in m.interval):
        comps.append(_component("lean-interval-low", valueQuantity=_qty(m.interval[0], "1")))
        comps.append(_component("lean-interval-high", valueQuantity=_qty(m.interval[1], "1")))
    if _finite(m.coverage):
        comps.append(_component("index-coverage", valueQuantity=_qty(m.coverage, "%", True)))
    if p is not None:
        for code, v in (("reference-percentile", p.percentile), ("reference-percentile-ci-low", p.ci_low),
                        ("reference-percentile-ci-high", p.ci_high), ("reference-prevalence", p.prevalence)):
            if _finite(v):
                comps.append(_component(code, valueQuantity=_qty(v, "%", True)))
    if comps:
        obs["component"] = comps
    if m.derived_from:
        obs["derivedFrom"] = [{"reference": urls[k]} for k in m.derived_from if k in urls]
    return obs


def _conditions(inp: ExportInput, add: Any, patient: str) -> dict[str, str]:
    """Condition resources for the questionnaire's skin conditions and the trial's; condition id → fullUrl."""
    out: dict[str, str] = {}
    items = list(inp.conditions)
    if inp.plan is not None:
        trial_cond = "atopic_dermatitis" if inp.plan.condition == "eczema" else inp.plan.condition
        if trial_cond not in {c for c, _, _ in items}:
            items.append((trial_cond, None, None))
    for cond, severity, by_clinician in items:
        res: dict[str, Any] = {
            "resourceType": "Condition",
            "clinicalStatus": codes.concept(codes.CONDITION_CLINICAL, "active"),
            "verificationStatus": codes.concept(codes.CONDITION_VERIFICATION,
                                                "confirmed" if by_clinician else "unconfirmed"),
            "category": [codes.concept(codes.CONDITION_CATEGORY, "problem-list-item")],
            "code": codes.condition_concept(cond, cond.replace("_", " ")),
            "subject": {"reference": patient},
        }
        notes = ["Reported in the gutskin questionnaire." if by_clinician is not None or severity
                 else "The condition the elimination trial was planned for."]
        if severity:
            notes.append(f"Self-rated severity: {severity}.")
        res["note"] = [{"text": n} for n in notes]
        out[cond] = add(f"condition:{cond}", res)
    return out


_PHASE_WORDS = {"baseline": "eat {food} as usual", "elimination": "avoid {food}",
                "reintroduction": "eat {food} again"}


def _trial(inp: ExportInput, add: Any, ids: _Ids, patient: str,
           conditions: dict[str, str]) -> tuple[str, list[str]]:
    plan = inp.plan
    diary = inp.diary
    last = max(diary.dates) if diary is not None and len(diary) else None
    activities = []
    for t in plan.trials():
        for ph in t.phases:
            done = last is not None and last >= ph.end
            activities.append({"detail": {
                "code": codes.concept("gutskin", f"trial-phase-{ph.kind}", ph.name),
                "status": "completed" if done else "scheduled",
                "scheduledPeriod": {"start": ph.start.isoformat(), "end": ph.end.isoformat()},
                "description": f"{ph.name}: {_PHASE_WORDS[ph.kind].format(food=t.food)}"}})
    cond = "atopic_dermatitis" if plan.condition == "eczema" else plan.condition
    notes = [{"text": n} for n in plan.notes]
    notes += [{"text": f"diary comment: {c}"} for c in inp.diary_comments]
    complete = last is not None and last >= plan.last_day
    careplan = add("careplan", {
        "resourceType": "CarePlan", "status": "completed" if complete else "active", "intent": "plan",
        "category": [codes.concept("gutskin", "elimination-trial")],
        "title": f"Elimination trial: {plan.food} ({plan.design})",
        "description": f"One-food elimination trial of {plan.food} for {plan.condition}; outcome '{plan.outcome}' "
                       f"({plan.better} is better), smallest change that matters {plan.mid:g}.",
        "subject": {"reference": patient},
        "period": {"start": plan.first_day.isoformat(), "end": plan.last_day.isoformat()},
        **({"addresses": [{"reference": conditions[cond]}]} if cond in conditions else {}),
        "activity": activities, **({"note": notes} if notes else {})})
    out: list[str] = []
    if diary is None:
        return careplan, out
    form = forms.diary_questionnaire(diary, ids("diary-form")[0], plan.food)
    add("diary-form", {k: v for k, v in form.items() if k != "id"})  # same id: both come from ids("diary-form")
    qr_urls = []
    extract = [s for s in form["item"][1:] if s["linkId"] in codes.EXTRACTED_DIARY_ITEMS]
    for row in diary.frame.to_dict("records"):
        day: date = row["date"]
        key = f"diary:{day.isoformat()}"
        qr = forms.diary_day_response(form, row, "x", patient, careplan)
        qr.pop("id")
        qr_url = add(key, qr)
        qr_urls.append(qr_url)
        for spec in extract:
            value = row[spec["linkId"]]
            if not _finite(value):  # not recorded that day
                continue
            unit = codes.DIARY_ITEMS[spec["linkId"]][3] or "1"
            add(f"{key}:{spec['linkId']}", {
                "resourceType": "Observation", "status": "final", "basedOn": [{"reference": careplan}],
                "category": [codes.concept(codes.OBSERVATION_CATEGORY, "survey")], "code": {"coding": spec["code"]},
                "subject": {"reference": patient}, "effectiveDateTime": day.isoformat(),
                "valueQuantity": _qty(float(value), unit), "derivedFrom": [{"reference": qr_url}]})
    r = inp.trial_result
    if r is not None:
        obs: dict[str, Any] = {
            "resourceType": "Observation", "status": "final", "basedOn": [{"reference": careplan}],
            "category": [codes.concept(codes.OBSERVATION_CATEGORY, "survey")],
            "code": codes.concept("gutskin", "trial-effect", f"Effect of {r['food']} on {r['outcome']}"),
            "subject": {"reference": patient},
            "effectivePeriod": {"start": plan.first_day.isoformat(), "end": (last or plan.last_day).isoformat()},
            "method": {"text": r["method"]}, "derivedFrom": [{"reference": u} for u in qr_urls],
            "note": [{"text": r["summary"]}] if r.get("summary") else [],
        }
        if _finite(r.get("effect")):
            obs["valueQuantity"] = _qty(r["effect"], "{score}")
        comps = [_component("trial-verdict", valueCodeableConcept=codes.concept("gutskin", f"verdict-{r['verdict']}")),
                 _component("trial-food", valueString=str(r["food"]))]
        if _finite(r.get("ci_low")) and _finite(r.get("ci_high")):
            comps.append(_component("effect-ci-low", valueQuantity=_qty(r["ci_low"], "{score}")))
            comps.append(_component("effect-ci-high", valueQuantity=_qty(r["ci_high"], "{score}")))
            if _finite(r.get("ci_level")):
                comps.append(_component("interval-level", valueQuantity=_qty(r["ci_level"], "%", True)))
        obs["component"] = comps
        if not obs["note"]:
            obs.pop("note")
        out.append(add("trial-effect", obs))
    return careplan, out
