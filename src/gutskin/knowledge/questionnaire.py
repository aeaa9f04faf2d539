"""The questionnaire: what a stool report cannot see, answered by the person (every answer optional).

Load one with :func:`load_questionnaire` (YAML or JSON). Unknown keys and out-of-range values are refused
with an :class:`~gutskin.errors.InputError` naming the key; a missing answer is simply unknown (``None``),
and the recommendation engine says what it could not check because of it.

The JSON Schema in ``docs/questionnaire-schema.json`` is generated from these models by
:func:`questionnaire_json_schema` (``gutskin kb questionnaire-schema -o docs/questionnaire-schema.json``); a test
checks that the shipped copy is current.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from ..io import parse_document
from ._yamlpos import line_of, read_yaml_text

SCHEMA_VERSION = "1.0"

ConditionId = Literal[
    "acne", "atopic_dermatitis", "psoriasis", "rosacea", "hidradenitis_suppurativa",
    "chronic_spontaneous_urticaria", "seborrhoeic_dermatitis", "other",
]
AgeGroup = Literal["infant", "child", "adolescent", "adult", "older_adult"]
Level = Literal["none", "low", "moderate", "high"]
Severity = Literal["mild", "moderate", "severe"]

AGE_GROUP_HELP = "infant (<1 y), child (1-11 y), adolescent (12-17 y), adult (18-64 y), older_adult (65+ y)"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AboutYou(_Section):
    age_group: AgeGroup | None = Field(None, description=AGE_GROUP_HELP)
    age_years: Annotated[float, Field(ge=0, le=120)] | None = None
    sex: Literal["female", "male", "other", "prefer_not_to_say"] | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    born_preterm: bool | None = Field(None, description="For babies and young children: born before 37 weeks.")
    height_cm: Annotated[float, Field(ge=30, le=250)] | None = None
    weight_kg: Annotated[float, Field(ge=1, le=400)] | None = None
    bmi: Annotated[float, Field(ge=8, le=100)] | None = Field(
        None, description="Body mass index; worked out from height and weight when those are given instead.")
    country: str | None = None

    @model_validator(mode="after")
    def _bmi_from_height_and_weight(self) -> AboutYou:
        # one BMI answer for the rules to read, whichever way the person gave it
        if self.bmi is None and self.height_cm and self.weight_kg:
            bmi = round(self.weight_kg / (self.height_cm / 100) ** 2, 1)
            # each answer can be in range while the pair is not (30 cm and 10 kg): refuse rather than pass the
            # rules a BMI the field itself would refuse — most often one of the two is in the wrong unit
            if not 8 <= bmi <= 100:
                raise ValueError(f"height_cm {self.height_cm:g} and weight_kg {self.weight_kg:g} give a BMI of "
                                 f"{bmi:g}, outside 8–100: check both answers and their units")
            self.bmi = bmi
        return self


class SkinCondition(_Section):
    condition: ConditionId
    other_name: str | None = Field(None, description="Name of the condition when 'condition' is 'other'.")
    severity: Severity | None = Field(None, description="Self-rated or as told by a clinician.")
    diagnosed_by_clinician: bool | None = None
    years_with_condition: Annotated[float, Field(ge=0, le=120)] | None = None
    current_treatments: list[str] | None = Field(None, description="Free text, e.g. 'topical retinoid'.")
    notes: str | None = None


class Skin(_Section):
    conditions: list[SkinCondition] | None = None


class PastReaction(_Section):
    food: str
    timing: Literal["immediate", "delayed", "unsure"] | None = Field(
        None, description="immediate = within about two hours of eating")
    symptoms: list[str] | None = None
    anaphylaxis: bool | None = None
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    confirmed_by_clinician: bool | None = None


class Allergies(_Section):
    diagnosed_ige_food_allergy: bool | None = Field(None, description="An IgE-mediated food allergy diagnosed "
                                                                      "by a clinician (skin-prick or blood test).")
    food_allergies: list[str] | None = Field(None, description="Known food allergies, one food per item.")
    food_intolerances: list[str] | None = Field(None, description="Foods you do not tolerate without an allergy "
                                                                  "(e.g. lactose), one per item.")
    past_reactions: list[PastReaction] | None = None
    immediate_reactions_history: bool | None = Field(
        None, description="Ever had hives, swelling, wheeze or vomiting within about two hours of a food.")
    anaphylaxis_history: bool | None = None
    eating_disorder_history: bool | None = None
    suspected_trigger_foods: list[str] | None = Field(
        None, description="Foods you suspect make your skin worse (not confirmed).")


class Diet(_Section):
    pattern: Literal["omnivore", "flexitarian", "pescatarian", "vegetarian", "vegan", "mediterranean",
                     "other"] | None = None
    plant_types_per_week: Annotated[int, Field(ge=0, le=200)] | None = Field(
        None, description="Different plant foods in a week (vegetables, fruit, grains, legumes, nuts, seeds, "
                          "herbs, spices each count once).")
    fibre_grams_per_day: Annotated[float, Field(ge=0, le=150)] | None = None
    fermented_food_servings_per_week: Annotated[float, Field(ge=0, le=70)] | None = Field(
        None, description="Yoghurt, kefir, sauerkraut, kimchi, kombucha and similar.")
    ultra_processed_food: Level | None = Field(None, description="Share of ultra-processed food in your diet.")
    added_sugar: Level | None = None
    sugary_drinks_per_week: Annotated[float, Field(ge=0, le=140)] | None = None
    dairy_servings_per_day: Annotated[float, Field(ge=0, le=20)] | None = None
    dairy_types: list[Literal["milk_whole", "milk_low_fat", "milk_skim", "cheese", "yoghurt", "kefir",
                              "butter_cream", "whey_protein", "other"]] | None = None
    glycaemic_load: Level | None = Field(None, description="Self-estimate: how much of your diet is white bread, "
                                                           "white rice, sweets and sugary drinks.")
    oily_fish_servings_per_week: Annotated[float, Field(ge=0, le=30)] | None = None
    alcohol_drinks_per_week: Annotated[float, Field(ge=0, le=200)] | None = Field(
        None, description="Standard drinks (about 10-14 g alcohol each).")


class Lifestyle(_Section):
    stress_0_10: Annotated[int, Field(ge=0, le=10)] | None = Field(None, description="Usual stress, 0 none to 10 "
                                                                                     "extreme.")
    sleep_hours_per_night: Annotated[float, Field(ge=0, le=24)] | None = None
    sleep_quality: Literal["poor", "fair", "good"] | None = None
    water_litres_per_day: Annotated[float, Field(ge=0, le=15)] | None = None
    exercise_hours_per_week: Annotated[float, Field(ge=0, le=100)] | None = None
    smoking: bool | None = Field(None, description="Smoke now (cigarettes, cigars or pipe).")


class Medicines(_Section):
    antibiotics_recent: bool | None = Field(None, description="Any antibiotics in the last 3 months.")
    antibiotics_weeks_ago: Annotated[float, Field(ge=0, le=520)] | None = Field(
        None, description="Weeks since the last antibiotic course ended.")
    antibiotics_for_skin: bool | None = None
    probiotics_current: bool | None = None
    probiotics_interest: bool | None = Field(None, description="Considering a probiotic.")
    systemic_skin_treatment: bool | None = Field(None, description="Tablets or injections for the skin condition "
                                                                   "(e.g. isotretinoin, biologics).")
    immunosuppressants: bool | None = Field(
        None, description="Medicines that weaken the immune system: e.g. methotrexate, ciclosporin, azathioprine, "
                          "mycophenolate, JAK inhibitors, steroid tablets, chemotherapy.")
    biologics: bool | None = Field(None, description="Biologic injections or infusions, e.g. adalimumab, "
                                                     "ustekinumab, secukinumab, dupilumab.")
    anticoagulants: bool | None = Field(None, description="Blood thinners, e.g. warfarin, apixaban, rivaroxaban, "
                                                          "clopidogrel.")
    central_line: bool | None = Field(None, description="A central venous line (port, PICC or similar).")
    critical_illness: bool | None = Field(None, description="Seriously ill or in hospital now.")
    other_medicines: list[str] | None = Field(None, description="Names of other medicines, one per item.")


class Gut(_Section):
    bristol_stool_type: Annotated[int, Field(ge=1, le=7)] | None = None
    digestive_symptoms: list[Literal["bloating", "abdominal_pain", "diarrhoea", "constipation", "reflux",
                                     "nausea", "other"]] | None = None


class Questionnaire(_Section):
    """All sections and all answers are optional; a missing answer is unknown, never assumed."""

    model_config = ConfigDict(extra="forbid", title="gutskin questionnaire")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    about_you: AboutYou | None = None
    skin: Skin | None = None
    allergies: Allergies | None = None
    diet: Diet | None = None
    lifestyle: Lifestyle | None = None
    medicines: Medicines | None = None
    gut: Gut | None = None

    # ---------------------------------------------------------------------------------- helpers

    def get(self, path: str) -> Any:
        """The answer at a dotted path (``diet.plant_types_per_week``), or None when not answered."""
        cur: Any = self
        for part in path.split("."):
            if cur is None:
                return None
            if part not in type(cur).model_fields:
                raise KeyError(f"no questionnaire field {path!r}")
            cur = getattr(cur, part)
        return cur

    def conditions(self) -> list[str]:
        if self.skin is None or not self.skin.conditions:
            return []
        return list(dict.fromkeys(c.condition for c in self.skin.conditions if c.condition != "other"))

    def severity(self, condition: str) -> str | None:
        for c in (self.skin.conditions or []) if self.skin else []:
            if c.condition == condition:
                return c.severity
        return None

    def immediate_reactions(self) -> bool | None:
        a = self.allergies
        if a is None:
            return None
        if a.immediate_reactions_history or any(r.timing == "immediate" for r in a.past_reactions or []):
            return True
        return a.immediate_reactions_history

    def anaphylaxis(self) -> bool | None:
        a = self.allergies
        if a is None:
            return None
        if a.anaphylaxis_history or any(r.anaphylaxis for r in a.past_reactions or []):
            return True
        return a.anaphylaxis_history

    def gate_inputs(self) -> dict[str, Any]:
        """Keyword arguments for the one safety module (:func:`gutskin.safety.elimination_gate`,
        :class:`gutskin.safety.SafetyProfile`) — the only questionnaire-to-safety mapping in gutskin.

        Unanswered questions stay ``None``; free-text medicines and skin treatments are passed on as one list so the
        safety module can recognise named drugs.
        """
        about = self.about_you or AboutYou()
        allergies = self.allergies or Allergies()
        meds = self.medicines or Medicines()
        diet = self.diet or Diet()
        named: list[str] | None = None
        conditions = (self.skin.conditions or []) if self.skin else []
        treatments = [t for c in conditions for t in (c.current_treatments or [])]
        if meds.other_medicines is not None or treatments:
            named = [*(meds.other_medicines or []), *treatments]
        reacted = [r.food for r in allergies.past_reactions or [] if r.timing == "immediate" or r.anaphylaxis]
        foods = None
        if allergies.food_allergies is not None or reacted:
            foods = [*(allergies.food_allergies or []), *reacted]
        return {
            "age_group": about.age_group,
            "age_years": about.age_years,
            "sex": about.sex,
            "pregnant": about.pregnant,
            "breastfeeding": about.breastfeeding,
            "born_preterm": about.born_preterm,
            "immediate_reactions": self.immediate_reactions(),
            "anaphylaxis": self.anaphylaxis(),
            "ige_allergy": allergies.diagnosed_ige_food_allergy,
            "eating_disorder_history": allergies.eating_disorder_history,
            "food_allergies": foods,
            "food_intolerances": allergies.food_intolerances,
            "diet_pattern": diet.pattern,
            "immunosuppressants": meds.immunosuppressants,
            "biologics": meds.biologics,
            "anticoagulants": meds.anticoagulants,
            "central_line": meds.central_line,
            "critical_illness": meds.critical_illness,
            "medicines": named,
        }

    def answered(self) -> list[str]:
        """Dotted paths of every answered field."""
        return sorted(_answered(self, ""))


def _answered(model: BaseModel, prefix: str) -> list[str]:
    out = []
    for name in type(model).model_fields:
        if name == "schema_version":
            continue
        value = getattr(model, name)
        if value is None:
            continue
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out.extend(_answered(value, path + "."))
        else:
            out.append(path)
    return out


def field_paths(model: type[BaseModel] = Questionnaire, prefix: str = "") -> set[str]:
    """Every dotted answer path the questionnaire has (used to check rules that read answers)."""
    out: set[str] = set()
    for name, info in model.model_fields.items():
        sub = _submodel(info.annotation)
        path = f"{prefix}{name}"
        if sub is not None:
            out |= field_paths(sub, path + ".")
        else:
            out.add(path)
    return out


def _submodel(annotation: Any) -> type[BaseModel] | None:
    args = getattr(annotation, "__args__", None)
    candidates = args if args else (annotation,)
    for a in candidates:
        if isinstance(a, type) and issubclass(a, BaseModel) and a is not SkinCondition and a is not PastReaction:
            return a
    return None


# ------------------------------------------------------------------------------------------ loading


def _describe(err: dict[str, Any]) -> tuple[str, str]:
    loc = [str(p) for p in err["loc"]]
    dotted = ".".join(loc)
    typ = err["type"]
    if typ == "extra_forbidden":
        return dotted, f"unknown key '{loc[-1]}' (not in the questionnaire schema; see docs/questionnaire-schema.json)"
    ctx = err.get("ctx") or {}
    if typ in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(ctx.values()), "?")
        word = {"greater_than_equal": "at least", "less_than_equal": "at most", "greater_than": "above",
                "less_than": "below"}[typ]
        return dotted, f"value {err.get('input')!r} is out of range: must be {word} {bound}"
    if typ == "literal_error":
        return dotted, f"value {err.get('input')!r} is not allowed: expected {ctx.get('expected', 'a listed value')}"
    if typ == "value_error":  # a rule across answers (the model's own check): its message names the answers
        return dotted, str(err["msg"]).removeprefix("Value error, ")
    return dotted, f"{err['msg']} (got {err.get('input')!r})"


def parse_questionnaire(data: Any, path: str | PathLike[str] | None = None, text: str | None = None) -> Questionnaire:
    """Validate already-parsed data; errors name the key (and the line when ``text`` is given)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError("a questionnaire must be a mapping of sections (about_you, skin, diet, ...)", path=path)
    try:
        return Questionnaire.model_validate(data)
    except ValidationError as exc:
        errs = exc.errors()
        dotted, message = _describe(errs[0])
        line = line_of(text, list(errs[0]["loc"])) if text is not None else None
        more = f" (and {len(errs) - 1} more problem(s))" if len(errs) > 1 else ""
        raise InputError(f"questionnaire: {message}{more}", path=path, line=line, field=dotted) from None


