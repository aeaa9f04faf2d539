"""``analyse``: a profile (and optional answers and trial diaries) → one :class:`Analysis` per sample.

No I/O happens here: the faces read files (profiles, questionnaires, trial plans and diaries) and pass the
loaded objects. A part that is not valid for the input (a reference that cannot be compared, an index that
cannot be computed) is recorded as ``refused`` with its reason; any other exception is a bug and propagates —
nothing is retried with other settings behind the caller's back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import InputError, RefusedError
from ..insights.analysis import _population, analyze_insights
from ..insights.sanity import check_sample
from ..knowledge.questionnaire import Questionnaire
from ..metrics.composition import definitions, guild_shares
from ..profile import Profile, by_taxa
from ..reference.features import taxon_key
from ..reference.model import Reference
from ..reference.percentiles import percentile_rows
from ..safety import SafetyGate, age_group_of, gate_for_questionnaire
from ..taxonomy.synonyms import resolve
from .batch import metrics_by_sample, rank_rows_by_sample
from .model import (
    QUANTILE_POINTS,
    Analysis,
    Composition,
    FeatureMeasurement,
    Gate,
    GuildShare,
    IndexOutcome,
    PanelItem,
    PanelValidation,
    Part,
    Placement,
    Provenance,
    RecommendationOutcome,
    ReferenceUsed,
    SanityCheck,
    Skin,
    SkinPanel,
    TaxonShare,
    TrialOutcome,
    TrialPhaseDays,
)
from .resources import Resources, default_resources
from .scoring import INDEX_METRICS, score

#: the date the default schedule of a *suggested* trial is laid out from (only day numbers are used)
_SCHEDULE_ANCHOR = date(2000, 1, 3)


def finite(x: Any) -> float | None:
    """A plain float, or None for missing / NaN / infinite values (JSON has no NaN)."""
    if type(x) is float:  # most calls (hundreds of thousands per hundred reports): skip the general path
        return x if math.isfinite(x) else None
    if x is None or x is pd.NA:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def gate_for(questionnaire: Questionnaire | None) -> SafetyGate:
    """The elimination safety gate for these answers (``Questionnaire.gate_inputs`` → ``gutskin.safety``).

    Every entry point (CLI trial plan, report, insights, web) decides through this one path.
    """
    return gate_for_questionnaire(questionnaire)


def _gate_model(gate: SafetyGate, questionnaire: Questionnaire | None = None) -> Gate:
    return Gate(ok=gate.ok, reasons=list(gate.reasons), cautions=list(gate.cautions), advice=gate.advice,
                rule_ids=list(gate.rule_ids),
                inputs=_jsonable(dict(questionnaire.gate_inputs())) if questionnaire is not None else {})


def _age_group(q: Questionnaire | None) -> str | None:
    """The person's age group as the reference choice needs it (infants are never compared with adults)."""
    if q is None or q.about_you is None:
        return None
    return age_group_of(q.about_you.age_group, q.about_you.age_years)


def _per_sample(value: Any, samples: Sequence[str], what: str) -> dict[str, Any]:
    """One value for every sample, a mapping sample → value, or None."""
    if value is None:
        return dict.fromkeys(samples)
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in samples]
        if unknown:
            raise InputError(f"{what} given for unknown sample(s) {unknown}", field=what)
        return {s: value.get(s) for s in samples}
    return dict.fromkeys(samples, value)


