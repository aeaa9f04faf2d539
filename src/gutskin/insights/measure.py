"""Measuring knowledge-base features in one sample, against the sample's reference cohort.

Each feature of the knowledge base (a taxon, a guild, diversity, an index) is looked up in the profile
through every name it has ever had (NCBI taxid first where both sides carry one) and placed in the
reference's distribution. The result is a status the panels and recommendations reason with:

* ``low`` / ``high``: below the reference's 25th / above its 75th percentile;
* ``typical``: in between;
* ``absent``: not detected although at least :data:`ABSENT_MATTERS` of healthy people carry it
  (a taxon most healthy people lack is ``typical`` when absent);
* ``not_measured``: the profile cannot say (naming lacks the taxon, rank missing, not a stool measure,
  no reference distribution). The reason is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import RefusedError
from ..knowledge.base import KnowledgeBase
from ..knowledge.schema import Feature
from ..profile import Profile, by_taxa
from ..reference import calibration
from ..reference.measures import metric_values
from ..reference.model import Reference
from ..reference.percentiles import jeffreys, jeffreys_many
from ..reference.registry import TRANSFERABLE, VERSION_MARGIN, relation
from ..reference.taxa import rank_table
from ..taxonomy.current import SPLIT_GENERA
from ..taxonomy.synonyms import load as load_synonyms
from ..taxonomy.synonyms import normalise
from .sanity import absence_is_informative, classified_reads

LOW, HIGH = 0.25, 0.75
ABSENT_MATTERS = 0.25

#: knowledge-base guilds → the composition guild whose definition (metrics/data/composition.yaml) computes it
GUILD_METRIC = {
    "guild-butyrate-producers-core": "guild.butyrate_producers",
    "guild-butyrate-producers-extended": "guild.butyrate_producers_extended",
    "guild-scfa-producers": "guild.butyrate_producers",
    "guild-proteobacteria-expansion": "guild.proteobacteria",
    "guild-sulfidogenic": "guild.sulfate_reducers",
    "guild-histamine-secretors": "guild.histamine_producers",
    "guild-mucin-degraders": "guild.mucin_degraders",
}
INDEX_METRIC = {"index-gmhi": "gmhi", "index-gmwi2": "gmwi2"}
DIVERSITY_METRIC = {"diversity-alpha": "shannon"}


@dataclass
class Measurement:
    feature: str
    name: str
    status: str
    value: float | None = None
    percentile: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    typical_low: float | None = None
    typical_high: float | None = None
    prevalence: float | None = None
    measure: str | None = None  # what was measured (metric name or rank)
    matched: list[str] = field(default_factory=list)  # names found in the profile
    reason: str | None = None  # why not measured, or a caveat
    reference: str | None = None  # the reference it was placed against
    #: share of independent healthy people low/absent and high against this reference (placement study)
    healthy_tails: tuple[float, float] | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _widened(lo: float, hi: float, widen: bool) -> tuple[float, float]:
    return (max(0.0, lo - VERSION_MARGIN), min(1.0, hi + VERSION_MARGIN)) if widen else (lo, hi)


def _status(p: float) -> str:
    if p < LOW:
        return "low"
    if p > HIGH:
        return "high"
    return "typical"


def _clean(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


class SampleMeasurer:
    """Measures features for one sample (a one-sample Profile) against one reference."""

    def __init__(self, sample: Profile, reference: Reference, kb: KnowledgeBase,
                 metrics: tuple | None = None, rows: Mapping[str, tuple[Any, int]] | None = None) -> None:
        if sample.n_samples != 1:
            raise ValueError("measure one sample at a time")
        self.sample = sample
        self.reference = reference
        self.kb = kb
        # (values, warnings) as metric_values gives them at the reference's metric rank; batch callers pass
        # them precomputed. A 16S reference summarised diversity at genus rank, so the person is measured the
        # same way.
        if metrics is None:
            metrics = metric_values(sample, reference.metric_rank)
        self.metrics, self.metric_warnings = metrics
        # rank → (rank table, row): the sample's row in a whole table's rank table, when the caller has them
        # (engine.batch.rank_rows_by_sample; the same numbers as the sample's own one-row table)
        self._given = rows or {}
        self._tables = {}
        self._rows: dict[str, np.ndarray] = {}
        self._metric_values: dict[str, float] | None = None
        self._indexes: dict[str, tuple[dict[str, int], dict[int, list[int]]]] = {}
        #: intervals put off until :meth:`finish` (None: computed at once)
        self._pending: list[tuple[Measurement, float, int, bool]] | None = None
        self._synonyms = load_synonyms()
        # across profiler versions or profilers only quantities shown to transfer are placed (issue #11)
        self.relation = relation(sample, reference)

    def _interval(self, m: Measurement, p: float, n: int, widen: bool) -> None:
        """The percentile's Jeffreys interval, now, or with every other one of the sample at the end
        (:func:`measure_all`: one vectorised call instead of a hundred scalar ones, the same numbers)."""
        if self._pending is not None:
            self._pending.append((m, p, n, widen))
            return
        lo, hi = jeffreys(p, n)
        m.ci_low, m.ci_high = _widened(lo, hi, widen)

    def measure_many(self, features) -> dict[str, Measurement]:
        """:meth:`measure` for each feature, with every percentile interval computed in one call at the end."""
        self._pending = []
        out = {f.id: self.measure(f) for f in features}
        self._finish()
        return out

    def _finish(self) -> None:
        """Fill in the intervals put off by :meth:`_interval` (grouped by reference size)."""
        pending, self._pending = self._pending or [], None
        by_n: dict[int, list[tuple[Measurement, float, bool]]] = {}
        for m, p, n, widen in pending:
            by_n.setdefault(n, []).append((m, p, widen))
        for n, items in by_n.items():
            lo, hi = jeffreys_many(np.array([p for _, p, _ in items], dtype=np.float64), n)
            for (m, _, widen), low, high in zip(items, lo.tolist(), hi.tolist(), strict=True):
                m.ci_low, m.ci_high = _widened(low, high, widen)

    def _classified_reads(self) -> float | None:
        if not hasattr(self, "_reads"):  # once per sample: it rolls the profile up to domain rank
            self._reads = classified_reads(self.sample)
        return self._reads

    def _table(self, rank: str):
        if rank not in self._tables:
            given = self._given.get(rank)
            self._tables[rank] = given[0] if given is not None else rank_table(self.sample, rank)
        return self._tables[rank]

    def _metric_row(self) -> dict[str, float]:
        """The sample's metric values by name (a dozen features read them; a column lookup in a DataFrame per
        feature cost more than placing it)."""
        if self._metric_values is None:
            self._metric_values = {str(c): float(v) for c, v in
                                   zip(self.metrics.columns, self.metrics.iloc[0].tolist(), strict=True)}
        return self._metric_values

    def _row(self, rank: str, table) -> np.ndarray:
        """The sample's values at ``rank`` as a dense row: a hundred features each pick a few columns, and
        picking from a sparse matrix cost more than the rest of the measuring."""
        if rank not in self._rows:
            given = self._given.get(rank)
            i = given[1] if given is not None and given[0] is table else 0
            self._rows[rank] = np.asarray(table.values[i].toarray(), dtype=np.float64).ravel()
        return self._rows[rank]

    def _index(self, rank: str, table) -> tuple[dict[str, int], dict[int, list[int]]]:
        """Column of each key and columns of each taxid (a lookup per feature instead of a scan of the table)."""
        if rank not in self._indexes:
            # the keys and taxids come from the plan worked out once per taxa table, so every one-sample slice
            # of a partition shares them: build their index once per such list, not once per sample
            self._indexes[rank] = by_taxa(table.keys, ("measure index", rank), lambda: _column_index(table))
        return self._indexes[rank]

    def _name_keys(self, feature: Feature) -> set[str]:
        keys: set[str] = set()
        for n in [*feature.all_names(), *feature.includes]:
            keys |= self._synonyms.keys(n)
            keys.add(normalise(n))
        return keys

    # ------------------------------------------------------------------ per kind
    def measure(self, feature: Feature) -> Measurement:
        m = self._measure(feature)
        m.reference = self.reference.name
        cal = calibration.feature(self.reference.name, feature.id)
        if cal is not None:
            m.healthy_tails = (cal["low"], cal["high"])
            if not cal["placed"] and m.status in ("low", "high", "typical", "absent"):
                m.status = "not_measured"
                m.reason = (f"not placed against {self.reference.name}: tested on independent healthy people, "
                            f"{cal['low']:.0%} were low or absent and {cal['high']:.0%} high where about 25 % each "
                            "is expected, so this placement would mislead (docs/placement.md)")
        if m.status == "absent":
            ok, why = absence_is_informative(self.sample, m.typical_low, reads=self._classified_reads())
            if not ok:
                m.status = "not_measured"
                m.reason = f"not detected, but {why}"
        return m

    def _measure(self, feature: Feature) -> Measurement:
        base = Measurement(feature=feature.id, name=feature.display_name, status="not_measured")
        if not feature.measurable_in_stool_profile:
            base.reason = "not something a stool profile measures"
            return base
        kind = feature.kind.value
        if kind == "diversity":
            metric = DIVERSITY_METRIC.get(feature.id)
            return self._metric(base, metric, "this diversity measure is not computed by gutskin")
        if kind == "index":
            return self._metric(base, INDEX_METRIC.get(feature.id), "index not computed")
        if kind == "guild":
            metric = GUILD_METRIC.get(feature.id) or GUILD_METRIC.get(feature.proxy or "")
            return self._metric(base, metric, "no computable definition of this guild")
        if kind == "taxon":
            return self._taxon(base, feature)
        base.reason = f"{kind} features are not measured from a profile"
        return base

    def _metric(self, m: Measurement, metric: str | None, missing: str) -> Measurement:
        if metric is None:
            m.reason = missing
            return m
        m.measure = metric
        if self.relation != "exact" and metric not in TRANSFERABLE:
            m.reason = (f"not placed: the reference {self.reference.name} was profiled differently and {metric} "
                        "was not shown to transfer between namings or profiler versions")
            return m
        row = self._metric_row()
        if metric not in row:
            m.reason = f"{metric} could not be computed for this profile"
            return m
        x = row[metric]
        m.value = _clean(x)
        dist = self.reference.metrics.get(metric)
        if m.value is None:
            m.reason = f"{metric} could not be computed for this profile"
            return m
        if dist is None or dist.n == 0:
            m.reason = f"the reference {self.reference.name} has no distribution for {metric}"
            return m
        p = dist.cdf(x)
        widen = self.relation != "exact"
        if widen:  # the version/naming difference is part of the uncertainty
            m.reason = (f"placed across a profiler/version difference; the interval includes ±{VERSION_MARGIN:.2f} "
                        "for it")
        m.percentile = p
        self._interval(m, p, dist.n, widen)
        m.typical_low, m.typical_high = dist.q(0.10), dist.q(0.90)
        m.status = _status(p)
        return m

    def _taxon(self, m: Measurement, feature: Feature) -> Measurement:
        rank = feature.rank.value if feature.rank else None
        if rank == "phylum":
            current = self._synonyms.resolve(feature.current_name or feature.name)
            return self._metric(m, f"phylum.{current}", "phylum not computed")
        if rank not in ("genus", "species"):
            m.reason = (f"no healthy reference distribution at {rank} rank; gutskin compares genera, species, "
                        "phyla and guilds")
            return m
        m.measure = rank
        if self.relation != "exact":
            m.reason = (f"not placed: taxa are not compared with the reference {self.reference.name}, which was "
                        "profiled with another profiler or version (names, genome bins and detection differ)")
            return m
        try:
            table = self._table(rank)
        except RefusedError as exc:
            table = None
            m.reason = str(exc)
        if table is None:
            m.reason = m.reason or f"the profile has no {rank} rank"
            return m
        cols, summary, typical = self._taxon_plan(feature, rank, table)
        row = self._row(rank, table)
        picked = row[cols]
        # the stored (non-zero) values in column order, summed as the sparse row's selection sums them
        value = float(picked[picked != 0].sum()) if cols else 0.0
        m.value = value
        m.matched = [table.names[j] for j, x in zip(cols, picked.tolist(), strict=True) if x > 0]
        if summary is None:
            if cols and value > 0:
                m.reason = f"found in the sample but not in the reference {self.reference.name}"
            else:
                m.reason = (f"no name of this taxon occurs in this profile's naming or in the reference "
                            f"{self.reference.name}")
            return m
        m.prevalence = summary.prevalence
        dist = summary.among_carriers
        if typical is not None:
            m.typical_low, m.typical_high = typical
        if value <= 0:
            m.status = "absent" if summary.prevalence >= ABSENT_MATTERS else "typical"
            if m.status == "typical":
                m.reason = f"not detected, as in {1 - summary.prevalence:.0%} of the reference"
            else:
                self._definition_caveat(m, feature, rank)
            return m
        if not dist.quantiles:
            m.reason = "too few carriers in the reference for an abundance comparison"
            return m
        p = (1 - summary.prevalence) + summary.prevalence * dist.cdf(value)
        m.percentile = p
        self._interval(m, p, self.reference.n, False)
        m.status = _status(p)
        self._definition_caveat(m, feature, rank)
        return m

    def _taxon_plan(self, feature: Feature, rank: str, table) -> tuple[list[int], Any, tuple[float, float] | None]:
        """The table columns that are ``feature``, its reference summary (None when the reference lacks every
        name of it) and its carriers' typical range (None without quantiles).

        They depend only on the taxa, the reference and the feature, so the one-sample slices of a partition
        share them (worked out once per taxa table and reference, not once per sample).
        """
        plans = by_taxa(table.keys, ("measure plans", rank, id(self.reference)), lambda: (self.reference, {}))
        if plans[0] is not self.reference:  # another reference now has that id: work it out uncached
            plans = (self.reference, {})
        plan = plans[1].get(feature.id)
        if plan is None:
            keys = self._name_keys(feature)
            by_key, by_taxid = self._index(rank, table)
            cols = sorted(by_key[k] for k in keys if k in by_key)  # column order, as a scan of the table gives
            if feature.ncbi_taxid is not None:
                cols += [j for j in by_taxid.get(feature.ncbi_taxid, []) if j not in cols]
            ref_taxa = self.reference.taxa.get(rank, {})
            ref_hits = [ref_taxa[k] for k in keys if k in ref_taxa]
            summary = max(ref_hits, key=lambda t: t.prevalence) if ref_hits else None
            dist = summary.among_carriers if summary is not None else None
            typical = (dist.q(0.10), dist.q(0.90)) if dist is not None and dist.quantiles else None
            plan = plans[1][feature.id] = (cols, summary, typical)
        return plan

    def _definition_caveat(self, m: Measurement, feature: Feature, rank: str) -> None:
        """Say so when the evidence's genus (often a 16S genus, wider) is not the current genus measured here."""
        if rank != "genus" or any(i.method == "16S" for i in self.sample.info):
            return
        split = SPLIT_GENERA.get(feature.current_name or feature.name) or SPLIT_GENERA.get(feature.name)
        if split:
            m.reason = (f"measured as the current genus {feature.name}; studies that named it earlier or by 16S also "
                        f"counted what is now {', '.join(split)}, so the evidence's {feature.name} is wider")


def _column_index(table) -> tuple[dict[str, int], dict[int, list[int]]]:
    by_taxid: dict[int, list[int]] = {}
    for j, t in enumerate(table.taxids):
        if t is not None:
            by_taxid.setdefault(t, []).append(j)
    return {k: j for j, k in enumerate(table.keys)}, by_taxid


def measure_all(sample: Profile, reference: Reference, kb: KnowledgeBase,
                metrics: tuple | None = None, rows: Mapping[str, tuple[Any, int]] | None = None
                ) -> dict[str, Measurement]:
    """Every knowledge-base feature measured in ``sample`` (a one-sample Profile); ``metrics`` and ``rows``:
    precomputed for a batch (:mod:`gutskin.engine.batch`)."""
    return SampleMeasurer(sample, reference, kb, metrics, rows).measure_many(kb.features())
