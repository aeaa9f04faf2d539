r"""Simulated trial diaries: the ground truth the analysis is calibrated against.

Generative model (larger = worse, as for ``skin_score``), for day :math:`t = 0..T-1`:

.. math::
    y_t = \mathrm{round}_{0.5}\Big(\mathrm{clip}_{[0,10]}\big(L + \delta\,(r_t - \tfrac12)
          + g\,(t - \tfrac{T-1}{2}) + e_t\big)\Big)

* :math:`r_t` is the lagged exposure (:func:`gutskin.trial.analysis.lag_response`) with true time constant
  :math:`\tau` (0 = instant), starting from eating as usual before the trial;
* :math:`\delta` is the true effect of eating the food (steady state, outcome units);
* :math:`g` is a slow linear trend per day;
* :math:`e_t` is stationary AR(1) noise, :math:`e_t = \phi e_{t-1} + \sqrt{1-\phi^2}\,\sigma\varepsilon_t`, so
  its standard deviation is :math:`\sigma` on every day (we read "AR(1) noise with standard deviation 1" as the
  day-to-day marginal SD, not the innovation SD);
* each day is missing independently with probability ``missing``; on elimination days the food is eaten by
  mistake with probability ``1 - adherence`` (exposure 1 that day, recorded as ``adhered = 0``).

Scenarios that break the model's assumptions (for calibration, all off by default):

* ``cycle_amplitude`` — a menstrual-cycle swing :math:`A \sin(2\pi(t+u)/P)` (period ``cycle_period``, 28 days;
  random phase :math:`u` per diary), as in premenstrual acne flares;
* ``step_at_elimination`` — a lasting shift that starts on the first elimination day and never goes away (a new
  moisturiser or treatment started together with the diet change; negative = skin improves);
* ``flare_rate`` / ``flare_size`` / ``flare_days`` — flares that start at random (probability per day) and add
  ``flare_size`` for ``flare_days`` days, whatever is eaten.

The level :math:`L` is 5 so the 0–10 scale rarely clips.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import write_atomic
from .analysis import lag_response
from .plan import Plan, Trial, load_plan

LEVEL = 5.0
SCALE = (0.0, 10.0)
STEP = 0.5


def eating_pattern(lengths: tuple[int, ...] = (14, 28, 14), first_eating: bool = True) -> np.ndarray:
    """Planned exposure for alternating phases: (14, 28, 14) → 14 ones, 28 zeros, 14 ones (ABA)."""
    parts = []
    eat = first_eating
    for n in lengths:
        parts.append(np.full(int(n), 1.0 if eat else 0.0))
        eat = not eat
    return np.concatenate(parts)


def trial_eating(trial: Trial) -> np.ndarray:
    """Planned exposure of a trial, one value per day."""
    return np.concatenate([np.full(p.days, 1.0 if p.eating else 0.0) for p in trial.phases])


def simulate_batch(n: int, eating: np.ndarray, *, effect: float, phi: float, tau: float, missing: float,
                   trend: float, sd: float = 1.0, rng: np.random.Generator | None = None,
                   adherence: float = 1.0, level: float = LEVEL, cycle_amplitude: float = 0.0,
                   cycle_period: float = 28.0, step_at_elimination: float = 0.0, flare_rate: float = 0.0,
                   flare_size: float = 0.0, flare_days: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` diaries on the planned exposure ``eating`` (T,).

    Returns ``(y, observed, exposure)``: (n, T) rounded outcomes (NaN where missing), (n, T) recorded-day
    booleans, and (n, T) actual exposure (differs from the plan only on non-adherent elimination days).
    """
    rng = np.random.default_rng() if rng is None else rng
    eating = np.asarray(eating, dtype=float)
    n_t = eating.size
    exposure = np.broadcast_to(eating, (n, n_t)).copy()
    if adherence < 1.0:
        slips = (eating[None, :] == 0) & (rng.random((n, n_t)) >= adherence)
        exposure[slips] = 1.0
    r = lag_response(exposure, tau)
    noise = np.empty((n, n_t))
    noise[:, 0] = rng.standard_normal(n) * sd
    innov = rng.standard_normal((n, n_t)) * sd * np.sqrt(1.0 - phi * phi)
    for t in range(1, n_t):
        noise[:, t] = phi * noise[:, t - 1] + innov[:, t]
    t_c = np.arange(n_t) - (n_t - 1) / 2.0
    y = level + effect * (r - 0.5) + trend * t_c[None, :] + noise
    if cycle_amplitude:
        phase = rng.random((n, 1)) * cycle_period
        y = y + cycle_amplitude * np.sin(2 * np.pi * (np.arange(n_t)[None, :] + phase) / cycle_period)
    if step_at_elimination:
        first = int(np.argmax(eating == 0)) if np.any(eating == 0) else n_t
        y = y + step_at_elimination * (np.arange(n_t) >= first)[None, :]
    if flare_rate and flare_size:
        starts = rng.random((n, n_t)) < flare_rate
        on = np.zeros((n, n_t), dtype=bool)
        for k in range(max(int(flare_days), 1)):
            on[:, k:] |= starts[:, : n_t - k]
        y = y + flare_size * on
    y = np.round(np.clip(y, *SCALE) / STEP) * STEP
    observed = rng.random((n, n_t)) >= missing
    return np.where(observed, y, np.nan), observed, exposure