def analyse(profile: Profile, resources: Resources | None = None, *,
            questionnaires: Questionnaire | Mapping[str, Questionnaire | None] | None = None,
            trial: Any = None, reference: str | Reference | None = None,
            samples: Sequence[str] | None = None, conditions: Sequence[str] | None = None,
            input_name: str | None = None) -> list[Analysis]:
    """One :class:`Analysis` per sample (all samples, or ``samples``).

    ``questionnaires``: one questionnaire for every sample, or a mapping sample → questionnaire.
    ``trial``: ``(plan, diary)`` loaded with :mod:`gutskin.trial`, or a mapping sample → ``(plan, diary)``.
    ``reference``: a reference name (pinned), a loaded reference, or None for the best method match.
    ``conditions``: the skin conditions to build panels for (default: those in the questionnaire, else every
    condition with gut evidence); an unknown condition is an :class:`~gutskin.errors.InputError`.
    ``input_name``: the file name the face read, recorded in the provenance (no folders).
    """
    resources = resources or default_resources()
    if samples is not None:
        idx = []
        for s in dict.fromkeys(samples):
            if s not in profile.samples:
                raise InputError(f"no sample named {s!r}; samples are {profile.samples[:10]}", field="--sample")
            idx.append(profile.samples.index(s))
        profile = profile.take_samples(idx)
    limit = resources.settings.max_samples
    if limit is not None and profile.n_samples > limit:
        raise InputError(f"the input holds {profile.n_samples} samples; at most {limit} may be analysed at once",
                         field="samples")
    qs = _per_sample(questionnaires, profile.samples, "questionnaires")
    trials = _per_sample(trial, profile.samples, "trial") if not isinstance(trial, tuple) else dict.fromkeys(
        profile.samples, trial)
    kb = resources.knowledge

    # alpha diversity at species rank where the profile can form it; a genus-only table (16S exports) at genus,
    # as its reference measured its people, instead of refusing the whole report
    scores = score(profile, metrics="all", rank="species" if profile.has_rank("species") else "genus")
    comp = _composition(profile)
    # the reference is chosen per age group (an infant is never compared with adults), percentiles once per group
    groups: dict[str | None, list[int]] = {}
    for i, s in enumerate(profile.samples):
        groups.setdefault(_age_group(qs[s]), []).append(i)
    chosen: dict[int, tuple[ReferenceUsed | None, Part, Reference | None]] = {}
    pct: dict[str, list[Placement]] = {}
    measured: dict[str, Any] = {}
    rows: dict[str, Any] = {}
    for age, members in groups.items():
        sub = profile if len(members) == profile.n_samples else profile.take_samples(members)
        got = _reference(sub, resources, reference, age)
        pct.update(_percentiles(got[2], sub))
        chosen.update(dict.fromkeys(members, got))
        if got[2] is not None:
            # the metrics the skin panels place, for the whole group at once where that is exact (see .batch)
            measured.update(metrics_by_sample(sub, got[2].metric_rank))
            rows.update(rank_rows_by_sample(sub))
    out = []
    for i, sample in enumerate(profile.samples):
        ref_used, ref_part, ref = chosen[i]
        one = profile.take_samples([i]) if profile.n_samples > 1 else profile
        q = qs[sample]
        gate = gate_for(q)
        sanity = _sanity(one, q)
        skin, recs = _skin(one, q, ref, ref_part, resources, conditions,
                           comparable=not any(c.severity == "stop" for c in sanity), metrics=measured.get(sample),
                           rows=rows.get(sample))
        info = profile.info[i]
        extra = info.extra if isinstance(info.extra, dict) else {}
        provenance = Provenance(
            sample=sample, input_name=input_name, input_format=info.format, profiler=info.profiler,
            profiler_version=info.profiler_version, database=info.database, method=info.method, units=info.units,
            unclassified_share=finite(info.unclassified_share),
            input_warnings=[str(w) for w in extra.get("warnings", [])], reference=ref_used,
            kb_version=str(kb.version), gutskin_version=__version__, questionnaire_given=q is not None,
            trial_given=trials[sample] is not None)
        row = scores.table.iloc[i]
        out.append(Analysis(
            sample=sample, provenance=provenance, reference_part=ref_part, sanity=sanity,
            scores={c: finite(row[c]) for c in scores.metric_columns}, score_warnings=list(scores.notes[sample]),
            alpha_rank=scores.rank, indices=_indices(scores, sample), placements=pct.get(sample, []),
            composition=_composition_for(comp, i), skin=skin, recommendations=recs,
            gate=_gate_model(gate, q), trial=_trial(trials[sample], recs, q, gate)))
    return out


