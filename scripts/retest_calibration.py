#!/usr/bin/env python
"""Calibrate the retest verdicts on real repeated samples and write ``docs/retest.md``.

    .venv/bin/python scripts/retest_calibration.py [--shared ../shared/data] [-o docs/retest.md]

Leave-one-person-out: for every person with repeated samples, the usual-variation limits are estimated from all
*other* people of the same method family, and every pair of that person's samples is judged. A "changed" verdict
on such a pair is a false alarm (nothing was done on purpose; the kefir study is the exception, see the doc). The
rate is averaged with every person weighted once. The power proxy is the share of pairs of two *different* people
(same cohort, same method) called "changed" with the full-data limits. Same seed and pairs as
``scripts/build_variability.py``.
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "src"))

import build_variability as B  # noqa: E402

from gutskin.retest.quantities import spec  # noqa: E402

#: The limit's percentile follows the new-person rule of ``build_variability.limit_level`` (False: the plain
#: 95th percentile, kept to show the difference in the doc).
NEW_PERSON_RULE = True


def _limits(var: pd.DataFrame, dif: pd.DataFrame, col: str, exclude: str | None) -> tuple[float, float]:
    v = var[col].drop(index=exclude, errors="ignore").dropna() if exclude else var[col].dropna()
    d = dif[dif["subject"] != exclude] if exclude else dif
    d = d[["subject", col]].dropna()
    if len(v) < 3:
        return math.nan, math.nan
    sem = math.sqrt(float(v.mean()))
    if sem == 0:  # never moved in the repeat data: no limit is shipped for it
        return math.nan, math.nan
    mdc = 1.96 * math.sqrt(2) * sem
    vals, w = d[col].to_numpy(dtype=float), B.subject_weights(d["subject"])
    level = B.limit_level(d["subject"].nunique()) if NEW_PERSON_RULE else 0.95
    return mdc, max(mdc, B.upper_quantile(vals, w, level))


def _pooled(ms: list[B.Measured]) -> tuple[pd.DataFrame, pd.DataFrame]:
    var, dif = [], []
    for m in ms:
        pairs = [(f"{m.rs.cohort}:{s}", a, b) for s, a, b in m.within]
        var.append(B.subject_variances(m.scaled, pairs))
        dif.append(B.abs_differences(m.scaled, pairs))
    return pd.concat(var), pd.concat(dif, ignore_index=True)


def _between_abs(ms: list[B.Measured], col: str) -> np.ndarray:
    out = []
    for m in ms:
        if col not in m.scaled.columns or m.rs.meta["subject"].nunique() < 10:
            continue
        for a, b in m.between:
            out.append(abs(m.scaled.loc[b, col] - m.scaled.loc[a, col]))
    return np.asarray(out, dtype=float)


def _bootstrap_ci(rates: np.ndarray, rng: np.random.Generator, n: int = 2000) -> tuple[float, float]:
    """95 % interval of the mean per-person rate, resampling people (the unit the limits generalise over)."""
    if len(rates) < 2:
        return math.nan, math.nan
    means = rng.choice(rates, size=(n, len(rates)), replace=True).mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def calibrate_quantities(ms: list[B.Measured]) -> pd.DataFrame:
    bio = [m for m in ms if m.rs.kind == "biological"]
    tech = [m for m in ms if m.rs.kind == "technical"]
    var, dif = _pooled(bio)
    cohort_of = {f"{m.rs.cohort}:{s}": m.rs.cohort for m in bio for s, _, _ in m.within + m.within_long}
    long_pairs = [(f"{m.rs.cohort}:{s}", a, b, m) for m in bio for s, a, b in m.within_long]
    long_dif = (pd.concat([B.abs_differences(m.scaled, [(s, a, b)]) for s, a, b, m in long_pairs], ignore_index=True)
                if long_pairs else pd.DataFrame())
    _tvar, tdif = _pooled(tech) if tech else (None, None)
    rng = np.random.default_rng(B.SEED)
    rows = []
    for col in sorted(var.columns):
        present = B._people_present(bio, col)
        if present < B.MIN_PEOPLE_PRESENT:
            continue
        people = dif["subject"].unique()
        fa_mdc, fa_lim, who = [], [], []
        for person in people:
            mdc, lim = _limits(var, dif, col, person)
            d = dif.loc[dif["subject"] == person, col].dropna().to_numpy(dtype=float)
            if not len(d) or math.isnan(lim):
                continue
            fa_mdc.append(float((d > mdc).mean()))
            fa_lim.append(float((d > lim).mean()))
            who.append(person)
        if not who:
            continue
        long_rates = []
        if len(long_dif) and col in long_dif.columns:
            for person, grp in long_dif.groupby("subject"):
                d = grp[col].dropna().to_numpy(dtype=float)
                _mdc, lim = _limits(var, dif, col, person)
                if len(d) and not math.isnan(lim):
                    long_rates.append(float((d > lim).mean()))
        mdc_all, lim_all = _limits(var, dif, col, None)
        between = _between_abs(bio, col)
        between = between[~np.isnan(between)]
        tech_rate = math.nan
        if tdif is not None and col in tdif.columns:
            t = tdif[col].dropna().to_numpy(dtype=float)
            tech_rate = float((t > lim_all).mean()) if len(t) else math.nan
        sem = math.sqrt(float(var[col].dropna().mean()))
        tsem = (math.sqrt(float(_tvar[col].dropna().mean())) if _tvar is not None and col in _tvar.columns
                and _tvar[col].notna().sum() >= 3 else math.nan)
        rates = np.asarray(fa_lim)
        lo, hi = _bootstrap_ci(rates, rng)
        by_cohort = pd.Series(rates, index=[cohort_of[p] for p in who]).groupby(level=0).mean().to_dict()
        rows.append({"quantity": col, "label": spec(col).label, "scale": spec(col).scale, "people": len(who),
                     "people_present": present, "mdc95": mdc_all, "limit": lim_all, "sem": sem,
                     "technical_sem": tsem,
                     "false_changed_mdc95": float(np.mean(fa_mdc)), "false_changed_limit": float(rates.mean()),
                     "ci_low": lo, "ci_high": hi, "by_cohort": by_cohort,
                     "long_gap_changed": float(np.mean(long_rates)) if long_rates else math.nan,
                     "long_gap_people": len(long_rates),
                     "technical_changed": tech_rate,
                     "different_people_changed": float((between > lim_all).mean()) if len(between) else math.nan,
                     "different_pairs": len(between)})
    return pd.DataFrame(rows)


def calibrate_distances(ms: list[B.Measured]) -> pd.DataFrame:
    bio = [m for m in ms if m.rs.kind == "biological"]
    tech = [m for m in ms if m.rs.kind == "technical"]
    rows = []
    for metric in ("braycurtis", "aitchison"):
        frames = []
        for m in bio:
            f = B.pair_distance_frame(m, [(a, b) for _, a, b in m.within])
            f["subject"] = [f"{m.rs.cohort}:{s}" for s, _, _ in m.within]
            frames.append(f)
        same = pd.concat(frames, ignore_index=True).dropna(subset=[metric])
        rates = []
        for person in same["subject"].unique():
            rest = same[same["subject"] != person]
            level = B.limit_level(rest["subject"].nunique()) if NEW_PERSON_RULE else 0.95
            thr = B.upper_quantile(rest[metric].to_numpy(float), B.subject_weights(rest["subject"]), level)
            mine = same.loc[same["subject"] == person, metric].to_numpy(float)
            rates.append(float((mine > thr).mean()))
        level = B.limit_level(same["subject"].nunique()) if NEW_PERSON_RULE else 0.95
        thr_all = B.upper_quantile(same[metric].to_numpy(float), B.subject_weights(same["subject"]), level)
        diff = np.concatenate([B.pair_distance_frame(m, m.between)[metric].to_numpy(float) for m in bio
                               if m.rs.meta["subject"].nunique() >= 10])
        diff = diff[~np.isnan(diff)]
        tech_rate = math.nan
        if tech:
            t = np.concatenate([B.pair_distance_frame(m, [(a, b) for _, a, b in m.within])[metric].to_numpy(float)
                                for m in tech])
            tech_rate = float((t > thr_all).mean())
        rows.append({"quantity": metric, "label": spec(metric).label, "people": len(rates), "limit": thr_all,
                     "false_changed_limit": float(np.mean(rates)), "technical_changed": tech_rate,
                     "different_people_changed": float((diff > thr_all).mean()), "different_pairs": len(diff)})
    return pd.DataFrame(rows)


def _pct(x: float) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f} %"


def _num(x: float) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"


def table(q: pd.DataFrame, with_mdc: bool = True) -> str:
    head = ("| quantity | scale | people | MDC95 | usual variation (limit) | false “changed”, MDC95 only | "
            "false “changed”, limit (95 % CI) | pairs > 1 year apart “changed” | technical pairs “changed” | "
            "different people “changed” |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    lines = []
    for r in q.itertuples():
        few = " (few)" if r.people < 20 else ""
        ci = "" if math.isnan(r.ci_low) else f" ({_pct(r.ci_low)}–{_pct(r.ci_high)})"
        lines.append(f"| {r.label} | {r.scale} | {r.people}{few} | {_num(r.mdc95)} | {_num(r.limit)} | "
                     f"{_pct(r.false_changed_mdc95)} | {_pct(r.false_changed_limit)}{ci} | "
                     f"{_pct(r.long_gap_changed)} | {_pct(r.technical_changed)} | "
                     f"{_pct(r.different_people_changed)} |")
    return head + "\n".join(lines) + "\n"


def rcv_table(q: pd.DataFrame) -> str:
    """The RCV split on each quantity's scale: technical SEM (CV_A) from re-sequenced specimens, biological
    (CV_I) = √(SEM² − technical²), and the technical share of the variance."""
    rows = ["| quantity | scale | SEM (all) | technical SEM (CV_A) | biological SEM (CV_I) | technical share of "
            "variance |", "|---|---|---:|---:|---:|---:|"]
    for r in q.itertuples():
        if math.isnan(r.technical_sem):
            continue
        bio = math.sqrt(max(r.sem**2 - r.technical_sem**2, 0.0))
        rows.append(f"| {r.label} | {r.scale} | {_num(r.sem)} | {_num(r.technical_sem)} | {_num(bio)} | "
                    f"{_pct(min(r.technical_sem**2 / r.sem**2, 1.0))} |")
    return "\n".join(rows) + "\n"


def cohort_table(q: pd.DataFrame) -> str:
    """Per cohort: the median false-changed rate over quantities and how many meet the target, with pooled limits."""
    frame = pd.DataFrame(list(q["by_cohort"]), index=q["quantity"])
    rows = ["| cohort | quantities | median false “changed” | quantities ≤ 5 % | highest |", "|---|---:|---:|---:|---|"]
    for cohort in frame.columns:
        col = frame[cohort].dropna()
        worst = col.idxmax()
        rows.append(f"| {cohort} | {len(col)} | {_pct(col.median())} | {(col <= 0.05).sum()} | "
                    f"{_pct(col.max())} ({spec(worst).label}) |")
    return "\n".join(rows) + "\n"


def mpa4_check(ward: B.Measured, shotgun: list[B.Measured]) -> pd.DataFrame:
    """The MetaPhlAn 4 ward pairs judged with the shipped shotgun (MetaPhlAn 3) limits, and their spread."""
    bio = [m for m in shotgun if m.rs.kind == "biological"]
    var, dif = _pooled(bio)
    wpairs = [(f"{ward.rs.cohort}:{s}", a, b) for s, a, b in ward.within]
    wvar, wdif = B.subject_variances(ward.scaled, wpairs), B.abs_differences(ward.scaled, wpairs)
    rows = []
    for col in sorted(c for c in var.columns if c in wvar.columns):
        if B._people_present(bio, col) < B.MIN_PEOPLE_PRESENT:
            continue
        _mdc, lim = _limits(var, dif, col, None)
        d = wdif[col].dropna().to_numpy(dtype=float)
        v = wvar[col].dropna()
        if math.isnan(lim) or len(d) < 5:
            continue
        rows.append({"quantity": col, "label": spec(col).label, "pairs": len(d), "limit": lim,
                     "sem_mpa3": math.sqrt(float(var[col].dropna().mean())),
                     "sem_ward": math.sqrt(float(v.mean())), "changed": float((d > lim).mean())})
    return pd.DataFrame(rows)


def mpa4_table(c: pd.DataFrame) -> str:
    head = ("| quantity | ward pairs | shotgun limit | SEM, kefir (MetaPhlAn 3) | SEM, ward pairs (MetaPhlAn 4) | "
            "ward pairs “changed” |\n|---|---:|---:|---:|---:|---:|\n")
    return head + "\n".join(f"| {r.label} | {r.pairs} | {_num(r.limit)} | {_num(r.sem_mpa3)} | {_num(r.sem_ward)} | "
                             f"{_pct(r.changed)} |" for r in c.itertuples()) + "\n"


def dist_table(d: pd.DataFrame) -> str:
    head = ("| distance (genus rank) | people | limit (new-person quantile, same person) | false “changed” (LOSO) | "
            "technical pairs “changed” | different people “changed” (pairs) |\n|---|---:|---:|---:|---:|---:|\n")
    return head + "\n".join(
        f"| {r.label} | {r.people} | {_num(r.limit)} | {_pct(r.false_changed_limit)} | {_pct(r.technical_changed)} | "
        f"{_pct(r.different_people_changed)} ({r.different_pairs}) |" for r in d.itertuples()) + "\n"


def summary_line(q: pd.DataFrame) -> str:
    ok = q[q["false_changed_limit"] <= 0.05]
    mdc_ok = q[q["false_changed_mdc95"] <= 0.05]
    above = q[q["ci_low"] > 0.05]
    return (f"{len(ok)} of {len(q)} quantities meet the ≤ 5 % target with the limit used "
            f"(median false-changed rate {_pct(q['false_changed_limit'].median())}); for {len(above)} the whole 95 % "
            f"interval lies above 5 %; with MDC95 alone {len(mdc_ok)} of {len(q)} meet it (median "
            f"{_pct(q['false_changed_mdc95'].median())}). Median power proxy (different people called changed): "
            f"{_pct(q['different_people_changed'].median())}.")


def main(argv: list[str] | None = None) -> int:
    global NEW_PERSON_RULE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "retest.md")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(B.SEED)
    sets = [B.measure_set(rs, rng) for rs in B.load_all(args.shared)]
    sections, facts, plain = {}, {}, {}
    for fam in ("shotgun", "16S"):
        ms = [m for m in sets if m.rs.family == fam]
        sections[fam] = (calibrate_quantities(ms), calibrate_distances(ms))
        facts[fam] = [B.cohort_facts(m) for m in ms]
        NEW_PERSON_RULE = False  # the plain 95th percentile, for comparison only
        plain[fam] = calibrate_quantities(ms)
        NEW_PERSON_RULE = True
    ward = next(m for m in sets if m.rs.family == "shotgun_mpa4")
    facts["shotgun_mpa4"] = [B.cohort_facts(ward)]
    check = mpa4_check(ward, [m for m in sets if m.rs.family == "shotgun"])
    text = render_doc(sections, facts, plain, check)
    from gutskin.io import write_atomic

    write_atomic(args.output, text)
    print(f"wrote {args.output}")
    for fam, (q, _d) in sections.items():
        print(fam, summary_line(q))
        print(fam, "(plain 95th percentile)", summary_line(plain[fam]))
    print("MetaPhlAn 4 ward pairs called changed with the shotgun limits: median", _pct(check["changed"].median()))
    return 0


def _sources(facts: list[dict]) -> str:
    rows = ["| cohort | part | people (with repeats; with pairs used) | pairs used (> 1 year, set aside) | "
            "median gap (days) | profiler / database | licence |",
            "|---|---|---:|---:|---:|---|---|"]
    for f in facts:
        gap = "—" if f["gap_days_median"] is None else f"{f['gap_days_median']:.0f}"
        rows.append(f"| {f['cohort']} | {f['kind']} | {f['people']} ({f['people_with_repeats']}; "
                    f"{f['people_with_pairs_used']}) | {f['pairs_used']} ({f['pairs_over_a_year']}) | "
                    f"{gap} | {f['profiler'] or '—'} / {f['database'] or '—'} | {f['licence']} |")
    return "\n".join(rows) + "\n"


SCALES_TABLE = "\n".join([
    "| group | quantities | scale of the change |",
    "|---|---|---|",
    "| diversity | observed, Shannon, Simpson, inverse Simpson, Pielou (Chao1/ACE when counts are given) | "
    "plain difference (Shannon, Simpson, Pielou); log ratio (richness, inverse Simpson) |",
    "| indices | GMHI, GMWI2 (shotgun only), Gevers MD | plain difference |",
    "| phyla | each phylum's share, F/B ratio | ln((after + ε)/(before + ε)), ε = 0.1 %; F/B log ratio |",
    "| guilds | each guild's share | same as phyla |",
    "| key genera | the genus-rank taxa of the knowledge base, present in either test | same as phyla |",
    "| whole community | Bray–Curtis and Aitchison distance between the two tests, genus rank | the distance, "
    "against the distributions of same-person and different-people distances |",
    "| skin panels | each condition's panel lean (−1 away … +1 toward the gut pattern reported in the condition), "
    "against the reference the engine chooses | plain difference; shotgun only (no 16S reference gives panels) |",
]) + "\n"


def reading(sq: pd.DataFrame, aq: pd.DataFrame, ad: pd.DataFrame, plain: dict) -> str:
    """Plain sentences on what the tables show (numbers from the tables, not typed in)."""
    n_shot = int(sq["people"].max())
    worst = aq.sort_values("false_changed_limit").iloc[-1]
    mdc_worst = aq.sort_values("false_changed_mdc95").iloc[-1]
    rich = aq[aq["quantity"].isin(["observed", "chao1", "ace"])]
    pa = plain["16S"]
    return "\n".join([
        f"- Shotgun rates move in steps of one person in {n_shot} ({_pct(1 / n_shot)}): a rate of "
        f"{_pct(1 / n_shot)} means one person's pair crossed a line set by the other {n_shot - 1}. A held-out "
        f"person's change is the largest of {n_shot} exchangeable people's with probability 1/{n_shot}, so no line "
        f"drawn from the other {n_shot - 1} can promise fewer than {_pct(1 / n_shot)} false \"changed\" for a "
        "quantity that moves in everyone: the ≤ 5 % target is out of reach with these data whatever the rule, the "
        "new-person rule already uses the largest change seen, and the intervals above span tens of percent "
        f"(median power proxy {_pct(sq['different_people_changed'].median())}).",
        f"- 16S: with the new-person rule the leave-one-out false-changed rate lies between "
        f"{_pct(aq['false_changed_limit'].min())} and {_pct(worst.false_changed_limit)} ({worst.label}); with the "
        f"plain 95th percentile the median was {_pct(pa['false_changed_limit'].median())} and "
        f"{int((pa['false_changed_limit'] <= 0.05).sum())} of {len(pa)} met the target, at a median power proxy of "
        f"{_pct(pa['different_people_changed'].median())} (now {_pct(aq['different_people_changed'].median())}). "
        f"MDC95 alone reaches {_pct(mdc_worst.false_changed_mdc95)} ({mdc_worst.label}): same-person changes have "
        "heavier tails than a normal curve, so the normal-theory MDC95 is too narrow on its own.",
        f"- Gaps: pairs more than a year apart (TwinsUK mostly) judged with the limits from pairs within a year are "
        f"called changed {_pct(aq['long_gap_changed'].median())} of the time (median over quantities): the gut "
        "drifts over years, and a retest a year or more later needs a wider line than this one.",
        f"- Richness is depth-sensitive: HMP1 re-sequencing pairs of one specimen cross the richness lines "
        f"{_pct(rich['technical_changed'].min())}–{_pct(rich['technical_changed'].max())} of the time, against 0 % "
        "for most shares; compare richness only between tests of similar depth.",
        "- Power is modest everywhere: two different people are called \"changed\" on a given quantity only "
        f"{_pct(aq['different_people_changed'].median())} of the time (16S median), and on whole-community distance "
        + " and ".join(f"{_pct(r.different_people_changed)} ({r.label.split(' distance')[0]})" for r in ad.itertuples())
        + " of the time. A single quantity is a weak instrument; the distances are the strongest signal.",
    ])


def render_doc(sections: dict, facts: dict, plain: dict, check: pd.DataFrame) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    sq, sd = sections["shotgun"]
    aq, ad = sections["16S"]
    kefir = facts["shotgun"][0]
    ward = facts["shotgun_mpa4"][0]
    wider = int((check["sem_ward"] > check["sem_mpa3"]).sum())
    return f"""# Retests: did the gut really change, or is it noise?

