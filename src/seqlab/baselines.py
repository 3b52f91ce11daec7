"""Baseline forecasts every model is compared with.

Each takes the whole series ``values`` (T, F) in original units, the forecast origins
``origins`` (N,) — the index of the first forecast step, so only rows before it are known —
and the horizon H, and returns forecasts (N, H, F). Seasonal baselines take the period m
(12 for monthly data). ``train_end`` bounds what the fitted baselines learn from.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from seqlab.errors import DataError

__all__ = [
    "BASELINES",
    "climatology",
    "drift",
    "linear_ar",
    "naive",
    "run_baselines",
    "seasonal_naive",
]

F64 = NDArray[np.float64]


def _steps(origins: NDArray[np.int64], horizon: int) -> NDArray[np.int64]:
    return origins[:, None] + np.arange(horizon)[None, :]  # (N, H) absolute indices


def naive(values: F64, origins: NDArray[np.int64], horizon: int) -> F64:
    """Persistence: the last known value, repeated."""
    return np.repeat(values[origins - 1][:, None], horizon, axis=1)


def seasonal_naive(values: F64, origins: NDArray[np.int64], horizon: int, period: int) -> F64:
    """The value one season (or as many as needed) before each forecast step."""
    steps = _steps(origins, horizon)
    back = period * np.ceil((steps - origins[:, None] + 1) / period).astype(np.int64)
    out: F64 = values[steps - back]
    return out


def drift(values: F64, origins: NDArray[np.int64], horizon: int) -> F64:
    """The line from the first value to the last known one, extended."""
    last = values[origins - 1]
    slope = (last - values[0]) / np.maximum(origins - 1, 1)[:, None]
    out: F64 = last[:, None] + slope[:, None] * np.arange(1, horizon + 1)[None, :, None]
    return out


def climatology(
    values: F64, origins: NDArray[np.int64], horizon: int, period: int, train_end: int
) -> F64:
    """The mean of each season over the training rows."""
    seasons = np.arange(train_end) % period
    means = np.stack([values[:train_end][seasons == s].mean(axis=0) for s in range(period)])
    return means[_steps(origins, horizon) % period]


def linear_ar(
    values: F64, origins: NDArray[np.int64], horizon: int, lookback: int, train_end: int
) -> F64:
    """Per-feature linear autoregression on the last ``lookback`` values, one least-squares
    map to all H steps, fitted on the training windows."""
    train_origins = np.arange(lookback, train_end - horizon + 1)
    if len(train_origins) < 2:
        raise DataError("too few training windows to fit the linear autoregression baseline")
    out = np.empty((len(origins), horizon, values.shape[1]))
    for f in range(values.shape[1]):
        col = values[:, f]
        past = col[train_origins[:, None] - lookback + np.arange(lookback)[None, :]]
        design = np.concatenate([past, np.ones((len(past), 1))], axis=1)
        weights, *_ = np.linalg.lstsq(design, col[_steps(train_origins, horizon)], rcond=None)
        recent = col[origins[:, None] - lookback + np.arange(lookback)[None, :]]
        out[:, :, f] = np.concatenate([recent, np.ones((len(origins), 1))], axis=1) @ weights
    return out


BASELINES = ("naive", "seasonal naive", "drift", "climatology", "linear AR")


def run_baselines(
    values: F64,
    origins: NDArray[np.int64],
    horizon: int,
    *,
    lookback: int,
    train_end: int,
    period: int | None,
) -> dict[str, F64]:
    """Every baseline that applies (the seasonal ones need a period)."""
    values = np.asarray(values, dtype=np.float64)
    out = {"naive": naive(values, origins, horizon), "drift": drift(values, origins, horizon)}
    if period is not None and period > 1 and origins.min() >= period:
        out["seasonal naive"] = seasonal_naive(values, origins, horizon, period)
        out["climatology"] = climatology(values, origins, horizon, period, train_end)
    out["linear AR"] = linear_ar(values, origins, horizon, lookback, train_end)
    return out
