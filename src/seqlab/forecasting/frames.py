"""Forecasts as tables: the rows of ``forecast.csv`` and the pandas DataFrame that
:meth:`~seqlab.forecasting.Forecaster.predict` returns (one row per series and horizon step:
id, time, each target, quantile and interval columns), in the data's units."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from seqlab.data.calendar import future_stamps
from seqlab.data.sources import Series
from seqlab.errors import DataError

if TYPE_CHECKING:
    from seqlab.forecasting.forecaster import Forecaster

__all__ = ["Reading", "forecast_frame", "forecast_table", "reading"]

F64 = NDArray[np.float64]
# forecast (H, F), its timestamps, quantiles (H, F, Q) and intervals (H, F, K, 2) or None
Reading = tuple[F64, NDArray[np.datetime64] | None, F64 | None, F64 | None]


def reading(
    forecaster: Forecaster,
    series: Series | None,
    name: str | None,
    future: Any,
    quantiles: bool = True,
    intervals: bool = True,
) -> Reading:
    """From one pass of every method, in the data's units: the forecast past the end of
    ``series`` (default: the fitted one called ``name``), its timestamps, and where asked the
    quantiles of a quantile model and the intervals of one fitted with ``intervals`` (None
    where it has none or they were not asked for)."""
    key = forecaster._named(name)
    s = forecaster._history(series, key)
    if len(s) < 1:  # a history shorter than the lookback is left-padded
        raise DataError("the series has no rows to forecast from")
    raw, point = forecaster._predictor.forecasts(key, s, np.array([len(s)]), future)
    units, conformal = forecaster._data_units, forecaster.fitted.intervals
    bands = units(raw[0]) if quantiles and forecaster.config.network.quantiles else None
    found = None
    if intervals and conformal is not None:
        radii = forecaster._final_radii().get(key)
        levels = conformal.bands(raw, point, forecaster.scales[key], radii)
        pairs = [np.stack([lo[0], hi[0]], axis=-1) for lo, hi in levels.values()]
        found = units(np.stack(pairs, axis=2))
    return units(point[0]), future_stamps(s, forecaster.config.split.horizon), bands, found


def forecast_table(
    forecaster: Forecaster,
    newer: Mapping[str, Series | None] | None = None,
    future: Mapping[str, Any] | None = None,
) -> tuple[list[str], list[list[object]]]:
    """(header, rows): ``series, time, <targets>, <target>_q<q>..., <target>_lo<L>/_hi<L>``,
    for every fitted series past the end of its data, or for the series ``newer`` names past
    the end of the rows given there (None: the fitted rows); ``future``: per series the
    future-known covariates' next values."""
    rows: list[list[object]] = []
    columns: tuple[str, ...] = ()
    qs = forecaster.config.network.quantiles or ()
    levels = forecaster.config.intervals.levels if forecaster.intervals else ()
    chosen = newer if newer is not None else dict.fromkeys(forecaster.parts)
    for name, series in chosen.items():
        key, ahead = name or None, (future or {}).get(name)
        forecast, stamps, bands, intervals = forecaster.predict_all(series, key, ahead)
        columns = forecaster.parts[name].target_names
        n = len(series if series is not None else forecaster.parts[name].series)
        when = [str(t)[:19] for t in stamps] if stamps is not None else range(n, n + len(forecast))
        for k, (w, row) in enumerate(zip(when, forecast, strict=True)):
            extra = [] if bands is None else [float(v) for v in bands[k].reshape(-1)]
            if intervals is not None:  # (F, K, 2) -> per column, per level: low, high
                extra += [float(v) for v in intervals[k].reshape(-1)]
            rows.append([name, w, *map(float, row), *extra])
    columns = columns or next(iter(forecaster.parts.values())).target_names
    return ["series", "time", *columns, *_band_columns(columns, qs, levels)], rows


def _band_columns(
    columns: tuple[str, ...], quantiles: tuple[float, ...], levels: tuple[float, ...]
) -> list[str]:
    """``<col>_q<q>`` per quantile, then ``<col>_lo<L>`` / ``<col>_hi<L>`` per level."""
    found = [f"{c}_q{q:g}" for c in columns for q in quantiles]
    return found + [f"{c}_{s}{100 * lv:g}" for c in columns for lv in levels for s in ("lo", "hi")]


def forecast_frame(
    forecaster: Forecaster,
    newer: Mapping[str, Series | None] | None = None,
    future: Mapping[str, Any] | None = None,
) -> Any:
    """:func:`forecast_table` as a DataFrame, ``time`` as datetimes where the data had them
    (the ``series`` column is left out for a single unnamed series)."""
    import pandas as pd

    header, rows = forecast_table(forecaster, newer, future)
    frame = pd.DataFrame(rows, columns=header)
    if all(isinstance(t, str) for t in frame["time"]):
        frame["time"] = pd.to_datetime(frame["time"])
    if list(forecaster.parts) == [""]:
        frame = frame.drop(columns=["series"])
    return frame