# ---------------------------------------------------------------------------------------------- sanity
def _sanity(one: Profile, q: Questionnaire | None) -> list[SanityCheck]:
    """The sample sanity checks that fire (coded; the report words them and shows them first)."""
    out = []
    for f in check_sample(one, _age_group(q) or "adult"):
        facts = {str(k): float(v) for k, v in (f.details or {}).items() if finite(v) is not None}
        out.append(SanityCheck(code=f.code, severity=f.severity, value=finite(f.value), taxon=f.taxon,
                               taxid=f.taxid, facts=facts))
    return out


# ---------------------------------------------------------------------------------------------- reference
def _reference(profile: Profile, resources: Resources, reference: str | Reference | None, age_group: str | None
               ) -> tuple[ReferenceUsed | None, Part, Reference | None]:
    if isinstance(reference, Reference):
        ref, match, caveats = reference, "given", []
    else:
        try:
            choice = resources.references.choose(profile, reference, age_group=age_group)
        except RefusedError as exc:
            return None, Part(status="refused", reason=str(exc)), None
        ref, match, caveats = choice.reference, choice.match, list(choice.caveats)
    d = ref.describe()
    used = ReferenceUsed(
        name=ref.name, title=ref.title, n=int(ref.n), match=match, caveats=caveats,
        profiler=d.get("profiler"), profiler_version=d.get("profiler_version"), database=d.get("database"),
        method=d.get("method"), source=d.get("source") or None, citation=d.get("citation") or None,
        licence=d.get("licence"), healthy_definition=d.get("healthy_definition"),
        notes=[str(n) for n in d.get("notes") or []])
    return used, Part(), ref


def _percentiles(ref: Reference | None, profile: Profile) -> dict[str, list[Placement]]:
    if ref is None:
        return {}
    out: dict[str, list[Placement]] = {}
    thinned: dict[str, list[float] | None] = {}
    # an absent taxon's placement says the same for every sample lacking it (value 0, the reference's prevalence
    # and typical range): one frozen instance per taxon is shared, and over half of a sample's placements are these
    absent: dict[tuple, Placement] = {}
    keys: dict[tuple[str, str], str] = {}  # taxon_key per (name, rank): a chunk's samples share their taxa
    for sample, kind, feature, rank, value, pct, lo, hi, low, high, prevalence, status, n in percentile_rows(
            profile, ref):
        placements = out.get(sample)
        if placements is None:
            placements = out[sample] = []
        if kind == "taxon" and status == "absent":
            tail = (feature, rank, value, low, high, prevalence, n)
            shared = absent.get(tail)
            if shared is None:
                shared = absent[tail] = _placement(ref, thinned, keys, kind, feature, rank, value, pct, lo, hi, low,
                                                   high, prevalence, status, n)
            placements.append(shared)
        else:
            placements.append(_placement(ref, thinned, keys, kind, feature, rank, value, pct, lo, hi, low, high,
                                         prevalence, status, n))
    return out


