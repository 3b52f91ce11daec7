"""Interval calibration: split-conformal radii of ``intervals`` from the chosen method's
errors on the validation windows, calibrated bands around any forecasts, and the adaptive
radii over test windows (the method is described in :mod:`seqlab.forecasting.intervals`).
Functions of their arguments: nothing is stored. Shape key: N windows, H horizon, F target
columns."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from seqlab.errors import DataError
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.intervals import (
    adaptive_radii,
    calibrate,
    label,
    quantile_pair,
    score_grid,
)
from seqlab.forecasting.intervals import bands as scaled_bands
from seqlab.forecasting.intervals import scores as interval_scores_of

__all__ = ["Window", "adaptive", "adapts", "bands", "calibration", "raw_bands"]

log = logging.getLogger(__name__)
F64 = NDArray[np.float64]


class Window(NamedTuple):
    """Windows of one series: origins (N,), truth (N, H, F; NaN where not yet known), the
    network's raw outputs and the chosen method's point forecasts (N, H, F)."""

    origins: NDArray[np.int64]
    truth: F64
    raw: F64
    point: F64


def calibration(
    config: ForecastConfig, windows: Mapping[str, Window], scales: Mapping[str, F64]
) -> dict[str, Any]:
    """Split-conformal radii of ``intervals`` from the chosen method's errors on every
    validation window of every series (before any refit, so the windows were not trained
    on); {} without ``intervals``."""
    c = config
    if not c.intervals:
        return {}
    found: dict[float, list[F64]] = {level: [] for level in c.intervals}
    for name, w in windows.items():
        for level, (low, high) in raw_bands(c, w.raw, w.point).items():
            found[level].append(interval_scores_of(w.truth, low, high, scales[name]))
    if not any(found.values()):
        raise DataError("`intervals` need validation windows; give val_rows or val_fraction")
    pairs = [quantile_pair(level, c.quantiles) for level in c.intervals]
    n = sum(len(x) for x in next(iter(found.values())))
    short = [lv for lv in c.intervals if math.ceil((n + 1) * lv) > n]
    if short:
        need = math.ceil(short[-1] / (1 - short[-1]))
        raise DataError(
            f"a {short[-1]:.0%} interval needs at least {need} validation windows (series "
            f"x columns); there are {n}: lower the level or keep more validation rows"
        )
    log.info("intervals calibrated on %d windows", n)
    return {
        "method": "conformalised quantile regression" if all(pairs) else "split conformal",
        "adaptation": c.interval_method,
        "windows": int(n),
        "radii": {
            k: v
            for level, blocks in found.items()
            for k, v in calibrate(np.concatenate(blocks), [level]).items()
        },
        "scores": {label(level): score_grid(np.concatenate(b)) for level, b in found.items()},
    }


def raw_bands(config: ForecastConfig, raw: F64, point: F64) -> dict[float, tuple[F64, F64]]:
    """Per level, the band (N, H, F) before calibration: the quantile pair of a quantile
    model's raw outputs, else the chosen forecast twice."""
    out = {}
    for level in config.intervals:
        pair = quantile_pair(level, config.quantiles) if raw.ndim == 4 else None
        out[level] = (raw[..., pair[0]], raw[..., pair[1]]) if pair else (point, point)
    return out


def bands(
    config: ForecastConfig,
    intervals: Mapping[str, Any],
    scale: F64,
    raw: F64,
    point: F64,
    radii: Mapping[str, F64] | None = None,
) -> dict[str, tuple[F64, F64]]:
    """Calibrated bands (N, H, F) per level label around forecasts already made: with the
    validation radii, or with ``radii`` per level (N, H, F) window by window."""
    if not intervals:
        raise DataError("this Forecaster has no intervals; fit it with intervals=(0.8, ...)")
    out = {}
    for level, (low, high) in raw_bands(config, raw, point).items():
        key = label(level)
        radius = intervals["radii"][key] if radii is None else radii[key]
        out[key] = scaled_bands(low, high, radius, scale)
    return out


def adapts(intervals: Mapping[str, Any]) -> bool:
    """Whether test windows adapt the bands (adaptive method, a calibration to adapt)."""
    return (
        bool(intervals)
        and intervals.get("adaptation", "split") == "adaptive"
        and "scores" in intervals
    )


def adaptive(
    config: ForecastConfig,
    intervals: Mapping[str, Any],
    windows: Mapping[str, Window],
    test_starts: Mapping[str, int],
    scales: Mapping[str, F64],
) -> tuple[dict[str, dict[str, F64]], dict[str, Any]]:
    """Adaptive conformal radii (N, H, F) per series and level for the test ``windows``
    of every series, taken in the order of their origins (counted from the start of each
    series' test part, ``test_starts``, so series on one calendar move together); a window's
    outcome counts once it is known (NaN truth: never); see
    :func:`~seqlab.forecasting.intervals.adaptive_radii`. Also returns, per level, what
    adaptation reached (``share``)."""
    names = list(windows)
    cols = [windows[n].truth.shape[2] for n in names]
    times = np.concatenate(
        [
            np.repeat(windows[n].origins - test_starts[n], f)
            for n, f in zip(names, cols, strict=True)
        ]
    )
    out: dict[str, dict[str, F64]] = {n: {} for n in names}
    reached: dict[str, Any] = {}
    for level in config.intervals:
        key = label(level)
        realised = np.concatenate(
            [
                interval_scores_of(w.truth, *raw_bands(config, w.raw, w.point)[level], scales[n])
                for n, w in windows.items()
            ]
        )  # (sum N * F, H), window by window, columns within
        radii, share = adaptive_radii(intervals["scores"][key], times, realised, level)
        reached[key] = share
        start = 0
        for n, f in zip(names, cols, strict=True):
            rows = len(windows[n].origins) * f
            r = radii[start : start + rows].reshape(-1, f, radii.shape[1]).transpose(0, 2, 1)
            out[n][key] = r
            start += rows
    return out, reached
