"""Rows of recurrent state for named series, kept in contiguous arrays.

A batched update gathers the rows it needs with one fancy index and scatters the new
state back with another, so updating 1,000 series costs a few array operations rather
than 1,000 Python-level ones. Each row remembers when it was last used, so a bounded table
can evict the least recently used series. Shape key: L layers, N series, D hidden,
F inputs, O outputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["StateTable"]

F32 = NDArray[np.float32]


class StateTable:
    """h (L, N, D), c (L, N, D) for LSTMs, the last scaled input (N, F) and last output (N, O)."""

    def __init__(self, layers: int, hidden: int, lstm: bool, inputs: int, outputs: int) -> None:
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.h = np.zeros((layers, 0, hidden), np.float32)
        self.c = np.zeros((layers, 0, hidden), np.float32) if lstm else None
        self.last = np.zeros((0, inputs), np.float32)
        self.output = np.zeros((0, outputs), np.float32)
        self.seen = np.zeros(0, bool)
        self.used = np.zeros(0, np.int64)  # the clock value of each row's last use
        self.clock = 0

    def __len__(self) -> int:
        return len(self.ids)

    def _grow(self, n: int) -> None:
        size = len(self.ids) + n
        if size <= self.h.shape[1]:
            return
        cap = max(size, 2 * self.h.shape[1], 8)

        def grown(a: F32, axis: int) -> F32:
            shape = list(a.shape)
            shape[axis] = cap - a.shape[axis]
            return np.concatenate([a, np.zeros(shape, a.dtype)], axis=axis)

        self.h = grown(self.h, 1)
        self.c = None if self.c is None else grown(self.c, 1)
        self.last, self.output = grown(self.last, 0), grown(self.output, 0)
        self.seen = np.concatenate([self.seen, np.zeros(cap - self.seen.shape[0], bool)])
        self.used = np.concatenate([self.used, np.zeros(cap - self.used.shape[0], np.int64)])

    def rows(self, ids: Sequence[str]) -> NDArray[np.intp]:
        """Row numbers of ``ids``, adding the ones not seen before (zero state)."""
        index = self.index
        new = [i for i in dict.fromkeys(ids) if i not in index]
        if new:
            self._grow(len(new))
            for series_id in new:
                index[series_id] = len(self.ids)
                self.ids.append(series_id)
        rows = np.fromiter((index[i] for i in ids), np.intp, len(ids))
        self.touch(rows)
        return rows

    def touch(self, rows: NDArray[np.intp] | int) -> None:
        """Mark ``rows`` as used now (least-recently-used eviction reads this)."""
        self.clock += 1
        self.used[rows] = self.clock

    def least_recently_used(self, n: int) -> list[str]:
        """The ids of the ``n`` series used longest ago."""
        order = np.argsort(self.used[: len(self.ids)], kind="stable")[:n]
        return [self.ids[r] for r in order]

    def clear(self, row: int) -> None:
        self.h[:, row] = 0.0
        if self.c is not None:
            self.c[:, row] = 0.0
        self.last[row], self.output[row], self.seen[row] = 0.0, 0.0, False

    def drop(self, series_id: str) -> None:
        """Remove a series; the last row moves into its place."""
        row, end = self.index.pop(series_id), len(self.ids) - 1
        if row != end:
            moved = self.ids[end]
            self.h[:, row] = self.h[:, end]
            if self.c is not None:
                self.c[:, row] = self.c[:, end]
            self.last[row], self.output[row], self.seen[row], self.used[row] = (
                self.last[end],
                self.output[end],
                self.seen[end],
                self.used[end],
            )
            self.ids[row], self.index[moved] = moved, row
        self.ids.pop()
        self.clear(end)

    def arrays(self) -> dict[str, F32]:
        n = len(self.ids)
        out = {
            "h": self.h[:, :n],
            "last": self.last[:n],
            "output": self.output[:n],
            "seen": self.seen[:n].astype(np.float32),
        }
        if self.c is not None:
            out["c"] = self.c[:, :n]
        return {k: np.ascontiguousarray(v) for k, v in out.items()}

    def restore(self, ids: list[str], arrays: dict[str, F32]) -> None:
        if len(set(ids)) != len(ids):
            raise ValueError("series ids must be unique")
        self.ids, self.index = list(ids), {i: k for k, i in enumerate(ids)}
        self.h, self.last, self.output = (
            arrays["h"].copy(),
            arrays["last"].copy(),
            arrays["output"].copy(),
        )
        self.c = None if self.c is None else arrays["c"].copy()
        self.seen = arrays["seen"].astype(bool)
        self.used = np.zeros(len(ids), np.int64)
