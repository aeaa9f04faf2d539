"""The :class:`Analysis`: everything gutskin concluded about one sample, as coded values.

It is what every face builds on — the report renders it, the web app returns it, a retest compares two of
them, a FHIR export maps it, a cohort run stores one per sample. Values are numbers, ids and codes (feature
ids, rule ids, association ids, statuses); wording for people lives in :mod:`gutskin.report`.

Bump :data:`SCHEMA_VERSION` on any change a stored analysis or a client would notice (``docs/analysis-schema.json``
is written from this model).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: 1.1: ``sanity`` (coded sample checks), panel ``validation`` / ``lean_main_point`` / ``raw_score``, panel item
#: ``main_point_eligible`` / ``subgroup`` (all added with defaults: a 1.0 analysis still reads)
SCHEMA_VERSION = "1.1"

#: How a part of the analysis ended: computed; refused (not valid for this input; ``reason`` says why);
#: not_requested (needs an input that was not given, e.g. a questionnaire or a trial diary).
#: a metric's reference distribution travels as its quantiles at this many evenly spaced probabilities (0 … 1)
QUANTILE_POINTS = 41

PartStatus = Literal["ok", "refused", "not_requested"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def trusted(cls, **values: Any) -> Any:
        """An instance from checked values naming every field, built without validation.

        What ``model_construct`` makes, in about half the time (a report builds hundreds per sample): it only sets
        the instance's dictionary. The first call per class compares the result with ``model_construct``'s and
        keeps to ``model_construct`` for good if they differ (another pydantic version) or if not every field is
        named.
        """
        n_fields = _FAST_OK.get(cls)
        if n_fields is None:
            expected = cls.model_construct(**values)
            made = _set_dict(cls, dict(values))
            ok = (set(values) == set(cls.model_fields) and made == expected
                  and made.model_dump() == expected.model_dump())
            # pydantic's model_fields is a computed class property (microseconds a read, hundreds of reads per
            # sample): the field count is kept here, and 0 means "never set the dictionary directly"
            _FAST_OK[cls] = len(cls.model_fields) if ok else 0
            return expected
        if len(values) != n_fields:
            return cls.model_construct(**values)
        return _set_dict(cls, values)


    @classmethod
    def trusted_dict(cls, values: dict[str, Any]) -> Any:
        """:meth:`trusted` from a dict naming every field in field order (the dict becomes the instance's own:
        not to be used again by the caller)."""
        n_fields = _FAST_OK.get(cls)
        if not n_fields or len(values) != n_fields:
            return cls.trusted(**values)
        return _set_dict(cls, values)


#: per model class, its number of fields when :meth:`_Model.trusted` may set the dictionary directly, else 0
_FAST_OK: dict[type, int] = {}


def _set_dict(cls: type[BaseModel], values: dict[str, Any]) -> Any:
    m = cls.__new__(cls)
    object.__setattr__(m, "__dict__", values)
    object.__setattr__(m, "__pydantic_fields_set__", set(values))
    object.__setattr__(m, "__pydantic_extra__", None)
    object.__setattr__(m, "__pydantic_private__", None)
    return m


class Part(_Model):
    """The outcome of one part (reference, insights, trial, …)."""

    status: PartStatus = "ok"
    reason: str | None = None


class Placement(_Model):
    """One value placed in the healthy reference (a metric, or a taxon's share)."""

    kind: Literal["metric", "taxon"]
    feature: str  # metric name (``shannon``, ``guild.akkermansia``) or taxon name as the reference keys it
    rank: str | None = None
    key: str | None = None  # taxa: the comparison key under the current taxonomy (see engine.taxon_key)
    value: float | None = None
    percentile: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    typical_low: float | None = None
    typical_high: float | None = None
    prevalence: float | None = None
    status: str | None = None  # below typical | typical | above typical | absent | not in reference | not comparable
    n_reference: int | None = None
    quantiles: list[float] | None = None  # metrics only: the reference distribution at QUANTILE_POINTS


class TaxonShare(_Model):
    """A taxon's share of the classified community, keyed by taxid (when known), rank and name."""

    rank: str
    name: str  # as the profiler wrote it
    current_name: str  # the accepted name today (old names resolved)
    key: str  # the comparison key under the current taxonomy (matches Placement.key)
    taxid: int | None = None
    share: float


class IndexOutcome(_Model):
    """One published index for this sample."""

    key: str  # gmhi | gmwi2 | gevers_md | hmp2_dysbiosis
    status: PartStatus = "ok"
    reason: str | None = None
    value: float | None = None
    coverage: float | None = None  # share of the index's taxa this input can express, when the index states it
    coverage_text: str = ""
    naming_matches: bool | None = None
    built_on: str | None = None
    warnings: list[str] = Field(default_factory=list)


class GuildShare(_Model):
    id: str  # composition guild id (metrics/data/composition.yaml)
    share: float | None
    members_found: list[str] = Field(default_factory=list)


class Composition(_Model):
    phyla: list[TaxonShare] = Field(default_factory=list)  # every phylum present, largest first
    genera: list[TaxonShare] = Field(default_factory=list)  # every genus present, largest first
    n_species: int | None = None
    guilds: list[GuildShare] = Field(default_factory=list)
    guild_definitions_version: str | None = None
    warnings: list[str] = Field(default_factory=list)


class FeatureMeasurement(_Model):
    """A knowledge-base feature measured in this sample (see :mod:`gutskin.insights.measure`)."""

    feature: str
    status: str  # low | typical | high | absent | not_measured
    value: float | None = None
    percentile: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    typical_low: float | None = None
    typical_high: float | None = None
    prevalence: float | None = None
    measure: str | None = None
    matched: list[str] = Field(default_factory=list)
    reason: str | None = None


class SanityCheck(_Model):
    """One sample sanity check that fired (:mod:`gutskin.insights.sanity`); coded, worded by the report.

    ``code``: c_difficile_dominant | enterobacteriaceae_bloom | dominant_taxon | not_stool_oral | not_stool_skin |
    host_dominant | viral_dominant | fungi_high | high_unknown | low_depth. ``severity``: stop (the sample is not
    comparable with healthy stool) | warn (comparable, with a caveat). ``value``: the share (0–1) the check
    measured, or the classified read count for ``low_depth``. ``facts``: further coded numbers (for example
    ``oral`` and ``stool_core`` shares, or ``reads`` and ``floor``).
    """

    code: str
    severity: Literal["stop", "warn"]
    value: float | None = None
    taxon: str | None = None
    taxid: int | None = None
    facts: dict[str, float] = Field(default_factory=dict)


class PanelValidation(_Model):
    """Does a condition's lean separate patients from controls (``insights/data/validation.json``)?"""

    status: str = "not_validated"  # validated | validated_no_separation | not_validated
    auc: float | None = None
    ci: tuple[float, float] | None = None  # 95 % interval of the AUC
    cohorts: list[dict[str, Any]] = Field(default_factory=list)  # per cohort: cohort, auc, ci, patients, controls


class PanelItem(_Model):
    feature: str
    grade: str
    direction: str  # in patients: up | down | no_difference | inconsistent | mixed
    conflict: bool
    alignment: str  # toward | away | neither | no_direction | unknown
    weight: float
    associations: list[str] = Field(default_factory=list)  # knowledge-base association row ids
    subgroup: str | None = None  # the subgroup the finding was reported in (men, women, …), when subgroup-only
    #: may this item be a main point? never for grade D, conflicting evidence, a subgroup the person is not known to
    #: belong to, or a feature that could not be measured
    main_point_eligible: bool = False


class SkinPanel(_Model):
    condition: str  # knowledge-base condition id
    gut_evidence: str
    relevant: bool = False  # named in the questionnaire
    population: str | None = None  # the population whose evidence was used (adult, child, …)
    score: float | None = None  # −1 (away) … +1 (toward the pattern reported in the condition)
    interval: tuple[float, float] | None = None  # bootstrap 90 % interval (seeded)
    counts: dict[str, int] = Field(default_factory=dict)
    items: list[PanelItem] = Field(default_factory=list)
    #: the lean before the placement-study check (``score`` is None when the lean is off-centre on healthy people)
    raw_score: float | None = None
    lean_calibration: str | None = None  # calibrated | not_calibrated | not_studied (against this reference)
    validation: PanelValidation = PanelValidation()
    lean_main_point: bool = False  # the lean is calibrated and validated above chance: it may be a main point


class Skin(_Model):
    part: Part = Part()
    conditions_asked: list[str] = Field(default_factory=list)
    panels: list[SkinPanel] = Field(default_factory=list)
    measurements: dict[str, FeatureMeasurement] = Field(default_factory=dict)


class Gate(_Model):
    """The elimination-diet safety gate (``gutskin.safety``), fed only by ``Questionnaire.gate_inputs``."""

    ok: bool
    reasons: list[str] = Field(default_factory=list)
    cautions: list[str] = Field(default_factory=list)
    advice: str = ""
    rule_ids: list[str] = Field(default_factory=list)  # the safety rules that matched (gutskin/safety/data)
    inputs: dict[str, Any] = Field(default_factory=dict)  # what Questionnaire.gate_inputs gave


class RecommendationOutcome(_Model):
    rule_id: str
    category: str
    action: str
    grade: str
    derived_grade: str | None = None
    outcome: str | None = None
    personalised: bool = False
    score: float | None = None
    reasons: list[str] = Field(default_factory=list)
    unknowns: list[str] = Field(default_factory=list)
    citations: list[str] = Field(default_factory=list)  # knowledge-base study keys
    safety_notes: list[str] = Field(default_factory=list)
    nutrient_cautions: list[str] = Field(default_factory=list)
    gate: Gate | None = None
    trial_foods: list[str] = Field(default_factory=list)
    trial_command: str | None = None
    probiotic_strains: list[str] = Field(default_factory=list)
    evidence_for: str = "skin"  # what the grade is about: skin | gut_microbiome | safety | interpretation
    safety_rules: list[str] = Field(default_factory=list)  # ids of the safety rules that matched
    shown_first: bool = False  # among the few shown before "more"
    # the rule's own text from the knowledge base (personalised when a gate closes)
    title: str = ""
    text: str = ""
    rationale: str = ""


class TrialPhaseDays(_Model):
    name: str
    kind: str
    start_day: int
    end_day: int


class TrialOutcome(_Model):
    """An elimination trial: its analysis, or the schedule gutskin would plan for a suggested food."""

    part: Part = Part()
    food: str | None = None
    outcome: str | None = None  # the diary's outcome column
    result: dict[str, Any] = Field(default_factory=dict)  # gutskin.trial.analyze output (coded keys)
    phases: list[TrialPhaseDays] = Field(default_factory=list)
    points: list[tuple[int, float | None, str | None]] = Field(default_factory=list)  # (day, score, phase)


class ReferenceUsed(_Model):
    name: str
    title: str
    n: int
    match: str  # exact | nearest | pinned | given
    caveats: list[str] = Field(default_factory=list)
    profiler: str | None = None
    profiler_version: str | None = None
    database: str | None = None
    method: str | None = None
    source: str | None = None
    citation: str | None = None
    licence: str | None = None
    healthy_definition: str | None = None
    notes: list[str] = Field(default_factory=list)


class Provenance(_Model):
    sample: str
    input_name: str | None = None  # the file name the face read (no folders)
    input_format: str | None = None
    profiler: str | None = None
    profiler_version: str | None = None
    database: str | None = None
    method: str | None = None
    units: str | None = None
    unclassified_share: float | None = None
    input_warnings: list[str] = Field(default_factory=list)
    reference: ReferenceUsed | None = None
    kb_version: str | None = None
    gutskin_version: str
    questionnaire_given: bool = False
    trial_given: bool = False


class Analysis(_Model):
    """One sample, analysed. See the module docstring."""

    schema_version: str = SCHEMA_VERSION
    sample: str
    provenance: Provenance
    reference_part: Part = Part()
    #: sample sanity checks that fired, most severe first (empty: the sample looks like comparable stool)
    sanity: list[SanityCheck] = Field(default_factory=list)
    scores: dict[str, float | None] = Field(default_factory=dict)  # the ``gutskin score`` columns
    score_warnings: list[str] = Field(default_factory=list)
    alpha_rank: str = "species"
    indices: list[IndexOutcome] = Field(default_factory=list)
    placements: list[Placement] = Field(default_factory=list)
    composition: Composition = Composition()
    skin: Skin = Skin()
    recommendations: list[RecommendationOutcome] = Field(default_factory=list)
    gate: Gate | None = None
    trial: TrialOutcome | None = None

    @property
    def comparable(self) -> bool:
        """False when a sanity check says the sample is not comparable with healthy stool (severity stop)."""
        return not any(c.severity == "stop" for c in self.sanity)

    def index(self, key: str) -> IndexOutcome | None:
        return next((x for x in self.indices if x.key == key), None)

    def placement(self, kind: str, feature: str, rank: str | None = None) -> Placement | None:
        return next((p for p in self.placements if p.kind == kind and p.feature == feature and p.rank == rank), None)
