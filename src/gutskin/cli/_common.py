"""What every CLI command shares: settings from the environment, loaded resources, and reading the
person's own files (answers, trial plan and diary) before the engine runs."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..engine import Resources, Settings, configure_numba, default_resources


def face_settings() -> Settings:
    """Settings from this process's environment (the CLI is a face: it may read the environment)."""
    return Settings.from_environ(os.environ)


def face_resources() -> Resources:
    settings = face_settings()
    configure_numba(settings)
    return default_resources(settings)


def load_answers(path: Path | None) -> Any:
    """The questionnaire at ``path`` (validated), or None."""
    if path is None:
        return None
    from ..knowledge.questionnaire import load_questionnaire

    return load_questionnaire(path)


def load_trial(files: tuple[Path, Path] | None) -> tuple[Any, Any] | None:
    """``(plan, diary)`` loaded and checked against each other, or None."""
    if files is None:
        return None
    from ..trial import load_diary, load_plan

    plan = load_plan(files[0])
    return plan, load_diary(files[1], plan)


def report_time() -> str:
    """Now in UTC (ISO 8601, seconds), or ``SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")
