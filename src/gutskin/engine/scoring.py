"""THE scoring driver: every per-sample number gutskin computes from a profile, in one place.

``gutskin score``, reference building (:func:`gutskin.reference.features.sample_metrics`), the report and
cohort scoring all call :func:`score`. No other list of metrics exists: add a metric here (and its module
under ``metrics/`` or ``indices/``) and every face gets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError, RefusedError
from ..indices import IndexInfo, IndexResult
from ..indices.gevers_2014 import INFO as GEVERS_INFO
from ..indices.gevers_2014 import gevers_md_result
from ..indices.gmhi_2020 import INFO as GMHI_INFO
from ..indices.gmhi_2020 import gmhi_result
from ..indices.gmwi2_2024 import INFO as GMWI2_INFO
from ..indices.gmwi2_2024 import gmwi2_result
from ..indices.hmp2_2019 import INFO as HMP2_INFO
from ..indices.hmp2_2019 import hmp2_dysbiosis_result
from ..metrics._table import rank_resolution
from ..metrics.alpha import ALPHA_METRICS, COUNT_METRICS, alpha_diversity
from ..metrics.composition import composition_summary
from ..profile import Profile

#: Published indices, in output order. ``hmp2_dysbiosis`` scores against a reference set of profiles.
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
           "gevers": "gevers_md", "dysbiosis": "hmp2_dysbiosis", "hmp2": "hmp2_dysbiosis", "gmwi": "gmwi2",
           "inverse_simpson": "inv_simpson"}
#: each index module's own title, citation and cut-off, by metric name
INDEX_INFO: dict[str, IndexInfo] = {i.key: i for i in (GMHI_INFO, GMWI2_INFO, GEVERS_INFO, HMP2_INFO)}
_INDEX_FUNCTIONS = {"gmhi": gmhi_result, "gmwi2": gmwi2_result, "gevers_md": gevers_md_result}


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


def _rank_hint(profile: Profile, rank: str) -> str:
    """What to ask for instead of a rank the profile cannot form: the deepest one it can (16S tables: genus)."""
    from ..taxonomy.ranks import RANKS

    for r in reversed(RANKS[:RANKS.index(rank)] if rank in RANKS else RANKS):
        if r != "domain" and profile.has_rank(r):
            return f"this profile can be measured at {r} rank: --rank {r}"
    return "choose a rank this profile has with --rank"


class SampleNotes(Mapping[str, list[str]]):
    """Every warning by sample, kept as (messages, the samples they concern or None for all) in noting order.

    Most notes concern every sample of a table: each is stored once instead of being copied into thousands of
    per-sample lists, and samples with the same notes share one joined text in the table.
    """

    def __init__(self, samples: Sequence[str]) -> None:
        self._samples = list(samples)
        self._known = set(self._samples)
        self._events: list[tuple[list[str], frozenset[str] | None]] = []
        self._index: tuple[list[int], dict[str, list[int]]] | None = None

    def add(self, messages: Iterable[str], samples: Iterable[str] | None = None) -> None:
        msgs = list(messages)
        if msgs:
            self._events.append((msgs, None if samples is None else frozenset(samples)))
            self._index = None

    def _built(self) -> tuple[list[int], dict[str, list[int]]]:
        """(events concerning every sample, events by the sample they name), built once after the last add."""
        if self._index is None:
            common = [i for i, (_, who) in enumerate(self._events) if who is None]
            specific: dict[str, list[int]] = {}
            for i, (_, who) in enumerate(self._events):
                for s in who or ():
                    specific.setdefault(s, []).append(i)
            self._index = (common, specific)
        return self._index

    def _order(self, sample: str) -> list[int]:
        """Indices of the events concerning ``sample``, in noting order."""
        common, specific = self._built()
        mine = specific.get(sample)
        return sorted(common + mine) if mine else common

    def __getitem__(self, sample: str) -> list[str]:
        if sample not in self._known:
            raise KeyError(sample)
        return [m for i in self._order(sample) for m in self._events[i][0]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._samples)

    def __len__(self) -> int:
        return len(self._samples)

    def joined(self, sep: str = " | ") -> list[str]:
        """Each sample's notes as one text, in sample order (samples with the same notes share one text)."""
        common, specific = self._built()
        plain = sep.join(m for i in common for m in self._events[i][0])
        out = [plain] * len(self._samples)
        if specific:
            texts: dict[tuple[int, ...], str] = {}
            for pos, s in enumerate(self._samples):
                if s in specific:
                    key = tuple(self._order(s))
                    text = texts.get(key)
                    if text is None:
                        text = texts[key] = sep.join(m for i in key for m in self._events[i][0])
                    out[pos] = text
        return out


