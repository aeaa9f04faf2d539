"""What an export is made from: :class:`ExportInput`, filled by ONE adapter, :func:`gather`.

Everything in ``export/fhir.py`` reads only :class:`ExportInput`, never the engine or the report. :func:`gather`
fills it from the engine's :class:`~gutskin.engine.Analysis` (coded values: taxids, placements, index outcomes,
panel leans, the trial result) and takes only the people-facing parts from the report made of that same analysis
(the conclusion text, the HTML and the PDF). The taxa each index used are not in the Analysis yet; until they are,
:func:`_index_taxa` asks the index modules (the one place to change when the Analysis carries them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError, RefusedError

# rank of the taxa an index's contributors table names without a rank
_INDEX_TAXA_RANK = {"gmhi": "species", "gevers_md": "genus"}


@dataclass(frozen=True)
class Taxon:
    rank: str
    name: str  # as the profiler wrote it
    taxid: int | None = None
    display: str | None = None  # the current name with the profiler's in brackets, when they differ


@dataclass(frozen=True)
class Placement:
    """One value placed in the named healthy reference (shares and percentiles as fractions 0–1)."""

    percentile: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    typical_low: float | None = None
    typical_high: float | None = None
    status: str | None = None  # below typical | typical | above typical | absent | ...
    n_reference: int | None = None
    prevalence: float | None = None


@dataclass
class Measure:
    """One measured quantity: one FHIR Observation with one value."""

    key: str  # unique in the export, e.g. "diversity:shannon", "taxon:genus:561"
    section: str  # diversity | phylum | genus | index_taxa | guild | index | skin
    code: str  # gutskin code of the quantity
    label: str
    value: float | None
    unit: str  # UCUM code
    fraction: bool = False  # value and reference numbers are fractions shown in per cent
    taxon: Taxon | None = None
    guild: str | None = None
    placement: Placement | None = None
    coverage: float | None = None
    derived_from: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    condition: str | None = None
    condition_label: str | None = None
    interval: tuple[float, float] | None = None


@dataclass
class ReferenceCohort:
    name: str
    title: str
    n: int
    citation: str | None = None
    profiler: str | None = None
    database: str | None = None


@dataclass
class ExportInput:
    sample: str
    issued: str  # ISO 8601 UTC time of the export
    conclusion: str
    html: str
    pdf: bytes | None
    profiler: str | None
    profiler_version: str | None
    database: str | None
    method: str  # shotgun | 16S | other | unknown
    gutskin_version: str
    kb_version: str | None
    input_file: str
    reference: ReferenceCohort | None
    measures: list[Measure]
    questionnaire: Any = None  # gutskin.knowledge.questionnaire.Questionnaire
    conditions: list[tuple[str, str | None, bool | None]] = field(default_factory=list)  # (id, severity, by clinician)
    plan: Any = None  # gutskin.trial.Plan
    diary: Any = None  # gutskin.trial.Diary
    diary_comments: list[str] = field(default_factory=list)
    trial_result: dict[str, Any] | None = None


def _norm(name: str) -> str:
    return " ".join(str(name).replace("_", " ").lower().split())


def _diary_comments(path: str | Path) -> list[str]:
    """The ``#`` lines before a diary's header (gutskin writes provenance there)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if not line.lstrip().startswith("#"):
            break
        out.append(line.lstrip()[1:].removeprefix(" "))
    return out


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def gather(profile_path: str | Path, *, questionnaire: str | Path | None = None,
           trial: tuple[str | Path, str | Path] | None = None, reference: str | None = None,
           sample: str | None = None, issued: str | None = None, pdf: bool = True,
           fmt: str | None = None) -> ExportInput:
    """THE adapter: read the inputs, analyse the sample with the engine, and fill an :class:`ExportInput`."""
    from ..engine import analyse, default_resources
    from ..knowledge.questionnaire import load_questionnaire
    from ..readers import read
    from ..report import render_html, to_report
    from ..report.render import pdf_bytes
    from ..trial import load_diary, load_plan

    profile = read(profile_path, fmt)
    if sample is None and profile.n_samples > 1:
        raise InputError(f"the input holds {profile.n_samples} samples: choose one with --sample", profile_path,
                         field="--sample")
    q = load_questionnaire(questionnaire) if questionnaire else None
    plan = diary = None
    comments: list[str] = []
    if trial:
        plan = load_plan(trial[0])
        diary = load_diary(trial[1], plan)
        comments = _diary_comments(trial[1])
    resources = default_resources()
    analysis = analyse(profile, resources, questionnaires=q, trial=(plan, diary) if plan is not None else None,
                       reference=reference, samples=[sample] if sample else None,
                       input_name=Path(profile_path).name)[0]
    report = to_report(analysis, resources, generated_at=issued or _now())
    trial_result = None
    if analysis.trial is not None and analysis.trial.part.status == "ok" and analysis.trial.result:
        trial_result = dict(analysis.trial.result)
    pv = analysis.provenance
    ref = pv.reference
    conditions = []
    if q is not None and q.skin is not None:
        conditions = [(c.condition, c.severity, c.diagnosed_by_clinician) for c in q.skin.conditions or []]
    return ExportInput(
        sample=analysis.sample, issued=report.generated_at, conclusion=_conclusion(report), html=render_html(report),
        pdf=pdf_bytes(report) if pdf else None, profiler=pv.profiler, profiler_version=pv.profiler_version,
        database=pv.database, method=pv.method or "unknown", gutskin_version=pv.gutskin_version or __version__,
        kb_version=pv.kb_version, input_file=pv.input_name or Path(profile_path).name,
        reference=None if ref is None else ReferenceCohort(ref.name, ref.title, ref.n, ref.citation, ref.profiler,
                                                           ref.database),
        measures=_measures(analysis, profile), questionnaire=q, conditions=conditions, plan=plan, diary=diary,
        diary_comments=comments, trial_result=trial_result)


