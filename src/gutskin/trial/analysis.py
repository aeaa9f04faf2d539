r"""Analysis of an elimination-diet trial: does eating the food make the skin worse, by how much, how sure?

What is estimated
-----------------
``effect`` is the **harm of eating the food**: the steady-state mean outcome while eating it minus while avoiding
it, in outcome units, signed so that **positive always means worse**. When lower scores are better (the default,
e.g. ``skin_score``) ``effect = mean(eating) − mean(avoiding)``; when higher scores are better the sign is flipped.
``difference`` gives the unflipped eating − avoiding difference.

Model
-----
Days :math:`t = 0..T-1` of the trial; :math:`x_t = 1` on days the food is eaten (baseline and reintroduction,
and any elimination day marked ``adhered = 0``), else 0. Skin follows the diet with a lag: the exposure the skin
"feels" is

.. math::  r_t = r_{t-1} + a\,(x_t - r_{t-1}),\quad a = 1 - e^{-1/\tau},\quad r_{-1} = 1,

(first-order exponential approach with time constant :math:`\tau` days; :math:`\tau = 0` is an instant switch;
before the trial the person ate as usual). The outcome, oriented so that larger = worse, is

.. math::  y_t = \alpha + \beta\, r_t + \gamma\,(t - \bar t)/T + e_t,\qquad
           e_t = \phi\, e_{t-1} + \sqrt{1-\phi^2}\,\sigma\,\varepsilon_t ,

so :math:`\beta` is the effect, :math:`\gamma` a slow linear trend (skin settling after a flare, seasons), and
:math:`e_t` AR(1) day-to-day noise with stationary SD :math:`\sigma`. Days are used only if recorded, adherent,
and not in the analytic washout (the first ``washout_days`` after each change of diet, see
:mod:`gutskin.trial.defaults`). Missing days are handled exactly: between observed days :math:`s < t` the
transformed residual is :math:`(e_t - \phi^{t-s} e_s)/\sqrt{1-\phi^{2(t-s)}}` (a Prais–Winsten transform with
gaps), so nothing is imputed.

Inference (Bayesian, calibrated by simulation)
----------------------------------------------
Priors: flat on :math:`(\alpha, \beta, \gamma)`, :math:`p(\sigma) \propto 1/\sigma`, :math:`\phi \sim
\mathrm{Beta}(3, 2)` on (0, 1) (daily skin ratings are persistent; the prior mean is 0.6 and it is wide), and
:math:`\tau` uniform on 0, 1, …, ``lag_max_days``. For each :math:`(\phi, \tau)` on a grid the regression
parameters and :math:`\sigma` integrate out in closed form:

* the marginal likelihood of :math:`(\phi, \tau)` is the *restricted* (REML) likelihood
  :math:`|R|^{-1/2}\,|X^\top R^{-1}X|^{-1/2}\,\mathrm{RSS}^{-(n-p)/2}` — REML rather than ML because ML
  estimates of :math:`\phi` in 30–50-day series are biased low, which makes intervals too narrow;
* given :math:`(\phi, \tau)`, :math:`\beta` has a Student-t posterior with :math:`n - p` degrees of freedom,
  centred on the GLS estimate with the GLS standard error.

The posterior of :math:`\beta` is therefore a finite mixture of t distributions, weighted by
:math:`p(\phi)\,p(\tau)\,L_R(\phi, \tau)`. Averaging over :math:`\phi` (instead of plugging in an estimate)
widens the interval exactly as much as the autocorrelation is uncertain; averaging over :math:`\tau` lets the
data pick the lag instead of assuming one. Everything is vectorised with numpy (no optimiser), so thousands of
diaries are analysed per second.

Verdict (one-sided rules at level :math:`\alpha = 0.05/k` against 0 and against ``mid``)
--------------------------------------------------------------------------------------
* ``trigger``: :math:`P(\beta > 0) \ge 1-\alpha` **and** :math:`P(\beta \ge \mathrm{mid}) \ge 0.5` — confidently
  worse, with a best estimate of at least ``mid``;
* ``not_trigger``: :math:`P(\beta \ge \mathrm{mid}) \le \alpha` — a worsening of ``mid`` or more is ruled out;
* ``inconclusive`` otherwise, with what would settle it.

``k`` is the number of foods in the plan's queue (Bonferroni): testing several foods one after another multiplies
the chances of a false ``trigger``, so each food must clear a stricter bar (one food: 95 %; three foods: 98.3 %).
The interval shown (``ci_low``/``ci_high``, level :math:`1-2\alpha`: 90 % for one food) is exactly the one the
rules read: ``trigger`` needs its lower end above 0, ``not_trigger`` its upper end below ``mid``.

No verdict before the plan's end: while planned days are still ahead the result is ``inconclusive`` with
``final = False`` and ``so_far`` holding what the rules would say today.

``p_meaningful`` is :math:`P(\beta \ge \mathrm{mid})`. The two rules exclude each other. Operating
characteristics (false ``trigger`` rate, power, false reassurance) are measured by ``scripts/trial_calibration.py``
and written to ``docs/trial-calibration.md``.

References: Kravitz & Duan (AHRQ N-of-1 guide, 2014) ch. 4 on autocorrelation, trends and carry-over; Tang &
Landes / Wang & Schork (2019) on serial correlation in N-of-1 t-tests; Prais & Winsten (1954); Harville (1974) and
Cooper & Thompson (1977) on REML and its reduced bias for :math:`\phi`; Senn on washout and carry-over.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from ..errors import InputError
from ..safety import elimination_limits
from .defaults import KNOWN_COLUMNS, MAX_ELIMINATION_DAYS, MIN_PHASE_DAYS
from .diary import Diary, load_diary
from .plan import Plan, Trial, load_plan

# --- the grid and priors ---------------------------------------------------------------------------------------
PHI_GRID = np.linspace(0.01, 0.97, 40)
PHI_PRIOR_AB = (3.0, 2.0)
_PHI_LOGPRIOR = stats.beta.logpdf(PHI_GRID, *PHI_PRIOR_AB)
_PHI_LOGPRIOR -= np.log(np.exp(_PHI_LOGPRIOR).sum())

ALPHA = 0.05                # one-sided level per food before the multiplicity correction
TRIGGER_P_WORSE = 1 - ALPHA  # P(effect > 0) needed for "trigger" (one food)
TRIGGER_P_MEANINGFUL = 0.5  # ... and P(effect >= mid) (best estimate at least mid)
CLEAR_P_MEANINGFUL = ALPHA  # "not_trigger" when P(effect >= mid) is at most this (one food)
N_PARAMS = 3                # intercept, effect, trend
INTERIM_DAYS = 2            # a diary ending more than this many days before the plan is an interim look

VERDICTS = ("trigger", "not_trigger", "inconclusive")


def lag_response(exposure: np.ndarray, tau: float, initial: float = 1.0) -> np.ndarray:
    """Exposure as the skin feels it: :math:`r_t = r_{t-1} + a (x_t - r_{t-1})`, :math:`a = 1 - e^{-1/\\tau}`.

    ``exposure`` is (T,) or (B, T) of 0/1; ``initial`` is the level before day 0 (1: eating as usual).
    """
    x = np.asarray(exposure, dtype=float)
    a = 1.0 if tau <= 0 else -math.expm1(-1.0 / tau)
    r = np.empty_like(x)
    prev = np.full(x.shape[:-1], float(initial))
    for t in range(x.shape[-1]):
        prev = prev + a * (x[..., t] - prev)
        r[..., t] = prev
    return r


def washout_mask(eating: np.ndarray, washout_days: int) -> np.ndarray:
    """Days in the analytic washout: the first ``washout_days`` days after each planned change of diet.

    Before day 0 the person ate as usual, so a trial that opens with elimination starts with a washout too.
    A washout never spills into the next phase (the next change starts its own).
    """
    eating = np.asarray(eating, dtype=float)
    mask = np.zeros(eating.size, dtype=bool)
    before = np.concatenate([[1.0], eating[:-1]])
    starts = np.flatnonzero(eating != before)
    ends = np.append(starts[1:], eating.size)
    for a, b in zip(starts, ends, strict=True):
        mask[a:min(a + washout_days, b)] = True
    return mask


def taus_for(lag_max_days: float) -> np.ndarray:
    """The lag grid: 0, 1, …, ``lag_max_days`` days."""
    return np.arange(0, math.floor(lag_max_days) + 1, dtype=float)


def tau_logprior(taus: np.ndarray, scale: float | None = None) -> np.ndarray:
    r"""Log prior over the lag grid: uniform by default ("we do not know how fast this skin responds").

    ``scale`` gives the alternative :math:`p(\tau) \propto e^{-\tau/\mathrm{scale}}` that favours fast
    responses; it is used only in the calibration's sensitivity analysis (it rules out more often under no
    effect, but loses power and reassures falsely more often when the skin is slow; see
    ``docs/trial-calibration.md``).
    """
    taus = np.asarray(taus, dtype=float)
    return np.zeros(taus.size) if not scale else -taus / float(scale)


@dataclass
class Posterior:
    """Posterior of the effect for a batch of diaries: a mixture over (tau, phi) of Student-t components.

    Arrays are (B, K) with K = len(taus) * len(phi grid); ``df`` is (B,).
    """

    weights: np.ndarray
    beta: np.ndarray
    se: np.ndarray
    slope: np.ndarray
    slope_se: np.ndarray
    df: np.ndarray
    phi: np.ndarray
    tau: np.ndarray

    def cdf(self, value: float | np.ndarray) -> np.ndarray:
        """:math:`P(\\beta \\le v)` per diary (``value`` scalar or (B,))."""
        v = np.asarray(value, dtype=float)
        v = np.broadcast_to(v[:, None] if v.ndim == 1 else v, self.beta.shape)
        # components below 1e-9 of the weight (together < 1e-6) cannot move a probability reported to 4 decimals
        rows, cols = np.nonzero(self.weights > 1e-9)
        z = (v[rows, cols] - self.beta[rows, cols]) / self.se[rows, cols]
        terms = self.weights[rows, cols] * special.stdtr(self.df[rows], z)
        total = np.bincount(rows, weights=terms, minlength=self.beta.shape[0])
        return np.clip(total, 0.0, 1.0)

    def prob_ge(self, value: float | np.ndarray) -> np.ndarray:
        return 1.0 - self.cdf(value)

    def mean(self) -> np.ndarray:
        return (self.weights * self.beta).sum(axis=1)

    def quantile(self, q: float, iterations: int = 48) -> np.ndarray:
        """Mixture quantile by bisection (vectorised over diaries)."""
        spread = 12.0 * self.se
        lo = np.min(np.where(self.weights > 0, self.beta - spread, np.inf), axis=1)
        hi = np.max(np.where(self.weights > 0, self.beta + spread, -np.inf), axis=1)
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < q
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    def phi_mean(self) -> np.ndarray:
        return (self.weights * self.phi[None, :]).sum(axis=1)

    def tau_mean(self) -> np.ndarray:
        return (self.weights * self.tau[None, :]).sum(axis=1)

    def slope_mean(self) -> np.ndarray:
        return (self.weights * self.slope).sum(axis=1)

    def slope_sd(self) -> np.ndarray:
        """Posterior SD of the trend per day (mixture of t: variance se^2 df/(df-2) per component)."""
        inflate = (self.df / np.maximum(self.df - 2.0, 1.0))[:, None]
        second = (self.weights * (self.slope_se ** 2 * inflate + self.slope ** 2)).sum(axis=1)
        return np.sqrt(np.maximum(second - self.slope_mean() ** 2, 0.0))


def fit(y: np.ndarray, used: np.ndarray, exposure: np.ndarray, taus: Sequence[float], *,
        phi_grid: np.ndarray = PHI_GRID, phi_logprior: np.ndarray | None = None,
        tau_logprior: np.ndarray | None = None, chunk: int = 256) -> Posterior:
    """Fit the lagged-exposure AR(1) regression to a batch of diaries (see the module docstring).

    Parameters
    ----------
    y:
        (B, T) outcomes oriented so that larger = worse; values where ``used`` is False are ignored.
    used:
        (B, T) booleans: recorded, adherent, outside the washout.
    exposure:
        (T,) or (B, T) eating indicator (1 = eating the food that day).
    taus:
        lag time constants to average over (uniform prior).

    For speed the 3 × 3 normal equations are assembled from dot products of the transformed columns (the
    intercept, trend and outcome columns do not depend on the lag, so only the exposure column is redone per
    lag) and solved in closed form.
    """
    y = np.asarray(y, dtype=float)
    used = np.asarray(used, dtype=bool)
    n_b, n_t = y.shape
    if phi_logprior is not None:
        logprior_phi = np.asarray(phi_logprior, dtype=float)
    elif phi_grid is PHI_GRID:
        logprior_phi = _PHI_LOGPRIOR
    else:
        logprior_phi = stats.beta.logpdf(phi_grid, *PHI_PRIOR_AB)
    phi_grid = np.asarray(phi_grid, dtype=float)
    taus = np.asarray(list(taus), dtype=float)
    n_g, n_m = len(phi_grid), len(taus)
    x = np.asarray(exposure, dtype=float)
    x2 = x[None, :] if x.ndim == 1 else x
    responses = [lag_response(x2, tau) for tau in taus]  # each (1 or B, T)
    time = (np.arange(n_t) - (n_t - 1) / 2.0) / n_t  # centred and scaled: keeps X'X well conditioned

    y0 = np.where(used, y, 0.0)  # unused values get weight 0; zero them so NaN cannot leak
    idx = np.where(used, np.arange(n_t)[None, :], -1)
    last = np.maximum.accumulate(idx, axis=1)
    prev = np.concatenate([np.full((n_b, 1), -1), last[:, :-1]], axis=1)  # previous used day, -1 if none
    has_prev = (prev >= 0) & used
    gap = np.where(has_prev, np.arange(n_t)[None, :] - prev, 0)
    prev_c = np.clip(prev, 0, None)
    df = (used.sum(axis=1) - N_PARAMS).astype(float)
    powers = phi_grid[:, None] ** np.arange(n_t + 1)[None, :]  # phi^gap by table look-up, not pow per cell

    shape = (n_b, n_m, n_g)
    out_ll, out_beta, out_se, out_slope, out_slope_se = (np.empty(shape) for _ in range(5))
    for s in range(0, n_b, chunk):
        sl = slice(s, min(s + chunk, n_b))
        u = used[sl][:, None, :]
        c = np.where(has_prev[sl][:, None, :], np.moveaxis(powers[:, gap[sl]], 0, 1), 0.0)  # (b, G, T)
        s2 = np.where(u, 1.0 - c * c, 1.0)
        w = np.where(u, 1.0 / np.sqrt(s2), 0.0)
        log_det_r = np.log(s2).sum(axis=2)  # unused days contribute log(1) = 0
        t_prev = time[prev_c[sl]]
        y_prev = np.take_along_axis(y0[sl], prev_c[sl], axis=1)
        z0 = (1.0 - c) * w
        z2 = (time[None, None, :] - c * t_prev[:, None, :]) * w
        zy = (y0[sl][:, None, :] - c * y_prev[:, None, :]) * w
        s00 = (z0 * z0).sum(-1)
        s02 = (z0 * z2).sum(-1)
        s22 = (z2 * z2).sum(-1)
        s0y = (z0 * zy).sum(-1)
        s2y = (z2 * zy).sum(-1)
        syy = (zy * zy).sum(-1)
        dfs = df[sl][:, None]
        for mi, r in enumerate(responses):
            rb = np.broadcast_to(r, (n_b, n_t))[sl]
            r_prev = np.take_along_axis(rb, prev_c[sl], axis=1)
            z1 = (rb[:, None, :] - c * r_prev[:, None, :]) * w
            s01 = (z0 * z1).sum(-1)
            s11 = (z1 * z1).sum(-1)
            s12 = (z1 * z2).sum(-1)
            s1y = (z1 * zy).sum(-1)
            # closed-form inverse of the symmetric 3x3 [[s00,s01,s02],[s01,s11,s12],[s02,s12,s22]]
            c00 = s11 * s22 - s12 * s12
            c01 = s02 * s12 - s01 * s22
            c02 = s01 * s12 - s02 * s11
            c11 = s00 * s22 - s02 * s02
            c12 = s01 * s02 - s00 * s12
            c22 = s00 * s11 - s01 * s01
            det = s00 * c00 + s01 * c01 + s02 * c02
            det = np.maximum(det, 1e-12 * np.maximum(s00 * s11 * s22, 1e-300))  # guard a singular design
            b0 = (c00 * s0y + c01 * s1y + c02 * s2y) / det
            b1 = (c01 * s0y + c11 * s1y + c12 * s2y) / det
            b2 = (c02 * s0y + c12 * s1y + c22 * s2y) / det
            rss = syy - (b0 * s0y + b1 * s1y + b2 * s2y)
            # a constant diary would give RSS = 0; floor it far below any real rating noise
            rss = np.maximum(rss, 1e-10 * np.maximum(syy, 1.0))
            out_ll[sl, mi] = -0.5 * log_det_r - 0.5 * np.log(det) - 0.5 * dfs * np.log(rss)
            out_beta[sl, mi] = b1
            out_slope[sl, mi] = b2 / n_t
            out_se[sl, mi] = np.sqrt(rss / np.maximum(dfs, 1.0) * c11 / det)
            out_slope_se[sl, mi] = np.sqrt(rss / np.maximum(dfs, 1.0) * c22 / det) / n_t
    k = n_m * n_g
    logprior_tau = np.zeros(n_m) if tau_logprior is None else np.asarray(tau_logprior, dtype=float)
    logpost = (out_ll + logprior_phi[None, None, :] + logprior_tau[None, :, None]).reshape(n_b, k)
    logpost -= logpost.max(axis=1, keepdims=True)
    weights = np.exp(logpost)
    weights /= weights.sum(axis=1, keepdims=True)
    return Posterior(weights=weights, beta=out_beta.reshape(n_b, k), se=out_se.reshape(n_b, k),
                     slope=out_slope.reshape(n_b, k), slope_se=out_slope_se.reshape(n_b, k), df=df,
                     phi=np.tile(phi_grid, n_m), tau=np.repeat(taus, n_g))


def analyze_batch(y: np.ndarray, observed: np.ndarray, eating: np.ndarray, *, washout_days: int,
                  lag_max_days: int, mid: float, true_effect: float | None = None,
                  tau_prior_scale: float | None = None, alpha: float = ALPHA) -> dict[str, np.ndarray]:
    """The same analysis as :func:`analyze`, vectorised over simulated diaries (all on one plan, all adherent).

    ``y`` is (B, T) oriented so that larger = worse; ``observed`` (B, T) marks recorded days; ``eating`` (T,) is
    the planned exposure. Returns per-diary arrays: ``verdict``, ``p_worse``, ``p_meaningful``, ``mean``,
    ``phi`` (posterior mean) and, when ``true_effect`` is given, ``covered`` (the 95 % interval contains it).
    """
    used = np.asarray(observed, dtype=bool) & ~washout_mask(eating, washout_days)[None, :]
    taus = taus_for(lag_max_days)
    post = fit(y, used, eating, taus, tau_logprior=tau_logprior(taus, tau_prior_scale))
    p_worse = post.prob_ge(0.0)
    p_meaningful = post.prob_ge(mid)
    out = {"verdict": verdicts(p_worse, p_meaningful, alpha=alpha), "p_worse": p_worse,
           "p_meaningful": p_meaningful, "mean": post.mean(), "phi": post.phi_mean()}
    if true_effect is not None:
        at_true = post.cdf(true_effect)
        out["covered"] = (at_true >= 0.025) & (at_true <= 0.975)
    return out


def alpha_for(n_foods: int) -> float:
    """One-sided level per food for a queue of ``n_foods`` (Bonferroni: family-wise false-trigger rate <= 5 %)."""
    return ALPHA / max(int(n_foods), 1)


def verdicts(p_worse: np.ndarray, p_meaningful: np.ndarray, *, alpha: float = ALPHA) -> np.ndarray:
    """Vectorised verdict rule (see module docstring): array of ``trigger``/``not_trigger``/``inconclusive``."""
    trig = (p_worse >= 1 - alpha) & (p_meaningful >= TRIGGER_P_MEANINGFUL)
    clear = p_meaningful <= alpha
    return np.where(trig, "trigger", np.where(clear, "not_trigger", "inconclusive"))


# --- one diary ---------------------------------------------------------------------------------------------------

@dataclass
class TrialData:
    """A diary laid out on the trial's days (what the analysis, the chart and the CENT summary share)."""

    plan: Plan
    trial: Trial
    outcome: str
    days: list[date]
    y: np.ndarray          # raw outcome, NaN where not recorded
    adhered: np.ndarray    # 1/0, NaN where not recorded
    eating: np.ndarray     # planned exposure per day (1 eating, 0 avoiding)
    exposure: np.ndarray   # as treated: elimination days with adhered = 0 count as eating
    washout: np.ndarray    # bool: day in the analytic washout
    used: np.ndarray       # bool: enters the model
    phase_index: np.ndarray
    washout_days: int
    lag_max_days: int
    last_recorded: date | None
    diary: Diary


