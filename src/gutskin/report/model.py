"""The report as data: versioned pydantic models that the HTML, PDF and JSON outputs all come from.

A report holds only numbers that were computed or looked up, never placeholders. A section whose data is
not available (a part of gutskin not installed, an input that does not allow the computation) keeps its
place with ``status`` saying so and ``reason`` saying why, so a reader of any output sees the gap.

Shares and percentiles are fractions in 0–1 throughout; the renderers turn them into per cent.

The JSON schema published in ``docs/report-schema.json`` is :func:`Report.model_json_schema`. Change
:data:`SCHEMA_VERSION` with any change to these models (major: a field removed or its meaning changed;
minor: a field added), then run ``scripts/write_report_schema.py``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "2.1.0"
SCHEMA_ID = "https://gutskin.invalid/schemas/report/2.1.0/report-schema.json"
#: report versions this model still reads (a stored 2.0.0 report has none of the 2.1.0 fields, all optional)
READABLE_VERSIONS = ("2.1.0", "2.0.0")

Status = Literal["ok", "partial", "not_available", "not_applicable"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------------------- evidence
class Citation(_Strict):
    """One source, as the knowledge base gives it."""

    text: str = Field(description="Human-readable citation: authors, year, journal.")
    key: str | None = Field(None, description="Knowledge-base key of the study, e.g. 'ACNE-DENG18'.")
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None


class Evidence(_Strict):
    """How strong the support for a statement is, with its sources."""

    grade: str | None = Field(None, description="Grade code from the knowledge base (e.g. 'A'–'D').")
    label: str | None = Field(None, description="The grade in words, e.g. 'low: a few small studies'.")
    citations: list[Citation] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------- shared parts
class Section(_Strict):
    """What every section has: a status, a plain-language lead, caveats, and why it is missing if it is."""

    status: Status = "ok"
    title: str
    intro: str = Field("", description="Plain-language lead: what this section shows and how to read it.")
    notes: list[str] = Field(default_factory=list, description="Caveats that apply to this section.")
    reason: str | None = Field(None, description="Why the section is not (fully) available.")


class Quantiles(_Strict):
    """A reference distribution as quantiles, enough to draw it."""

    n: int = Field(description="Number of reference people the distribution comes from.")
    probabilities: list[float]
    values: list[float]


class Placement(_Strict):
    """One number of this person placed in the healthy reference."""

    value: float | None = None
    percentile: float | None = Field(None, description="Share of the reference below this value (0–1).")
    ci_low: float | None = Field(None, description="95% interval of the percentile (Jeffreys), low end.")
    ci_high: float | None = None
    typical_low: float | None = Field(None, description="10th percentile of the reference.")
    typical_high: float | None = Field(None, description="90th percentile of the reference.")
    status: str | None = Field(None, description="typical | below typical | above typical | absent | ...")
    n_reference: int | None = None


# ---------------------------------------------------------------------------------------------- summary
class SummaryItem(_Strict):
    headline: str
    detail: str
    section: str = Field(description="Id of the section with the details.")
    kind: Literal["sample_check", "measurement", "evidence", "safety", "limitation"] = Field(
        description="sample_check: a sample sanity check that fired (always first); measurement: a number from "
                    "this sample; evidence: a graded statement from the literature.")
    evidence: Evidence | None = None
    check: str | None = Field(None, description="For a sample_check: its code (c_difficile_dominant, "
                                                "enterobacteriaceae_bloom, dominant_taxon, not_stool_oral, "
                                                "not_stool_skin, skin_bacteria_high, host_dominant, viral_dominant, "
                                                "fungi_high, high_unknown, low_depth).")
    severity: Literal["stop", "warn"] | None = Field(
        None, description="For a sample_check: stop (the sample cannot be compared with healthy stool) or warn.")


class ClinicianLine(_Strict):
    label: str
    text: str


class SummarySection(Section):
    items: list[SummaryItem] = Field(default_factory=list, description="At most 5 main points, most important first.")
    for_clinician: list[ClinicianLine] = Field(
        default_factory=list, description="A one-page summary for a GP: sample and method, key results, the safety "
                                          "gate, the trial, the first suggestions and the limits.")


# ---------------------------------------------------------------------------------------------- diversity
class Metric(Placement):
    key: str
    label: str
    meaning: str = ""
    distribution: Quantiles | None = None


class DiversitySection(Section):
    metrics: list[Metric] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------- composition
class TaxonShare(Placement):
    name: str
    rank: str
    share: float = Field(description="Share of the classified community at this rank (0–1).")
    prevalence: float | None = Field(None, description="Share of reference people who carry this taxon.")


class CompositionSection(Section):
    phyla: list[TaxonShare] = Field(default_factory=list)
    genera: list[TaxonShare] = Field(default_factory=list)
    genera_other: float | None = Field(None, description="Share of all genera not listed.")
    n_genera: int | None = None
    n_species: int | None = None
    unclassified_share: float | None = Field(None, description="Share of the sample the profiler left unclassified.")
    missing_common: list[TaxonShare] = Field(
        default_factory=list, description="Genera most healthy people carry that were not found in this sample.")


# ---------------------------------------------------------------------------------------------- key taxa
class KeyTaxon(Placement):
    name: str
    kind: Literal["taxon", "guild"] = "taxon"
    rank: str | None = None
    share: float | None = None
    prevalence: float | None = None
    direction: str | None = Field(None, description="higher_favourable | lower_favourable | context_dependent | "
                                                    "informational, as the definition states.")
    why: str = Field("", description="Why this taxon or group is in the report.")
    members: list[str] = Field(default_factory=list, description="Guild members found in this sample.")
    evidence: Evidence | None = None


class KeyTaxaSection(Section):
    items: list[KeyTaxon] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------- indices
class IndexResult(Placement):
    key: str
    label: str
    meaning: str = Field("", description="What the index measures and how it was built.")
    reading: str = Field("", description="What this person's value says, in plain words.")
    validity: Literal["valid", "approximate", "not_valid", "unknown"] = "unknown"
    validity_note: str = ""
    coverage: float | None = Field(None, description="Share of the index's taxa that this profile can express (0–1).")
    coverage_note: str = ""
    warnings: list[str] = Field(default_factory=list)
    distribution: Quantiles | None = None
    citation: Citation | None = None
    cutoff: float | None = Field(None, description="The index's own decision cut-off, when it has one.")


class IndicesSection(Section):
    items: list[IndexResult] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------- skin
class SkinFinding(_Strict):
    statement: str
    direction: str | None = Field(None, description="In patients: up | down | no_difference | inconsistent | mixed.")
    yours: str | None = Field(None, description="Where this person stands on it, if the profile can tell.")
    alignment: Literal["toward", "away", "neither", "no_direction", "unknown"] | None = Field(
        None, description="toward: this person is on the side reported in patients; away: the other side; "
                          "neither: in the typical range; no_direction: the studies disagree or found no "
                          "difference; unknown: the profile cannot measure it.")
    evidence: Evidence = Field(default_factory=Evidence)
    conflict: str | None = Field(None, description="Set when studies disagree: what they disagree on.")
    main_point: bool = Field(False, description="May be a main point: graded A–C, not disputed, measured, and (for "
                                                "a subgroup finding) the person is in the subgroup.")
    subgroup: str | None = Field(None, description="The subgroup the finding was reported in (men, women, …).")


class SkinPanel(_Strict):
    condition: str
    label: str
    summary: str = Field("", description="What this profile shows against the condition's evidence, in words.")
    background: str = Field("", description="What the studies of this condition found overall.")
    gut_evidence: str | None = Field(None, description="Overall strength of gut evidence for the condition.")
    score: float | None = Field(None, description="Evidence-weighted lean toward (+1) or away from (−1) the pattern "
                                                  "reported in patients; a description, never a probability.")
    score_low: float | None = Field(None, description="90% interval of the score, low end.")
    score_high: float | None = None
    relevant: bool = Field(False, description="True when the questionnaire says this condition concerns the person.")
    validation: str = Field("", description="What testing the lean on patients and controls showed, in words, "
                                            "shown next to the lean.")
    validation_status: str | None = Field(None, description="validated | validated_no_separation | not_validated")
    validation_auc: float | None = Field(None, description="The lean's AUC for patients vs controls, when tested.")
    validation_ci: tuple[float, float] | None = Field(None, description="95% interval of that AUC.")
    lean_main_point: bool = Field(False, description="True when the lean may be a main point (calibrated on "
                                                     "healthy people and validated above chance).")
    findings: list[SkinFinding] = Field(default_factory=list)
    conflicts: list[str] = Field(default_factory=list)
    cannot_tell: list[str] = Field(default_factory=list, description="Questions a stool profile cannot answer here.")
    notes: list[str] = Field(default_factory=list)


class SkinSection(Section):
    panels: list[SkinPanel] = Field(default_factory=list)
    kb_version: str | None = None


# ---------------------------------------------------------------------------------------------- recommendations
class Recommendation(_Strict):
    title: str
    text: str
    why: str = ""
    evidence: Evidence = Field(default_factory=Evidence)
    safety: list[str] = Field(default_factory=list)
    category: str | None = None


class RecommendationsSection(Section):
    items: list[Recommendation] = Field(default_factory=list)
    safety: list[str] = Field(default_factory=list, description="Safety notes that apply to all of them.")


# ---------------------------------------------------------------------------------------------- trial
class TrialPhase(_Strict):
    name: str
    label: str
    start_day: int
    end_day: int


class TrialPoint(_Strict):
    day: int
    score: float | None
    phase: str | None = None


class TrialSuggestion(_Strict):
    food: str | None = None
    title: str
    text: str
    phases: list[TrialPhase] = Field(default_factory=list, description="The default schedule for this food.")
    notes: list[str] = Field(default_factory=list, description="Why the schedule is as it is, with sources.")
    command: str | None = Field(None, description="The gutskin command that plans this trial.")
    safety: list[str] = Field(default_factory=list)
    evidence: Evidence | None = None


class TrialResult(_Strict):
    food: str | None = None
    verdict: str
    detail: str = ""
    estimate: float | None = Field(None, description="Difference in the symptom score, exposure minus avoidance.")
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float | None = Field(None, description="Level of the interval (0.9 for one food: the interval the "
                                                     "one-sided decision reads).")
    final: bool = Field(True, description="False while planned days are still ahead: no verdict, only 'so far'.")
    p_value: float | None = None
    outcome_label: str | None = None
    phases: list[TrialPhase] = Field(default_factory=list)
    points: list[TrialPoint] = Field(default_factory=list)
    facts: dict[str, str] = Field(default_factory=dict, description="Further results, already worded.")


class TrialSection(Section):
    mode: Literal["suggestion", "results", "none"] = "none"
    gate_ok: bool | None = Field(None, description="False when a clinician should be involved first.")
    gate_reasons: list[str] = Field(default_factory=list)
    suggestion: TrialSuggestion | None = None
    result: TrialResult | None = None


# ---------------------------------------------------------------------------------------------- methods
class ReferenceInfo(_Strict):
    name: str
    title: str
    n: int
    profiler: str | None = None
    database: str | None = None
    method: str | None = None
    source: str | None = None
    citation: str | None = None
    licence: str | None = None
    healthy_definition: str | None = None
    match: str | None = Field(None, description="exact | nearest | pinned")
    caveats: list[str] = Field(default_factory=list)


class MethodsSection(Section):
    input_file: str = Field(description="The input's file name (never a folder path).")
    input_format: str | None = None
    sample: str
    profiler: str | None = None
    profiler_version: str | None = None
    database: str | None = None
    sequencing: str | None = None
    units: str | None = None
    unclassified_share: float | None = None
    reference: ReferenceInfo | None = None
    questionnaire: str | None = None
    trial_files: list[str] = Field(default_factory=list)
    kb_version: str | None = None
    gutskin_version: str
    limitations: list[str] = Field(default_factory=list)
    components: dict[str, str] = Field(default_factory=dict, description="Parts that were refused for this input, "
                                                                         "each with its reason (empty when all ran).")


# ---------------------------------------------------------------------------------------------- the report
class Report(_Strict):
    """One person's report: every section, in reading order."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"$id": SCHEMA_ID})

    schema_version: Literal["2.1.0", "2.0.0"] = SCHEMA_VERSION
    generated_at: str = Field(description="ISO 8601 time the report was made (UTC).")
    sample: str
    title: str
    summary: SummarySection
    diversity: DiversitySection
    composition: CompositionSection
    key_taxa: KeyTaxaSection
    indices: IndicesSection
    skin: SkinSection
    recommendations: RecommendationsSection
    trial: TrialSection
    methods: MethodsSection

    def sections(self) -> list[tuple[str, Section]]:
        return [(sid, getattr(self, sid)) for sid in SECTION_ORDER]


SECTION_ORDER = ("summary", "diversity", "composition", "key_taxa", "indices", "skin", "recommendations", "trial",
                 "methods")


def json_schema() -> dict:
    """The published JSON schema of a report."""
    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
