"""The knowledge-base schema: what every row must carry, checked when the data is loaded.

The data files under ``knowledge/data/`` are validated against these pydantic models by
:func:`gutskin.knowledge.loader.load_kb`. Cross-references (a row's study, feature and condition; a
marker's features; a rule's evidence) are checked there too, after each file has passed its own model.

Vocabulary used throughout:

* ``design`` — how the evidence was produced (:class:`Design`). It caps the grade a single row can carry
  (:data:`DESIGN_GRADE_CAP`): a meta-analysis can support grade A, a systematic review B, one primary study
  C, and animal work, narrative reviews, web pages or code D.
* ``direction`` — what patients showed compared with controls: ``up``, ``down``, ``no_difference``, or
  ``inconsistent`` (a review reporting that its included studies disagree).
* ``grade`` — evidence grade, see :mod:`gutskin.knowledge.grading` for the rubric.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from ..safety.data import Involves  # one vocabulary of what advice involves, owned by the safety module
from .grades import DESIGN_GRADE_CAP, GRADE_LABEL, GRADE_RANK, GRADES  # noqa: F401  (one grades vocabulary)

Grade = Literal["A", "B", "C", "D"]

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
STUDY_KEY_PATTERN = r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$"


class Design(StrEnum):
    MA = "MA"  # meta-analysis (pooled estimate)
    SR = "SR"  # systematic review without pooling
    POOLED = "POOLED"  # pooled re-analysis of many public data sets (e.g. health-index training sets)
    GL = "GL"  # guideline or consensus
    RCT = "RCT"  # randomised controlled trial
    NRS = "NRS"  # non-randomised intervention (single arm, crossover feeding, before/after)
    COH = "COH"  # prospective or birth cohort
    CC = "CC"  # case-control
    CS = "CS"  # cross-sectional
    MR = "MR"  # Mendelian randomisation
    ANIM = "ANIM"  # animal only
    INVITRO = "INVITRO"  # laboratory / culture physiology only
    REV = "REV"  # narrative review
    DB = "DB"  # curated database or resource
    WEB = "WEB"  # non-peer-reviewed web page
    CODE = "CODE"  # public code or documentation


DESIGN_LABEL = {
    "MA": "meta-analysis", "SR": "systematic review", "POOLED": "pooled analysis of public data sets",
    "GL": "guideline", "RCT": "randomised controlled trial", "NRS": "non-randomised intervention study",
    "COH": "cohort study", "CC": "case-control study", "CS": "cross-sectional study",
    "MR": "Mendelian randomisation", "ANIM": "animal study", "INVITRO": "laboratory study",
    "REV": "narrative review", "DB": "database", "WEB": "web page (not peer reviewed)", "CODE": "public code",
}



class Population(StrEnum):
    infant = "infant"
    child = "child"
    adolescent = "adolescent"
    adult = "adult"
    mixed = "mixed"  # spans several age groups
    unspecified = "unspecified"  # the source does not say


class Method(StrEnum):
    amplicon_16s = "16S"
    shotgun = "shotgun"
    qpcr = "qPCR"
    culture = "culture"
    fingerprinting = "fingerprinting"  # DGGE, T-RFLP, TTGE
    breath_test = "breath_test"
    infection_test = "infection_test"  # e.g. H. pylori serology, urea breath test, stool antigen
    metabolite_assay = "metabolite_assay"  # e.g. faecal SCFA by GC
    genetic = "genetic"  # Mendelian randomisation instruments
    mixed = "mixed"
    questionnaire = "questionnaire"
    clinical = "clinical"  # clinical outcome measurement in a trial
    not_applicable = "not_applicable"


METHOD_LABEL = {
    "16S": "16S rRNA amplicon", "shotgun": "shotgun metagenomics", "qPCR": "qPCR", "culture": "culture",
    "fingerprinting": "DNA fingerprinting (DGGE/T-RFLP/TTGE)", "breath_test": "breath test",
    "infection_test": "infection test", "metabolite_assay": "metabolite assay", "genetic": "genetic instruments",
    "mixed": "mixed methods", "questionnaire": "questionnaire", "clinical": "clinical outcome",
    "not_applicable": "not applicable",
}


class Direction(StrEnum):
    up = "up"
    down = "down"
    no_difference = "no_difference"
    inconsistent = "inconsistent"


DIRECTION_ARROW = {"up": "↑", "down": "↓", "no_difference": "↔", "inconsistent": "≠", "mixed": "↑↓"}


class IdStatus(StrEnum):
    seen = "seen"  # identifier read in a stored copy of PubMed/PMC/publisher page
    mirror = "mirror"  # identifier read only in a third-party mirror URL
    not_verified = "not_verified"  # no identifier checked; never invented


class Caveat(StrEnum):
    small_sample = "small_sample"
    single_centre = "single_centre"
    single_country = "single_country"
    antibiotic_confounding = "antibiotic_confounding"
    treatment_confounding = "treatment_confounding"
    genus_calls_pipeline_dependent = "genus_calls_pipeline_dependent"
    subgroup_only = "subgroup_only"
    possibly_overlapping_cohort = "possibly_overlapping_cohort"
    heterogeneity = "heterogeneity"
    citation_unverified = "citation_unverified"
    publication_not_identified = "publication_not_identified"
    figures_from_secondary_source = "figures_from_secondary_source"
    self_reported = "self_reported"
    observational = "observational"
    reverse_causation_possible = "reverse_causation_possible"
    no_control_group = "no_control_group"
    strain_level_signal = "strain_level_signal"
    industry_linked = "industry_linked"
    surrogate_outcome = "surrogate_outcome"
    short_duration = "short_duration"
    animal_only = "animal_only"
    not_measurable_in_stool_profile = "not_measurable_in_stool_profile"
    outcome_mix = "outcome_mix"
    unblinded_assessment = "unblinded_assessment"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --------------------------------------------------------------------------------------------- citations


class Citation(_Strict):
    """Where a statement comes from, and how sure we are of its identifiers."""

    authors: str = Field(min_length=2, description="First author(s) as 'Surname X et al.' or a stated gap.")
    authors_verified: bool = True
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    title: str | None = None
    journal: str | None = None
    volume_pages: str | None = None
    pmid: str | None = Field(None, pattern=r"^\d{5,9}$")
    doi: str | None = Field(None, pattern=r"^10\.\d{4,9}/\S+$")
    pmcid: str | None = Field(None, pattern=r"^PMC\d+$")
    other_ids: list[str] = Field(default_factory=list, description="Trial registry or data-archive ids.")
    url: str | None = None
    id_status: IdStatus
    missing_id_reason: str | None = Field(None, description="Why no identifier could be given (required when "
                                                              "there is none).")
    note: str | None = None

    @field_validator("pmid", mode="before")
    @classmethod
    def _pmid_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _ids_match_status(self) -> Citation:
        if self.id_status in (IdStatus.seen, IdStatus.mirror) and not self.identifiers:
            raise ValueError(f"id_status '{self.id_status}' needs at least one identifier "
                             "(pmid, doi, pmcid, other_ids or url)")
        if not self.identifiers and not self.missing_id_reason:
            raise ValueError("a citation needs an identifier (pmid, doi, pmcid, other_ids or url) or "
                             "'missing_id_reason' saying why none could be found")
        return self

    @property
    def identifiers(self) -> list[str]:
        out = []
        if self.pmid:
            out.append(f"PMID {self.pmid}")
        if self.doi:
            out.append(f"doi:{self.doi}")
        if self.pmcid:
            out.append(self.pmcid)
        out.extend(self.other_ids)
        if self.url:
            out.append(self.url)
        return out

    @property
    def link(self) -> str | None:
        """One resolvable link for a person to click: DOI, then PubMed, then PMC, then the stored URL."""
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        if self.pmcid:
            return f"https://pmc.ncbi.nlm.nih.gov/articles/{self.pmcid}/"
        if self.url:
            return self.url
        for other in self.other_ids:  # data-archive accessions resolve at the ENA browser
            if other.startswith("ENA "):
                return f"https://www.ebi.ac.uk/ena/browser/view/{other.split(' ', 1)[1]}"
        return None

    @property
    def short(self) -> str:
        """'Deng Y et al., 2018, Acta Derm Venereol'."""
        parts = [self.authors]
        if self.year:
            parts.append(str(self.year))
        if self.journal:
            parts.append(self.journal)
        return ", ".join(parts)

    def formatted(self) -> str:
        ids = "; ".join(self.identifiers) or "no identifier"
        status = {"seen": "identifier checked", "mirror": "identifier from a mirror, to verify",
                  "not_verified": "identifier not verified"}[self.id_status.value]
        vol = f" {self.volume_pages}" if self.volume_pages else ""
        return f"{self.short}{vol} ({ids}; {status})"


class Study(_Strict):
    """One source of evidence: a study, review, guideline or resource, with its citation."""

    key: str = Field(pattern=STUDY_KEY_PATTERN)
    title: str
    design: Design
    design_detail: str | None = None
    population: Population
    size: str = Field(min_length=1, description="Human-readable size, e.g. '43 with acne vs 43 controls'.")
    n_cases: Annotated[int, Field(ge=0)] | None = None
    n_controls: Annotated[int, Field(ge=0)] | None = None
    n_total: Annotated[int, Field(ge=0)] | None = None
    country: str | None = None
    method: Method
    method_detail: str | None = None
    cohort: str | None = Field(None, description="Shared key for studies drawn from one cohort, or reviews pooling "
                                                 "the same primary studies (independence).")
    pools: list[str] = Field(default_factory=list, description="Keys of knowledge-base studies this review or "
                                                               "meta-analysis pooled (they are not counted again).")
    summary: str = Field(min_length=10)
    caveats: list[Caveat] = Field(default_factory=list)
    citation: Citation

    @property
    def cohort_key(self) -> str:
        return self.cohort or self.key

    @property
    def grade_cap(self) -> str:
        return DESIGN_GRADE_CAP[self.design.value]

    @property
    def n_participants(self) -> int | None:
        if self.n_total is not None:
            return self.n_total
        if self.n_cases is not None and self.n_controls is not None:
            return self.n_cases + self.n_controls
        return None


# --------------------------------------------------------------------------------------------- features


class FeatureKind(StrEnum):
    taxon = "taxon"
    guild = "guild"
    diversity = "diversity"
    metabolite = "metabolite"
    functional_state = "functional_state"
    index = "index"


class Rank(StrEnum):
    phylum = "phylum"
    class_ = "class"
    order = "order"
    family = "family"
    genus = "genus"
    group = "group"  # a pipeline-specific label between family and species (SILVA/GTDB group names)
    species = "species"


class ReferenceValue(_Strict):
    figure: str
    source: str = Field(pattern=STUDY_KEY_PATTERN)
    caveat: str


class Feature(_Strict):
    """Something a report can look for: a taxon, a guild of taxa, diversity, or a non-profile measurement."""

    id: str = Field(pattern=ID_PATTERN)
    kind: FeatureKind
    name: str = Field(description="Name as the evidence uses it.")
    rank: Rank | None = None
    current_name: str | None = Field(None, description="Current accepted name when the evidence used an old one.")
    ncbi_taxid: Annotated[int, Field(gt=0)] | None = None
    taxid_source: str | None = None
    synonyms: list[str] = Field(default_factory=list)
    includes: list[str] = Field(default_factory=list, description="Names whose abundances are summed into this.")
    parent: str | None = Field(None, pattern=ID_PATTERN)
    members: list[str] = Field(default_factory=list, description="Guild members (feature ids).")
    proxy: str | None = Field(None, pattern=ID_PATTERN, description="Computable stand-in when members are unknown.")
    metrics: list[str] = Field(default_factory=list)
    measurable_in_stool_profile: bool = True
    site: Literal["gut", "stomach", "small_intestine", "skin"] = "gut"
    reference_values: list[ReferenceValue] = Field(default_factory=list)
    notes: str | None = None

    @model_validator(mode="after")
    def _kind_rules(self) -> Feature:
        if self.kind == FeatureKind.taxon and self.rank is None:
            raise ValueError("a taxon feature needs a rank")
        if self.kind != FeatureKind.taxon and (self.rank is not None or self.ncbi_taxid is not None):
            raise ValueError("only taxon features carry a rank or NCBI taxid")
        if self.ncbi_taxid is not None and not self.taxid_source:
            raise ValueError("ncbi_taxid needs taxid_source (where the id was read)")
        if self.kind == FeatureKind.guild and not (self.members or self.proxy):
            raise ValueError("a guild needs members or a proxy")
        return self

    @property
    def display_name(self) -> str:
        if self.current_name and self.current_name != self.name:
            return f"{self.name} (now {self.current_name})"
        return self.name

    def all_names(self) -> list[str]:
        names = [self.name]
        if self.current_name:
            names.append(self.current_name)
        names.extend(self.synonyms)
        return list(dict.fromkeys(names))


# --------------------------------------------------------------------------------------------- conditions


class Condition(_Strict):
    id: str = Field(pattern=r"^[a-z_]+$")
    name: str
    aliases: list[str] = Field(default_factory=list)
    gut_evidence: Literal["none", "very_low", "low", "low_moderate", "moderate"]
    synthesis: str
    encode_as: str
    cautions: list[str] = Field(default_factory=list)
    avoid_as_marker: list[str] = Field(default_factory=list, description="Feature ids not to score for this condition.")
    citations: list[str] = Field(min_length=1)


# --------------------------------------------------------------------------------------------- associations


class Association(_Strict):
    """One finding: one feature, in one condition, in one study. Conflicting studies stay separate rows."""

    id: str = Field(pattern=ID_PATTERN)
    condition: str
    population: Population | None = Field(None, description="Defaults to the study's population.")
    subgroup: str | None = Field(None, description="Set when the finding holds only in a subgroup.")
    feature: str = Field(pattern=ID_PATTERN)
    direction: Direction
    study: str = Field(pattern=STUDY_KEY_PATTERN, description="Key of the cited study in studies/*.yaml.")
    grade: Grade
    grade_note: str | None = None
    quality: Literal["low", "moderate", "high"]
    caveats: list[Caveat] = Field(default_factory=list)
    signal_level: str | None = Field(None, description="Set when the signal is finer than the feature "
                                                       "(e.g. a strain group inside a species).")
    effect: str | None = Field(None, description="Numbers as reported.")
    i2: Annotated[float, Field(ge=0, le=100)] | None = Field(None, description="Heterogeneity of a pooled estimate, %.")
    studies_counted: Annotated[int, Field(ge=1)] | None = Field(
        None, description="For a systematic review: how many of its studies reported this finding.")
    significant: bool | None = Field(None, description="False when the estimate points one way but is not "
                                                       "statistically significant.")
    note: str | None = None

    _study: Study | None = PrivateAttr(default=None)
    _feature: Feature | None = PrivateAttr(default=None)

    # resolved views, filled by the loader
    @property
    def study_ref(self) -> Study:
        if self._study is None:
            raise RuntimeError("association not resolved; load it through load_kb()")
        return self._study

    @property
    def feature_ref(self) -> Feature:
        if self._feature is None:
            raise RuntimeError("association not resolved; load it through load_kb()")
        return self._feature

    @property
    def citation(self) -> Citation:
        return self.study_ref.citation

    @property
    def design(self) -> Design:
        return self.study_ref.design

    @property
    def method(self) -> Method:
        return self.study_ref.method

    @property
    def size(self) -> str:
        return self.study_ref.size

    @property
    def effective_population(self) -> Population:
        return self.population or self.study_ref.population

    def grade_cap(self) -> tuple[str, list[str]]:
        """The rubric's cap for this row and the reasons it sits below the design cap."""
        from .grades import row_grade_cap

        return row_grade_cap(self.design.value, direction=self.direction.value, i2=self.i2,
                             studies_counted=self.studies_counted, significant=self.significant,
                             n_participants=self.study_ref.n_participants)

    @property
    def all_caveats(self) -> list[str]:
        return list(dict.fromkeys([c.value for c in (*self.study_ref.caveats, *self.caveats)]))

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude_none=True)
        data["population"] = self.effective_population.value
        if self._study is not None:
            data["design"] = self.design.value
            data["size"] = self.size
            data["method"] = self.method.value
            data["caveats"] = self.all_caveats
            data["citation"] = self.citation.model_dump(mode="json", exclude_none=True)
        if self._feature is not None:
            data["feature_name"] = self.feature_ref.display_name
        return data


