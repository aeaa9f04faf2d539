"""``gutskin score``: diversity metrics, composition summaries and published indices, one row per sample.

The table it writes has ``sample``, one column per metric, a ``<index>_coverage`` column for every index,
and a ``warnings`` column holding every warning that applies to the sample (``metric: message``, joined
with `` | ``). :func:`score_profile` is the same thing as a function returning a DataFrame.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import typer

from ..errors import InputError, RefusedError
from ..metrics._table import rank_resolution
from ..metrics.alpha import ALPHA_METRICS, COUNT_METRICS, alpha_diversity
from ..metrics.composition import composition_summary
from ..profile import Profile
from ..readers import FORMATS, read_many
from ..taxonomy.ranks import RANKS
from . import app

INDEX_METRICS = ("gmhi", "gmwi2", "gevers_md", "hmp2_dysbiosis")
COMPOSITION_METRICS = ("phyla", "fb_ratio", "guilds")
ALL_METRICS = (*ALPHA_METRICS, *INDEX_METRICS, *COMPOSITION_METRICS)
GROUPS = {
    "all": (*ALPHA_METRICS, "gmhi", "gmwi2", "gevers_md", *COMPOSITION_METRICS),
    "alpha": ALPHA_METRICS,
    "indices": ("gmhi", "gmwi2", "gevers_md"),
    "composition": COMPOSITION_METRICS,
}
#: Below this share of abundance named at the chosen rank, alpha diversity gets a warning.
LOW_RESOLUTION = 0.9
ALIASES = {"shannon_entropy": "shannon", "observed_features": "observed", "pielou_e": "pielou", "md": "gevers_md",
           "gevers": "gevers_md", "dysbiosis": "hmp2_dysbiosis", "hmp2": "hmp2_dysbiosis", "gmwi": "gmwi2"}

METRICS_HELP = (
    "Comma-separated metrics or groups. Alpha: " + ", ".join(ALPHA_METRICS) + " (shannon in nats, natural log; "
    "chao1/ace need integer counts). Indices: " + ", ".join(INDEX_METRICS) + " (hmp2_dysbiosis needs --reference). "
    "Composition: phyla, fb_ratio, guilds. Groups: all (default; adds hmp2_dysbiosis when --reference is given), "
    "alpha, indices, composition."
)


def parse_metrics(spec: str | Iterable[str] | None, with_reference: bool = False) -> tuple[list[str], set[str]]:
    """Metric names in output order, and the subset named explicitly (not through a group)."""
    if spec is None:
        spec = "all"
    items = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else [s.strip() for s in spec]
    out: list[str] = []
    explicit: set[str] = set()
    for raw in items:
        if not raw:
            continue
        key = ALIASES.get(raw.lower(), raw.lower())
        if key in GROUPS:
            names = list(GROUPS[key])
            if key == "all" and with_reference:
                names.append("hmp2_dysbiosis")
        elif key in ALL_METRICS:
            names = [key]
            explicit.add(key)
        else:
            raise InputError(f"unknown metric {raw!r}; expected metrics {', '.join(ALL_METRICS)} or groups "
                             f"{', '.join(GROUPS)}", field="--metrics")
        out.extend(n for n in names if n not in out)
    if not out:
        raise InputError("no metrics given", field="--metrics")
    return out, explicit


def score_profile(profile: Profile, metrics: str | Sequence[str] | None = "all", *, rank: str = "species",
                  reference: Profile | None = None) -> pd.DataFrame:
    """Every requested metric for every sample of ``profile`` as one DataFrame (index ``sample``).

    Chao1/ACE named explicitly on non-count data raise :class:`~gutskin.errors.RefusedError`; reached
    through a group (``all``, ``alpha``) they are left empty with the reason in ``warnings``.
    """
    names, explicit = parse_metrics(metrics, with_reference=reference is not None)
    idx = pd.Index(profile.samples, name="sample")
    columns: dict[str, pd.Series] = {}
    coverage: dict[str, pd.Series] = {}
    notes: dict[str, list[str]] = {s: [] for s in profile.samples}

    def note(metric: str, messages: Iterable[str], samples: Iterable[str] | None = None) -> None:
        for s in profile.samples if samples is None else samples:
            for m in messages:
                notes[s].append(f"{metric}: {m}")

    alpha_names = [n for n in names if n in ALPHA_METRICS]
    if alpha_names:
        strict = [n for n in alpha_names if n in COUNT_METRICS and n in explicit]
        try:
            frame = alpha_diversity(profile, alpha_names, rank=rank, refused="raise" if strict else "nan")
        except RefusedError as exc:
            raise RefusedError(f"{exc} (asked for explicitly with --metrics)") from None
        for n in alpha_names:
            columns[n] = frame[n]
        for metric, reason in frame.attrs.get("refused", {}).items():
            note(metric, [f"left empty: {reason}"])
        resolution = rank_resolution(profile, rank)
        for s, share in zip(profile.samples, resolution, strict=True):
            if share < LOW_RESOLUTION:
                note("alpha", [f"only {share:.0%} of this sample's abundance has a {rank} name; alpha diversity "
                               f"counts that part only (try --rank genus)"], [s])

    if "gmhi" in names:
        from ..indices.gmhi import gmhi_result

        _index(gmhi_result(profile), "gmhi", columns, coverage, note)
    if "gmwi2" in names:
        from ..indices.gmwi2 import gmwi2_result

        _index(gmwi2_result(profile), "gmwi2", columns, coverage, note)
    if "gevers_md" in names:
        from ..indices.gevers import gevers_md_result

        _index(gevers_md_result(profile), "gevers_md", columns, coverage, note)
    if "hmp2_dysbiosis" in names:
        if reference is None:
            raise InputError("hmp2_dysbiosis needs a healthy reference set: give --reference FILE...",
                             field="--metrics")
        from ..indices.hmp2 import hmp2_dysbiosis_result

        res = hmp2_dysbiosis_result(profile, reference, rank=rank)
        _index(res, "hmp2_dysbiosis", columns, coverage, note)
        columns["hmp2_dysbiotic"] = res.details["dysbiotic"].where(res.values.notna())

    wanted_comp = [n for n in names if n in COMPOSITION_METRICS]
    if wanted_comp:
        comp = composition_summary(profile)
        for n in wanted_comp:
            if n == "phyla":
                cols = [c for c in comp.columns if c.startswith("phylum.")]
            elif n == "guilds":
                cols = [c for c in comp.columns if c.startswith("guild.")]
            else:
                cols = ["fb_ratio"]
            for c in cols:
                columns[c] = comp[c]
        for w in comp.attrs.get("warnings", []):
            note("composition", [w])

    out = pd.DataFrame(columns, index=idx)
    for name, series in coverage.items():
        out[f"{name}_coverage"] = series
    out["warnings"] = [" | ".join(notes[s]) for s in profile.samples]
    return out


def _index(result, metric: str, columns: dict, coverage: dict, note) -> None:
    columns[metric] = result.values
    coverage[metric] = pd.Series(result.coverage.get("text", ""), index=result.values.index)
    note(metric, result.warnings)
    for s, msgs in result.sample_warnings.items():
        note(metric, msgs, [s])


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write TSV atomically (temporary file beside the target, then rename)."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise InputError("the output folder does not exist", parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=parent)
    os.close(fd)
    try:
        frame.to_csv(tmp, sep="\t", na_rep="", index=True)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@app.command()
def score(
    files: list[Path] = typer.Argument(..., help="Profile files (any supported format); several are merged."),
    out: Path = typer.Option(..., "-o", "--output", help="Output TSV: one row per sample."),
    metrics: str = typer.Option("all", "--metrics", "-m", help=METRICS_HELP),
    rank: str = typer.Option("species", "--rank", "-r", help="Rank for alpha diversity and dysbiosis: "
                             + ", ".join(RANKS) + "."),
    reference: list[Path] = typer.Option(None, "--reference", help="Healthy reference profiles for hmp2_dysbiosis "
                                         "(same profiler and database as FILES)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Input format, overriding detection: "
                                   + ", ".join(sorted(FORMATS)) + "."),
) -> None:
    """Score samples: alpha diversity, composition summaries and published gut-health indices.

    One row per sample, one column per metric, a coverage column per index and a warnings column.

    Shannon is in nats (natural log).

    Chao1/ACE on relative abundances are left empty, with the reason in the warnings column; asked for by name on such input they are refused.
    """  # noqa: E501
    if rank not in RANKS:
        raise InputError(f"unknown rank {rank!r}; expected one of {', '.join(RANKS)}", field="--rank")
    profile = read_many(files, fmt)
    ref = read_many(reference, fmt) if reference else None
    table = score_profile(profile, metrics, rank=rank, reference=ref)
    write_table(table, out)
    n_metrics = len([c for c in table.columns if not c.endswith("_coverage") and c != "warnings"])
    typer.echo(f"wrote {out}: {len(table)} samples, {n_metrics} metric columns", err=True)
