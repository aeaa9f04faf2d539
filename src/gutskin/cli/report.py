"""``gutskin report``: the main job, one person's report as HTML, PDF or JSON."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from ..engine import analyse
from ..errors import InputError
from . import app
from ._common import face_resources, load_answers, load_trial, report_time

REPORT_SUFFIXES = (".html", ".htm", ".pdf", ".json")


def _safe_name(sample: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", sample).strip("._") or "sample"
    name, k = base, 2
    while name.lower() in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name.lower())
    return name


@app.command()
def report(
    file: Path = typer.Argument(..., help="Profile file (any supported format; .gz/.bz2 fine)."),
    output: list[Path] = typer.Option(..., "-o", "--output",
                                      help="Report file: .html, .pdf or .json (repeat -o for several formats). "
                                           "For an input with several samples: a folder, one report per sample."),
    sample: list[str] = typer.Option([], "--sample", "-s", help="Report on this sample only (repeatable)."),
    questionnaire: Path | None = typer.Option(None, "--questionnaire", "-q",
                                              help="Your answers (YAML or JSON; see examples/questionnaire.yaml)."),
    trial: tuple[Path, Path] | None = typer.Option(None, "--trial", metavar="PLAN DIARY",
                                                   help="An elimination-trial plan and its diary, to add the results."),
    reference: str | None = typer.Option(None, "--reference",
                                         help="Healthy reference by name (see 'gutskin reference list'); default: "
                                              "the best match for the profile."),
    old_reference: str | None = typer.Option(None, "-r", hidden=True),
    to: str | None = typer.Option(None, "--to", help="html, pdf or json, when -o is a folder (default html)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Input format, overriding detection."),
    taxonomy: Path | None = typer.Option(None, "--taxonomy", help="The taxonomy of a QIIME 2 / BIOM feature table "
                                         "(taxonomy.qza or taxonomy.tsv); the profile is then read as 16S."),
    previous: list[Path] = typer.Option([], "--previous", help="An earlier test of the same person (repeat, oldest "
                                        "first): adds 'since your last test' to the HTML and PDF report."),
) -> None:
    """Write the report: summary, diversity, composition, key microbes, indices, skin evidence,
    suggestions, elimination trial, and methods with their limits. Not a diagnosis."""
    from ..readers import read, read_many
    from ..report import format_for, to_report, write_report
    from .score import deprecated

    if old_reference is not None:
        deprecated("-r", "--reference")
        reference = old_reference

    trial_files = tuple(trial) if trial and all(trial) else None
    for p in (questionnaire, *(trial_files or ())):
        if p is not None and not Path(p).is_file():
            raise InputError("file not found", p)
    resources = face_resources()
    profile = read_many([file, taxonomy], fmt) if taxonomy is not None else read(file, fmt)
    samples = list(dict.fromkeys(sample)) or None
    n = len(samples) if samples else profile.n_samples
    to_folder = n > 1 or (len(output) == 1 and output[0].is_dir())
    if to_folder:
        if len(output) != 1 or output[0].suffix.lower() in REPORT_SUFFIXES:
            raise InputError(f"the input holds {n} samples: give one folder with -o for one report each (format "
                             "with --to), or choose a sample with --sample", field="-o")
        folder = output[0]
        if previous:  # retest touch point
            raise InputError("--previous compares one sample with earlier tests; choose it with --sample",
                             field="--previous")
        if not folder.parent.is_dir():
            raise InputError("the parent folder does not exist", folder.parent)
        kind = format_for("x", to or "html")
    else:
        kinds = [format_for(o, to if len(output) == 1 else None) for o in output]
        for o in output:  # fail before the work, not after it
            if not o.parent.is_dir():
                raise InputError("the output folder does not exist", o.parent)
    answers = load_answers(questionnaire)
    loaded_trial = load_trial(trial_files)
    analyses = analyse(profile, resources, questionnaires=answers, trial=loaded_trial, reference=reference,
                       samples=samples, input_name=Path(file).name)
    when = report_time()
    if to_folder:
        folder.mkdir(exist_ok=True)
        _write_folder((to_report(a, resources, generated_at=when) for a in analyses), folder, kind, n)
        return
    rep = to_report(analyses[0], resources, generated_at=when)
    retest = _since_last_test(profile, rep.sample, previous, fmt) if previous else None  # retest touch point
    for path, kind in zip(output, kinds, strict=True):
        if retest is not None and kind in ("html", "pdf"):  # retest touch point: HTML and PDF carry the section
            from ..io import write_atomic
            from ..report import render_html
            from ..report.render import pdf_bytes
            from ..retest import embed_in_report

            html = embed_in_report(render_html(rep), retest)
            write_atomic(path, html if kind == "html" else pdf_bytes(rep, html))
        else:
            write_report(rep, path, kind)
            if retest is not None:
                typer.echo(f"note: 'since your last test' is in the HTML and PDF reports only; not in {path} "
                           "(gutskin retest -o retest.json gives it as JSON)", err=True)
        typer.echo(f"wrote {path} ({kind.upper()} report for sample {rep.sample})", err=True)


def _since_last_test(profile, sample: str, previous: list[Path], fmt: str | None):
    """retest touch point: the current sample against earlier single-sample tests (``gutskin.retest``)."""
    from ..readers import read
    from ..retest import since_last_test

    earlier = []
    for path in previous:
        p = read(path, fmt)
        if p.n_samples != 1:
            raise InputError(f"holds {p.n_samples} samples; --previous takes one test per file", path)
        earlier.append(p)
    return since_last_test(profile.take_samples([profile.samples.index(sample)]), earlier)


def _write_folder(reports, folder: Path, kind: str, n: int) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..report import write_report

    taken: set[str] = set()
    console = Console(stderr=True)
    with Progress(TextColumn("[bold]reports"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=False) as progress:
        task = progress.add_task("reports", total=n)
        for rep in reports:
            write_report(rep, folder / f"{_safe_name(rep.sample, taken)}.{kind}", kind)
            progress.advance(task)
    typer.echo(f"wrote {n} {kind.upper()} reports to {folder}/", err=True)