def prepared(plan: Plan | str | Path | dict, diary: Diary | str | Path | pd.DataFrame,
             result: dict[str, Any] | None = None, food: str | None = None
             ) -> tuple[Plan, Diary, dict[str, Any], TrialData]:
    """Plan, diary, analysis result (computed when not given) and the laid-out days, for chart and summary."""
    plan_obj = load_plan(plan)
    diary_obj = load_diary(diary, plan_obj, outcome=None if result is None else result.get("outcome"))
    if result is None:
        result = analyze(plan_obj, diary_obj, food=food)
    data = layout(plan_obj, diary_obj, food=result.get("food", food), outcome=result.get("outcome"),
                  washout_days=result.get("washout_days"), lag_max_days=result.get("lag_max_days"))
    return plan_obj, diary_obj, result, data


def layout(plan: Plan, diary: Diary, *, food: str | None = None, outcome: str | None = None,
           washout_days: int | None = None, lag_max_days: int | None = None) -> TrialData:
    """Put the diary on the trial's calendar and mark which days the model uses."""
    trial = plan.trial(food)
    outcome = outcome or plan.outcome
    if outcome not in diary.frame.columns:
        raise InputError(f"the diary has no '{outcome}' column (columns: {', '.join(diary.columns)})",
                         diary.path, field=outcome)
    if not pd.api.types.is_numeric_dtype(diary.frame[outcome]):
        raise InputError(f"column '{outcome}' is not numeric", diary.path, field=outcome)
    wash = plan.effective_washout if washout_days is None else int(washout_days)
    lag = plan.effective_lag_max if lag_max_days is None else int(lag_max_days)
    if wash < 0 or lag < 0:
        raise InputError("washout and lag must be 0 or more days", field="washout_days" if wash < 0 else "lag")
    n = trial.n_days
    days = [trial.start + timedelta(days=i) for i in range(n)]
    pos = {d: i for i, d in enumerate(days)}
    y = np.full(n, np.nan)
    adhered = np.full(n, np.nan)
    has_adh = "adhered" in diary.frame.columns
    last: date | None = None
    frame = diary.frame
    values = frame[outcome].to_numpy(dtype=float)
    adh_values = frame["adhered"].to_numpy(dtype=float) if has_adh else np.full(len(frame), np.nan)
    for d, value, adh in zip(frame["date"], values, adh_values, strict=True):
        i = pos.get(d)
        if i is None:
            continue
        y[i] = value
        adhered[i] = adh
        if not (np.isnan(y[i]) and (not has_adh or np.isnan(adhered[i]))):
            last = d if last is None or d > last else last
    eating = np.zeros(n)
    phase_index = np.zeros(n, dtype=int)
    for k, ph in enumerate(trial.phases):
        a, b = pos[ph.start], pos[ph.end] + 1
        eating[a:b] = 1.0 if ph.eating else 0.0
        phase_index[a:b] = k
    washout = washout_mask(eating, wash)
    slip = (eating == 0) & (adhered == 0)
    exposure = np.where(slip, 1.0, eating)
    used = ~np.isnan(y) & ~washout & ~(adhered == 0)
    return TrialData(plan=plan, trial=trial, outcome=outcome, days=days, y=y, adhered=adhered, eating=eating,
                     exposure=exposure, washout=washout, used=used, phase_index=phase_index, washout_days=wash,
                     lag_max_days=lag, last_recorded=last, diary=diary)


