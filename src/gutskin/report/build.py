"""Presentation: an :class:`~gutskin.engine.Analysis` becomes a :class:`~gutskin.report.model.Report`.

:func:`to_report` is pure: it reads the analysis (numbers and codes) and looks up words and sources in the
knowledge base and the index and guild metadata of :class:`~gutskin.engine.Resources`. It computes nothing
about the microbiome and catches nothing: a part the engine refused arrives with its reason and becomes
that section's reason; anything else is a bug and raises.

:func:`build_report` / :func:`build_reports` are conveniences for library users (profile in, reports out):
they call :func:`gutskin.engine.analyse` and then :func:`to_report`.
"""

from __future__ import annotations

import functools
import re
import types
import typing
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import BaseModel

from ..engine import Analysis, Resources, analyse, current_name, default_resources, taxon_key
from ..engine.model import QUANTILE_POINTS, FeatureMeasurement, Placement
from ..engine.model import SkinPanel as PanelData
from ..errors import InputError
from ..profile import Profile
from . import wording as W
from .charts import fmt_number, fmt_percentile, fmt_share
from .model import (
    Citation,
    ClinicianLine,
    CompositionSection,
    DiversitySection,
    Evidence,
    IndexResult,
    IndicesSection,
    KeyTaxaSection,
    KeyTaxon,
    MethodsSection,
    Metric,
    Quantiles,
    Recommendation,
    RecommendationsSection,
    ReferenceInfo,
    Report,
    SkinFinding,
    SkinPanel,
    SkinSection,
    SummaryItem,
    SummarySection,
    TaxonShare,
    TrialPhase,
    TrialPoint,
    TrialResult,
    TrialSection,
    TrialSuggestion,
)

#: "genus" rows that are really a higher rank standing in for unnamed genera (Lachnospiraceae_noname, …):
#: their absence says more about the profiler's naming than about the person
_PLACEHOLDER = re.compile(r"(aceae|ales|unclassified|noname|incertae sedis|_[A-Z]+)$", re.IGNORECASE)
_UNFAVOURABLE = {("below typical", "higher_favourable"), ("above typical", "lower_favourable")}


# ---------------------------------------------------------------------------------------------- entry points
def to_report(analysis: Analysis, resources: Resources | None = None, *, generated_at: str) -> Report:
    """The report for one analysed sample. ``generated_at``: ISO 8601 time (the face decides the clock)."""
    v = _View(analysis, resources or default_resources())
    diversity = _diversity(v)
    composition = _composition(v)
    key_taxa = _key_taxa(v)
    indices = _indices(v)
    skin = _skin(v)
    recs = _recommendations(v)
    trial = _trial(v)
    methods = _methods(v)
    summary = _summary(v, diversity, composition, key_taxa, indices, skin, recs, trial)
    summary.for_clinician = _for_clinician(v, diversity, indices, skin, recs, trial)
    return _plain(Report(generated_at=generated_at, sample=analysis.sample,
                  title=f"Gut microbiome and skin report: {analysis.sample}", summary=summary, diversity=diversity,
                  composition=composition, key_taxa=key_taxa, indices=indices, skin=skin, recommendations=recs,
                  trial=trial, methods=methods))


#: fields holding codes, names or citations, left exactly as they are; every other string is for people
_KEEP = {"schema_version", "generated_at", "sample", "key", "condition", "section", "kind", "status", "grade",
         "alignment", "direction", "mode", "doi", "pmid", "url", "command", "category", "name", "rank",
         "input_file", "input_format", "profiler", "profiler_version", "database", "sequencing", "units",
         "gutskin_version", "kb_version", "match", "validity", "check", "severity", "validation_status",
         "subgroup"}


def _plain(model: Any) -> Any:
    """Remove internal ids, research-note pointers and questionnaire field paths from person-facing text."""
    return _clean(model, None)[0]


def _clean(value: Any, field: str | None) -> tuple[Any, bool]:
    """(value, changed): a model is copied only where some text in it changes, so the thousands of parts that
    hold nothing to clean are not copied field by field (that was half the cost of building a report).

    A module function, not a closure inside :func:`_plain`: a recursive closure refers to itself, and that
    cycle left each report's cleaner for the cyclic garbage collector.
    """
    plain = W.plain
    # plain text and empty fields, most of a report's parts, are handled in the loops (not one call each)
    if isinstance(value, BaseModel):
        updates = {}
        for k in _field_names(type(value)):
            v = getattr(value, k)
            if v is None:
                continue
            if type(v) is str:
                if k not in _KEEP:
                    new = plain(v)
                    if new != v:
                        updates[k] = new
                continue
            new, changed = _clean(v, k)
            if changed:
                updates[k] = new
        return (value.model_copy(update=updates), True) if updates else (value, False)
    if isinstance(value, str):
        if field in _KEEP:
            return value, False
        new = plain(value)
        return (new, True) if new != value else (value, False)
    if isinstance(value, list):
        items, any_changed = [], False
        for x in value:
            if type(x) is str:
                new, changed = (x, False) if field in _KEEP else (plain(x), None)
                if changed is None:
                    changed = new != x
            else:
                new, changed = _clean(x, field)
            items.append(new)
            any_changed = any_changed or changed
        return (items, True) if any_changed else (value, False)
    if isinstance(value, dict):
        pairs = {k: _clean(x, field) for k, x in value.items()}
        return ({k: x for k, (x, _) in pairs.items()}, True) if any(c for _, c in pairs.values()) else (value,
                                                                                                      False)
    return value, False


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    """The names of a model class's fields that can hold text: numbers, flags and lists of them (a third of a
    report's parts, e.g. every chart's quantiles) have nothing to clean. Worked out once per class (pydantic
    also computes ``model_fields`` on every read)."""
    return tuple(k for k, f in cls.model_fields.items() if _may_hold_text(f.annotation)
                 and not (k in _KEEP and _only_words(f.annotation)))


def _only_words(tp: Any) -> bool:
    """Whether a field holds nothing but text and numbers (no parts with fields of their own): a field of
    :data:`_KEEP` like that has nothing to clean."""
    if tp in (str, float, int, bool, type(None)) or typing.get_origin(tp) is typing.Literal:
        return True
    if typing.get_origin(tp) in (list, tuple, set, frozenset, dict, typing.Union, types.UnionType):
        return all(_only_words(a) for a in typing.get_args(tp) if a is not Ellipsis)
    return False


