"""Data freedom: every result out of gutskin in open formats, and back in.

* :func:`export_fhir` — one person's results as a FHIR R4 Bundle (see ``docs/fhir.md``);
* :func:`gutskin.export.fhir_import.import_bundle` — the diary CSV and questionnaire YAML back from a Bundle;
* :func:`gutskin.export.validate.check_bundle` — structural checks beyond the resource models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .fhir import build_bundle
from .source import ExportInput, gather


def export_fhir(profile: str | Path, *, questionnaire: str | Path | None = None,
                trial: tuple[str | Path, str | Path] | None = None, reference: str | None = None,
                sample: str | None = None, issued: str | None = None, pdf: bool = True,
                fmt: str | None = None) -> dict[str, Any]:
    """The FHIR R4 Bundle (JSON-ready dict) for one sample of ``profile`` with its questionnaire and trial."""
    return build_bundle(gather(profile, questionnaire=questionnaire, trial=trial, reference=reference, sample=sample,
                               issued=issued, pdf=pdf, fmt=fmt))


__all__ = ["ExportInput", "build_bundle", "export_fhir", "gather"]