def _label(outcome: str) -> str:
    return {"skin_score": "skin score", "itch": "itch score", "lesions": "lesion count"}.get(
        outcome, outcome.replace("_", " "))


def _round(v: float | None, nd: int = 2) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), nd)


def analyze(plan: Plan | str | Path | dict, diary: Diary | pd.DataFrame | str | Path, *, food: str | None = None,
            outcome: str | None = None, mid: float | None = None, washout_days: int | None = None,
            lag_max_days: int | None = None) -> dict[str, Any]:
    """Analyse a trial diary against its plan; returns a JSON-ready dict.

    Keys: ``verdict`` (``trigger`` / ``not_trigger`` / ``inconclusive``; never final before the plan ends, see
    ``final`` and ``so_far``), ``effect`` (posterior median of the harm of eating the food, outcome units,
    positive = worse), ``ci_low``/``ci_high`` (the interval the verdict reads, level ``ci_level``: 90 % for one
    food, wider for a queue), ``bound_low``/``bound_high`` (the same two ends), ``alpha`` and ``n_foods`` (the
    multiplicity correction), ``sensitivity`` (the same rule without the days the diary's ``new_skincare`` and
    ``stress`` columns flag; a changed reading adds a warning), ``p_worse`` (P(effect > 0)),
    ``p_meaningful`` (P(effect ≥ mid)), ``n_days_used``, ``warnings``, ``next_step``, ``summary`` (plain words),
    and the details listed in the module docstring. ``plan`` and ``diary`` may be paths or loaded objects.
    """
    plan_obj = load_plan(plan)
    diary_obj = load_diary(diary, plan_obj, outcome=outcome)
    data = layout(plan_obj, diary_obj, food=food, outcome=outcome, washout_days=washout_days,
                  lag_max_days=lag_max_days)
    mid_v = plan_obj.mid if mid is None else float(mid)
    if not mid_v > 0:
        raise InputError("mid must be greater than 0", field="mid")
    return _analyze_data(data, mid_v)


