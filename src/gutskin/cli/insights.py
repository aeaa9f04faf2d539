"""``gutskin insights``: skin panels and recommendations for one sample (a face over the engine's analysis)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..engine import analyse
from ..errors import InputError
from . import app
from ._common import face_resources, load_answers

SYMBOL = {"toward": "▲ toward", "away": "▽ away", "neither": "· typical", "no_direction": "≠ mixed evidence",
          "unknown": "? not measured"}
DISCLAIMER = ("gutskin describes how a stool profile compares with healthy people and with published research "
              "groups. It does not diagnose any condition, and a stool profile cannot show what causes a skin "
              "problem. Talk to a clinician about symptoms and before changing treatment.")


def _pct(p: float | None) -> str:
    return "" if p is None else f"{100 * p:.0f}th pct"


@app.command()
def insights(
    file: Path = typer.Argument(..., help="A profile file (any supported format)."),
    questionnaire: Path | None = typer.Option(None, "--questionnaire", "-q", help="Questionnaire (YAML/JSON)."),
    sample: str | None = typer.Option(None, "--sample", help="Sample to analyse when the file holds several."),
    reference: str | None = typer.Option(None, "--reference", help="Pin a reference (see 'gutskin reference list')."),
    condition: list[str] = typer.Option([], "--condition", "-c", help="Condition(s) to show (default: from the "
                                        "questionnaire, else all with gut evidence)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the engine's analysis of the sample)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Input format, overriding detection."),
    taxonomy: Path | None = typer.Option(None, "--taxonomy", help="The taxonomy of a QIIME 2 / BIOM feature table "
                                         "(taxonomy.qza or taxonomy.tsv); the profile is then read as 16S."),
) -> None:
    """Which of this sample's gut findings have human evidence for a skin condition, graded and cited."""
    from ..readers import read, read_many

    resources = face_resources()
    profile = read_many([file, taxonomy], fmt) if taxonomy is not None else read(file, fmt)
    if sample is None and profile.n_samples != 1:
        raise InputError(f"the input holds {profile.n_samples} samples; name one with --sample "
                         f"(e.g. {profile.samples[0]!r})", field="--sample")
    a = analyse(profile, resources, questionnaires=load_answers(questionnaire), reference=reference,
                samples=[sample] if sample else None, conditions=condition or None, input_name=Path(file).name)[0]
    if as_json:
        out = {"schema_version": a.schema_version, "sample": a.sample,
               "sanity": [c.model_dump(mode="json") for c in a.sanity],
               "reference": a.provenance.reference.model_dump(mode="json") if a.provenance.reference else None,
               "reference_status": a.reference_part.model_dump(mode="json"), "gate": a.gate.model_dump(mode="json"),
               "panels": [p.model_dump(mode="json") for p in a.skin.panels],
               "measurements": {k: m.model_dump(mode="json") for k, m in a.skin.measurements.items()},
               "recommendations": [r.model_dump(mode="json") for r in a.recommendations],
               "kb_version": a.provenance.kb_version, "disclaimer": DISCLAIMER}
        typer.echo(json.dumps(out, indent=2))
        return
    kb = resources.knowledge
    console = Console()
    if a.sanity:  # the sample checks come first, as in the report
        from ..report.build import sanity_words

        for c in a.sanity:
            headline, detail = sanity_words(c)
            style = "bold red" if c.severity == "stop" else "bold yellow"
            console.print(f"[{style}]sample check:[/{style}] {escape(headline)}")
            console.print(f"  {escape(detail)}")
    ref = a.provenance.reference
    if ref is None:
        console.print(f"[bold]Sample {a.sample}[/bold]: no reference comparison ({a.reference_part.reason})")
    else:
        console.print(f"[bold]Sample {a.sample}[/bold] compared with [bold]{ref.title}[/bold] "
                      f"({ref.n:,} people, {ref.profiler} {ref.profiler_version or ''})")
        for c in ref.caveats:
            console.print(f"[yellow]caveat:[/yellow] {c}")
    for panel in a.skin.panels:
        cond = kb.condition(panel.condition)
        console.rule(f"{cond.name} — gut evidence overall: {panel.gut_evidence.replace('_', ' ')}")
        if panel.score is not None and panel.interval is not None:
            console.print(f"lean {panel.score:+.2f} (90 % interval {panel.interval[0]:+.2f} to "
                          f"{panel.interval[1]:+.2f}); counts {panel.counts}")
        table = Table(show_edge=False, box=None, pad_edge=False)
        for col in ("you vs patients", "finding", "grade", "in patients", "you"):
            table.add_column(col, overflow="fold")
        for item in panel.items:
            m = a.skin.measurements[item.feature]
            you = m.status.replace("_", " ") + (f" ({_pct(m.percentile)})" if m.percentile is not None else "")
            table.add_row(SYMBOL[item.alignment], kb.feature(item.feature).display_name,
                          item.grade + (" conflict" if item.conflict else ""), item.direction.replace("_", " "), you)
        console.print(table)
    console.rule("Elimination-trial safety gate")
    console.print(("open: " if a.gate.ok else "[bold red]closed:[/bold red] ") + a.gate.advice)
    console.rule("Recommendations")
    for r in a.recommendations[:10]:
        console.print(f"[bold]{r.title}[/bold] (evidence {r.grade})")
        console.print(f"  {r.text}")
        for s in r.safety_notes:
            console.print(f"  [yellow]safety:[/yellow] {s}")
    console.print()
    console.print(f"[dim]{DISCLAIMER}[/dim]")
