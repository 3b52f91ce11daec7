"""Metrics: pure functions on arrays."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["accuracy", "mae", "max_abs_error", "mse", "per_class_accuracy"]


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
