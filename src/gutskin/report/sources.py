"""Adapters: every call the report makes into the rest of gutskin goes through this module.

The report is built from parts written separately (reference cohorts, metrics, indices, knowledge base,
insights, trial analysis). Each adapter here calls one of them and returns plain data the report builder
understands, so when a part changes its interface only this file changes.

An adapter raises :class:`Unavailable` when its part is not installed in this version, or refuses the input
(a :class:`~gutskin.errors.RefusedError`), with a sentence a reader can be shown. Bad input from the user
(:class:`~gutskin.errors.InputError`) is never swallowed.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, RefusedError
from ..profile import Profile


class Unavailable(Exception):
    """What a section needs cannot be had; ``str(exc)`` is shown to the reader."""

    def __init__(self, reason: str, kind: str = "missing") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind  # missing (not in this version) | refused (not valid for this input) | failed


def _module(name: str, what: str):
    """Import ``gutskin.<name>``; a part not written yet becomes :class:`Unavailable`."""
    try:
        return importlib.import_module(f"gutskin.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("gutskin"):
            raise Unavailable(f"{what}: not available in this version") from None
        raise
    except ImportError as exc:  # a part half-written: importable package, missing names
        raise Unavailable(f"{what}: not available in this version ({exc})") from None


def _attr(module, name: str, what: str):
    func = getattr(module, name, None)
    if func is None:
        raise Unavailable(f"{what}: not available in this version")
    return func


def get(obj: Any, name: str, default: Any = None) -> Any:
    """``obj.name`` or ``obj[name]``: results from other parts may be objects or plain dicts."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def finite(x: Any) -> float | None:
    """A plain float, or None for missing / NaN / infinite values (JSON has no NaN)."""
    if x is None or x is pd.NA:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def guarded(func: Callable[..., Any], what: str, *args: Any, **kwargs: Any) -> Any:
    """Run ``func``; refusals become :class:`Unavailable` (kind 'refused'), input errors propagate."""
    try:
        return func(*args, **kwargs)
    except Unavailable:
        raise
    except InputError:
        raise
    except RefusedError as exc:
        raise Unavailable(f"{what}: not computed for this input ({exc})", kind="refused") from None
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("gutskin"):
            raise Unavailable(f"{what}: not available in this version (needs {exc.name})") from None
        raise


# ---------------------------------------------------------------------------------------------- reference
@dataclass
class ReferenceView:
    """The chosen reference cohort and this profile's percentiles in it."""

    reference: Any
    match: str
    caveats: list[str]
    table: pd.DataFrame | None = None  # columns as reference.percentiles.COLUMNS
    table_reason: str | None = None

    @property
    def name(self) -> str:
        return self.reference.name

    def describe(self) -> dict[str, Any]:
        return dict(self.reference.describe())

    def metric_quantiles(self, metric: str, points: int = 41) -> tuple[int, list[float], list[float]] | None:
        """(n, probabilities, values) of a reference metric, thinned to ``points`` quantiles for drawing."""
        dist = self.reference.metrics.get(metric)
        if dist is None or not dist.quantiles or dist.n == 0:
            return None
        q = np.asarray(dist.quantiles, dtype=float)
        grid = np.linspace(0.0, 1.0, len(q))
        probs = np.linspace(0.0, 1.0, points)
        vals = np.interp(probs, grid, q)
        return int(dist.n), [float(p) for p in probs], [float(v) for v in vals]


def choose_reference(profile: Profile, name: str | None = None) -> ReferenceView:
    """The reference for ``profile`` (pinned by ``name``, else the best match); :class:`Unavailable` if none."""
    ref_mod = _module("reference", "Reference cohorts")
    choose = _attr(ref_mod, "choose", "Reference cohorts")
    try:
        choice = choose(profile, name)
    except RefusedError as exc:
        raise Unavailable(str(exc), kind="refused") from None
    return ReferenceView(reference=choice.reference, match=choice.match, caveats=list(choice.caveats))


