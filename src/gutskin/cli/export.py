"""``gutskin export --fhir``: one person's results as a FHIR R4 Bundle (see docs/fhir.md)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..errors import InputError
from . import app


@app.command("export")
def export_cmd(
    fhir: Path = typer.Option(..., "--fhir", metavar="TEST",
                              help="The profile file (any supported format) to export as a FHIR R4 Bundle."),
    output: Path = typer.Option(..., "-o", "--output", help="Bundle file to write (.json)."),
    questionnaire: Path | None = typer.Option(None, "--questionnaire", "-q",
                                              help="Your answers (YAML or JSON), exported as a QuestionnaireResponse."),
    trial: tuple[Path, Path] | None = typer.Option(None, "--trial", metavar="PLAN DIARY",
                                                   help="An elimination-trial plan and its diary: a CarePlan and one "
                                                        "QuestionnaireResponse per diary day."),
    reference: str | None = typer.Option(None, "--reference", "-r",
                                         help="Healthy reference by name (see 'gutskin reference list')."),
    sample: str | None = typer.Option(None, "--sample", "-s", help="The sample to export (for a merged table)."),
    no_pdf: bool = typer.Option(False, "--no-pdf", help="Leave the PDF out of DiagnosticReport.presentedForm."),
    issued: str | None = typer.Option(None, "--issued", help="Export time to record (ISO 8601 UTC; default now)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Input format, overriding detection."),
) -> None:
    """Write one FHIR R4 Bundle: DiagnosticReport (with the HTML and PDF report), one Observation per result,
    the questionnaire and trial diary as QuestionnaireResponses, the trial as a CarePlan, and the gutskin
    CodeSystems. Every resource is validated before the file is written."""
    from ..export import export_fhir
    from ..export.validate import check_bundle
    from ..io import write_atomic

    trial_files = tuple(trial) if trial and all(trial) else None
    for p in (fhir, questionnaire, *(trial_files or ())):
        if p is not None and not Path(p).is_file():
            raise InputError("file not found", p)
    if not output.parent.is_dir():
        raise InputError("the output folder does not exist", output.parent)
    bundle = export_fhir(fhir, questionnaire=questionnaire, trial=trial_files, reference=reference, sample=sample,
                         issued=issued, pdf=not no_pdf, fmt=fmt)
    problems = check_bundle(bundle)
    if problems:  # a bug in the export, never the user's input: refuse to write an invalid Bundle
        raise RuntimeError(f"the FHIR Bundle failed validation ({len(problems)} problems; first: {problems[0]})")
    write_atomic(output, json.dumps(bundle, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
    typer.echo(f"wrote {output} (FHIR R4 Bundle, {len(bundle['entry'])} resources)", err=True)
