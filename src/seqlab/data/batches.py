"""Sequence datasets as tensors, mini-batches, and consecutive chunks of a long stream.

Shape key: N sequences, B batch, T time, F input features, O output features, S streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple, Self

import numpy as np
import torch

from seqlab.errors import DataError

__all__ = [
    "Batch",
    "Batched",
    "SequenceData",
    "as_float_tensor",
    "shard_batches",
    "stream_batches",
]


class Batch(NamedTuple):
    """One mini-batch: inputs (B, T, F), targets, optional lengths (B,) and optional
    known-future covariates (B, H, Fc) for encoder–decoder models."""

    x: torch.Tensor
    y: torch.Tensor
    lengths: torch.Tensor | None = None
    future: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> Batch:
        lengths = None if self.lengths is None else self.lengths.to(device)
        future = None if self.future is None else self.future.to(device)
        return Batch(self.x.to(device), self.y.to(device), lengths, future)


def as_float_tensor(values: object, name: str) -> torch.Tensor:
    """Convert an array-like to a float32 tensor, rejecting NaN and infinities."""
    try:
        t = torch.as_tensor(np.asarray(values, dtype=np.float32))
    except (TypeError, ValueError) as exc:
        raise DataError(f"`{name}` must be numeric, got {type(values).__name__}: {exc}") from None
    if not bool(torch.isfinite(t).all()):
        bad = (~torch.isfinite(t)).nonzero()
        raise DataError(
            f"`{name}` holds {bad.shape[0]} NaN or infinite value(s), first at index "
            f"{tuple(int(i) for i in bad[0])}"
        )
    return t


def _as_targets(values: object) -> torch.Tensor:
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return torch.as_tensor(arr.astype(np.int64))
    return as_float_tensor(arr, "y")


class Batched:
    """Splitting and mini-batching, for any data set of sequences with ``__len__``,
    ``subset(index)`` and ``batch(index)`` (:class:`SequenceData`, and
    :class:`~seqlab.data.indexed.WindowData`, which batches by index)."""

    def __len__(self) -> int:
        raise NotImplementedError

    def subset(self, index: torch.Tensor) -> Self:
        raise NotImplementedError

    def batch(self, index: torch.Tensor) -> Batch:
        raise NotImplementedError

    def split(self, val_fraction: float, generator: torch.Generator) -> tuple[Self, Self]:
        """Random split of whole sequences into (train, validation)."""
        n_val = round(len(self) * val_fraction)
        if n_val < 1 or n_val >= len(self):
            raise DataError(
                f"val_fraction={val_fraction} of {len(self)} sequences leaves an empty split"
            )
        order = torch.randperm(len(self), generator=generator)
        return self.subset(order[n_val:]), self.subset(order[:n_val])

    def batches(
        self,
        batch_size: int,
        *,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        shard: tuple[int, int] = (0, 1),
    ) -> Iterator[Batch]:
        """Mini-batches of ``batch_size`` (the last may be smaller), shuffled with
        ``generator``. With ``shard=(rank, world)`` (distributed training) every rank draws
        the same order and takes every world-th sequence of each batch, a batch's tail beyond
        a multiple of ``world`` left out so that every rank steps alike."""
        order = (
            torch.randperm(len(self), generator=generator) if shuffle else torch.arange(len(self))
        )
        for index in shard_batches(order, batch_size, shard):
            yield self.batch(index)


@dataclass(frozen=True)
class SequenceData(Batched):
    """N sequences of length T (padded), with targets and optional true lengths.

    ``x`` is (N, T, F) float32, batch first. ``y`` is (N, T, O) / (N, O) float32 for
    regression or (N, T) / (N,) int64 class labels for classification.
    """

    x: torch.Tensor
    y: torch.Tensor
    lengths: torch.Tensor | None = None
    future: torch.Tensor | None = None

    @classmethod
    def from_arrays(
        cls, x: object, y: object, lengths: object | None = None, future: object | None = None
    ) -> SequenceData:
        xt = as_float_tensor(x, "x")
        if xt.dim() != 3:
            raise DataError(
                f"expected `x` of shape (sequences, time, features) — batch first — got "
                f"{tuple(xt.shape)}; for one feature add an axis: x[..., None]"
            )
        yt = _as_targets(y)
        if yt.dim() == 0 or yt.shape[0] != xt.shape[0]:
            raise DataError(
                f"`x` holds {xt.shape[0]} sequences but `y` has shape {tuple(yt.shape)}; "
                "the first axis of both is the sequence (batch) axis"
            )
        lt = None
        if lengths is not None:
            lt = torch.as_tensor(np.asarray(lengths)).to(torch.int64)
            if lt.shape != (xt.shape[0],) or int(lt.min()) < 1 or int(lt.max()) > xt.shape[1]:
                raise DataError(
                    f"`lengths` must hold {xt.shape[0]} integers in [1, {xt.shape[1]}], "
                    f"got shape {tuple(lt.shape)}"
                )
        ft = None
        if future is not None:
            ft = as_float_tensor(future, "future")
            if ft.dim() != 3 or ft.shape[0] != xt.shape[0]:
                raise DataError(
                    f"expected `future` covariates of shape ({xt.shape[0]}, horizon, features), "
                    f"got {tuple(ft.shape)}"
                )
        return cls(xt, yt, lt, ft)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def subset(self, index: torch.Tensor) -> SequenceData:
        lengths = None if self.lengths is None else self.lengths[index]
        future = None if self.future is None else self.future[index]
        return SequenceData(self.x[index], self.y[index], lengths, future)

    def batch(self, index: torch.Tensor) -> Batch:
        """The mini-batch of the sequences at ``index``."""
        part = self.subset(index)
        return Batch(part.x, part.y, part.lengths, part.future)


def shard_batches(
    order: torch.Tensor, batch_size: int, shard: tuple[int, int] = (0, 1)
) -> Iterator[torch.Tensor]:
    """Consecutive slices of ``order`` of ``batch_size``; with ``shard=(rank, world)`` this
    rank's share of each (every world-th element, the slice cut to a multiple of world)."""
    rank, world = shard
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        if world > 1:
            index = index[: len(index) - len(index) % world][rank::world]
            if not len(index):
                return
        yield index


