"""``gutskin kb``: browse and check the evidence knowledge base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from ..knowledge import load_kb, validate_kb
from ..knowledge.base import KnowledgeBase
from ..knowledge.grading import RUBRIC
from ..knowledge.schema import DESIGN_LABEL, DIRECTION_ARROW, GRADES, METHOD_LABEL, Population
from . import app

kb_app = typer.Typer(
    help="Browse the evidence knowledge base: association rows, grades and conflicts, features, rules.",
    no_args_is_help=True,
)
app.add_typer(kb_app, name="kb")

DIR_HELP = "Knowledge-base directory to read instead of the shipped one."


def _kb(data_dir: Path | None) -> KnowledgeBase:
    return load_kb(data_dir)


def _check_condition(kb: KnowledgeBase, condition: str | None) -> str | None:
    if condition is None:
        return None
    cid = kb.resolve_condition(condition)
    if cid is None:
        raise InputError(f"unknown condition {condition!r}; known: {', '.join(kb.conditions_by_id)}",
                         field="--condition")
    return cid


def _check_grade(grade: str | None) -> str | None:
    if grade is None:
        return None
    if grade.upper() not in GRADES:
        raise InputError(f"unknown grade {grade!r}; expected one of {', '.join(GRADES)}", field="--grade")
    return grade.upper()


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


# ------------------------------------------------------------------------------------------------ list


def _pop(value: str) -> str:
    return "-" if value == "unspecified" else value


def _n(a: Any) -> str:
    st = a.study_ref
    if st.n_cases is not None and st.n_controls is not None:
        return f"{st.n_cases}/{st.n_controls}"
    if st.n_total is not None:
        return f"n={st.n_total}"
    if st.n_cases is not None:
        return f"{st.n_cases}/?"
    return "-"


@kb_app.command("list")
def list_rows(
    condition: str | None = typer.Option(None, "--condition", "-c", help="Condition id, name or alias."),
    feature: str | None = typer.Option(None, "--feature", "-f", help="Feature id, taxon name or synonym."),
    grade: str | None = typer.Option(None, "--grade", "-g", help="Only rows stored with this grade (A-D)."),
    population: str | None = typer.Option(None, "--population", "-p",
                                          help="infant, child, adolescent or adult (rows of mixed or unstated "
                                               "ages are kept)."),
    conflicts: bool = typer.Option(False, "--conflicts", help="Only rows whose feature x condition is in conflict."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    data_dir: Path | None = typer.Option(None, "--kb-dir", help=DIR_HELP),
) -> None:
    """List association rows (one feature x condition x study each), with design, size and grade."""
    kb = _kb(data_dir)
    cid = _check_condition(kb, condition)
    if feature is not None and kb.resolve_feature(feature) is None:
        raise InputError(f"unknown feature {feature!r}", field="--feature")
    if population is not None and population not in {p.value for p in Population}:
        raise InputError(f"unknown population {population!r}", field="--population")
    rows = kb.associations(cid, feature, population=population, grade=_check_grade(grade))
    summaries = {(g.condition, g.feature): g for g in kb.grades(cid)}  # genus summaries include their species
    if conflicts:
        rows = [a for a in rows if summaries[(a.condition, a.feature)].conflict]
    if as_json:
        out = []
        for a in rows:
            d = a.to_dict()
            s = summaries[(a.condition, a.feature)]
            d["feature_x_condition"] = {"grade": s.grade, "direction": s.direction, "conflict": s.conflict,
                                        "conflict_kind": s.conflict_kind}
            out.append(d)
        _echo_json({"kb_version": kb.version, "count": len(out), "associations": out})
        return
    console = Console()
    console.print(f"[bold]gutskin knowledge base {kb.version}[/bold] ({kb.date}) - {len(rows)} association row(s)")
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column("id", no_wrap=True)
    cols = ["population", "feature", "dir", "design", "n", "grade", "pair"]
    if cid is None:
        cols.insert(0, "condition")
    for col in cols:
        table.add_column(col, overflow="fold")
    for a in rows:
        s = summaries[(a.condition, a.feature)]
        pair = s.grade + ("*" if s.conflict else "")
        pop = _pop(a.effective_population.value) + (f" ({a.subgroup})" if a.subgroup else "")
        cells = [pop, a.feature_ref.name, DIRECTION_ARROW[a.direction.value], a.design.value, _n(a), a.grade, pair]
        if cid is None:
            cells.insert(0, a.condition)
        table.add_row(a.id, *cells)
    console.print(table)
    console.print("dir: ↑ higher in patients, ↓ lower, ↔ no difference, ≠ review reports disagreement. "
                  "pair: derived grade of the feature in that condition, * = studies conflict "
                  "(see 'gutskin kb grades --conflicts').")


# ------------------------------------------------------------------------------------------------ show


def _show_payload(kb: KnowledgeBase, kind: str, obj: Any) -> dict[str, Any]:
    if kind == "association":
        data = obj.to_dict()
        g = kb.grade(obj.condition, obj.feature, include_descendants=False)
        data["feature_x_condition"] = g.to_dict() if g else None
        wide = kb.grade(obj.condition, obj.feature, include_descendants=True)
        data["feature_x_condition_with_finer_taxa"] = (
            wide.to_dict() if wide is not None and wide.rows != (g.rows if g else ()) else None)
        return data
    if kind == "rule":
        data = obj.model_dump(mode="json", exclude_none=True)
        data["derived_grade"] = kb.rule_grade(obj).to_dict()
        data["citations"] = {e.study: kb.study(e.study).citation.formatted() for e in obj.evidence}
        return data
    if kind == "feature":
        data = obj.model_dump(mode="json", exclude_none=True)
        data["conditions"] = {}
        for c in kb.conditions():
            g = kb.grade(c.id, obj.id)
            if g is not None:
                data["conditions"][c.id] = g.to_dict()
        return data
    if kind == "study":
        data = obj.model_dump(mode="json", exclude_none=True)
        data["association_rows"] = [a.id for a in kb.association_rows if a.study == obj.key]
        return data
    if kind == "condition":
        data = obj.model_dump(mode="json", exclude_none=True)
        data["citations_full"] = {k: kb.study(k).citation.formatted() for k in obj.citations}
        data["grades"] = [g.to_dict() for g in kb.grades(obj.id)]
        return data
    data = obj.model_dump(mode="json", exclude_none=True)  # marker
    data["citations_full"] = {k: kb.study(k).citation.formatted() for k in obj.citations}
    return data


@kb_app.command("show")
def show(
    key: str = typer.Argument(..., help="Any id: association, feature (or taxon name), study key, condition, "
                                        "marker (M01) or rule (rec-...)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    data_dir: Path | None = typer.Option(None, "--kb-dir", help=DIR_HELP),
) -> None:
    """Show one entry in full, with its citation and the derived grade it contributes to."""
    kb = _kb(data_dir)
    try:
        kind, obj = kb.get(key)
    except KeyError:
        raise InputError(f"nothing in the knowledge base has the id {key!r} (try 'gutskin kb list')",
                         field="ID") from None
    payload = _show_payload(kb, kind, obj)
    if as_json:
        _echo_json({"type": kind, **payload})
        return
    console = Console()
    if kind == "association":
        a = obj
        s = payload["feature_x_condition"]
        console.print(f"[bold]{a.id}[/bold]  (association row)")
        lines = [
            ("condition", a.condition + (f" - subgroup: {a.subgroup}" if a.subgroup else "")),
            ("population", a.effective_population.value),
            ("feature", f"{a.feature_ref.display_name} [{a.feature}]"),
            ("direction", f"{DIRECTION_ARROW[a.direction.value]} {a.direction.value} (patients vs controls)"),
            ("study", f"{a.study}: {a.study_ref.title}"),
            ("design", DESIGN_LABEL[a.design.value]),
            ("size", a.size),
            ("method", METHOD_LABEL[a.method.value] + (f" ({a.study_ref.method_detail})"
                                                       if a.study_ref.method_detail else "")),
            ("effect", a.effect or "-"),
            ("row grade", f"{a.grade} (quality {a.quality})" + (f" - {a.grade_note}" if a.grade_note else "")),
            ("caveats", ", ".join(a.all_caveats) or "-"),
            ("citation", a.citation.formatted()),
        ]
        if a.signal_level:
            lines.append(("signal level", a.signal_level))
        if a.note:
            lines.append(("note", " ".join(a.note.split())))
        for label, summ in (("feature x condition", s),
                            ("incl. finer taxa", payload["feature_x_condition_with_finer_taxa"])):
            if summ:
                lines.append((label, f"grade {summ['grade']}, direction {summ['direction']}"
                              + (f", CONFLICT ({summ['conflict_kind']})" if summ["conflict"] else "")
                              + f" - {summ['rationale']}"))
        table = Table(show_header=False, show_edge=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for k, v in lines:
            table.add_row(k, v)
        console.print(table)
        return
    console.print(f"[bold]{key}[/bold]  ({kind})")
    console.print_json(json.dumps(payload, ensure_ascii=False))


# ------------------------------------------------------------------------------------------------ grades


@kb_app.command("grades")
def grades(
    condition: str | None = typer.Option(None, "--condition", "-c", help="Condition id, name or alias."),
    conflicts_only: bool = typer.Option(False, "--conflicts", help="Only feature x condition pairs in conflict."),
    why: bool = typer.Option(False, "--why", help="Add the reasoning behind each grade."),
    by_population: bool = typer.Option(False, "--by-population", help="Add one line per age group where rows span "
                                                                      "several."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    data_dir: Path | None = typer.Option(None, "--kb-dir", help=DIR_HELP),
) -> None:
    """Derived grade per feature x condition, with conflicts shown (never averaged)."""
    kb = _kb(data_dir)
    out = kb.grades(_check_condition(kb, condition), by_population=by_population)
    if conflicts_only:
        out = [g for g in out if g.conflict]
    if as_json:
        _echo_json({"kb_version": kb.version, "rubric": RUBRIC, "grades": [g.to_dict() for g in out]})
        return
    table = Table(show_edge=False, pad_edge=False, box=None)
    cols = ["condition", "population", "feature", "dir", "grade", "conflict", "rows"] + (["why"] if why else [])
    for col in cols:
        table.add_column(col, overflow="fold")
    for g in sorted(out, key=lambda g: (g.condition or "", g.grade, g.feature or "")):
        name = kb.features_by_id[g.feature].name + (" (not used as a marker)" if g.marker_to_avoid else "")
        cells = [g.condition, g.population or "all", name,
                 DIRECTION_ARROW.get(g.direction, g.direction), g.grade, g.conflict_kind or "", str(len(g.rows))]
        table.add_row(*cells, *([g.rationale] if why else []))
    Console().print(table)


def grade_changes(kb: KnowledgeBase, snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """Derived grades that differ from a snapshot (``{"grades": {"condition|feature": {...}}}``), with reasons."""
    old = snapshot.get("grades", {})
    now = {f"{g.condition}|{g.feature}": g for g in kb.grades()}
    out = []
    for key in sorted(set(old) | set(now)):
        before, g = old.get(key), now.get(key)
        after = None if g is None else {"grade": g.grade, "direction": g.direction, "conflict_kind": g.conflict_kind}
        if before == after:
            continue
        condition, feature = key.split("|", 1)
        out.append({"condition": condition, "feature": feature, "before": before, "after": after,
                    "why": "row removed" if g is None else g.rationale})
    return out


@kb_app.command("grade-changes")
def grade_changes_cmd(
    since: Path = typer.Option(..., "--since", help="A grades snapshot (JSON, e.g. docs/kb-grades-0.1.0.json)."),
    data_dir: Path | None = typer.Option(None, "--kb-dir", help=DIR_HELP),
) -> None:
    """Derived grades that changed since a snapshot, as a Markdown table with the reason for each."""
    from ..io import read_text

    kb = _kb(data_dir)
    try:
        snapshot = json.loads(read_text(since))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", since, line=exc.lineno) from None

    def fmt(v: dict[str, Any] | None) -> str:
        if v is None:
            return "—"
        arrow = DIRECTION_ARROW.get(v["direction"], v["direction"])
        return f"{v['grade']} {arrow}" + (f" ({v['conflict_kind']})" if v.get("conflict_kind") else "")

    typer.echo("| condition | feature | before | after | why (derived rationale) |")
    typer.echo("|---|---|---|---|---|")
    for c in grade_changes(kb, snapshot):
        name = kb.features_by_id[c["feature"]].name if c["feature"] in kb.features_by_id else c["feature"]
        typer.echo(f"| {c['condition']} | {name} | {fmt(c['before'])} | {fmt(c['after'])} | {c['why']} |")


# ------------------------------------------------------------------------------------------------ features, rules


@kb_app.command("features")
def features(
    kind: str | None = typer.Option(None, "--kind", help="taxon, guild, diversity, metabolite, functional_state "
                                                         "or index."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    data_dir: Path | None = typer.Option(None, "--kb-dir", help=DIR_HELP),
) -> None:
    """Features with rank, NCBI taxid and synonyms (for matching profiles in any naming)."""
    kb = _kb(data_dir)
    out = kb.features(kind)
    if as_json:
        _echo_json([f.model_dump(mode="json", exclude_none=True) for f in out])
        return
    table = Table(show_edge=False, pad_edge=False, box=None)
    for col in ("id", "kind", "rank", "name", "current name", "taxid", "synonyms"):
        table.add_column(col, overflow="fold")
    for f in out:
        table.add_row(f.id, f.kind.value, f.rank.value if f.rank else "", f.name, f.current_name or "",
                      str(f.ncbi_taxid or ""), ", ".join(f.synonyms))
    Console().print(table)


@kb_app.command("rules")
def rules(
    condition: str | None = typer.Option(None, "--condition", "-c", help="Rules relevant to this condition."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    data_dir: Path | None = typer.Option(None, "--kb-dir", help=DIR_HELP),
) -> None:
    """Recommendation rules with their grade and category."""
    kb = _kb(data_dir)
    out = kb.rules(_check_condition(kb, condition))
    if as_json:
        _echo_json([r.model_dump(mode="json", exclude_none=True) for r in out])
        return
    table = Table(show_edge=False, pad_edge=False, box=None)
    for col in ("id", "category", "conditions", "grade", "benefit", "title"):
        table.add_column(col, overflow="fold")
    for r in out:
        table.add_row(r.id, r.category, ", ".join(r.conditions) or "any", r.grade, r.expected_benefit, r.title)
    Console().print(table)


@kb_app.command("info")
def info(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    data_dir: Path | None = typer.Option(None, "--kb-dir", help=DIR_HELP),
) -> None:
    """Version, date, source and counts of the knowledge base, and the grading rubric."""
    kb = _kb(data_dir)
    data = {"name": kb.meta.name, "version": kb.version, "date": kb.date, "source": " ".join(kb.meta.source.split()),
            "counts": kb.counts(), "conditions": [c.id for c in kb.conditions()], "rubric": RUBRIC}
    if as_json:
        _echo_json(data)
        return
    console = Console()
    console.print(f"[bold]{data['name']}[/bold] {data['version']} ({data['date']})")
    console.print(data["source"])
    console.print(", ".join(f"{v} {k}" for k, v in data["counts"].items()))
    console.print("\n[bold]Grading rubric[/bold]\n" + RUBRIC)


@kb_app.command("questionnaire-schema")
def questionnaire_schema(
    out: Path | None = typer.Option(None, "-o", "--output", help="Write to this file instead of stdout."),
) -> None:
    """Print (or write) the JSON Schema of the questionnaire, generated from the code."""
    from ..io import write_atomic
    from ..knowledge.questionnaire import questionnaire_json_schema_text

    text = questionnaire_json_schema_text()
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(out, text)
        typer.echo(f"wrote {out}", err=True)


@kb_app.command("validate")
def validate(
    data_dir: Path | None = typer.Argument(None, help="Knowledge-base directory (default: the shipped one)."),
) -> None:
    """Check every file against the schema and cross-references; list all problems, exit 2 if any."""
    errors = validate_kb(data_dir)
    if errors:
        for e in errors:
            typer.echo(f"gutskin: error: {e}", err=True)
        typer.echo(f"{len(errors)} problem(s)", err=True)
        raise SystemExit(2)
    kb = load_kb(data_dir)
    counts = kb.counts()
    typer.echo(f"knowledge base {kb.version} is valid: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