`gutskin retest OLD NEW [...]` (and `gutskin.retest.compare_tests`) compares tests of one person. For every
quantity the report shows it gives the change, the **usual variation** between two tests of the same person,
and a verdict: **changed** / **within usual variation** / **cannot compare**. This page explains where the usual
variation comes from, how the verdicts were calibrated on real data, and what the data are too few to say.
Generated by `scripts/retest_calibration.py` on {stamp}; the shipped estimates by `scripts/build_variability.py`
(`src/gutskin/retest/data/variability.json`).

## Using it

```bash
G=.venv/bin/gutskin
$G retest examples/retest/Subj054_time1_S41_metaphlan.txt examples/retest/Subj054_time2_S42_metaphlan.txt \\
   --dates 2026-01-10,2026-04-12 -o retest.html        # or -o retest.json (docs/retest-schema.json)
$G retest A.txt B.txt --labs "Lab X,Lab Y"              # a lab or kit change is flagged first
$G retest A.txt B.txt --trial plan.json                 # names an elimination trial that ran in between
$G report NEW.txt --previous OLD.txt -o report.pdf      # the report with "Since your last test" (HTML or PDF)
```

From Python: `compare_tests([before, after], dates=[...])` returns a `Retest` (pydantic, schema
`gutskin.retest/1`); `render_html(retest)` gives a standalone page and `render_fragment(retest)` the section the
report embeds as "since your last test" (`since_last_test(current, previous)` builds it, `embed_in_report(html,
retest)` places it before the report's methods). `gutskin report NEW.txt --previous OLD.txt -o report.html` (or
`report.pdf`) adds it to the report; the JSON report does not carry it (use `gutskin retest -o retest.json`).
In the web app, "My tests over time" (`/timeline`,
linked from the test list once two tests have a chosen sample) calls `compare_tests` on the account's stored tests
in upload order (one comparison per consecutive pair, plus first → last; the latest trial plan names a trial that
ran between) and shows an overview of every quantity — its value at each test and each step's verdict, in the
words and number format used here — above `render_fragment` of the result, unchanged: the same tests table,
method-change flags, charts and notes as `gutskin retest -o retest.html` (tested word for word in
`tests/web/test_retest_timeline.py`; screenshots `docs/screenshots/web-retest-timeline.png` and `-phone.png`).
Tests are dated by upload, since gutskin does not know when the stool was collected.

