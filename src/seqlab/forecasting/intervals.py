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

Calibration assumes the validation and test windows are exchangeable; the evaluation
reports the coverage actually reached on the test windows, per level and per step, with the
M4 competition's interval score (MSIS) and the mean width.

Shape key: N windows, H horizon, F target columns, K interval levels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["bands", "calibrate", "interval_scores", "label", "quantile_pair"]

F64 = NDArray[np.float64]


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


def bands(low: F64, high: F64, radius: Sequence[float], scale: F64) -> tuple[F64, F64]:
    """The calibrated band of forecasts (N, H, F): [low, high] widened by ``radius`` (H,)
    times each column's ``scale`` (F,)."""
    r = np.asarray(radius, np.float64)[None, :, None] * scale[None, None, :]
    return low - r, high + r


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
