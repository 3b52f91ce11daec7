"""Forecasts as tables: the rows of ``forecast.csv`` and the pandas DataFrame that
:meth:`~seqlab.forecasting.Forecaster.predict` returns (one row per series and horizon step:
id, time, each target, quantile and interval columns), in the data's units."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from seqlab.data.sources import Series

if TYPE_CHECKING:
    from seqlab.forecasting.forecaster import Forecaster

__all__ = ["forecast_frame", "forecast_table"]


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
    qs = forecaster.config.quantiles or ()
    levels = forecaster.config.intervals if forecaster.intervals else ()
    chosen = newer if newer is not None else dict.fromkeys(forecaster.parts)
    for name, series in chosen.items():
        key, ahead = name or None, (future or {}).get(name)
        forecast, stamps = forecaster.predict_arrays(series, key, ahead)
        bands = forecaster.predict_quantiles(series, key, ahead) if qs else None
        intervals = forecaster.predict_intervals(series, key, ahead) if levels else None
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
