"""Choosing what to forecast with, on validation windows only: the network, each baseline,
or the mean of the network and the best baseline.

The score is scale free, so that every series weighs the same: each series' (and column's)
mean absolute error divided by the in-sample mean absolute error of the seasonal naive
forecast (plain naive without a period) on its training rows — MASE — averaged over series
and columns. One choice is made for all series together (a global choice): with one or a few
validation windows per series, a per-series choice mostly picks noise, while the global
choice pools every series' windows.

Shape key: N windows, H horizon, F target columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["MODEL", "ValidationBlock", "choose", "combine", "mase_scale"]

F64 = NDArray[np.float64]
MODEL = "model"


@dataclass
class ValidationBlock:
    """One series' validation windows: truth (N, H, F), each candidate's forecasts (N, H, F)
    and the scale of each column (F,) from its training rows."""

    truth: F64
    forecasts: dict[str, F64]
    scale: F64 = field(default_factory=lambda: np.ones(1))


def mase_scale(training: F64, period: int | None) -> F64:
    """(F,) in-sample MAE of the seasonal naive (naive without a period) on training rows
    (T, F); a column with none (constant) gets 1."""
    m = period if period and period > 1 and len(training) > period else 1
    if len(training) <= m:
        return np.ones(training.shape[1])
    scale: F64 = np.abs(training[m:] - training[:-m]).mean(axis=0)
    return np.where(scale > 0, scale, 1.0)


def combine(model: F64, baseline: F64) -> F64:
    """The combination candidate: the mean of the network's and a baseline's forecasts."""
    out: F64 = 0.5 * (model + baseline)
    return out


def _scores(blocks: list[ValidationBlock], methods: list[str]) -> dict[str, float]:
    scores = {}
    for m in methods:
        per_series = [
            (np.abs(b.forecasts[m] - b.truth).mean(axis=(0, 1)) / b.scale).mean() for b in blocks
        ]
        scores[m] = float(np.mean(per_series))
    return scores


def choose(blocks: list[ValidationBlock]) -> tuple[str, dict[str, float]]:
    """(chosen method, validation MASE of every candidate). Candidates: the network
    (``"model"``), every baseline present in all blocks, and ``"model + <best baseline>"``.
    Ties go to the network."""
    methods = [m for m in blocks[0].forecasts if all(m in b.forecasts for b in blocks)]
    scores = _scores(blocks, methods)
    baselines = [m for m in methods if m != MODEL]
    if MODEL in scores and baselines:
        best = min(baselines, key=lambda m: scores[m])
        combo = f"{MODEL} + {best}"
        for b in blocks:
            b.forecasts[combo] = combine(b.forecasts[MODEL], b.forecasts[best])
        scores.update(_scores(blocks, [combo]))
    order = [MODEL, *[m for m in scores if m != MODEL]] if MODEL in scores else list(scores)
    chosen = min(order, key=lambda m: scores[m])
    return chosen, scores
