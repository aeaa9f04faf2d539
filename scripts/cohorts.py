"""The cohort loaders for scripts run from this folder (``import cohorts``, beside ``healthy_sets``).

They live in ``tests/cohorts.py``, outside the shipped package: the data they read carry no licence to ship.
This module puts the repository root on ``sys.path`` and stands for that module.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.modules[__name__] = importlib.import_module("tests.cohorts")
