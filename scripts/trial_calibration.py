#!/usr/bin/env python
"""Calibration study of the elimination-trial analysis; writes ``docs/trial-calibration.md``.

Usage::

    .venv/bin/python scripts/trial_calibration.py                 # full run (a few minutes on 2 cores)
    .venv/bin/python scripts/trial_calibration.py --quick -o /tmp/cal.md   # smoke run

Every setting gets its own seed derived from its parameters, so the numbers do not depend on the number of
workers or on the order of the settings. The simulation model and the analysis are the package's own
(:mod:`gutskin.trial.simulate`, :mod:`gutskin.trial.analysis` via :mod:`gutskin.trial.calibration`).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import scipy
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from gutskin.trial.analysis import PHI_PRIOR_AB, lag_response, washout_mask  # noqa: E402
from gutskin.trial.calibration import Outcome, Setting, run_setting  # noqa: E402
from gutskin.trial.simulate import eating_pattern  # noqa: E402

PHIS = (0.3, 0.5, 0.7)
TAUS = (0.0, 2.5, 5.0)
MISSING = (0.10, 0.25)
TRENDS = (-0.03, 0.0, 0.03)
MID = 1.0
SEED = 2026

TARGET_FALSE_TRIGGER = 0.05
TARGET_POWER = 0.85
TARGET_NOT_TRIGGER = 0.45


@dataclass(frozen=True)
class Job:
    """One simulation cell: the setting, how many diaries, and how to analyse them."""

    setting: Setting
    n: int
    method: str = "full"
    washout_days: int = 2
    lag_max_days: int = 6
    tau_prior_scale: float | None = None
    tag: str = "main"


def _run(job: Job) -> tuple[Job, Outcome]:
    out = run_setting(job.setting, job.n, washout_days=job.washout_days, lag_max_days=job.lag_max_days, mid=MID,
                      seed=SEED, method=job.method, tau_prior_scale=job.tau_prior_scale)
    return job, out


def oracle_power(setting: Setting, washout_days: int = 0, reps: int = 400, alpha: float = 0.05) -> float:
    """Power of the ideal test that knows phi, tau and sigma (GLS z-test), averaged over missing-day patterns.

    No real analysis can beat this: it is the information the design holds about the effect.
    """
    rng = np.random.default_rng(setting.seed(SEED + 1))
    eating = eating_pattern(setting.lengths)
    n_t = eating.size
    lag = np.arange(n_t)
    cov = setting.phi ** np.abs(lag[:, None] - lag[None, :])
    design = np.column_stack([np.ones(n_t), lag_response(eating, setting.tau), (lag - lag.mean()) / n_t])
    keep = ~washout_mask(eating, washout_days)
    z_alpha = stats.norm.isf(alpha)
    powers = []
    for _ in range(reps):
        obs = keep & (rng.random(n_t) >= setting.missing)
        x = design[obs]
        info = x.T @ np.linalg.solve(cov[np.ix_(obs, obs)], x)
        se = np.sqrt(np.linalg.inv(info)[1, 1])
        powers.append(stats.norm.sf(z_alpha - setting.effect / se))
    return float(np.mean(powers))


def reml_phi_spread(setting: Setting, n: int = 2000) -> tuple[float, float]:
    """Mean and SD of the REML estimate of phi (flat prior, step model) over ``n`` no-effect diaries."""
    from gutskin.trial.analysis import fit
    from gutskin.trial.simulate import simulate_batch

    rng = np.random.default_rng(setting.seed(SEED + 2))
    eating = eating_pattern(setting.lengths)
    y, observed, _ = simulate_batch(n, eating, effect=0.0, phi=setting.phi, tau=0.0, missing=setting.missing,
                                    trend=setting.trend, rng=rng)
    used = observed & ~washout_mask(eating, 2)[None, :]
    grid = np.linspace(-0.5, 0.97, 60)
    post = fit(y, used, eating, [0.0], phi_grid=grid, phi_logprior=np.zeros(grid.size))
    est = grid[np.argmax(post.weights, axis=1)]
    return float(est.mean()), float(est.std())


def main_jobs(n_null: int, n_alt: int) -> list[Job]:
    jobs = [Job(Setting(phi, 0.0, m, tr, 0.0), n_null) for phi, m, tr in itertools.product(PHIS, MISSING, TRENDS)]
    for effect in (2.0, 1.0):
        jobs += [Job(Setting(phi, tau, m, tr, effect), n_alt)
                 for phi, tau, m, tr in itertools.product(PHIS, TAUS, MISSING, TRENDS)]
    return jobs


def extra_jobs(n: int) -> list[Job]:
    jobs: list[Job] = []
    # the comparison method and the fast-lag prior, on the cells that matter most
    for phi, tau, tr, effect in [(0.3, 0.0, 0.0, 0.0), (0.7, 0.0, 0.0, 0.0), (0.7, 0.0, -0.03, 0.0),
                                 (0.5, 0.0, 0.0, 0.0), (0.3, 0.0, 0.0, 2.0), (0.7, 0.0, 0.0, 2.0),
                                 (0.5, 5.0, 0.0, 2.0), (0.7, 5.0, 0.0, 2.0), (0.7, 5.0, 0.0, 1.0)]:
        s = Setting(phi, tau, 0.25, tr, effect)
        jobs.append(Job(s, n, method="plain", tag="plain"))
        jobs.append(Job(s, n, tau_prior_scale=3.0, tag="fastlag"))
        jobs.append(Job(s, n, tag="ref"))
    # longer designs for the hard corner (phi 0.7, slow skin)
    for lengths in [(14, 28, 28), (14, 28, 14, 28), (14, 42, 28), (21, 42, 28)]:
        for effect in (0.0, 2.0):
            jobs.append(Job(Setting(0.7, 5.0, 0.25, 0.0, effect, lengths=lengths), n, tag="design"))
    # acne / psoriasis defaults: 14/42/28 days, 3-day washout, lag averaged over 0–10 days
    for phi, tau, tr, effect in itertools.product((0.5, 0.7), (0.0, 5.0, 8.0), (0.0, -0.03), (0.0, 2.0)):
        if effect == 0.0 and tau > 0:
            continue
        jobs.append(Job(Setting(phi, tau, 0.25, tr, effect, lengths=(14, 42, 28)), n, washout_days=3,
                        lag_max_days=10, tag="acne"))
    return jobs


SCENARIO_START = "<!-- scenarios:start (written by scripts/trial_calibration.py --scenarios-only) -->"
SCENARIO_END = "<!-- scenarios:end -->"
ACNE = dict(lengths=(14, 42, 28))
SCENARIOS: list[tuple[str, dict]] = [
    ("none (reference)", {}),
    ("28-day cycle, swing ±1 point", {"cycle_amplitude": 1.0}),
    ("28-day cycle, swing ±2 points", {"cycle_amplitude": 2.0}),
    ("step at elimination: skin 1 point better from day 1 of the elimination, for good", {"step_at_elimination": -1.0}),
    ("step at elimination: 2 points better", {"step_at_elimination": -2.0}),
    ("step at elimination: 1 point worse", {"step_at_elimination": 1.0}),
    ("flares: one every ~30 days on average, +2 points for 5 days", {"flare_rate": 1 / 30, "flare_size": 2.0}),
    ("flares: one every ~14 days on average, +3 points for 5 days", {"flare_rate": 1 / 14, "flare_size": 3.0}),
    ("queue of 3 foods, corrected (each food at one-sided 0.05/3)", {"n_foods": 3}),
]


def scenario_jobs(n: int) -> list[Job]:
    """Acne defaults, no true effect, one assumption broken at a time (plus the multiplicity correction)."""
    jobs = []
    for tag, extra in SCENARIOS:
        s = Setting(0.5, 2.5, 0.10, 0.0, 0.0, **ACNE, **extra)
        jobs.append(Job(s, n, washout_days=3, lag_max_days=10, tag="scenario:" + tag))
    return jobs


def scenario_block(results: dict[Job, Outcome], n: int, elapsed: float) -> str:
    by_tag = {j.tag: o for j, o in results.items() if j.tag.startswith("scenario:")}
    ref = by_tag["scenario:none (reference)"]
    lines = [SCENARIO_START, "", "## Table 8 — when the model's assumptions break (no true effect)", "",
             "Acne defaults (ABA 14/42/28 days, 3-day washout, lag averaged over 0–10 days), phi 0.5, tau 2.5, 10 % "
             f"missing days, no trend, no effect of the food; {n:,} simulated diaries per row "
             f"(± one Monte Carlo SE; {elapsed:.0f} s). The analysis does not model any of these.", "",
             "The verdict rule for one food is unchanged by the multiplicity rule (one-sided 0.05), so Tables 1-7 "
             "still hold; what changed is what is shown beside it: the 90 % interval whose ends are the two "
             "one-sided bounds the rule reads (a queue of k foods uses 0.05/k per food and a 1 − 0.1/k interval), "
             "and no verdict before the plan's last day (a 'so far' reading instead).", "",
             "| scenario | false `trigger` % | `not_trigger` % |", "|---|---|---|"]
    for tag, _ in SCENARIOS:
        o = by_tag["scenario:" + tag]
        lines.append(f"| {tag} | {pct(o.trigger, o)} | {pct(o.not_trigger, o)} |")
    q = by_tag["scenario:queue of 3 foods, corrected (each food at one-sided 0.05/3)"]
    fw_corr = 1 - (1 - q.trigger) ** 3
    fw_raw = 1 - (1 - ref.trigger) ** 3
    def rate(tag: str) -> str:
        return pct(by_tag["scenario:" + tag].trigger)

    c1, c2 = rate(SCENARIOS[1][0]), rate(SCENARIOS[2][0])
    s1, s2, s3 = rate(SCENARIOS[3][0]), rate(SCENARIOS[4][0]), rate(SCENARIOS[5][0])
    f1, f2 = rate(SCENARIOS[6][0]), rate(SCENARIOS[7][0])
    lines += ["", "Reading it:", "",
              f"- **Cycle.** False triggers with a 28-day swing of ±1 and ±2 points: {c1} % and {c2} % (reference "
              f"{pct(ref.trigger)} %). The cycle mostly adds noise, so clear `not_trigger` answers become rarer.",
              f"- **Step at elimination.** A change that starts together with the elimination and never goes away "
              f"(a new moisturiser or treatment, the season) gives {s1} % false triggers at 1 point and {s2} % at 2 "
              f"points ({s3} % when the change makes skin worse). Only the reintroduction phase can show that an "
              "improvement did not go away with the food, and a lasting change muddles it: this is why the plan says "
              "to change one thing at a time, and why a `new_skincare` entry in the diary is turned into a warning "
              "next to the verdict.",
              f"- **Flares.** Random flares: {f1} % and {f2} % false triggers.",
              f"- **A queue of foods.** Each food tested at one-sided 0.05 would give a family-wise false-trigger "
              f"rate of about {100 * fw_raw:.1f} % over three foods with no effect (from the reference row, "
              f"1 − (1 − p)³); with the Bonferroni rule the analysis applies (0.05/3 per food) it is about "
              f"{100 * fw_corr:.1f} %.", "",
              "Reproduce: `.venv/bin/python scripts/trial_calibration.py --scenarios-only` (rewrites only this "
              "section).", "", SCENARIO_END]
    return "\n".join(lines)


def patch_scenarios(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if SCENARIO_START in text and SCENARIO_END in text:
        head, rest = text.split(SCENARIO_START, 1)
        tail = rest.split(SCENARIO_END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def pct(p: float, out: Outcome | None = None) -> str:
    if out is None:
        return f"{100 * p:.1f}"
    return f"{100 * p:.1f} ± {100 * out.mcse(p):.1f}"


def fmt_trend(tr: float) -> str:
    return "0" if tr == 0 else f"{tr:+.2f}"


def write_doc(path: Path, results: dict[Job, Outcome], args: argparse.Namespace, elapsed: float) -> None:
    main = {j.setting: o for j, o in results.items() if j.tag == "main"}
    nulls = sorted((s for s in main if s.effect == 0.0), key=lambda s: (s.phi, s.missing, s.trend))
    power = sorted((s for s in main if s.effect == 2.0), key=lambda s: (s.phi, s.tau, s.missing, s.trend))
    mids = sorted((s for s in main if s.effect == 1.0), key=lambda s: (s.phi, s.tau, s.missing, s.trend))
    worst_fp = max(nulls, key=lambda s: main[s].trigger)
    nt_cells = [s for s in nulls if s.trend == 0.0]
    worst_nt = min(nt_cells, key=lambda s: main[s].not_trigger)
    worst_pw = min(power, key=lambda s: main[s].trigger)
    fp_fail = [s for s in nulls if main[s].trigger > TARGET_FALSE_TRIGGER]
    nt_fail = [s for s in nt_cells if main[s].not_trigger < TARGET_NOT_TRIGGER]
    pw_fail = [s for s in power if main[s].trigger < TARGET_POWER]
    pooled_nt = float(np.mean([main[s].not_trigger for s in nt_cells]))
    pooled_pw = float(np.mean([main[s].trigger for s in power]))
    worst_fr = max(mids, key=lambda s: main[s].not_trigger)
    worst_bias = max(abs(main[s].mean_estimate - s.effect) / s.effect for s in power)
    oracle = {s: oracle_power(s) for s in power if s.tau == 5.0 and s.trend == 0.0}

    def cell(s: Setting) -> str:
        return f"phi {s.phi}, tau {s.tau:g}, missing {s.missing:.0%}, trend {fmt_trend(s.trend)}"

    def status(ok: bool) -> str:
        return "**met**" if ok else "**missed**"

    lines: list[str] = []
    add = lines.append
    add("# Elimination-trial analysis: calibration by simulation")
    add("")
    add(f"Generated by `scripts/trial_calibration.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"({elapsed / 60:.1f} min wall time, {args.workers} worker process(es), {os.cpu_count()} CPUs; Python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}). Base seed {SEED}; every "
        "cell has its own seed derived from its parameters, so re-running reproduces these numbers exactly.")
    add("")
    add(f"Diaries per cell: {args.n_null} with no effect (false-`trigger` rates need the precision), "
        f"{args.n_alt} with an effect, {args.n_extra} in the extra tables. ± values are Monte Carlo standard "
        "errors, sqrt(p(1 − p)/n), in percentage points.")
    add("")
    add("## Targets")
    add("")
    add("The issue asks for false `trigger` ≤ 5 % *in every noise setting*; the power and `not_trigger` targets are "
        "stated without that qualifier, so both readings are shown: over the whole settings grid (the mean over "
        "its cells), and cell by cell.")
    add("")
    add("| target | over the settings grid | cell by cell | worst cell |")
    add("|---|---|---|---|")
    add(f"| no effect: `trigger` ≤ 5 % in every setting | max {pct(main[worst_fp].trigger, main[worst_fp])} % | "
        f"{status(not fp_fail)}: {len(nulls) - len(fp_fail)}/{len(nulls)} cells within target | {cell(worst_fp)} |")
    add(f"| effect 2: `trigger` ≥ 85 % | {status(pooled_pw >= TARGET_POWER)}: {pct(pooled_pw)} % | "
        f"{status(not pw_fail)}: {len(power) - len(pw_fail)}/{len(power)} cells within target | "
        f"{cell(worst_pw)}: {pct(main[worst_pw].trigger, main[worst_pw])} % |")
    add(f"| no effect, no trend: `not_trigger` ≥ 45 % | {status(pooled_nt >= TARGET_NOT_TRIGGER)}: "
        f"{pct(pooled_nt)} % | "
        f"{status(not nt_fail)}: {len(nt_cells) - len(nt_fail)}/{len(nt_cells)} cells within target | "
        f"{cell(worst_nt)}: "
        f"{pct(main[worst_nt].not_trigger, main[worst_nt])} % |")
    add(f"| (not in the issue; tracked) effect = mid: `not_trigger` (false reassurance) | max "
        f"{pct(main[worst_fr].not_trigger, main[worst_fr])} % | | {cell(worst_fr)} |")
    add("")
    if pw_fail or nt_fail or fp_fail:
        add("Cells that miss a target:")
        add("")
        for s in fp_fail:
            add(f"- false `trigger` {pct(main[s].trigger, main[s])} %: {cell(s)}")
        for s in pw_fail:
            add(f"- power {pct(main[s].trigger, main[s])} %: {cell(s)}")
        for s in nt_fail:
            add(f"- `not_trigger` {pct(main[s].not_trigger, main[s])} %: {cell(s)}")
        add("")
        add("Why, and what would fix them, is discussed under *Where the targets are missed* below.")
        add("")
    add("## What was simulated")
    add("")
    add("Each diary follows the default ABA schedule: 14 days baseline (eating the food), 28 days elimination, "
        "14 days reintroduction (56 days). For day t the outcome is")
    add("")
    add("    y_t = round_0.5( clip_[0,10]( 5 + effect * (r_t - 1/2) + trend * (t - 27.5) + e_t ) )")
    add("")
    add("- `r_t` is the exposure the skin feels: `r_t = r_{t-1} + a (x_t - r_{t-1})`, `a = 1 - exp(-1/tau)`, "
        "x_t = 1 when eating; tau = 0 is an instant response, tau = 5 days means the skin is ~63 % of the way "
        "to its new level after 5 days and ~94 % after 14;")
    add("- `e_t` is stationary AR(1) noise with coefficient phi and standard deviation 1 (the day-to-day SD is 1; "
        "innovations have SD sqrt(1 − phi²));")
    add("- each day is missing independently with probability `missing`; trend is in points per day;")
    add(f"- the effect is in points on the 0–10 scale, positive = worse; the smallest change that matters is "
        f"mid = {MID:g}.")
    add("")
    add("The analysis is exactly `gutskin.trial.analyze` with the defaults of the conditions whose schedule is "
        "14/28/14 (eczema, rosacea, other): 2-day analytic washout after each diet change, lag time constant "
        "averaged over 0–6 days.")
    add("")
    add("## The method, and why")
    add("")
    ref = {(j.tag, j.setting): o for j, o in results.items() if j.tag in ("ref", "plain", "fastlag")}
    null7 = Setting(0.7, 0.0, 0.25, 0.0, 0.0)
    plain_p0 = f"{pct(ref[('plain', null7)].worse_test)} %"
    reml_mean, reml_sd = reml_phi_spread(null7)
    worst_p0 = max(nulls, key=lambda s: main[s].worse_test)
    worst_p0_text = f"{pct(main[worst_p0].worse_test)} %"
    full_p0 = f"{pct(ref[('ref', null7)].worse_test)} %"
    add(f"""The model (see `src/gutskin/trial/analysis.py` for formulas and references): outcome = intercept +