def load_questionnaire(path: str | PathLike[str]) -> Questionnaire:
    """Read a questionnaire from YAML or JSON. Every field is optional; unknown keys are refused."""
    p = Path(path)
    text = read_yaml_text(p)
    try:
        data = parse_document(text, p, kind="json" if p.suffix.lower() == ".json" else "yaml")
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid {'JSON' if p.suffix.lower() == '.json' else 'YAML'}: "
                         f"{' '.join(str(exc).split())}", path=p) from None
    return parse_questionnaire(data, path=p, text=text)


def questionnaire_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the questionnaire, as shipped in docs/questionnaire-schema.json."""
    schema = Questionnaire.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://gutskin.invalid/schemas/questionnaire-1.0.json"
    schema["description"] = (
        "What a stool report cannot see: skin conditions and severity, age group, pregnancy and breastfeeding, "
        "height and weight, food allergies, intolerances and past reactions, diet pattern, alcohol, smoking, stress, "
        "sleep, water, medicines (immunosuppressants, biologics, blood thinners), recent antibiotics or probiotics. "
        "Every field is optional; unknown keys are refused.")
    return schema


def questionnaire_json_schema_text() -> str:
    return json.dumps(questionnaire_json_schema(), indent=2, ensure_ascii=False) + "\n"