def _placement(ref: Reference, thinned: dict[str, list[float] | None], keys: dict[tuple[str, str], str],
               kind: str, feature: Any, rank: Any, value: Any, pct: Any, lo: Any, hi: Any, low: Any, high: Any,
               prevalence: Any, status: Any, n: Any) -> Placement:
    """One row of :func:`~gutskin.reference.percentiles.percentile_rows` as a Placement (``thinned`` and
    ``keys``: the metric curves and taxon keys worked out so far in this call)."""
    name = str(feature)
    quantiles = None
    if kind == "metric":
        if name not in thinned:
            thinned[name] = _quantiles(ref, name)
        quantiles = thinned[name]
    key = None
    if kind == "taxon" and isinstance(rank, str):
        key = keys.get((name, rank))
        if key is None:
            key = keys[(name, rank)] = taxon_key(name, rank)
    # built without re-validation from one dict in field order: every field is made here from checked values
    # (finite() floats, int(), str()), and a report of one sample holds hundreds of them
    return Placement.trusted_dict({
        "kind": kind, "feature": name, "rank": rank if isinstance(rank, str) else None, "key": key,
        "value": finite(value), "percentile": finite(pct), "ci_low": finite(lo), "ci_high": finite(hi),
        "typical_low": finite(low), "typical_high": finite(high), "prevalence": finite(prevalence),
        "status": status, "n_reference": n if type(n) is int else (None if finite(n) is None else int(n)),
        "quantiles": quantiles})


def _quantiles(ref: Reference, metric: str) -> list[float] | None:
    """A reference metric's distribution thinned to :data:`QUANTILE_POINTS` quantiles (enough to draw it)."""
    dist = ref.metrics.get(metric)
    if dist is None or not dist.quantiles or dist.n == 0:
        return None
    q = np.asarray(dist.quantiles, dtype=float)
    return [float(v) for v in np.interp(np.linspace(0.0, 1.0, QUANTILE_POINTS), np.linspace(0.0, 1.0, len(q)), q)]


# ---------------------------------------------------------------------------------------------- indices
def _indices(scores, sample: str) -> list[IndexOutcome]:
    out = []
    for key, res in scores.indices.items():
        cov = res.coverage if isinstance(res.coverage, Mapping) else {}
        fraction = next((finite(cov.get(n)) for n in ("fraction", "share") if finite(cov.get(n)) is not None), None)
        nm = cov.get("naming_matches")
        out.append(IndexOutcome(
            key=key, value=finite(res.values.get(sample)), coverage=fraction, coverage_text=str(cov.get("text") or ""),
            naming_matches=None if nm is None else bool(nm), built_on=res.reference.get("built_on"),
            warnings=[str(w) for w in res.warnings_for(sample)]))
    for key, reason in scores.refused.items():
        if key in INDEX_METRICS and key not in scores.indices:
            out.append(IndexOutcome(key=key, status="refused", reason=reason))
    if "hmp2_dysbiosis" not in scores.indices:
        out.append(IndexOutcome(key="hmp2_dysbiosis", status="refused",
                                reason=("it scores a sample against the healthy cohort's own sample profiles, and "
                                        "the shipped references keep only summaries of them")))
    return out


# ---------------------------------------------------------------------------------------------- composition
def _composition(profile: Profile) -> dict[str, Any]:
    """Whole-table composition (phylum and genus shares, species counts, guilds), computed once."""
    out: dict[str, Any] = {}
    for rank in ("phylum", "genus"):
        try:
            out[rank] = profile.proportions(rank)
        except RefusedError:
            out[rank] = None
    try:
        species = profile.at_rank("species")
        out["n_species"] = np.asarray((species.values > 0).sum(axis=1)).ravel()
    except RefusedError:
        out["n_species"] = None
    shares = guild_shares(profile)
    out["guilds"] = shares
    # read sample by sample: one array for the table, not a pandas row per sample and guild
    out["guild_rows"] = shares.values.to_numpy(dtype=float, na_value=np.nan)
    out["guild_version"] = definitions().version
    return out


def _shares(view, i: int, rank: str) -> list[TaxonShare]:
    if view is None:
        return []
    row = view.values.getrow(i)
    order = np.argsort(-row.data, kind="stable")
    names, current, keys, taxids = by_taxa(view.taxa, ("taxon shares", rank), lambda: _share_plan(view.taxa, rank))
    out = []
    for j in order:
        col = row.indices[j]
        out.append(TaxonShare.trusted(rank=rank, name=names[col], current_name=current[col], key=keys[col],
                                      taxid=taxids[col], share=float(row.data[j])))
    return out


