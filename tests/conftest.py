"""Shared test fixtures: where the real data lives.

``../shared`` sits beside the project root (developers and CI alike). Tests read the real files there;
nothing in it is copied into the package.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
DATA = SHARED / "data"


def fixture(relpath: str) -> Path:
    path = FIXTURES / relpath
    if not path.exists():
        raise FileNotFoundError(f"missing real fixture {path}; is ../shared beside the project?")
    return path


def data(relpath: str) -> Path:
    path = DATA / relpath
    if not path.exists():
        raise FileNotFoundError(f"missing real data {path}; is ../shared beside the project?")
    return path


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def data_dir() -> Path:
    return DATA
