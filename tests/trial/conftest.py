"""Shared helpers for the trial tests: a standard plan and diaries written to temporary files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gutskin.trial import make_plan, save_plan
from gutskin.trial.plan import Plan


@pytest.fixture
def plan() -> Plan:
    """Eczema defaults: ABA 14/28/14 from 2026-01-05 (baseline to 01-18, elimination to 02-15, reintro to 03-01)."""
    return make_plan("dairy", "eczema", "2026-01-05")


@pytest.fixture
def plan_path(plan: Plan, tmp_path: Path) -> Path:
    return save_plan(plan, tmp_path / "plan.json")


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def frame_to_csv(frame: pd.DataFrame, path: Path) -> Path:
    out = frame.copy()
    out["date"] = [d.isoformat() for d in out["date"]]
    out.to_csv(path, index=False)
    return path