## What is compared, on which scale

{SCALES_TABLE}
All per-sample numbers come from the one scoring driver (`gutskin.engine.score`). The log-ratio scale is where
share changes behave: a fall from 20 % to 10 % and one from 2 % to 1 % are the same size. **Pseudo-count rule:**
ε = 0.1 % of the classified community is added to both shares before the log ratio (ln((after + ε)/(before + ε))),
so a taxon moving between absent and a trace does not look infinite; the F/B ratio is taken as
(F + ε)/(B + ε) with the same ε (before, a Bacteroidota share of zero made it missing and a trace made it swing
×400). A share below ε in *both* tests is shown as "absent or below 0.1 % both times" (within usual variation:
no change can be seen), and such pairs are left out of the estimates, where their zero change would shrink the
line for everyone else (see below).

## Where "usual variation" comes from

For each quantity and method family, on its scale: the within-person variance of each person is the mean of
d²/2 over that person's pairs of samples; the standard error of measurement **SEM** is the square root of the mean
over people (every person counts once, however densely sampled); the minimal detectable change is
**MDC95 = 1.96·√2·SEM**, which is the clinical labs' reference change value **RCV = √2·z·√(CV_A² + CV_I²)** with
the analytical (technical) and within-person biological parts together. Same-person changes have heavier tails
than a normal curve, so the line a change must cross (the *limit*) is the larger of MDC95 and an empirical
quantile of same-person changes. That quantile is taken at level **(n + 1)/n · 95 %** for n people (the largest
change seen when that reaches 100 %): a limit is used on a *new* person, and the plain 95th percentile of n people
covers a new person only about n/(n + 1) · 95 % of the time — the finite-sample rule behind prediction limits.
Three rules decide which pairs count:

