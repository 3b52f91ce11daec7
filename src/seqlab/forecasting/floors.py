"""The lower bounds of a Forecaster's forecasts: 0 for columns never negative in their
training rows (``nonnegative``), and the lowest value a series took before each forecast
origin where validation says so (``observed_floor``). Shape key: N windows, H horizon,
O targets, Q quantiles."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from seqlab.data.sources import Series
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.parts import Part

__all__ = ["at_least", "lower_bound", "observed_lowest"]

F64 = NDArray[np.float64]


def lower_bound(part: Part, config: ForecastConfig) -> F64:
    """(O,) the lowest value each target's forecasts may take: 0 or -inf (``nonnegative``;
    log values may be negative, and exp keeps their forecasts positive)."""
    if config.split.log:
        return np.full(len(part.targets), -np.inf)
    train = part.target_values[: part.train_end]
    choice = config.selection.nonnegative
    keep = (train >= 0).all(axis=0) if choice == "auto" else np.full(train.shape[1], choice)
    floor: F64 = np.where(keep, 0.0, -np.inf)
    return floor


def observed_lowest(part: Part, series: Series, origins: NDArray[np.int64]) -> F64:
    """(N, 1, O): the lowest value of each target column before each origin."""
    values = series.values[:, part.targets].astype(np.float64)
    lowest: F64 = np.fmin.accumulate(values, axis=0)[origins - 1][:, None, :]
    return lowest


def at_least(forecasts: F64, floor: F64 | None, lowest: F64 | None = None) -> F64:
    """Forecasts (N, H, O) or quantiles (N, H, O, Q) at or above ``floor`` (O,) and, where
    given, ``lowest`` (N, 1, O)."""
    out: F64 = forecasts
    if floor is not None and np.isfinite(floor).any():
        out = np.maximum(out, floor if out.ndim == 3 else floor[:, None])
    if lowest is not None:
        out = np.maximum(out, lowest if out.ndim == 3 else lowest[..., None])
    return out
