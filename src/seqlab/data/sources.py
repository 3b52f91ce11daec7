"""Load a time series from a CSV file, a pandas DataFrame or a NumPy array.

Everything is checked and nothing is repaired silently: a missing target column, text in
a numeric column, NaN or infinite values, duplicated, unsorted or unparsable timestamps
and gaps are reported with their positions; gaps and missing values are filled only when
``fill`` asks for it. Shape key: T time steps, F columns.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from seqlab.data.csvio import FLOAT32_MAX
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

Fill = Literal["ffill", "interpolate", "zero", "drop"]
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
    _check_finite(arr, names, None, "the array", hint="")
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
    frame, found = _read_csv(path, dialect)
    series = load_frame(
        frame, time_col=time_col, target=target, fill=fill, where=str(path), row_offset=2
    )
    return _noted(series, found)


def _noted(series: Series, found: Dialect) -> Series:
    """The dialect the file was read in, as a note (seqlab inspect prints it)."""
    return replace(series, notes=(*series.notes, f"read as: {found.describe()}"))


def _read_csv(path: Path, hints: Mapping[str, Any] | None = None) -> tuple[Any, Dialect]:
    """Every cell as canonical text (the checks below name rows and columns) and the dialect
    it was written in, or a clear error."""
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
    frame, found = _read_csv(path, dialect)
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
        names = [c for c in columns if c != tcol and _numeric_share(frame[c]) > 0.5]
        if not names:
            raise DataError(
                f"no numeric column in {where}; columns: {', '.join(columns)}"
                + _marks_hint(frame, columns)
            )
    else:
        names = list(target)
        for name in names:
            if name not in columns:
                available = ", ".join(columns)
                raise DataError(
                    f"column {name!r} not found in {where}; available columns: {available}"
                )
    values = np.stack([_numbers(frame[c], c, where, row_offset) for c in names], axis=1)
    notes: list[str] = []
    stamps = None if tcol is None else _timestamps(frame[tcol], tcol, where, row_offset, notes)
    freq = None
    if stamps is not None:
        freq, stamps, values, gap_note = regular(stamps, values, where, fill)
        notes += gap_note
    if fill is None:
        _check_finite(values, names, stamps, where, row_offset)
    else:
        values, fill_note = _fill(values, fill)
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
    if _numeric_share(frame[first]) == 0 and _date_share(frame[first]) == 1:
        return str(first)
    return None


def _numeric_share(col: Any) -> float:
    import pandas as pd

    text = col.astype(str).str.strip()
    present = text[text != ""]
    return float(pd.to_numeric(present, errors="coerce").notna().mean()) if len(present) else 0.0


def _date_share(col: Any) -> float:

    return float(_to_datetime(col).notna().mean())


def _to_datetime(col: Any) -> Any:
    """Parse what can be parsed (NaT elsewhere); timestamps with different UTC offsets (a
    daylight-saving change) are converted to UTC instead of making pandas raise."""
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(col, errors="coerce", format="mixed")
        except ValueError:  # "Mixed timezones detected"
            return pd.to_datetime(col, errors="coerce", format="mixed", utc=True)


OTHER_MARKS = r"[-+]?\d{1,3}([.,\s]\d{3})+([.,]\d+)?|[-+]?\d+,\d+"


def _marks_hint(frame: Any, columns: Sequence[str]) -> str:
    """A hint when a column holds numbers written with other marks (1,5 or 1.234,50)."""
    for c in columns:
        cells = frame[c].astype(str).str.strip()
        if len(cells) and cells.str.fullmatch(OTHER_MARKS).mean() > 0.5:
            return (
                f"; column {c!r} holds numbers like {cells.iloc[0]!r}: state the file's marks "
                "with `decimal` , / `thousands` ."
            )
    return ""


def _numbers(col: Any, name: str, where: str, row_offset: int) -> NDArray[np.float64]:
    import pandas as pd

    text = col.astype(str).str.strip()
    lowered = text.str.lower()
    missing = (text == "") | lowered.isin(["nan", "na", "null", "none"])
    numbers = pd.to_numeric(text.where(~missing, "nan"), errors="coerce")
    bad = numbers.isna() & ~missing
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        cell = text.iloc[pos]
        hint = ""
        if re.fullmatch(OTHER_MARKS, cell):
            hint = "; if that is a number, state the file's marks: `decimal` , / `thousands` ."
        raise DataError(
            f"{where}, row {pos + row_offset}: column {name!r} holds {cell!r}, not a number{hint}"
        )
    out: NDArray[np.float64] = numbers.to_numpy(dtype=np.float64)
    return out


EARLIEST = np.datetime64("1800-01-01")  # a parsed date before it is taken for a misreading


def _timestamps(
    col: Any, name: str, where: str, row_offset: int, notes: list[str]
) -> NDArray[np.datetime64] | None:
    """The time column's dates; None (an ordered index, said in ``notes`` and logged) when
    every cell parses only to a date before 1800 (months written ``1-01`` … ``3-12``, years
    1–3 of a tutorial's series); an error naming `date_format` when some do."""
    parsed = _to_datetime(col)
    bad = parsed.isna().to_numpy()
    early = (parsed.to_numpy(dtype="datetime64[us]") < EARLIEST) & ~bad
    if early.all():
        note = (
            f"time column {name!r} reads only as dates before 1800 ({col.iloc[0]!r} as "
            f"{str(parsed.iloc[0])[:10]}): read as an ordered index without dates; state the "
            "dates' format with `date_format` to use them"
        )
        log.warning("%s: %s", where, note)
        notes.append(note)
        return None
    for mask in (bad, early):
        if mask.any():
            pos = int(np.flatnonzero(mask)[0])
            when = str(parsed.iloc[pos])[:10]
            what = "not a date" if mask is bad else f"read as {when} (before 1800)"
            raise DataError(
                f"{where}, row {pos + row_offset}: time column {name!r} holds "
                f"{col.iloc[pos]!r}, {what}; {int(mask.sum())} such row(s); state the dates' "
                "format with `date_format` (e.g. %Y-%m-%d)"
            )
    return _checked_order(parsed.to_numpy(dtype="datetime64[ns]"), name, where, row_offset)


def _checked_order(
    stamps: NDArray[np.datetime64], name: str, where: str, row_offset: int
) -> NDArray[np.datetime64]:
    import pandas as pd

    dup = np.flatnonzero(pd.Series(stamps).duplicated().to_numpy())
    if dup.size:
        rows = ", ".join(str(p + row_offset) for p in dup[:5])
        raise DataError(
            f"{where}: {dup.size} duplicated timestamp(s) in {name!r}, at row(s) {rows}"
        )
    back = np.flatnonzero(np.diff(stamps) < np.timedelta64(0, "ns"))
    if back.size:
        pos = int(back[0]) + 1
        raise DataError(
            f"{where}: timestamps in {name!r} are not sorted; row {pos + row_offset} "
            f"({stamps[pos]}) comes before the row above it; sort the file first"
        )
    return stamps


def _check_finite(
    values: NDArray[np.float64],
    names: Sequence[str],
    stamps: NDArray[np.datetime64] | None,
    where: str,
    row_offset: int = 0,
    hint: str = "; fill them with `fill` (ffill, interpolate, zero or drop)",
) -> None:
    checks: tuple[tuple[Callable[[], NDArray[np.bool_]], str, bool], ...] = (
        (lambda: ~np.isfinite(values), "NaN or infinite value(s)", False),
        # finite in float64 but infinite once cast to float32: name the value, no fill hint
        (lambda: np.abs(values) > FLOAT32_MAX, "value(s) too large for float32", True),
    )
    for mask, what, overflow in checks:
        bad = mask()
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            when = f" ({stamps[row]})" if stamps is not None else ""
            tail = f": {values[row, col]:g}" if overflow else hint
            raise DataError(
                f"{where}: {int(bad.sum())} {what}, first in column {names[col]!r} at row "
                f"{row + row_offset}{when}{tail}"
            )


def _fill(values: NDArray[np.float64], fill: Fill) -> tuple[NDArray[np.float64], list[str]]:
    import pandas as pd

    bad = ~np.isfinite(values)
    if not bad.any():
        return values, []
    frame = pd.DataFrame(np.where(bad, np.nan, values))
    if fill == "drop":
        kept = frame.dropna()
        return kept.to_numpy(dtype=np.float64), [
            f"dropped {len(frame) - len(kept)} row(s) with missing values"
        ]
    if fill == "zero":
        filled = frame.fillna(0.0)
    elif fill == "ffill":
        filled = frame.ffill().bfill()
    else:
        filled = frame.interpolate(limit_direction="both")
    return filled.to_numpy(dtype=np.float64), [
        f"filled {int(bad.sum())} missing value(s) with `fill` {fill!r}"
    ]
