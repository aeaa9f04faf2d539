"""``gutskin insights``: skin panels and recommendations for one sample."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from . import app

SYMBOL = {"toward": "▲ toward", "away": "▽ away", "neither": "· typical", "no_direction": "≠ mixed evidence",
          "unknown": "? not measured"}


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
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Input format, overriding detection."),
) -> None:
    """Which of this sample's gut findings have human evidence for a skin condition, graded and cited."""
    from ..insights.analysis import analyze
    from ..knowledge.questionnaire import load_questionnaire
    from ..readers import read

    profile = read(file, fmt)
    q = load_questionnaire(questionnaire) if questionnaire else None
    result = analyze(profile, q, sample=sample, reference=reference, conditions=condition or None)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    console = Console()
    ref = result.reference
    console.print(f"[bold]Sample {result.sample}[/bold] compared with [bold]{ref['title']}[/bold] "
                  f"({ref['n']:,} people, {ref['profiler']} {ref['profiler_version'] or ''})")
    for c in result.caveats:
        console.print(f"[yellow]caveat:[/yellow] {c}")
    for panel in result.panels:
        console.rule(f"{panel.name} — gut evidence overall: {panel.gut_evidence.replace('_', ' ')}")
        console.print(panel.statement)
        table = Table(show_edge=False, box=None, pad_edge=False)
        for col in ("you vs patients", "finding", "grade", "in patients", "you"):
            table.add_column(col, overflow="fold")
        for item in panel.items:
            m = item.measurement
            you = m.status.replace("_", " ") + (f" ({_pct(m.percentile)})" if m.percentile is not None else "")
            table.add_row(SYMBOL[item.alignment], item.name, item.grade + (" conflict" if item.conflict else ""),
                          item.direction.replace("_", " "), you)
        console.print(table)
        for n in panel.notes:
            console.print(f"[dim]note: {n}[/dim]")
    console.rule("Recommendations")
    for r in result.recommendations[:10]:
        console.print(f"[bold]{r.title}[/bold] (evidence {r.grade}: {r.grade_label})")
        console.print(f"  {r.text}")
        for s in r.safety_notes:
            console.print(f"  [yellow]safety:[/yellow] {s}")
    console.print()
    console.print(f"[dim]{result.disclaimer}[/dim]")