- **Pairs at most {B.MAX_GAP_DAYS} days apart** (undated kefir visits and technical re-runs kept). Retests are meant
  weeks to months apart; TwinsUK's pairs are mostly 1–2 years apart, and pooled in they set one line for two
  different questions. Pairs further apart are kept aside and judged in the calibration as a check.
- **Share pairs below ε in both samples are not counted.** They are not judged in a retest, and counting their
  zero change shrank the usual variation of rare taxa — and of genera a cohort's taxonomy cannot name at all
  (Greengenes has no *Agathobacter*, *Romboutsia* or *Escherichia-Shigella*; their zeros from TwinsUK and Moving
  Pictures set the line for the Poyet donors who carry them, who were then called "changed" 15–17 % of the time).
- Dense series (Moving Pictures) are thinned to pairs ≥ {B.MIN_GAP_DAYS} days apart, ≤ {B.MAX_PAIRS_PER_PERSON}
  per person, and every person is weighted once.

Whole-community distances are judged against the same new-person quantile of same-person distances and placed as
percentiles among same-person and different-people pairs (chart in the HTML and PDF). Every repeat sample below
comes from a real person:

**Shotgun (MetaPhlAn 3):**

{_sources(facts["shotgun"])}
**16S (genus tables):**

{_sources(facts["16S"])}
**MetaPhlAn 4 (a check, not used for verdicts):**

