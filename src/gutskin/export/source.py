"""What an export is made from: :class:`ExportInput`, filled by ONE adapter, :func:`gather`.

Everything in ``export/fhir.py`` reads only :class:`ExportInput`, never the report or the engine. Today
:func:`gather` fills it from the report model (``gutskin.report.build_report``) plus the profile (for NCBI taxids)
and the index modules (for the taxa each index used); when ``gutskin.engine.analyse`` lands, only :func:`gather`
changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError, RefusedError

# index key → function giving the taxa it used (the report model does not carry them yet)
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


def _raw_name(display: str) -> str:
    """The profiler's name inside a report display name like ``Bacillota (Firmicutes)``."""
    if display.endswith(")") and " (" in display:
        return display[display.rindex(" (") + 2:-1]
    return display


def _placement(item: Any) -> Placement:
    return Placement(percentile=item.percentile, ci_low=item.ci_low, ci_high=item.ci_high,
                     typical_low=item.typical_low, typical_high=item.typical_high, status=item.status,
                     n_reference=item.n_reference, prevalence=getattr(item, "prevalence", None))


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


class _Taxa:
    """Look up NCBI taxids and shares of the sample's taxa by rank and name."""

    def __init__(self, profile: Any, sample: str) -> None:
        self.profile = profile
        self.sample = sample
        self._shares: dict[str, dict[str, tuple[float, int | None, str]]] = {}

    def at(self, rank: str) -> dict[str, tuple[float, int | None, str]]:
        if rank not in self._shares:
            table: dict[str, tuple[float, int | None, str]] = {}
            if rank in self.profile.ranks:
                prop = self.profile.sample(self.sample).proportions(rank)
                frame = prop.to_dataframe()
                for key, value in frame.iloc[0].items():
                    row = prop.taxa.loc[key]
                    taxid = row["taxid"]
                    tid = int(taxid) if taxid is not None and str(taxid) not in ("", "nan", "<NA>") else None
                    table[_norm(row["name"])] = (float(value), tid, str(row["name"]))
            self._shares[rank] = table
        return self._shares[rank]

    def find(self, rank: str, name: str) -> tuple[float, int | None, str] | None:
        return self.at(rank).get(_norm(name))


def gather(profile_path: str | Path, *, questionnaire: str | Path | None = None,
           trial: tuple[str | Path, str | Path] | None = None, reference: str | None = None,
           sample: str | None = None, issued: str | None = None, pdf: bool = True,
           fmt: str | None = None) -> ExportInput:
    """THE adapter: read the inputs, build today's report, and turn it into an :class:`ExportInput`."""
    from ..knowledge.questionnaire import load_questionnaire
    from ..readers import read
    from ..report import build_reports
    from ..trial import analyze, load_diary, load_plan

    profile = read(profile_path, fmt)
    samples = [sample] if sample else None
    report = next(build_reports(profile, samples, questionnaire, tuple(trial) if trial else None, reference,
                                strict=True))
    q = load_questionnaire(questionnaire) if questionnaire else None
    plan = diary = result = None
    comments: list[str] = []
    if trial:
        plan = load_plan(trial[0])
        diary = load_diary(trial[1], plan)
        comments = _diary_comments(trial[1])
        result = analyze(plan, diary)
    return from_report(report, profile, issued=issued, pdf=pdf, questionnaire=q, plan=plan, diary=diary,
                       diary_comments=comments, trial_result=result)


def from_report(report: Any, profile: Any, *, issued: str | None = None, pdf: bool = True, questionnaire: Any = None,
                plan: Any = None, diary: Any = None, diary_comments: list[str] | None = None,
                trial_result: dict[str, Any] | None = None) -> ExportInput:
    """The part of :func:`gather` that turns an already-built report (and its loaded inputs) into the input."""
    from ..report import render_html
    from ..report.render import pdf_bytes

    if issued:
        report = report.model_copy(update={"generated_at": issued})
    taxa = _Taxa(profile, report.sample)
    measures = _measures(report, taxa, profile)
    m = report.methods
    ref = m.reference
    conditions = []
    q = questionnaire
    if q is not None and q.skin is not None:
        conditions = [(c.condition, c.severity, c.diagnosed_by_clinician) for c in q.skin.conditions or []]
    info = profile.sample(report.sample).info
    return ExportInput(
        sample=report.sample, issued=report.generated_at, conclusion=_conclusion(report), html=render_html(report),
        pdf=pdf_bytes(report) if pdf else None, profiler=m.profiler, profiler_version=m.profiler_version,
        database=m.database, method=info[0].method if info else "unknown",
        gutskin_version=m.gutskin_version or __version__, kb_version=m.kb_version, input_file=Path(m.input_file).name,
        reference=None if ref is None else ReferenceCohort(ref.name, ref.title, ref.n, ref.citation, ref.profiler,
                                                           ref.database),
        measures=measures, questionnaire=q, conditions=conditions, plan=plan, diary=diary,
        diary_comments=list(diary_comments or []), trial_result=trial_result)