def _analyze_data(data: TrialData, mid: float) -> dict[str, Any]:
    plan, trial = data.plan, data.trial
    n_foods = len(plan.trials())
    alpha = alpha_for(n_foods)
    final = _days_left(data) <= INTERIM_DAYS
    sign = 1.0 if plan.better == "lower" else -1.0
    eat_used = int((data.used & (data.exposure == 1)).sum())
    avoid_used = int((data.used & (data.exposure == 0)).sum())
    n_used = int(data.used.sum())
    recorded = int((~np.isnan(data.y)).sum())
    base: dict[str, Any] = {
        "food": trial.food, "outcome": data.outcome, "better": plan.better, "mid": mid,
        "condition": plan.condition, "design": _design_label(trial),
        "definition": ("effect = mean " + _label(data.outcome) + " while eating " + trial.food
                       + " minus while avoiding it (steady state, after the lag), in outcome units; "
                       + ("positive = worse (lower is better)" if sign > 0
                          else "sign flipped so that positive = worse (higher is better)")),
        "n_days_planned": trial.n_days, "n_days_recorded": recorded, "n_days_used": n_used,
        "final": final, "so_far": None, "n_foods": n_foods, "alpha": round(alpha, 6),
        "ci_level": round(1 - 2 * alpha, 6),
        "n_eating_used": eat_used, "n_avoiding_used": avoid_used,
        "washout_days": data.washout_days, "lag_max_days": data.lag_max_days,
        "phase_means": _phase_means(data),
        "method": ("Bayesian AR(1) regression with a lagged response (time constant averaged over 0–"
                   f"{data.lag_max_days} days), a linear trend, exact handling of missing days, REML-marginal "
                   f"weights over the autocorrelation; analytic washout {data.washout_days} day(s) after each "
                   "diet change"),
    }
    warnings = _warnings(data, eat_used, avoid_used, n_used)
    if eat_used < 3 or avoid_used < 3 or n_used < N_PARAMS + 5:
        warnings.insert(0, f"not enough usable days to estimate anything ({eat_used} eating, {avoid_used} "
                           "avoiding); keep the diary going")
        base.update(verdict="inconclusive", effect=None, ci_low=None, ci_high=None, bound_low=None,
                    bound_high=None, p_worse=None, p_meaningful=None, difference=None, autocorrelation=None,
                    lag_days=None, trend_per_day=None, warnings=warnings)
        base["next_step"] = _next_incomplete(data) or "Record the outcome every day through all phases, then " \
                                                      "analyse again."
        base["next_steps"] = [base["next_step"]]
        base["summary"] = "There are not enough usable diary days yet to say anything about " + trial.food + "."
        return base

    y = sign * data.y
    taus = taus_for(data.lag_max_days)
    post = fit(y[None, :], data.used[None, :], data.exposure, taus, tau_logprior=tau_logprior(taus))
    q = {p: float(post.quantile(p)[0]) for p in (alpha, 0.5, 1 - alpha)}
    p_worse = float(post.prob_ge(0.0)[0])
    p_meaningful = float(post.prob_ge(mid)[0])
    reading = str(verdicts(np.array([p_worse]), np.array([p_meaningful]), alpha=alpha)[0])
    verdict = reading if final else "inconclusive"  # no verdict before the plan's end
    phi = float(post.phi_mean()[0])
    tau = float(post.tau_mean()[0])
    slope = sign * float(post.slope_mean()[0])
    slope_sd = float(post.slope_sd()[0])
    # warn only about a drift that matters (>= mid over the trial) and is clearly there (2 posterior SDs)
    if abs(slope) * trial.n_days >= mid and abs(slope) >= 2 * slope_sd:
        warnings.append(f"strong trend: apart from the food, the {_label(data.outcome)} drifted by about "
                        f"{slope * trial.n_days:+.1f} over the trial ({slope:+.3f} a day); the model adjusts for a "
                        "straight-line trend, but a curved course (a flare settling) can still mislead")
    if phi >= 0.8:
        warnings.append(f"high day-to-day autocorrelation (about {phi:.2f}): each day adds little new "
                        "information, so the interval is wide")
    if p_worse >= 0.8 and tau >= 0.7 * max(data.lag_max_days, 1):
        warnings.append(f"the skin seemed to respond slowly (time constant about {tau:.0f} days); longer phases "
                        "would make the estimate firmer")
    result = {
        **base,
        "verdict": verdict, "so_far": None if final else reading,
        "effect": _round(q[0.5]), "ci_low": _round(q[alpha]), "ci_high": _round(q[1 - alpha]),
        "bound_low": _round(q[alpha]), "bound_high": _round(q[1 - alpha]),
        "p_worse": _round(p_worse, 4), "p_meaningful": _round(p_meaningful, 4),
        "difference": _round(sign * q[0.5]),
        "autocorrelation": _round(phi), "lag_days": _round(tau, 1), "trend_per_day": _round(slope, 4),
        "warnings": warnings,
    }
    steps = _next_steps(data, result, mid, n_used)
    result["next_steps"] = steps
    result["next_step"] = steps[0]
    result["sensitivity"] = _sensitivity(data, y, taus, mid, alpha, reading)
    for check in result["sensitivity"]:
        if check.get("verdict") not in (None, reading):
            warnings.append(f"the reading changes when {check['what']} are left out ({check['verdict']} instead of "
                            f"{reading}): treat the result with extra care")
    result["summary"] = _summary(result, data)
    return result