{_sources(facts["shotgun_mpa4"])}
16S genus tables pool reads not resolved to a genus in rows ending above genus (`…;f__Lachnospiraceae;g__`);
the scripts keep them as placeholder genera (`Lachnospiraceae (unresolved genus)`) so every read counts at every
rank. (Read as they are, a lineage ending at phylum makes `Profile.at_rank("phylum")` keep only such rows and the
phylum shares come out empty — reported to the maintainers; a person's 16S table with such rows shows its phylum
shares as "cannot compare" until that is fixed.)

Technical vs biological. The 16S technical part comes from HMP1 stool specimens sequenced in two to four runs
(same SRS specimen accession; the HMP1 provenance describes them as visits, but the accessions show they are the
same specimen). The biological part (plus technical) comes from Poyet's donors (weeks to months), TwinsUK (the
pairs within a year) and Moving Pictures (two people, pairs ≥ 7 days apart). The shipped file holds, per quantity,
`technical_sem` and `biological_sem = √(SEM² − technical_sem²)` — the RCV's CV_A and CV_I on each quantity's
scale. In the 16S data the technical part is small for diversity — the day-to-day biology dominates, as
Vandeputte et al. 2021 found.

**Shotgun technical part: 0 pairs.** The kefir study's one re-extracted sample (`Subj017_time1_ReExtract_S44`)
has no original profile — not in the shared data and not in the source repository (danielchang2002/GMWI2,
`manuscript_raw/data/raw/kefir_metaphlan3_results`, which lists the same 44 samples) — so no technical pair
exists and nothing can be said about shotgun technical variation from these data; the shotgun estimate is
technical and biological together ({kefir['people_with_repeats']} people, {kefir['pairs_used']} pairs).

