"""Load and validate the knowledge base shipped in ``gutskin/knowledge/data``.

Layout of a knowledge-base directory::

    kb.yaml                  name, semantic version, date, source, changelog
    conditions.yaml          conditions:      skin conditions and what the gut evidence allows
    features.yaml            features:        taxa, guilds, diversity, non-profile measurements
    studies/*.yaml           studies:         every cited source, each with its citation
    associations/*.yaml      associations:    one row per feature x condition x study
    markers.yaml             markers:         general gut-health markers (M01...)
    recommendations.yaml     rules:           recommendation rules as data

Every problem becomes an :class:`~gutskin.errors.InputError` naming the file, the line, the row id and the
field. :func:`load_kb` raises the first (saying how many more there are); :func:`validate_kb` returns all.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import InputError
from ._yamlpos import line_of, read_yaml_text
from .base import KnowledgeBase, normalise_name
from .grading import grade_at_most
from .questionnaire import field_paths
from .schema import (
    DESIGN_GRADE_CAP,
    Association,
    Condition,
    Feature,
    FeatureKind,
    KBMeta,
    Marker,
    Predicate,
    RecommendationRule,
    Study,
)

DATA_DIR = Path(__file__).resolve().parent / "data"

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

M = TypeVar("M", bound=BaseModel)

_MISSING_HINT = {
    "study": "every association must cite a study (a key from studies/*.yaml)",
    "citation": "every study needs a citation (authors, year, journal, identifiers, id_status)",
    "citations": "every entry needs at least one citation (study keys)",
    "grade": "every row needs an evidence grade, one of A, B, C, D (rubric: docs/knowledge-base.md)",
    "evidence": "every rule needs evidence links to cited studies",
    "id_status": "say whether the identifier was verified: seen, mirror or not_verified",
    "direction": "say what patients showed: up, down, no_difference or inconsistent",
}


class _Problems:
    def __init__(self) -> None:
        self.errors: list[InputError] = []

    def add(self, message: str, path: Path, text: str | None = None, loc: list[Any] | None = None,
            field: str | None = None) -> None:
        line = line_of(text, loc) if loc is not None else None
        self.errors.append(InputError(message, path=path, line=line, field=field))


def _read(path: Path, problems: _Problems) -> tuple[Any, str | None]:
    try:
        text = read_yaml_text(path)
    except InputError as exc:
        problems.errors.append(exc)
        return None, None
    try:
        return yaml.load(text, Loader=_SafeLoader), text  # safe loader (C version when present)
    except yaml.YAMLError as exc:
        problems.add(f"not valid YAML: {' '.join(str(exc).split())}", path)
        return None, None


def _items(data: Any, key: str, path: Path, problems: _Problems) -> list[Any]:
    if data is None:
        return []
    if not isinstance(data, dict) or key not in data:
        problems.add(f"expected a top-level '{key}:' list", path)
        return []
    items = data[key]
    if not isinstance(items, list):
        problems.add(f"'{key}' must be a list", path, field=key)
        return []
    return items


def _row_label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for k in ("id", "key"):
            if isinstance(item.get(k), str):
                return item[k]
    return f"#{index + 1}"


def _validate_rows(model: type[M], kind: str, items: list[Any], key: str, path: Path, text: str | None,
                   problems: _Problems) -> list[M]:
    out: list[M] = []
    for i, item in enumerate(items):
        label = _row_label(item, i)
        if not isinstance(item, dict):
            problems.add(f"{kind} {label} must be a mapping of fields", path, text, [key, i])
            continue
        try:
            out.append(model.model_validate(item))
        except ValidationError as exc:
            for err in exc.errors():
                loc = [p for p in err["loc"]]
                dotted = ".".join(str(p) for p in loc) or None
                if err["type"] == "missing":
                    field = str(loc[-1])
                    hint = _MISSING_HINT.get(field, "required field")
                    msg = f"{kind} '{label}' has no '{field}': {hint}"
                elif err["type"] == "extra_forbidden":
                    msg = f"{kind} '{label}' has an unknown field '{loc[-1]}'"
                else:
                    shown = err.get("input")
                    shown = shown if not isinstance(shown, (dict, list)) else type(shown).__name__
                    msg = f"{kind} '{label}': {err['msg']} (got {shown!r})"
                problems.add(msg, path, text, [key, i, *loc], field=dotted)
    return out


def _unique(objs: list[Any], attr: str, kind: str, where: dict[str, Path], problems: _Problems) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for o in objs:
        k = getattr(o, attr)
        if k in out:
            problems.add(f"duplicate {kind} id '{k}'", where.get(k, Path("?")), field=attr)
        out[k] = o
    return out


def _collect(data_dir: Path) -> tuple[KnowledgeBase | None, list[InputError]]:
    problems = _Problems()
    if not data_dir.is_dir():
        return None, [InputError("knowledge-base directory not found", path=data_dir)]

    origin: dict[str, Path] = {}

    def load_list(path: Path, key: str, model: type[M], kind: str, attr: str) -> list[M]:
        data, text = _read(path, problems)
        rows = _validate_rows(model, kind, _items(data, key, path, problems), key, path, text, problems)
        for r in rows:
            origin.setdefault(getattr(r, attr), path)
        return rows

    meta_data, _ = _read(data_dir / "kb.yaml", problems)
    meta = None
    if meta_data is not None:
        try:
            meta = KBMeta.model_validate(meta_data)
        except ValidationError as exc:
            e = exc.errors()[0]
            problems.add(f"kb.yaml: {e['msg']}", data_dir / "kb.yaml", field=".".join(map(str, e["loc"])))

    conditions = load_list(data_dir / "conditions.yaml", "conditions", Condition, "condition", "id")
    features = load_list(data_dir / "features.yaml", "features", Feature, "feature", "id")
    markers = load_list(data_dir / "markers.yaml", "markers", Marker, "marker", "id")
    rules = load_list(data_dir / "recommendations.yaml", "rules", RecommendationRule, "rule", "id")
    studies: list[Study] = []
    for p in sorted((data_dir / "studies").glob("*.yaml")):
        studies += load_list(p, "studies", Study, "study", "key")
    associations: list[Association] = []
    for p in sorted((data_dir / "associations").glob("*.yaml")):
        associations += load_list(p, "associations", Association, "association", "id")

    cond_by = _unique(conditions, "id", "condition", origin, problems)
    feat_by = _unique(features, "id", "feature", origin, problems)
    study_by = _unique(studies, "key", "study", origin, problems)
    marker_by = _unique(markers, "id", "marker", origin, problems)
    rule_by = _unique(rules, "id", "rule", origin, problems)
    _unique(associations, "id", "association", origin, problems)

    def err(obj_id: str, message: str, field: str) -> None:
        problems.add(message, origin.get(obj_id, data_dir), field=field)

    # features: parents, members, proxies, reference sources, name collisions
    seen_names: dict[str, str] = {}
    for f in features:
        for ref, fld in ((f.parent, "parent"), (f.proxy, "proxy")):
            if ref is not None and ref not in feat_by:
                err(f.id, f"feature '{f.id}': {fld} '{ref}' is not a known feature", fld)
        for m in f.members:
            if m not in feat_by:
                err(f.id, f"feature '{f.id}': member '{m}' is not a known feature", "members")
        for rv in f.reference_values:
            if rv.source not in study_by:
                err(f.id, f"feature '{f.id}': reference value source '{rv.source}' is not a known study",
                    "reference_values")
        if f.kind == FeatureKind.taxon:
            for n in f.all_names():
                key = normalise_name(n)
                if key in seen_names and seen_names[key] != f.id:
                    err(f.id, f"feature '{f.id}': name or synonym '{n}' is also used by '{seen_names[key]}'",
                        "synonyms")
                seen_names.setdefault(key, f.id)

    # conditions
    for c in conditions:
        for fid in c.avoid_as_marker:
            if fid not in feat_by:
                err(c.id, f"condition '{c.id}': avoid_as_marker '{fid}' is not a known feature", "avoid_as_marker")
        for s in c.citations:
            if s not in study_by:
                err(c.id, f"condition '{c.id}': citation '{s}' is not a known study", "citations")

    for st in study_by.values():
        for pooled in st.pools:
            if pooled not in study_by:
                err(st.key, f"study '{st.key}': pooled study '{pooled}' is not a known study", "pools")

    # associations: references, design caps, populations
    for a in associations:
        ok = True
        if a.condition not in cond_by:
            err(a.id, f"association '{a.id}': unknown condition '{a.condition}'", "condition")
            ok = False
        elif cond_by[a.condition].gut_evidence == "none":
            err(a.id, f"association '{a.id}': condition '{a.condition}' is recorded as having no gut evidence",
                "condition")
        if a.feature not in feat_by:
            err(a.id, f"association '{a.id}': unknown feature '{a.feature}'", "feature")
            ok = False
        if a.study not in study_by:
            err(a.id, f"association '{a.id}': cited study '{a.study}' is not in studies/*.yaml", "study")
            ok = False
        if not ok:
            continue
        study = study_by[a.study]
        a._study = study
        a._feature = feat_by[a.feature]
        cap, why = a.grade_cap()
        if not grade_at_most(a.grade, cap):
            reason = "; ".join(why) if why else f"what a {study.design.value} can support"
            err(a.id, f"association '{a.id}': grade {a.grade} is above the rubric's cap: at most {cap} ({reason})",
                "grade")

    # markers
    for m in markers:
        for fid in m.features:
            if fid not in feat_by:
                err(m.id, f"marker '{m.id}': unknown feature '{fid}'", "features")
        caps = []
        for s in m.citations:
            if s not in study_by:
                err(m.id, f"marker '{m.id}': citation '{s}' is not a known study", "citations")
            else:
                caps.append(DESIGN_GRADE_CAP[study_by[s].design.value])
        if caps and not any(grade_at_most(m.grade, c) for c in caps):
            err(m.id, f"marker '{m.id}': grade {m.grade} is above what its citations can support", "grade")

    # rules
    answer_paths = field_paths()

    def check_predicate(rule_id: str, p: Predicate, fld: str) -> None:
        if p.finding and p.finding.feature not in feat_by:
            err(rule_id, f"rule '{rule_id}': {fld} uses unknown feature '{p.finding.feature}'", fld)
        if p.answer and p.answer.field not in answer_paths:
            err(rule_id, f"rule '{rule_id}': {fld} reads unknown questionnaire field '{p.answer.field}'", fld)
        if p.condition and p.condition not in cond_by:
            err(rule_id, f"rule '{rule_id}': {fld} names unknown condition '{p.condition}'", fld)

    kb = None
    if meta is not None:
        kb = KnowledgeBase(meta=meta, conditions_by_id=cond_by, features_by_id=feat_by, studies_by_key=study_by,
                           association_rows=[a for a in associations if a._study is not None],
                           markers_by_id=marker_by, rules_by_id=rule_by,
                           source_files={k: str(v) for k, v in origin.items()})
    for r in rules:
        for c in r.conditions:
            if c not in cond_by:
                err(r.id, f"rule '{r.id}': unknown condition '{c}'", "conditions")
        for p in r.triggers:
            check_predicate(r.id, p, "triggers")
        for p in r.exclude:
            check_predicate(r.id, p, "exclude")
        for n in r.conditional_notes:
            check_predicate(r.id, n.when, "conditional_notes")
        for v in r.variants:
            check_predicate(r.id, v.when, "variants")
        missing = [e.study for e in r.evidence if e.study not in study_by]
        for s in missing:
            err(r.id, f"rule '{r.id}': evidence study '{s}' is not a known study", "evidence")
        if not missing and kb is not None:
            derived = kb.rule_grade(r)
            if not grade_at_most(r.grade, derived.grade):
                err(r.id, f"rule '{r.id}': grade {r.grade} is above the grade its evidence supports "
                          f"({derived.grade}: {derived.rationale})", "grade")

    return (kb if not problems.errors else None), problems.errors


def validate_kb(data_dir: str | Path | None = None) -> list[InputError]:
    """Every problem in a knowledge-base directory (empty list when it is valid)."""
    _, errors = _collect(Path(data_dir) if data_dir is not None else DATA_DIR)
    return errors


@functools.cache
def _load(path: str) -> KnowledgeBase:
    kb, errors = _collect(Path(path))
    if errors:
        first = errors[0]
        if len(errors) > 1:
            first = InputError(f"{first.message} (and {len(errors) - 1} more problem(s); run "
                               "'gutskin kb validate' for all)", path=first.path, line=first.line, field=first.field)
        raise first
    assert kb is not None
    return kb


def load_kb(data_dir: str | Path | None = None) -> KnowledgeBase:
    """The validated knowledge base (cached per directory). Invalid data raises :class:`InputError`."""
    return _load(str(Path(data_dir).resolve() if data_dir is not None else DATA_DIR))


load_kb.cache_clear = _load.cache_clear  # type: ignore[attr-defined]