def _may_hold_text(tp: Any) -> bool:
    if tp in (float, int, bool, type(None)):
        return False
    if typing.get_origin(tp) in (list, tuple, set, frozenset, dict, typing.Union, types.UnionType):
        return any(_may_hold_text(a) for a in typing.get_args(tp) if a is not Ellipsis)
    return True  # text, a model, Any, a Literal of words: looked at


def build_reports(profile: Profile, samples: Sequence[str] | None = None, questionnaire: Any = None,
                  trial: Any = None, reference: Any = None, *, resources: Resources | None = None,
                  generated_at: str | None = None) -> Iterator[Report]:
    """One report per sample: :func:`gutskin.engine.analyse`, then :func:`to_report`.

    ``questionnaire``: a loaded questionnaire (or a mapping sample → questionnaire); ``trial``: a loaded
    ``(plan, diary)``; ``reference``: a reference name, a loaded reference, or None for the best match;
    ``generated_at``: the time to print (ISO 8601; default now, UTC).
    """
    resources = resources or default_resources()
    generated_at = generated_at or _utc_now()
    for a in analyse(profile, resources, questionnaires=questionnaire, trial=trial, reference=reference,
                     samples=samples):
        yield to_report(a, resources, generated_at=generated_at)


def build_report(profile: Profile, sample: str | None = None, questionnaire: Any = None, trial: Any = None,
                 reference: Any = None, *, resources: Resources | None = None,
                 generated_at: str | None = None) -> Report:
    """One person's report (``sample`` may be omitted when the profile holds one sample)."""
    if sample is None:
        if profile.n_samples != 1:
            raise InputError(f"the input holds {profile.n_samples} samples; choose one with --sample "
                             f"(e.g. {profile.samples[0]!r}) or make one report per sample into a folder",
                             field="--sample")
        sample = profile.samples[0]
    return next(build_reports(profile, [sample], questionnaire, trial, reference, resources=resources,
                              generated_at=generated_at))


def _utc_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------- view
class _View:
    """The analysis with the lookups every section needs."""

    def __init__(self, a: Analysis, resources: Resources) -> None:
        self.a = a
        self.kb = resources.knowledge
        self.resources = resources
        self.ref = a.provenance.reference
        self.metric_rows: dict[str, Placement] = {}
        self.taxon_rows: dict[str, dict[str, Placement]] = {"genus": {}, "species": {}}
        for p in a.placements:
            if p.kind == "metric":
                self.metric_rows[p.feature] = p
            else:
                self.taxon_rows.setdefault(p.rank or "", {})[p.key or p.feature] = p

    @property
    def ref_reason(self) -> str | None:
        return self.a.reference_part.reason


def _placement(rec: Placement | None) -> dict[str, Any]:
    if rec is None:
        return {}
    return {"percentile": rec.percentile, "ci_low": rec.ci_low, "ci_high": rec.ci_high,
            "typical_low": rec.typical_low, "typical_high": rec.typical_high, "status": rec.status,
            "n_reference": rec.n_reference}


def _quantiles(rec: Placement | None) -> Quantiles | None:
    if rec is None or not rec.quantiles or not rec.n_reference:
        return None
    step = 1.0 / (QUANTILE_POINTS - 1)
    return Quantiles(n=rec.n_reference, probabilities=[i * step if i < QUANTILE_POINTS - 1 else 1.0
                                                       for i in range(QUANTILE_POINTS)], values=list(rec.quantiles))


def _reference_caveats(v: _View) -> list[str]:
    """How well the chosen reference matches this profile, said once where comparisons start."""
    r = v.ref
    head = f"Compared with {r.title} ({r.n:,} people)"
    if not r.caveats:
        return [f"{head}, profiled the same way as this sample."]
    return [f"{head}: {c}." if not c.endswith(".") else f"{head}: {c}" for c in r.caveats]


def _ref_phrase(v: _View) -> str:
    if v.ref is None:
        return "the healthy reference"
    return f"{v.ref.n:,} healthy people in the reference '{v.ref.title}'"


def _display_taxon(name: str) -> str:
    """The current name, with the name the profiler wrote in brackets when they differ."""
    text = str(name).replace("_", " ")
    cur = current_name(text)
    if cur and cur.lower() != text.lower():
        return f"{cur} ({text})"
    return text


#: per knowledge base: each association row's citation as a panel lists it (the fields of a Citation)
_ASSOCIATION_CITATIONS: weakref.WeakKeyDictionary[Any, tuple[int, dict[str, dict[str, Any]]]] = \
    weakref.WeakKeyDictionary()


def _association_citations(kb: Any) -> dict[str, dict[str, Any]]:
    """Association id → its citation's fields (source, design and size, identifiers): the same for every
    report, so worked out once per knowledge base (again if rows are added to it)."""
    got = _ASSOCIATION_CITATIONS.get(kb)
    if got is None or got[0] != len(kb.association_rows):
        out = {}
        for a in kb.association_rows:
            ids = "; ".join(str(x) for x in a.citation.identifiers)
            design = a.design.value
            detail = ", ".join(x for x in (W.DESIGN_WORDS.get(design, design), str(a.size or "")) if x)
            text = a.citation.short + (f": {detail}" if detail else "") + (f" ({ids})" if ids else "")
            out[a.id] = {"text": text, "key": a.id, "doi": a.citation.doi, "pmid": a.citation.pmid,
                         "url": a.citation.url}
        got = _ASSOCIATION_CITATIONS[kb] = (len(kb.association_rows), out)
    return got[1]


def _kb_citation(kb: Any, key: str) -> Citation:
    memo = _STUDY_CITATIONS.setdefault(kb, {})
    fields = memo.get(key)
    if fields is None:  # a study's citation is the same in every report (sixty lookups per report)
        c = kb.study(key).citation
        fields = memo[key] = {"text": c.formatted(), "key": key, "doi": c.doi, "pmid": c.pmid, "url": c.url}
    return Citation(**fields)


#: per knowledge base: each study's citation fields, as :func:`_kb_citation` found them
_STUDY_CITATIONS: weakref.WeakKeyDictionary[Any, dict[str, dict[str, Any]]] = weakref.WeakKeyDictionary()


