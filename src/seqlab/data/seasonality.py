"""Is there a season to remove? A permutation test on the training rows.

The statistic is the share of the variance of the first differences explained by the mean of
each season (month, hour, ...), pooled over every series and column. Differences make a
random walk look like what it is (no season) while keeping a seasonal cycle visible. The
p-value compares it with the same share after shuffling the season labels within each
series: no distributional assumption, and the same answer for the same data every time.
Shape key: T rows, F columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["seasonality_p_value"]


def _explained(diffs: NDArray[np.float64], seasons: NDArray[np.int64], period: int) -> float:
    """Between-season sum of squares of (T, F) differences, summed over columns."""
    counts = np.bincount(seasons, minlength=period).astype(np.float64)  # (period,)
    sums = np.stack(
        [np.bincount(seasons, weights=diffs[:, f], minlength=period) for f in range(diffs.shape[1])]
    )  # (F, period)
    filled = counts > 0
    between = (sums[:, filled] ** 2 / counts[filled]).sum() - (diffs.sum(axis=0) ** 2).sum() / len(
        diffs
    )
    return float(between)


def seasonality_p_value(
    values: Sequence[NDArray[np.floating]],
    seasons: Sequence[NDArray[np.int64]],
    period: int,
    permutations: int = 999,
    seed: int = 0,
) -> float:
    """p-value of "no season" for training rows ``values[k]`` (T_k, F) with season labels
    ``seasons[k]`` (T_k,). Small (e.g. < 0.01): the season means explain more of the changes
    than shuffled labels do."""
    diffs, labels = [], []
    for v, s in zip(values, seasons, strict=True):
        arr = np.asarray(v, dtype=np.float64)
        if len(arr) > period + 1:
            diffs.append(np.diff(arr, axis=0))  # (T-1, F)
            labels.append(np.asarray(s[1 : len(arr)], dtype=np.int64))
    if not diffs:
        return 1.0
    total = sum(float(((d - d.mean(axis=0)) ** 2).sum()) for d in diffs)
    if total == 0.0:
        return 1.0
    observed = sum(_explained(d, s, period) for d, s in zip(diffs, labels, strict=True))
    rng = np.random.default_rng(seed)
    exceed = 0
    for _ in range(permutations):
        shuffled = sum(
            _explained(d, rng.permutation(s), period) for d, s in zip(diffs, labels, strict=True)
        )
        exceed += shuffled >= observed - 1e-12 * total
    return (exceed + 1) / (permutations + 1)
