"""The interval half of the Forecaster: split-conformal calibration of ``intervals`` on the
validation windows and calibrated bands for any windows (the method is described in
:mod:`seqlab.forecasting.intervals`). Shape key: N windows, H horizon, F target columns."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab.data.sources import Series
from seqlab.errors import DataError
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.intervals import bands, calibrate, label, quantile_pair
from seqlab.forecasting.intervals import scores as interval_scores_of
from seqlab.forecasting.parts import Part
from seqlab.forecasting.selection import mase_scale

__all__ = ["IntervalCalibration"]

log = logging.getLogger(__name__)
F64 = NDArray[np.float64]


class IntervalCalibration:
    """Mixed into :class:`~seqlab.forecasting.Forecaster`, whose methods it uses."""

    config: ForecastConfig
    parts: dict[str, Part]
    period: int | None
    scales: dict[str, F64]
    intervals: dict[str, Any]

    # provided by the Forecaster
    def _part_named(self, name: str | None) -> Part:
        raise NotImplementedError

    def _validation_origins(self, part: Part) -> NDArray[np.int64]:
        raise NotImplementedError

    def _point(self, pred: F64) -> F64:
        raise NotImplementedError

    def _model_units(self, series: Series) -> Series:
        raise NotImplementedError

    def _data_units(self, values: F64) -> F64:
        raise NotImplementedError

    def _chosen(self, part: Part, series: Series, origins: NDArray[np.int64], model: F64) -> F64:
        raise NotImplementedError

    def predict_windows(
        self, series: Series, origins: NDArray[np.int64], name: str | None = None
    ) -> F64:
        raise NotImplementedError

    def _calibrate(self) -> None:
        """Split-conformal radii of ``intervals`` from the chosen method's errors on every
        validation window (see :mod:`seqlab.forecasting.intervals`); before any refit, so
        the windows were not trained on."""
        c = self.config
        self.scales = {
            n: mase_scale(p.target_values[: p.train_end], self.period)
            for n, p in self.parts.items()
        }
        self.intervals = {}
        if not c.intervals:
            return
        found: dict[float, list[F64]] = {level: [] for level in c.intervals}
        for name, part in self.parts.items():
            origins = self._validation_origins(part)
            if not len(origins):
                continue
            truth = part.target_values[origins[:, None] + np.arange(c.horizon)[None, :]]
            raw, point = self._forecasts(name, part, part.series, origins)
            for level, (low, high) in self._raw_bands(raw, point).items():
                found[level].append(interval_scores_of(truth, low, high, self.scales[name]))
        if not any(found.values()):
            raise DataError("`intervals` need validation windows; give val_rows or val_fraction")
        pairs = [quantile_pair(level, c.quantiles) for level in c.intervals]
        n = sum(len(x) for x in next(iter(found.values())))
        short = [lv for lv in c.intervals if math.ceil((n + 1) * lv) > n]
        if short:
            need = math.ceil(short[-1] / (1 - short[-1]))
            raise DataError(
                f"a {short[-1]:.0%} interval needs at least {need} validation windows (series "
                f"x columns); there are {n}: lower the level or keep more validation rows"
            )
        self.intervals = {
            "method": "conformalised quantile regression" if all(pairs) else "split conformal",
            "windows": int(n),
            "radii": {
                k: v
                for level, blocks in found.items()
                for k, v in calibrate(np.concatenate(blocks), [level]).items()
            },
        }
        log.info("intervals calibrated on %d windows", self.intervals["windows"])

    def _forecasts(
        self, name: str, part: Part, series: Series, origins: NDArray[np.int64]
    ) -> tuple[F64, F64]:
        """The network's raw outputs and the chosen method's forecasts at ``origins``."""
        raw = self.predict_windows(series, origins, name or None)
        return raw, self._chosen(part, series, origins, self._point(raw))

    def _raw_bands(self, raw: F64, point: F64) -> dict[float, tuple[F64, F64]]:
        """Per level, the band (N, H, F) before calibration: the quantile pair of a quantile
        model's raw outputs, else the chosen forecast twice."""
        out = {}
        for level in self.config.intervals:
            pair = quantile_pair(level, self.config.quantiles) if raw.ndim == 4 else None
            out[level] = (raw[..., pair[0]], raw[..., pair[1]]) if pair else (point, point)
        return out

    def _bands(self, name: str, raw: F64, point: F64) -> dict[str, tuple[F64, F64]]:
        """Calibrated bands (N, H, F) per level label around forecasts already made."""
        if not self.intervals:
            raise DataError("this Forecaster has no intervals; fit it with intervals=(0.8, ...)")
        out = {}
        for level, (low, high) in self._raw_bands(raw, point).items():
            radius = self.intervals["radii"][label(level)]
            out[label(level)] = bands(low, high, radius, self.scales[name])
        return out

    def predict_intervals(self, series: Series | None = None, name: str | None = None) -> F64:
        """Calibrated intervals (H, F, K, 2) past the end of the series: for each of the K
        ``intervals`` levels (ascending) the lower and upper bound."""
        part = self._part_named(name)
        key = next(n for n, p in self.parts.items() if p is part)
        s = self._model_units(series) if series is not None else part.series
        found = self._bands(key, *self._forecasts(key, part, s, np.array([len(s)])))
        stacked = np.stack([np.stack([lo[0], hi[0]], axis=-1) for lo, hi in found.values()], axis=2)
        return self._data_units(stacked)