def _grade_evidence(grade: str | None, citations: list[Citation], label: str | None = None) -> Evidence:
    return Evidence(grade=grade, label=label or (W.GRADE_LABELS.get(grade) if grade else None), citations=citations)


def _marker_evidence(v: _View, marker_id: str | None) -> Evidence | None:
    if not marker_id or marker_id not in v.kb.markers_by_id:
        return None
    m = v.kb.marker(marker_id)
    return _grade_evidence(m.grade, [_kb_citation(v.kb, k) for k in m.citations])


def _status_words(status: str | None) -> str:
    return W.STATUS_WORDS.get(status or "", status or "")


# ---------------------------------------------------------------------------------------------- diversity
def _diversity(v: _View) -> DiversitySection:
    title, intro = W.SECTIONS["diversity"]
    sec = DiversitySection(title=title, intro=intro)
    for key in W.METRICS:
        label, meaning = W.metric_words(key, v.a.alpha_rank)
        value = v.a.scores.get(key)
        rec = v.metric_rows.get(key)
        if value is None and rec is not None:
            value = rec.value
        if value is None:
            continue
        sec.metrics.append(Metric(key=key, label=label, meaning=meaning, value=value, **_placement(rec),
                                  distribution=_quantiles(rec)))
    if v.ref is None:
        sec.status = "partial"
        sec.notes.append(f"No healthy reference could be used ({v.ref_reason}), so values are shown without a "
                         "comparison.")
    else:
        sec.notes.extend(_reference_caveats(v))
    sec.notes.append(f"Computed on {v.a.alpha_rank}-level shares.")
    return sec


# ---------------------------------------------------------------------------------------------- composition
def _composition(v: _View) -> CompositionSection:
    comp = v.a.composition
    title, intro = W.SECTIONS["composition"]
    sec = CompositionSection(title=title, intro=intro, unclassified_share=v.a.provenance.unclassified_share)
    if not comp.phyla and not comp.genera:
        sec.status, sec.reason = "not_available", "The profile has no phylum or genus ranks to summarise."
        return sec
    phylum_metrics = {k.removeprefix("phylum.").lower(): r for k, r in v.metric_rows.items()
                      if k.startswith("phylum.")}
    for t in comp.phyla:
        rec = phylum_metrics.get(t.current_name.lower())
        sec.phyla.append(TaxonShare(name=_display_taxon(t.name), rank="phylum", share=t.share, value=t.share,
                                    prevalence=rec.prevalence if rec else None, **_placement(rec)))
    if comp.phyla and v.ref is not None and not phylum_metrics:
        sec.notes.append("The reference does not summarise phyla, so phyla have no typical range here.")
    genus_rows = v.taxon_rows.get("genus", {})
    if comp.genera:
        sec.n_genera = len(comp.genera)
        shown = 0.0
        for t in comp.genera[:10]:
            rec = genus_rows.get(t.key)
            sec.genera.append(TaxonShare(name=_display_taxon(t.name), rank="genus", share=t.share, value=t.share,
                                         prevalence=rec.prevalence if rec else None, **_placement(rec)))
            shown += t.share
        sec.genera_other = max(0.0, 1.0 - shown)
        absent = [r for r in genus_rows.values() if r.status == "absent" and (r.prevalence or 0) >= 0.5
                  and not _PLACEHOLDER.search(r.feature)]
        absent.sort(key=lambda r: -(r.prevalence or 0))
        for rec in absent[:6]:
            sec.missing_common.append(TaxonShare(name=_display_taxon(rec.feature), rank="genus", share=0.0, value=0.0,
                                                 prevalence=rec.prevalence, **_placement(rec)))
    sec.n_species = comp.n_species
    if v.ref is None:
        sec.status = "partial"
        sec.notes.append("No healthy reference could be used, so no typical ranges are shown.")
    un = sec.unclassified_share
    if un is not None and un >= 0.5:
        sec.notes.append(f"The profiler could not name {fmt_share(un)} of this sample (reported as unknown). "
                         "All shares here are of the named part, which is common for this kind of profile, but "
                         "it means the named part may not represent the whole community.")
    return sec


# ---------------------------------------------------------------------------------------------- key taxa
def _key_taxa(v: _View) -> KeyTaxaSection:
    title, intro = W.SECTIONS["key_taxa"]
    sec = KeyTaxaSection(title=title, intro=intro)
    shares = {g.id: g for g in v.a.composition.guilds}
    any_pct = False
    for g in v.resources.guilds.guilds:
        got = shares.get(g.id)
        if got is None:
            continue
        rec = v.metric_rows.get(f"guild.{g.id}") or v.metric_rows.get(g.id)
        if rec is None and len(g.members) == 1:
            m = g.members[0]
            rec = v.taxon_rows.get(m.rank, {}).get(taxon_key(m.name, m.rank))
        placement = _placement(rec)
        if got.share == 0 and rec is None:
            placement["status"] = "absent"
        any_pct = any_pct or placement.get("percentile") is not None
        why = W.GUILD_WHY.get(g.direction, "")
        if g.caveat:
            why = f"{why} {g.caveat}".strip()
        evidence = _marker_evidence(v, g.marker)
        if evidence is None:
            evidence = Evidence(label=g.evidence, citations=[Citation(text=c) for c in g.citations])
        sec.items.append(KeyTaxon(name=g.label, kind="guild", share=got.share, value=got.share, why=why,
                                  direction=g.direction, members=list(got.members_found), evidence=evidence,
                                  **placement))
    sec.notes.extend(v.a.composition.warnings)
    if v.ref is None:
        sec.status = "partial"
        sec.notes.append("No healthy reference could be used, so shares are shown without percentiles.")
    elif not any_pct:
        sec.notes.append("The reference gives percentiles for single genera and species; groups of several "
                         "microbes have no reference distribution yet, so only their share is shown.")
    return sec