def simulate_diary(plan: Plan | str | Path, *, effect: float = 0.0, phi: float = 0.5, tau: float = 2.0,
                   missing: float = 0.1, trend: float = 0.0, adherence: float = 1.0, seed: int = 0,
                   food: str | None = None, itch_effect: float | None = None) -> pd.DataFrame:
    """One simulated diary for a plan's trial, as the DataFrame a person would keep.

    Columns: ``date``, ``skin_score`` (the model above), ``itch`` (same model, independent noise, effect
    ``itch_effect``, by default half of ``effect``), ``adhered`` (0/1) and ``notes``. The outcome is simulated as
    "larger = worse"; for a plan whose ``better`` is ``higher`` the skin score is mirrored on the 0–10 scale.
    """
    plan = load_plan(plan)
    trial = plan.trial(food)
    eating = trial_eating(trial)
    rng = np.random.default_rng(seed)
    y, observed, exposure = simulate_batch(1, eating, effect=effect, phi=phi, tau=tau, missing=missing,
                                           trend=trend, rng=rng, adherence=adherence)
    itch, _, _ = simulate_batch(1, eating, effect=effect / 2 if itch_effect is None else itch_effect, phi=phi,
                                tau=tau, missing=0.0, trend=0.0, rng=rng, level=3.0)
    if plan.better == "higher":
        y = SCALE[1] - y
    days = [trial.start + timedelta(days=i) for i in range(eating.size)]
    adhered = np.where(exposure[0] != eating, 0.0, 1.0)
    frame = pd.DataFrame({
        "date": days,
        "skin_score": y[0],
        "itch": np.where(observed[0], itch[0], np.nan),
        "adhered": np.where(observed[0], adhered, np.nan),
        "notes": ["ate it by mistake" if a == 0 and o else "" for a, o in zip(adhered, observed[0], strict=True)],
    })
    return frame


def write_diary(frame: pd.DataFrame, path: str | Path, comment: str | None = None) -> Path:
    """Write a diary DataFrame as CSV (``#`` comment lines first, if given); missing values as empty cells."""
    path = Path(path)
    out = frame.copy()
    out["date"] = [d.isoformat() for d in out["date"]]
    text = out.to_csv(index=False, float_format="%g", lineterminator="\n")
    lines = "".join(f"# {ln}\n" for ln in (comment or "").splitlines() if comment)
    return write_atomic(path, lines + text)