def _column(data: TrialData, name: str) -> np.ndarray | None:
    """A diary column laid out on the trial's days (NaN where not recorded), or None when the diary lacks it."""
    frame = data.diary.frame
    if name not in frame.columns:
        return None
    out = np.full(len(data.days), np.nan)
    pos = {d: i for i, d in enumerate(data.days)}
    for d, v in zip(frame["date"], frame[name], strict=False):
        if d in pos and v is not None and not (isinstance(v, float) and np.isnan(v)):
            out[pos[d]] = float(v)
    return out


def _sensitivity(data: TrialData, y: np.ndarray, taus: np.ndarray, mid: float, alpha: float,
                 reading: str) -> list[dict[str, Any]]:
    """Re-read the diary without the days its covariates flag (the covariates the diary asks for are used here).

    * ``new_skincare``: the days from the first new product or treatment onward (a lasting change that can look
      like a food effect, see Table 8 of docs/trial-calibration.md);
    * ``stress``: days rated 7 or more out of 10.
    Each check reports the verdict the same rule gives on the remaining days, or why it could not be run.
    """
    checks: list[tuple[str, np.ndarray]] = []
    skincare = _column(data, "new_skincare")
    if skincare is not None and np.any(skincare == 1):
        first = int(np.argmax(skincare == 1))
        keep = np.arange(len(data.days)) < first
        checks.append((f"the days from {data.days[first]} (new skincare or treatment) onward", keep))
    stress = _column(data, "stress")
    if stress is not None and np.any(stress >= 7):
        checks.append(("high-stress days (7 or more out of 10)", ~(stress >= 7)))
    out: list[dict[str, Any]] = []
    for what, keep in checks:
        used = data.used & keep
        eat, avoid = int((used & (data.exposure == 1)).sum()), int((used & (data.exposure == 0)).sum())
        if eat < 7 or avoid < 7 or int(used.sum()) < N_PARAMS + 10:
            out.append({"what": what, "verdict": None, "n_days_used": int(used.sum()),
                        "note": "too few days remain to check"})
            continue
        post = fit(y[None, :], used[None, :], data.exposure, taus, tau_logprior=tau_logprior(taus))
        pw, pm = float(post.prob_ge(0.0)[0]), float(post.prob_ge(mid)[0])
        out.append({"what": what, "verdict": str(verdicts(np.array([pw]), np.array([pm]), alpha=alpha)[0]),
                    "effect": _round(float(post.quantile(0.5)[0])), "n_days_used": int(used.sum())})
    return out