**MetaPhlAn 4.** The CAMDA 2024 table's HMP2 samples carry only SRA run accessions: neither the shared files
nor the public copy of the organisers' metadata (`ccm-bioinfo/Camda25_gut`, `DataSets/CAMDA/metadata.csv`:
diagnosis, project, GMHI, hiPCA, Shannon) name the participant, so HMP2's repeated samples cannot be paired and
no healthy (non-IBD) MetaPhlAn 4 estimate could be made. The only same-person MetaPhlAn 4 pairs in the data are
the {ward['people_with_repeats']} COVID-19 ward pairs (admission vs last ward sample; patients and controls,
unlabelled): not "nothing was done" pairs, so they are used only as a check below. MetaPhlAn 4 tests use the
MetaPhlAn 3 estimate with a note. The kefir people drank kefir between visits, so a real effect of kefir would
make the shotgun limits wider than pure noise (conservative for "changed").

### Published anchors

- Vogtmann et al. 2017 (Am J Epidemiol 185:115, doi:10.1093/aje/kww177): duplicate fecal samples, 16S, ICCs
  0.64–1.00 across five collection methods for phyla, alpha and beta diversity — technical variation is small next
  to differences between people. (A range of 0.79–0.99 is also quoted for this paper; the abstract we could check
  gives 0.64–1.00, so that is what we cite.) Our HMP1 re-sequencing pairs agree: their Bray–Curtis distances
  are a fraction of same-person distances over time (see the distance table below).
