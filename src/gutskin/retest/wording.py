"""The sentences a person reads: what changed beyond usual variation, what did not, what cannot be known.

No quantity is called "improved" or "worse". Shares and diversity "rose" or "fell"; for a key genus the
knowledge base's evidence on its direction is quoted per condition (with grade), including "studies disagree".
"""

from __future__ import annotations

from functools import cache

from . import model as M
from .quantities import key_genera, limit_text

_CONDITION_NAMES = {"atopic_dermatitis": "eczema (atopic dermatitis)", "hidradenitis_suppurativa":
                    "hidradenitis suppurativa", "chronic_spontaneous_urticaria": "chronic urticaria",
                    "seborrhoeic_dermatitis": "seborrhoeic dermatitis"}


@cache
def direction_evidence(key: str) -> str:
    """What the knowledge base says about a key genus: per condition, higher/lower in patients, grade, conflicts."""
    from ..knowledge import load_kb

    name = key.partition(".")[2]
    fid = next((f for f, display, _ in key_genera() if display == name), None)
    if fid is None:
        return ""
    kb = load_kb()
    parts = []
    for cond in kb.conditions():
        if not kb.associations(condition=cond.id, feature=fid):
            continue
        g = kb.grade(cond.id, fid)
        where = _CONDITION_NAMES.get(cond.id, cond.id)
        if g.conflict or g.direction == "mixed":
            parts.append(f"{where}: studies disagree (grade {g.grade})")
        elif g.direction == "up":
            parts.append(f"{where}: higher in patients (grade {g.grade})")
        elif g.direction == "down":
            parts.append(f"{where}: lower in patients (grade {g.grade})")
        else:
            parts.append(f"{where}: no difference found (grade {g.grade})")
    if not parts:
        return "no graded skin evidence on its direction"
    return "; ".join(parts)


def _moved(q: M.QuantityChange) -> str:
    word = "rose" if (q.change or 0) > 0 else "fell"
    if q.group == "panel":
        condition = q.label.removesuffix(" panel lean")
        word = ("moved toward" if (q.change or 0) > 0 else "moved away from") + \
            f" the gut pattern reported in {condition.lower()}"
    return f"{q.label} {word} ({q.change_text}; usual variation {limit_text(q.scale, q.usual_variation)})"


def summarise(quantities: list[M.QuantityChange], distances: list[M.DistanceChange],
              family: str) -> tuple[list[str], list[str], list[str]]:
    changed, within, unknowable = [], [], []
    for q in quantities:
        if q.verdict == M.Verdict.changed:
            line = _moved(q)
            if q.group == "taxon":
                line += ". Whether this matters for skin: " + (q.evidence or "no graded evidence")
            changed.append(line + ".")
    ok = [q.label for q in quantities if q.verdict == M.Verdict.within]
    if ok:
        within.append(f"{len(ok)} quantities stayed within usual variation: " + ", ".join(ok[:12])
                      + (f" and {len(ok) - 12} more" if len(ok) > 12 else "") + ".")
    for d in distances:
        if d.verdict == M.Verdict.cannot:
            unknowable.append(f"{d.label}: {d.reason}.")
            continue
        where = f"larger than {d.same_person_percentile:.0f} % of distances between two samples of the same person"
        if d.different_people_percentile is not None:
            where += f" and than {d.different_people_percentile:.0f} % of distances between two different people"
        sentence = f"{d.label} between the tests is {d.value:.3g}: {where}."
        (changed if d.verdict == M.Verdict.changed else within).append(sentence)
    cannot = [q for q in quantities if q.verdict == M.Verdict.cannot]
    for q in cannot:
        unknowable.append(f"{q.label}: {q.reason}.")
    unknowable.append("Two tests cannot tell a lasting change from a passing swing, nor what caused a change; a third "
                      "test some weeks later, made the same way, can.")
    if family == "shotgun":
        unknowable.append("Shotgun usual variation rests on 13 people of one study; treat the lines as approximate.")
    return changed, within, unknowable