effect × lagged exposure r_t(tau) + linear trend + AR(1) noise, fitted by GLS with an exact Prais–Winsten
transform that bridges missing days (no imputation). Inference is Bayesian with flat priors on the regression
coefficients and 1/sigma on the scale, which integrate out in closed form; what remains is a grid over the
autocorrelation phi (40 values, Beta{PHI_PRIOR_AB} prior on (0, 1)) and the lag tau (0, 1, …, 6 days,
uniform), weighted by the restricted (REML) likelihood. The effect's posterior is a mixture of Student-t
distributions; the verdict uses one-sided 95 % rules:

- `trigger` if P(effect > 0) ≥ 0.95 and P(effect ≥ mid) ≥ 0.5 (confidently worse, best estimate at least mid);
- `not_trigger` if P(effect ≥ mid) ≤ 0.05 (a worsening of mid or more ruled out);
- otherwise `inconclusive`, with an estimate of how many more days would settle it.

Why these choices:

1. **Short series bias the autocorrelation low.** With 40–50 usable days the autocorrelation is poorly
   known: at phi = 0.7 (25 % missing) even the REML estimate averages {reml_mean:.2f} with SD {reml_sd:.2f}
   (ML, which ignores the fitted regression, is lower still); a plug-in GLS t-test then under-states the
   standard error
   (Table 5: the plug-in method's one-sided test against 0 fires in {plain_p0} of no-effect diaries at
   phi = 0.7, against {full_p0} for ours). Two fixes are combined: the REML
   likelihood (which accounts for the fitted regression and removes most of the bias) and *averaging* over phi
   instead of plugging in a point estimate, so uncertainty about phi widens the interval exactly as much as it
   should. The Beta(3, 2) prior (mean 0.6) encodes that daily skin ratings are persistent; it makes the method
   slightly conservative at phi = 0.3, where there is power to spare, and keeps the `trigger` verdict under
   5 % at phi = 0.7 (the one-sided test on its own is at {worst_p0_text} there; see *Reading the numbers*).
