#!/usr/bin/env python
"""Placement calibrated on independent healthy people: where do healthy people land against each reference?

For every healthy set in ../shared/data, each person is measured exactly as a report measures them (the same
`insights.measure` and `insights.panels` code) against a reference that does NOT contain their set:

* a set with a method-matched partner set is tested against a reference built from the partner
  (MetaPhlAn 4: CAMDA ↔ psoriasis_143 controls; MetaPhlAn 3: psoriasis_100 controls ↔ kefir adults;
  16S Greengenes: HMP1 ↔ TwinsUK);
* a set with no partner is split by person into two halves, each tested against a reference built from the other
  (BIO-ML donors, infants) or, for the pooled GMHI set, by study (leave-study-out).

Measured: for every knowledge-base feature, the share of healthy people called low / high / absent (quartile tails:
about 25 % each is nominal); for every skin finding, the share on the patients' side; for every condition, the median
lean (nominal 0). The result is written as JSON (``src/gutskin/reference/data/calibration.json``: which findings are
placed against which reference) and as the placement section of ``docs/placement.md``.

    .venv/bin/python scripts/placement_study.py [--data ../shared/data] [--max-people 60]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import healthy_sets
import numpy as np
import pandas as pd

from gutskin import __version__
from gutskin.insights.measure import SampleMeasurer
from gutskin.insights.panels import build_panel
from gutskin.knowledge.loader import load_kb
from gutskin.reference import build_reference
from gutskin.reference.measures import metric_values
from gutskin.reference.model import Reference

ROOT = Path(__file__).resolve().parents[1]
CALIBRATION = ROOT / "src" / "gutskin" / "reference" / "data" / "calibration.json"
DOC = ROOT / "docs" / "placement.md"
#: a finding is shown as placed only if at most this share of independent healthy people sit on the patients' side
MAX_TOWARD = 0.40
#: and a condition's lean is called calibrated only if healthy people's median lean is within this of 0
MAX_MEDIAN_LEAN = 0.15
SEED = 11


@dataclass
class Pairing:
    test: str  # healthy set measured
    reference_from: str  # healthy set the reference is built from ("" = complementary half / other studies)
    shipped: str  # the shipped reference this pairing calibrates
    split: str = "partner"  # partner | halves | studies


PAIRINGS = [
    Pairing("psoriasis143_controls", "camda_mpa4", "camda2024-healthy-mpa4"),
    Pairing("camda_mpa4", "psoriasis143_controls", "psoriasis143-controls-mpa4"),
    Pairing("kefir_mpa3", "psoriasis100_controls", "psoriasis100-controls-mpa3"),
    Pairing("psoriasis100_controls", "kefir_mpa3", "kefir-adults-mpa3"),
    Pairing("gmhi_mpa2", "", "gmhi2020-healthy-mpa2", "studies"),
    Pairing("hmp1_16s", "twinsuk_16s", "twinsuk-16s-gg"),
    Pairing("twinsuk_16s", "hmp1_16s", "hmp1-healthy-16s-gg"),
    Pairing("poyet_16s", "", "bioml-donors-16s-gtdb", "halves"),
    Pairing("infant_16s", "", "infant-16s-gtdb", "halves"),
]


def _ref(hs: healthy_sets.HealthySet, idx: np.ndarray, name: str) -> Reference:
    mask = np.zeros(hs.profile.n_samples, dtype=bool)
    mask[idx] = True
    return build_reference(hs.profile, mask, name=name, licence="study only", age_group=hs.age_group,
                           taxonomy=hs.naming)


def _people(n: int, max_people: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, size=min(n, max_people), replace=False))


def measure_people(hs: healthy_sets.HealthySet, idx: np.ndarray, ref: Reference, kb, conditions, population):
    """Per person: feature statuses and, per condition, alignments and the lean (the report's own code)."""
    sub = hs.profile.take_samples(idx)
    values, warnings = metric_values(sub, ref.metric_rank)
    status_rows, align_rows, lean_rows = [], [], []
    features = kb.features()
    for i, sample in enumerate(sub.samples):
        one = sub.take_samples([i])
        measurer = SampleMeasurer(one, ref, kb, (values.iloc[[i]], warnings))
        ms = {f.id: measurer.measure(f) for f in features}
        for fid, m in ms.items():
            status_rows.append({"sample": sample, "feature": fid, "status": m.status})
        for cond in conditions:
            panel = build_panel(cond, ms, kb, population)
            lean_rows.append({"sample": sample, "condition": cond, "lean": panel.score})
            for item in panel.items:
                align_rows.append({"sample": sample, "condition": cond, "feature": item.feature,
                                   "direction": item.direction, "alignment": item.alignment, "weight": item.weight})
    return pd.DataFrame(status_rows), pd.DataFrame(align_rows), pd.DataFrame(lean_rows)


def run_pairing(p: Pairing, data, max_people: int, kb, conditions) -> dict:
    rng = np.random.default_rng(SEED)
    test = healthy_sets.load(p.test, data)
    population = "infant" if test.age_group == "infant" else "adult"
    parts = []
    if p.split == "partner":
        other = healthy_sets.load(p.reference_from, data)
        ref = _ref(other, np.arange(other.profile.n_samples), f"study-{p.reference_from}")
        parts.append((_people(test.profile.n_samples, max_people, rng), ref))
        ref_desc = f"{other.name} (n={ref.n})"
    elif p.split == "halves":
        subjects = test.metadata["Subject"].astype(str).to_numpy() if "Subject" in test.metadata else \
            np.array(test.profile.samples)
        uniq = np.unique(subjects)
        half = set(rng.choice(uniq, size=len(uniq) // 2, replace=False))
        in_a = np.array([s in half for s in subjects])
        for build, tested in ((~in_a, in_a), (in_a, ~in_a)):
            ref = _ref(test, np.flatnonzero(build), "study-half")
            idx = np.flatnonzero(tested)
            if test.age_group == "infant":  # one visit per infant tested, like one person one report
                ages = test.metadata["Age"].astype(float).to_numpy()[idx]
                frame = pd.DataFrame({"i": idx, "s": subjects[idx], "d": np.abs(ages - 6)}).sort_values(["s", "d"])
                idx = np.sort(frame.drop_duplicates("s")["i"].to_numpy())
            parts.append((idx[_people(len(idx), max_people // 2, rng)], ref))
        ref_desc = "the other half of the same set, split by person"
    else:  # studies: leave each of the largest studies out of a reference built from the rest
        groups = test.group.to_numpy()
        big = pd.Series(groups).value_counts()
        big = big[big >= 40].index[:4]
        for g in big:
            build = groups != g
            ref = _ref(test, np.flatnonzero(build), f"study-not-{g}")
            idx = np.flatnonzero(groups == g)
            parts.append((idx[_people(len(idx), max_people // len(big) + 1, rng)], ref))
        ref_desc = f"the other studies of the set (left out in turn: {', '.join(map(str, big))})"
    st, al, le = [], [], []
    for idx, ref in parts:
        s, a, lean = measure_people(test, idx, ref, kb, conditions, population)
        st.append(s)
        al.append(a)
        le.append(lean)
    status, align, lean = pd.concat(st), pd.concat(al), pd.concat(le)
    n = status["sample"].nunique()
    shares = status.pivot_table(index="feature", columns="status", values="sample", aggfunc="count", fill_value=0)
    for col in ("low", "high", "absent", "typical", "not_measured"):
        if col not in shares:
            shares[col] = 0
    measured = shares[["low", "high", "absent", "typical"]].sum(axis=1)
    features = {}
    for fid, row in shares.iterrows():
        m = int(measured[fid])
        if m == 0:
            continue
        features[fid] = {"n": m, "low": row["low"] / m, "high": row["high"] / m, "absent": row["absent"] / m}
    # a feature is placed against this reference only if neither tail holds more than MAX_TOWARD of healthy
    # people (both sides: dropping only the patients' side would push every lean the other way)
    placed_features = {fid for fid, v in features.items()
                       if v["low"] + v["absent"] <= MAX_TOWARD and v["high"] <= MAX_TOWARD}
    findings = {}
    placed = align[align["alignment"].isin(["toward", "away", "neither"])]
    for (cond, fid), grp in placed.groupby(["condition", "feature"]):
        toward = float((grp["alignment"] == "toward").mean())
        findings[f"{cond}|{fid}"] = {"n": len(grp), "toward": toward, "direction": grp["direction"].iat[0],
                                     "placed": fid in placed_features}
    leans = {}
    for cond, grp in lean.groupby("condition"):
        raw = grp["lean"].dropna()
        leans[cond] = {"n": int(raw.size), "median": float(raw.median()) if raw.size else None}
    # the lean as the report shows it: only features that stay placed against this reference
    calibrated = {}
    for cond, grp in align.groupby("condition"):
        vals = []
        for _, g in grp.groupby("sample"):
            g = g[g["alignment"].isin(["toward", "away", "neither"]) & (g["weight"] > 0)
                  & g["feature"].isin(placed_features)]
            if g.empty:
                continue
            s = g["alignment"].map({"toward": 1.0, "away": -1.0, "neither": 0.0}).to_numpy()
            w = g["weight"].to_numpy()
            vals.append(float((w * s).sum() / w.sum()))
        calibrated[cond] = {"n": len(vals), "median": float(np.median(vals)) if vals else None}
    after = {}
    for key, v in findings.items():
        if v["placed"]:
            after[key] = v["toward"]
    return {"test": p.test, "test_description": test.description, "method": test.method, "naming": test.naming,
            "shipped": p.shipped, "reference": ref_desc, "people": n, "features": features, "findings": findings,
            "placed_features": sorted(placed_features), "lean_raw": leans, "lean_placed": calibrated,
            "max_toward_placed": max(after.values()) if after else None}


def calibration_table(results: list[dict]) -> dict:
    out = {"generated_by": "scripts/placement_study.py", "gutskin": __version__, "max_toward": MAX_TOWARD,
           "max_median_lean": MAX_MEDIAN_LEAN, "references": {}}
    for r in results:
        out["references"][r["shipped"]] = {
            "tested_with": r["test"], "people": r["people"],
            "features": {fid: {"low": round(v["low"] + v["absent"], 3), "high": round(v["high"], 3),
                               "placed": fid in r["placed_features"]} for fid, v in r["features"].items()},
            "lean": {c: {"median": None if v["median"] is None else round(v["median"], 3),
                         "calibrated": v["median"] is not None and abs(v["median"]) <= MAX_MEDIAN_LEAN}
                     for c, v in r["lean_placed"].items()},
        }
    return out


def write_doc(results: list[dict], path: Path) -> None:
    lines = [
        "# Placement of healthy people (calibration study)",
        "",
        f"Generated by `scripts/placement_study.py` with gutskin {__version__}. Do not edit by hand; rerun the script.",
        "",
        "Each healthy set is measured, one person at a time with the report's own code, against a reference that "
        "does not contain it. Quartile tails are nominal at 25 %. A skin finding is shown as placed against a "
        f"reference only if at most {MAX_TOWARD:.0%} of independent healthy people land on the patients' side; the "
        f"lean of a condition is called calibrated only if healthy people's median lean is within ±{MAX_MEDIAN_LEAN}. "
        "The rule is applied per feature and to both tails (low or absent, and high): dropping only findings on the "
        "patients' side would push every healthy lean the other way. `src/gutskin/reference/data/calibration.json` "
        "carries the result into every report (features not placed say so; a lean that is not calibrated is not "
        "shown).",
        "",
        "| healthy set tested | people | method / naming | reference built from | calibrates | findings placed | "
        "findings not shown as placed | largest share on the patients' side among placed findings | Shannon tails "
        "low / high | worst median lean (all findings) | worst median lean (placed findings) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        f = r["findings"]
        over = [k for k, v in f.items() if not v["placed"]]
        sh = r["features"].get("diversity-alpha", {})
        raw = [v["median"] for v in r["lean_raw"].values() if v["median"] is not None]
        placed = [v["median"] for v in r["lean_placed"].values() if v["median"] is not None]
        worst_raw = max(raw, key=abs) if raw else float("nan")
        worst_placed = max(placed, key=abs) if placed else float("nan")
        lines.append(
            f"| {r['test']} | {r['people']} | {r['method']}, {r['naming']} | {r['reference']} | {r['shipped']} | "
            f"{len(f) - len(over)} of {len(f)} | {len(over)} | "
            f"{'n/a' if r['max_toward_placed'] is None else format(r['max_toward_placed'], '.0%')} | "
            f"{sh.get('low', float('nan')):.0%} / {sh.get('high', float('nan')):.0%} | {worst_raw:+.2f} | "
            f"{worst_placed:+.2f} |")
    lines += ["", "## Per condition: median lean of healthy people", "",
              "| healthy set | " + " | ".join(sorted(results[0]["lean_raw"])) + " |",
              "|---|" + "---|" * len(results[0]["lean_raw"])]
    for r in results:
        cells = []
        for c in sorted(results[0]["lean_raw"]):
            a = r["lean_raw"].get(c, {}).get("median")
            b = r["lean_placed"].get(c, {}).get("median")
            cells.append(("n/a" if a is None else f"{a:+.2f}") + " → " + ("n/a" if b is None else f"{b:+.2f}"))
        lines.append(f"| {r['test']} | " + " | ".join(cells) + " |")
    lines += ["", "Each cell: all findings → placed findings only (what the report shows).", "",
              "## Features not shown as placed (share of healthy people in each tail)", ""]
    for r in results:
        dropped = sorted(set(r["features"]) - set(r["placed_features"]))
        if dropped:
            lines.append(f"- against **{r['shipped']}** (tested with {r['test']}): " + "; ".join(
                f"{fid} (low/absent {r['features'][fid]['low'] + r['features'][fid]['absent']:.0%}, high "
                f"{r['features'][fid]['high']:.0%})" for fid in dropped))
    lines += ["", "## Feature tails (share of healthy people low / high / absent)", "",
              "| feature | " + " | ".join(r["test"] for r in results) + " |",
              "|---|" + "---|" * len(results)]
    feats = sorted({k for r in results for k in r["features"]})
    for fid in feats:
        cells = []
        for r in results:
            v = r["features"].get(fid)
            cells.append("" if v is None else f"{v['low']:.0%} / {v['high']:.0%} / {v['absent']:.0%}")
        lines.append(f"| {fid} | " + " | ".join(cells) + " |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--max-people", type=int, default=60, help="people measured per healthy set")
    parser.add_argument("--only", default=None, help="comma-separated test sets (default: all)")
    parser.add_argument("--json", default=str(ROOT / "docs" / "placement.json"))
    args = parser.parse_args()
    kb = load_kb()
    conditions = [c.id for c in kb.conditions() if c.gut_evidence != "none"]
    wanted = args.only.split(",") if args.only else None
    results = []
    for p in PAIRINGS:
        if wanted and p.test not in wanted:
            continue
        r = run_pairing(p, args.data, args.max_people, kb, conditions)
        over = sum(1 for v in r["findings"].values() if not v["placed"])
        print(f"{p.test:24s} vs {p.shipped:28s} people={r['people']:3d} findings={len(r['findings'])} over40={over}")
        results.append(r)
    Path(args.json).write_text(json.dumps(results, indent=1, default=float) + "\n", encoding="utf-8")
    if not wanted:
        CALIBRATION.write_text(json.dumps(calibration_table(results), indent=1, sort_keys=True) + "\n",
                               encoding="utf-8")
        write_doc(results, DOC)


if __name__ == "__main__":
    main()
