"""Operating characteristics of the trial analysis by simulation (shared by the tests and the calibration script).

For one setting (true autocorrelation, lag time constant, share of missing days, trend, true effect, schedule) it
simulates ``n`` diaries with :func:`gutskin.trial.simulate.simulate_batch`, analyses them with
:func:`gutskin.trial.analysis.analyze_batch` exactly as :func:`gutskin.trial.analyze` would (same washout, lag grid,
priors and verdict rule), and reports how often each verdict came out, with Monte Carlo standard errors
:math:`\\sqrt{p(1-p)/n}`.

:func:`plain_batch` is the comparison method the issue mentions — a step-change AR(1) regression with a 7-day
washout, the autocorrelation plugged in at its REML estimate and a t-test — kept here only to show what the
full model buys; :func:`gutskin.trial.analyze` never uses it.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass

import numpy as np
from scipy import special

from .analysis import N_PARAMS, TRIGGER_P_WORSE, alpha_for, analyze_batch, fit, verdicts, washout_mask
from .simulate import eating_pattern, simulate_batch

DEFAULT_LENGTHS = (14, 28, 14)


@dataclass(frozen=True)
class Setting:
    """One cell of the simulation grid."""

    phi: float
    tau: float
    missing: float
    trend: float
    effect: float
    lengths: tuple[int, ...] = DEFAULT_LENGTHS
    cycle_amplitude: float = 0.0     # 28-day cycle swing (acne), outcome points
    step_at_elimination: float = 0.0  # lasting shift from the first elimination day (e.g. a new moisturiser)
    flare_rate: float = 0.0           # chance per day that a flare starts
    flare_size: float = 0.0           # points a flare adds, for 5 days
    n_foods: int = 1                  # foods in the queue (multiplicity correction of the verdict)

    _SCENARIO = ("cycle_amplitude", "step_at_elimination", "flare_rate", "flare_size", "n_foods")

    def seed(self, base: int = 0) -> int:
        """A reproducible seed of its own for every setting (so cells are independent and re-runnable).

        Scenario fields at their defaults are left out, so cells of the main grid keep their seeds.
        """
        values = asdict(self)
        for k in self._SCENARIO:
            if values[k] == Setting.__dataclass_fields__[k].default:
                values.pop(k)
        return zlib.crc32(repr((base, *values.values())).encode()) & 0x7FFFFFFF


@dataclass
class Outcome:
    """Verdict rates over ``n`` simulated diaries for one setting and method."""

    setting: Setting
    n: int
    trigger: float
    not_trigger: float
    inconclusive: float
    mean_estimate: float
    coverage: float | None
    worse_test: float = float("nan")  # share with P(effect > 0) >= 0.95: the one-sided test against 0 alone

    def mcse(self, p: float) -> float:
        return float(np.sqrt(p * (1.0 - p) / self.n))


def run_setting(setting: Setting, n: int, *, washout_days: int = 2, lag_max_days: int = 6, mid: float = 1.0,
                seed: int = 0, method: str = "full", block: int = 2000,
                tau_prior_scale: float | None = None) -> Outcome:
    """Simulate ``n`` diaries for ``setting`` and tally the verdicts of ``method`` (``full`` or ``plain``).

    ``tau_prior_scale`` switches the full method to the fast-lag prior (sensitivity analysis only).
    """
    rng = np.random.default_rng(setting.seed(seed))
    eating = eating_pattern(setting.lengths)
    counts = {"trigger": 0, "not_trigger": 0, "inconclusive": 0}
    est_sum = 0.0
    covered = 0
    worse = 0
    done = 0
    while done < n:
        b = min(block, n - done)
        y, observed, _ = simulate_batch(b, eating, effect=setting.effect, phi=setting.phi, tau=setting.tau,
                                        missing=setting.missing, trend=setting.trend, rng=rng,
                                        cycle_amplitude=setting.cycle_amplitude,
                                        step_at_elimination=setting.step_at_elimination,
                                        flare_rate=setting.flare_rate, flare_size=setting.flare_size)
        if method == "full":
            res = analyze_batch(y, observed, eating, washout_days=washout_days, lag_max_days=lag_max_days,
                                mid=mid, true_effect=setting.effect, tau_prior_scale=tau_prior_scale,
                                alpha=alpha_for(setting.n_foods))
        elif method == "plain":
            res = plain_batch(y, observed, eating, mid=mid, true_effect=setting.effect)
        else:
            raise ValueError(f"unknown method {method!r}")
        for k in counts:
            counts[k] += int(np.sum(res["verdict"] == k))
        est_sum += float(np.sum(res["mean"]))
        covered += int(np.sum(res["covered"]))
        worse += int(np.sum(res["p_worse"] >= TRIGGER_P_WORSE))
        done += b
    return Outcome(setting=setting, n=n, trigger=counts["trigger"] / n, not_trigger=counts["not_trigger"] / n,
                   inconclusive=counts["inconclusive"] / n, mean_estimate=est_sum / n, coverage=covered / n,
                   worse_test=worse / n)


def plain_batch(y: np.ndarray, observed: np.ndarray, eating: np.ndarray, *, mid: float, washout_days: int = 7,
                true_effect: float | None = None) -> dict[str, np.ndarray]:
    """Comparison method: step change, 7-day washout, trend, plug-in REML autocorrelation, t distribution."""
    used = np.asarray(observed, dtype=bool) & ~washout_mask(eating, washout_days)[None, :]
    grid = np.linspace(-0.5, 0.97, 60)
    post = fit(y, used, eating, [0.0], phi_grid=grid, phi_logprior=np.zeros(grid.size))
    best = np.argmax(post.weights, axis=1)
    rows = np.arange(best.size)
    b, se, df = post.beta[rows, best], post.se[rows, best], post.df
    p_worse = special.stdtr(df, b / se)
    p_meaningful = special.stdtr(df, (b - mid) / se)
    out = {"verdict": verdicts(p_worse, p_meaningful), "p_worse": p_worse, "p_meaningful": p_meaningful,
           "mean": b}
    if true_effect is not None:
        t = (true_effect - b) / se
        out["covered"] = np.abs(t) <= special.stdtrit(df, 0.975)
    return out


__all__ = ["DEFAULT_LENGTHS", "N_PARAMS", "Outcome", "Setting", "plain_batch", "run_setting"]
