#!/usr/bin/env python
"""Write docs/validation.md: does the psoriasis skin panel separate patients from controls?

Runs the shipped knowledge base, unchanged, on the two psoriasis gut cohorts in ../shared/data. Nothing is
fitted to them; each cohort is compared with a healthy reference that does not contain its own controls.

    .venv/bin/python scripts/validate_psoriasis.py [--data ../shared/data] [--out docs/validation.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import numpy as np
from scipy import stats

import cohorts
from gutskin import __version__, reference
from gutskin.insights.validation import auc_with_ci, panel_scores
from gutskin.knowledge.loader import load_kb
from gutskin.reference.features import sample_metrics

ROOT = Path(__file__).resolve().parents[1]

COHORTS = [
    # (loader, label column value for cases, reference that excludes this cohort)
    ("psoriasis_143", "Psoriasis", "camda2024-healthy-mpa4",
     "qqwxp1987/psoriasis_microbiome: 98 psoriasis, 45 healthy (28 are relatives of patients); MetaPhlAn 4 SGB "
     "lineages, read counts"),
    ("psoriasis_100", "psoriasis", "kefir-adults-mpa3",
     "yunusbb/Gut-microbiota-in-Psoriasis: 53 psoriasis, 47 controls; MetaPhlAn 3-era species, read counts"),
]


def evaluate(name: str, case_value: str, ref_name: str, data: str | None) -> dict:
    cohort = cohorts.load(name, data)
    meta = cohort.metadata
    label_col = "disease" if "disease" in meta.columns else "diagnosis"
    cases = meta[label_col].eq(case_value).to_numpy()
    ref = reference.load(ref_name)
    kb = load_kb()
    scores = panel_scores(cohort.profile, ref, "psoriasis", kb)
    s = scores["score"].to_numpy()
    panel = auc_with_ci(s[cases], s[~cases])
    shannon = sample_metrics(cohort.profile)[0]["shannon"].to_numpy()
    # the knowledge base records lower diversity in patients: a lower Shannon should mean "case"
    shan = auc_with_ci(-shannon[cases], -shannon[~cases])
    mw = stats.mannwhitneyu(s[cases][np.isfinite(s[cases])], s[~cases][np.isfinite(s[~cases])])
    return {"name": name, "ref": ref, "panel": panel, "shannon": shan, "p": mw.pvalue,
            "median_cases": float(np.nanmedian(s[cases])), "median_controls": float(np.nanmedian(s[~cases])),
            "checked": float(scores[["toward", "away", "neither"]].sum(axis=1).median()),
            "unknown": float(scores["unknown"].median()), "n_items": int(scores.iloc[0][
                ["toward", "away", "neither", "no_direction", "unknown"]].sum()),
            "mean_toward_cases": float(scores.loc[cases, "toward"].mean()),
            "mean_toward_controls": float(scores.loc[~cases, "toward"].mean()),
            "mean_away_cases": float(scores.loc[cases, "away"].mean()),
            "mean_away_controls": float(scores.loc[~cases, "away"].mean())}


def write_panel_validation(results) -> None:
    """insights/data/validation.json: what each panel shows next to its lean (only psoriasis has labelled data)."""
    cohorts_out = [{"cohort": r["name"], "reference": r["ref"].name, "auc": round(r["panel"].auc, 3),
                    "ci": [round(r["panel"].ci_low, 3), round(r["panel"].ci_high, 3)],
                    "patients": r["panel"].n_cases, "controls": r["panel"].n_controls} for r, _ in results]
    separated = all(c["ci"][0] > 0.5 for c in cohorts_out)
    worst = min(cohorts_out, key=lambda c: c["auc"])
    data = {"generated_by": "scripts/validate_psoriasis.py", "conditions": {"psoriasis": {
        "status": "validated" if separated else "validated_no_separation", "auc": worst["auc"], "ci": worst["ci"],
        "cohorts": cohorts_out}}}
    path = ROOT / "src" / "gutskin" / "insights" / "data" / "validation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def placement_section() -> list[str]:
    """The healthy-placement headline numbers, read from the placement study's output (docs/placement.json)."""
    path = ROOT / "docs" / "placement.json"
    if not path.is_file():
        return ["(run scripts/placement_study.py first)"]
    results = json.loads(path.read_text(encoding="utf-8"))
    lines = ["| healthy set | against | people | findings placed | largest share on the patients' side (placed) | "
             "conditions with |median lean| ≤ 0.15 (placed) | leans not shown |", "|---|---|---|---|---|---|---|"]
    for r in results:
        f = r["findings"]
        placed = sum(1 for v in f.values() if v["placed"])
        leans = [v["median"] for v in r["lean_placed"].values() if v["median"] is not None]
        ok = sum(1 for v in leans if abs(v) <= 0.15)
        worst = r["max_toward_placed"]
        lines.append(f"| {r['test']} | {r['shipped']} | {r['people']} | {placed} of {len(f)} | "
                     f"{'n/a' if worst is None else format(worst, '.0%')} | {ok} of {len(leans)} | {len(leans) - ok} |")
    return lines


