"""Scalers in scikit-learn's shape: ``fit`` returns self and sets ``mean_``/``scale_``.

They work on the last axis (features) of arrays of any rank and serialise to plain
dicts, so a checkpoint can hold them as JSON.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from seqlab.errors import CheckpointError, DataError

__all__ = ["MinMaxScaler", "Scaler", "StandardScaler", "scaler_from_dict"]


class Scaler:
    """Per-feature affine scaling: ``(x - offset_) / scale_``."""

    kind = "identity"
    offset_: NDArray[np.float64] | None = None
    scale_: NDArray[np.float64] | None = None

    def _stats(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        raise NotImplementedError

    def fit(self, x: ArrayLike) -> Scaler:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim == 0 or arr.size == 0:
            raise DataError(f"cannot fit a scaler on an empty array of shape {arr.shape}")
        flat = arr.reshape(-1, arr.shape[-1])  # (..., F) -> (N, F)
        if not np.isfinite(flat).all():
            raise DataError("cannot fit a scaler on data holding NaN or infinite values")
        offset, scale = self._stats(flat)
        self.offset_ = offset
        self.scale_ = np.where(scale > 0, scale, 1.0)  # zero variance -> scale 1
        return self

    def _fitted(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if self.offset_ is None or self.scale_ is None:
            raise DataError(f"this {type(self).__name__} is not fitted yet; call fit() first")
        return self.offset_, self.scale_

    def _check_width(self, arr: NDArray[Any], offset: NDArray[np.float64]) -> None:
        if arr.ndim == 0 or arr.shape[-1] != offset.shape[0]:
            raise DataError(
                f"the scaler was fitted on {offset.shape[0]} feature(s) (the last axis), "
                f"got an array of shape {arr.shape}"
            )

    def transform(self, x: ArrayLike) -> NDArray[np.float32]:
        offset, scale = self._fitted()
        arr = np.asarray(x, dtype=np.float64)
        self._check_width(arr, offset)
        return ((arr - offset) / scale).astype(np.float32)

    def inverse_transform(self, x: ArrayLike) -> NDArray[np.float32]:
        offset, scale = self._fitted()
        arr = np.asarray(x, dtype=np.float64)
        self._check_width(arr, offset)
        return (arr * scale + offset).astype(np.float32)

    def fit_transform(self, x: ArrayLike) -> NDArray[np.float32]:
        return self.fit(x).transform(x)

    def to_dict(self) -> dict[str, Any]:
        offset, scale = self._fitted()
        return {"kind": self.kind, "offset": offset.tolist(), "scale": scale.tolist()}


class StandardScaler(Scaler):
    """Zero mean, unit (population) standard deviation per feature."""

    kind = "standard"

    @property
    def mean_(self) -> NDArray[np.float64] | None:
        return self.offset_

    def _stats(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return x.mean(axis=0), x.std(axis=0)


class MinMaxScaler(Scaler):
    """Maps each feature's training range onto [0, 1]."""

    kind = "minmax"

    def _stats(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        low = x.min(axis=0)
        return low, x.max(axis=0) - low


_KINDS: dict[str, type[Scaler]] = {"standard": StandardScaler, "minmax": MinMaxScaler}


def scaler_from_dict(d: dict[str, Any]) -> Scaler:
    """Rebuild a fitted scaler from :meth:`Scaler.to_dict` output."""
    try:
        scaler = _KINDS[d["kind"]]()
        scaler.offset_ = np.asarray(d["offset"], dtype=np.float64)
        scaler.scale_ = np.asarray(d["scale"], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"invalid scaler state {d!r}: {exc}") from None
    if scaler.offset_.shape != scaler.scale_.shape or scaler.offset_.ndim != 1:
        raise CheckpointError(f"invalid scaler state {d!r}: offset and scale shapes differ")
    return scaler
