"""Forecasts as tables: the rows of ``forecast.csv`` and the pandas DataFrame that
:meth:`~seqlab.forecasting.Forecaster.forecast_frame` returns (one row per series and
horizon step: id, time, each target, quantile and interval columns), in the data's units."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seqlab.forecasting.forecaster import Forecaster

__all__ = ["forecast_frame", "forecast_table"]


def forecast_table(forecaster: Forecaster) -> tuple[list[str], list[list[object]]]:
    """(header, rows): ``series, time, <targets>, <target>_q<q>..., <target>_lo<L>/_hi<L>``."""
    rows: list[list[object]] = []
    columns: tuple[str, ...] = ()
    qs = forecaster.config.quantiles or ()
    levels = forecaster.config.intervals if forecaster.intervals else ()
    for name, part in forecaster.parts.items():
        forecast, stamps = forecaster.predict(name=name or None)
        bands = forecaster.predict_quantiles(name=name or None) if qs else None
        intervals = forecaster.predict_intervals(name=name or None) if levels else None
        columns = part.target_names
        n = len(part.series)
        when = [str(t)[:19] for t in stamps] if stamps is not None else range(n, n + len(forecast))
        for k, (w, row) in enumerate(zip(when, forecast, strict=True)):
            extra = [] if bands is None else [float(v) for v in bands[k].reshape(-1)]
            if intervals is not None:  # (F, K, 2) -> per column, per level: low, high
                extra += [float(v) for v in intervals[k].reshape(-1)]
            rows.append([name, w, *map(float, row), *extra])
    quantile_columns = [f"{c}_q{q:g}" for c in columns for q in qs]
    interval_columns = [
        f"{c}_{side}{100 * lv:g}" for c in columns for lv in levels for side in ("lo", "hi")
    ]
    return ["series", "time", *columns, *quantile_columns, *interval_columns], rows


def forecast_frame(forecaster: Forecaster) -> Any:
    """:func:`forecast_table` as a DataFrame, ``time`` as datetimes where the data had them
    (the ``series`` column is left out for a single unnamed series)."""
    import pandas as pd

    header, rows = forecast_table(forecaster)
    frame = pd.DataFrame(rows, columns=header)
    if all(isinstance(t, str) for t in frame["time"]):
        frame["time"] = pd.to_datetime(frame["time"])
    if list(forecaster.parts) == [""]:
        frame = frame.drop(columns=["series"])
    return frame