def stream_batches(x: object, y: object, num_streams: int, chunk_length: int) -> list[Batch]:
    """Cut one long stream into ``num_streams`` parallel sub-streams, then consecutive chunks.

    ``x`` is (T, F) or (T,), ``y`` is (T, ...). The stream is split into ``num_streams``
    contiguous pieces of equal length (the remainder is dropped), laid side by side as a
    batch, and cut along time into chunks of ``chunk_length``: chunk k+1 of row s
    continues chunk k of row s, so the state can be carried from one chunk to the next
    (truncated backpropagation through time). Returns batches of (S, chunk, F).
    """
    xt = as_float_tensor(x, "x")
    if xt.dim() == 1:
        xt = xt[:, None]  # (T,) -> (T, 1)
    yt = _as_targets(y)
    if xt.dim() != 2 or yt.shape[0] != xt.shape[0]:
        raise DataError(
            f"expected a stream `x` of shape (time, features) and `y` with the same time "
            f"axis, got {tuple(xt.shape)} and {tuple(yt.shape)}"
        )
    per_stream = xt.shape[0] // num_streams
    if per_stream < 1:
        raise DataError(f"a stream of {xt.shape[0]} steps cannot be cut into {num_streams} streams")
    n = per_stream * num_streams
    xs = xt[:n].reshape(num_streams, per_stream, xt.shape[1])  # (T, F) -> (S, T/S, F)
    ys = yt[:n].reshape(num_streams, per_stream, *yt.shape[1:])
    return [
        Batch(xs[:, t : t + chunk_length], ys[:, t : t + chunk_length])
        for t in range(0, per_stream, chunk_length)
    ]
