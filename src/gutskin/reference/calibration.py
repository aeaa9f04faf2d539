"""What the placement study (``scripts/placement_study.py``) found for each shipped reference, applied to reports.

A feature is *placed* against a reference only if, among independent healthy people tested against it, neither tail
(low or absent; high) held more than ``max_toward`` (40 %) of them — nominal is 25 %. A condition's lean is
*calibrated* only if healthy people's median lean (over placed features) was within ``max_median_lean`` of 0.
References the study did not cover (lab-built ones) are "not studied": placed as measured, and said so.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def table() -> dict[str, Any]:
    path = resources.files(__package__).joinpath("data/calibration.json")
    if not path.is_file():
        return {"references": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def feature(reference: str, feature_id: str) -> dict[str, Any] | None:
    """``{"low": share, "high": share, "placed": bool}`` for a feature against a shipped reference, or ``None``."""
    ref = table()["references"].get(reference)
    if ref is None:
        return None
    return ref["features"].get(feature_id)


def lean(reference: str, condition: str) -> dict[str, Any]:
    """``{"status": calibrated | not_calibrated | not_studied, "healthy_median", "tested_with", "people"}``."""
    ref = table()["references"].get(reference)
    if ref is None or condition not in ref.get("lean", {}):
        return {"status": "not_studied", "healthy_median": None, "tested_with": None, "people": None}
    entry = ref["lean"][condition]
    return {"status": "calibrated" if entry["calibrated"] else "not_calibrated", "healthy_median": entry["median"],
            "tested_with": ref["tested_with"], "people": ref["people"]}


def studied(reference: str) -> bool:
    return reference in table()["references"]