# --------------------------------------------------------------------------------------------- markers


class Marker(_Strict):
    """A general gut-health marker (not tied to one skin condition)."""

    id: str = Field(pattern=r"^M\d{2}[a-z]?$")
    name: str
    kind: Literal["guild", "taxon", "diversity", "index", "context", "resource", "gap"]
    features: list[str] = Field(default_factory=list)
    rationale: str
    report_direction: Literal["higher_favourable", "lower_favourable", "context_dependent", "informational",
                              "not_computed"]
    direction_note: str | None = None
    computable: bool
    grade: Grade
    grade_note: str | None = None
    citations: list[str] = Field(min_length=1)
    caveats: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _features_for_computable(self) -> Marker:
        if self.computable and not self.features:
            raise ValueError("a computable marker needs at least one feature")
        return self


# --------------------------------------------------------------------------------------------- recommendations

FindingStatus = Literal["low", "typical", "high", "absent", "not_measured"]
FINDING_STATUSES: tuple[str, ...] = ("low", "typical", "high", "absent", "not_measured")


class FindingTest(_Strict):
    feature: str = Field(pattern=ID_PATTERN)
    status: list[Literal["low", "typical", "high", "absent"]] = Field(min_length=1)


class AnswerTest(_Strict):
    field: str = Field(pattern=r"^[a-z_]+(\.[a-z_0-9]+)+$", description="Dotted questionnaire path.")
    op: Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "contains", "contains_any", "is_true", "is_false"]
    value: Any = None

    @model_validator(mode="after")
    def _value_needed(self) -> AnswerTest:
        if self.op not in ("is_true", "is_false") and self.value is None:
            raise ValueError(f"op '{self.op}' needs a value")
        return self


