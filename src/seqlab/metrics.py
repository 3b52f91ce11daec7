"""Metrics: pure functions on arrays."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "accuracy",
    "forecast_metrics",
    "length_sweep",
    "mae",
    "mape",
    "mase",
    "max_abs_error",
    "mse",
    "owa",
    "per_class_accuracy",
    "rmse",
    "smape",
]


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("cannot compute a metric on empty arrays")
    return a, b


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    a, b = _pair(y_true, y_pred)
    return float(np.mean((a - b) ** 2))


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    a, b = _pair(y_true, y_pred)
    return float(np.mean(np.abs(a - b)))


def max_abs_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    a, b = _pair(y_true, y_pred)
    return float(np.max(np.abs(a - b)))


def accuracy(labels: ArrayLike, predicted: ArrayLike) -> float:
    a, b = _pair(labels, predicted)
    return float(np.mean(a == b))


def per_class_accuracy(labels: ArrayLike, predicted: ArrayLike, num_classes: int) -> list[float]:
    """Accuracy within each true class (NaN for a class that never occurs)."""
    a, b = _pair(labels, predicted)
    out = []
    for k in range(num_classes):
        mask = a == k
        out.append(float(np.mean(b[mask] == k)) if mask.any() else float("nan"))
    return out


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    return float(np.sqrt(mse(y_true, y_pred)))


def mape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute percentage error (%), over values whose truth is not 0."""
    a, b = _pair(y_true, y_pred)
    keep = a != 0
    return (
        float(100 * np.mean(np.abs((a[keep] - b[keep]) / a[keep]))) if keep.any() else float("nan")
    )


def smape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Symmetric MAPE (%) in [0, 200]; 0/0 counts as 0."""
    a, b = _pair(y_true, y_pred)
    denom = np.abs(a) + np.abs(b)
    ratio = np.divide(2 * np.abs(a - b), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(100 * np.mean(ratio))


def mase(y_true: ArrayLike, y_pred: ArrayLike, train: ArrayLike, period: int = 1) -> float:
    """MAE scaled by the in-sample MAE of the (seasonal) naive forecast on ``train``."""
    t = np.asarray(train, dtype=np.float64)
    if t.shape[0] <= period:
        raise ValueError(f"MASE needs more than {period} training values, got {t.shape[0]}")
    scale = float(np.mean(np.abs(t[period:] - t[:-period])))
    return mae(y_true, y_pred) / scale if scale > 0 else float("nan")


def forecast_metrics(
    y_true: ArrayLike, y_pred: ArrayLike, train: ArrayLike, period: int = 1
) -> dict[str, float]:
    """MSE, MAE, RMSE, MAPE, sMAPE and MASE of one forecast."""
    return {
        "mse": mse(y_true, y_pred),
        "mae": mae(y_true, y_pred),
        "rmse": rmse(y_true, y_pred),
        "mape": mape(y_true, y_pred),
        "smape": smape(y_true, y_pred),
        "mase": mase(y_true, y_pred, train, period),
    }


def owa(smape_value: float, mase_value: float, smape_naive2: float, mase_naive2: float) -> float:
    """The M4 competition's overall weighted average: the mean of sMAPE and MASE, each
    relative to Naive2's on the same set (1 = as good as Naive2, lower is better)."""
    if smape_naive2 <= 0 or mase_naive2 <= 0:
        raise ValueError(
            f"OWA needs positive Naive2 scores, got sMAPE {smape_naive2!r}, MASE {mase_naive2!r}"
        )
    return 0.5 * (smape_value / smape_naive2 + mase_value / mase_naive2)


Generator = Callable[
    [int, int, np.random.Generator], tuple[NDArray[np.float32], NDArray[np.float32]]
]
Predict = Callable[[NDArray[np.float32]], NDArray[np.float32]]


def length_sweep(
    predict: Predict, generate: Generator, lengths: Sequence[int], n: int = 500, seed: int = 0
) -> list[tuple[int, float]]:
    """MSE of ``predict`` on ``n`` fresh sequences of each length: [(length, mse), ...].

    ``generate(n, length, rng)`` returns inputs (n, length, F) and targets; the same seed
    gives every model the same sequences.
    """
    out = []
    for length in lengths:
        x, y = generate(n, length, np.random.default_rng([seed, length]))
        out.append((int(length), mse(y, predict(x))))
    return out