def fmt_auc(r) -> str:
    return f"{r.auc:.2f} (95 % CI {r.ci_low:.2f}–{r.ci_high:.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", default=str(ROOT / "docs" / "validation.md"))
    args = parser.parse_args()
    kb = load_kb()
    results = [(evaluate(n, c, r, args.data), desc) for n, c, r, desc in COHORTS]
    write_panel_validation(results)
    lines = [
        "# Validation: the psoriasis skin panel on two real cohorts",
        "",
        f"Generated by `scripts/validate_psoriasis.py` on {dt.date.today().isoformat()} with gutskin {__version__} "
        f"and knowledge base {kb.version}. Do not edit by hand; rerun the script.",
        "",
        "**Question.** For each person, the psoriasis panel scores how many of their gut features sit on the side "
        "reported in psoriasis patients, weighted by evidence grade (−1 to +1; see `gutskin.insights.panels`). "
        "Does that score separate people with psoriasis from controls?",
        "",
        "**Method.** The knowledge base is used exactly as shipped; nothing is fitted or tuned to these cohorts, so "
        "there is no training split and both cohorts are out-of-sample tests. Each cohort is compared with a "
        "healthy reference that does not contain its own controls (the psoriasis control sets that gutskin also "
        "ships are deliberately not used here). AUC = probability that a random patient scores higher than a "
        "random control (ties half); 95 % intervals from 2,000 bootstrap resamples of patients and controls "
        "separately. For comparison, the same AUC for a single generic marker, lower Shannon diversity.",
        "",
        "| cohort | people | reference used | features checked per person (median) | panel score AUC | "
        "median score, patients vs controls | Mann–Whitney p | lower-Shannon AUC |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r, _desc in results:
        p = r["panel"]
        lines.append(
            f"| {r['name']} | {p.n_cases} patients, {p.n_controls} controls | {r['ref'].name} (n={r['ref'].n}) | "
            f"{r['checked']:.0f} of {r['n_items']} (not measurable: {r['unknown']:.0f}) | {fmt_auc(p)} | "
            f"{r['median_cases']:+.2f} vs {r['median_controls']:+.2f} | {r['p']:.2g} | {fmt_auc(r['shannon'])} |")
    lines += ["", "## Cohorts", ""]
    for r, desc in results:
        lines.append(f"- **{r['name']}**: {desc}. Mean features on the patients' side: "
                     f"{r['mean_toward_cases']:.1f} in patients vs {r['mean_toward_controls']:.1f} in controls; "
                     f"on the other side: {r['mean_away_cases']:.1f} vs {r['mean_away_controls']:.1f}.")
    lines += ["", "## What this means", ""]
    aucs = [r["panel"].auc for r, _ in results]
    verdict = []
    for r, _ in results:
        p = r["panel"]
        if p.ci_low > 0.5:
            verdict.append(f"in {r['name']} the panel separates patients from controls better than chance "
                           f"(AUC {p.auc:.2f}), though far from a test")
        elif p.ci_high < 0.5:
            verdict.append(f"in {r['name']} the panel points the wrong way (AUC {p.auc:.2f}): patients look less "
                           "like the published pattern than controls do")
        else:
            verdict.append(f"in {r['name']} the panel does not separate patients from controls (AUC {p.auc:.2f}, "
                           "interval includes 0.5)")
    lines.append("Measured: " + "; ".join(verdict) + ".")
    lines += [
        "",
        f"Across both cohorts the AUCs are {', '.join(f'{a:.2f}' for a in aucs)}. Whatever the numbers, the panel "
        "is a description of where a person sits relative to published group averages, not a classifier: even "
        "the best published gut signatures of psoriasis separate groups only modestly, the studies behind the "
        "knowledge base used different methods (mostly 16S) from these cohorts (shotgun), and several features "
        "cannot be measured in every naming. The report therefore words the panel as a pattern with its "
        "uncertainty and never as a diagnosis. This page is regenerated, not edited, so a change in the "
        "knowledge base shows up here as a change in these numbers.",
        "",
        "Limitations: two cohorts, one country each, cross-sectional; controls in psoriasis_143 include relatives "
        "who share the household environment (see docs/replication.md for the family-pair analysis); "
        "psoriasis_100 is compared with the only independent MetaPhlAn 3 reference, a small kefir-study group "
        "profiled as relative abundance while the cohort's values are estimated read counts.",
        "",
        "Every panel carries this result next to its lean (`Panel.validation`, from `insights/data/validation.json`); "
        "conditions without labelled cohorts say \"not validated\". The lean is never a main point unless its "
        "validation interval lies above 0.5 and healthy people are centred on it (`Panel.lean_main_point`).",
        "",
        "## Healthy people land where they should (placement study)",
        "",
        "From `scripts/placement_study.py` (full tables in docs/placement.md): each healthy set against a reference "
        "that does not contain it. A finding is shown as placed only if at most 40 % of these independent healthy "
        "people sit in either tail (nominal 25 %); a condition's lean is shown only if their median lean is within "
        "±0.15.",
        "",
        *placement_section(),
        "",
        "Caveat: the sets that decide which findings are placed are also the sets these numbers are measured on, so "
        "the ≤ 40 % column holds by construction; the independent evidence is the 'findings placed' column (how much "
        "survives) and the GMHI leave-study-out row, where study-to-study variation alone is tested. Cross-cohort "
        "pairings (different read-count vs relative-abundance outputs, 16S regions V3–V5 vs V4, kefir drinkers, "
        "patients' relatives) lose most taxon findings: the report then says 'not placed' instead of guessing.",
        "",
        "The genus-naming artefact of the issue (Blautia 'high' for 47 of 47 healthy controls) is reproduced and "
        "shown fixed by `scripts/taxonomy_artefact.py` (output in docs/taxonomy_artefact.txt); per-feature "
        "replication across the psoriasis cohorts with FDR, random-effects pooling, family pairs and a power "
        "statement are in docs/replication.md (`scripts/validate_replication.py`). Across MetaPhlAn versions no "
        "quantity kept healthy people centred (docs/transfer.md, `scripts/transfer_study.py`), so nothing is placed "
        "against a reference made with another version or profiler.",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    for r, _ in results:
        print(r["name"], fmt_auc(r["panel"]), "shannon", fmt_auc(r["shannon"]))


if __name__ == "__main__":
    main()
