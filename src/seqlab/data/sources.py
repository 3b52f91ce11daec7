"""Load a time series from a CSV file, a pandas DataFrame or a NumPy array.

Everything is checked and nothing is repaired silently: a missing target column, text in
a numeric column, NaN or infinite values, duplicated, unsorted or unparsable timestamps
and gaps are reported with their positions; gaps and missing values are filled only when
``fill`` asks for it. Shape key: T time steps, F columns.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab.data.cells import (
    Fill,
    check_finite,
    date_share,
    fill_missing,
    marks_hint,
    numbers,
    numeric_share,
    timestamps,
)
from seqlab.data.dialect import Dialect, normalise, sniff
from seqlab.data.frequency import regular
from seqlab.errors import DataError

__all__ = [
    "FILLS",
    "Series",
    "from_frame",
    "load_array",
    "load_csv",
    "load_frame",
    "load_long_csv",
    "select_columns",
    "to_log",
]

FILLS: tuple[str, ...] = ("ffill", "interpolate", "zero", "drop")
log = logging.getLogger(__name__)
TIME_NAMES = re.compile(r"^(date|time|timestamp|datetime|month|period|ds|day|year)$", re.IGNORECASE)


@dataclass(frozen=True)
class Series:
    """Values (T, F) float32, their timestamps (T,) datetime64 or None, column names."""

    values: NDArray[np.float32]
    columns: tuple[str, ...]
    timestamps: NDArray[np.datetime64] | None = None
    freq: str | None = None
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return int(self.values.shape[0])


def select_columns(series: Series, names: Sequence[str]) -> Series:
    """The named columns of a Series, in that order."""
    missing = [n for n in names if n not in series.columns]
    if missing:
        raise DataError(
            f"column {missing[0]!r} not found; available columns: {', '.join(series.columns)}"
        )
    keep = [series.columns.index(n) for n in names]
    return Series(
        series.values[:, keep], tuple(names), series.timestamps, series.freq, series.notes
    )


def to_log(series: Series) -> Series:
    """Natural logarithm of every value (all must be positive)."""
    if (series.values <= 0).any():
        row, col = (int(i) for i in np.argwhere(series.values <= 0)[0])
        raise DataError(f"cannot take the log: column {series.columns[col]!r} is <= 0 at row {row}")
    logged = np.log(series.values.astype(np.float64)).astype(np.float32)
    return Series(
        logged, series.columns, series.timestamps, series.freq, (*series.notes, "log values")
    )


def load_array(values: object, columns: Sequence[str] | None = None) -> Series:
    """A (T,) or (T, F) numeric array as a Series (no timestamps)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"expected a numeric array of shape (time, features), got {exc}") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise DataError(
            f"expected a non-empty array of shape (time,) or (time, features), got {arr.shape}"
        )
    names = tuple(columns) if columns is not None else tuple(f"x{k}" for k in range(arr.shape[1]))
    if len(names) != arr.shape[1]:
        raise DataError(f"{len(names)} column names for {arr.shape[1]} columns")
    check_finite(arr, names, None, "the array", hint="")
    return Series(arr.astype(np.float32), names)


def load_csv(
    path: str | Path,
    *,
    time_col: str | None = None,
    target: Sequence[str] | None = None,
    fill: Fill | None = None,
    dialect: Mapping[str, Any] | None = None,
) -> Series:
    """Read a CSV file: find its dialect, the time column, parse dates, pick the target
    columns. ``dialect`` states any of ``sep``, ``decimal``, ``thousands``, ``dayfirst``,
    ``date_format`` (see :mod:`seqlab.data.dialect`); the rest is found from the file."""
    path = Path(path)
    frame, found = read_cells(path, dialect)
    series = load_frame(
        frame, time_col=time_col, target=target, fill=fill, where=str(path), row_offset=2
    )
    return _noted(series, found)


def _noted(series: Series, found: Dialect) -> Series:
    """The dialect the file was read in, as a note (seqlab inspect prints it)."""
    return replace(series, notes=(*series.notes, f"read as: {found.describe()}"))


def read_cells(path: Path, hints: Mapping[str, Any] | None = None) -> tuple[Any, Dialect]:
    """Every cell of a CSV file as canonical text (a DataFrame of strings: the readers' checks
    name rows and columns) and the dialect it was written in, or a clear error. seqlab's one
    CSV reader: time series here, sequences in :mod:`seqlab.data.csvio`."""
    import pandas as pd

    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(1 << 16)
        found = sniff(head, str(path), **dict(hints or {}))
        frame = pd.read_csv(
            path, sep=found.sep, dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty (no header)") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path} is not a readable CSV file: {str(exc).splitlines()[0]}") from None
    except TypeError as exc:  # an unknown dialect hint
        raise DataError(f"unknown CSV dialect setting: {exc}") from None
    return normalise(frame, found), found