# ---------------------------------------------------------------------------------------------- indices
def _index_validity(ix: Any, v: _View) -> tuple[str, str]:
    built = ix.built_on
    if ix.naming_matches is True:
        return "valid", "This profile uses the naming the index was built on" + (f" ({built})." if built else ".")
    if ix.naming_matches is False:
        p = v.a.provenance
        profiler = " ".join(x for x in (p.profiler or "an unknown profiler", p.profiler_version) if x)
        return "approximate", (f"The index was built on {built or 'another naming'}; this profile is {profiler} "
                               f"({p.database or 'database not stated'}). Some of its microbes have other names "
                               "or are missing here, so the value is approximate and any cut-off may not hold.")
    return "unknown", "The index does not say whether this input matches what it was built on."


def _indices(v: _View) -> IndicesSection:
    title, intro = W.SECTIONS["indices"]
    sec = IndicesSection(title=title, intro=intro)
    for key, info in v.resources.index_info.items():
        citation = Citation(text=info.citation, doi=info.doi, pmid=info.pmid)
        meaning = W.INDEX_MEANINGS[key]
        ix = v.a.index(key)
        if ix is None or ix.status != "ok":
            reason = ix.reason if ix is not None else W.NOT_AVAILABLE
            sec.items.append(IndexResult(key=key, label=info.title, meaning=meaning, citation=citation,
                                         cutoff=info.cutoff, validity="unknown",
                                         validity_note=f"Not computed: {reason}."))
            continue
        rec = v.metric_rows.get(key)
        validity, vnote = _index_validity(ix, v)
        # a cut-off is read only for the profiler versions it was validated on (each index module says which)
        cutoff = info.cutoff if info.cutoff_applies(v.a.provenance.profiler, v.a.provenance.profiler_version) else None
        reading = _index_reading(ix.value, cutoff, rec)
        if info.cutoff is not None and cutoff is None and info.cutoff_note:
            note = info.cutoff_note.rstrip(".")
            reading = f"{reading} {note[:1].upper()}{note[1:]}."
        sec.items.append(IndexResult(
            key=key, label=info.title, meaning=meaning, citation=citation, cutoff=cutoff, value=ix.value,
            reading=reading, validity=validity, validity_note=vnote,
            coverage=ix.coverage, coverage_note=ix.coverage_text, warnings=list(ix.warnings),
            distribution=_quantiles(rec), **_placement(rec)))
    computed = [x for x in sec.items if x.value is not None]
    if not computed:
        sec.status = "not_available"
        sec.reason = f"Published indices: {W.NOT_AVAILABLE}"
    elif len(computed) < len(sec.items):
        sec.status = "partial"
    return sec


def _index_reading(value: float | None, threshold: float | None, rec: Placement | None) -> str:
    if value is None:
        return "No value for this sample."
    text = f"Your value is {fmt_number(value)}"
    if threshold is not None:
        if value > threshold:
            text += ", above 0: on the side the index links with people without a recorded disease."
        elif value < threshold:
            text += ", below 0: on the side the index links with disease. It is a score, not a diagnosis."
        else:
            text += ", exactly 0: the index makes no call."
    else:
        text += "."
    p = rec.percentile if rec else None
    if p is not None:
        text += f" Among healthy people in the reference you are at the {fmt_percentile(p)} percentile."
    return text


# ---------------------------------------------------------------------------------------------- skin
def _skin(v: _View) -> SkinSection:
    title, intro = W.SECTIONS["skin"]
    sec = SkinSection(title=title, intro=intro, kb_version=v.a.provenance.kb_version)
    skin = v.a.skin
    if skin.part.status != "ok":
        sec.status, sec.reason = "not_available", f"Skin evidence panel: {skin.part.reason}."
        return sec
    sec.panels = [_panel(p, v) for p in skin.panels]
    blocked = _skin_blocked_by(v)
    if blocked is not None:
        sec.status = "partial"
        sec.notes.insert(0, W.SKIN_NOT_MAIN.format(why=W.SKIN_NOT_MAIN_WHY[blocked]))
    if skin.conditions_asked:
        sec.notes.append("Only the conditions named in your questionnaire are shown.")
    sec.panels.sort(key=lambda p: not p.relevant)
    if not sec.panels:
        sec.status, sec.reason = "not_available", "No skin condition has gut evidence in this knowledge base."
    return sec


def _measurement_words(m: FeatureMeasurement) -> str | None:
    """'Where you stand' for one measured feature, with the cut-offs the statuses use (25th/75th percentile)."""
    if m.status == "not_measured":
        return f"Not checked in this profile: {m.reason}." if m.reason else "Not checked in this profile."
    prev = m.prevalence
    if m.status == "absent":
        tail = f"; {fmt_share(prev)} of healthy people carry it" if prev is not None else ""
        return f"Not found in your sample{tail}."
    measure = m.measure or ""
    value = m.value
    if value is None:
        return None
    if measure in ("genus", "species") and value == 0 and prev is not None:
        return f"Not found in your sample, as in {fmt_share(1 - prev)} of healthy people."
    if measure in ("genus", "species") or measure.startswith(("guild.", "phylum.")):
        text = f"{fmt_share(value)} of your classified community"
    elif measure == "shannon":
        text = f"Shannon diversity {fmt_number(value)}"
    else:
        text = f"{measure or 'Value'} {fmt_number(value)}"
    if m.percentile is not None:
        text += f", {fmt_percentile(m.percentile)} percentile of healthy people"
    side = {"low": " (lowest quarter)", "high": " (highest quarter)"}.get(m.status, "")
    return text + side + "."


def _panel_statement(name: str, counts: dict[str, int], score: float | None, interval: Any) -> str:
    name = name[0].lower() + name[1:] if len(name) > 1 and not name[1].isupper() else name
    checked = counts.get("toward", 0) + counts.get("away", 0) + counts.get("neither", 0)
    if score is None:
        return (f"None of the gut findings reported in {name} with a consistent direction could be checked in "
                "this profile, so there is no pattern to describe.")
    lean = ("leans toward" if interval[0] > 0 else "leans away from" if interval[1] < 0
            else "does not clearly lean toward or away from")
    return (f"Of {checked} gut findings with a consistent direction in studies of {name} that this profile could "
            f"check, {counts['toward']} sit on the side reported in patients, {counts['away']} on the other side "
            f"and {counts['neither']} in the typical range. Weighted by evidence grade the profile {lean} the "
            f"pattern reported in {name} (score {score:+.2f} on a −1 to +1 scale, 90 % interval {interval[0]:+.2f} "
            f"to {interval[1]:+.2f}). This describes research-group averages; many people with this pattern "
            f"never have {name}, and it is not a diagnosis.")