def _conclusion(report: Any) -> str:
    lines = [f"{it.headline}. {it.detail}" if not it.headline.endswith(".") else f"{it.headline} {it.detail}"
             for it in report.summary.items]
    lines.append("Not a diagnosis and not medical advice.")
    return "\n".join(lines)


def _placement(p: Any) -> Placement | None:
    if p is None:
        return None
    return Placement(percentile=p.percentile, ci_low=p.ci_low, ci_high=p.ci_high, typical_low=p.typical_low,
                     typical_high=p.typical_high, status=p.status, n_reference=p.n_reference,
                     prevalence=p.prevalence)


_DIVERSITY = {"shannon": "Shannon diversity", "simpson": "Simpson diversity", "inv_simpson": "Inverse Simpson",
              "pielou": "Evenness (Pielou)", "observed": "Species observed", "chao1": "Chao1 richness",
              "ace": "ACE richness", "fb_ratio": "Firmicutes/Bacteroidetes ratio"}
_INDEX_LABELS = {"gmhi": "Gut Microbiome Health Index (GMHI)", "gmwi2": "Gut Microbiome Wellness Index 2 (GMWI2)",
                 "gevers_md": "Microbial dysbiosis index (Gevers)", "hmp2_dysbiosis": "HMP2 dysbiosis score"}


def _taxon_measure(t: Any, section: str, a: Any) -> Measure:
    shown = t.current_name if _norm(t.current_name) == _norm(t.name) else f"{t.current_name} ({t.name})"
    pl = a.placement("taxon", t.current_name, t.rank) or a.placement("taxon", t.name, t.rank)
    return Measure(key=f"taxon:{t.rank}:{t.taxid or _norm(t.name)}", section=section,
                   code="taxon-relative-abundance", label=f"{shown.replace('_', ' ')} ({t.rank})", value=t.share,
                   unit="%", fraction=True, taxon=Taxon(t.rank, t.name, t.taxid, shown.replace("_", " ")),
                   placement=_placement(pl))


