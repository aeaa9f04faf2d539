"""``gutskin retest``: did the gut really change between two (or more) tests of one person, or is it noise?"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from ..errors import InputError
from . import app

SUFFIXES = (".html", ".htm", ".json")


def _split(text: str | None, n: int, option: str) -> list[str | None]:
    if not text:
        return [None] * n
    parts = [p.strip() or None for p in text.split(",")]
    if len(parts) != n:
        raise InputError(f"expected {n} comma-separated values, one per test, got {len(parts)}", field=option)
    return parts


def _dates(text: str | None, n: int) -> list[date | None]:
    out: list[date | None] = []
    for part in _split(text, n, "--dates"):
        try:
            out.append(date.fromisoformat(part) if part else None)
        except ValueError:
            raise InputError(f"{part!r} is not a date; expected YYYY-MM-DD", field="--dates") from None
    known = [d for d in out if d]
    if known != sorted(known):
        raise InputError("dates must be in the same order as the tests, oldest first", field="--dates")
    return out


@app.command()
def retest(
    tests: list[Path] = typer.Argument(..., help="Two or more profile files of ONE person, oldest first "
                                                 "(one sample each; any supported format)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write retest.html or retest.json "
                                                                     "(JSON follows docs/retest-schema.json)."),
    dates: str | None = typer.Option(None, "--dates", help="Test dates, comma-separated YYYY-MM-DD, oldest first."),
    labs: str | None = typer.Option(None, "--labs", help="Lab or kit of each test, comma-separated; a change is "
                                                          "flagged (it alone can look like a different person)."),
    trial: Path | None = typer.Option(None, "--trial", help="An elimination-trial plan (JSON from 'gutskin trial "
                                                            "plan'); named when it ran between the tests."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Input format, overriding detection."),
) -> None:
    """Compare tests of one person: for every diversity metric, index, phylum, guild, key genus and the whole
    community, the change, the usual variation between two tests of the same person (from real repeated samples)
    and a verdict: changed / within usual variation / cannot compare. 16S against shotgun is refused."""
    from ..io import write_atomic
    from ..readers import read
    from ..retest import compare_tests, render_html
    from ..retest.compare import trial_from_plan

    if len(tests) < 2:
        raise InputError("give at least two tests of the same person, oldest first", field="TESTS")
    if output is not None:
        if output.suffix.lower() not in SUFFIXES:
            raise InputError("expected an output ending in .html or .json", output)
        if not output.parent.is_dir():
            raise InputError("the output folder does not exist", output.parent)
    when = _dates(dates, len(tests))
    lab_names = _split(labs, len(tests), "--labs")
    plan = None
    if trial is not None:
        if not trial.is_file():
            raise InputError("file not found", trial)
        try:
            plan = trial_from_plan(json.loads(trial.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, AttributeError, TypeError) as exc:
            raise InputError(f"not a trial plan (JSON from 'gutskin trial plan'): {exc}", trial) from None
    profiles = []
    for path in tests:
        p = read(path, fmt)
        if p.n_samples != 1:
            raise InputError(f"holds {p.n_samples} samples; a retest takes one sample per file (split it first, "
                             "e.g. with 'gutskin convert')", path)
        profiles.append(p)
    result = compare_tests(profiles, labels=[f"Test {i + 1}" for i in range(len(tests))],
                           dates=when, labs=lab_names, trial=plan)
    if output is not None:
        if output.suffix.lower() == ".json":
            write_atomic(output, result.model_dump_json(indent=1) + "\n")
        else:
            write_atomic(output, render_html(result))
        typer.echo(f"wrote {output}", err=True)
    _print_summary(result)
    if all(c.status == "refused" for c in result.comparisons):
        from ..errors import RefusedError

        raise RefusedError(f"not compared: {result.comparisons[0].refusal}")


def _print_summary(result) -> None:
    for c in result.comparisons:
        a, b = result.tests[c.before], result.tests[c.after]
        typer.echo(f"\n{a.label} → {b.label}")
        for f in c.flags:
            if f.severity != "note":
                typer.echo(f"  ! {f.text}")
        if c.status == "refused":
            typer.echo(f"  not compared: {c.refusal}")
            continue
        typer.echo("  changed beyond usual variation:" if c.changed else "  nothing changed beyond usual variation")
        for line in c.changed:
            typer.echo(f"    - {line}")
        for line in c.unchanged:
            typer.echo(f"  {line}")