def reference_percentiles(view: ReferenceView, profile: Profile) -> pd.DataFrame:
    """Percentile rows (metrics and taxa) of every sample of ``profile`` in the chosen reference."""
    return guarded(view.reference.percentiles, "Reference percentiles", profile)


def taxon_key(name: str) -> str:
    """The comparison key the reference uses for taxon names (current name, folded)."""
    try:
        from ..reference.features import taxon_key as _key
    except ImportError:  # pragma: no cover - reference package is part of the core
        return " ".join(str(name).replace("_", " ").lower().split())
    return _key(str(name))


def current_name(name: str) -> str:
    """The current accepted name of a taxon (old names resolved), with underscores as spaces."""
    try:
        from ..taxonomy.synonyms import resolve
    except ImportError:  # pragma: no cover
        return str(name).replace("_", " ")
    return resolve(str(name)).replace("_", " ")


# ---------------------------------------------------------------------------------------------- metrics
ALPHA_WANTED = ("shannon", "observed", "inv_simpson", "pielou", "simpson")


def alpha_diversity(profile: Profile) -> pd.DataFrame:
    """Samples × alpha metrics (the metrics the reference also summarises)."""
    metrics = _module("metrics", "Diversity metrics")
    func = _attr(metrics, "alpha_diversity", "Diversity metrics")
    frame = guarded(func, "Diversity", profile, list(ALPHA_WANTED))
    return frame


@dataclass
class Guild:
    id: str
    label: str
    marker: str | None
    direction: str
    evidence: str
    caveat: str | None
    citations: list[str]
    member_names: list[tuple[str, str]]  # (rank, name)


@dataclass
class GuildTable:
    shares: pd.DataFrame  # samples × guild ids
    guilds: list[Guild]
    found: dict[str, list[str]] = field(default_factory=dict)  # guild id -> member names present (whole table)
    warnings: list[str] = field(default_factory=list)
    version: str | None = None


def guild_shares(profile: Profile) -> GuildTable:
    metrics = _module("metrics", "Guild summaries")
    func = _attr(metrics, "guild_shares", "Guild summaries")
    defs = _attr(metrics, "definitions", "Guild summaries")()
    shares = guarded(func, "Guild summaries", profile)
    frame = shares.values.copy()
    frame.columns = [c.removeprefix("guild.") for c in frame.columns]
    guilds = [Guild(id=g.id, label=g.label, marker=getattr(g, "marker", None), direction=g.direction,
                    evidence=g.evidence, caveat=g.caveat, citations=list(g.citations),
                    member_names=[(m.rank, m.name) for m in g.members])
              for g in defs.guilds]
    found = {k.removeprefix("guild."): list(v) for k, v in (shares.found or {}).items()}
    return GuildTable(frame, guilds, found, list(shares.warnings), getattr(defs, "version", None))


# ---------------------------------------------------------------------------------------------- indices
@dataclass
class IndexValues:
    """One published index over all samples, with what limits it."""

    key: str
    values: pd.Series
    coverage_text: str = ""
    coverage: float | None = None  # share of the index's taxa this input can express, when it says
    naming_matches: bool | None = None  # the input uses the naming the index was built on
    warnings: list[str] = field(default_factory=list)
    sample_warnings: dict[str, list[str]] = field(default_factory=dict)
    reference: dict[str, str] = field(default_factory=dict)

    def value(self, sample: str) -> float | None:
        return finite(self.values.get(sample)) if sample in self.values.index else None

    def warnings_for(self, sample: str) -> list[str]:
        return list(self.warnings) + list(self.sample_warnings.get(sample, []))


#: report key -> function name in gutskin.indices (``<name>_result`` is preferred when it exists)
INDEX_FUNCTIONS = {"gmhi": "gmhi", "gmwi2": "gmwi2", "gevers_md": "gevers_md", "hmp2_dysbiosis": "hmp2_dysbiosis"}
#: indices that score a sample against a reference cohort's own sample profiles
NEEDS_REFERENCE_PROFILES = {"hmp2_dysbiosis"}