def load_long_csv(
    path: str | Path,
    id_col: str,
    *,
    time_col: str | None = None,
    target: Sequence[str] | None = None,
    fill: Fill | None = None,
    dialect: Mapping[str, Any] | None = None,
) -> dict[str, Series]:
    """Long format (``symbol,date,price``): one Series per value of ``id_col``, in file order."""
    path = Path(path)
    frame, found = read_cells(path, dialect)
    frame = frame.rename(columns=lambda c: str(c).strip())
    if id_col not in frame.columns:
        available = ", ".join(frame.columns)
        raise DataError(f"id column {id_col!r} not found in {path}; available columns: {available}")
    if frame.shape[0] == 0:
        raise DataError(f"{path} has a header but no data rows")
    series = _by_id(frame, id_col, time_col, target, fill, str(path))
    return {k: _noted(v, found) for k, v in series.items()}


def _by_id(
    frame: Any,
    id_col: str,
    time_col: str | None,
    target: Sequence[str] | None,
    fill: Fill | None,
    where: str,
) -> dict[str, Series]:
    out = {}
    for key, group in frame.groupby(id_col, sort=False):
        out[str(key)] = load_frame(
            group.drop(columns=[id_col]).reset_index(drop=True),
            time_col=time_col,
            target=target,
            fill=fill,
            where=f"{where} (series {key!r})",
        )
    return out


def from_frame(
    frame: Any,
    *,
    id_col: str | None = None,
    time_col: str | None = None,
    target: str | Sequence[str] | None = None,
    fill: Fill | None = None,
) -> Series | dict[str, Series]:
    """A pandas DataFrame as forecasting data, in the layouts forecasting users know: long
    format (one row per series and time step: ``id_col``, time and value columns) as one Series
    per id, or one series with a DatetimeIndex or a time column (every numeric column, or
    ``target``: one column name or several)."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if isinstance(target, str):  # one column, not its letters
        target = [target]
    if isinstance(frame.index, pd.DatetimeIndex) and time_col is None:
        time_col = str(frame.index.name or "time")
        frame = frame.rename_axis(time_col).reset_index()
    if id_col is None:
        return load_frame(frame, time_col=time_col, target=target, fill=fill)
    if id_col not in frame.columns:
        available = ", ".join(map(str, frame.columns))
        raise DataError(f"id column {id_col!r} not found; available columns: {available}")
    return _by_id(frame, id_col, time_col, target, fill, "the data frame")


def load_frame(
    frame: Any,
    *,
    time_col: str | None = None,
    target: Sequence[str] | None = None,
    fill: Fill | None = None,
    where: str = "the data frame",
    row_offset: int = 0,
) -> Series:
    """A pandas DataFrame as a Series; ``row_offset`` turns positions into file rows."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if fill is not None and fill not in FILLS:
        raise DataError(f"`fill` must be one of {', '.join(FILLS)}, got {fill!r}")
    frame = frame.rename(columns=lambda c: str(c).strip())
    columns = list(frame.columns)
    if frame.shape[0] == 0:
        raise DataError(f"{where} has a header but no data rows")
    tcol = _time_column(frame, time_col, where)
    if target is None:
        names = [c for c in columns if c != tcol and numeric_share(frame[c]) > 0.5]
        if not names:
            raise DataError(
                f"no numeric column in {where}; columns: {', '.join(columns)}"
                + marks_hint(frame, columns)
            )
    else:
        names = list(target)
        for name in names:
            if name not in columns:
                available = ", ".join(columns)
                raise DataError(
                    f"column {name!r} not found in {where}; available columns: {available}"
                )
    values = np.stack([numbers(frame[c], c, where, row_offset) for c in names], axis=1)
    notes: list[str] = []
    stamps = None if tcol is None else timestamps(frame[tcol], tcol, where, row_offset, notes)
    freq = None
    if stamps is not None:
        freq, stamps, values, gap_note = regular(stamps, values, where, fill)
        notes += gap_note
    if fill is None:
        check_finite(values, names, stamps, where, row_offset)
    else:
        values, fill_note = fill_missing(values, fill)
        notes += fill_note
    if values.shape[0] == 0:
        raise DataError(f"{where} has no rows left after `fill` {fill!r}")
    return Series(values.astype(np.float32), tuple(names), stamps, freq, tuple(notes))


def _time_column(frame: Any, time_col: str | None, where: str) -> str | None:
    columns = list(frame.columns)
    if time_col is not None:
        if time_col not in columns:
            available = ", ".join(columns)
            raise DataError(
                f"time column {time_col!r} not found in {where}; available columns: {available}"
            )
        return time_col
    named = [c for c in columns if TIME_NAMES.match(c)]
    if named:
        return str(named[0])
    first = columns[0]
    if numeric_share(frame[first]) == 0 and date_share(frame[first]) == 1:
        return str(first)
    return None