def _design_label(trial: Trial) -> str:
    return "".join("A" if p.eating else "B" for p in trial.phases)


def _phase_means(data: TrialData) -> list[dict[str, Any]]:
    out = []
    for k, ph in enumerate(data.trial.phases):
        sel = data.phase_index == k
        vals = data.y[sel]
        used_vals = data.y[sel & data.used]
        out.append({"name": ph.name, "kind": ph.kind, "start": ph.start.isoformat(), "end": ph.end.isoformat(),
                    "days": ph.days, "recorded": int((~np.isnan(vals)).sum()), "used": int(used_vals.size),
                    "mean": _round(float(np.nanmean(vals))) if np.any(~np.isnan(vals)) else None,
                    "mean_used": _round(float(used_vals.mean())) if used_vals.size else None})
    return out


def _warnings(data: TrialData, eat_used: int, avoid_used: int, n_used: int) -> list[str]:
    w: list[str] = []
    trial = data.trial
    if n_used < 28:
        w.append(f"too few days: only {n_used} usable days (at least 28 are advisable); the result is fragile")
    elif min(eat_used, avoid_used) < 10:
        w.append(f"too few days in one condition: {eat_used} usable days eating and {avoid_used} avoiding the "
                 "food (at least 10 each are advisable)")
    if not any(p.kind == "reintroduction" for p in trial.phases):
        w.append("no reintroduction phase: a change during elimination cannot be told apart from a trend or from "
                 "skin settling on its own")
    for p in trial.phases:
        if p.days < MIN_PHASE_DAYS:
            w.append(f"phase '{p.name}' lasts {p.days} days; skin needs at least {MIN_PHASE_DAYS} days per phase")
        if p.kind == "elimination" and p.days > MAX_ELIMINATION_DAYS:
            w.append(f"phase '{p.name}' eliminates for {p.days} days, beyond the 6–8 weeks diagnostic diets are "
                     "capped at; check nutrition with a dietitian")
    if _days_left(data) > INTERIM_DAYS:
        left = _days_left(data)
        w.append(f"the diary ends on {data.last_recorded}: {left} planned day(s) are not recorded yet, so this is "
                 "an interim look")
        span = np.array([d <= data.last_recorded for d in data.days])
    else:
        span = np.ones(len(data.days), dtype=bool)
    missing = float(np.mean(np.isnan(data.y[span]))) if span.any() else 1.0
    if missing > 0.25:
        w.append(f"many missing days: {missing:.0%} of the days so far have no {data.outcome}; record every day "
                 "if you can")
    adh = data.adhered
    if np.all(np.isnan(adh)):
        w.append("adherence was not recorded (no 'adhered' values); the analysis assumes the plan was followed")
    else:
        elim = data.eating == 0
        rec = elim & ~np.isnan(adh)
        if rec.any():
            slips = int((adh[rec] == 0).sum())
            share = 1 - slips / int(rec.sum())
            if share < 0.9:
                w.append(f"poor adherence: the food was eaten on {slips} of {int(rec.sum())} recorded elimination "
                         f"days ({share:.0%} adherent); slips are modelled as exposure, but the contrast is weaker")
        off = int(((data.eating == 1) & (adh == 0)).sum())
        if off:
            w.append(f"{off} day(s) in eating phases were marked not adhered and left out")
    lo_hi = data.plan.scale if data.outcome == data.plan.outcome else (
        KNOWN_COLUMNS[data.outcome][:2] if data.outcome in KNOWN_COLUMNS else None)
    vals = data.y[data.used]
    if lo_hi is not None and vals.size:
        at_floor = float(np.mean(vals <= lo_hi[0]))
        at_ceiling = float(np.mean(vals >= lo_hi[1]))
        if max(at_floor, at_ceiling) >= 0.3:
            where = "lowest" if at_floor >= at_ceiling else "highest"
            w.append(f"{max(at_floor, at_ceiling):.0%} of the days sit at the {where} possible value, so changes "
                     "in that direction cannot show")
    frame = data.diary.frame
    in_trial = frame[(frame["date"] >= trial.start) & (frame["date"] <= trial.end)]
    if "new_skincare" in in_trial.columns:
        started = [d for d, v in zip(in_trial["date"], in_trial["new_skincare"], strict=False) if v == 1]
        if started:
            listing = ", ".join(str(d) for d in started[:3]) + (" …" if len(started) > 3 else "")
            w.append(f"new skincare or treatment started during the trial ({listing}); it may explain changes "
                     "that look like a food effect")
    if "stress" in in_trial.columns:
        stress = np.full(len(data.days), np.nan)
        pos = {d: i for i, d in enumerate(data.days)}
        for d, v in zip(in_trial["date"], in_trial["stress"], strict=False):
            stress[pos[d]] = v
        a = stress[data.used & (data.exposure == 1)]
        b = stress[data.used & (data.exposure == 0)]
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        if a.size >= 5 and b.size >= 5 and abs(a.mean() - b.mean()) >= 1.5:
            w.append(f"stress differed between eating ({a.mean():.1f}) and avoiding ({b.mean():.1f}) days; "
                     "stress can move skin on its own")
    return w


