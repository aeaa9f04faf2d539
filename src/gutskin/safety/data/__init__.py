"""The safety rule table (``rules.yaml``), validated once per process and then frozen."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

RULES_FILE = Path(__file__).with_name("rules.yaml")

#: what a piece of advice may involve; recommendation rules list these in ``involves``
INVOLVES = ("elimination", "probiotic", "supplement", "omega3", "vitamin_d", "zinc", "fish", "dairy", "meat_swap",
            "diet_change", "weight_loss", "alcohol_reduction", "smoking_cessation", "fluid_increase",
            "fibre_increase")
Involves = Literal["elimination", "probiotic", "supplement", "omega3", "vitamin_d", "zinc", "fish", "dairy",
                   "meat_swap", "diet_change", "weight_loss", "alcohol_reduction", "smoking_cessation",
                   "fluid_increase", "fibre_increase"]

#: tags every rule of a category involves (a rule may list more)
CATEGORY_INVOLVES: dict[str, tuple[str, ...]] = {
    "elimination_trial": ("elimination",), "probiotic": ("probiotic",), "supplement": ("supplement",),
    "diet": ("diet_change",),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SafetyRule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    applies_to: list[Involves] = Field(min_length=1)
    when: dict[str, Any] = Field(min_length=1)
    effect: Literal["close", "exclude", "caution"]
    text: str
    sources: list[str] = Field(default_factory=list)
    basis: str | None = None

    @model_validator(mode="after")
    def _sourced(self) -> SafetyRule:
        if not self.sources and not self.basis:
            raise ValueError(f"safety rule {self.id}: give sources (study keys) or a basis saying why none is needed")
        return self


class Limits(_Strict):
    elimination_days_caution_after: int = Field(gt=0)
    elimination_days_max: int = Field(gt=0)


class RuleTable(_Strict):
    version: int
    limits: Limits
    medicines: dict[str, list[str]]
    foods: dict[str, list[str]]
    rules: list[SafetyRule]

    @model_validator(mode="after")
    def _unique(self) -> RuleTable:
        ids = [r.id for r in self.rules]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate safety rule ids: {', '.join(sorted(dupes))}")
        return self


@lru_cache(maxsize=1)
def rule_table() -> RuleTable:
    """The shipped table (validated; a broken file is a packaging bug and raises)."""
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    table = RuleTable.model_validate(data)
    from ..profile import FACTS  # late: profile imports this module

    for r in table.rules:
        bad = set(r.when) - set(FACTS)
        if bad:
            raise ValueError(f"safety rule {r.id}: unknown fact(s) {', '.join(sorted(bad))}")
    return table
