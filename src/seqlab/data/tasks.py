"""Built-in synthetic sequence tasks behind the reference scenarios.

Every generator takes a ``numpy.random.Generator`` and returns float32 inputs of shape
(N, T, 1), batch first, with their targets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from seqlab.errors import ConfigError

__all__ = [
    "FUTURE_CASES",
    "SERIES_PREDICTOR_ROWS",
    "SERIES_PREDICTOR_TESTS",
    "TASKS",
    "TaskData",
    "bit_sequences",
    "future_predictor",
    "future_predictor_pairs",
    "make_task",
    "series_predictor",
    "two_bit_stream",
]

F32 = NDArray[np.float32]

# The original series-predictor example: three training rows and two test rows.
SERIES_PREDICTOR_ROWS: tuple[tuple[list[float], list[float]], ...] = (
    ([1, 2, 5, 6], [1, 3, 7, 11]),
    ([5, 7, 7, 8], [5, 12, 14, 15]),
    ([3, 4, 5, 7], [3, 7, 9, 12]),
)
SERIES_PREDICTOR_TESTS: tuple[tuple[list[float], list[float]], ...] = (
    ([1, 2, 3, 4], [1, 3, 5, 7]),
    ([4, 5, 6, 7], [4, 9, 11, 13]),
)


@dataclass(frozen=True)
class TaskData:
    """Inputs (N, T, 1), targets, optional lengths (N,), and the head the task needs."""

    x: F32
    y: NDArray[np.generic]
    lengths: NDArray[np.int64] | None
    head: str
    task: str = "regression"
    num_classes: int | None = None


def pairwise_sum(x: F32) -> F32:
    """y_t = x_t + x_{t-1} along axis 1, with x_{-1} = 0."""
    prev = np.concatenate([np.zeros_like(x[:, :1]), x[:, :-1]], axis=1)
    out: F32 = (x + prev).astype(np.float32)
    return out


def series_predictor(n: int, length: int, rng: np.random.Generator, high: float = 10.0) -> TaskData:
    """Scenario 2: y = [x0, x0+x1, x1+x2, ...] with x uniform in [0, high)."""
    x = rng.uniform(0.0, high, size=(n, length, 1)).astype(np.float32)
    return TaskData(x, pairwise_sum(x), None, "per_step")


def two_bit_stream(n: int, rng: np.random.Generator) -> tuple[F32, NDArray[np.int64]]:
    """Scenario 3: a random 0/1 stream (n,) and classes 2*x_{t-1} + x_t (x_{-1} = 0)."""
    bits = rng.integers(0, 2, size=n)
    prev = np.concatenate([[0], bits[:-1]])
    return bits.astype(np.float32), (2 * prev + bits).astype(np.int64)


def bit_sequences(
    n: int,
    length: int,
    rng: np.random.Generator,
    *,
    per_step: bool,
    min_length: int | None = None,
) -> TaskData:
    """Scenario 4: random 0/1 sequences and their sum (per_step=False) or running sum.

    With ``min_length`` the true lengths are drawn uniformly from [min_length, length];
    steps past a sequence's length are zero padding and are returned in ``lengths``.
    """
    x = rng.integers(0, 2, size=(n, length, 1)).astype(np.float32)
    lengths = None
    if min_length is not None:
        lengths = rng.integers(min_length, length + 1, size=n).astype(np.int64)
        x[np.arange(length)[None, :] >= lengths[:, None]] = 0.0
    running = np.cumsum(x, axis=1, dtype=np.float32)  # (N, T, 1)
    if per_step:
        return TaskData(x, running, lengths, "per_step")
    total = running[:, -1]  # padding is zero, so the last step holds the sum: (N, 1)
    return TaskData(x, total, lengths, "last")


def _two_bit_sequences(n: int, length: int, rng: np.random.Generator) -> TaskData:
    x = rng.integers(0, 2, size=(n, length)).astype(np.float32)
    prev = np.concatenate([np.zeros((n, 1), np.float32), x[:, :-1]], axis=1)
    y = (2 * prev + x).astype(np.int64)
    return TaskData(x[..., None], y, None, "per_step", "classification", 4)


def make_task(name: str, n: int, length: int, seed: int) -> TaskData:
    """Generate ``n`` sequences of the built-in task ``name``."""
    if name not in TASKS:
        raise ConfigError(f"unknown task {name!r}; built-in tasks: {', '.join(TASKS)}")
    return TASKS[name](n, length, np.random.default_rng(seed))


# Scenario 1: value(i, j, t) = i*t^2 + j; read t = 0..3, predict t = 4..7.
FUTURE_I = (-25, 25)
FUTURE_J = (-100, 100)
FUTURE_CASES: tuple[tuple[list[float], list[float]], ...] = (
    ([33, 53, 113, 213], [353, 533, 753, 1013]),
    ([-17, -32, -77, -152], [-257, -392, -557, -752]),
    ([-7, -4, 5, 20], [41, 68, 101, 140]),
)


def future_predictor_pairs() -> NDArray[np.int64]:
    """Every integer pair (i, j) of the scenario's family: (51 * 201, 2)."""
    i = np.arange(FUTURE_I[0], FUTURE_I[1] + 1)
    j = np.arange(FUTURE_J[0], FUTURE_J[1] + 1)
    return np.stack(np.meshgrid(i, j, indexing="ij"), axis=-1).reshape(-1, 2)


def future_predictor(
    pairs: NDArray[np.int64], lookback: int = 4, horizon: int = 4
) -> tuple[F32, F32]:
    """Inputs (N, lookback, 1) at t = 0..lookback-1 and targets (N, horizon, 1) after them."""
    t = np.arange(lookback + horizon, dtype=np.float64)
    values = pairs[:, :1] * t[None, :] ** 2 + pairs[:, 1:2]  # (N, L+H)
    v = values.astype(np.float32)[..., None]
    return v[:, :lookback], v[:, lookback:]


def _future_predictor_task(n: int, length: int, rng: np.random.Generator) -> TaskData:
    pairs = future_predictor_pairs()
    x, y = future_predictor(
        pairs[rng.choice(len(pairs), size=n, replace=n > len(pairs))], length, length
    )
    return TaskData(x, y, None, "seq2seq")


TASKS: dict[str, Callable[[int, int, np.random.Generator], TaskData]] = {
    "future-predictor": _future_predictor_task,
    "series-predictor": lambda n, t, rng: series_predictor(n, t, rng),
    "two-bit": _two_bit_sequences,
    "bit-sum": lambda n, t, rng: bit_sequences(n, t, rng, per_step=False),
    "bit-running-sum": lambda n, t, rng: bit_sequences(n, t, rng, per_step=True),
}
