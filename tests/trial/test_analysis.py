"""The analysis: the estimator against a dense GLS, every verdict on constructed diaries, warnings, orientation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gutskin.errors import InputError
from gutskin.trial import analyze, make_plan, simulate_diary
from gutskin.trial.analysis import fit, lag_response, washout_mask

from .conftest import frame_to_csv


def diary_from_levels(plan, levels: dict[str, float], noise: float = 0.5, seed: int = 1, missing: float = 0.0,
                      **extra_columns) -> pd.DataFrame:
    """A diary whose phases sit at given levels, with a little independent noise (rounded to 0.5)."""
    rng = np.random.default_rng(seed)
    rows = []
    for ph in plan.phases:
        for i in range(ph.days):
            value = levels[ph.name] + noise * rng.standard_normal()
            rows.append({"date": ph.start + timedelta(days=i),
                         "skin_score": float(np.clip(np.round(value * 2) / 2, 0, 10))})
    frame = pd.DataFrame(rows)
    if missing:
        frame.loc[rng.random(len(frame)) < missing, "skin_score"] = np.nan
    for k, v in extra_columns.items():
        frame[k] = v
    return frame


# --- the estimator itself --------------------------------------------------------------------------------------

def dense_gls(y, used, x, phi, tau):
    n_t = y.size
    t = np.arange(n_t)
    design = np.column_stack([np.ones(n_t), lag_response(x, tau), (t - (n_t - 1) / 2) / n_t])[used]
    yy = y[used]
    idx = t[used]
    v = phi ** np.abs(idx[:, None] - idx[None, :])
    vi = np.linalg.inv(v)
    info = design.T @ vi @ design
    beta = np.linalg.solve(info, design.T @ vi @ yy)
    resid = yy - design @ beta
    rss = resid @ vi @ resid
    df = used.sum() - 3
    se = np.sqrt(rss / df * np.linalg.inv(info)[1, 1])
    se_slope = np.sqrt(rss / df * np.linalg.inv(info)[2, 2]) / n_t
    ll = -0.5 * np.linalg.slogdet(v)[1] - 0.5 * np.linalg.slogdet(info)[1] - 0.5 * df * np.log(rss)
    return beta, se, ll, se_slope


def test_gap_bridging_transform_equals_dense_gls():
    rng = np.random.default_rng(3)
    x = np.r_[np.ones(14), np.zeros(28), np.ones(14)]
    y = 5 + 1.5 * lag_response(x, 2.0) + rng.standard_normal(56)
    used = (rng.random(56) > 0.3) & ~washout_mask(x, 2)
    post = fit(y[None], used[None], x, [2.0], phi_grid=np.array([0.35, 0.6]), phi_logprior=np.zeros(2))
    for k, phi in enumerate((0.35, 0.6)):
        beta, se, _, se_slope = dense_gls(y, used, x, phi, 2.0)
        assert post.beta[0, k] == pytest.approx(beta[1], rel=1e-8)
        assert post.se[0, k] == pytest.approx(se, rel=1e-8)
        assert post.slope[0, k] == pytest.approx(beta[2] / 56, rel=1e-7)
        assert post.slope_se[0, k] == pytest.approx(se_slope, rel=1e-7)
    ll0 = dense_gls(y, used, x, 0.35, 2.0)[2]
    ll1 = dense_gls(y, used, x, 0.6, 2.0)[2]
    # posterior weights under a flat prior are the normalised restricted likelihoods
    assert np.log(post.weights[0, 1] / post.weights[0, 0]) == pytest.approx(ll1 - ll0, rel=1e-7, abs=1e-8)


def test_lag_response_and_washout_mask():
    x = np.r_[np.ones(3), np.zeros(10), np.ones(5)]
    assert np.array_equal(lag_response(x, 0.0), x)
    r = lag_response(x, 5.0)
    assert r[2] == 1.0 and 0 < r[3] < 1 and np.all(np.diff(r[3:13]) < 0)
    assert r[12] == pytest.approx(np.exp(-10 / 5), rel=1e-12)
    mask = washout_mask(x, 2)
    assert np.flatnonzero(mask).tolist() == [3, 4, 13, 14]
    assert np.flatnonzero(washout_mask(np.r_[np.zeros(4), np.ones(4)], 3)).tolist() == [0, 1, 2, 4, 5, 6]


def test_mixture_quantiles_and_probabilities_agree():
    rng = np.random.default_rng(8)
    x = np.r_[np.ones(14), np.zeros(28), np.ones(14)]
    y = 5 + 1.0 * x + rng.standard_normal(56)
    post = fit(y[None], np.ones((1, 56), bool), x, [0.0, 3.0])
    for q in (0.025, 0.5, 0.95):
        assert post.cdf(post.quantile(q))[0] == pytest.approx(q, abs=1e-6)
    assert post.prob_ge(-50.0)[0] == pytest.approx(1.0) and post.prob_ge(50.0)[0] == pytest.approx(0.0, abs=1e-12)


# --- every verdict -----------------------------------------------------------------------------------------------

def test_trigger(plan):
    diary = diary_from_levels(plan, {"baseline": 6.5, "elimination": 3.5, "reintroduction": 6.5})
    r = analyze(plan, diary)
    assert r["verdict"] == "trigger"
    assert 2.0 < r["effect"] < 4.0 and r["ci_low"] > 0 and r["bound_low"] > 0
    assert r["p_worse"] > 0.99 and r["p_meaningful"] > 0.9
    assert "worse while eating dairy" in r["summary"] and "unblinded" in r["summary"]
    assert "sure" not in r["summary"]  # no certainty talk from an unblinded diary
    assert "clinician or dietitian" in r["next_step"]
    assert any("supervised food challenge" in s for s in r["next_steps"])  # eczema caution
    # the interval shown is the one the one-sided rule reads: its lower end is above 0
    assert r["ci_level"] == pytest.approx(0.90) and r["ci_low"] == r["bound_low"] > 0


def test_not_trigger(plan):
    diary = diary_from_levels(plan, {"baseline": 4.0, "elimination": 4.0, "reintroduction": 4.0}, noise=0.4)
    r = analyze(plan, diary)
    assert r["verdict"] == "not_trigger"
    assert r["p_meaningful"] <= 0.05 and r["bound_high"] < plan.mid
    assert abs(r["effect"]) < 0.5
    assert "does not look like a trigger" in r["summary"]


def test_inconclusive_with_what_would_settle_it(plan):
    # a half-point effect under noisy, gappy records: fits both "no effect" and "worse by mid"
    diary = diary_from_levels(plan, {"baseline": 5.0, "elimination": 4.5, "reintroduction": 5.0}, noise=1.5,
                              seed=4, missing=0.3)
    r = analyze(plan, diary)
    assert r["verdict"] == "inconclusive"
    assert r["ci_low"] < plan.mid < r["ci_high"] or r["ci_low"] < 0 < r["ci_high"]
    assert "Not settled" in r["summary"]
    # never an extended elimination on one's own: back to eating it, and any second block is planned
    assert r["next_step"].startswith("Go back to eating dairy as usual; do not extend")
    later = " ".join(r["next_steps"][1:])
    assert "extend the elimination by" not in later
    assert "clinician" in later or "practical" in later or "on your own if you wish" in later


def test_no_verdict_before_the_plan_ends(plan):
    diary = diary_from_levels(plan, {"baseline": 6.5, "elimination": 3.5, "reintroduction": 6.5})
    cut = diary[diary["date"] <= plan.phases[2].start + timedelta(days=5)]
    r = analyze(plan, cut)
    assert r["final"] is False and r["verdict"] == "inconclusive" and r["so_far"] == "trigger"
    assert r["summary"].startswith("So far") and "no verdict" in r["summary"]
    assert r["next_step"].startswith("Keep going")
    full = analyze(plan, diary)
    assert full["final"] is True and full["so_far"] is None


def test_a_queue_of_foods_raises_the_bar_for_each(plan):
    from gutskin.trial import make_plan
    from gutskin.trial.analysis import alpha_for

    assert alpha_for(1) == pytest.approx(0.05) and alpha_for(3) == pytest.approx(0.05 / 3)
    queue = make_plan(["dairy", "eggs", "wheat"], "eczema", "2026-01-05")
    diary = diary_from_levels(queue, {"baseline": 6.0, "elimination": 4.5, "reintroduction": 6.0}, seed=2)
    one = analyze(plan, diary_from_levels(plan, {"baseline": 6.0, "elimination": 4.5, "reintroduction": 6.0},
                                          seed=2))
    r = analyze(queue, diary)
    assert r["n_foods"] == 3 and r["ci_level"] == pytest.approx(1 - 0.1 / 3)
    assert (r["ci_high"] - r["ci_low"]) > (one["ci_high"] - one["ci_low"])  # same data, stricter bar


def test_not_enough_days_is_inconclusive_without_numbers(plan):
    diary = diary_from_levels(plan, {"baseline": 5.0, "elimination": 4.0, "reintroduction": 5.0})
    short = diary[diary["date"] <= plan.phases[1].start + timedelta(days=3)]
    r = analyze(plan, short)
    assert r["verdict"] == "inconclusive" and r["effect"] is None and r["p_meaningful"] is None
    assert "not enough usable days" in r["warnings"][0]
    assert r["next_step"].startswith("Keep going")


def test_every_verdict_on_simulated_diaries(plan):
    verdicts = {analyze(plan, simulate_diary(plan, effect=e, phi=0.4, tau=1.0, missing=0.1, seed=s))["verdict"]
                for e, s in [(3.0, 1), (0.0, 3), (1.0, 0)]}
    assert verdicts == {"trigger", "not_trigger", "inconclusive"}


# --- orientation, adherence, warnings -------------------------------------------------------------------------------

def test_higher_is_better_flips_the_sign():
    plan = make_plan("dairy", "eczema", "2026-01-05", better="higher")
    # lower scores while eating = worse when higher is better
    diary = diary_from_levels(plan, {"baseline": 3.5, "elimination": 6.5, "reintroduction": 3.5})
    r = analyze(plan, diary)
    assert r["verdict"] == "trigger" and r["effect"] > 2 and r["difference"] < -2
    assert "sign flipped" in r["definition"]


def test_slips_count_as_exposure_and_poor_adherence_is_flagged(plan):
    diary = diary_from_levels(plan, {"baseline": 6.0, "elimination": 3.0, "reintroduction": 6.0})
    diary["adhered"] = 1.0
    elim = (diary["date"] >= plan.phases[1].start) & (diary["date"] <= plan.phases[1].end)
    slip_days = diary.index[elim][5:25:4]
    diary.loc[slip_days, "adhered"] = 0.0
    r = analyze(plan, diary)
    assert any("poor adherence" in w for w in r["warnings"])
    assert r["n_days_used"] == 56 - 4 - len(slip_days)  # washout (2 + 2) and slip days left out
    assert r["verdict"] == "trigger"


def test_trend_incomplete_diary_skincare_and_missing_adherence_warnings(plan):
    diary = diary_from_levels(plan, {"baseline": 7.0, "elimination": 5.5, "reintroduction": 4.0}, noise=0.3)
    diary["new_skincare"] = 0.0
    diary.loc[20, "new_skincare"] = 1.0
    r = analyze(plan, diary)
    joined = " ".join(r["warnings"])
    assert "strong trend" in joined and "new skincare" in joined and "adherence was not recorded" in joined
    cut = analyze(plan, diary.iloc[:50])
    assert any("interim look" in w for w in cut["warnings"])


def test_constant_diary_is_not_a_trigger(plan):
    diary = diary_from_levels(plan, {"baseline": 2.0, "elimination": 2.0, "reintroduction": 2.0}, noise=0.0)
    r = analyze(plan, diary)
    assert r["verdict"] == "not_trigger" and r["effect"] == pytest.approx(0.0, abs=1e-6)


def test_paths_outcome_override_and_queued_food(tmp_path: Path):
    plan = make_plan(["dairy", "eggs"], "eczema", "2026-01-05")
    first = diary_from_levels(plan, {"baseline": 6.0, "elimination": 3.0, "reintroduction": 6.0})
    eggs = plan.trial("eggs")
    second = diary_from_levels(eggs, {"baseline": 4.0, "elimination": 4.0, "reintroduction": 4.0}, noise=0.3)
    frame = pd.concat([first, second], ignore_index=True)
    frame["itch"] = 3.0
    from gutskin.trial import save_plan

    plan_path = save_plan(plan, tmp_path / "plan.yaml")
    diary_path = frame_to_csv(frame, tmp_path / "diary.csv")
    assert analyze(plan_path, diary_path)["verdict"] == "trigger"
    r_eggs = analyze(plan_path, diary_path, food="eggs")
    assert r_eggs["food"] == "eggs" and r_eggs["verdict"] == "not_trigger"
    assert any("next food" in s or "keep eating" in s for s in r_eggs["next_steps"])
    assert analyze(plan_path, diary_path, outcome="itch")["verdict"] == "not_trigger"
    with pytest.raises(InputError, match="column 'redness' is missing"):
        analyze(plan_path, diary_path, outcome="redness")
    with pytest.raises(InputError, match="mid"):
        analyze(plan_path, diary_path, mid=0)


def test_result_has_the_documented_keys(plan):
    r = analyze(plan, diary_from_levels(plan, {"baseline": 5.0, "elimination": 4.5, "reintroduction": 5.0}))
    for key in ("verdict", "effect", "ci_low", "ci_high", "p_meaningful", "n_days_used", "warnings", "next_step",
                "summary", "p_worse", "autocorrelation", "lag_days", "trend_per_day", "phase_means", "method"):
        assert key in r
    assert r["ci_low"] <= r["bound_low"] <= r["effect"] <= r["bound_high"] <= r["ci_high"]
    import json

    json.dumps(r)  # JSON-ready


def test_covariates_the_diary_asks_for_are_used_in_a_sensitivity_check(plan):
    levels = {"baseline": 6.0, "elimination": 4.0, "reintroduction": 6.0}
    diary = diary_from_levels(plan, levels, seed=3)
    diary["new_skincare"] = [1.0 if d == plan.phases[1].start + timedelta(days=20) else 0.0 for d in diary["date"]]
    diary["stress"] = [8.0 if i % 9 == 0 else 3.0 for i in range(len(diary))]
    r = analyze(plan, diary)
    checks = {c["what"].split(" (")[0]: c for c in r["sensitivity"]}
    assert any(k.startswith("the days from") for k in checks) and "high-stress days" in checks
    stress = checks["high-stress days"]
    assert stress["verdict"] == r["verdict"] == "trigger" and stress["n_days_used"] < r["n_days_used"]
    skincare = next(c for k, c in checks.items() if k.startswith("the days from"))
    assert skincare["verdict"] == "trigger"  # baseline against 20 days of elimination before the new product
    early = diary.assign(new_skincare=[1.0 if d == plan.phases[1].start + timedelta(days=2) else 0.0
                                       for d in diary["date"]])
    check = next(c for c in analyze(plan, early)["sensitivity"] if c["what"].startswith("the days from"))
    assert check["verdict"] is None and "too few days" in check["note"]
    plain = analyze(plan, diary_from_levels(plan, levels, seed=3))
    assert plain["sensitivity"] == []
