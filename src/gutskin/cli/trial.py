"""``gutskin trial …``: plan an elimination-diet trial, keep the diary, analyse it fairly.

Exit status: 0 done, 2 bad input (one line on stderr), 3 the safety gate is closed (the advice is printed and no
plan is written).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import InputError
from ..safety import SafetyGate, gate_for_questionnaire
from . import app as main_app

trial_app = typer.Typer(
    help="Elimination-diet trials on skin symptoms: plan (with a safety gate), diary template, calendar, "
         "analysis with an honest verdict.",
    no_args_is_help=True,
)
main_app.add_typer(trial_app, name="trial")

GATE_CLOSED = 3
_VERDICT_STYLE = {"trigger": "bold red", "not_trigger": "bold green", "inconclusive": "bold yellow"}


def plan_gate(questionnaire: Path | None, **answers: Any) -> SafetyGate:
    """The elimination gate for ``trial plan``: the questionnaire file (a gutskin questionnaire, see
    docs/questionnaire-schema.json) with the answers given as options on top, through ``Questionnaire.gate_inputs``
    and the one safety module — the same path the report, the engine and the web app take."""
    from ..knowledge.questionnaire import Questionnaire, load_questionnaire, parse_questionnaire

    q = load_questionnaire(questionnaire) if questionnaire is not None else Questionnaire()
    sections = {"about_you": ("age_group", "age_years", "pregnant", "breastfeeding"),
                "allergies": ("immediate_reactions_history", "anaphylaxis_history", "diagnosed_ige_food_allergy",
                              "eating_disorder_history")}
    data = q.model_dump(exclude_none=True)
    for section, keys in sections.items():
        given = {k: answers[k] for k in keys if answers.get(k) is not None}
        if given:
            data[section] = {**data.get(section, {}), **given}
    return gate_for_questionnaire(parse_questionnaire(data, path=questionnaire))


@trial_app.command("plan")
def plan_cmd(
    food: list[str] = typer.Option(..., "--food", help="Food to test; repeat (or comma-separate) to queue more "
                                                       "foods, tested one after another."),
    condition: str = typer.Option(..., "--condition", help="eczema (atopic_dermatitis), acne, psoriasis, rosacea "
                                                           "or other: sets the default durations, washout and lag."),
    start: str = typer.Option(..., "--start", help="First day of the baseline, YYYY-MM-DD."),
    out: Path = typer.Option(..., "-o", "--output", help="Plan file to write (.json, or .yaml/.yml)."),
    design: str = typer.Option("ABA", "--design", help="ABA (baseline, elimination, reintroduction) or ABAB "
                                                       "(a second elimination)."),
    baseline_days: int | None = typer.Option(None, "--baseline-days", min=1, help="Override the default."),
    elimination_days: int | None = typer.Option(None, "--elimination-days", min=1, help="Override the default."),
    reintroduction_days: int | None = typer.Option(None, "--reintroduction-days", min=1,
                                                   help="Override the default."),
    gap_days: int = typer.Option(0, "--gap-days", min=0, help="Days between queued trials."),
    outcome: str = typer.Option("skin_score", "--outcome", help="Diary column to analyse."),
    better: str = typer.Option("lower", "--better", help="Whether lower or higher outcome values are better."),
    mid: float | None = typer.Option(None, "--mid", help="Smallest change that matters to you, in outcome "
                                                         "units (default 1 point)."),
    ics: Path | None = typer.Option(None, "--ics", help="Also write the schedule as an iCalendar file."),
    diary_template: Path | None = typer.Option(None, "--diary-template", help="Also write a diary CSV template."),
    questionnaire: Path | None = typer.Option(None, "--questionnaire", "-q", help="Your gutskin questionnaire "
                                              "(YAML/JSON, docs/questionnaire-schema.json); its safety answers "
                                              "decide whether a self-run plan is safe. Options below override it."),
    age_group: str | None = typer.Option(None, "--age-group", help="adult or older_adult (child, adolescent and "
                                                                   "infant need a clinician). Age is required."),
    age: float | None = typer.Option(None, "--age", help="Age in years."),
    immediate_reactions: bool | None = typer.Option(None, "--immediate-reactions/--no-immediate-reactions",
                                                    help="Ever had hives, swelling or breathing trouble within "
                                                         "about two hours of eating?"),
    anaphylaxis: bool | None = typer.Option(None, "--anaphylaxis/--no-anaphylaxis", help="Ever had anaphylaxis?"),
    ige_allergy: bool | None = typer.Option(None, "--ige-allergy/--no-ige-allergy",
                                            help="Diagnosed IgE-mediated food allergy?"),
    pregnant: bool | None = typer.Option(None, "--pregnant/--no-pregnant", help="Pregnant?"),
    breastfeeding: bool | None = typer.Option(None, "--breastfeeding/--no-breastfeeding", help="Breastfeeding?"),
    eating_disorder: bool | None = typer.Option(None, "--eating-disorder-history/--no-eating-disorder-history",
                                                help="Ever had an eating disorder or disordered eating?"),
    as_json: bool = typer.Option(False, "--json", help="Print the plan (or the gate's advice) as JSON."),
) -> None:
    """Plan a one-food-at-a-time trial: baseline → elimination → reintroduction, after a safety gate."""
    from ..trial.calendar import write_ics
    from ..trial.defaults import SOURCES, defaults_for
    from ..trial.diary import write_template
    from ..trial.plan import make_plan, plan_to_dict, save_plan

    gate = plan_gate(questionnaire, age_group=age_group, age_years=age,
                     immediate_reactions_history=immediate_reactions, anaphylaxis_history=anaphylaxis,
                     diagnosed_ige_food_allergy=ige_allergy, pregnant=pregnant, breastfeeding=breastfeeding,
                     eating_disorder_history=eating_disorder)
    if not gate.ok:
        if as_json:
            typer.echo(json.dumps({"ok": False, "reasons": gate.reasons, "cautions": gate.cautions,
                                   "advice": gate.advice}, indent=2))
        else:
            Console().print(f"[bold red]No plan written.[/bold red] {gate.advice}")
        raise typer.Exit(GATE_CLOSED)
    plan = make_plan(food, condition, start, design=design, baseline_days=baseline_days,
                     elimination_days=elimination_days, reintroduction_days=reintroduction_days, outcome=outcome,
                     better=better, mid=mid, gap_days=gap_days, gate=gate)
    save_plan(plan, out)
    written = [str(out)]
    if ics is not None:
        write_ics(plan, ics)
        written.append(str(ics))
    if diary_template is not None:
        write_template(plan, diary_template)
        written.append(str(diary_template))
    if as_json:
        typer.echo(json.dumps({**plan_to_dict(plan), "written": written}, indent=2, ensure_ascii=False))
        return
    console = Console()
    d = defaults_for(plan.condition)
    console.print(f"[bold]Elimination trial plan[/bold] ({plan.condition}, design {plan.design}); outcome "
                  f"{plan.outcome} ({plan.better} is better), smallest change that matters {plan.mid:g}")
    table = Table(show_edge=False, pad_edge=False, box=None)
    for col in ("food", "phase", "from", "to", "days"):
        table.add_column(col, justify="right" if col == "days" else "left")
    for t in plan.trials():
        for p in t.phases:
            table.add_row(escape(t.food), p.name, str(p.start), str(p.end), str(p.days))  # user text: no markup
    console.print(table)
    console.print(f"Analysis: {plan.effective_washout}-day analytic washout after each change; lag time constant "
                  f"0–{plan.effective_lag_max} days. Durations from: " + ", ".join(f"[{k}]" for k in d.sources))
    for k in d.sources:
        console.print(f"  [dim][{k}] {SOURCES[k]}[/dim]")
    for c in gate.cautions:
        console.print(f"  [yellow]caution:[/yellow] {c}")
    for note in plan.notes:
        console.print(f"  note: {escape(note)}")
    console.print("wrote " + escape(", ".join(written)))


@trial_app.command("analyze")
def analyze_cmd(
    diary: Path = typer.Argument(..., help="Diary CSV (see `gutskin trial template`)."),
    plan: Path = typer.Option(..., "--plan", help="The plan file (JSON or YAML)."),
    food: str | None = typer.Option(None, "--food", help="Which queued food to analyse (default: the first)."),
    outcome: str | None = typer.Option(None, "--outcome", help="Analyse another diary column (e.g. itch)."),
    mid: float | None = typer.Option(None, "--mid", help="Override the plan's smallest change that matters."),
    washout: int | None = typer.Option(None, "--washout-days", min=0, help="Override the analytic washout."),
    lag: int | None = typer.Option(None, "--lag-max-days", min=0, help="Override the longest lag considered."),
    svg: Path | None = typer.Option(None, "--svg", help="Also write the timeline chart (SVG)."),
    cent: bool = typer.Option(False, "--cent", help="Add the CENT-style trial summary."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Analyse a diary: effect of eating the food (positive = worse), 95 % interval, verdict, next step."""
    from ..io import write_atomic
    from ..trial.analysis import analyze
    from ..trial.chart import timeline_svg
    from ..trial.diary import load_diary
    from ..trial.plan import load_plan
    from ..trial.summary import cent_summary

    plan_obj = load_plan(plan)
    diary_obj = load_diary(diary, plan_obj, outcome=outcome)
    result = analyze(plan_obj, diary_obj, food=food, outcome=outcome, mid=mid, washout_days=washout,
                     lag_max_days=lag)
    summary = cent_summary(plan_obj, diary_obj, result) if cent else None
    if svg is not None:
        write_atomic(svg, timeline_svg(plan_obj, diary_obj, result))
    if as_json:
        payload = dict(result)
        if summary is not None:
            payload["cent"] = summary
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    console = Console()
    v = result["verdict"]
    from ..report.wording import trial_verdict_words  # here: the report package is heavy to import for `trial`

    words = trial_verdict_words(result)  # the report's words: what the diary showed, not how "sure" anyone is
    console.print(f"[bold]{result['food']}[/bold]: [{_VERDICT_STYLE[v]}]{words}[/{_VERDICT_STYLE[v]}]")
    if result["effect"] is not None:
        console.print(f"  difference while eating it  {result['effect']:+.2f} {result['outcome']} points "
                      f"({result['ci_level']:.0%} interval {result['ci_low']:+.2f} to {result['ci_high']:+.2f}; "
                      "positive = worse)")
        if result["n_foods"] > 1:
            console.print(f"  {result['n_foods']} foods in the queue: each must clear a stricter bar "
                          f"(one-sided {result['alpha']:.3g}), so the interval is wider")
        console.print(f"  days used            {result['n_days_used']} of {result['n_days_planned']} "
                      f"(autocorrelation {result['autocorrelation']:.2f}, lag ≈ {result['lag_days']:.1f} days)")
    console.print(f"  {result['summary']}")
    for w in result["warnings"]:
        console.print(f"  [yellow]warning:[/yellow] {w}")
    for step in result["next_steps"]:
        console.print(f"  next: {step}")
    if summary is not None:
        console.print("[bold]CENT summary[/bold]")
        console.print(summary["text"], markup=False)
    if svg is not None:
        console.print(f"wrote {svg}")