def _panel_notes(p: PanelData, cond: Any) -> list[str]:
    notes = []
    if cond.avoid_as_marker:
        notes.append("not scored for this condition (the evidence advises against using them as markers): "
                     + ", ".join(sorted(set(cond.avoid_as_marker))))
    measurable = sum(p.counts.get(k, 0) for k in ("toward", "away", "neither"))
    if p.items and p.counts.get("unknown", 0) > measurable:
        notes.append(f"{p.counts['unknown']} of {len(p.items)} findings could not be checked in this profile "
                     "(naming, rank or method); the summary rests on the rest")
    return notes


def _panel(p: PanelData, v: _View) -> SkinPanel:
    kb = v.kb
    cond = kb.condition(p.condition)
    cname = cond.name.lower()
    cite_of = _association_citations(kb)
    findings, cannot, conflicts = [], [], []
    unchecked: dict[str, list[str]] = {}  # reason -> findings not checked for it (shown as one line each)
    not_theirs: dict[str, list[str]] = {}  # subgroup -> findings reported only there (the person is not known in it)
    for item in p.items:
        m = v.a.skin.measurements.get(item.feature)
        label = kb.feature(item.feature).display_name
        label = label[:1].upper() + label[1:]
        if m is not None and m.status == "not_measured" and m.reason and \
                "not something a stool profile measures" in m.reason:
            cannot.append(f"{label}: a stool profile cannot measure this; ask a clinician whether a test is "
                          "worthwhile.")
            continue
        if m is None or m.status == "not_measured":
            unchecked.setdefault(_unchecked_reason(m, v), []).append(label)
            continue
        cites = list({c["text"]: c for c in (cite_of[aid] for aid in item.associations)}.values())
        cites = [Citation(**c) for c in cites]
        yours = _measurement_words(m) if m is not None else None
        if yours and item.alignment in W.ALIGNMENT_WORDS and not yours.startswith("Not found in your sample, as in"):
            yours = f"{yours} {W.ALIGNMENT_WORDS[item.alignment].format(c=cname)}"
        conflict = None
        if item.conflict:
            summary = kb.grade(p.condition, item.feature, population=p.population, include_descendants=False)
            conflict = str(summary.rationale) if summary is not None else None
        if conflict:
            conflicts.append(f"{label}: {conflict}")
        grade_label = kb_grade_label(item.grade)
        if item.subgroup and item.weight == 0 and not item.main_point_eligible:
            not_theirs.setdefault(item.subgroup, []).append(label)
        findings.append(SkinFinding(
            statement=f"{label}: {W.DIRECTION_WORDS.get(item.direction, item.direction).format(c=cname)}.",
            direction=item.direction, yours=yours,
            alignment=item.alignment if item.alignment in W.ALIGNMENT_KINDS else None,
            evidence=_grade_evidence(item.grade, cites, grade_label), conflict=conflict,
            main_point=item.main_point_eligible and item.grade in ("A", "B", "C"), subgroup=item.subgroup))
    interval = p.interval
    return SkinPanel(condition=p.condition, label=cond.name, summary=_panel_statement(cond.name, p.counts, p.score,
                                                                                      interval),
                     background=cond.synthesis, gut_evidence=p.gut_evidence, score=p.score,
                     score_low=interval[0] if interval else None, score_high=interval[1] if interval else None,
                     relevant=p.relevant, findings=findings, conflicts=conflicts, cannot_tell=cannot,
                     validation=_validation_words(p, cond.name), validation_status=p.validation.status,
                     validation_auc=p.validation.auc, validation_ci=p.validation.ci,
                     lean_main_point=bool(p.lean_main_point) and v.a.comparable and _skin_blocked_by(v) is None,
                     notes=[*_panel_notes(p, cond), *(W.NOT_CHECKED_GROUP.format(reason=r, names=", ".join(n))
                                                      for r, n in unchecked.items()),
                            *(W.SUBGROUP_NOT_SCORED.format(subgroup=g, names=", ".join(n))
                              for g, n in not_theirs.items())])


def _validation_words(p: PanelData, condition_name: str) -> str:
    """What testing the lean on patients and controls showed (``wording.VALIDATION``), said next to the lean."""
    val = p.validation
    cname = re.sub(r"\s*\([^)]*\)", "", condition_name).strip()  # "Psoriasis (including …)" -> "Psoriasis"
    cname = cname[:1].lower() + cname[1:] if len(cname) > 1 and not cname[1].isupper() else cname
    status = val.status if val.status in W.VALIDATION else "not_validated"
    if status == "not_validated" or val.auc is None or val.ci is None:
        return W.VALIDATION["not_validated"].format(condition=cname)
    # every cohort the headline AUC rests on, by size only (cohort ids stay internal)
    cohorts = "; ".join(W.VALIDATION_COHORT.format(patients=c["patients"], controls=c["controls"],
                                                   auc=f"{float(c['auc']):.2f}")
                        for c in val.cohorts if c.get("patients") and c.get("controls") and c.get("auc") is not None)
    return W.VALIDATION[status].format(condition=cname, cohorts=cohorts or "patients and controls",
                                       auc=f"{val.auc:.2f}", low=f"{val.ci[0]:.2f}", high=f"{val.ci[1]:.2f}")


_FEATURE_KEY = re.compile(r"\b(?:phylum|guild|class|order|family|genus|species)\.([A-Za-z][\w-]*)")


def _unchecked_reason(m: FeatureMeasurement | None, v: _View | None = None) -> str:
    """Why a finding could not be checked, in few words (one line then covers every finding it applies to).

    The measurement's reason names the reference by its id and metrics by their keys (``phylum.Bacillota``); a
    person reads "the healthy reference" and the plain name.
    """
    reason = (m.reason if m is not None else None) or "not measured"
    reason = reason.split(";")[0].split(": ")[0].rstrip(".")
    if v is not None and v.ref is not None:
        reason = reason.replace(f"the reference {v.ref.name}", "the healthy reference").replace(
            v.ref.name, "the healthy reference")
    return _FEATURE_KEY.sub(lambda x: x.group(1).replace("_", " ").replace("-", " "), reason)


