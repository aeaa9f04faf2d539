"""The golden cases: shipped examples analysed by the engine, reduced to the values a refactor must not move.

Used by ``tests/golden/test_golden.py`` and by ``scripts/update_golden.py`` (which rewrites the pinned file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GOLDEN = Path(__file__).with_name("analysis-golden.json")
#: case name -> (profile, questionnaire, (trial plan, trial diary) or None)
CASES = {
    "example-questionnaire": (EXAMPLES / "SRR1761667_metaphlan.txt", EXAMPLES / "questionnaire.yaml", None),
    "example-trial": (EXAMPLES / "SRR1761667_metaphlan.txt", EXAMPLES / "questionnaire.yaml",
                      (EXAMPLES / "trial" / "dairy-eczema-plan.json", EXAMPLES / "trial" / "dairy-eczema-diary.csv")),
}
REGENERATE = "python scripts/update_golden.py"


def analyse_case(name: str, resources: Any = None) -> Any:
    """The engine's Analysis of one case (files read here, as a face would)."""
    import gutskin
    from gutskin.engine import analyse
    from gutskin.knowledge.questionnaire import load_questionnaire
    from gutskin.trial import load_diary, load_plan

    profile_path, q_path, trial = CASES[name]
    loaded_trial = None
    if trial is not None:
        plan = load_plan(trial[0])
        loaded_trial = (plan, load_diary(trial[1], plan))
    return analyse(gutskin.read(profile_path), resources, questionnaires=load_questionnaire(q_path),
                   trial=loaded_trial, input_name=profile_path.name)[0]


def pinned(a: Any) -> dict[str, Any]:
    """The values pinned for one analysis (numbers stay numbers; compared with tolerances)."""
    trial = None
    if a.trial is not None:
        r = a.trial.result
        trial = {"food": a.trial.food, "verdict": r.get("verdict"), "effect": r.get("effect"),
                 "ci_low": r.get("ci_low"), "ci_high": r.get("ci_high"), "p_worse": r.get("p_worse"),
                 "phases": [[p.kind, p.start_day, p.end_day] for p in a.trial.phases]}
    return {
        "schema_version": a.schema_version,
        "reference": a.provenance.reference.name if a.provenance.reference else None,
        "kb_version": a.provenance.kb_version,
        "scores": dict(sorted(a.scores.items())),
        "indices": {x.key: {"status": x.status, "value": x.value, "coverage": x.coverage} for x in a.indices},
        "metric_percentiles": {p.feature: [p.value, p.percentile, p.ci_low, p.ci_high]
                               for p in a.placements if p.kind == "metric"},
        "sanity": [[c.code, c.severity, c.value, c.taxid] for c in a.sanity],
        "panels": {p.condition: {"score": p.score, "interval": list(p.interval) if p.interval else None,
                                 "counts": dict(sorted(p.counts.items())),
                                 "items": [[i.feature, i.grade, i.alignment] for i in p.items],
                                 "main_point_items": [i.feature for i in p.items if i.main_point_eligible],
                                 "validation": p.validation.status, "lean_main_point": p.lean_main_point}
                   for p in a.skin.panels},
        "recommendations": [r.rule_id for r in a.recommendations],
        "gate": {"ok": a.gate.ok, "rule_ids": sorted(a.gate.rule_ids)},
        "trial": trial,
    }