def published_indices(profile: Profile, reference_profiles: Profile | None = None) -> tuple[
        dict[str, IndexValues], dict[str, str]]:
    """Every published index the indices part offers: (results, reason per index that could not be had)."""
    try:
        mod = _module("indices", "Published indices")
    except Unavailable as exc:
        return {}, dict.fromkeys(INDEX_FUNCTIONS, exc.reason)
    out: dict[str, IndexValues] = {}
    missing: dict[str, str] = {}
    for key, fname in INDEX_FUNCTIONS.items():
        func = getattr(mod, f"{fname}_result", None) or getattr(mod, fname, None)
        if func is None:
            missing[key] = "not available in this version"
            continue
        args: tuple[Any, ...] = (profile,)
        if key in NEEDS_REFERENCE_PROFILES:
            if reference_profiles is None:
                missing[key] = ("it scores a sample against the healthy cohort's own sample profiles, and the "
                                "shipped references keep only summaries of them")
                continue
            args = (profile, reference_profiles)
        try:
            result = guarded(func, key, *args)
        except Unavailable as exc:
            missing[key] = exc.reason
            continue
        out[key] = _index_values(key, result)
    return out, missing


def _coverage_fraction(cov: Mapping[str, Any]) -> float | None:
    """The share of the index's taxa matched, only when the index states it as a number."""
    for name in ("fraction", "share"):
        if finite(cov.get(name)) is not None:
            return finite(cov.get(name))
    return None


def _index_values(key: str, result: Any) -> IndexValues:
    if isinstance(result, pd.Series):
        attrs = dict(result.attrs)
        values = result
    else:
        attrs = {"coverage": get(result, "coverage"), "warnings": get(result, "warnings"),
                 "sample_warnings": get(result, "sample_warnings"), "reference": get(result, "reference")}
        values = get(result, "values")
    if not isinstance(values, pd.Series):
        raise Unavailable(f"{key}: result in an unexpected shape ({type(result).__name__})", kind="failed")
    cov = attrs.get("coverage")
    text, fraction, matches = "", None, None
    if isinstance(cov, Mapping):
        text = str(cov.get("text") or "")
        fraction = _coverage_fraction(cov)
        nm = cov.get("naming_matches")
        matches = None if nm is None else bool(nm)
    elif finite(cov) is not None:
        fraction = finite(cov)
    return IndexValues(key=key, values=values, coverage_text=text, coverage=fraction, naming_matches=matches,
                       warnings=[str(w) for w in attrs.get("warnings") or []],
                       sample_warnings={str(k): [str(x) for x in v]
                                        for k, v in (attrs.get("sample_warnings") or {}).items()},
                       reference={str(k): str(v) for k, v in (attrs.get("reference") or {}).items()})


# ---------------------------------------------------------------------------------------------- knowledge
def knowledge_base() -> Any:
    kb_mod = _module("knowledge", "Knowledge base")
    load = _attr(kb_mod, "load_kb", "Knowledge base")
    try:
        return guarded(load, "Knowledge base")
    except InputError as exc:  # the shipped knowledge base itself is incomplete: not the user's input
        raise Unavailable(f"Knowledge base: could not be loaded in this version ({exc})", kind="failed") from None


def kb_version(kb: Any) -> str | None:
    v = get(kb, "version")
    return None if v is None else str(v)


def load_questionnaire(path_or_obj: Any) -> Any:
    """A questionnaire from a file path (or an already loaded one, returned as is)."""
    if path_or_obj is None:
        return None
    if not isinstance(path_or_obj, (str, bytes)) and not hasattr(path_or_obj, "__fspath__"):
        return path_or_obj
    mod = _module("knowledge.questionnaire", "Questionnaire")
    load = _attr(mod, "load_questionnaire", "Questionnaire")
    return load(path_or_obj)


