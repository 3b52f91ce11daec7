"""The interval half of the Forecaster: split-conformal calibration of ``intervals`` on the
validation windows and calibrated bands for any windows (the method is described in
:mod:`seqlab.forecasting.intervals`). Shape key: N windows, H horizon, F target columns."""

from __future__ import annotations

import logging
import math
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from seqlab._threads import with_read_thread_policy
from seqlab.data.sources import Series
from seqlab.data.windows import ahead_index
from seqlab.errors import DataError
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.intervals import (
    adaptive_radii,
    bands,
    calibrate,
    label,
    quantile_pair,
    score_grid,
)
from seqlab.forecasting.intervals import scores as interval_scores_of
from seqlab.forecasting.parts import Part
from seqlab.forecasting.selection import mase_scale

__all__ = ["IntervalCalibration", "Window"]

log = logging.getLogger(__name__)
F64 = NDArray[np.float64]


class Window(NamedTuple):
    """Windows of one series: origins (N,), truth (N, H, F; NaN where not yet known), the
    network's raw outputs and the chosen method's point forecasts (N, H, F)."""

    origins: NDArray[np.int64]
    truth: F64
    raw: F64
    point: F64


class IntervalCalibration:
    """Mixed into :class:`~seqlab.forecasting.Forecaster`, whose methods it uses."""

    config: ForecastConfig
    parts: dict[str, Part]
    period: int | None
    scales: dict[str, F64]
    intervals: dict[str, Any]
    _final: dict[str, dict[str, F64]] | None = None  # cache of :meth:`_final_radii`

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

    def _centred(self, raw: F64, point: F64) -> F64:
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
        self.intervals, self._final = {}, None
        if not c.intervals:
            return
        found: dict[float, list[F64]] = {level: [] for level in c.intervals}
        for name, part in self.parts.items():
            origins = self._validation_origins(part)
            if not len(origins):
                continue
            truth = part.target_values[ahead_index(origins, c.horizon)]
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
            "adaptation": c.interval_method,
            "windows": int(n),
            "radii": {
                k: v
                for level, blocks in found.items()
                for k, v in calibrate(np.concatenate(blocks), [level]).items()
            },
            "scores": {label(level): score_grid(np.concatenate(b)) for level, b in found.items()},
        }
        log.info("intervals calibrated on %d windows", self.intervals["windows"])

    def _forecasts(
        self, name: str, part: Part, series: Series, origins: NDArray[np.int64]
    ) -> tuple[F64, F64]:
        """The network's raw outputs and the chosen method's forecasts at ``origins``."""
        raw = self.predict_windows(series, origins, name or None)
        point = self._chosen(part, series, origins, self._point(raw))
        return self._centred(raw, point), point

    def _raw_bands(self, raw: F64, point: F64) -> dict[float, tuple[F64, F64]]:
        """Per level, the band (N, H, F) before calibration: the quantile pair of a quantile
        model's raw outputs, else the chosen forecast twice."""
        out = {}
        for level in self.config.intervals:
            pair = quantile_pair(level, self.config.quantiles) if raw.ndim == 4 else None
            out[level] = (raw[..., pair[0]], raw[..., pair[1]]) if pair else (point, point)
        return out

    def _bands(
        self, name: str, raw: F64, point: F64, radii: dict[str, F64] | None = None
    ) -> dict[str, tuple[F64, F64]]:
        """Calibrated bands (N, H, F) per level label around forecasts already made: with the
        validation radii, or with ``radii`` per level (N, H, F) window by window."""
        if not self.intervals:
            raise DataError("this Forecaster has no intervals; fit it with intervals=(0.8, ...)")
        out = {}
        for level, (low, high) in self._raw_bands(raw, point).items():
            key = label(level)
            radius = self.intervals["radii"][key] if radii is None else radii[key]
            out[key] = bands(low, high, radius, self.scales[name])
        return out

    def _adapts(self) -> bool:
        """Whether test windows adapt the bands (adaptive method, a calibration to adapt)."""
        return (
            bool(self.intervals)
            and self.intervals.get("adaptation", "split") == "adaptive"
            and "scores" in self.intervals
        )

    def _adaptive(
        self, windows: dict[str, Window]
    ) -> tuple[dict[str, dict[str, F64]], dict[str, Any]]:
        """Adaptive conformal radii (N, H, F) per series and level for the test ``windows``
        of every series, taken in the order of their origins (counted from the start of each
        series' test part, so series on one calendar move together); a window's outcome counts
        once it is known (NaN truth: never); see
        :func:`~seqlab.forecasting.intervals.adaptive_radii`. Also returns, per level, what
        adaptation reached (``share``); nothing is written to the Forecaster."""
        names = list(windows)
        cols = [windows[n].truth.shape[2] for n in names]
        times = np.concatenate(
            [
                np.repeat(windows[n].origins - self.parts[n].test_start, f)
                for n, f in zip(names, cols, strict=True)
            ]
        )
        out: dict[str, dict[str, F64]] = {n: {} for n in names}
        reached: dict[str, Any] = {}
        for level in self.config.intervals:
            key = label(level)
            realised = np.concatenate(
                [
                    interval_scores_of(
                        w.truth, *self._raw_bands(w.raw, w.point)[level], self.scales[n]
                    )
                    for n, w in windows.items()
                ]
            )  # (sum N * F, H), window by window, columns within
            radii, share = adaptive_radii(self.intervals["scores"][key], times, realised, level)
            reached[key] = share
            start = 0
            for n, f in zip(names, cols, strict=True):
                rows = len(windows[n].origins) * f
                r = radii[start : start + rows].reshape(-1, f, radii.shape[1]).transpose(0, 2, 1)
                out[n][key] = r
                start += rows
        return out, reached

    @with_read_thread_policy
    def predict_intervals(self, series: Series | None = None, name: str | None = None) -> F64:
        """Calibrated intervals (H, F, K, 2) past the end of the series: for each of the K
        ``intervals`` levels (ascending) the lower and upper bound."""
        part = self._part_named(name)
        key = next(n for n, p in self.parts.items() if p is part)
        s = self._model_units(series) if series is not None else part.series
        raw, point = self._forecasts(key, part, s, np.array([len(s)]))
        found = self._bands(key, raw, point, self._final_radii().get(key))
        stacked = np.stack([np.stack([lo[0], hi[0]], axis=-1) for lo, hi in found.values()], axis=2)
        return self._data_units(stacked)

    def _final_radii(self) -> dict[str, dict[str, F64]]:
        """With adaptive intervals and test rows: per series and level the radius (1, H, F)
        that adaptation reached after every test window, for the forecast past the end."""
        if not self._adapts():
            return {}
        if self._final is None:
            windows = {}
            h = self.config.horizon
            for name, part in self.parts.items():
                values = part.target_values
                origins = np.arange(part.test_start, len(values) + 1)
                if len(origins) < 2:
                    continue
                rows = ahead_index(origins, h)
                inside = rows < len(values)
                truth = np.where(
                    inside[..., None], values[np.minimum(rows, len(values) - 1)], np.nan
                )
                raw, point = self._forecasts(name, part, part.series, origins)
                windows[name] = Window(origins, truth, raw, point)
            adapted = self._adaptive(windows)[0] if windows else {}
            # a cache of what these reads compute, not fitted state: neither saved nor compared
            self._final = {n: {k: r[-1:] for k, r in d.items()} for n, d in adapted.items()}
        return self._final