2. **Lag is modelled, not only discarded.** A 7-day washout throws away a quarter of the days and still leaves
   bias when the skin is slow. Modelling the exposure the skin feels (exponential approach) and averaging over
   the unknown time constant uses the transition days, keeps the average estimate within {100 * worst_bias:.0f} % of
   the true effect for tau from 0 to 5 (Table 2), and lets the analytic washout be short (2 days: delayed
   reactions appear within 48 h).
3. **A linear trend is always in the model.** Skin that settles after the flare that prompted the trial
   (regression to the mean) is the classic false trigger. In the symmetric ABA design a linear trend is nearly
   orthogonal to the eating contrast, so the term costs little precision here; it matters for asymmetric
   schedules (a longer reintroduction, ABAB ending in elimination, a diary analysed part-way), where a settling
   skin would otherwise look like a food effect.
4. **Everything is closed-form and vectorised**, so the whole grid runs in minutes.
""")
    add("## Table 1 — no effect (effect = 0): false `trigger` and `not_trigger`")
    add("")
    add("With no effect the lag time constant is irrelevant (nothing lags), so each row stands for every tau.")
    add("")
    add("*P(worse) ≥ 0.95* is the one-sided test against 0 on its own, i.e. the false-`trigger` rate if `mid` "
        "were tiny; the `trigger` verdict also needs the estimate to reach `mid`.")
    add("")
    add("| phi | missing | trend | trigger % | P(worse) ≥ 0.95 % | not_trigger % | inconclusive % | mean estimate "
        "| 95 % interval coverage % |")
    add("|---|---|---|---|---|---|---|---|---|")
    for s in nulls:
        o = main[s]
        add(f"| {s.phi} | {s.missing:.0%} | {fmt_trend(s.trend)} | {pct(o.trigger, o)} | "
            f"{pct(o.worse_test, o)} | {pct(o.not_trigger, o)} | {pct(o.inconclusive)} | {o.mean_estimate:+.2f} | "
            f"{pct(o.coverage or 0)} |")
    add("")
    for title, group, key in [("Table 2 — effect = 2 points: power (`trigger`)", power, "trigger"),
                              ("Table 3 — effect = mid = 1 point: false reassurance (`not_trigger`)", mids,
                               "not_trigger")]:
        add(f"## {title}")
        add("")
        if key == "trigger":
            add("| phi | tau | missing | trend | trigger % | not_trigger % | mean estimate | coverage % |")
            add("|---|---|---|---|---|---|---|---|")
        else:
            add("| phi | tau | missing | trend | not_trigger % | trigger % | mean estimate | coverage % |")
            add("|---|---|---|---|---|---|---|---|")
        for s in group:
            o = main[s]
            a, b = (o.trigger, o.not_trigger) if key == "trigger" else (o.not_trigger, o.trigger)
            add(f"| {s.phi} | {s.tau:g} | {s.missing:.0%} | {fmt_trend(s.trend)} | {pct(a, o)} | {pct(b, o)} | "
                f"{o.mean_estimate:+.2f} | {pct(o.coverage or 0)} |")
        add("")
    add("## Where the targets are missed, and why")
    add("")
    add("**Power when the skin is slow (tau = 5) and the noise persistent (phi ≥ 0.5).** The information in a "
        "56-day ABA diary is the limit here, not the method. The table gives the power of an *oracle* that knows "
        "phi, tau and the noise SD exactly and uses the optimal GLS z-test at one-sided 5 % (no washout, no "
        "rounding): even it barely reaches 85 % at phi = 0.7.")
    add("")
    add("**Table 4 — information bound (tau 5, no trend).**")
    add("")
    add("| phi | missing | power of the oracle % | power of the analysis % |")
    add("|---|---|---|---|")
    for s in sorted(oracle, key=lambda s: (s.phi, s.missing)):
        add(f"| {s.phi} | {s.missing:.0%} | {pct(oracle[s])} | {pct(main[s].trigger, main[s])} |")
    add("")
    add("The gap between oracle and analysis is the price of not knowing phi and tau from one short diary. A longer "
        "reintroduction closes it, because slow skin then reaches its new level while the food is eaten (Table 6); "
        "a second elimination alone (ABAB) helps little. When a diary ends `inconclusive`, the analysis says how "
        "many more days would settle it.")
    add("")
    fr = Setting(0.7, 5.0, 0.25, 0.0, 1.0)
    extra = {(j.tag, j.setting): o for j, o in results.items() if j.tag != "main"}
    null_design = Setting(0.7, 5.0, 0.25, 0.0, 0.0)
    nt = Setting(0.7, 0.0, 0.25, 0.0, 0.0)
    add("**`not_trigger` under no effect at phi ≥ 0.5.** Ruling out a worsening of `mid` must hold whatever the "
        "lag is; with a slow lag only the later days of the 14-day reintroduction show the full effect, so the "
        "upper bound stays wide. Methods that assume a fast response rule out more often, but they also "
        "reassure falsely more often when the skin is in fact slow (Table 5, phi 0.7, 25 % missing): "
        f"`not_trigger` under no effect / under an effect of exactly `mid` with tau 5 is "
        f"{pct(ref[('ref', nt)].not_trigger)} / {pct(ref[('ref', fr)].not_trigger)} % for our method, "
        f"{pct(ref[('fastlag', nt)].not_trigger)} / {pct(ref[('fastlag', fr)].not_trigger)} % with the fast-lag "
        f"prior and {pct(ref[('plain', nt)].not_trigger)} / {pct(ref[('plain', fr)].not_trigger)} % for the "
        "plain method. We chose not to buy the `not_trigger` target with false reassurance: telling someone a food "
        "is safe when it worsens their skin by the amount they care about is the more harmful error. Longer "
        "phases raise `not_trigger` at phi 0.7: "
        f"{pct(extra[('design', replace(null_design, lengths=(14, 42, 28)))].not_trigger)} % with 14/42/28 days "
        "(Table 6).")
    add("")
    ref_cells = sorted({s for (tag, s) in extra if tag == "ref"}, key=lambda s: (s.effect, s.phi, s.tau, s.trend))
    add("## Table 5 — the method against alternatives (missing 25 %)")
    add("")
    add("*plain*: step change, 7-day washout, trend, autocorrelation plugged in at its REML estimate, t "
        "distribution — the baseline the issue mentions. *fast-lag prior*: the full method with "
        "p(tau) ∝ exp(−tau/3) instead of uniform. Each entry is `trigger` % / `not_trigger` % / one-sided test "
        "P(worse) ≥ 0.95 % (false when effect = 0, power when 2; `not_trigger` at effect 1 = false reassurance), "
        f"{args.n_extra} diaries per cell.")
    add("")
    add("| phi | tau | trend | effect | full | plain | fast-lag prior |")
    add("|---|---|---|---|---|---|---|")
    for s in ref_cells:
        row = [f"{pct(extra[(t, s)].trigger)} / {pct(extra[(t, s)].not_trigger)} / {pct(extra[(t, s)].worse_test)}"
               for t in ("ref", "plain", "fastlag")]
        add(f"| {s.phi} | {s.tau:g} | {fmt_trend(s.trend)} | {s.effect:g} | " + " | ".join(row) + " |")
    add("")
    add("## Table 6 — longer designs for the hard corner (phi 0.7, tau 5, missing 25 %, no trend)")
    add("")
    add("| design (days) | false trigger % (effect 0) | not_trigger % (effect 0) | power % (effect 2) |")
    add("|---|---|---|---|")
    design_cells = sorted({s.lengths for (tag, s) in extra if tag == "design"}, key=lambda x: (len(x), sum(x)))
    for lengths in design_cells:
        s0 = Setting(0.7, 5.0, 0.25, 0.0, 0.0, lengths=lengths)
        s2 = replace(s0, effect=2.0)
        o0, o2 = extra[("design", s0)], extra[("design", s2)]
        label = ("ABAB " if len(lengths) == 4 else "ABA ") + "/".join(str(n) for n in lengths)
        if lengths == (14, 28, 14):
            label += " (default)"
        add(f"| {label} | {pct(o0.trigger, o0)} | {pct(o0.not_trigger, o0)} | {pct(o2.trigger, o2)} |")
    add("")
    add("## Table 7 — acne and psoriasis defaults (14/42/28 days, 3-day washout, lag averaged over 0–10 days; "
        "missing 25 %)")
    add("")
    add("| phi | tau | trend | effect | trigger % | not_trigger % | mean estimate |")
    add("|---|---|---|---|---|---|---|")
    acne = sorted((s for (tag, s) in extra if tag == "acne"), key=lambda s: (s.effect, s.phi, s.tau, s.trend))
    for s in acne:
        o = extra[("acne", s)]
        add(f"| {s.phi} | {s.tau:g} | {fmt_trend(s.trend)} | {s.effect:g} | {pct(o.trigger, o)} | "
            f"{pct(o.not_trigger, o)} | {o.mean_estimate:+.2f} |")
    add("")
    add("## Reading the numbers")
    add("")
    add(f"- The one-sided test against 0 on its own (Table 1, *P(worse) ≥ 0.95*) reaches "
        f"{pct(main[worst_p0].worse_test, main[worst_p0])} % at {cell(worst_p0)}: the phi-averaged posterior is "
        "very slightly liberal there. The `trigger` verdict stays under 5 % because it also asks the estimate to "
        "reach `mid`; a person who sets `mid` near 0 should expect false triggers up to that rate at phi 0.7.")
    if not fp_fail:
        add("- A false `trigger` (no effect, verdict trigger) would make someone avoid a food for nothing; it stays "
            f"under 5 % in every cell (at most {pct(main[worst_fp].trigger)} %), including phi = 0.7 with 25 % "
            "missing days and a ±0.03/day trend.")
    else:
        add(f"- A false `trigger` exceeds 5 % in {len(fp_fail)} cell(s), listed under Targets.")
    add("- Coverage above 95 % at phi = 0.3 shows where the method is conservative (the phi prior and the lag "
        "averaging widen the interval when neither is needed).")
    add("- `mean estimate` is the posterior mean averaged over diaries. With a slow lag (tau 5) it sits a little "
        "below the true effect, because the 14-day reintroduction ends before the skin has fully responded; with an "
        "instant response a little above, because the lag averaging reads part of the jump as a response still "
        f"building up. The largest relative deviation in Table 2 is {100 * worst_bias:.0f} %.")
    fr_taus = sorted({s.tau for s in mids if main[s].not_trigger > 0.05})
    if fr_taus:
        add("- False reassurance (Table 3) exceeds 5 % only for tau in {" + ", ".join(f"{t:g}" for t in fr_taus)
            + "}: the same attenuation when the skin is slow.")
    add("")
    add("Reproduce: `.venv/bin/python scripts/trial_calibration.py` (options: `--n-null`, `--n-alt`, `--n-extra`, "
        "`--workers`, `-o`).")
    add("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(jobs: Iterable[Job], workers: int) -> dict[Job, Outcome]:
    jobs = list(jobs)
    # biggest first, so the two workers finish together
    jobs.sort(key=lambda j: -j.n * sum(j.setting.lengths))
    if workers <= 1:
        return dict(map(_run, jobs))
    with Pool(workers) as pool:
        return dict(pool.imap_unordered(_run, jobs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "trial-calibration.md")
    parser.add_argument("--n-null", type=int, default=8000, help="diaries per no-effect cell")
    parser.add_argument("--n-alt", type=int, default=2000, help="diaries per effect cell")
    parser.add_argument("--n-extra", type=int, default=2000, help="diaries per cell of the extra tables")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="200 diaries per cell (smoke test)")
    parser.add_argument("--n-scenario", type=int, default=4000, help="diaries per row of Table 8")
    parser.add_argument("--scenarios-only", action="store_true",
                        help="run only Table 8 (broken assumptions) and rewrite that section of the document")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_null = args.n_alt = args.n_extra = args.n_scenario = 200
    if args.scenarios_only:
        started = time.perf_counter()
        res = run(scenario_jobs(args.n_scenario), args.workers)
        patch_scenarios(args.output, scenario_block(res, args.n_scenario, time.perf_counter() - started))
        print(f"wrote Table 8 into {args.output}", file=sys.stderr)
        return 0
    started = time.perf_counter()
    results = run(main_jobs(args.n_null, args.n_alt) + extra_jobs(args.n_extra), args.workers)
    elapsed = time.perf_counter() - started
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_doc(args.output, results, args, elapsed)
    started = time.perf_counter()
    res = run(scenario_jobs(args.n_scenario), args.workers)
    patch_scenarios(args.output, scenario_block(res, args.n_scenario, time.perf_counter() - started))
    print(f"wrote {args.output} ({len(results) + len(res)} cells, {elapsed:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