@dataclass(frozen=True)
class Scores:
    """What :func:`score` computed.

    ``table``: samples × metric columns (index ``sample``), then a ``<index>_coverage`` column per index and
    a ``warnings`` column (``metric: message`` joined with `` | ``) — exactly what ``gutskin score`` writes.
    ``indices``: the full index results (coverage facts, contributors, details). ``notes``: every warning by
    sample. ``refused``: metric → why it was left empty for this input.
    """

    table: pd.DataFrame
    indices: dict[str, IndexResult] = field(default_factory=dict)
    notes: Mapping[str, list[str]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    composition_warnings: list[str] = field(default_factory=list)
    rank: str = "species"

    @property
    def metric_columns(self) -> list[str]:
        return [c for c in self.table.columns if not c.endswith("_coverage") and c != "warnings"]

    def coverage(self, index: str) -> str:
        res = self.indices.get(index)
        return str(res.coverage.get("text", "")) if res is not None else ""


def score(profile: Profile, *, metrics: str | Sequence[str] | None = "all", rank: str = "species",
          reference_profiles: Profile | None = None, resources: object | None = None,
          contributors: bool = True) -> Scores:
    """Every requested metric for every sample of ``profile``.

    Chao1/ACE named explicitly on non-count data raise :class:`~gutskin.errors.RefusedError`; reached
    through a group (``all``, ``alpha``) they are left empty with the reason in ``warnings``.
    ``reference_profiles`` (healthy profiles made the same way) enables ``hmp2_dysbiosis``.
    ``resources`` is accepted for symmetry with :func:`~gutskin.engine.analyse`; scoring needs none.
    ``contributors=False`` skips GMWI2's and GMHI's per-taxon contributors tables (the score table is the same); cohort
    scoring of thousands of samples per partition never reads it.
    """
    names, explicit = parse_metrics(metrics, with_reference=reference_profiles is not None)
    idx = pd.Index(profile.samples, name="sample")
    columns: dict[str, pd.Series | np.ndarray] = {}
    results: dict[str, IndexResult] = {}
    refused: dict[str, str] = {}
    notes = SampleNotes(profile.samples)

    def note(metric: str, messages: Iterable[str], samples: Iterable[str] | None = None) -> None:
        notes.add((f"{metric}: {m}" for m in messages), samples)

    alpha_names = [n for n in names if n in ALPHA_METRICS]
    if alpha_names:
        strict = [n for n in alpha_names if n in COUNT_METRICS and n in explicit]
        try:
            frame = alpha_diversity(profile, alpha_names, rank=rank, ids=idx, refused="raise" if strict else "nan")
        except RefusedError as exc:
            # either a count-based estimator named explicitly on proportions, or no rows at the alpha rank at all
            # (a genus table scored at species): say which, not always the first
            why = " (asked for explicitly with --metrics)" if strict and profile.has_rank(rank) else (
                f" (alpha diversity is measured at {rank} rank; {_rank_hint(profile, rank)})")
            raise RefusedError(f"{exc}{why}") from None
        for n in alpha_names:
            # rows in the profile's sample order: the plain array needs no aligning to the index
            columns[n] = frame[n].to_numpy()
        for metric, reason in frame.attrs.get("refused", {}).items():
            refused[metric] = reason
            note(metric, [f"left empty: {reason}"])
        resolution = rank_resolution(profile, rank)
        for s, share in zip(profile.samples, resolution, strict=True):
            if share < LOW_RESOLUTION:
                note("alpha", [f"only {share:.0%} of this sample's abundance has a {rank} name; alpha diversity "
                               f"counts that part only (try --rank genus)"], [s])

    for name in INDEX_METRICS:
        if name not in names:
            continue
        if name == "hmp2_dysbiosis":
            if reference_profiles is None:
                raise InputError("hmp2_dysbiosis needs a healthy reference set: give --reference-profiles FILE...",
                                 field="--metrics")
            res = hmp2_dysbiosis_result(profile, reference_profiles, rank=rank)
        else:
            try:
                if not contributors and name in ("gmwi2", "gmhi"):
                    res = (gmwi2_result if name == "gmwi2" else gmhi_result)(profile, contributors=False)
                else:
                    res = _INDEX_FUNCTIONS[name](profile)
            except RefusedError as exc:
                if name in explicit:
                    raise
                # reached through a group (``all``, ``indices``): an index the input cannot express (a genus-only
                # 16S table has no species for GMHI) is left empty with its reason, as alpha estimators are
                refused[name] = str(exc)
                columns[name] = pd.Series(float("nan"), index=idx)
                note(name, [f"left empty: {exc}"])
                continue
        results[name] = res
        columns[name] = res.values
        note(name, res.warnings)
        for s, msgs in res.sample_warnings.items():
            note(name, msgs, [s])
        if name == "hmp2_dysbiosis":
            columns["hmp2_dysbiotic"] = res.details["dysbiotic"].where(res.values.notna())

    wanted_comp = [n for n in names if n in COMPOSITION_METRICS]
    comp_warnings: list[str] = []
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
        comp_warnings = [str(w) for w in comp.attrs.get("warnings", [])]
        note("composition", comp_warnings)
        for s, msgs in comp.attrs.get("sample_warnings", {}).items():
            note("composition", msgs, [str(s)])

    out = pd.DataFrame(columns, index=idx)
    for name, res in results.items():
        out[f"{name}_coverage"] = pd.Series(res.coverage.get("text", ""), index=idx)
    out["warnings"] = notes.joined()
    return Scores(table=out, indices=results, notes=notes, refused=refused, composition_warnings=comp_warnings,
                  rank=rank)