def _days_left(data: TrialData) -> int:
    if data.last_recorded is None:
        return data.trial.n_days
    return max((data.trial.end - data.last_recorded).days, 0)


def _next_incomplete(data: TrialData) -> str | None:
    if _days_left(data) > INTERIM_DAYS:
        left = _days_left(data)
        return f"Keep going: {left} day(s) of the plan are still ahead; analyse again when the plan ends."
    return None


def _next_steps(data: TrialData, r: dict[str, Any], mid: float, n_used: int) -> list[str]:
    food = data.trial.food
    steps: list[str] = []
    verdict = r["verdict"]
    if not r.get("final", True):
        return [_next_incomplete(data) or "Keep the diary going until the plan ends, then analyse again."]
    if verdict == "trigger":
        steps.append(f"Share this result with your clinician or dietitian before avoiding {food} for longer: "
                     "plan replacements for its nutrients, and remember this was an unblinded diary.")
        if data.plan.condition == "atopic_dermatitis":
            steps.append("For eczema, confirm with a supervised food challenge before long-term avoidance: "
                         "avoidance diets do not cure eczema and can raise the risk of new allergy [AD-avoid].")
        return steps
    if verdict == "not_trigger":
        steps.append(f"{food} does not look like a trigger for your {_label(data.outcome)}: keep eating it as usual.")
        nxt = [t.food for t in data.plan.trials() if t.start > data.trial.end]
        if nxt:
            steps.append(f"Go on with the next food in the queue ({nxt[0]}).")
        return steps
    # inconclusive at the plan's end: never extend an elimination on one's own (safety rules, gutskin.safety)
    steps.append(f"Go back to eating {food} as usual; do not extend the elimination on your own.")
    est = r["effect"]
    sd = (r["bound_high"] - r["bound_low"]) / (2 * 1.645)
    factors = []
    if est > 0:   # what would make P(effect > 0) reach the bar at this estimate
        factors.append((sd / (est / 1.645)) ** 2)
    if est < mid:  # what would make P(effect >= mid) fall below it
        factors.append((sd / ((mid - est) / 1.645)) ** 2)
    factor = min(factors) if factors else math.inf
    per_day = n_used / data.trial.n_days  # usable share of calendar days
    extra = (factor - 1.0) * n_used / max(per_day, 1e-9)
    limit = elimination_limits()["elimination_days_caution_after"]
    if factor <= 4.0:
        # whole weeks, and never a block shorter than two weeks: skin needs time to follow the diet
        half = int(max(14, 7 * math.ceil(extra / 14.0)))
        who = "on your own if you wish" if half <= limit else "only with your clinician or dietitian"
        steps.append(f"If you still suspect {food}, a second block - about {half} days without it, then {half} days "
                     f"eating it again, keeping the diary - could settle it; plan that {who}.")
    elif est < mid:
        steps.append(f"A diary trial of practical length is unlikely to settle this: if {food} matters at all, its "
                     f"effect is probably smaller than {mid:g} point(s). Consider moving on to the next food.")
    else:
        steps.append(f"The diary is too noisy to settle this; talk to a clinician about a supervised challenge with "
                     f"{food}.")
    warn = " ".join(r["warnings"])
    if "many missing days" in warn or "poor adherence" in warn:
        steps.append("Record every day and keep strictly to the plan: missing and non-adherent days cost the most.")
    return steps