@trial_app.command("template")
def template_cmd(
    plan: Path = typer.Option(..., "--plan", help="The plan file."),
    out: Path = typer.Option(..., "-o", "--output", help="Diary CSV to write."),
) -> None:
    """Write a diary template (one row per planned day, instructions as # lines)."""
    from ..trial.diary import write_template

    write_template(plan, out)
    typer.echo(f"wrote {out}", err=True)


@trial_app.command("calendar")
def calendar_cmd(
    plan: Path = typer.Option(..., "--plan", help="The plan file."),
    out: Path = typer.Option(..., "-o", "--output", help="iCalendar file to write (.ics)."),
    checkin: bool = typer.Option(True, "--checkin/--no-checkin", help="Add a daily diary reminder."),
) -> None:
    """Write the schedule as iCalendar (one all-day event per phase)."""
    from ..trial.calendar import write_ics

    write_ics(plan, out, checkin=checkin)
    typer.echo(f"wrote {out}", err=True)


@trial_app.command("simulate")
def simulate_cmd(
    plan: Path = typer.Option(..., "--plan", help="The plan file."),
    out: Path = typer.Option(..., "-o", "--output", help="Diary CSV to write."),
    effect: float = typer.Option(0.0, "--effect", help="True effect of eating the food (points, + = worse)."),
    phi: float = typer.Option(0.5, "--phi", min=0.0, max=0.99, help="Day-to-day autocorrelation."),
    tau: float = typer.Option(2.0, "--tau", min=0.0, help="Lag time constant of the skin, days."),
    missing: float = typer.Option(0.1, "--missing", min=0.0, max=0.9, help="Share of days not recorded."),
    trend: float = typer.Option(0.0, "--trend", help="Linear trend per day."),
    adherence: float = typer.Option(1.0, "--adherence", min=0.0, max=1.0, help="Share of elimination days kept."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same diary)."),
) -> None:
    """Write a simulated diary for a plan (for trying the analysis; not real data)."""
    from ..trial.simulate import simulate_diary, write_diary

    if not -1.0 <= trend <= 1.0:
        raise InputError("trend must be between -1 and 1 points a day", field="--trend")
    frame = simulate_diary(plan, effect=effect, phi=phi, tau=tau, missing=missing, trend=trend,
                           adherence=adherence, seed=seed)
    write_diary(frame, out, comment=f"Simulated by gutskin trial simulate (seed {seed}, effect {effect:g}, phi "
                                    f"{phi:g}, tau {tau:g}, missing {missing:g}, trend {trend:g}); not real data.")
    typer.echo(f"wrote {out}", err=True)