def _share_plan(taxa: pd.DataFrame, rank: str) -> tuple[list[str], list[str], list[str], list[int | None]]:
    """Each column's name, current name, comparison key and taxid: they depend only on the taxa, so a chunk's
    samples share them (a sample holds a few dozen phyla and genera, a chunk the same ones)."""
    names = [str(n) for n in taxa["name"].tolist()]
    raw = taxa["taxid"].tolist() if "taxid" in taxa.columns else [None] * len(names)
    return (names, [resolve(n).replace("_", " ") for n in names], [taxon_key(n, rank) for n in names],
            [None if t is None or pd.isna(t) else int(t) for t in raw])


def _composition_for(comp: dict[str, Any], i: int) -> Composition:
    shares = comp["guilds"]
    frame = shares.values
    single = frame.shape[0] == 1
    row = comp["guild_rows"][i].tolist()
    guilds = [GuildShare.trusted(id=c.removeprefix("guild."), share=finite(x),
                                 members_found=list((shares.found or {}).get(c, [])) if single else [])
              for c, x in zip(frame.columns, row, strict=True)]
    phyla = _shares(comp["phylum"], i, "phylum")
    genera = _shares(comp["genus"], i, "genus")
    n_species = comp["n_species"]
    return Composition(phyla=phyla, genera=genera, n_species=None if n_species is None else int(n_species[i]),
                       guilds=guilds, guild_definitions_version=comp["guild_version"],
                       warnings=[str(w) for w in shares.warnings])


# ---------------------------------------------------------------------------------------------- skin
def _skin(one: Profile, q: Questionnaire | None, ref: Reference | None, ref_part: Part, resources: Resources,
          conditions: Sequence[str] | None = None, *, comparable: bool = True, metrics: Any = None,
          rows: Any = None) -> tuple[Skin, list[RecommendationOutcome]]:
    kb = resources.knowledge
    asked = [kb.resolve_condition(c) or c for c in (q.conditions() if q is not None else [])]
    if ref is None:
        # no comparable reference: panels cannot place anything; advice from the answers alone
        from ..insights.recommend import Findings, recommend

        findings = Findings(conditions=tuple(c for c in asked if kb.resolve_condition(c)))
        recs = recommend(findings, q, kb)
        return (Skin(part=Part(status="refused", reason=f"no healthy reference to compare with: {ref_part.reason}"),
                     conditions_asked=asked), [_rec(r) for r in recs])
    ins = analyze_insights(one, q, reference=ref, kb=kb, conditions=list(conditions) if conditions else None,
                           comparable=comparable, metrics=metrics, rows=rows)
    population = _population(q)
    panels = [SkinPanel(
        condition=p.condition, gut_evidence=p.gut_evidence, relevant=p.condition in asked, population=population,
        score=finite(p.score),
        interval=None if p.interval is None else (float(p.interval[0]), float(p.interval[1])),
        counts=dict(p.counts), raw_score=finite(p.raw_score),
        lean_calibration=(p.lean_calibration or {}).get("status"), validation=_validation(p.validation),
        lean_main_point=bool(p.lean_main_point),
        items=[PanelItem.trusted(feature=it.feature, grade=it.grade, direction=it.direction,
                                 conflict=bool(it.conflict), alignment=it.alignment, weight=float(it.weight),
                                 associations=[e.association for e in it.evidence], subgroup=it.subgroup,
                                 main_point_eligible=bool(it.main_point_eligible)) for it in p.items])
        for p in ins.panels]
    # built without re-validation, like the placements: every field is a checked value (finite() floats, the
    # measurer's own status words and strings), a hundred per sample
    measurements = {fid: FeatureMeasurement.trusted(
        feature=fid, status=m.status, value=finite(m.value), percentile=finite(m.percentile),
        ci_low=finite(m.ci_low), ci_high=finite(m.ci_high), typical_low=finite(m.typical_low),
        typical_high=finite(m.typical_high), prevalence=finite(m.prevalence), measure=m.measure,
        matched=list(m.matched), reason=m.reason) for fid, m in ins.measurements.items()}
    return (Skin(conditions_asked=asked, panels=panels, measurements=measurements),
            [_rec(r) for r in ins.recommendations])


