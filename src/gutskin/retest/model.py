"""The retest result as a versioned pydantic model (coded values plus the sentences shown to a person).

``docs/retest-schema.json`` is this model's JSON schema (``scripts/build_variability.py`` does not touch it;
``Retest.model_json_schema()`` regenerates it, and a test checks the two agree).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "gutskin.retest/1"


class Verdict(StrEnum):
    changed = "changed"
    within = "within_usual_variation"
    cannot = "cannot_compare"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Flag(_Model):
    """Something about the pair of tests the person must see before any number."""

    code: str = Field(description="method_differs | profiler_differs | version_differs | database_differs | "
                                  "lab_differs | lab_unknown | low_depth | high_unclassified | borrowed_estimate | "
                                  "reference_differs")
    severity: str = Field(description="refusal | warning | note")
    text: str


class TestInfo(_Model):
    """One test as gutskin read it."""

    label: str
    sample: str
    source: str
    date: str | None = None
    lab: str | None = None
    method: str
    profiler: str | None = None
    profiler_version: str | None = None
    database: str | None = None
    unclassified_share: float | None = None
    total_reads: float | None = Field(None, description="sum of counts when the profile has counts, else null")


class QuantityChange(_Model):
    key: str = Field(description="column name: shannon, gmhi, phylum.Bacillota, guild.akkermansia, genus.Blautia …")
    label: str
    group: str = Field(description="alpha | index | phylum | guild | taxon | panel")
    scale: str = Field(description="diff (plain difference) | log (natural-log ratio) | logshare (ln((b+ε)/(a+ε)))")
    before: float | None
    after: float | None
    change: float | None = Field(None, description="after − before on the comparison scale")
    change_text: str = ""
    usual_variation: float | None = Field(None, description="limit on |change| for a same person (same scale)")
    mdc95: float | None = None
    verdict: Verdict
    reason: str = Field("", description="why cannot_compare, or the caveat that applies")
    evidence: str = Field("", description="what the knowledge base says about the direction (taxa), if anything")


class Distribution(_Model):
    n_pairs: int
    p5: float
    p25: float
    p50: float
    p75: float
    p95: float


class DistanceChange(_Model):
    metric: str = Field(description="braycurtis | aitchison (genus rank)")
    label: str
    value: float | None
    same_person_percentile: float | None = Field(None, description="share (0–100) of same-person pairs that are "
                                                                   "closer than this pair")
    different_people_percentile: float | None = None
    usual_variation: float | None = Field(None, description="95th percentile of same-person distances")
    verdict: Verdict
    reason: str = ""
    same_person: Distribution | None = None
    different_people: Distribution | None = None


class PairComparison(_Model):
    before: int = Field(description="index into tests")
    after: int
    status: str = Field(description="compared | refused")
    refusal: str = ""
    family: str | None = Field(None, description="variability estimates used: shotgun | 16S")
    flags: list[Flag] = []
    quantities: list[QuantityChange] = []
    distances: list[DistanceChange] = []
    changed: list[str] = Field([], description="sentences: what changed beyond usual variation")
    unchanged: list[str] = Field([], description="sentences: what stayed within usual variation")
    unknowable: list[str] = Field([], description="sentences: what cannot be known from these tests")
    trial: str = ""


class Anchor(_Model):
    id: str
    citation: str
    finding: str
    applies_to: str


class Retest(_Model):
    schema_version: str = SCHEMA_VERSION
    gutskin_version: str
    variability_version: str
    tests: list[TestInfo]
    comparisons: list[PairComparison]
    anchors: list[Anchor] = []
    notes: list[str] = []


if __name__ == "__main__":  # python -m gutskin.retest.model > docs/retest-schema.json
    import json

    print(json.dumps(Retest.model_json_schema(), indent=1, ensure_ascii=False))
