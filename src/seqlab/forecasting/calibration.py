"""Conformal prediction intervals as a wrapper around any forecasts: :class:`Conformal` is
calibrated once in ``fit`` from the chosen method's errors on the validation windows (split
conformal; with a quantile model, conformalised quantile regression on the matching quantile
pair), and then turns the raw outputs and point forecasts of any windows into calibrated
bands, with the validation radii or, over test windows, the adaptive ones (the method is
described in :mod:`seqlab.forecasting.intervals`). A frozen value: adapting returns radii and
never changes it. Shape key: N windows, H horizon, F target columns."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from seqlab.errors import DataError
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.intervals import (
    adaptive_radii,
    calibrate,
    label,
    quantile_pair,
    score_grid,
)
from seqlab.forecasting.intervals import bands as scaled_bands
from seqlab.forecasting.intervals import scores as interval_scores_of

__all__ = ["Conformal", "Window"]

log = logging.getLogger(__name__)
F64 = NDArray[np.float64]


class Window(NamedTuple):
    """Windows of one series: origins (N,), truth (N, H, F; NaN where not yet known), the
    network's raw outputs and the chosen method's point forecasts (N, H, F)."""

    origins: NDArray[np.int64]
    truth: F64
    raw: F64
    point: F64


@dataclass(frozen=True)
class Conformal:
    """The calibration of ``levels`` (coverage, ascending) around forecasts of a model with
    ``quantiles`` (or none): per level label ("80") the radius of each horizon step in units
    of each series' MASE scale (``radii``), the calibration scores as a grid (``scores``, for
    adaptation), the method, the adaptation and how many windows it was calibrated on."""

    levels: tuple[float, ...]
    quantiles: tuple[float, ...] | None
    method: str
    adaptation: str
    windows: int
    radii: Mapping[str, Any]
    scores: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def calibrate(
        cls, config: ForecastConfig, windows: Mapping[str, Window], scales: Mapping[str, F64]
    ) -> Conformal | None:
        """Calibrated on every validation window of every series (before any refit, so the
        windows were not trained on); None without ``intervals``."""
        c = config
        if not c.intervals.levels:
            return None
        empty = cls(c.intervals.levels, c.network.quantiles, "", c.intervals.method, 0, {})
        found: dict[float, list[F64]] = {level: [] for level in c.intervals.levels}
        for name, w in windows.items():
            for level, (low, high) in empty.raw_bands(w.raw, w.point).items():
                found[level].append(interval_scores_of(w.truth, low, high, scales[name]))
        if not any(found.values()):
            raise DataError("`intervals` need validation windows; give val_rows or val_fraction")
        n = sum(len(x) for x in next(iter(found.values())))
        short = [lv for lv in c.intervals.levels if math.ceil((n + 1) * lv) > n]
        if short:
            need = math.ceil(short[-1] / (1 - short[-1]))
            raise DataError(
                f"a {short[-1]:.0%} interval needs at least {need} validation windows (series "
                f"x columns); there are {n}: lower the level or keep more validation rows"
            )
        log.info("intervals calibrated on %d windows", n)
        pairs = [quantile_pair(level, c.network.quantiles) for level in c.intervals.levels]
        return cls(
            levels=c.intervals.levels,
            quantiles=c.network.quantiles,
            method="conformalised quantile regression" if all(pairs) else "split conformal",
            adaptation=c.intervals.method,
            windows=int(n),
            radii={
                k: v
                for level, blocks in found.items()
                for k, v in calibrate(np.concatenate(blocks), [level]).items()
            },
            scores={label(lv): score_grid(np.concatenate(b)) for lv, b in found.items()},
        )

    def raw_bands(self, raw: F64, point: F64) -> dict[float, tuple[F64, F64]]:
        """Per level, the band (N, H, F) before calibration: the quantile pair of a quantile
        model's raw outputs, else the chosen forecast twice."""
        out = {}
        for level in self.levels:
            pair = quantile_pair(level, self.quantiles) if raw.ndim == 4 else None
            out[level] = (raw[..., pair[0]], raw[..., pair[1]]) if pair else (point, point)
        return out

    def bands(
        self, raw: F64, point: F64, scale: F64, radii: Mapping[str, F64] | None = None
    ) -> dict[str, tuple[F64, F64]]:
        """Calibrated bands (N, H, F) per level label around forecasts already made: with the
        validation radii, or with ``radii`` per level (N, H, F) window by window."""
        out = {}
        for level, (low, high) in self.raw_bands(raw, point).items():
            key = label(level)
            radius = self.radii[key] if radii is None else radii[key]
            out[key] = scaled_bands(low, high, radius, scale)
        return out

    @property
    def adapts(self) -> bool:
        """Whether test windows adapt the bands (adaptive method, scores to adapt from)."""
        return self.adaptation == "adaptive" and bool(self.scores)

    def adaptive(
        self,
        windows: Mapping[str, Window],
        test_starts: Mapping[str, int],
        scales: Mapping[str, F64],
    ) -> tuple[dict[str, dict[str, F64]], dict[str, Any]]:
        """Adaptive conformal radii (N, H, F) per series and level for the test ``windows``
        of every series, taken in the order of their origins (counted from the start of each
        series' test part, ``test_starts``, so series on one calendar move together); a
        window's outcome counts once it is known (NaN truth: never); see
        :func:`~seqlab.forecasting.intervals.adaptive_radii`. Also returns, per level, what
        adaptation reached (``share``)."""
        names = list(windows)
        cols = [windows[n].truth.shape[2] for n in names]
        times = np.concatenate(
            [
                np.repeat(windows[n].origins - test_starts[n], f)
                for n, f in zip(names, cols, strict=True)
            ]
        )
        out: dict[str, dict[str, F64]] = {n: {} for n in names}
        reached: dict[str, Any] = {}
        for level in self.levels:
            key = label(level)
            realised = np.concatenate(
                [
                    interval_scores_of(w.truth, *self.raw_bands(w.raw, w.point)[level], scales[n])
                    for n, w in windows.items()
                ]
            )  # (sum N * F, H), window by window, columns within
            radii, share = adaptive_radii(self.scores[key], times, realised, level)
            reached[key] = share
            start = 0
            for n, f in zip(names, cols, strict=True):
                rows = len(windows[n].origins) * f
                r = radii[start : start + rows].reshape(-1, f, radii.shape[1]).transpose(0, 2, 1)
                out[n][key] = r
                start += rows
        return out, reached

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (checkpoint.json; the scores go to their own file on save)."""
        out = {"method": self.method, "adaptation": self.adaptation, "windows": self.windows}
        out["radii"] = dict(self.radii)
        if self.scores:
            out["scores"] = dict(self.scores)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], config: ForecastConfig) -> Conformal:
        return cls(
            levels=config.intervals.levels,
            quantiles=config.network.quantiles,
            method=str(data["method"]),
            adaptation=str(data.get("adaptation", "split")),
            windows=int(data["windows"]),
            radii=dict(data["radii"]),
            scores=dict(data.get("scores") or {}),
        )