- Vandeputte et al. 2021 (Nat Commun 12:6740, doi:10.1038/s41467-021-27098-7): for 78 % of genera, day-to-day
  variation within a person exceeded variation between people (quantitative profiles); diversity and evenness
  fluctuate too. Our test–retest ICCs for diversity (see `icc` in the shipped file) are low to moderate, in line.
- Servetas et al. 2026 (NIST; Commun Biol; preprint doi:10.1101/2024.06.05.596628): one stool material sent to
  seven consumer companies gave differences as large as between different donors; one company called replicate
  kits healthy and unhealthy. Hence the lab/kit flag, and the refusal of 16S-vs-shotgun comparisons.
- **No test–retest figure has been published for GMHI or GMWI2**; the shotgun estimates here
  ({kefir['people_with_repeats']} people) are, to our knowledge, the first, and they are wide.

## Refusals and caveats

- 16S vs shotgun → refused, with the reason (different marker, different resolution, different footing for every
  number).
- Different profiler (e.g. MetaPhlAn vs Kraken) or profiler version/database (MetaPhlAn 3 vs 4) → flagged first,
  and only shares (phyla, guilds, key genera) are compared, each with the caveat; diversity, indices and distances
  are "cannot compare".
- Lab or kit: gutskin cannot see them in a file; `--labs` states them, and a change is the first thing shown.
- Fewer than 10,000 reads (counts) or more than 50 % unclassified is said; below 1,000 reads richness is not
  compared.
- Wording never says "improved" or "worse". Key genera "rose" or "fell", and the knowledge base's evidence on
  direction is quoted per condition with its grade, including "studies disagree"; a genus without graded evidence
  says so.
- With ~40 quantities, about 1 in 20 crosses its line by chance: a single "changed" among many is weak news; the
  summary says so.

## Calibration (leave one person out)

