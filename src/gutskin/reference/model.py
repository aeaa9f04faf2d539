"""What a reference cohort holds: named, sized, method-described summaries of healthy people.

Only derived summaries are stored (quantiles and prevalences), never per-sample tables, so a reference
built from data without a redistribution licence can still ship.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: quantile grid for metric distributions (0.5 % steps)
METRIC_GRID = np.linspace(0.0, 1.0, 201)
#: quantile grid for a taxon's abundance among carriers (2.5 % steps)
TAXON_GRID = np.linspace(0.0, 1.0, 41)
FORMAT_VERSION = 1
#: below this many samples a reference is flagged small and never chosen automatically
SMALL_REFERENCE = 100


@dataclass
class Distribution:
    """A 1-D distribution summarised by its quantiles on a fixed grid."""

    n: int
    quantiles: list[float]
    mean: float
    sd: float

    @classmethod
    def of(cls, values: np.ndarray, grid: np.ndarray) -> Distribution:
        values = np.asarray(values, dtype=np.float64)
        values = values[np.isfinite(values)]
        if values.size == 0:
            return cls(0, [], float("nan"), float("nan"))
        q = np.quantile(values, grid)
        return cls(int(values.size), [float(x) for x in q], float(values.mean()),
                   float(values.std(ddof=1)) if values.size > 1 else 0.0)

    def q(self, p: float) -> float:
        grid = METRIC_GRID if len(self.quantiles) == len(METRIC_GRID) else TAXON_GRID
        return float(np.interp(p, grid, self.quantiles)) if self.quantiles else float("nan")

    def cdf(self, x: float) -> float:
        """Share of the reference below ``x``; where ``x`` equals a run of tied quantiles, the run's middle."""
        if not self.quantiles:
            return float("nan")
        grid = METRIC_GRID if len(self.quantiles) == len(METRIC_GRID) else TAXON_GRID
        qs = np.asarray(self.quantiles)
        if x < qs[0]:
            return 0.0
        if x > qs[-1]:
            return 1.0
        left = int(np.searchsorted(qs, x, side="left"))
        right = int(np.searchsorted(qs, x, side="right"))
        if right > left:  # x sits on one or more quantiles (ties in the reference)
            return float((grid[left] + grid[right - 1]) / 2)
        frac = (x - qs[left - 1]) / (qs[left] - qs[left - 1])
        return float(grid[left - 1] + (grid[left] - grid[left - 1]) * frac)

    def cdf_many(self, xs: np.ndarray) -> np.ndarray:
        """:meth:`cdf` of each of ``xs`` in one call, element by element the same arithmetic (the same bits).

        NaN stays NaN; ±inf map to 1 and 0, as any number beyond the ends.
        """
        x = np.asarray(xs, dtype=np.float64)
        out = np.full(x.shape, np.nan)
        if not self.quantiles:
            return out
        grid = METRIC_GRID if len(self.quantiles) == len(METRIC_GRID) else TAXON_GRID
        qs = np.asarray(self.quantiles, dtype=np.float64)
        finite = np.isfinite(x)
        xf = x[finite]
        res = np.empty(xf.shape)
        left = np.searchsorted(qs, xf, side="left")
        right = np.searchsorted(qs, xf, side="right")
        below, above = xf < qs[0], xf > qs[-1]
        tie = (right > left) & ~below & ~above  # on one or more tied quantiles: the run's middle
        inner = ~(below | above | tie)
        res[below] = 0.0
        res[above] = 1.0
        res[tie] = (grid[left[tie]] + grid[right[tie] - 1]) / 2
        li = left[inner]
        frac = (xf[inner] - qs[li - 1]) / (qs[li] - qs[li - 1])
        res[inner] = grid[li - 1] + (grid[li] - grid[li - 1]) * frac
        out[finite] = res
        out[np.isposinf(x)] = 1.0
        out[np.isneginf(x)] = 0.0
        return out


@dataclass
class TaxonSummary:
    rank: str
    name: str
    taxid: int | None
    prevalence: float
    n_carriers: int
    among_carriers: Distribution


@dataclass
class Reference:
    """A healthy reference cohort, as shipped or as built by a lab."""

    name: str
    title: str
    n: int
    profiler: str
    profiler_version: str | None
    database: str | None
    method: str
    naming: str
    source: str
    licence: str
    citation: str
    healthy_definition: str
    countries: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Distribution] = field(default_factory=dict)
    taxa: dict[str, dict[str, TaxonSummary]] = field(default_factory=dict)  # rank → normalised name → summary
    notes: list[str] = field(default_factory=list)
    format_version: int = FORMAT_VERSION
    #: who the reference describes: "adult" or "infant" (never compared across)
    age_group: str = "adult"
    #: rank at which diversity was summarised ("species" for shotgun, "genus" for 16S)
    metric_rank: str = "species"
    #: naming database family the taxa were called with ("MetaPhlAn 4", "Greengenes 13_8", "GTDB r207", …)
    taxonomy: str | None = None
    #: healthy-set placement calibration (scripts/placement_study.py): feature id → share of independent
    #: healthy people on the patients' side and the verdict; empty when not studied
    calibration: dict[str, Any] = field(default_factory=dict)

    @property
    def small(self) -> bool:
        return self.n < SMALL_REFERENCE

    def percentiles(self, profile, *, taxa: bool = True):
        """Where each sample of ``profile`` stands in this reference (see :mod:`.percentiles`)."""
        from .percentiles import percentiles

        return percentiles(profile, self, taxa=taxa)

    def percentile_records(self, profile, *, taxa: bool = True) -> list[dict[str, Any]]:
        """The same placements as :meth:`percentiles`, as one dict per row."""
        from .percentiles import percentile_records

        return percentile_records(profile, self, taxa=taxa)

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Reference:
        raw = dict(raw)
        raw["metrics"] = {k: Distribution(**v) for k, v in raw.get("metrics", {}).items()}
        raw["taxa"] = {
            rank: {key: TaxonSummary(**{**t, "among_carriers": Distribution(**t["among_carriers"])})
                   for key, t in by_name.items()}
            for rank, by_name in raw.get("taxa", {}).items()
        }
        return cls(**raw)

    def save(self, path: str | Path) -> None:
        path = Path(path)
        data = json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=True).encode()
        tmp = path.with_name(f".{path.name}.tmp")
        # mtime=0: the same reference always writes the same bytes (reproducible rebuilds, clean diffs)
        with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as fh:
            fh.write(data)
        tmp.replace(path)

    @classmethod
    def load_file(cls, path: str | Path) -> Reference:
        with gzip.open(path, "rb") as fh:
            return cls.from_dict(json.loads(fh.read()))

    def describe(self) -> dict[str, Any]:
        """The provenance block that travels into every output that used this reference."""
        return {
            "name": self.name, "title": self.title, "n": self.n, "profiler": self.profiler,
            "profiler_version": self.profiler_version, "database": self.database, "method": self.method,
            "naming": self.naming, "source": self.source, "licence": self.licence, "citation": self.citation,
            "healthy_definition": self.healthy_definition, "countries": self.countries, "small": self.small,
            "notes": self.notes, "age_group": self.age_group, "metric_rank": self.metric_rank,
            "taxonomy": self.taxonomy,
        }
