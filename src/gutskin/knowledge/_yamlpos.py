"""Line numbers for YAML paths, so validation errors can point at the offending line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from ..errors import InputError


def read_yaml_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=path) from None


def node_at(text: str, loc: Sequence[str | int]) -> yaml.Node | None:
    """The deepest YAML node reached by following ``loc`` (mapping keys and sequence indexes)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for key_node, value_node in node.value:
                if str(key_node.value) == str(step):
                    nxt = value_node
                    break
            if nxt is None:
                return node
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
        else:
            return node
    return node


def line_of(text: str | None, loc: Sequence[str | int]) -> int | None:
    """1-based line where ``loc`` starts in ``text`` (or its nearest existing parent), or None."""
    if text is None:
        return None
    node = node_at(text, loc)
    return None if node is None else node.start_mark.line + 1
