"""The lower bounds of a Forecaster's forecasts, a mixin: 0 for columns never negative in
their training rows (``nonnegative``), and the lowest value a series took before each
forecast origin where validation says so (``observed_floor``). Shape key: N windows,
H horizon, O targets, Q quantiles."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab.data.sources import Series
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.parts import Part
from seqlab.forecasting.selection import MODEL, ValidationBlock, choose

__all__ = ["Floors"]

log = logging.getLogger(__name__)
F64 = NDArray[np.float64]


class Floors:
    """Mixed into :class:`~seqlab.forecasting.Forecaster`, whose state it reads."""

    config: ForecastConfig
    parts: dict[str, Part]
    floors: dict[str, F64]
    selection: dict[str, Any]

    # provided by the Forecaster
    def _validation_blocks(self, baselines: bool = True) -> list[ValidationBlock]:
        raise NotImplementedError

    def _floor(self, part: Part) -> F64:
        choice = self.config.nonnegative
        if self.config.log:  # log values may be negative; exp keeps forecasts positive
            return np.full(len(part.targets), -np.inf)
        train = part.target_values[: part.train_end]
        keep = (train >= 0).all(axis=0) if choice == "auto" else np.full(train.shape[1], choice)
        floor: F64 = np.where(keep, 0.0, -np.inf)
        return floor

    def _clip(
        self,
        name: str,
        forecasts: F64,
        series: Series | None = None,
        origins: NDArray[np.int64] | None = None,
    ) -> F64:
        """Forecasts (N, H, O) or quantiles (N, H, O, Q) at their series' lower bounds: 0 for
        ``nonnegative`` columns and, when validation chose it (``selection["floor"]``), the
        lowest value each column took before the window's origin."""
        out: F64 = forecasts
        floor = self.floors.get(name)
        if floor is not None and np.isfinite(floor).any():
            out = np.maximum(out, floor if out.ndim == 3 else floor[:, None])
        if series is not None and origins is not None and self.selection.get("floor"):
            lowest = self._observed_floor(self.parts[name], series, origins)  # (N, 1, O)
            out = np.maximum(out, lowest if out.ndim == 3 else lowest[..., None])
        return out

    @staticmethod
    def _observed_floor(part: Part, series: Series, origins: NDArray[np.int64]) -> F64:
        """(N, 1, O): the lowest value of each target column before each origin."""
        values = series.values[:, part.targets].astype(np.float64)
        lowest: F64 = np.fmin.accumulate(values, axis=0)[origins - 1][:, None, :]
        return lowest

    def _choose_floor(self) -> None:
        """``observed_floor``: keep the network's forecasts at or above the lowest value each
        series took before the forecast origin (a count with a floor, a price that never fell
        below some level) — always, never, or with "auto" when that lowers the network's
        validation MASE (a series that makes new lows in its validation rows says no)."""
        choice = self.config.observed_floor
        self.selection.pop("floor", None)
        if choice is not True and choice != "auto":
            return
        if choice is True:
            self.selection["floor"] = "observed"
            return
        plain = self._validation_blocks(baselines=False)
        if not plain:
            return
        self.selection["floor"] = "observed"
        floored = self._validation_blocks(baselines=False)
        scores = {"none": choose(plain)[1][MODEL], "observed": choose(floored)[1][MODEL]}
        self.selection["floor_scores"] = scores
        if not scores["observed"] < scores["none"]:
            del self.selection["floor"]
        log.info("floor at the lowest value seen: validation MASE %.4g without, %.4g with",
                 scores["none"], scores["observed"])  # fmt: skip