def _conclusion(report: Any) -> str:
    lines = [f"{it.headline}. {it.detail}" if not it.headline.endswith(".") else f"{it.headline} {it.detail}"
             for it in report.summary.items]
    lines.append("Not a diagnosis and not medical advice.")
    return "\n".join(lines)


def _measures(report: Any, taxa: _Taxa, profile: Any) -> list[Measure]:
    out: list[Measure] = []
    for mt in report.diversity.metrics:
        if mt.value is None:
            continue
        unit = "{species}" if mt.key == "observed" else "1"
        out.append(Measure(key=f"diversity:{mt.key}", section="diversity", code=f"diversity-{mt.key}",
                           label=mt.label, value=mt.value, unit=unit, placement=_placement(mt)))
    comp = report.composition
    for rank, items in (("phylum", comp.phyla), ("genus", [*comp.genera, *comp.missing_common])):
        for it in items:
            raw = _raw_name(it.name)
            hit = taxa.find(rank, raw) or taxa.find(rank, it.name)
            taxid = hit[1] if hit else None
            name = hit[2] if hit else raw
            out.append(Measure(key=f"taxon:{rank}:{taxid or _norm(name)}", section=rank,
                               code="taxon-relative-abundance", label=f"{it.name} ({rank})", value=it.share,
                               unit="%", fraction=True, taxon=Taxon(rank, name, taxid, it.name),
                               placement=_placement(it)))
    if comp.unclassified_share is not None:
        out.append(Measure(key="unclassified", section="phylum", code="unclassified-share",
                           label="Unclassified share", value=comp.unclassified_share, unit="%", fraction=True))
    for it in report.key_taxa.items:
        if it.share is None:
            continue
        if it.kind == "guild":
            out.append(Measure(key=f"guild:{_norm(it.name)}", section="guild", code="guild-relative-abundance",
                               label=it.name, value=it.share, unit="%", fraction=True, guild=it.name,
                               placement=_placement(it)))
        else:
            rank = it.rank or "genus"
            hit = taxa.find(rank, _raw_name(it.name))
            taxid = hit[1] if hit else None
            key = f"taxon:{rank}:{taxid or _norm(it.name)}"
            if all(x.key != key for x in out):
                out.append(Measure(key=key, section="guild", code="taxon-relative-abundance", label=it.name,
                                   value=it.share, unit="%", fraction=True,
                                   taxon=Taxon(rank, hit[2] if hit else it.name, taxid, it.name),
                                   placement=_placement(it)))
    used = _index_taxa(profile, report.sample)
    for ix in report.indices.items:
        if ix.value is None:
            continue
        derived = []
        for rank, name in used.get(ix.key, []):
            hit = taxa.find(rank, name)
            if hit is None:
                continue
            key = f"taxon:{rank}:{hit[1] or _norm(hit[2])}"
            if all(x.key != key for x in out):
                out.append(Measure(key=key, section="index_taxa", code="taxon-relative-abundance",
                                   label=f"{hit[2].replace('_', ' ')} ({rank})", value=hit[0], unit="%",
                                   fraction=True, taxon=Taxon(rank, hit[2], hit[1])))
            derived.append(key)
        out.append(Measure(key=f"index:{ix.key}", section="index", code=f"index-{ix.key}", label=ix.label,
                           value=ix.value, unit="1", placement=_placement(ix), coverage=ix.coverage,
                           derived_from=list(dict.fromkeys(derived)), notes=list(ix.warnings)))
    for p in report.skin.panels:
        if p.score is None:
            continue
        interval = (p.score_low, p.score_high) if p.score_low is not None and p.score_high is not None else None
        out.append(Measure(key=f"skin:{p.condition}", section="skin", code="skin-evidence-lean",
                           label=f"Skin evidence lean: {p.label}", value=p.score, unit="1", condition=p.condition,
                           condition_label=p.label, interval=interval))
    return out


def _index_taxa(profile: Any, sample: str) -> dict[str, list[tuple[str, str]]]:
    """(rank, name) of the taxa each index used for ``sample`` (temporary: the engine's Analysis will carry them)."""
    from ..indices import gevers_md_result, gmhi_result, gmwi2_result

    out: dict[str, list[tuple[str, str]]] = {}
    one = profile.sample(sample)
    for key, func in (("gmhi", gmhi_result), ("gmwi2", gmwi2_result), ("gevers_md", gevers_md_result)):
        try:
            res = func(one)
        except (InputError, RefusedError):  # an index that refuses this input used no taxa; the report says why
            continue
        rows = res.contributors
        pairs = []
        for rec in rows.to_dict("records"):
            name = str(rec["taxon"]).split("|")[-1]
            if len(name) > 3 and name[1:3] == "__":
                name = name[3:]
            pairs.append((str(rec.get("rank") or _INDEX_TAXA_RANK.get(key, "species")), name))
        out[key] = pairs
    return out
