"""``gutskin cohort …``: ingest, score, report and compare cohorts of any size, locally or on a Dask cluster.

    gutskin cohort ingest PROFILES... -o COHORT_DIR
    gutskin cohort score COHORT_DIR -o scores.parquet [--workers N | --dask ADDRESS]
    gutskin cohort report COHORT_DIR -o FOLDER [--format html|pdf|json]
    gutskin cohort compare scores.parquet --metadata META.tsv --group COLUMN -o FOLDER
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..errors import InputError
from . import app as main_app

cohort_app = typer.Typer(
    help="Cohorts of any size: ingest profiles into a partitioned store, score them (process pool or Dask "
         "cluster), write reports, compare groups.",
    no_args_is_help=True,
)
main_app.add_typer(cohort_app, name="cohort")

_WORKERS_HELP = "Local worker processes (default: one per core; 1 runs in this process)."
_DASK_HELP = ("Run on an existing dask.distributed scheduler: tcp://HOST:PORT, or a scheduler file (*.json). "
              "gutskin starts no scheduler itself (see docs/cohort.md for SLURM with dask-jobqueue).")


def _progress(label: str) -> Progress:
    return Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                    TextColumn("{task.fields[note]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), transient=False)


def _check_cohort(folder: Path) -> None:
    """Bad input ends before any progress bar is drawn: one line, nothing else."""
    from ..cohort.store import CohortStore

    CohortStore(folder).manifest()


def _executor(workers: int | None, dask: str | None):
    from ..cohort.executors import Executor, default_workers

    if dask and workers is not None:
        raise InputError("give either --workers or --dask, not both", field="--dask")
    if workers is not None and workers < 1:
        raise InputError("--workers must be at least 1", field="--workers")
    return Executor(workers=default_workers() if workers is None else workers, dask=dask)


@cohort_app.command("ingest")
def ingest_cmd(
    inputs: list[Path] = typer.Argument(..., help="Profile files or merged tables, any format gutskin reads "
                                        "(a taxonomy.tsv / taxonomy .qza given alongside is attached)."),
    out: Path = typer.Option(..., "-o", "--output", help="Cohort folder (created; an existing one is resumed)."),
    partition_size: int = typer.Option(5000, "--partition-size", help="Samples per partition (the unit of work "
                                       "for scoring and reports)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Input format for every file, overriding "
                                   "detection."),
    workers: int | None = typer.Option(None, "--workers", "-w", help="Processes reading files in parallel "
                                       "(default: one per core)."),
) -> None:
    """Stream profiles into a partitioned long-format Parquet store with a samples table and a manifest.

    Memory stays bounded whatever the number of files; a merged MetaPhlAn
    table larger than a partition is read a partition at a time.
    Re-running the same command after a crash or Ctrl-C skips every
    partition already written; a half-written partition is never visible.
    Files that cannot be read are listed with their reason in
    COHORT_DIR/bad_files.tsv and the rest go on.
    """
    from ..cohort.executors import default_workers
    from ..cohort.ingest import ingest

    if workers is not None and workers < 1:
        raise InputError("--workers must be at least 1", field="--workers")
    with _progress("ingest") as progress:
        task = progress.add_task("ingest", total=len(inputs), note="")

        def tick(path: str, samples: int, files: int) -> None:
            progress.update(task, completed=files, note=f"{samples:,} samples")

        result = ingest(inputs, out, partition_size=partition_size, fmt=fmt, progress=tick,
                        workers=min(default_workers() if workers is None else workers, len(inputs)))
    resumed = f" ({result.skipped_samples:,} already there, skipped)" if result.skipped_samples else ""
    typer.echo(f"wrote {out}: {result.n_samples:,} samples in {result.n_partitions} partitions{resumed}", err=True)
    if result.bad:
        typer.echo(f"{len(result.bad)} file(s) could not be read; reasons in {out / 'bad_files.tsv'}", err=True)


@cohort_app.command("score")
def score_cmd(
    cohort: Path = typer.Argument(..., help="Cohort folder written by 'gutskin cohort ingest'."),
    out: Path = typer.Option(..., "-o", "--output", help="Scores table: .parquet (recommended), .tsv or .csv."),
    reference: str | None = typer.Option(None, "--reference", help="Reference for percentiles (see 'gutskin "
                                         "reference list'); default: the best method match per partition."),
    metrics: str = typer.Option("all", "--metrics", "-m", help="Metrics or groups, as for 'gutskin score'."),
    rank: str = typer.Option("species", "--rank", help="Rank for alpha diversity."),
    no_percentiles: bool = typer.Option(False, "--no-percentiles", help="Leave out reference percentiles."),
    intervals: bool = typer.Option(False, "--intervals", help="Add a 95 % Jeffreys interval to every percentile "
                                   "(about 2 µs per value)."),
    features: bool = typer.Option(False, "--features", help="Add the abundance of every knowledge-base taxon "
                                  "(kb.<feature> columns), for 'gutskin cohort compare'."),
    workers: int | None = typer.Option(None, "--workers", "-w", help=_WORKERS_HELP),
    dask: str | None = typer.Option(None, "--dask", help=_DASK_HELP),
    to: str | None = typer.Option(None, "--to", help="Output format (parquet, tsv, csv) when the name does not "
                                  "say."),
) -> None:
    """Score every sample: everything 'gutskin score' computes, plus reference percentiles.

    Work runs partition by partition in a local process pool or on a Dask cluster; an interrupted run resumes
    where it stopped.
    """
    from ..cohort.scoring import ScoreJob, score_cohort

    _check_cohort(cohort)
    executor = _executor(workers, dask)
    job = ScoreJob(str(cohort), metrics=metrics, rank=rank, reference=reference, percentiles=not no_percentiles,
                   intervals=intervals, features=features)
    with _progress("score") as progress:
        task = progress.add_task("score", total=None, note="")

        def tick(done: int, total: int, samples: int) -> None:
            progress.update(task, completed=done, total=total, note=f"{samples:,} samples")

        run = score_cohort(cohort, out, job=job, executor=executor, fmt=to, progress=tick)
    typer.echo(f"wrote {out}: {run.n_samples:,} samples from {run.n_partitions} partitions on {run.executor}",
               err=True)


@cohort_app.command("report")
def report_cmd(
    cohort: Path = typer.Argument(..., help="Cohort folder written by 'gutskin cohort ingest'."),
    out: Path = typer.Option(..., "-o", "--output", help="Folder for the reports (one file per sample)."),
    fmt: str = typer.Option("html", "--format", "-f", help="html, pdf or json."),
    reference: str | None = typer.Option(None, "--reference", help="Reference to compare with (see 'gutskin "
                                         "reference list'); default: the best method match."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N samples of the cohort."),
    workers: int | None = typer.Option(None, "--workers", "-w", help=_WORKERS_HELP),
    dask: str | None = typer.Option(None, "--dask", help=_DASK_HELP),
) -> None:
    """Write one report per sample (HTML, PDF or JSON), partition by partition, locally or on a Dask cluster.

    Reports already in the folder are kept, so an interrupted run resumes where it stopped.
    """
    from ..cohort.reports import ReportJob, report_cohort

    _check_cohort(cohort)
    if limit is not None and limit < 1:
        raise InputError("--limit must be at least 1", field="--limit")
    executor = _executor(workers, dask)
    job = ReportJob(str(cohort), fmt=fmt.lower(), reference=reference, limit=limit)
    with _progress("reports") as progress:
        task = progress.add_task("reports", total=None, note="")

        def tick(done: int, total: int, reports: int) -> None:
            progress.update(task, completed=done, total=total, note=f"{reports:,} reports")

        run = report_cohort(cohort, out, job=job, executor=executor, progress=tick)
    kept = f" ({run.n_skipped:,} already there, kept)" if run.n_skipped else ""
    typer.echo(f"wrote {run.n_reports:,} {fmt.upper()} reports to {out}/{kept} on {run.executor}", err=True)


@cohort_app.command("compare")
def compare_cmd(
    scores: Path = typer.Argument(..., help="Scores table from 'gutskin cohort score'."),
    metadata: Path = typer.Option(..., "--metadata", help="TSV/CSV with one row per sample; the first column "
                                  "(or --id-column) holds the sample names."),
    group: str = typer.Option(..., "--group", help="Metadata column that splits the samples into groups."),
    groups: str | None = typer.Option(None, "--groups", help="Two values of the column to compare, 'A,B' "
                                      "(needed when it has more than two)."),
    id_column: str | None = typer.Option(None, "--id-column", help="Metadata column with the sample names."),
    out: Path = typer.Option(..., "-o", "--output", help="Output folder: compare.tsv, compare.svg, compare.png."),
) -> None:
    """Compare two groups on every metric and knowledge-base feature.

    Per variable: medians, Cliff's delta with a 95 % interval, the Mann–Whitney p-value and the
    Benjamini–Hochberg q-value; as a table and a forest plot (SVG and PNG).
    """
    from ..cohort.compare import compare_files

    result = compare_files(scores, metadata, group, out, groups=groups, id_column=id_column)
    typer.echo(f"wrote {out}/compare.tsv, compare.svg, compare.png: {result.n_variables} variables, "
               f"{result.n_a} {result.a!r} vs {result.n_b} {result.b!r}, {result.n_significant} with q < 0.05",
               err=True)
