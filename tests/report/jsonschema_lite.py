"""A small JSON Schema checker for the keywords the report schema uses (jsonschema is not a dependency).

Covers: type, properties, required, additionalProperties, items, $ref (local), anyOf, enum, const. Returns
a list of problems, each with the JSON path where it was found, so a test failure says exactly what broke.
"""

from __future__ import annotations

from typing import Any

_TYPES = {
    "object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
}


def _is_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def _resolve(root: dict, ref: str) -> dict:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref is supported, not {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def problems(value: Any, schema: dict, root: dict | None = None, path: str = "$") -> list[str]:
    root = root if root is not None else schema
    if "$ref" in schema:
        return problems(value, _resolve(root, schema["$ref"]), root, path)
    out: list[str] = []
    if "anyOf" in schema:
        if not any(not problems(value, s, root, path) for s in schema["anyOf"]):
            out.append(f"{path}: matches none of anyOf")
        return out
    if "const" in schema and value != schema["const"]:
        out.append(f"{path}: expected {schema['const']!r}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} not in {schema['enum']}")
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_is_type(value, k) for k in kinds):
            return [*out, f"{path}: expected {kind}, got {type(value).__name__}"]
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{path}: missing required {key!r}")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                out.extend(problems(item, props[key], root, f"{path}.{key}"))
            elif extra is False:
                out.append(f"{path}: unexpected property {key!r}")
            elif isinstance(extra, dict):
                out.extend(problems(item, extra, root, f"{path}.{key}"))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out.extend(problems(item, schema["items"], root, f"{path}[{i}]"))
    return out
