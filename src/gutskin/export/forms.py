"""The questionnaire and the trial diary as FHIR ``Questionnaire`` / ``QuestionnaireResponse``, both ways.

The intake questionnaire's FHIR form is generated from the gutskin questionnaire model itself (one item per
answer, ``linkId`` = the dotted answer path), so export and import cannot drift apart. Fixed answer values are
Codings from the shipped ``gutskin-answer`` CodeSystem whose codes are the values exactly as a questionnaire file
writes them. An answered-but-empty list (``food_allergies: []``, ``conditions: []``) is an item without answers
or children, and so is an answered-but-empty section (``skin: {}``); FHIR JSON has no empty arrays.

The diary form has one item per diary column (in the diary's own column order); items with a code in
:data:`~gutskin.export.codes.EXTRACTED_DIARY_ITEMS` carry the SDC ``observationExtract`` flag and are also exported
as Observations (SDC observation-based extraction).
"""

from __future__ import annotations

import math
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from ..errors import InputError
from . import codes

QUESTIONNAIRE_URL = "https://gutskin.invalid/fhir/Questionnaire/gutskin-questionnaire"
DIARY_URL = "https://gutskin.invalid/fhir/Questionnaire/gutskin-trial-diary"


# ------------------------------------------------------------------------------------------ model walking
def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner type, repeats) of an optional / list annotation."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else (annotation, False)
    if origin is typing.Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin is list:
        inner, _ = _unwrap(get_args(annotation)[0])
        return inner, True
    return annotation, False


def _words(name: str) -> str:
    return name.replace("_0_10", " (0-10)").replace("_", " ").capitalize()


def _item_for(name: str, info: Any, prefix: str) -> dict[str, Any]:
    inner, repeats = _unwrap(info.annotation)
    link = f"{prefix}{name}"
    text = _words(name) + (f": {info.description}" if info.description else "")
    item: dict[str, Any] = {"linkId": link, "text": text}
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        item["type"] = "group"
        item["item"] = [_item_for(n, f, link + ".") for n, f in inner.model_fields.items()]
    elif get_origin(inner) is Literal:
        item["type"] = "choice"
        item["answerOption"] = [{"valueCoding": codes.coding("gutskin-answer", str(v))} for v in get_args(inner)]
    elif inner is bool:
        item["type"] = "boolean"
    elif inner is int:
        item["type"] = "integer"
    elif inner is float:
        item["type"] = "decimal"
    else:
        item["type"] = "string"
    if repeats:
        item["repeats"] = True
    return item


def questionnaire_resource(rid: str) -> dict[str, Any]:
    """The gutskin questionnaire as a FHIR Questionnaire."""
    from ..knowledge.questionnaire import SCHEMA_VERSION, Questionnaire

    return {
        "resourceType": "Questionnaire", "id": rid, "url": QUESTIONNAIRE_URL, "version": SCHEMA_VERSION,
        "name": "GutskinQuestionnaire", "title": "gutskin questionnaire", "status": "active",
        "description": "What a stool report cannot see (docs/questionnaire-schema.json). Every answer is optional.",
        "code": [codes.coding("gutskin", "gutskin-questionnaire")], "subjectType": ["Patient"],
        "item": [_item_for(n, f, "") for n, f in Questionnaire.model_fields.items() if n != "schema_version"],
    }


