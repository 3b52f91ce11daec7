"""Prediction intervals calibrated on validation windows by split conformal prediction.

For every validation window (rows before the test part, never the test rows) the
nonconformity score of each horizon step is the absolute error of the forecast divided by
the series' MASE scale (the in-sample MAE of the seasonal naive forecast on its training
rows), so that one band width serves series of different scales. For coverage ``level`` the
radius of step h is the ceil((n + 1) * level)-th smallest of the n scores of that step (the
finite-sample split-conformal quantile, Vovk et al. 2005; Lei et al. 2018); the band is
``forecast -/+ radius * scale``. With quantile outputs that contain the pair
((1 - level) / 2, (1 + level) / 2) the score is conformalised quantile regression's
``max(low - y, y - high) / scale`` and the band widens (or narrows) that pair (Romano,
Patterson & Candès, 2019).

Split conformal assumes the validation and test windows are exchangeable. When they are not
(a calmer or a wilder test period), :func:`adaptive_radii` adapts the level online as the
test windows' outcomes become known (adaptive conformal inference, Gibbs & Candès 2021):
each expert runs ACI with its own step size ``gamma`` (0 is plain split conformal), and each
window uses the expert whose bands have had the lowest pinball loss on the windows already
known at its origin (follow the leader over experts, as in Gibbs & Candès 2022 and
Zaffran et al. 2022). The evaluation reports the coverage actually reached on the test
windows, per level and per step, with the M4 competition's interval score (MSIS) and the
mean width.

Shape key: N windows, H horizon, F target columns, K interval levels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "GAMMAS",
    "adaptive_radii",
    "bands",
    "calibrate",
    "grid_radius",
    "interval_scores",
    "label",
    "quantile_pair",
    "score_grid",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

# ACI step sizes of the experts: 0 is split conformal; 0.005 is Gibbs & Candès' choice; the
# larger ones follow faster shifts (each window uses the best expert so far)
GAMMAS = (0.0, 0.002, 0.005, 0.01, 0.02, 0.05)


def label(level: float) -> str:
    """``0.8`` -> ``"80"`` (column names, report keys)."""
    return f"{100 * level:g}"


def quantile_pair(level: float, quantiles: Sequence[float] | None) -> tuple[int, int] | None:
    """Positions of the quantiles ((1 - level) / 2, (1 + level) / 2) if both are outputs."""
    if not quantiles:
        return None
    qs = [round(q, 6) for q in quantiles]
    low, high = round((1 - level) / 2, 6), round((1 + level) / 2, 6)
    return (qs.index(low), qs.index(high)) if low in qs and high in qs else None


def scores(truth: F64, low: F64, high: F64, scale: F64) -> F64:
    """Nonconformity (N * F, H) of windows (N, H, F) against a band [low, high] (a point
    forecast is a band of width 0), in units of each column's ``scale`` (F,)."""
    s: F64 = np.maximum(low - truth, truth - high) / scale
    return s.transpose(0, 2, 1).reshape(-1, truth.shape[1])


def calibrate(score: F64, levels: Sequence[float]) -> dict[str, list[float]]:
    """Per level, the radius of each horizon step (H,) from the scores (n, H) of n windows;
    ``inf`` where n is too small for the level (fewer than 1 / (1 - level) - 1 windows)."""
    n = score.shape[0]
    ordered = np.sort(score, axis=0)
    radii = {}
    for level in levels:
        k = math.ceil((n + 1) * level)
        row = ordered[k - 1] if k <= n else np.full(score.shape[1], np.inf)
        radii[label(level)] = row.tolist()
    return radii


def bands(low: F64, high: F64, radius: Sequence[float] | F64, scale: F64) -> tuple[F64, F64]:
    """The calibrated band of forecasts (N, H, F): [low, high] widened by ``radius`` — (H,)
    for every window, or (N, H, F) window by window — times each column's ``scale`` (F,)."""
    radius = np.asarray(radius, np.float64)
    r = (radius if radius.ndim == 3 else radius[None, :, None]) * scale[None, None, :]
    return low - r, high + r


def score_grid(score: F64, points: int = 201) -> dict[str, Any]:
    """A compact, JSON-ready copy of the calibration scores (n, H): the sorted scores at up
    to ``points`` evenly spaced ranks per step (all of them when n <= points)."""
    n = score.shape[0]
    ranks = np.unique(np.round(np.linspace(1, n, min(n, points))).astype(np.int64))
    ordered = np.sort(score, axis=0)
    return {"n": int(n), "ranks": ranks.tolist(), "values": ordered[ranks - 1].tolist()}


