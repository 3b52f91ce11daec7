"""Chronological splits and sliding windows over a (T, F) series.

Shape key: T time steps, F features, N windows, L lookback, H horizon, O targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from seqlab.errors import DataError

__all__ = [
    "Split",
    "ahead_index",
    "chronological_split",
    "first_origin",
    "lookback_index",
    "make_windows",
]


@dataclass(frozen=True)
class Split:
    """Row ranges [start, stop) of a chronological train / validation / test split."""

    train: tuple[int, int]
    val: tuple[int, int]
    test: tuple[int, int]


def chronological_split(
    length: int, val_fraction: float = 0.1, test_fraction: float = 0.2
) -> Split:
    """Train first, then validation, then test; no row is in two parts, none is reordered.
    ``test_fraction`` is a share of all rows, ``val_fraction`` a share of the rows before the
    test part (the meaning ForecastConfig gives them)."""
    if length < 3:
        raise DataError(f"a chronological split needs at least 3 rows, got {length}")
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= value < 1.0:
            raise DataError(f"`{name}` must be in [0, 1), got {value!r}")
    n_test = round(length * test_fraction)
    n_val = round((length - n_test) * val_fraction)
    n_train = length - n_val - n_test
    if n_train < 1:
        raise DataError(f"the split leaves no training rows out of {length}")
    return Split((0, n_train), (n_train, n_train + n_val), (n_train + n_val, length))


def make_windows(
    values: NDArray[np.floating],
    lookback: int,
    horizon: int,
    stride: int = 1,
    targets: Sequence[int] | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Sliding windows: inputs (N, L, F) and the next H steps of the targets (N, H, O).

    Window n reads rows [n*stride, n*stride + L) and predicts [n*stride + L, n*stride + L + H).
    """
    for name, value in (("lookback", lookback), ("horizon", horizon), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DataError(f"`{name}` must be a positive integer, got {value!r}")
    arr = np.asarray(values, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise DataError(f"expected a series of shape (time, features), got {arr.shape}")
    need = lookback + horizon
    if arr.shape[0] < need:
        raise DataError(
            f"the series has {arr.shape[0]} steps, fewer than lookback + horizon = "
            f"{lookback} + {horizon}; it needs at least {need} steps"
        )
    cols = list(range(arr.shape[1])) if targets is None else list(targets)
    starts = np.arange(0, arr.shape[0] - need + 1, stride)
    steps = np.arange(need)
    windows = arr[starts[:, None] + steps[None, :]]  # (N, L+H, F)
    return windows[:, :lookback], windows[:, lookback:][:, :, cols]


def lookback_index(origins: NDArray[np.integer], lookback: int) -> NDArray[np.int64]:
    """(N, L) row numbers of the ``lookback`` rows before each origin; rows before the first
    read the first row (left padding of a history shorter than the lookback, as N-BEATS pads
    short series)."""
    past = np.asarray(origins, np.int64)[:, None] - lookback + np.arange(lookback)[None, :]
    clipped: NDArray[np.int64] = np.maximum(past, 0)
    return clipped


def ahead_index(origins: NDArray[np.integer], horizon: int) -> NDArray[np.int64]:
    """(N, H) row numbers of the ``horizon`` rows from each origin on."""
    return np.asarray(origins, np.int64)[:, None] + np.arange(horizon)[None, :]


def first_origin(train_end: int, lookback: int, horizon: int) -> int:
    """The first window origin of a series with ``train_end`` training rows: ``lookback`` (a
    window of real rows only) when its training rows hold one; otherwise, for a short series,
    the origin that leaves ``horizon`` real input rows where there are that many (at least
    one), the rest of the window left-padded (:func:`lookback_index`)."""
    if train_end - horizon >= lookback:
        return lookback
    return max(1, min(horizon, train_end - horizon))
