"""What every published index returns, and how the profiler naming of an input is recognised."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..profile import Profile, SampleInfo


@dataclass(frozen=True)
class IndexInfo:
    """What a report says about an index: its title, source and decision cut-off (``None``: it has none)."""

    key: str
    title: str
    citation: str
    doi: str | None = None
    pmid: str | None = None
    cutoff: float | None = None
    #: where the cut-off was validated: (profiler, major version) pairs, e.g. (("MetaPhlAn", "2"),). Outside these
    #: the value is shown as a percentile in a method-matched reference or as "not comparable" — never as a
    #: "healthy/disease side" reading (issue #11). Empty with a cut-off: nowhere stated, so never interpreted.
    cutoff_applies_to: tuple[tuple[str, str], ...] = ()
    cutoff_note: str = ""

    def cutoff_applies(self, profiler: str | None, version: str | None) -> bool:
        """Whether the cut-off may be read for a profile made with ``profiler`` ``version``."""
        if self.cutoff is None or not profiler or not version:
            return False
        major = str(version).split(".")[0]
        return any(profiler.split()[0].lower() == p.lower() and major == v for p, v in self.cutoff_applies_to)


@dataclass
class IndexResult:
    """Values of one index for every sample, with what limits them.

    Attributes
    ----------
    name:
        Index name (``"GMHI"``, ``"GMWI2"`` …).
    values:
        Float Series indexed by sample (the number a user sees).
    coverage:
        Machine-readable coverage facts (expected naming, input naming, signature taxa found …) plus
        ``coverage["text"]``, one human sentence.
    warnings:
        Warnings that apply to every sample (naming mismatch, missing UNKNOWN share …). They travel into
        every output: ``series.attrs``, the CLI warning column, reports.
    sample_warnings:
        Warnings for single samples (empty sample …), by sample name.
    contributors:
        Long table of the taxa that made each sample's value: ``sample, taxon, role, weight, abundance``.
    details:
        Per-sample intermediate quantities (e.g. GMHI's ψ values), indexed by sample.
    reference:
        Citation and validity domain.
    """

    name: str
    values: pd.Series
    coverage: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    sample_warnings: dict[str, list[str]] = field(default_factory=dict)
    contributors: pd.DataFrame = field(default_factory=pd.DataFrame)
    details: pd.DataFrame = field(default_factory=pd.DataFrame)
    reference: dict[str, str] = field(default_factory=dict)

    def series(self) -> pd.Series:
        """The values with coverage and warnings attached in ``attrs`` (what ``gmhi(profile)`` returns)."""
        s = self.values.copy()
        s.attrs = {
            "index": self.name,
            "coverage": dict(self.coverage),
            "warnings": list(self.warnings),
            "sample_warnings": {k: list(v) for k, v in self.sample_warnings.items()},
            "reference": dict(self.reference),
        }
        return s

    def warnings_for(self, sample: str) -> list[str]:
        """Every warning that applies to ``sample``: the global ones, then its own."""
        return list(self.warnings) + list(self.sample_warnings.get(sample, []))

    def to_frame(self) -> pd.DataFrame:
        """Values, coverage text and joined warnings per sample."""
        return pd.DataFrame({
            self.name: self.values,
            f"{self.name}_coverage": self.coverage.get("text", ""),
            f"{self.name}_warnings": ["; ".join(self.warnings_for(s)) for s in self.values.index],
        })


# ---------------------------------------------------------------------------------------------- naming
@dataclass(frozen=True)
class Naming:
    """The taxon naming system an input was written in, as far as its provenance says."""

    profiler: str | None
    version: str | None
    database: str | None

    def describe(self) -> str:
        if self.profiler is None:
            return "unknown profiler and naming"
        text = self.profiler
        if self.version:
            text += f" {self.version}"
        if self.database:
            text += f" ({self.database})"
        return text

    @property
    def is_metaphlan(self) -> bool:
        return (self.profiler or "").lower().startswith("metaphlan")

    def metaphlan_major(self) -> str | None:
        """``"2"``, ``"3"``, ``"4"`` … from the version, else from the database name."""
        if not self.is_metaphlan:
            return None
        db = (self.database or "").lower()
        if db.startswith(("mpa_v20", "v20")):
            return "2"
        if db.startswith(("mpa_v29", "v29", "v296")):
            return "2.9"
        if db.startswith("mpa_v30"):
            return "3"
        if db.startswith("mpa_v31"):
            return "3.1"
        if "sgb" in db or db.startswith(("mpa_vjan", "mpa_voct", "mpa_vjun")):
            return "4"
        if self.version:
            v = self.version.strip()
            return "2.9" if v.startswith("2.9") else v.split(".")[0]
        return None


def naming_of(info: SampleInfo) -> Naming:
    return Naming(info.profiler, info.profiler_version, info.database)


def namings(profile: Profile) -> dict[Naming, list[str]]:
    """Samples grouped by naming (a merged profile normally has one)."""
    out: dict[Naming, list[str]] = {}
    for s, info in zip(profile.samples, profile.info, strict=True):
        out.setdefault(naming_of(info), []).append(s)
    return out


def empty_sample_warnings(samples: list[str], totals: np.ndarray, name: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s, t in zip(samples, totals, strict=True):
        if not t > 0:
            out[s] = [f"{name} not computed: the sample has no classified abundance"]
    return out


def norm_name(name: Any) -> str:
    """Case-preserving comparison form of a MetaPhlAn name: no ``s__`` prefix, underscores as spaces."""
    return _norm_name(str(name))


@lru_cache(maxsize=1 << 16)  # pure; every index asks for every name of the table once per scored slice
def _norm_name(text: str) -> str:
    text = text.strip()
    if len(text) > 3 and text[1:3] == "__":
        text = text[3:]
    return " ".join(text.replace("_", " ").split())