def grid_radius(grid: Mapping[str, Any], alpha: F64) -> F64:
    """Radius (G, H) at miscoverage ``alpha`` (G, H): the ceil((n + 1)(1 - alpha))-th smallest
    calibration score (interpolated between the grid's ranks); 0 below rank 1 and, above rank
    n, the largest score (where ACI proper would give an infinite band, which no forecast
    table, width or interval score can use)."""
    n, ranks = int(grid["n"]), np.asarray(grid["ranks"], np.float64)
    values = np.asarray(grid["values"], np.float64)  # (m, H)
    k = np.ceil((n + 1) * (1.0 - alpha))  # (G, H)
    pos = np.interp(np.clip(k, 1, n), ranks, np.arange(len(ranks), dtype=np.float64))
    low = np.floor(pos).astype(np.int64)
    high = np.minimum(low + 1, len(ranks) - 1)
    steps = np.arange(values.shape[1])
    frac = pos - low
    picked = values[low, steps] * (1 - frac) + values[high, steps] * frac
    out: F64 = np.where(k < 1, 0.0, picked)  # k > n was clipped to n: the largest score
    return out


def adaptive_radii(
    grid: Mapping[str, Any],
    times: I64,
    realised: F64,
    level: float,
    gammas: Sequence[float] = GAMMAS,
) -> tuple[F64, dict[str, float]]:
    """Radii (N, H) of N windows that arrive in the order of ``times`` (N,) (their origins;
    step h of a window is known at a later origin t when ``time + h < t``), adapted online
    from the ``realised`` scores (N, H; nan where unknown) of the windows already known, with
    the calibration scores (:func:`score_grid`) as the reference distribution (see the
    module docstring). Also returns the share of windows each expert's gamma served."""
    a = 1.0 - level
    n_win, steps = realised.shape
    grid = {k: np.asarray(v, np.float64) for k, v in grid.items()}  # lists -> arrays, once
    g = np.asarray(gammas, np.float64)[:, None]  # (G, 1)
    order = np.argsort(times, kind="stable")
    t_sorted = times[order]
    err = np.zeros((len(g), n_win + 1, steps))  # cumulative misses per expert, known windows
    loss = np.zeros((len(g), n_win + 1, steps))  # cumulative pinball loss per expert
    out = np.empty((n_win, steps))
    used = np.zeros(len(g))
    h = np.arange(steps)
    for pos, i in enumerate(order):
        known = np.searchsorted(t_sorted, t_sorted[pos] - h, side="left")  # (H,)
        alpha = a + g * (known * a - err[:, known, h])  # (G, H)
        radius = grid_radius(grid, alpha)  # (G, H)
        best = np.argmin(loss[:, known, h], axis=0)  # (H,) ties go to the smaller gamma
        out[i] = radius[best, h]
        np.add.at(used, best, 1.0 / steps)
        s = realised[i]
        seen = np.isfinite(s)
        pin = np.where(s > radius, (1 - a) * (s - radius), a * (radius - s))
        err[:, pos + 1] = err[:, pos] + (seen & (s > radius))
        loss[:, pos + 1] = loss[:, pos] + np.where(seen, pin, 0.0)
    share = {f"{x:g}": float(u / max(n_win, 1)) for x, u in zip(gammas, used, strict=True)}
    return out, share


def interval_scores(
    truth: F64, lower: F64, upper: F64, level: float, scale: F64
) -> dict[str, float | list[float]]:
    """Coverage (overall and per step), mean width and MSIS of bands on windows (N, H, F);
    width and MSIS are in units of each column's ``scale`` (F,), MSIS as in the M4
    competition: mean of (U - L) + 2/a (L - y)[y < L] + 2/a (y - U)[y > U], a = 1 - level,
    divided by the scale."""
    inside = (truth >= lower) & (truth <= upper)
    a = 1.0 - level
    penalty = (upper - lower) + (2 / a) * np.maximum(lower - truth, 0.0)
    penalty += (2 / a) * np.maximum(truth - upper, 0.0)
    return {
        "nominal": level,
        "coverage": float(inside.mean()),
        "coverage_by_step": inside.mean(axis=(0, 2)).tolist(),
        "width": float(((upper - lower) / scale).mean()),
        "msis": float((penalty / scale).mean()),
    }