def questionnaire_answers(q: Any) -> dict[str, Any]:
    """The questionnaire as a nested dict of answers."""
    if q is None:
        return {}
    if isinstance(q, Mapping):
        return dict(q)
    dump = getattr(q, "model_dump", None)
    if dump is not None:
        return dump(mode="json")
    to_dict = getattr(q, "to_dict", None)
    return to_dict() if to_dict else dict(vars(q))


def questionnaire_conditions(q: Any) -> list[str]:
    """Skin conditions the person reports (ids or names as the questionnaire writes them)."""
    method = getattr(q, "conditions", None)
    if callable(method):
        return [str(c) for c in method()]
    for name in ("conditions", "skin_conditions"):
        v = get(q, name)
        if v:
            return [str(get(c, "id", None) or get(c, "condition", None) or c) for c in v]
    skin = get(q, "skin")
    if skin is not None:
        v = get(skin, "conditions")
        if v:
            return [str(get(c, "id", None) or get(c, "condition", None) or c) for c in v]
    return []


# ---------------------------------------------------------------------------------------------- insights
def skin_insights(profile: Profile, questionnaire: Any = None, reference: Any = None) -> Any:
    """The per-condition skin analysis (``gutskin.insights.analyze``)."""
    mod = _module("insights", "Skin evidence panel")
    analyze = _attr(mod, "analyze", "Skin evidence panel")
    kwargs: dict[str, Any] = {"questionnaire": questionnaire}
    if reference is not None:
        try:
            return guarded(analyze, "Skin evidence panel", profile, reference=reference, **kwargs)
        except TypeError:
            pass
    return guarded(analyze, "Skin evidence panel", profile, **kwargs)


STATUS_FOR_RULES = {"below typical": "low", "above typical": "high", "typical": "typical", "absent": "absent"}


def findings_mapping(kb: Any, statuses: Iterable[tuple[str, str | None]], conditions: Iterable[str],
                     sample: str) -> dict[str, Any]:
    """What the recommendation rules read: knowledge-base feature -> low | typical | high | absent.

    ``statuses`` are (feature key, percentile status) pairs; keys may be feature ids, marker ids or taxon names
    (resolved by the knowledge base); statuses the rules do not know are left out (not measured).
    """
    features: dict[str, str] = {}
    for key, status in statuses:
        mapped = STATUS_FOR_RULES.get(status or "")
        fid = kb.resolve_feature(key) if kb is not None else None
        if mapped and fid and fid not in features:
            features[fid] = mapped
    conds = [c for c in ((kb.resolve_condition(c) if kb is not None else c) for c in conditions) if c]
    return {"features": features, "conditions": conds, "sample": sample}


def recommendations(findings: Any, questionnaire: Any = None) -> Any:
    mod = _module("insights.recommend", "Recommendations")
    recommend = _attr(mod, "recommend", "Recommendations")
    return guarded(recommend, "Recommendations", findings, questionnaire)


def safety_gate(questionnaire: Any) -> Any:
    """The elimination safety gate, fed from questionnaire answers (unknown answers stay unknown)."""
    from ..safety import elimination_gate

    gate_inputs = getattr(questionnaire, "gate_inputs", None)
    if gate_inputs is not None:
        return elimination_gate(**gate_inputs())
    answers = questionnaire_answers(questionnaire)

    def pick(*paths: str) -> Any:
        for path in paths:
            cur: Any = answers
            for part in path.split("."):
                cur = cur.get(part) if isinstance(cur, Mapping) else None
                if cur is None:
                    break
            if cur is not None:
                return cur
        return None

    def flag(*paths: str) -> bool | None:
        v = pick(*paths)
        return None if v is None else bool(v)

    age = pick("age_years", "person.age_years", "about.age_years", "age")
    try:
        age_years = float(age) if age is not None and not isinstance(age, bool) else None
    except (TypeError, ValueError):
        age_years = None
    group = pick("age_group", "person.age_group", "about.age_group")
    return elimination_gate(
        age_group=None if group is None else str(group), age_years=age_years,
        immediate_reactions=flag("immediate_reactions", "safety.immediate_reactions", "history.immediate_reactions"),
        anaphylaxis=flag("anaphylaxis", "safety.anaphylaxis", "history.anaphylaxis"),
        ige_allergy=flag("ige_allergy", "safety.ige_allergy", "history.ige_allergy"),
        pregnant=flag("pregnant", "safety.pregnant", "person.pregnant"),
        eating_disorder_history=flag("eating_disorder_history", "safety.eating_disorder_history",
                                     "history.eating_disorder"))


