"""Helpers for knowledge-base tests: a writable copy of the shipped knowledge base to break on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from gutskin.knowledge import DATA_DIR, load_kb


@pytest.fixture(scope="session")
def kb():
    return load_kb()


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(DATA_DIR, target)
    return target


def edit_yaml(path: Path, edit) -> None:
    """Load a YAML file, let ``edit`` change the data in place, and write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8")


def row(data: dict, key: str, row_id: str) -> dict:
    for item in data[key]:
        if item.get("id") == row_id or item.get("key") == row_id:
            return item
    raise KeyError(row_id)
