"""Calendar facts of a regular series: the season of each row, the timestamps past its end,
and calendar features (month, weekday, hour, ...) as known-future covariates.

Every function takes ``extra``: how many rows past the end of the series to cover, so the
same code gives the features of the forecast steps. Shape key: T rows (+ extra), K features.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab.data.sources import Series
from seqlab.errors import DataError

__all__ = [
    "CALENDAR_FEATURES",
    "calendar_features",
    "future_stamps",
    "resolve_calendar",
    "season_index",
]

F64 = NDArray[np.float64]
# name -> (cycle length, the 0-based position of a timestamp in that cycle)
CALENDAR_FEATURES: dict[str, tuple[int, str]] = {
    "month": (12, "month"),
    "quarter": (4, "quarter"),
    "weekday": (7, "day_of_week"),
    "hour": (24, "hour"),
    "day_of_month": (31, "day"),
    "day_of_year": (366, "day_of_year"),
}
ONE_BASED = {"month", "quarter", "day", "day_of_year"}
# features that vary within the data for each frequency: what "auto" picks
AUTO = {
    "MS": ("month",),
    "ME": ("month",),
    "M": ("month",),
    "QS": ("quarter",),
    "QE": ("quarter",),
    "W": ("day_of_year",),
    "D": ("weekday", "day_of_year"),
    "B": ("weekday", "day_of_year"),
    "h": ("hour", "weekday"),
    "H": ("hour", "weekday"),
}


def _index(series: Series, extra: int) -> Any:
    import pandas as pd

    if series.timestamps is None or series.freq is None or not len(series.timestamps):
        return None
    return pd.date_range(
        pd.Timestamp(series.timestamps[0]), periods=len(series) + extra, freq=series.freq
    )


def season_index(series: Series, period: int, extra: int = 0) -> NDArray[np.int64]:
    """Season of every row (and of ``extra`` rows after the end): the month for monthly data,
    the hour for hourly data, the weekday for daily data, else the row number modulo period."""
    index = _index(series, extra)
    if index is not None:
        field_of = {12: "month", 24: "hour", 7: "day_of_week"}.get(period)
        if field_of is not None:
            by = np.asarray(getattr(index, field_of), dtype=np.int64)
            return by - 1 if field_of == "month" else by
    return np.arange(len(series) + extra, dtype=np.int64) % period


def future_stamps(series: Series, horizon: int) -> NDArray[np.datetime64] | None:
    """The ``horizon`` timestamps after the end of a series with a known frequency."""
    index = _index(series, horizon)
    if index is None:
        return None
    stamps: NDArray[np.datetime64] = index[len(series) :].to_numpy()
    return stamps


def resolve_calendar(names: Sequence[str], freq: str | None) -> tuple[str, ...]:
    """Check feature names; ``("auto",)`` picks the features that vary at this frequency."""
    if tuple(names) == ("auto",):
        if freq is None:
            raise DataError("calendar features need a series with timestamps and a frequency")
        return AUTO.get(freq.lstrip("0123456789"), ("day_of_year",))
    unknown = [n for n in names if n not in CALENDAR_FEATURES]
    if unknown:
        raise DataError(
            f"unknown calendar feature {unknown[0]!r}; expected 'auto' or any of "
            f"{', '.join(CALENDAR_FEATURES)}"
        )
    return tuple(names)


def calendar_features(series: Series, names: Sequence[str], extra: int = 0) -> F64:
    """(T + extra, 2K): a sine and a cosine of each feature's position in its cycle, so that
    December sits next to January. Needs timestamps and a frequency."""
    index = _index(series, extra)
    if index is None:
        raise DataError(
            "calendar features need a series with timestamps and a regular frequency; "
            "this one has none (was it loaded from an array, or without a time column?)"
        )
    columns = []
    for name in names:
        cycle, field_of = CALENDAR_FEATURES[name]
        position = np.asarray(getattr(index, field_of), dtype=np.float64)
        position = position - 1 if field_of in ONE_BASED else position
        angle = 2 * np.pi * position / cycle
        columns += [np.sin(angle), np.cos(angle)]
    if not columns:
        return np.zeros((len(series) + extra, 0))
    return np.stack(columns, axis=1)
