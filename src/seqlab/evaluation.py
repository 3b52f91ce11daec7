"""Evaluations beyond a single metric: error against sequence length."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from seqlab.metrics import mse

__all__ = ["length_sweep"]

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
