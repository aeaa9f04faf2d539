"""``gutskin score``: diversity metrics, composition summaries and published indices, one row per sample.

The table it writes has ``sample``, one column per metric, a ``<index>_coverage`` column for every index,
and a ``warnings`` column holding every warning that applies to the sample (``metric: message``, joined
with `` | ``). :func:`score_profile` is the same thing as a function returning a DataFrame.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import typer

from ..engine import ALPHA_METRICS, INDEX_METRICS, parse_metrics
from ..engine import score as engine_score
from ..errors import InputError
from ..profile import Profile
from ..readers import FORMATS, read_many
from ..taxonomy.ranks import RANKS
from . import app

__all__ = ["parse_metrics", "score", "score_profile", "write_table"]

METRICS_HELP = (
    "Comma-separated metrics or groups. Alpha: " + ", ".join(ALPHA_METRICS) + " (shannon in nats, natural log; "
    "chao1/ace need integer counts). Indices: " + ", ".join(INDEX_METRICS) + " (hmp2_dysbiosis needs "
    "--reference-profiles). Composition: phyla, fb_ratio, guilds. Groups: all (default; adds hmp2_dysbiosis when "
    "--reference-profiles is given), alpha, indices, composition."
)


def score_profile(profile: Profile, metrics: str | Sequence[str] | None = "all", *, rank: str = "species",
                  reference: Profile | None = None) -> pd.DataFrame:
    """The ``gutskin score`` table (see :func:`gutskin.engine.score`, which computes it)."""
    return engine_score(profile, metrics=metrics, rank=rank, reference_profiles=reference).table


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write TSV atomically (the one atomic-write helper, :func:`gutskin.io.atomic_write`)."""
    from ..io import atomic_write

    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise InputError("the output folder does not exist", parent)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        frame.to_csv(fh, sep="\t", na_rep="", index=True)


def deprecated(old: str, new: str) -> None:
    """One line on stderr for an option spelling kept for one release."""
    typer.echo(f"gutskin: note: '{old}' is deprecated and will be removed in the next release; use '{new}'", err=True)


@app.command()
def score(
    files: list[Path] = typer.Argument(..., help="Profile files (any supported format); several are merged."),
    out: Path = typer.Option(..., "-o", "--output", help="Output TSV: one row per sample."),
    metrics: str = typer.Option("all", "--metrics", "-m", help=METRICS_HELP),
    rank: str | None = typer.Option(None, "--rank", help="Rank for alpha diversity and dysbiosis: "
                                    + ", ".join(RANKS) + " (default: species, or genus for a table that names no "
                                    "species, such as a 16S genus table, as `gutskin report` does)."),
    reference_profiles: list[Path] = typer.Option(None, "--reference-profiles", help="Healthy reference profile "
                                                  "files for hmp2_dysbiosis (same profiler and database as FILES)."),
    old_rank: str | None = typer.Option(None, "-r", hidden=True),
    old_reference: list[Path] = typer.Option(None, "--reference", hidden=True),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Input format, overriding detection: "
                                   + ", ".join(sorted(FORMATS)) + "."),
    taxonomy: Path | None = typer.Option(None, "--taxonomy", help="The taxonomy of a QIIME 2 / BIOM feature table "
                                         "(taxonomy.qza or taxonomy.tsv), if not given among FILES."),
) -> None:
    """Score samples: alpha diversity, composition summaries and published gut-health indices.

    One row per sample, one column per metric, a coverage column per index and a warnings column.

    Shannon is in nats (natural log).

    Chao1/ACE on relative abundances are left empty, with the reason in the warnings column; asked for by name on such input they are refused.
    """  # noqa: E501
    if old_rank is not None:
        deprecated("-r", "--rank")
        rank = old_rank
    if old_reference:
        deprecated("--reference FILE", "--reference-profiles FILE")
        reference_profiles = [*(reference_profiles or []), *old_reference]
    if rank is not None and rank not in RANKS:
        raise InputError(f"unknown rank {rank!r}; expected one of {', '.join(RANKS)}", field="--rank")
    profile = read_many([*files, taxonomy] if taxonomy is not None else files, fmt)
    ref = read_many(reference_profiles, fmt) if reference_profiles else None
    if rank is None:
        rank = "species" if profile.has_rank("species") or not profile.has_rank("genus") else "genus"
        if rank == "genus":
            typer.echo("note: this table names no species, so alpha diversity is measured at genus rank "
                       "(give --rank to choose another)", err=True)
    table = score_profile(profile, metrics, rank=rank, reference=ref)
    write_table(table, out)
    n_metrics = len([c for c in table.columns if not c.endswith("_coverage") and c != "warnings"])
    typer.echo(f"wrote {out}: {len(table)} samples, {n_metrics} metric columns", err=True)
