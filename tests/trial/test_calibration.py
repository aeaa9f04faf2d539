"""Small calibration runs: the operating characteristics hold with margin (the full study is in the docs)."""

from __future__ import annotations

from gutskin.trial.calibration import Setting, run_setting


def test_false_trigger_stays_low_in_the_hardest_null_setting():
    # phi 0.7, 25 % missing, trend -0.03/day: the full study measures about 4.5 %
    out = run_setting(Setting(phi=0.7, tau=0.0, missing=0.25, trend=-0.03, effect=0.0), 400, seed=1)
    assert out.trigger <= 0.09
    assert 0.90 <= out.coverage <= 0.99


def test_power_and_not_trigger_in_an_easy_setting():
    power = run_setting(Setting(phi=0.3, tau=2.5, missing=0.10, trend=0.0, effect=2.0), 200, seed=1)
    assert power.trigger >= 0.85 and power.not_trigger == 0.0
    null = run_setting(Setting(phi=0.3, tau=0.0, missing=0.10, trend=0.0, effect=0.0), 300, seed=1)
    assert null.trigger <= 0.04 and null.not_trigger >= 0.38
    assert abs(null.mean_estimate) < 0.1


def test_trend_does_not_create_triggers_and_plain_method_is_worse_there():
    s = Setting(phi=0.7, tau=0.0, missing=0.10, trend=0.03, effect=0.0)
    full = run_setting(s, 300, seed=2)
    assert full.trigger <= 0.09
    plain = run_setting(s, 300, seed=2, method="plain")
    assert plain.n == 300 and 0.0 <= plain.trigger <= 1.0


def test_a_lasting_change_at_elimination_is_the_scenario_that_fakes_a_trigger():
    """Table 8 in miniature: a moisturiser started with the elimination looks like a food effect; a cycle does not."""
    from gutskin.trial.calibration import Setting, run_setting

    base = dict(phi=0.5, tau=2.5, missing=0.1, trend=0.0, effect=0.0, lengths=(14, 42, 28))
    ref = run_setting(Setting(**base), 300, washout_days=3, lag_max_days=10, seed=7)
    step = run_setting(Setting(**base, step_at_elimination=-2.0), 300, washout_days=3, lag_max_days=10, seed=7)
    cycle = run_setting(Setting(**base, cycle_amplitude=1.0), 300, washout_days=3, lag_max_days=10, seed=7)
    assert step.trigger > 0.3 > ref.trigger
    assert cycle.trigger < 0.08
    queue = run_setting(Setting(**base, n_foods=3), 300, washout_days=3, lag_max_days=10, seed=7)
    assert queue.trigger <= ref.trigger + 0.01
