"""Reading the cells of a table into a series, and saying what is wrong with them: numbers
(with a hint when they are written with other decimal or thousands marks), timestamps (dates
before 1800 read as an ordered index, or refused with their row), their order, finite values,
and the filling of missing ones when ``fill`` asks for it. Used by :mod:`seqlab.data.sources`.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from seqlab.data.csvio import FLOAT32_MAX
from seqlab.errors import DataError

__all__ = [
    "EARLIEST",
    "OTHER_MARKS",
    "Fill",
    "check_finite",
    "checked_order",
    "date_share",
    "fill_missing",
    "marks_hint",
    "numbers",
    "numeric_share",
    "timestamps",
    "to_datetime",
]

Fill = Literal["ffill", "interpolate", "zero", "drop"]
log = logging.getLogger("seqlab.data.sources")


def numeric_share(col: Any) -> float:
    import pandas as pd

    text = col.astype(str).str.strip()
    present = text[text != ""]
    return float(pd.to_numeric(present, errors="coerce").notna().mean()) if len(present) else 0.0


def date_share(col: Any) -> float:

    return float(to_datetime(col).notna().mean())


def to_datetime(col: Any) -> Any:
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


def marks_hint(frame: Any, columns: Sequence[str]) -> str:
    """A hint when a column holds numbers written with other marks (1,5 or 1.234,50)."""
    for c in columns:
        cells = frame[c].astype(str).str.strip()
        if len(cells) and cells.str.fullmatch(OTHER_MARKS).mean() > 0.5:
            return (
                f"; column {c!r} holds numbers like {cells.iloc[0]!r}: state the file's marks "
                "with `decimal` , / `thousands` ."
            )
    return ""


def numbers(col: Any, name: str, where: str, row_offset: int) -> NDArray[np.float64]:
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


def timestamps(
    col: Any, name: str, where: str, row_offset: int, notes: list[str]
) -> NDArray[np.datetime64] | None:
    """The time column's dates; None (an ordered index, said in ``notes`` and logged) when
    every cell parses only to a date before 1800 (months written ``1-01`` … ``3-12``, years
    1–3 of a tutorial's series); an error naming `date_format` when some do."""
    parsed = to_datetime(col)
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
    return checked_order(parsed.to_numpy(dtype="datetime64[ns]"), name, where, row_offset)


def checked_order(
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


def check_finite(
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


def fill_missing(values: NDArray[np.float64], fill: Fill) -> tuple[NDArray[np.float64], list[str]]:
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
