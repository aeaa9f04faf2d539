"""Building the report model from a profile: every number comes from a gutskin part, through ``sources``.

:func:`build_report` makes one person's report; :func:`build_reports` makes one per sample of a merged table,
computing everything that works on whole tables (diversity, indices, reference percentiles) once for all
samples, so a thousand reports cost little more than the per-sample assembly.

A part that is missing or refuses the input leaves its section in place with ``status`` and ``reason``.
With ``strict=True`` an unexpected error in a part is raised instead of being reported (tests use this).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import InputError, RefusedError
from ..profile import Profile
from . import sources
from .charts import fmt_number, fmt_percentile, fmt_share
from .model import (
    Citation,
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
from .sources import Unavailable, finite, get

NOT_AVAILABLE = "not available in this version"

# ---------------------------------------------------------------------------------------------- wording
METRICS = {
    "shannon": ("Shannon diversity",
                "How many kinds of microbes there are and how evenly they share the gut, in one number "
                "(natural log). Higher means a richer, more even community."),
    "observed": ("Species found",
                 "How many species the profiler detected. It depends on how deeply the sample was sequenced "
                 "and on the profiler's database, so compare it only with references made the same way."),
    "inv_simpson": ("Inverse Simpson",
                    "Roughly how many equally common species would give the same diversity. It is driven by "
                    "the most common species, so one dominant microbe pulls it down."),
    "pielou": ("Evenness (Pielou)",
               "How evenly the community is spread, from 0 (one species dominates) to 1 (all equally common)."),
}
INDICES = {
    "gmhi": ("Gut Microbiome Health Index (GMHI)",
             "Weighs 7 species seen more often in healthy people against 43 seen more often in people with one "
             "of 12 diseases or an unhealthy weight (Gupta et al. 2020, 4,347 stool metagenomes from 34 "
             "studies). Above 0 leans towards the healthy group, below 0 towards the disease group. It "
             "classified about 70% of people correctly, so many healthy people score below 0.",
             Citation(text="Gupta VK et al., 2020, Nat Commun 11:4635", doi="10.1038/s41467-020-18476-8"),
             0.0),
    "gmwi2": ("Gut Microbiome Wellness Index 2 (GMWI2)",
              "A statistical model trained on 8,069 stool metagenomes from 54 studies to tell people with no "
              "recorded disease from people with one of 11 diseases (Chang et al. 2024). Above 0 leans towards "
              "the healthy group. It was right for about 80% of people in cross-validation and about 72% in "
              "new cohorts.",
              Citation(text="Chang D, Gupta VK et al., 2024, Nat Commun 15:7447", doi="10.1038/s41467-024-51651-9"),
              0.0),
    "gevers_md": ("Microbial dysbiosis index (Gevers)",
                  "The log ratio of genera that were more common to genera that were less common in children "
                  "with newly diagnosed Crohn's disease (Gevers et al. 2014). Higher means more like that "
                  "pattern. It was built on 16S genus profiles and has no cut-off for health.",
                  Citation(text="Gevers D et al., 2014, Cell Host Microbe 15(3):382–392",
                           doi="10.1016/j.chom.2014.02.005", pmid="24629344"),
                  None),
    "hmp2_dysbiosis": ("Dysbiosis score (HMP2)",
                       "How far this community is from healthy people's: the median Bray–Curtis distance to the "
                       "reference people's profiles (Lloyd-Price et al. 2019). Above the reference's own 90th "
                       "percentile counts as dysbiotic.",
                       Citation(text="Lloyd-Price J et al., 2019, Nature 569:655–662",
                                doi="10.1038/s41586-019-1237-9"),
                       None),
}

LIMITATIONS = [
    "This report is not a diagnosis and not medical advice. It cannot tell you whether you have, or will get, "
    "any skin or gut condition.",
    "A stool profile is a snapshot of one sample on one day. Diet, medicines (especially antibiotics), travel "
    "and illness change it, and two samples from the same week can differ.",
    "Shares are relative: when one microbe takes up more of the sample, every other share falls, even if "
    "their actual numbers did not change.",
    "A stool profile cannot detect small-intestinal bacterial overgrowth (SIBO), stomach infection with "
    "Helicobacter pylori, food allergy or intolerance, a 'leaky gut', or inflammation. Those need tests "
    "arranged by a clinician.",
    "Gut–skin findings come from studies comparing groups of people. Most are small, and many disagree. They "
    "show associations, not causes, and do not say what will happen for one person.",
    "Numbers are only comparable with a reference profiled the same way (same kind of sequencing, profiler "
    "and database). Differences in method can look like differences in microbes.",
    "If a skin problem is severe, spreading, painful or affecting your mood or sleep, see a GP or "
    "dermatologist. Seek urgent care for swelling of the lips or tongue, trouble breathing, or a rash with "
    "fever.",
]

DIRECTION_WORDS = {
    "up": "higher in people with {c}",
    "down": "lower in people with {c}",
    "no_difference": "no difference found between people with {c} and without",
    "inconsistent": "reviews report that studies of {c} disagree",
    "mixed": "studies of {c} disagree: some found it higher, some lower",
}
GRADE_LABELS = {
    "A": "A: consistent meta-analysis",
    "B": "B: several studies agree",
    "C": "C: a single study, or studies that conflict",
    "D": "D: laboratory, animal or expert opinion only",
}


# ---------------------------------------------------------------------------------------------- context
@dataclass
class _Context:
    """Everything computed once for a whole profile, and what could not be."""

    profile: Profile
    strict: bool
    components: dict[str, str] = field(default_factory=dict)
    ref: sources.ReferenceView | None = None
    ref_reason: str | None = None
    pct: dict[str, pd.DataFrame] = field(default_factory=dict)
    alpha: pd.DataFrame | None = None
    alpha_reason: str | None = None
    guilds: sources.GuildTable | None = None
    guild_reason: str | None = None
    indices: dict[str, sources.IndexValues] = field(default_factory=dict)
    index_missing: dict[str, str] = field(default_factory=dict)
    kb: Any = None
    kb_reason: str | None = None
    questionnaire: Any = None
    questionnaire_path: str | None = None
    trial: sources.TrialRun | None = None
    trial_reason: str | None = None
    trial_files: list[str] = field(default_factory=list)
    phyla: Profile | None = None
    genera: Profile | None = None
    n_species: np.ndarray | None = None
    _shares: dict[str, Any] = field(default_factory=dict)
    _kb_panels: list | None = None

    def shares_at(self, rank: str) -> tuple[list[str], Any] | None:
        """(taxon keys, samples × taxa proportions) at ``rank``, computed once; None if the rank is absent."""
        if rank not in self._shares:
            try:
                view = self.profile.proportions(rank)
                self._shares[rank] = ([sources.taxon_key(n) for n in view.taxa["name"]], view.values.tocsr())
            except (RefusedError, InputError):
                self._shares[rank] = None
        return self._shares[rank]

    def attempt(self, name: str, func: Callable[[], Any]) -> tuple[Any, str | None]:
        """Run one part; (result, None) or (None, reason). Records the outcome under ``name``."""
        try:
            out = func()
        except Unavailable as exc:
            self.components[name] = exc.reason
            return None, exc.reason
        except InputError:
            raise
        except RefusedError as exc:  # valid input for which this number would be meaningless
            reason = f"{name}: not computed for this input ({exc})"
            self.components[name] = reason
            return None, reason
        except Exception as exc:
            if self.strict:
                raise
            reason = f"{name}: could not be computed ({type(exc).__name__}: {exc})"
            self.components[name] = reason
            return None, reason
        self.components.setdefault(name, "used")
        return out, None


def _context(profile: Profile, questionnaire: Any, trial: Any, reference: Any, strict: bool) -> _Context:
    ctx = _Context(profile=profile, strict=strict)
    # reference cohort and percentiles
    if reference is not None and not isinstance(reference, str):
        ctx.ref = sources.ReferenceView(reference=reference, match="pinned", caveats=[])
        ctx.components["reference"] = "used"
    else:
        ctx.ref, ctx.ref_reason = ctx.attempt("reference", lambda: sources.choose_reference(profile, reference))
    if ctx.ref is not None:
        table, reason = ctx.attempt("percentiles", lambda: sources.reference_percentiles(ctx.ref, profile))
        if table is not None:
            ctx.pct = {s: t for s, t in table.groupby("sample", sort=False)}
        else:
            ctx.ref.table_reason = reason
    ctx.alpha, ctx.alpha_reason = ctx.attempt("metrics", lambda: sources.alpha_diversity(profile))
    ctx.guilds, ctx.guild_reason = ctx.attempt("guilds", lambda: sources.guild_shares(profile))
    found, _ = ctx.attempt("indices", lambda: sources.published_indices(profile))
    if found is not None:
        ctx.indices, ctx.index_missing = found
        if not ctx.indices:
            ctx.components["indices"] = "; ".join(sorted(set(ctx.index_missing.values()))) or NOT_AVAILABLE
    ctx.kb, ctx.kb_reason = ctx.attempt("knowledge base", sources.knowledge_base)
    if questionnaire is not None:
        ctx.questionnaire_path = str(questionnaire) if isinstance(questionnaire, (str, os.PathLike)) else None
        ctx.questionnaire = sources.load_questionnaire(questionnaire)  # bad answers are the user's to fix
    if trial is not None:
        plan, diary = trial
        ctx.trial_files = [str(plan), str(diary)]
        ctx.trial, ctx.trial_reason = ctx.attempt("trial", lambda: sources.run_trial(plan, diary))
    ctx.phyla, _ = ctx.attempt("composition", lambda: profile.proportions("phylum"))
    ctx.genera, _ = ctx.attempt("composition", lambda: profile.proportions("genus"))
    try:
        species = profile.at_rank("species")
        ctx.n_species = np.asarray((species.values > 0).sum(axis=1)).ravel()
    except RefusedError:
        ctx.n_species = None
    return ctx


# ---------------------------------------------------------------------------------------------- entry points
def build_report(profile: Profile, sample: str | None = None, questionnaire: Any = None, trial: Any = None,
                 reference: Any = None, *, strict: bool = False) -> Report:
    """One person's report.

    ``questionnaire``: a path or a loaded questionnaire. ``trial``: ``(plan, diary)`` paths. ``reference``: a
    reference name, a loaded reference, or ``None`` to pick the best match for the profile.
    """
    if sample is None:
        if profile.n_samples != 1:
            raise InputError(f"the input holds {profile.n_samples} samples; choose one with --sample "
                             f"(e.g. {profile.samples[0]!r}) or make one report per sample into a folder",
                             field="--sample")
        sample = profile.samples[0]
    one = profile.sample(sample)
    return next(build_reports(one, None, questionnaire, trial, reference, strict=strict))


def build_reports(profile: Profile, samples: Sequence[str] | None = None, questionnaire: Any = None,
                  trial: Any = None, reference: Any = None, *, strict: bool = False) -> Iterator[Report]:
    """One report per sample (all samples by default), sharing the table-wide computations."""
    if samples is not None:
        idx = []
        for s in samples:
            if s not in profile.samples:
                raise InputError(f"no sample named {s!r}; samples are {profile.samples[:10]}", field="--sample")
            idx.append(profile.samples.index(s))
        profile = profile.take_samples(idx)
    ctx = _context(profile, questionnaire, trial, reference, strict)
    for i, sample in enumerate(profile.samples):
        yield _assemble(ctx, i, sample)


def _now() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _assemble(ctx: _Context, i: int, sample: str) -> Report:
    pct = ctx.pct.get(sample)
    diversity = _diversity(ctx, i, sample, pct)
    composition = _composition(ctx, i, sample, pct)
    key_taxa = _key_taxa(ctx, i, sample, pct)
    indices = _indices(ctx, i, sample, pct)
    skin, insight = _skin(ctx, i, sample, pct)
    given = get(insight, "recommendations") if insight is not None else None
    findings = None
    if given is None and ctx.kb is not None:
        findings = _rule_findings(ctx, sample, pct, diversity, composition, key_taxa)
    recs, rec_raw = _recommendations(ctx, findings, given)
    trial = _trial(ctx, rec_raw)
    methods = _methods(ctx, i, sample)
    summary = _summary(ctx, diversity, composition, key_taxa, indices, skin, recs, trial)
    return Report(generated_at=_now(), sample=sample, title=f"Gut microbiome and skin report: {sample}",
                  summary=summary, diversity=diversity, composition=composition, key_taxa=key_taxa,
                  indices=indices, skin=skin, recommendations=recs, trial=trial, methods=methods)


# ---------------------------------------------------------------------------------------------- helpers
def _rows(pct: pd.DataFrame | None, kind: str, rank: str | None = None) -> dict[str, dict[str, Any]]:
    """Percentile rows of one kind (and rank), keyed by feature (metrics) or taxon key (taxa)."""
    if pct is None or pct.empty:
        return {}
    sel = pct[pct["kind"] == kind]
    if rank is not None:
        sel = sel[sel["rank"] == rank]
    out = {}
    for rec in sel.to_dict("records"):
        key = rec["feature"] if kind == "metric" else sources.taxon_key(rec["feature"])
        out[key] = rec
    return out


def _reference_caveats(ctx: _Context) -> list[str]:
    """How well the chosen reference matches this profile, said once where comparisons start."""
    r = ctx.ref.reference
    head = f"Compared with {r.title} ({r.n:,} people)"
    if not ctx.ref.caveats:
        return [f"{head}, profiled the same way as this sample."]
    return [f"{head}: {c}." if not c.endswith(".") else f"{head}: {c}" for c in ctx.ref.caveats]


def _placement(rec: dict[str, Any] | None) -> dict[str, Any]:
    if not rec:
        return {}
    n = rec.get("n_reference")
    return {"percentile": finite(rec.get("percentile")), "ci_low": finite(rec.get("ci_low")),
            "ci_high": finite(rec.get("ci_high")), "typical_low": finite(rec.get("typical_low")),
            "typical_high": finite(rec.get("typical_high")), "status": rec.get("status"),
            "n_reference": None if n is None or (isinstance(n, float) and math.isnan(n)) else int(n)}


def _quantiles(ctx: _Context, metric: str) -> Quantiles | None:
    if ctx.ref is None:
        return None
    got = ctx.ref.metric_quantiles(metric)
    if got is None:
        return None
    n, probs, vals = got
    return Quantiles(n=n, probabilities=probs, values=vals)


def _ref_phrase(ctx: _Context) -> str:
    if ctx.ref is None:
        return "the healthy reference"
    r = ctx.ref.reference
    return f"{r.n:,} healthy people in the reference '{r.title}'"


def _display_taxon(name: str) -> str:
    """The current name, with the name the profiler wrote in brackets when they differ."""
    text = str(name).replace("_", " ")
    cur = sources.current_name(text)
    if cur and cur.lower() != text.lower():
        return f"{cur} ({text})"
    return text


def _kb_citation(kb: Any, key: str) -> Citation:
    try:
        study = kb.study(key)
    except (KeyError, AttributeError):
        return Citation(text=str(key), key=str(key))
    c = study.citation
    text = c.formatted() if hasattr(c, "formatted") else str(c)
    return Citation(text=text, key=key, doi=get(c, "doi"), pmid=get(c, "pmid"), url=get(c, "url"))


def _grade_evidence(grade: str | None, citations: list[Citation], label: str | None = None) -> Evidence:
    return Evidence(grade=grade, label=label or (GRADE_LABELS.get(grade) if grade else None), citations=citations)


def _marker_evidence(ctx: _Context, marker_id: str | None) -> Evidence | None:
    if ctx.kb is None or not marker_id:
        return None
    try:
        m = ctx.kb.marker(marker_id)
    except (KeyError, AttributeError):
        return None
    return _grade_evidence(m.grade, [_kb_citation(ctx.kb, k) for k in m.citations])


def _percentile_words(p: float | None) -> str:
    if p is None:
        return ""
    return f"{fmt_percentile(p)} percentile"


def _status_words(status: str | None) -> str:
    return {"below typical": "below the typical range", "above typical": "above the typical range",
            "typical": "within the typical range"}.get(status or "", status or "")


# ---------------------------------------------------------------------------------------------- diversity
def _diversity(ctx: _Context, i: int, sample: str, pct: pd.DataFrame | None) -> DiversitySection:
    sec = DiversitySection(
        title="Diversity compared with healthy people",
        intro=("Diversity describes how many different microbes live in your gut and how evenly they share it. "
               "Each chart shows the spread of healthy people as a shaded shape and where you are as an orange "
               "marker. Higher diversity is common in healthy adults, but on its own it is a weak sign: the "
               "published health indices below do better at telling health from disease."))
    rows = _rows(pct, "metric")
    if ctx.alpha is None and not rows:
        sec.status, sec.reason = "not_available", ctx.alpha_reason or f"Diversity: {NOT_AVAILABLE}"
        return sec
    for key, (label, meaning) in METRICS.items():
        value = None
        if ctx.alpha is not None and key in ctx.alpha.columns:
            value = finite(ctx.alpha.iloc[i][key])
        rec = rows.get(key)
        if value is None and rec is not None:
            value = finite(rec.get("value"))
        if value is None:
            continue
        sec.metrics.append(Metric(key=key, label=label, meaning=meaning, value=value, **_placement(rec),
                                  distribution=_quantiles(ctx, key) if rec else None))
    if ctx.ref is None:
        sec.status = "partial"
        sec.notes.append(f"No healthy reference could be used ({ctx.ref_reason}), so values are shown without a "
                         "comparison.")
    elif not rows:
        sec.status = "partial"
        sec.notes.append(f"Percentiles in the reference could not be computed ({ctx.ref.table_reason}).")
    if ctx.ref is not None:
        sec.notes.extend(_reference_caveats(ctx))
    if ctx.alpha is not None and ctx.alpha.attrs.get("rank"):
        sec.notes.append(f"Computed on {ctx.alpha.attrs['rank']}-level shares.")
    return sec


# ---------------------------------------------------------------------------------------------- composition
def _composition(ctx: _Context, i: int, sample: str, pct: pd.DataFrame | None) -> CompositionSection:
    info = ctx.profile.info[i]
    sec = CompositionSection(
        title="What your gut community is made of",
        intro=("Microbes are grouped in families of relatives. Phyla are the broadest groups; genera are closer "
               "relatives. Shares are of the part of the sample the profiler could name. Where the reference "
               "knows a genus, the blue bar shows the typical range (10th to 90th percentile) among healthy "
               "people who carry it."),
        unclassified_share=finite(info.unclassified_share))
    if ctx.phyla is None and ctx.genera is None:
        sec.status, sec.reason = "not_available", "The profile has no phylum or genus ranks to summarise."
        return sec
    phylum_metrics = {k.removeprefix("phylum.").lower(): v for k, v in _rows(pct, "metric").items()
                      if k.startswith("phylum.")}
    if ctx.phyla is not None:
        row = ctx.phyla.values.getrow(i)
        order = np.argsort(-row.data)
        for j in order:
            share = float(row.data[j])
            name = ctx.phyla.taxa["name"].iat[row.indices[j]]
            rec = phylum_metrics.get(sources.current_name(name).lower())
            sec.phyla.append(TaxonShare(name=_display_taxon(name), rank="phylum", share=share, value=share,
                                        prevalence=finite(rec.get("prevalence")) if rec else None,
                                        **_placement(rec)))
        if ctx.ref is not None and not phylum_metrics:
            sec.notes.append("The reference does not summarise phyla, so phyla have no typical range here.")
    genus_rows = _rows(pct, "taxon", "genus")
    if ctx.genera is not None:
        row = ctx.genera.values.getrow(i)
        order = np.argsort(-row.data)
        sec.n_genera = int((row.data > 0).sum())
        shown = 0.0
        for j in order[:10]:
            share = float(row.data[j])
            name = ctx.genera.taxa["name"].iat[row.indices[j]]
            rec = genus_rows.get(sources.taxon_key(name))
            sec.genera.append(TaxonShare(name=_display_taxon(name), rank="genus", share=share, value=share,
                                         prevalence=finite(rec.get("prevalence")) if rec else None,
                                         **_placement(rec)))
            shown += share
        sec.genera_other = max(0.0, 1.0 - shown) if len(order) else None
        absent = [r for r in genus_rows.values() if r.get("status") == "absent"
                  and (finite(r.get("prevalence")) or 0) >= 0.5 and not _PLACEHOLDER.search(str(r["feature"]))]
        absent.sort(key=lambda r: -(finite(r.get("prevalence")) or 0))
        for rec in absent[:6]:
            sec.missing_common.append(TaxonShare(name=_display_taxon(rec["feature"]), rank="genus", share=0.0,
                                                 value=0.0, prevalence=finite(rec.get("prevalence")),
                                                 **_placement(rec)))
    if ctx.n_species is not None:
        sec.n_species = int(ctx.n_species[i])
    if ctx.ref is None:
        sec.status = "partial"
        sec.notes.append("No healthy reference could be used, so no typical ranges are shown.")
    un = sec.unclassified_share
    if un is not None and un >= 0.5:
        sec.notes.append(f"The profiler could not name {fmt_share(un)} of this sample (reported as unknown). "
                         "All shares here are of the named part, which is common for this kind of profile, but "
                         "it means the named part may not represent the whole community.")
    return sec


#: "genus" rows that are really a higher rank standing in for unnamed genera (Lachnospiraceae_noname, …):
#: their absence says more about the profiler's naming than about the person
_PLACEHOLDER = re.compile(r"(aceae|ales|unclassified|noname|incertae sedis|_[A-Z]+)$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------- key taxa
GUILD_WHY = {
    "higher_favourable": "Usually seen as favourable when higher.",
    "lower_favourable": "Usually seen as favourable when lower.",
    "context_dependent": "Neither more nor less is simply better: studies point both ways.",
    "informational": "Shown for information; no direction is scored.",
}


def _key_taxa(ctx: _Context, i: int, sample: str, pct: pd.DataFrame | None) -> KeyTaxaSection:
    sec = KeyTaxaSection(
        title="Key microbes and groups",
        intro=("Groups of microbes that share a job (for example making butyrate, a fuel for gut-lining cells) "
               "and single microbes that studies single out. The strip under each one shows where you fall "
               "among healthy people: the orange dot is you, the black line the uncertainty of that estimate."))
    if ctx.guilds is None:
        sec.status, sec.reason = "not_available", ctx.guild_reason or f"Key microbes and groups: {NOT_AVAILABLE}"
        return sec
    metric_rows = _rows(pct, "metric")
    genus_rows = _rows(pct, "taxon", "genus")
    species_rows = _rows(pct, "taxon", "species")
    shares = ctx.guilds.shares
    any_pct = False
    for g in ctx.guilds.guilds:
        if g.id not in shares.columns:
            continue
        share = finite(shares.iloc[i][g.id])
        rec = metric_rows.get(f"guild.{g.id}") or metric_rows.get(g.id)
        if rec is None and len(g.member_names) == 1:
            rank, name = g.member_names[0]
            rec = {"genus": genus_rows, "species": species_rows}.get(rank, {}).get(sources.taxon_key(name))
        placement = _placement(rec)
        if share == 0 and rec is None:
            placement["status"] = "absent"
        any_pct = any_pct or placement.get("percentile") is not None
        why = GUILD_WHY.get(g.direction, "")
        if g.caveat:
            why = f"{why} {g.caveat}".strip()
        members = ctx.guilds.found.get(g.id, []) if ctx.profile.n_samples == 1 else []
        evidence = _marker_evidence(ctx, g.marker)
        if evidence is None:
            evidence = Evidence(label=g.evidence, citations=[Citation(text=c) for c in g.citations])
        sec.items.append(KeyTaxon(name=g.label, kind="guild", share=share, value=share, why=why, direction=g.direction,
                                  members=members, evidence=evidence, **placement))
    if ctx.guilds.warnings:
        sec.notes.extend(ctx.guilds.warnings)
    if ctx.ref is None:
        sec.status = "partial"
        sec.notes.append("No healthy reference could be used, so shares are shown without percentiles.")
    elif not any_pct:
        sec.notes.append("The reference gives percentiles for single genera and species; groups of several "
                         "microbes have no reference distribution yet, so only their share is shown.")
    return sec


# ---------------------------------------------------------------------------------------------- indices
def _index_validity(iv: sources.IndexValues, info: Any) -> tuple[str, str]:
    built = iv.reference.get("built_on")
    if iv.naming_matches is True:
        return "valid", "This profile uses the naming the index was built on" + (f" ({built})." if built else ".")
    if iv.naming_matches is False:
        profiler = " ".join(x for x in (info.profiler or "an unknown profiler", info.profiler_version) if x)
        return "approximate", (f"The index was built on {built or 'another naming'}; this profile is {profiler} "
                               f"({info.database or 'database not stated'}). Some of its microbes have other names "
                               "or are missing here, so the value is approximate and any cut-off may not hold.")
    return "unknown", "The index does not say whether this input matches what it was built on."


def _indices(ctx: _Context, i: int, sample: str, pct: pd.DataFrame | None) -> IndicesSection:
    sec = IndicesSection(
        title="Published gut health indices",
        intro=("Scores from published studies that summarise a whole profile in one number. They were built to "
               "tell people without a recorded disease from people with gut, metabolic or other diseases. "
               "None was developed with skin conditions, and their training data contain no one with psoriasis, "
               "eczema, acne or rosacea."))
    rows = _rows(pct, "metric")
    info = ctx.profile.info[i]
    for key, (label, meaning, citation, threshold) in INDICES.items():
        iv = ctx.indices.get(key)
        if iv is None:
            reason = ctx.index_missing.get(key) or ctx.components.get("indices") or NOT_AVAILABLE
            sec.items.append(IndexResult(key=key, label=label, meaning=meaning, citation=citation,
                                         validity="unknown", validity_note=f"Not computed: {reason}."))
            continue
        value = iv.value(sample)
        rec = rows.get(key)
        validity, vnote = _index_validity(iv, info)
        reading = _index_reading(key, value, threshold, rec)
        sec.items.append(IndexResult(
            key=key, label=label, meaning=meaning, citation=citation, value=value, reading=reading,
            validity=validity, validity_note=vnote, coverage=iv.coverage, coverage_note=iv.coverage_text,
            warnings=iv.warnings_for(sample), distribution=_quantiles(ctx, key) if rec else None,
            **_placement(rec)))
    computed = [x for x in sec.items if x.value is not None]
    if not computed:
        sec.status = "not_available"
        sec.reason = ctx.components.get("indices") or f"Published indices: {NOT_AVAILABLE}"
    elif len(computed) < len(sec.items):
        sec.status = "partial"
    return sec


def _index_reading(key: str, value: float | None, threshold: float | None, rec: dict | None) -> str:
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
    p = finite(rec.get("percentile")) if rec else None
    if p is not None:
        text += f" Among healthy people in the reference you are at the {fmt_percentile(p)} percentile."
    return text


# ---------------------------------------------------------------------------------------------- skin
def _skin(ctx: _Context, i: int, sample: str, pct: pd.DataFrame | None) -> tuple[SkinSection, Any]:
    sec = SkinSection(
        title="Skin conditions: what studies of the gut report",
        intro=("For each skin condition, what studies comparing people with and without it found in the gut, "
               "with the strength of the evidence (grade A strongest to D weakest) and its sources. Where "
               "studies disagree, both sides are shown. None of this says whether you have a condition."),
        kb_version=sources.kb_version(ctx.kb) if ctx.kb is not None else None)
    one = ctx.profile.take_samples([i]) if ctx.profile.n_samples > 1 else ctx.profile
    raw, _ = ctx.attempt("insights", lambda: sources.skin_insights(
        one, ctx.questionnaire, ctx.ref.reference if ctx.ref else None))
    if raw is not None:
        sec.panels = [_panel_from_insight(p, ctx) for p in sources.iter_items(get(raw, "panels") or raw)]
        for w in get(raw, "caveats") or []:
            sec.notes.append(str(w))
        if ctx.questionnaire is not None and sources.questionnaire_conditions(ctx.questionnaire):
            sec.notes.append("Only the conditions named in your questionnaire are shown.")
        return _order_panels(sec, ctx), raw
    if ctx.kb is None:
        sec.status = "not_available"
        sec.reason = f"Skin evidence panel: {NOT_AVAILABLE}."
        return sec, None
    sec.panels = _panels_from_kb(ctx, i, pct)
    sec.status = "partial"
    sec.notes.append("Shown straight from the knowledge base: what studies report for each condition, and where "
                     "you stand on the microbes they name. A personal interpretation of these findings is "
                     f"{NOT_AVAILABLE}.")
    return _order_panels(sec, ctx), None


def _relevant(ctx: _Context) -> set[str]:
    conds = set(sources.questionnaire_conditions(ctx.questionnaire)) if ctx.questionnaire is not None else set()
    if ctx.kb is not None:
        conds |= {ctx.kb.resolve_condition(c) or c for c in list(conds)}
    return conds


def _order_panels(sec: SkinSection, ctx: _Context) -> SkinSection:
    wanted = _relevant(ctx)
    for p in sec.panels:
        p.relevant = p.relevant or p.condition in wanted
    sec.panels.sort(key=lambda p: not p.relevant)
    if not sec.panels:
        sec.status, sec.reason = "not_available", "No skin condition has gut evidence in this knowledge base."
    return sec


ALIGNMENT_WORDS = {
    "toward": "You are on the side reported in people with {c}.",
    "away": "You are on the opposite side to people with {c}.",
    "neither": "You are in the middle half of healthy people.",
}


def _measurement_words(m: Any) -> str | None:
    """'Where you stand' for one measured feature, with the cut-offs the statuses use (25th/75th percentile)."""
    status = get(m, "status")
    if status in (None, "not_measured"):
        reason = get(m, "reason")
        return f"Not checked in this profile: {reason}." if reason else "Not checked in this profile."
    prev = finite(get(m, "prevalence"))
    if status == "absent":
        tail = f"; {fmt_share(prev)} of healthy people carry it" if prev is not None else ""
        return f"Not found in your sample{tail}."
    measure = str(get(m, "measure") or "")
    value = finite(get(m, "value"))
    p = finite(get(m, "percentile"))
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
    if p is not None:
        text += f", {fmt_percentile(p)} percentile of healthy people"
    side = {"low": " (lowest quarter)", "high": " (highest quarter)"}.get(str(status), "")
    return text + side + "."


def _panel_from_insight(p: Any, ctx: _Context) -> SkinPanel:
    cond_id = str(get(p, "condition") or "")
    name = str(get(p, "name") or get(p, "label") or cond_id)
    cname = name.lower()
    findings, cannot, conflicts = [], [], []
    for item in sources.iter_items(get(p, "items")) or sources.iter_items(get(p, "findings")):
        m = get(item, "measurement")
        label = str(get(item, "name") or get(item, "feature") or "")
        label = label[:1].upper() + label[1:]
        reason = get(m, "reason")
        if get(m, "status") == "not_measured" and reason and "not something a stool profile measures" in reason:
            cannot.append(f"{label}: a stool profile cannot measure this; ask a clinician whether a test is "
                          "worthwhile.")
            continue
        direction = str(get(item, "direction") or "")
        cites = []
        for e in get(item, "evidence") or []:
            ids = "; ".join(str(x) for x in get(e, "identifiers") or [])
            design = str(get(e, "design") or "")
            detail = ", ".join(x for x in (DESIGN_WORDS.get(design, design), str(get(e, "size") or "")) if x)
            text = str(get(e, "citation") or "") + (f": {detail}" if detail else "") + (f" ({ids})" if ids else "")
            cites.append(Citation(text=text, key=get(e, "association")))
        cites = list({c.text: c for c in cites}.values())
        alignment = get(item, "alignment")
        yours = _measurement_words(m) if m is not None else None
        if yours and alignment in ALIGNMENT_WORDS and not yours.startswith("Not found in your sample, as in"):
            yours = f"{yours} {ALIGNMENT_WORDS[alignment].format(c=cname)}"
        conflict = str(get(item, "rationale") or "") if get(item, "conflict") else None
        if conflict:
            conflicts.append(f"{label}: {conflict}")
        findings.append(SkinFinding(
            statement=f"{label}: {DIRECTION_WORDS.get(direction, direction).format(c=cname)}.", direction=direction,
            yours=yours, alignment=alignment if alignment in ALIGNMENT_KINDS else None,
            evidence=_grade_evidence(get(item, "grade"), cites, get(item, "grade_label")), conflict=conflict))
    interval = get(p, "interval")
    background = ""
    if ctx.kb is not None:
        try:
            background = ctx.kb.condition(cond_id).synthesis
        except (KeyError, AttributeError):
            background = ""
    return SkinPanel(condition=cond_id, label=name, summary=str(get(p, "statement") or get(p, "summary") or ""),
                     background=background, gut_evidence=get(p, "gut_evidence"), score=finite(get(p, "score")),
                     score_low=finite(interval[0]) if interval else None,
                     score_high=finite(interval[1]) if interval else None, relevant=bool(get(p, "relevant", False)),
                     findings=findings, conflicts=conflicts, cannot_tell=cannot,
                     notes=[str(n) for n in get(p, "notes") or []])


ALIGNMENT_KINDS = ("toward", "away", "neither", "no_direction", "unknown")
DESIGN_WORDS = {"MA": "meta-analysis", "SR": "systematic review", "RCT": "randomised trial", "CC": "case-control study",
                "COH": "cohort study", "CS": "cross-sectional study", "MR": "Mendelian randomisation",
                "REV": "review", "ANIM": "animal study", "NRS": "non-randomised study", "GL": "guideline",
                "POOLED": "pooled analysis"}


@dataclass
class _KBFinding:
    """One graded knowledge-base finding, prepared once per run; only 'where you stand' varies by sample."""

    feature: Any
    label: str
    finding: SkinFinding
    grade_rank: int


def _kb_skeleton(ctx: _Context) -> list[tuple[Any, list[_KBFinding], list[str]]]:
    """Per condition: its graded findings and what a stool profile cannot measure (the same for every sample)."""
    if ctx._kb_panels is not None:
        return ctx._kb_panels
    kb = ctx.kb
    study_of = {a.id: a.study for a in kb.association_rows}
    out = []
    for cond in kb.conditions():
        cname = (cond.name or cond.id).lower()
        items: list[_KBFinding] = []
        cannot = []
        for g in kb.grades(cond.id):
            feat = kb.features_by_id.get(g.feature) if g.feature else None
            if feat is None:
                continue
            label = feat.display_name[:1].upper() + feat.display_name[1:]
            if not feat.measurable_in_stool_profile:
                cannot.append(f"{label}: a stool profile cannot measure this; ask a clinician whether a test "
                              "is worthwhile.")
            words = DIRECTION_WORDS.get(g.direction, g.direction).format(c=cname)
            cites = [_kb_citation(kb, study_of[r]) for r in g.rows if r in study_of]
            cites = list({c.text: c for c in cites}.values())
            finding = SkinFinding(statement=f"{label}: {words}.", direction=g.direction,
                                  evidence=_grade_evidence(g.grade, cites), conflict=_conflict_words(g, cname))
            items.append(_KBFinding(feat, label, finding, "ABCD".index(g.grade)))
        out.append((cond, items, cannot))
    ctx._kb_panels = out
    return out


def _panels_from_kb(ctx: _Context, i: int, pct: pd.DataFrame | None) -> list[SkinPanel]:
    taxa_rows = {"genus": _rows(pct, "taxon", "genus"), "species": _rows(pct, "taxon", "species")}
    metric_rows = _rows(pct, "metric")
    panels = []
    for cond, items, cannot in _kb_skeleton(ctx):
        keyed = []
        for it in items:
            yours = (_yours(it.feature, ctx, i, taxa_rows, metric_rows) if it.feature.measurable_in_stool_profile
                     else None)
            keyed.append(((it.grade_rank, yours is None, it.label.lower()), it.finding.model_copy(
                update={"yours": yours})))
        keyed.sort(key=lambda x: x[0])
        ordered = [f for _, f in keyed]
        panels.append(SkinPanel(
            condition=cond.id, label=cond.name, summary=cond.synthesis, findings=ordered,
            conflicts=[f"{f.statement.split(':')[0]}: {f.conflict}" for f in ordered if f.conflict],
            cannot_tell=list(cannot)))
    return panels


def _conflict_words(g: Any, cname: str) -> str | None:
    if not g.conflict:
        return None
    if g.conflict_kind == "opposite":
        return (f"{len(g.supporting)} finding(s) point one way and {len(g.opposing)} the other way in {cname}; "
                "shown as a disagreement, not averaged.")
    if g.null:
        return f"{len(g.null)} study finding(s) saw no difference, so the grade is lowered."
    return str(g.rationale)


def _yours(feat: Any, ctx: _Context, i: int, rows: dict[str, dict], metric_rows: dict) -> str | None:
    """Where this person stands on one knowledge-base feature, when the profile can say."""
    kind = str(getattr(feat.kind, "value", feat.kind))
    if kind == "diversity":
        rec = metric_rows.get("shannon")
        if rec is not None and finite(rec.get("percentile")) is not None:
            return (f"Your Shannon diversity is at the {fmt_percentile(finite(rec['percentile']))} percentile "
                    "of healthy people.")
        return None
    if kind != "taxon" or feat.rank is None:
        return None
    rank = str(getattr(feat.rank, "value", feat.rank))
    keys = [sources.taxon_key(n) for n in feat.all_names()]
    ranked = rows.get(rank, {})
    for key in keys:
        rec = ranked.get(key)
        if rec is None:
            continue
        if rec.get("status") == "absent":
            prev = finite(rec.get("prevalence"))
            tail = f"; {fmt_share(prev)} of healthy people carry it" if prev is not None else ""
            return f"Not found in your sample{tail}."
        p = finite(rec.get("percentile"))
        text = f"{fmt_share(finite(rec.get('value')) or 0.0)} of your classified community"
        return text + (f", {fmt_percentile(p)} percentile of healthy people." if p is not None else ".")
    shares = ctx.shares_at(rank)
    if shares is None:
        return None
    names, values = shares
    found = sum(float(values[i, j]) for j, n in enumerate(names) if n in keys)
    if found > 0:
        return f"{fmt_share(found)} of your classified community (no healthy reference for this {rank})."
    return f"Not found under this name at {rank} level in your profile (profilers name some taxa differently)."


# ---------------------------------------------------------------------------------------------- recommendations
def _rule_findings(ctx: _Context, sample: str, pct: pd.DataFrame | None, diversity: DiversitySection,
                   composition: CompositionSection, key_taxa: KeyTaxaSection) -> dict[str, Any]:
    """This sample's measurements as the knowledge base's features with a status (what rules test)."""
    pairs: list[tuple[str, str | None]] = []
    shannon = next((m for m in diversity.metrics if m.key == "shannon"), None)
    if shannon is not None:
        pairs.append(("M11", shannon.status))
    guild_markers = {g.label: g.marker for g in ctx.guilds.guilds} if ctx.guilds is not None else {}
    for k in key_taxa.items:
        if guild_markers.get(k.name):
            pairs.append((guild_markers[k.name], k.status))
    for rank in ("genus", "species"):
        for rec in _rows(pct, "taxon", rank).values():
            pairs.append((str(rec["feature"]), rec.get("status")))
    for ph in composition.phyla:
        pairs.append((ph.name.split(" (")[0], ph.status))
    conditions = sources.questionnaire_conditions(ctx.questionnaire) if ctx.questionnaire is not None else []
    return sources.findings_mapping(ctx.kb, pairs, conditions, sample)


def _citation_of(c: Any, kb: Any) -> Citation:
    if isinstance(c, tuple) and len(c) == 2:  # (study key, citation object)
        key, obj = c
        text = obj.formatted() if hasattr(obj, "formatted") else str(obj)
        return Citation(text=text, key=str(key), doi=get(obj, "doi"), pmid=get(obj, "pmid"), url=get(obj, "url"))
    if isinstance(c, str):
        return _kb_citation(kb, c) if kb is not None else Citation(text=c)
    return Citation(text=str(get(c, "text") or get(c, "citation") or c), key=get(c, "key") or get(c, "study"),
                    doi=get(c, "doi"), pmid=get(c, "pmid"))


def _recommendations(ctx: _Context, findings: Any, given: Any = None) -> tuple[RecommendationsSection, Any]:
    sec = RecommendationsSection(
        title="What you could try",
        intro=("Suggestions matched to your results and answers, each with the strength of its evidence, safety "
               "notes and sources. They are options to discuss, not treatment. Change one thing at a time so "
               "you can tell what helped."))
    if given is not None:
        raw, reason = given, None
        ctx.components.setdefault("recommendations", "used (from the skin insight)")
    else:
        raw, reason = ctx.attempt("recommendations", lambda: sources.recommendations(findings, ctx.questionnaire))
    if raw is None:
        sec.status = "not_available"
        sec.reason = reason or f"Recommendations: {NOT_AVAILABLE}"
        return sec, None
    for r in sources.iter_items(raw):
        ev = get(r, "evidence")
        grade = get(r, "grade") or get(ev, "grade")
        cites = [_citation_of(c, ctx.kb) for c in (get(r, "citations") or get(ev, "citations") or [])]
        reasons = [str(x) for x in get(r, "reasons") or []]
        why = str(get(r, "rationale") or get(r, "why") or "")
        if reasons:
            why = f"{why} Matched because: {'; '.join(reasons)}.".strip()
        unknowns = [str(x) for x in get(r, "unknowns") or []]
        if unknowns:
            why = f"{why} Not checked: {'; '.join(unknowns)}.".strip()
        safety = [str(x) for x in (get(r, "safety_notes") or get(r, "safety") or [])]
        safety += [str(x) for x in get(r, "nutrient_cautions") or []]
        sec.items.append(Recommendation(
            title=str(get(r, "title") or ""), text=str(get(r, "text") or ""), why=why,
            evidence=_grade_evidence(grade, cites, get(r, "grade_label")), safety=safety,
            category=get(r, "category")))
    if ctx.questionnaire is None:
        sec.notes.append("Without a questionnaire only general suggestions can be made; answer it "
                         "(examples/questionnaire.yaml shows the questions) for suggestions that fit you.")
    if not sec.items:
        sec.notes.append("No suggestion matched your results and answers.")
    return sec, raw


# ---------------------------------------------------------------------------------------------- trial
def _trial(ctx: _Context, recs_raw: Any) -> TrialSection:
    sec = TrialSection(
        title="Testing a suspected food: an elimination trial",
        intro=("The only way to know whether a food affects your skin is to test it fairly: avoid it for a set "
               "time, then bring it back, and score your skin every day. gutskin plans such trials one food at "
               "a time and analyses the diary."))
    gate = sources.safety_gate(ctx.questionnaire)
    sec.gate_ok, sec.gate_reasons = gate.ok, list(gate.reasons)
    if ctx.trial_files:
        if ctx.trial is None:
            sec.status, sec.reason = "not_available", ctx.trial_reason or f"Trial analysis: {NOT_AVAILABLE}"
            return sec
        sec.mode = "results"
        sec.result = _trial_result(ctx.trial)
        return sec
    if not gate.ok:
        sec.mode = "suggestion"
        sec.suggestion = TrialSuggestion(title="Talk to a clinician before removing foods", text=gate.advice,
                                         safety=list(gate.cautions))
        return sec
    suggestion = _trial_from_recs(ctx, recs_raw, gate)
    if suggestion is not None:
        suggestion.safety = list(dict.fromkeys([*suggestion.safety, *gate.cautions]))
        sec.mode, sec.suggestion = "suggestion", suggestion
        return sec
    sec.mode = "none"
    sec.status = "not_applicable"
    sec.reason = ("No elimination trial is suggested: " + (
        "your answers name no suspected food and no trial rule matched." if ctx.questionnaire is not None else
        "without a questionnaire there is no suspected food to test."))
    sec.notes.extend(gate.cautions)
    return sec


def _trial_from_recs(ctx: _Context, recs_raw: Any, gate: Any) -> TrialSuggestion | None:
    for r in sources.iter_items(recs_raw):
        if get(r, "category") != "elimination_trial":
            continue
        rgate = get(r, "gate")
        if rgate is not None and not get(rgate, "ok", True):
            return TrialSuggestion(title="Talk to a clinician before removing foods",
                                   text=str(get(rgate, "advice") or gate.advice),
                                   safety=[str(x) for x in get(rgate, "cautions") or []])
        foods = [str(f) for f in get(r, "trial_foods") or []]
        food = foods[0] if foods else get(get(r, "trial"), "food")
        grade = get(r, "grade")
        cites = [_citation_of(c, ctx.kb) for c in get(r, "citations") or []]
        safety = [str(x) for x in (get(r, "safety_notes") or [])] + [str(x) for x in get(r, "nutrient_cautions") or []]
        sug = TrialSuggestion(food=food, title=str(get(r, "title") or "Elimination trial"),
                              text=str(get(r, "text") or ""), safety=safety, command=get(r, "trial_command"),
                              evidence=_grade_evidence(grade, cites) if grade else None)
        if food:
            conds = sources.questionnaire_conditions(ctx.questionnaire) if ctx.questionnaire is not None else []
            got, _ = ctx.attempt("trial planning", lambda f=food, c=conds: sources.trial_schedule(
                f, c[0] if c else None, gate))
            if got is not None:
                phases, notes = got
                sug.phases = [TrialPhase(name=p.kind, label=_phase_label(p.kind), start_day=p.start_day,
                                         end_day=p.end_day) for p in phases]
                sug.notes = notes
        return sug
    return None


PHASE_LABELS = {"baseline": "Eat as usual", "elimination": "Avoid the food", "reintroduction": "Eat it again"}


def _phase_label(kind: str) -> str:
    return PHASE_LABELS.get(kind, kind.capitalize())


def _trial_result(run: sources.TrialRun) -> TrialResult:
    res = run.result
    phases = [TrialPhase(name=p.kind, label=_phase_label(p.kind), start_day=p.start_day, end_day=p.end_day)
              for p in run.phases]
    points = [TrialPoint(day=d, score=v, phase=ph) for d, v, ph in run.points]
    verdict = {"trigger": "looks like a trigger", "not_trigger": "does not look like a trigger",
               "inconclusive": "not settled yet"}.get(str(res.get("verdict")), str(res.get("verdict")))
    facts: dict[str, str] = {}
    for key, label in (("n_days_planned", "Days planned"), ("n_days_recorded", "Days recorded"),
                       ("n_days_used", "Days used in the analysis"), ("p_worse", "Chance it makes things worse"),
                       ("p_meaningful", "Chance of a noticeable worsening"), ("design", "Design"),
                       ("method", "Method")):
        v = res.get(key)
        if v is None:
            continue
        facts[label] = fmt_share(v) if key.startswith("p_") else str(v)
    for w in res.get("warnings") or []:
        facts.setdefault("Warnings", "")
        facts["Warnings"] = (facts["Warnings"] + "; " if facts["Warnings"] else "") + str(w)
    detail = str(res.get("summary") or "")
    if res.get("next_step"):
        detail += f" Next: {res['next_step']}"
    label = str(run.outcome).replace("_", " ") if run.outcome else None
    return TrialResult(food=run.food, verdict=verdict, detail=detail.strip(), estimate=finite(res.get("effect")),
                       ci_low=finite(res.get("ci_low")), ci_high=finite(res.get("ci_high")), p_value=None,
                       outcome_label=label, phases=phases, points=points, facts=facts)


# ---------------------------------------------------------------------------------------------- methods
def _methods(ctx: _Context, i: int, sample: str) -> MethodsSection:
    info = ctx.profile.info[i]
    ref_info = None
    if ctx.ref is not None:
        d = ctx.ref.describe()
        ref_info = ReferenceInfo(name=d["name"], title=d["title"], n=int(d["n"]),
                                 profiler=" ".join(x for x in (d.get("profiler"), d.get("profiler_version")) if x)
                                 or None,
                                 database=d.get("database"), method=d.get("method"), source=d.get("source") or None,
                                 citation=d.get("citation") or None, licence=d.get("licence"),
                                 healthy_definition=d.get("healthy_definition"), match=ctx.ref.match,
                                 caveats=list(ctx.ref.caveats) + [str(n) for n in d.get("notes") or []])
    sec = MethodsSection(
        title="Methods, sources and limits",
        intro="Where every number in this report came from, and what a stool profile cannot tell.",
        input_file=str(info.source), input_format=info.format, sample=sample, profiler=info.profiler,
        profiler_version=info.profiler_version, database=info.database, sequencing=info.method,
        units=info.units, unclassified_share=finite(info.unclassified_share), reference=ref_info,
        questionnaire=ctx.questionnaire_path or ("given" if ctx.questionnaire is not None else None),
        trial_files=list(ctx.trial_files), kb_version=sources.kb_version(ctx.kb) if ctx.kb is not None else None,
        gutskin_version=__version__, limitations=list(LIMITATIONS), components=dict(ctx.components))
    if ctx.ref is None:
        sec.notes.append(f"Healthy reference: {ctx.ref_reason}")
    for w in info.extra.get("warnings", []) if isinstance(info.extra, dict) else []:
        sec.notes.append(str(w))
    return sec


# ---------------------------------------------------------------------------------------------- summary
def _summary(ctx: _Context, diversity: DiversitySection, composition: CompositionSection,
             key_taxa: KeyTaxaSection, indices: IndicesSection, skin: SkinSection,
             recs: RecommendationsSection, trial: TrialSection) -> SummarySection:
    sec = SummarySection(
        title="The main points",
        intro="The few things that matter most in this report, most important first. Each links to its details.")
    items: list[SummaryItem] = []
    if trial.mode == "results" and trial.result is not None:
        food = f"{trial.result.food} " if trial.result.food else ""
        items.append(SummaryItem(headline=f"Your trial: {food}{trial.result.verdict}", detail=trial.result.detail,
                                 section="trial", kind="measurement"))
    if trial.gate_ok is False:
        items.append(SummaryItem(headline="Talk to a clinician before removing foods",
                                 detail="; ".join(trial.gate_reasons).capitalize() + ".", section="trial",
                                 kind="safety"))
    items.extend(_skin_summary(skin))
    shannon = next((m for m in diversity.metrics if m.key == "shannon"), None)
    if shannon is not None and shannon.percentile is not None:
        items.append(SummaryItem(
            headline=f"Diversity {_status_words(shannon.status)} of healthy people",
            detail=(f"Your Shannon diversity is {fmt_number(shannon.value)}, at the "
                    f"{fmt_percentile(shannon.percentile)} percentile of {_ref_phrase(ctx)}. On its own diversity "
                    "is a weak sign of gut health."),
            section="diversity", kind="measurement", evidence=_marker_evidence(ctx, "M11")))
    elif shannon is not None:
        items.append(SummaryItem(headline=f"Shannon diversity {fmt_number(shannon.value)}",
                                 detail="No healthy reference was available to compare it with.",
                                 section="diversity", kind="measurement"))
    unusual = [k for k in key_taxa.items if (k.status, k.direction) in _UNFAVOURABLE]
    unusual.sort(key=lambda k: abs((k.percentile or 0.5) - 0.5), reverse=True)
    for k in unusual[:1]:
        items.append(SummaryItem(
            headline=f"{k.name}: {_status_words(k.status)}",
            detail=f"{fmt_share(k.share)} of your classified community, at the {fmt_percentile(k.percentile)} "
                   f"percentile of healthy people. {k.why}".strip(),
            section="key_taxa", kind="measurement", evidence=k.evidence))
    if not unusual:
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
    if gm is not None:
        caveat = " This value is approximate for this profile." if gm.validity == "approximate" else ""
        items.append(SummaryItem(headline=f"{gm.label.split(' (')[0]}: {fmt_number(gm.value)}",
                                 detail=gm.reading + caveat, section="indices", kind="measurement",
                                 evidence=_marker_evidence(ctx, "M12")))
    if recs.items and len(items) < 5:
        r = recs.items[0]
        items.append(SummaryItem(headline=f"Something to try: {r.title}", detail=r.text, section="recommendations",
                                 kind="evidence", evidence=r.evidence))
    sec.items = items[:5]
    if len(sec.items) < 3:
        sec.status = "partial"
        sec.notes.append("Fewer main points than usual: parts of this report are not available in this version.")
    return sec


_UNFAVOURABLE = {("below typical", "higher_favourable"), ("above typical", "lower_favourable")}


def _skin_summary(skin: SkinSection) -> list[SummaryItem]:
    out = []
    relevant = [p for p in skin.panels if p.relevant]
    for p in relevant[:2]:
        graded = [f for f in p.findings if f.evidence.grade]
        best = min(graded, key=lambda f: "ABCD".index(f.evidence.grade)) if graded else None
        if p.score is not None and p.score_low is not None and p.score_high is not None:
            cname = p.label.lower()
            lean = (f"leans toward the gut pattern reported in {cname}" if p.score_low > 0 else
                    f"leans away from the gut pattern reported in {cname}" if p.score_high < 0 else
                    f"shows no clear lean toward the gut pattern reported in {cname}")
            detail = p.summary.split(". ")[0].rstrip(".") + "."
            if best is not None:
                detail += f" Strongest evidence (grade {best.evidence.grade}): {best.statement}"
            out.append(SummaryItem(headline=f"{p.label}: your profile {lean}", detail=detail, section="skin",
                                   kind="evidence", evidence=best.evidence if best is not None else None))
            continue
        if best is None:
            out.append(SummaryItem(headline=f"{p.label}: little gut evidence", detail=p.summary, section="skin",
                                   kind="evidence"))
            continue
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