def kb_grade_label(grade: str) -> str:
    from ..knowledge.schema import GRADE_LABEL

    return GRADE_LABEL[grade]


# ---------------------------------------------------------------------------------------------- recommendations
def _recommendations(v: _View) -> RecommendationsSection:
    title, intro = W.SECTIONS["recommendations"]
    sec = RecommendationsSection(title=title, intro=intro)
    for r in v.a.recommendations:
        cites = [_kb_citation(v.kb, k) for k in r.citations]
        why = r.rationale
        if r.reasons:
            why = f"{why} Matched because: {'; '.join(r.reasons)}.".strip()
        if r.unknowns:
            why = f"{why} Not checked: {'; '.join(r.unknowns)}.".strip()
        label = kb_grade_label(r.grade)
        if r.evidence_for in W.EVIDENCE_FOR:  # a grade for a gut or safety outcome is not a grade for the skin
            label = f"{label} ({W.EVIDENCE_FOR[r.evidence_for]})"
        sec.items.append(Recommendation(
            title=r.title, text=r.text, why=why, evidence=_grade_evidence(r.grade, cites, label),
            safety=[*r.safety_notes, *r.nutrient_cautions], category=r.category))
    if not v.a.provenance.questionnaire_given:
        sec.notes.append(W.NO_QUESTIONNAIRE)
    if not sec.items:
        sec.notes.append("No suggestion matched your results and answers.")
    return sec


# ---------------------------------------------------------------------------------------------- trial
def _phase(p: Any) -> TrialPhase:
    return TrialPhase(name=p.kind, label=W.PHASE_LABELS.get(p.kind, p.kind.capitalize()), start_day=p.start_day,
                      end_day=p.end_day)


def _trial(v: _View) -> TrialSection:
    title, intro = W.SECTIONS["trial"]
    sec = TrialSection(title=title, intro=intro)
    gate = v.a.gate
    sec.gate_ok, sec.gate_reasons = gate.ok, list(gate.reasons)
    t = v.a.trial
    if t is not None and v.a.provenance.trial_given:
        sec.mode = "results"
        sec.result = _trial_result(t)
        return sec
    if not gate.ok:
        sec.mode = "suggestion"
        sec.suggestion = TrialSuggestion(title="Talk to a clinician before removing foods", text=gate.advice,
                                         safety=list(gate.cautions))
        return sec
    suggestion = _trial_suggestion(v)
    if suggestion is not None:
        suggestion.safety = list(dict.fromkeys([*suggestion.safety, *gate.cautions]))
        sec.mode, sec.suggestion = "suggestion", suggestion
        return sec
    sec.mode = "none"
    sec.status = "not_applicable"
    sec.reason = ("No elimination trial is suggested: " + (
        "your answers name no suspected food and no trial rule matched." if v.a.provenance.questionnaire_given else
        "without a questionnaire there is no suspected food to test."))
    sec.notes.extend(gate.cautions)
    return sec


def _trial_suggestion(v: _View) -> TrialSuggestion | None:
    for r in v.a.recommendations:
        if r.category != "elimination_trial":
            continue
        if r.gate is not None and not r.gate.ok:
            return TrialSuggestion(title="Talk to a clinician before removing foods",
                                   text=r.gate.advice or v.a.gate.advice, safety=list(r.gate.cautions))
        food = r.trial_foods[0] if r.trial_foods else None
        cites = [_kb_citation(v.kb, k) for k in r.citations]
        sug = TrialSuggestion(food=food, title=r.title or "Elimination trial", text=r.text,
                              safety=[*r.safety_notes, *r.nutrient_cautions], command=r.trial_command,
                              evidence=_grade_evidence(r.grade, cites) if r.grade else None)
        t = v.a.trial
        if food and t is not None and t.food == food:
            sug.phases = [_phase(p) for p in t.phases]
            sug.notes = [str(n) for n in t.result.get("notes", [])]
        return sug
    return None


def _trial_result(t: Any) -> TrialResult:
    res = t.result
    facts: dict[str, str] = {}
    for key, label in W.TRIAL_FACTS:
        val = res.get(key)
        if val is None:
            continue
        facts[label] = str(val)
    level = res.get("ci_level")
    if res.get("ci_low") is not None and res.get("ci_high") is not None:
        facts["Interval"] = W.TRIAL_INTERVAL.format(level=f"{level:.0%}" if level else "The",
                                                    low=fmt_number(res["ci_low"]), high=fmt_number(res["ci_high"]))
    for w in res.get("warnings") or []:
        facts.setdefault("Warnings", "")
        facts["Warnings"] = (facts["Warnings"] + "; " if facts["Warnings"] else "") + str(w)
    detail = str(res.get("summary") or "")
    if res.get("next_step"):
        detail += f" Next: {res['next_step']}"
    final = res.get("final") is not False
    words = W.trial_verdict_words(res)  # no verdict before the plan's end: what the diary shows so far
    return TrialResult(food=t.food, verdict=words, detail=detail.strip(), final=final,
                       estimate=res.get("effect"), ci_low=res.get("ci_low"), ci_high=res.get("ci_high"),
                       ci_level=res.get("ci_level"), p_value=None,
                       outcome_label=str(t.outcome).replace("_", " ") if t.outcome else None,
                       phases=[_phase(p) for p in t.phases],
                       points=[TrialPoint(day=d, score=s, phase=ph) for d, s, ph in t.points], facts=facts)


# ---------------------------------------------------------------------------------------------- methods
def _methods(v: _View) -> MethodsSection:
    p = v.a.provenance
    ref_info = None
    if v.ref is not None:
        r = v.ref
        ref_info = ReferenceInfo(name=r.name, title=r.title, n=r.n,
                                 profiler=" ".join(x for x in (r.profiler, r.profiler_version) if x) or None,
                                 database=r.database, method=r.method, source=r.source, citation=r.citation,
                                 licence=r.licence, healthy_definition=r.healthy_definition, match=r.match,
                                 caveats=[*r.caveats, *r.notes])
    title, intro = W.SECTIONS["methods"]
    parts = {"reference": v.a.reference_part, "skin evidence": v.a.skin.part}
    sec = MethodsSection(
        title=title, intro=intro, input_file=p.input_name or "not recorded", input_format=p.input_format,
        sample=p.sample, profiler=p.profiler, profiler_version=p.profiler_version, database=p.database,
        sequencing=p.method, units=p.units, unclassified_share=p.unclassified_share, reference=ref_info,
        questionnaire="given" if p.questionnaire_given else None,
        trial_files=["given"] if p.trial_given else [], kb_version=p.kb_version, gutskin_version=p.gutskin_version,
        limitations=list(W.LIMITATIONS),
        components={name: part.reason or "" for name, part in parts.items() if part.status == "refused"})
    if v.ref is None:
        sec.notes.append(f"Healthy reference: {v.ref_reason}")
    sec.notes.extend(p.input_warnings)
    return sec


