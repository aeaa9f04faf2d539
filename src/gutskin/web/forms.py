"""The questionnaire as an HTML form, generated from its pydantic schema (``gutskin.knowledge.questionnaire``).

Nothing here names a question: new fields in the schema appear in the form by themselves. Every answer is
optional; an empty input means "not answered". Lists of sub-records (skin conditions, past reactions) get a few
numbered slots.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from ..errors import InputError
from ..knowledge.questionnaire import Questionnaire, parse_questionnaire

LIST_SLOTS = 3  # blank records offered for a list of sub-records (beyond those already answered, at most this many)


@dataclass
class Widget:
    name: str  # dotted form name, e.g. "diet.plant_types_per_week" or "skin.conditions.0.severity"
    label: str
    kind: str  # yesno | choice | number | text | choices | lines
    help: str | None = None
    options: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    step: str = "any"
    required: bool = False  # required within a sub-record only (e.g. a condition's name)
    value: Any = None


@dataclass
class Group:
    name: str
    title: str
    widgets: list[Widget] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)


_UNITS = {"cm": "(cm)", "kg": "(kg)", "0_10": "(0–10)"}
_ACRONYMS = {"bmi": "BMI", "ige": "IgE"}


def _label(name: str) -> str:
    for suffix, unit in _UNITS.items():
        if name.endswith("_" + suffix):
            name = name[: -len(suffix) - 1] + " " + unit
    words = [_ACRONYMS.get(w, w) for w in name.replace("_", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _strip_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _unannotate(annotation: Any) -> tuple[Any, list[Any]]:
    if typing.get_origin(annotation) is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        return base, meta
    return annotation, []


def _bounds(meta: list[Any], info: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in [*meta, *getattr(info, "metadata", [])]:
        for attr in ("ge", "gt"):
            if getattr(m, attr, None) is not None:
                lo = getattr(m, attr)
        for attr in ("le", "lt"):
            if getattr(m, attr, None) is not None:
                hi = getattr(m, attr)
    return lo, hi


def _widget(name: str, fname: str, info: Any, value: Any, slots: dict[str, int] | None) -> Widget | Group | list[Group]:
    ann = _strip_optional(info.annotation)
    ann, meta = _unannotate(_strip_optional(ann))
    ann = _strip_optional(ann)
    ann, meta2 = _unannotate(ann)
    meta = meta + meta2
    help_ = info.description
    origin = typing.get_origin(ann)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return build_group(ann, name, _label(fname), value, slots)
    if origin is list:
        (item,) = typing.get_args(ann)
        item = _strip_optional(item)
        if isinstance(item, type) and issubclass(item, BaseModel):
            existing = list(value or [])
            n = (slots or {}).get(name) if slots is not None else (len(existing) + 1 if existing else LIST_SLOTS - 1)
            groups = []
            for i in range(min(n or 0, 50)):
                rec = existing[i] if i < len(existing) else None
                groups.append(build_group(item, f"{name}.{i}", f"{_label(fname)} {i + 1}", rec, slots))
            return groups
        if typing.get_origin(item) is Literal:
            return Widget(name, _label(fname), "choices", help_, [str(o) for o in typing.get_args(item)],
                          value=list(value or []))
        return Widget(name, _label(fname), "lines", (help_ or "") + " One per line.", value="\n".join(value or []))
    if ann is bool:
        return Widget(name, _label(fname), "yesno", help_, value=value)
    if origin is Literal:
        return Widget(name, _label(fname), "choice", help_, [str(o) for o in typing.get_args(ann)], value=value,
                      required=info.is_required())
    if ann in (int, float):
        lo, hi = _bounds(meta, info)
        return Widget(name, _label(fname), "number", help_, minimum=lo, maximum=hi,
                      step="1" if ann is int else "any", value=value, required=info.is_required())
    return Widget(name, _label(fname), "text", help_, value=value, required=info.is_required())


def build_group(model: type[BaseModel], prefix: str, title: str, values: Any,
                slots: dict[str, int] | None = None) -> Group:
    g = Group(prefix, title)
    for fname, info in model.model_fields.items():
        if fname == "schema_version":
            continue
        name = f"{prefix}.{fname}" if prefix else fname
        value = getattr(values, fname, None) if values is not None else None
        w = _widget(name, fname, info, value, slots)
        if isinstance(w, Widget):
            g.widgets.append(w)
        elif isinstance(w, Group):
            g.groups.append(w)
        else:
            g.groups.extend(w)
    return g


def questionnaire_form(current: Questionnaire | None, slots: dict[str, int] | None = None) -> Group:
    return build_group(Questionnaire, "", "Questionnaire", current, slots)


# ------------------------------------------------------------------------------------------ parsing
def _convert(w: Widget, raw: list[str]) -> Any:
    vals = [r.strip() for r in raw if isinstance(r, str)]
    if w.kind == "choices":
        return [v for v in vals if v] or None
    v = vals[-1] if vals else ""
    if w.kind == "lines":
        items = [line.strip() for line in v.splitlines() if line.strip()]
        return items or None
    if v == "":
        return None
    if w.kind == "yesno":
        if v not in ("yes", "no"):
            raise InputError(f"expected yes, no or empty, got {v!r}", field=w.name)
        return v == "yes"
    if w.kind == "number":
        try:
            num = float(v.replace(",", "."))
        except ValueError:
            raise InputError(f"expected a number, got {v!r}", field=w.name) from None
        if w.step == "1":
            if num != int(num):
                raise InputError(f"expected a whole number, got {v!r}", field=w.name)
            return int(num)
        return num
    if w.kind == "choice" and v not in w.options:
        raise InputError(f"value {v!r} is not allowed: expected one of {', '.join(w.options)}", field=w.name)
    return v


def _collect(group: Group, form: Any) -> dict[str, Any] | list | None:
    out: dict[str, Any] = {}
    for w in group.widgets:
        value = _convert(w, form.getlist(w.name))
        if value is not None:
            out[w.name.rsplit(".", 1)[-1]] = value
    lists: dict[str, list] = {}
    for sub in group.groups:
        last = sub.name.rsplit(".", 1)[-1]
        sub_values = _collect(sub, form)
        if last.isdigit():  # a slot of a list of records
            key = sub.name.rsplit(".", 2)[-2]
            lists.setdefault(key, [])
            if sub_values:
                lists[key].append(sub_values)
        elif sub_values:
            out[last] = sub_values
    for key, items in lists.items():
        if items:
            out[key] = items
    return out or None


def parse_form(form: Any) -> dict[str, Any]:
    """The answers in a submitted form as questionnaire data, validated by the schema (InputError when not)."""
    slots: dict[str, int] = {}
    for key in form:
        parts = key.split(".")
        for i, part in enumerate(parts):
            if part.isdigit():
                base = ".".join(parts[:i])
                slots[base] = max(slots.get(base, 0), int(part) + 1)
    data = _collect(questionnaire_form(None, slots), form) or {}
    parse_questionnaire(data)  # the schema's own checks (ranges, allowed values, required keys in records)
    return data