Rates are per person (each person weighted once). "False changed" = share of a person's own pairs called changed
with limits estimated without that person (the person's pairs are removed from both the SEM and the quantile).
Target: ≤ 5 % per quantity. The 95 % interval resamples people. "Pairs > 1 year apart" = the pairs left out of the
estimates, judged with limits set without that person. "Technical pairs" = HMP1 re-sequencing pairs judged with
the full 16S limits. "Different people" = pairs of two different people of the same cohort (the power proxy: how
often a real between-person difference is called changed). "People" counts those whose pairs are judged (share
present in at least one sample of a pair); "(few)" marks fewer than 20, where the limit is the largest change seen.

### Why so many quantities missed the target before (build of 2026-12-03 morning: 26 of 59 16S and 5 of 36 shotgun)

1. **Leave-one-out was real** (the person's pairs were removed from the SEM and from the quantile; checked), but
   a limit at the plain 95th percentile of the *other* people is expected to be crossed a little more than 5 % of
   the time by a new person — about half of the quantities land just above 5 % by chance (most misses were
   5.0–5.9 %). The limit now uses the new-person quantile above; both rules are shown.
2. **Structural zeros.** Pairs where a share was absent both times counted as "no change", and a genus that one
   cohort's taxonomy cannot name was "absent" for everyone in that cohort; the per-cohort rates below show the
   result (Poyet donors 15–17 % false "changed" on *Escherichia-Shigella*, *Agathobacter*, *Romboutsia*, other
   cohorts 0 %).
3. **Time gaps were not matched.** TwinsUK's 1–2-year pairs widened the lines for everyone; Poyet's donors
   (months apart) then almost never crossed them and TwinsUK people crossed them more often (per-cohort rates
   below). The estimate now uses pairs within a year.
4. **The scale was right for shares** (log ratio with ε) but not for the F/B ratio (no floor); fixed as above.

### Shotgun (MetaPhlAn 3, kefir study)

{summary_line(sq)}

With the plain 95th percentile: {summary_line(plain["shotgun"])}

{table(sq)}
{dist_table(sd)}
### 16S

{summary_line(aq)}

With the plain 95th percentile: {summary_line(plain["16S"])}

{table(aq)}
{dist_table(ad)}
Technical vs biological (16S; the RCV's two parts on each quantity's scale; HMP1 re-sequenced specimens give the
technical part — 454 V3–V5 against Illumina V4 series, so the split is indicative):

{rcv_table(aq)}
Per cohort (16S, with the pooled limits):

{cohort_table(aq)}
### MetaPhlAn 4 check: COVID-19 ward pairs judged with the shotgun (MetaPhlAn 3) limits

{len(check)} quantities could be measured on both (the ward table has no lineages, so no phylum shares); the
ward pairs' within-person SEM is larger than the kefir one for only {wider} of them. These pairs span a hospital
stay with illness and treatment, so "changed" would be expected more often than 5 % — yet the median share of ward
pairs called changed is {_pct(check["changed"].median())}. Read together: the kefir (MetaPhlAn 3) lines are wide
— 13 people, kefir between visits, up to 61 % unclassified reads in a sample — rather than too narrow, and a
MetaPhlAn 4 retest judged with them will seldom be called "changed". Nothing here is a false-alarm rate.

{mpa4_table(check)}
### Reading these numbers

{reading(sq, aq, ad, plain)}

### What the data are too few to say

- Shotgun: {kefir['people_with_repeats']} people with repeats ({kefir['pairs_used']} pairs), one study, visit
  dates unknown. Every shotgun limit is the largest change seen or close to it, and itself uncertain; a
  leave-one-out rate over {kefir['people_with_repeats']} people moves in steps of several percent.
- MetaPhlAn 4: no pairs of healthy people (see above); the ward check says only whether MetaPhlAn 4 pairs spread
  more or less than the MetaPhlAn 3 ones under a strong disturbance.
- Shotgun technical part: 0 pairs.
- Key genera present in fewer than {B.MIN_PEOPLE_PRESENT} people with repeats get no estimate ("cannot compare").
- Skin-panel leans: shotgun only; 16S pairs show them as "cannot compare". Estimated in this build for:
  {", ".join(sq.loc[sq["quantity"].str.startswith("panel."), "label"]) or "none"}; the other panels' leans did not
  move between any repeat pair (or were not computed), so they get no limit. Leans depend on the insights code and
  the reference at build time (see `panel_references` in the shipped file): rerun both scripts after changing
  either. Leans measured against another reference than the estimate's are not compared.
- Retests more than a year apart: the limits are set on pairs within a year; see the "> 1 year" column.

## JSON

`gutskin retest … -o retest.json` writes the `Retest` model; its schema is `docs/retest-schema.json`
(`schema_version` `gutskin.retest/1`; regenerate with `python -m gutskin.retest.model > docs/retest-schema.json`;
a test checks the file matches the model). The web timeline uses `gutskin.retest.timeline(retest)` (one series per
quantity with each step's verdict); the report's "since your last test" section uses
`gutskin.retest.since_last_test(current, previous)` and `render_fragment`. The shipped estimates are
`gutskin.retest.variability/2` (adds `q_new_person`, `q_level` per quantity and `limit`, `n_people` per
same-person distance distribution; schema-1 files still load).
"""


if __name__ == "__main__":
    raise SystemExit(main())