# ---------------------------------------------------------------------------------------------- sample checks
def sanity_words(c: Any) -> tuple[str, str]:
    """Headline and detail for one sample check of an ``Analysis`` (``wording.SANITY`` filled with its facts)."""
    headline, detail = W.SANITY[c.code]
    if c.code == "low_depth" and c.facts.get("nothing_placed"):
        detail = W.SANITY_NOTHING_PLACED
    f = c.facts
    fill = {"share": fmt_share(c.value) if c.value is not None else "",
            "taxon": current_name(c.taxon) if c.taxon else "an unnamed microbe",
            "oral": fmt_share(f.get("oral")), "skin": fmt_share(f.get("skin")),
            "core": fmt_share(f.get("stool_core")),
            "reads": f"{f['reads']:,.0f}" if "reads" in f else "", "floor": f"{f['floor']:,.0f}" if "floor" in f
            else ""}
    return headline.format(**fill), detail.format(**fill)


def _sanity_items(v: _View) -> list[SummaryItem]:
    """The sample checks that fired, worded (``wording.SANITY``), most severe first: the first main points."""
    items = []
    for c in v.a.sanity:
        headline, detail = sanity_words(c)
        items.append(SummaryItem(headline=headline, detail=detail, section="composition", kind="sample_check",
                                 check=c.code, severity=c.severity))
    return items


def _skin_blocked_by(v: _View) -> str | None:
    """The sample check (if any) that makes skin placements meaningless: not stool, or one organism dominating."""
    return next((c.code for c in v.a.sanity if c.code in W.SKIN_BLOCKING), None)


# ---------------------------------------------------------------------------------------------- summary
def _summary(v: _View, diversity: DiversitySection, composition: CompositionSection,
             key_taxa: KeyTaxaSection, indices: IndicesSection, skin: SkinSection,
             recs: RecommendationsSection, trial: TrialSection) -> SummarySection:
    title, intro = W.SECTIONS["summary"]
    sec = SummarySection(title=title, intro=intro)
    # sample checks come first: when one fires, everything after it is read in its light
    items: list[SummaryItem] = _sanity_items(v)
    comparable = v.a.comparable  # no stop-severity check: a comparison with healthy stool means something
    if trial.mode == "results" and trial.result is not None:
        food = f" of {trial.result.food}" if trial.result.food else ""
        items.append(SummaryItem(headline=f"Your trial{food}: {trial.result.verdict}", detail=trial.result.detail,
                                 section="trial", kind="measurement"))
    if trial.gate_ok is False:
        items.append(SummaryItem(headline="Talk to a clinician before removing foods",
                                 detail="; ".join(trial.gate_reasons).capitalize() + ".", section="trial",
                                 kind="safety"))
    if _skin_blocked_by(v) is None:
        items.extend(_skin_summary(skin))
    shannon = next((m for m in diversity.metrics if m.key == "shannon"), None)
    if not comparable:
        pass  # a comparison with healthy people is not meaningful for this sample (the check above says why)
    elif shannon is not None and shannon.percentile is not None:
        items.append(SummaryItem(
            headline=f"Diversity {_status_words(shannon.status)} of healthy people",
            detail=(f"Your Shannon diversity is {fmt_number(shannon.value)}, at the "
                    f"{fmt_percentile(shannon.percentile)} percentile of {_ref_phrase(v)}. On its own diversity "
                    "is a weak sign of gut health."),
            section="diversity", kind="measurement", evidence=_marker_evidence(v, "M11")))
    # without a healthy reference (an infant, a method no reference matches) a bare number is not a main point
    unusual = [k for k in key_taxa.items if (k.status, k.direction) in _UNFAVOURABLE]
    unusual.sort(key=lambda k: abs((k.percentile or 0.5) - 0.5), reverse=True)
    for k in unusual[:1] if comparable else []:
        items.append(SummaryItem(
            headline=f"{k.name}: {_status_words(k.status)}",
            detail=f"{fmt_share(k.share)} of your classified community, at the {fmt_percentile(k.percentile)} "
                   f"percentile of healthy people. {k.why}".strip(),
            section="key_taxa", kind="measurement", evidence=k.evidence))
    if not unusual and not v.a.sanity:  # a dominating taxon is already the first point when a check fired
        top = composition.genera[0] if composition.genera else None
        if top is not None and top.share >= 0.3:
            items.append(SummaryItem(
                headline=f"One genus dominates: {top.name} ({fmt_share(top.share)})",
                detail=("A single genus makes up a large part of the classified community"
                        + (f"; the {fmt_percentile(top.percentile)} percentile of healthy carriers."
                           if top.percentile is not None else ".")),
                section="composition", kind="measurement"))
    gm = next((x for x in indices.items if x.key == "gmwi2" and x.value is not None), None) or next(
        (x for x in indices.items if x.value is not None), None)
    if gm is not None and comparable and v.ref is not None:  # adult indices say nothing without a matching reference
        caveat = " This value is approximate for this profile." if gm.validity == "approximate" else ""
        items.append(SummaryItem(headline=f"{gm.label.split(' (')[0]}: {fmt_number(gm.value)}",
                                 detail=gm.reading + caveat, section="indices", kind="measurement",
                                 evidence=_marker_evidence(v, "M12")))
    # when the gate is closed its own point already says "talk to a clinician"; do not repeat it as the suggestion
    offered = [r for r in recs.items if not (trial.gate_ok is False and r.category == "elimination_trial")]
    if offered and len(items) < 5:
        r = offered[0]
        items.append(SummaryItem(headline=f"Something to try: {r.title}", detail=r.text, section="recommendations",
                                 kind="evidence", evidence=r.evidence))
    sec.items = items[:5]
    if not comparable:
        sec.notes.append("Only what holds for a sample like this one is listed here; the sections below still show "
                         "every number, but read them in the light of the first point.")
    elif len(sec.items) < 3:
        sec.status = "partial"
        sec.notes.append("Fewer main points than usual: parts of this report could not be made for this input.")
    return sec


