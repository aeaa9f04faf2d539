"""``gutskin inspect`` and ``gutskin convert``: look at and standardise profile files."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import InputError
from ..readers import FORMATS, read, read_many
from ..taxonomy.ranks import RANKS
from . import app

ABBREV = {"domain": "dom", "phylum": "phy", "class": "cls", "order": "ord", "family": "fam", "genus": "gen",
          "species": "spp", "strain": "str"}
FORMAT_HELP = "Input format, overriding detection from content. One of: " + ", ".join(sorted(FORMATS)) + "."


def _read_inputs(files: list[Path], fmt: str | None):
    """All inputs merged, with a progress line on a terminal (large tables take a while)."""
    console = Console(stderr=True)
    if not console.is_terminal:
        return read_many(files, fmt)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("reading {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task("", total=len(files))
        started = []

        def on_file(path: Path | None) -> None:  # called as each file starts: the previous one is done
            progress.update(task, completed=len(started), description=escape(Path(path).name if path else ""))
            started.append(path)

        return read_many(files, fmt, on_file=on_file)


def describe(path: Path, fmt: str | None) -> list[dict]:
    """Facts about each sample of one input file, as plain data (what ``inspect --json`` prints)."""
    profile = read(path, fmt, allow_empty=True)  # an all-unclassified run is shown (100 % unclassified)
    per_rank = profile.taxa_per_rank()
    out = []
    for i, name in enumerate(profile.samples):
        info = profile.info[i]
        out.append({
            "file": str(path),
            "format": info.format,
            "profiler": info.profiler,
            "profiler_version": info.profiler_version,
            "database": info.database,
            "method": info.method,
            "sample": name,
            "values": info.units,
            "unclassified_share": info.unclassified_share,
            "taxa_per_rank": {r: int(per_rank[r][i]) for r in RANKS if r in per_rank},
            "warnings": list(info.extra.get("warnings", [])),
        })
    return out


@app.command()
def inspect(
    files: list[Path] = typer.Argument(..., help="Profile files (any supported format; .gz/.bz2 fine)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
) -> None:
    """Show what a profile file holds: format, database, samples, taxa per rank, unclassified share."""
    records = [rec for f in files for rec in describe(f, fmt)]
    if as_json:
        typer.echo(json.dumps(records, indent=2))
        return
    console = Console(highlight=False)  # file, sample and database names are shown as written
    for path in files:
        recs = [r for r in records if r["file"] == str(path)]
        first = recs[0]
        version = f" {first['profiler_version']}" if first["profiler_version"] else ""
        console.print(f"[bold]{escape(str(path))}[/bold]")
        console.print(escape(f"  format    {first['format']}  ({first['profiler'] or 'unknown profiler'}{version})"))
        console.print(escape(f"  database  {first['database'] or 'not stated in the file'}"))
        console.print(f"  method    {first['method']}    values: {first['values']}")
        console.print(f"  samples   {len(recs)}")
        table = Table(show_edge=False, pad_edge=False, box=None)
        table.add_column("sample", no_wrap=True, overflow="ellipsis", max_width=32)
        ranks = [r for r in RANKS if any(r in rec["taxa_per_rank"] for rec in recs)]
        for r in ranks:
            table.add_column(ABBREV[r], justify="right")
        table.add_column("unclass.", justify="right")
        for rec in recs[:50]:
            share = rec["unclassified_share"]
            table.add_row(escape(rec["sample"]), *[str(rec["taxa_per_rank"].get(r, "")) for r in ranks],
                          "not reported" if share is None else f"{share:.1%}")
        console.print("  taxa per rank (" + ", ".join(f"{ABBREV[r]} = {r}" for r in ranks) + ")")
        console.print(table)
        if len(recs) > 50:
            console.print(f"  … and {len(recs) - 50} more samples (use --json for all)")
        for w in first["warnings"]:
            console.print(f"  [yellow]warning:[/yellow] {escape(w)}")


@app.command()
def convert(
    files: list[Path] = typer.Argument(..., help="Profile files; several are merged into one table."),
    out: Path = typer.Option(..., "-o", "--output", help="Output file."),
    rank: str | None = typer.Option(None, "--rank", "-r", help="Only this rank: " + ", ".join(RANKS) + "."),
    to: str | None = typer.Option(None, "--to", help="tsv, csv, parquet or biom (default: from the extension)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=FORMAT_HELP),
) -> None:
    """Write the standard long table (sample, rank, name, taxid, lineage, count, relative_abundance).

    relative_abundance is the taxon's share of the sample's classified total at its rank: unclassified
    rows are left out of the denominator, so within a sample and rank the values sum to 1.
    """
    from ..writers import write_profile

    if rank is not None and rank not in RANKS:
        raise InputError(f"unknown rank {rank!r}; expected one of {', '.join(RANKS)}", field="--rank")
    profile = _read_inputs(files, fmt)
    n_rows = write_profile(profile, out, to=to, rank=rank)
    typer.echo(f"wrote {out}: {profile.n_samples} samples, {n_rows} rows", err=True)