# ---------------------------------------------------------------------------------------------- trial
@dataclass
class TrialPhaseDays:
    name: str
    kind: str
    start_day: int  # 1-based day of the trial
    end_day: int


@dataclass
class TrialRun:
    """A trial's analysis with its calendar turned into trial days (day 1 = first day of the plan)."""

    food: str | None
    result: dict[str, Any]
    phases: list[TrialPhaseDays]
    points: list[tuple[int, float | None, str | None]]  # (day, score, phase name)
    outcome: str | None


def _trial_function(name: str, submodule: str) -> Callable[..., Any]:
    mod = _module("trial", "Elimination-trial analysis")
    func = getattr(mod, name, None)
    if func is None:
        sub = _module(f"trial.{submodule}", "Elimination-trial analysis")
        func = _attr(sub, name, "Elimination-trial analysis")
    return func


def run_trial(plan_path: Any, diary_path: Any) -> TrialRun:
    """Load a plan and its diary, analyse them, and lay the diary out on trial days for the timeline."""
    load_plan = _trial_function("load_plan", "plan")
    load_diary = _trial_function("load_diary", "diary")
    analyze = _trial_function("analyze", "analysis")
    plan = load_plan(plan_path)
    diary = load_diary(diary_path, plan)
    result = dict(guarded(analyze, "Elimination-trial analysis", plan, diary))
    start = plan.phases[0].start
    phases = [TrialPhaseDays(name=str(ph.name or ph.kind), kind=str(ph.kind), start_day=(ph.start - start).days + 1,
                             end_day=(ph.end - start).days + 1) for ph in plan.phases]
    outcome = result.get("outcome") or getattr(plan, "outcome", None)
    points: list[tuple[int, float | None, str | None]] = []
    frame = getattr(diary, "frame", None)
    if frame is not None and outcome in frame.columns:
        last = phases[-1].end_day
        for d, v in zip(frame["date"], frame[outcome], strict=True):
            day = (d - start).days + 1
            if 1 <= day <= last:
                ph = next((p.name for p in phases if p.start_day <= day <= p.end_day), None)
                points.append((day, finite(v), ph))
    return TrialRun(food=result.get("food") or getattr(plan, "food", None), result=result, phases=phases,
                    points=points, outcome=outcome)


def trial_schedule(food: str, condition: str | None, gate: Any) -> tuple[list[TrialPhaseDays], list[str]]:
    """The default schedule gutskin would plan for ``food`` (phases as trial days) and its sources."""
    make_plan = _trial_function("make_plan", "plan")
    from datetime import date

    plan = make_plan(food, condition, date(2000, 1, 3), gate=gate)
    start = plan.phases[0].start
    phases = [TrialPhaseDays(name=str(ph.name or ph.kind), kind=str(ph.kind), start_day=(ph.start - start).days + 1,
                             end_day=(ph.end - start).days + 1) for ph in plan.phases]
    return phases, list(getattr(plan, "notes", []) or []) + list(getattr(plan, "sources", []) or [])


def iter_items(obj: Any) -> Iterable[Any]:
    """Items of a list-like result, or of its ``items``/``panels``/``findings`` attribute."""
    if obj is None:
        return []
    if isinstance(obj, (list, tuple)):
        return obj
    for name in ("panels", "items", "findings", "recommendations"):
        v = get(obj, name)
        if isinstance(v, (list, tuple)):
            return v
    return []
