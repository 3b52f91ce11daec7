"""Forecasting windows by index: every series is kept once, and a window is only an origin.

:class:`WindowData` holds the rows of every series in one contiguous buffer and each window
as the buffer position of its origin; a mini-batch is gathered from the buffer by one
vectorised index (no Python loop per window). Memory grows with the rows of the data, not
with windows × lookback as a dense (N, L, F) copy would, and shuffling permutes origins,
not copies. It batches exactly as :class:`~seqlab.data.batches.SequenceData` over the same
windows would (same order, same values), so the :class:`~seqlab.training.Trainer` takes
either.

Shape key: R buffer rows, C buffer columns, N windows, B batch, L lookback, H horizon,
O targets, K future covariate columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from seqlab.data.batches import Batch, Batched, as_float_tensor
from seqlab.errors import DataError

__all__ = ["WindowData"]


@dataclass(frozen=True)
class WindowData(Batched):
    """Windows over one row buffer (R, C): the inputs of the window at origin ``o`` are rows
    ``o - lookback .. o - 1`` (every column), its targets rows ``o .. o + horizon - 1`` of the
    first ``targets`` columns, and its known-future covariates the same rows of columns
    ``future_from ..`` (none when ``future_from`` is None). ``origins`` (N,) are buffer rows."""

    rows: torch.Tensor
    origins: torch.Tensor
    lookback: int
    horizon: int
    targets: int
    future_from: int | None = None

    @classmethod
    def from_series(
        cls,
        series: Sequence[NDArray[np.floating]],
        origins: Sequence[NDArray[np.integer]],
        lookback: int,
        horizon: int,
        targets: int,
        future_from: int | None = None,
    ) -> WindowData:
        """Windows of several series: ``series[i]`` (T_i, C) and the origins (row numbers
        within it) of its windows. Each series is copied once into the buffer; one with an
        origin before ``lookback`` is left-padded there with copies of its first row."""
        if len(series) != len(origins):
            raise DataError(f"got {len(series)} series but origins for {len(origins)}")
        if not series:
            raise DataError("expected at least one series, got none")
        widths = {np.shape(s)[1] if np.ndim(s) == 2 else -1 for s in series}
        if len(widths) != 1 or -1 in widths:
            raise DataError(f"every series must be (time, columns) of one width, got {widths}")
        padded, starts, offset = [], [], 0
        for k, (s, o) in enumerate(zip(series, origins, strict=True)):
            o = np.asarray(o, np.int64)
            if len(o) and (o.min() < 1 or o.max() + horizon > len(s)):
                raise DataError(
                    f"series {k} has {len(s)} rows: window origins must lie in "
                    f"[1, {len(s) - horizon}], got {o.min()}..{o.max()}"
                )
            pad = max(0, lookback - int(o.min())) if len(o) else 0  # a short history
            s = np.concatenate([np.repeat(np.asarray(s)[:1], pad, axis=0), s]) if pad else s
            padded.append(s)  # left-padded with its first row, as lookback_index reads it
            starts.append(o + pad + offset)
            offset += len(s)
        rows = as_float_tensor(np.concatenate(padded, dtype=np.float32), "x")  # one copy
        index = torch.as_tensor(np.concatenate(starts).astype(np.int64))
        return cls(rows, index, lookback, horizon, targets, future_from)

    def __len__(self) -> int:
        return int(self.origins.shape[0])

    @property
    def nbytes(self) -> int:
        """Bytes held: the row buffer and the origins."""
        return int(self.rows.nbytes + self.origins.nbytes)

    def batch(self, index: torch.Tensor) -> Batch:
        """The mini-batch of the windows at ``index`` (positions in ``origins``)."""
        return self.gather(self.origins[index])

    def gather(self, origins: torch.Tensor) -> Batch:
        """The batch of windows at these buffer ``origins`` (B,): x (B, L, C), y (B, H, O),
        future (B, H, K) or None."""
        past = origins[:, None] + torch.arange(-self.lookback, 0)  # (B, L)
        ahead = origins[:, None] + torch.arange(self.horizon)  # (B, H)
        later = self.rows[ahead]  # (B, H, C)
        future = None if self.future_from is None else later[..., self.future_from :]
        return Batch(self.rows[past], later[..., : self.targets], None, future)

    def subset(self, index: torch.Tensor) -> WindowData:
        return WindowData(
            self.rows,
            self.origins[index],
            self.lookback,
            self.horizon,
            self.targets,
            self.future_from,
        )