def _validation(v: Mapping[str, Any] | None) -> PanelValidation:
    v = v or {}
    ci = v.get("ci")
    cohorts = [{str(k): (list(x) if isinstance(x, tuple) else x) for k, x in c.items()} for c in v.get("cohorts") or []]
    return PanelValidation(status=str(v.get("status") or "not_validated"), auc=finite(v.get("auc")),
                           ci=None if not ci else (float(ci[0]), float(ci[1])), cohorts=cohorts)


def _rec(r: Any) -> RecommendationOutcome:
    gate = None
    if r.gate is not None:
        gate = _gate_model(r.gate)
    return RecommendationOutcome(
        rule_id=r.id, category=r.category, action=r.action, grade=r.grade, derived_grade=r.derived_grade,
        outcome=r.outcome, personalised=bool(r.personalised), score=finite(r.score), reasons=list(r.reasons),
        unknowns=list(r.unknowns), citations=[key for key, _ in r.citations], safety_notes=list(r.safety_notes),
        nutrient_cautions=list(r.nutrient_cautions), gate=gate, trial_foods=list(r.trial_foods),
        trial_command=r.trial_command, probiotic_strains=list(r.probiotic_strains), evidence_for=r.evidence_for,
        safety_rules=list(r.safety_rules), shown_first=bool(r.shown_first), title=r.title, text=r.text,
        rationale=r.rationale)


# ---------------------------------------------------------------------------------------------- trial
def _phases(plan: Any) -> list[TrialPhaseDays]:
    start = plan.phases[0].start
    return [TrialPhaseDays(name=str(ph.name or ph.kind), kind=str(ph.kind), start_day=(ph.start - start).days + 1,
                           end_day=(ph.end - start).days + 1) for ph in plan.phases]


def _trial(given: Any, recs: list[RecommendationOutcome], q: Questionnaire | None, gate: SafetyGate
           ) -> TrialOutcome | None:
    from .. import trial as trial_mod

    if given is not None:
        plan, diary = given
        result = dict(trial_mod.analyze(plan, diary))
        phases = _phases(plan)
        start = plan.phases[0].start
        outcome = result.get("outcome") or plan.outcome
        points: list[tuple[int, float | None, str | None]] = []
        frame = diary.frame
        if outcome in frame.columns:
            last = phases[-1].end_day
            for d, v in zip(frame["date"], frame[outcome], strict=True):
                day = (d - start).days + 1
                if 1 <= day <= last:
                    ph = next((p.name for p in phases if p.start_day <= day <= p.end_day), None)
                    points.append((day, finite(v), ph))
        return TrialOutcome(food=result.get("food") or plan.food, outcome=outcome,
                            result=_jsonable(result), phases=phases, points=points)
    if not gate.ok:
        return None
    for r in recs:
        if r.category != "elimination_trial" or (r.gate is not None and not r.gate.ok) or not r.trial_foods:
            continue
        conds = q.conditions() if q is not None else []
        plan = trial_mod.make_plan(r.trial_foods[0], conds[0] if conds else None, _SCHEDULE_ANCHOR, gate=gate)
        return TrialOutcome(part=Part(status="not_requested", reason="suggested, not yet run"),
                            food=r.trial_foods[0], phases=_phases(plan),
                            result={"notes": [*map(str, plan.notes), *map(str, plan.sources)]})
    return None


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return finite(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (date, pd.Timestamp)):
        return obj.isoformat()
    return obj