def _answer(item: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = item["type"]
    if kind == "choice":
        return {"valueCoding": codes.coding("gutskin-answer", str(value))}
    if kind == "boolean":
        return {"valueBoolean": bool(value)}
    if kind == "integer":
        return {"valueInteger": int(value)}
    if kind == "decimal":
        return {"valueDecimal": float(value)}
    return {"valueString": str(value)}


def _response_items(items: list[dict[str, Any]], data: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        name = item["linkId"].rsplit(".", 1)[-1]
        if name not in data:
            continue
        value = data[name]
        if item["type"] == "group":
            if item.get("repeats") and not value:  # answered with an empty list: the item alone says so
                out.append({"linkId": item["linkId"]})
            for one in value if item.get("repeats") else [value]:
                children = _response_items(item["item"], one)
                out.append({"linkId": item["linkId"], **({"item": children} if children else {})})
        elif item.get("repeats"):
            out.append({"linkId": item["linkId"], **({"answer": [_answer(item, v) for v in value]} if value else {})})
        else:
            out.append({"linkId": item["linkId"], "answer": [_answer(item, value)]})
    return out


def questionnaire_response(q: Any, rid: str, subject: str, authored: str) -> dict[str, Any]:
    """A questionnaire's answers as a QuestionnaireResponse of :func:`questionnaire_resource`."""
    data = q.model_dump(mode="json", exclude_none=True)
    form = questionnaire_resource("form")
    return {
        "resourceType": "QuestionnaireResponse", "id": rid,
        "questionnaire": f"{QUESTIONNAIRE_URL}|{form['version']}", "status": "completed",
        "subject": {"reference": subject}, "authored": authored,
        "item": _response_items(form["item"], data),
    }


def _value_of(item: dict[str, Any], answer: dict[str, Any]) -> Any:
    if "valueCoding" in answer:
        return answer["valueCoding"]["code"]
    for key in ("valueBoolean", "valueInteger", "valueDecimal", "valueString", "valueDate"):
        if key in answer:
            return answer[key]
    raise InputError(f"questionnaire item {item.get('linkId')!r}: unsupported answer {sorted(answer)}")


def _data_from_items(form_items: list[dict[str, Any]], items: list[dict[str, Any]]) -> dict[str, Any]:
    by_link = {i["linkId"]: i for i in form_items}
    out: dict[str, Any] = {}
    for it in items:
        link = it.get("linkId")
        spec = by_link.get(link)
        if spec is None:
            raise InputError(f"QuestionnaireResponse item {link!r} is not in the gutskin questionnaire")
        name = link.rsplit(".", 1)[-1]
        if spec["type"] == "group":
            if spec.get("repeats"):
                group = out.setdefault(name, [])
                if it.get("item"):  # an item without children stands for an empty list
                    group.append(_data_from_items(spec["item"], it["item"]))
            else:
                out[name] = _data_from_items(spec["item"], it.get("item", []))
        elif spec.get("repeats"):
            out[name] = [_value_of(spec, a) for a in it.get("answer", [])]
        else:
            answers = it.get("answer", [])
            if len(answers) != 1:
                raise InputError(f"QuestionnaireResponse item {link!r}: expected one answer, got {len(answers)}")
            out[name] = _value_of(spec, answers[0])
    return out


def questionnaire_from_response(qr: dict[str, Any]) -> Any:
    """A gutskin Questionnaire from a QuestionnaireResponse of the gutskin questionnaire."""
    from ..knowledge.questionnaire import SCHEMA_VERSION, parse_questionnaire

    form = questionnaire_resource("form")
    data = {"schema_version": SCHEMA_VERSION, **_data_from_items(form["item"], qr.get("item", []))}
    return parse_questionnaire(data)


def questionnaire_yaml(q: Any) -> str:
    """The questionnaire as gutskin writes it: the answered fields in schema order, YAML."""
    import yaml

    return yaml.safe_dump(q.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)


# ------------------------------------------------------------------------------------------ the diary
def _diary_item(column: str, numeric: bool) -> dict[str, Any]:
    from ..trial.defaults import KNOWN_COLUMNS

    text = KNOWN_COLUMNS[column][2] if column in KNOWN_COLUMNS else column.replace("_", " ")
    if column in codes.DIARY_ITEMS:
        system, code, kind, _unit = codes.DIARY_ITEMS[column]
        item = {"linkId": column, "code": [codes.coding(system, code)], "text": text, "type": kind}
        if column in codes.EXTRACTED_DIARY_ITEMS:
            item = {"extension": [{"url": codes.SDC_OBSERVATION_EXTRACT, "valueBoolean": True}], **item}
        return item
    return {"linkId": column, "text": text, "type": "decimal" if numeric else "string"}


def diary_questionnaire(diary: Any, rid: str, food: str) -> dict[str, Any]:
    """The diary form for this diary's columns (column order kept, so the CSV comes back identical)."""
    frame = diary.frame
    items = [{"linkId": "date", "code": [codes.coding("gutskin", "diary-date")], "text": "Date", "type": "date",
              "required": True}]
    for col in diary.columns:
        items.append(_diary_item(col, frame[col].dtype.kind == "f"))
    return {
        "resourceType": "Questionnaire", "id": rid, "url": f"{DIARY_URL}-{rid}", "version": "1",
        "name": "GutskinTrialDiary", "title": f"Elimination trial diary: {food}", "status": "active",
        "code": [codes.coding("gutskin", "diary-day")], "subjectType": ["Patient"], "item": items,
    }


def diary_day_response(form: dict[str, Any], row: dict[str, Any], rid: str, subject: str,
                       careplan: str) -> dict[str, Any]:
    """One diary day (a row of the diary frame) as a QuestionnaireResponse of ``form``."""
    day = row["date"].isoformat()
    items = [{"linkId": "date", "answer": [{"valueDate": day}]}]
    for spec in form["item"][1:]:
        value = row[spec["linkId"]]
        if spec["type"] == "decimal":
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            items.append({"linkId": spec["linkId"], "answer": [{"valueDecimal": float(value)}]})
        elif isinstance(value, str) and value.strip():
            items.append({"linkId": spec["linkId"], "answer": [{"valueString": value}]})
    return {"resourceType": "QuestionnaireResponse", "id": rid, "questionnaire": f"{form['url']}|{form['version']}",
            "basedOn": [{"reference": careplan}], "status": "completed", "subject": {"reference": subject},
            "authored": day, "item": items}


def diary_frame_from_responses(form: dict[str, Any], responses: list[dict[str, Any]]) -> Any:
    """The diary frame (as :func:`gutskin.trial.load_diary` gives it) from the day responses of ``form``."""
    from datetime import date

    import pandas as pd

    specs = form["item"][1:]
    records: dict[str, list[Any]] = {"date": [], **{s["linkId"]: [] for s in specs}}
    for qr in responses:
        answers = {it["linkId"]: it.get("answer", []) for it in qr.get("item", [])}
        if "date" not in answers or len(answers["date"]) != 1:
            raise InputError(f"diary QuestionnaireResponse {qr.get('id')!r} has no date answer")
        records["date"].append(date.fromisoformat(answers["date"][0]["valueDate"]))
        for s in specs:
            got = answers.get(s["linkId"], [])
            if s["type"] == "decimal":
                records[s["linkId"]].append(float(got[0]["valueDecimal"]) if got else math.nan)
            else:
                records[s["linkId"]].append(got[0]["valueString"] if got else "")
    frame = pd.DataFrame(records)
    for s in specs:
        if s["type"] == "decimal":
            frame[s["linkId"]] = frame[s["linkId"]].astype(float)
    return frame.sort_values("date", kind="stable").reset_index(drop=True)
