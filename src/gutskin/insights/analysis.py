"""``analyze``: one sample → reference placement, skin panels per condition, and recommendations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import InputError
from ..knowledge.base import KnowledgeBase
from ..knowledge.loader import load_kb
from ..knowledge.questionnaire import Questionnaire
from ..profile import Profile
from ..reference import choose
from ..reference.measures import metric_values
from ..reference.model import Reference
from .measure import Measurement, measure_all
from .panels import Panel, build_panel
from .recommend import Findings, Recommendation, recommend

DISCLAIMER = ("gutskin describes how a stool profile compares with healthy people and with published research "
              "groups. It does not diagnose any condition, and a stool profile cannot show what causes a skin "
              "problem. Talk to a clinician about symptoms and before changing treatment.")


@dataclass
class Insights:
    sample: str
    reference: dict[str, Any]
    reference_match: str
    caveats: list[str]
    measurements: dict[str, Measurement]
    panels: list[Panel]
    recommendations: list[Recommendation]
    kb_version: str
    disclaimer: str = DISCLAIMER
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["recommendations"] = [r.to_dict() for r in self.recommendations]
        return out

    def panel(self, condition: str) -> Panel:
        for p in self.panels:
            if p.condition == condition:
                return p
        raise KeyError(condition)


def _population(questionnaire: Questionnaire | None) -> str:
    """The age group whose evidence applies (from the group and/or the years; unanswered: adult)."""
    from ..safety import age_group_of

    about = questionnaire.about_you if questionnaire else None
    group = age_group_of(about.age_group, about.age_years) if about else None
    group = group or "adult"
    return {"older_adult": "adult"}.get(group, group)


def _sex(questionnaire: Questionnaire | None) -> str | None:
    """The questionnaire's sex, for findings reported only in men or only in women (None: not answered)."""
    about = questionnaire.about_you if questionnaire else None
    sex = about.sex if about else None
    return sex if sex in ("female", "male") else None


def analyze_insights(
    profile: Profile,
    questionnaire: Questionnaire | None = None,
    *,
    sample: str | None = None,
    reference: str | Reference | None = None,
    conditions: list[str] | None = None,
    kb: KnowledgeBase | None = None,
    comparable: bool = True,
    metrics: tuple | None = None,
    rows: dict | None = None,
) -> Insights:
    """Skin insight for one sample.

    ``reference`` pins a reference by name (or object); by default the best method match is chosen and any
    mismatch is reported in ``caveats``. ``conditions`` defaults to those in the questionnaire, else every
    condition the knowledge base has gut evidence for. ``comparable=False`` (a stop-severity sanity check fired):
    no recommendation is triggered by the sample's microbes. ``metrics``: the sample's
    :func:`~gutskin.reference.measures.metric_values` at the reference's metric rank, when the caller has them
    (:func:`gutskin.engine.batch.metrics_by_sample`); else they are computed here. ``rows``: likewise its rows
    of a whole table's rank tables (:func:`gutskin.engine.batch.rank_rows_by_sample`).
    """
    if sample is None:
        if profile.n_samples != 1:
            raise InputError(f"the input holds {profile.n_samples} samples; name one (e.g. {profile.samples[0]!r})",
                             field="sample")
        one = profile
    else:
        one = profile.sample(sample)
    kb = kb or load_kb()
    if isinstance(reference, Reference):
        ref, match, caveats = reference, "given", []
    else:
        choice = choose(one, reference, age_group=_population(questionnaire))  # infants never meet adults
        ref, match, caveats = choice.reference, choice.match, list(choice.caveats)
    if metrics is None:
        metrics = metric_values(one, ref.metric_rank)  # as the reference measured its people (16S: genus rank)
    measurements = measure_all(one, ref, kb, metrics, rows)
    population = _population(questionnaire)
    wanted = conditions or (questionnaire.conditions() if questionnaire else []) or [
        c.id for c in kb.conditions() if c.gut_evidence != "none"]
    unknown = [c for c in wanted if kb.resolve_condition(c) is None]
    if unknown:
        raise InputError(f"unknown condition(s) {unknown}; known: {[c.id for c in kb.conditions()]}",
                         field="conditions")
    # subgroup findings (men only, women only) apply only to people known to match
    panels = [build_panel(kb.resolve_condition(c), measurements, kb, population, sex=_sex(questionnaire))
              for c in wanted]
    # a sample a sanity check calls not comparable (not stool, C. difficile, a bloom) triggers no advice from its
    # microbes: suggestions then come from the answers alone
    statuses = {fid: m.status for fid, m in measurements.items()} if comparable else {}
    findings = Findings(statuses=statuses, conditions=tuple(kb.resolve_condition(c) for c in wanted),
                        population=population, sample=one.samples[0])
    recs = recommend(findings, questionnaire, kb)
    return Insights(sample=one.samples[0], reference=ref.describe(), reference_match=match, caveats=caveats,
                    measurements=measurements, panels=panels, recommendations=recs, kb_version=kb.version,
                    warnings=[f"{k}: {w}" for k, ws in metrics[1].items() for w in ws])


#: the former name (``trial.analyze`` analyses a trial diary; this analyses a profile), kept for one release
analyze = analyze_insights