def _summary(r: dict[str, Any], data: TrialData) -> str:
    """Plain words for an unblinded personal diary: what the scores did, never how 'sure' we are."""
    food, label, mid = data.trial.food, _label(data.outcome), r["mid"]
    ci = f"{r['ci_level']:.0%} interval {r['ci_low']:+.1f} to {r['ci_high']:+.1f}"
    caveat = ("This was your own, unblinded diary: expecting a food to matter, and anything else that changed at "
              "the same time (skincare, season, stress, treatment), can look like a food effect.")
    direction = "worse" if r["effect"] >= 0 else "better"
    if not r.get("final", True):
        lean = {"trigger": "leaning towards worse while eating it", "not_trigger": "not leaning towards worse",
                "inconclusive": "not leaning either way"}[r["so_far"]]
        return (f"So far (the plan runs until {data.trial.end}): your {label} was about "
                f"{abs(r['effect']):.1f} points {direction} while eating {food} ({ci}), {lean}. There is no verdict "
                "before the plan ends.")
    if r["verdict"] == "trigger":
        return (f"Your {label} was worse while eating {food} than while avoiding it, by about "
                f"{r['effect']:.1f} points ({ci}; the whole interval is above 0). {caveat}")
    if r["verdict"] == "not_trigger":
        return (f"Your {label} was not worse by {mid:g} point(s) or more while eating {food} (difference "
                f"{r['effect']:+.1f} points, {ci}; the whole interval is below {mid:g}), so in this diary "
                f"{food} does not look like a trigger. {caveat}")
    return (f"Not settled: your {label} was about {abs(r['effect']):.1f} points {direction} while eating "
            f"{food} ({ci}), which fits both no effect and a worsening of {mid:g} or more.")
