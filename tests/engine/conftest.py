"""Shared inputs for the engine tests: the shipped example, read once."""

from __future__ import annotations

from pathlib import Path

import pytest

import gutskin

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "SRR1761667_metaphlan.txt"
QUESTIONNAIRE = ROOT / "examples" / "questionnaire.yaml"


@pytest.fixture(scope="session")
def example_profile():
    return gutskin.read(EXAMPLE)


@pytest.fixture(scope="session")
def resources():
    from gutskin.engine import default_resources

    return default_resources()