class Predicate(_Strict):
    """One test; exactly one of ``finding``, ``answer`` or ``condition`` is set."""

    finding: FindingTest | None = None
    answer: AnswerTest | None = None
    condition: str | None = None
    label: str | None = Field(None, description="How the reason is shown when this test matches.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Predicate:
        n = sum(x is not None for x in (self.finding, self.answer, self.condition))
        if n != 1:
            raise ValueError("a test needs exactly one of 'finding', 'answer' or 'condition'")
        return self


class ConditionalNote(_Strict):
    when: Predicate
    note: str


class EvidenceLink(_Strict):
    study: str = Field(pattern=STUDY_KEY_PATTERN)
    effect: Literal["benefit", "association", "no_effect", "harm"]
    outcome: Literal["skin", "gut_microbiome", "safety", "other"]
    note: str | None = None


class NutrientCaution(_Strict):
    nutrient: str
    note: str


SUSPECTED_FOOD = "suspected_trigger"


class TrialSpec(_Strict):
    food: str = Field(pattern=r"^[a-z_]+$", description=f"Food to trial, or '{SUSPECTED_FOOD}' to use the foods the "
                                                        "person listed as suspected triggers.")
    label: str
    command: str = Field(description="Command template; {food} is filled in.")


class ProbioticSpec(_Strict):
    strains: list[str] = Field(min_length=1, description="Strains or the exact mixture tested.")
    strains_identified: bool = Field(description="True when strain designations are known, not only species.")
    note: str


class Variant(_Strict):
    """Other wording of a rule for people it would not fit as written (e.g. a vegan); the first match wins."""

    when: Predicate
    title: str | None = None
    text: str
    involves: list[Involves] | None = Field(None, description="Replaces the rule's 'involves' for this wording.")


class RecommendationRule(_Strict):
    """A recommendation as data. See docs/knowledge-base.md for how rules are matched and ordered."""

    id: str = Field(pattern=r"^rec-[a-z0-9]+(?:-[a-z0-9]+)*$")
    title: str
    text: str
    rationale: str
    category: Literal["diet", "lifestyle", "clinician", "elimination_trial", "probiotic", "supplement",
                      "information"]
    conditions: list[str] = Field(default_factory=list, description="Relevant conditions; empty = anyone.")
    populations: list[Population] = Field(default_factory=list, description="Age groups; empty = any.")
    baseline: bool = Field(False, description="Applies even when no trigger matched (general advice).")
    triggers: list[Predicate] = Field(default_factory=list)
    exclude: list[Predicate] = Field(default_factory=list)
    conditional_notes: list[ConditionalNote] = Field(default_factory=list)
    evidence: list[EvidenceLink] = Field(min_length=1)
    grade: Grade
    grade_note: str | None = None
    evidence_type: Literal["interventional", "observational", "mechanistic", "mixed", "absence"]
    outcome: Literal["skin", "gut_microbiome", "safety", "interpretation"]
    expected_benefit: Literal["low", "moderate", "high"]
    safety_notes: list[str] = Field(default_factory=list)
    nutrient_cautions: list[NutrientCaution] = Field(default_factory=list)
    trial: TrialSpec | None = None
    clinician_text: str | None = Field(None, description="Text shown instead of 'text' when the safety gate closes.")
    probiotic: ProbioticSpec | None = None
    involves: list[Involves] = Field(default_factory=list, description="What following the advice involves; the "
                                                                       "safety rules (gutskin.safety) key on it.")
    variants: list[Variant] = Field(default_factory=list)

    @model_validator(mode="after")
    def _category_rules(self) -> RecommendationRule:
        if self.category == "elimination_trial":
            if self.trial is None:
                raise ValueError("an elimination_trial rule needs 'trial' (food and command)")
            if not self.clinician_text:
                raise ValueError("an elimination_trial rule needs 'clinician_text' for when the safety gate closes")
            if not self.nutrient_cautions:
                raise ValueError("an elimination_trial rule needs at least one nutrient caution")
        elif self.trial is not None:
            raise ValueError("only elimination_trial rules carry 'trial'")
        if self.category == "probiotic":
            if self.probiotic is None:
                raise ValueError("a probiotic rule needs 'probiotic' (the strains tested)")
            if "strain" not in self.text.lower():
                raise ValueError("a probiotic rule's text must say that the evidence is strain-specific")
        elif self.probiotic is not None:
            raise ValueError("only probiotic rules carry 'probiotic'")
        if not self.baseline and not self.triggers:
            raise ValueError("a rule that is not 'baseline' needs at least one trigger")
        return self


# --------------------------------------------------------------------------------------------- file shapes


class KBMeta(_Strict):
    name: str
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    source: str
    changelog: list[str] = Field(default_factory=list)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
