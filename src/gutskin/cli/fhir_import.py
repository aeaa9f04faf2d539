"""``gutskin import --fhir``: the questionnaire and trial diary back out of a FHIR Bundle."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app


@app.command("import")
def import_cmd(
    fhir: Path = typer.Option(..., "--fhir", metavar="BUNDLE", help="A FHIR R4 Bundle (JSON), e.g. from "
                                                                     "'gutskin export --fhir'."),
    output: Path = typer.Option(Path("."), "-o", "--output", help="Folder to write questionnaire.yaml and diary.csv "
                                                                  "into (default: the current folder)."),
) -> None:
    """Recreate questionnaire.yaml and diary.csv from a Bundle's QuestionnaireResponses, exactly as gutskin
    writes them."""
    from ..export.fhir_import import import_bundle

    for path in import_bundle(fhir, output):
        typer.echo(f"wrote {path}", err=True)