def _measures(a: Any, profile: Any) -> list[Measure]:
    from ..metrics.composition import definitions
    from ..taxonomy.synonyms import aliases

    out: list[Measure] = []
    for key, label in _DIVERSITY.items():
        value = a.scores.get(key)
        if value is None:
            continue
        unit = "{species}" if key == "observed" else "1"
        out.append(Measure(key=f"diversity:{key}", section="diversity", code=f"diversity-{key}", label=label,
                           value=value, unit=unit, placement=_placement(a.placement("metric", key))))
    for t in a.composition.phyla:
        out.append(_taxon_measure(t, "phylum", a))
    if a.provenance.unclassified_share is not None:
        out.append(Measure(key="unclassified", section="phylum", code="unclassified-share",
                           label="Unclassified share", value=a.provenance.unclassified_share, unit="%",
                           fraction=True))
    seen = set()
    for t in a.composition.genera:
        out.append(_taxon_measure(t, "genus", a))
        seen.update({_norm(t.name), _norm(t.current_name)})
    for p in a.placements:  # genera most healthy people carry that this sample lacks: measured as 0 %
        if p.kind == "taxon" and p.rank == "genus" and p.status == "absent" and _norm(p.feature) not in seen:
            out.append(Measure(key=f"taxon:genus:{_norm(p.feature)}", section="genus",
                               code="taxon-relative-abundance", label=f"{p.feature} (genus)", value=0.0, unit="%",
                               fraction=True, taxon=Taxon("genus", p.feature, None), placement=_placement(p)))
    by_taxon = {}
    for rank in ("species", "genus", "family", "order", "class", "phylum"):
        if rank in profile.ranks:
            by_taxon[rank] = _shares(profile, a.sample, rank)

    def used_taxon(rank: str, name: str, section: str) -> str | None:
        """The key of the share Observation of a taxon a result was computed from (added when new)."""
        hit = by_taxon.get(rank, {}).get(_norm(name))
        if hit is None:
            return None
        share, taxid, raw = hit
        key = f"taxon:{rank}:{taxid or _norm(raw)}"
        if all(x.key != key for x in out):
            out.append(Measure(key=key, section=section, code="taxon-relative-abundance",
                               label=f"{raw.replace('_', ' ')} ({rank})", value=share, unit="%", fraction=True,
                               taxon=Taxon(rank, raw, taxid)))
        return key

    labels = {g.id: g.label for g in definitions().guilds}
    for g in a.composition.guilds:
        if g.share is None:
            continue
        # members are named at any rank, by today's name or an old one (composition.yaml, taxonomy synonyms);
        # the deepest rank that has the name is the one counted
        members = [_first(used_taxon(rank, alias, "guild_taxa") for rank in _MEMBER_RANKS
                          for alias in sorted(aliases(n) | {n}))
                   for n in g.members_found]
        out.append(Measure(key=f"guild:{g.id}", section="guild", code="guild-relative-abundance",
                           label=labels.get(g.id, g.id), value=g.share, unit="%", fraction=True,
                           guild=labels.get(g.id, g.id), placement=_placement(a.placement("metric", f"guild.{g.id}")),
                           derived_from=list(dict.fromkeys(k for k in members if k))))
    used = _index_taxa(profile, a.sample)
    for ix in a.indices:
        if ix.value is None:
            continue
        derived = [k for rank, name in used.get(ix.key, []) if (k := used_taxon(rank, name, "index_taxa"))]
        out.append(Measure(key=f"index:{ix.key}", section="index", code=f"index-{ix.key}",
                           label=_INDEX_LABELS.get(ix.key, ix.key), value=ix.value, unit="1",
                           placement=_placement(a.placement("metric", ix.key)), coverage=ix.coverage,
                           derived_from=list(dict.fromkeys(derived)),
                           notes=[n for n in (ix.coverage_text, *ix.warnings) if n]))
    for panel in a.skin.panels:
        if panel.score is None:
            continue
        label = panel.condition.replace("_", " ")
        out.append(Measure(key=f"skin:{panel.condition}", section="skin", code="skin-evidence-lean",
                           label=f"Skin evidence lean: {label}", value=panel.score, unit="1",
                           condition=panel.condition, condition_label=label,
                           interval=tuple(panel.interval) if panel.interval else None))
    return out


_MEMBER_RANKS = ("species", "genus", "family", "order", "class", "phylum")


def _first(keys: Any) -> str | None:
    return next((k for k in keys if k), None)


def _shares(profile: Any, sample: str, rank: str) -> dict[str, tuple[float, int | None, str]]:
    """name → (share of the classified community at ``rank``, NCBI taxid, name as written) for one sample."""
    prop = profile.sample(sample).proportions(rank)
    frame = prop.to_dataframe()
    out = {}
    for key, value in frame.iloc[0].items():
        row = prop.taxa.loc[key]
        taxid = row["taxid"]
        tid = int(taxid) if taxid is not None and str(taxid) not in ("", "nan", "<NA>", "None") else None
        out[_norm(row["name"])] = (float(value), tid, str(row["name"]))
    return out


def _index_taxa(profile: Any, sample: str) -> dict[str, list[tuple[str, str]]]:
    """(rank, name) of the taxa each index used for ``sample`` (until the engine's Analysis carries them)."""
    from ..indices import gevers_md_result, gmhi_result, gmwi2_result

    out: dict[str, list[tuple[str, str]]] = {}
    one = profile.sample(sample)
    for key, func in (("gmhi", gmhi_result), ("gmwi2", gmwi2_result), ("gevers_md", gevers_md_result)):
        try:
            res = func(one)
        except (InputError, RefusedError):  # an index that refuses this input used no taxa; the Analysis says why
            continue
        pairs = []
        for rec in res.contributors.to_dict("records"):
            name = str(rec["taxon"]).split("|")[-1]
            if len(name) > 3 and name[1:3] == "__":
                name = name[3:]
            pairs.append((str(rec.get("rank") or _INDEX_TAXA_RANK.get(key, "species")), name))
        out[key] = pairs
    return out