def _skin_summary(skin: SkinSection) -> list[SummaryItem]:
    """Main points from the panels of the conditions asked about.

    A lean is a main point only where its validation supports it (``lean_main_point``); otherwise the strongest
    finding that may be a main point is (graded A–C, undisputed, measured, and for a subgroup finding only when the
    person is in the subgroup). Grade-D findings never are.
    """
    out = []
    relevant = [p for p in skin.panels if p.relevant]
    for p in relevant[:2]:
        eligible = [f for f in p.findings if f.main_point and f.evidence.grade in ("A", "B", "C")]
        best = min(eligible, key=lambda f: "ABC".index(f.evidence.grade)) if eligible else None
        if p.lean_main_point and p.score is not None and p.score_low is not None and p.score_high is not None:
            cname = p.label.lower()
            lean = (f"leans toward the gut pattern reported in {cname}" if p.score_low > 0 else
                    f"leans away from the gut pattern reported in {cname}" if p.score_high < 0 else
                    f"shows no clear lean toward the gut pattern reported in {cname}")
            detail = p.summary.split(". ")[0].rstrip(".") + ". " + p.validation
            out.append(SummaryItem(headline=f"{p.label}: your profile {lean}", detail=detail, section="skin",
                                   kind="evidence", evidence=best.evidence if best is not None else None))
            continue
        if best is None:
            continue  # nothing here is strong enough, and measured well enough, to be a main point
        detail = best.statement + (f" {best.yours}" if best.yours else "")
        out.append(SummaryItem(headline=f"{p.label}: strongest gut finding is grade {best.evidence.grade}",
                               detail=detail, section="skin", kind="evidence", evidence=best.evidence))
    if not relevant and skin.panels:
        n_conflicts = sum(len(p.conflicts) for p in skin.panels)
        grades = [f.evidence.grade for p in skin.panels for f in p.findings if f.evidence.grade]
        strong = sum(g in ("A", "B") for g in grades)
        out.append(SummaryItem(
            headline="Gut–skin evidence is mostly weak",
            detail=(f"Of {len(grades)} graded gut findings across {len(skin.panels)} skin conditions, {strong} "
                    f"reach grade A or B and {n_conflicts} are disputed between studies. Name the condition that "
                    "concerns you in the questionnaire to see what applies to you."),
            section="skin", kind="evidence"))
    return out


# ---------------------------------------------------------------------------------------------- for a GP
def _for_clinician(v: _View, diversity: DiversitySection, indices: IndicesSection, skin: SkinSection,
                   recs: RecommendationsSection, trial: TrialSection) -> list[ClinicianLine]:
    """One page a GP can read: what was tested and how, the few results that matter, safety, the limits."""
    p = v.a.provenance
    lines = [ClinicianLine(label="Sample", text=f"Stool sample {p.sample}; {p.profiler or 'profiler not stated'}"
                           f"{' ' + p.profiler_version if p.profiler_version else ''}"
                           f"{', ' + p.method if p.method else ''} sequencing.")]
    if v.ref is not None:
        lines.append(ClinicianLine(label="Compared with", text=f"{v.ref.title} ({v.ref.n:,} people; "
                                   f"{'profiled the same way' if not v.ref.caveats else 'profiled differently'})."))
    else:
        lines.append(ClinicianLine(label="Compared with", text=f"no healthy reference ({v.ref_reason})."))
    shannon = next((m for m in diversity.metrics if m.key == "shannon"), None)
    if shannon is not None:
        where = (f", {fmt_percentile(shannon.percentile)} percentile of the reference"
                 if shannon.percentile is not None else "")
        lines.append(ClinicianLine(label="Diversity", text=f"Shannon {fmt_number(shannon.value)}{where}."))
    shown = [x for x in indices.items if x.value is not None]
    if shown and v.ref is None:  # e.g. an infant: the indices were built on adults, nothing here interprets them
        lines.append(ClinicianLine(label="Health indices", text=(
            "computed but not interpreted: no healthy reference matches this person or method "
            f"({v.ref_reason}).")))
    elif shown:
        approx = " (approximate for this profile)"
        lines.append(ClinicianLine(label="Health indices", text="; ".join(
            f"{x.label.split(' (')[0]} {fmt_number(x.value)}{approx if x.validity == 'approximate' else ''}"
            for x in shown) + "."))
    for c in v.a.sanity:
        if c.severity == "stop":
            first = _sanity_items(v)[0]
            lines.insert(1, ClinicianLine(label="Sample check", text=W.SANITY_GP.format(headline=first.headline)))
            break
    for panel in [x for x in skin.panels if x.relevant][:2] if _skin_blocked_by(v) is None else []:
        if panel.score is not None and panel.score_low is not None:
            lines.append(ClinicianLine(label=panel.label, text=(
                f"evidence-weighted lean {panel.score:+.2f} (90% interval {panel.score_low:+.2f} to "
                f"{panel.score_high:+.2f}) toward the gut pattern reported in patients; a research-group "
                f"comparison, not a diagnosis. {panel.validation}")))
    gate = v.a.gate
    lines.append(ClinicianLine(label="Elimination diet", text=(
        "no safety reason found against a self-run, one-food trial." if gate.ok else
        "not advised without a clinician: " + "; ".join(gate.reasons) + ".")))
    if trial.mode == "results" and trial.result is not None:
        lines.append(ClinicianLine(label="Trial", text=f"{trial.result.food or 'food'}: {trial.result.verdict}."))
    if recs.items:
        lines.append(ClinicianLine(label="Suggestions", text="; ".join(
            f"{r.title} (grade {r.evidence.grade})" for r in recs.items[:3]) + "."))
    lines.append(ClinicianLine(label="Limits", text=(
        "A stool profile cannot detect SIBO, H. pylori, food allergy or inflammation; gut–skin findings are "
        "associations from group studies.")))
    return lines
