"""``gutskin reference``: list shipped and lab-built references, build new ones from a cohort."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console

from ..errors import InputError
from . import app

reference_app = typer.Typer(help="Healthy reference cohorts: list them, or build your own.", no_args_is_help=True)
app.add_typer(reference_app, name="reference")

TRUE_WORDS = {"1", "true", "yes", "y", "healthy", "control", "t"}


@reference_app.command("list")
def list_references(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show installed references with their size, method and source."""
    from .. import reference

    rows = []
    for name, (path, origin) in reference.paths().items():
        ref = reference.load(name)
        rows.append({**ref.describe(), "origin": origin, "path": str(path), "metrics": sorted(ref.metrics),
                     "taxa": {rank: len(t) for rank, t in ref.taxa.items()}})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    console = Console()
    for r in rows:
        size = f"{r['n']:,} people" + (" (small: used only when chosen with --reference)" if r["small"] else "")
        profiler = f"{r['profiler']} {r['profiler_version'] or ''}".strip()
        console.print(f"[bold]{r['name']}[/bold] ({r['origin']})")
        console.print(f"  {r['title']}")
        console.print(f"  {size} · {profiler} · {r['database'] or 'database not stated'} · {r['method']}")
        if r["countries"]:
            top = sorted(r["countries"].items(), key=lambda kv: -kv[1])[:6]
            console.print("  countries: " + ", ".join(f"{c} {n}" for c, n in top))
        console.print(f"  healthy means: {r['healthy_definition']}")
        console.print(f"  source: {r['source']}")
        console.print(f"  licence: {r['licence']}")
        console.print()


def _read_metadata(path: Path) -> pd.DataFrame:
    from ..io import read_text

    text = read_text(path)
    sep = "\t" if text.split("\n", 1)[0].count("\t") >= text.split("\n", 1)[0].count(",") else ","
    import io

    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise InputError(f"cannot parse as a table: {exc}", path) from None
    if frame.empty:
        raise InputError("the metadata table has no rows", path)
    return frame


@reference_app.command("build")
def build(
    inputs: list[Path] = typer.Argument(..., help="Profile files of the cohort (any supported format)."),
    name: str = typer.Option(..., "--name", help="Short name to install the reference under."),
    metadata: Path = typer.Option(..., "--metadata", help="Table (TSV/CSV) with one row per sample."),
    healthy_column: str = typer.Option(..., "--healthy-column", help="Metadata column saying who is healthy."),
    healthy_value: list[str] = typer.Option([], "--healthy-value",
                                            help="Value(s) meaning healthy (default: true/yes/1/healthy/control)."),
    sample_column: str | None = typer.Option(None, "--sample-column", help="Sample id column (default: first)."),
    country_column: str | None = typer.Option(None, "--country-column", help="Column with the country, if any."),
    title: str | None = typer.Option(None, "--title", help="A readable title."),
    source: str = typer.Option("", "--source", help="Where the data came from."),
    licence: str = typer.Option("unknown", "--licence", help="Licence of the source data."),
    citation: str = typer.Option("", "--citation", help="Paper or dataset citation."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here instead of installing."),
    force: bool = typer.Option(False, "--force", help="Replace an installed reference of the same name."),
) -> None:
    """Build a reference from your own cohort's healthy samples (only summaries are stored)."""
    from .. import reference
    from ..readers import read_many

    profile = read_many(inputs)
    meta = _read_metadata(metadata)
    id_col = sample_column or meta.columns[0]
    for col in filter(None, (id_col, healthy_column, country_column)):
        if col not in meta.columns:
            raise InputError(f"no column {col!r}; columns are {list(meta.columns)}", metadata, field=col)
    meta = meta.set_index(id_col)
    missing = [s for s in profile.samples if s not in meta.index]
    if missing:
        raise InputError(f"{len(missing)} samples have no metadata row, e.g. {missing[:3]}", metadata,
                         field=id_col)
    wanted = {v.lower() for v in healthy_value} or TRUE_WORDS
    labels = meta.loc[profile.samples, healthy_column].astype(str).str.strip().str.lower()
    healthy = labels.isin(wanted).to_numpy()
    countries = meta.loc[profile.samples, country_column].tolist() if country_column else None
    ref = reference.build_reference(
        profile, healthy, name=name, title=title, source=source or ", ".join(map(str, inputs)), licence=licence,
        citation=citation, healthy_definition=f"{healthy_column} in {sorted(wanted)}",
        countries=countries)
    if output:
        ref.save(output)
        where = output
    else:
        where = reference.install(ref, overwrite=force)
    typer.echo(f"built reference {name!r} from {ref.n} healthy of {profile.n_samples} samples → {where}", err=True)
