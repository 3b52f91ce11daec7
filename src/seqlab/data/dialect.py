"""CSV files as spreadsheets write them: the separator, decimal mark, thousands separator and
date order are found from the file (or stated), and every cell is brought to one canonical
text form (``1234.5``, ``2020-01-31``) before the values are read, so that a European export
(``;`` separators, ``1.234,50``) or day-first dates (``31/01/2020``) are read right or refused
with the flag that would fix them — never read into values that are not in the file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from seqlab.errors import DataError

__all__ = ["Dialect", "normalise", "sniff"]

SEPARATORS = (",", ";", "\t", "|")
SAMPLE_LINES = 200
DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})(?:[ T].*)?$")
OFFSET = r"\d[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})$"


@dataclass(frozen=True)
class Dialect:
    """How a CSV file writes its cells: ``sep``, ``decimal`` (``.`` or ``,``), ``thousands``
    (None, ``,``, ``.``, or a space), ``dayfirst`` for dates like 03/04/2020 and an explicit
    ``date_format`` (strftime codes) that overrides it."""

    sep: str = ","
    decimal: str = "."
    thousands: str | None = None
    dayfirst: bool = False
    date_format: str | None = None
    tz: str | None = None  # timestamps with UTC offsets are shown in this zone (default UTC)

    def describe(self) -> str:
        names = {",": "','", ";": "';'", "\t": "tab", "|": "'|'", " ": "space", ".": "'.'"}
        parts = [f"separator {names.get(self.sep, repr(self.sep))}"]
        parts.append(f"decimal {names[self.decimal]}")
        if self.thousands:
            parts.append(f"thousands {names.get(self.thousands, repr(self.thousands))}")
        if self.date_format:
            parts.append(f"dates {self.date_format}")
        elif self.dayfirst:
            parts.append("dates day first")
        if self.tz:
            parts.append(f"times in {self.tz}")
        return ", ".join(parts)


def _rows(text: str, sep: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text), delimiter=sep) if row]


def _guess_sep(text: str) -> str:
    """The separator that splits every sample line into the same number (>= 2) of fields;
    the one with the most fields when several do; ``,`` for a one-column file."""
    best, width = ",", 1
    for sep in SEPARATORS:
        widths = {len(row) for row in _rows(text, sep)}
        if len(widths) == 1 and (n := widths.pop()) > width:
            best, width = sep, n
    return best


def _numeric_cells(rows: list[list[str]]) -> list[str]:
    cells = [c.strip() for row in rows[1:] for c in row]
    return [c for c in cells if c and re.fullmatch(r"[-+]?[\d.,\s]*\d[\d.,\s]*", c)]


def _guess_numbers(cells: list[str], sep: str, where: str) -> tuple[str, str | None]:
    """(decimal, thousands) from the numeric cells; an undecidable file is refused."""
    comma_decimal = [c for c in cells if re.fullmatch(r"[-+]?\d+,\d+", c.replace(".", ""))]
    if sep != "," and comma_decimal:
        if any(not re.search(r",\d{3}$", c) for c in comma_decimal):
            thousands = "." if any(re.search(r"\d\.\d{3}(\D|$)", c) for c in cells) else None
            return ",", thousands
        raise DataError(
            f"{where}: numbers like {comma_decimal[0]!r} could use ',' as decimal mark or as "
            "thousands separator; pass `decimal` , (or `thousands` ,) to say which"
        )
    if any(re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", c) for c in cells):
        return ".", ","
    return ".", None


def _guess_dayfirst(rows: list[list[str]]) -> bool:
    """Day first when a date-like cell's first number exceeds 12 (31/01/2020), month first
    when its second does (01/31/2020); ambiguous samples keep month first, pandas' choice."""
    for row in rows[1:]:
        for cell in row:
            m = DATE.match(cell.strip())
            if m:
                first, second = int(m.group(1)), int(m.group(2))
                if first > 12 >= second:
                    return True
                if second > 12 >= first:
                    return False
    return False


def sniff(
    text: str,
    where: str,
    *,
    sep: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    tz: str | None = None,
) -> Dialect:
    """The dialect of a CSV sample (its first lines): what is given, the rest found."""
    sample = "\n".join(text.splitlines()[:SAMPLE_LINES])
    sep = sep if sep is not None else _guess_sep(sample)
    rows = _rows(sample, sep)
    if decimal is None:
        found, found_thousands = _guess_numbers(_numeric_cells(rows), sep, where)
        decimal = found
        thousands = thousands if thousands is not None else found_thousands
    if decimal not in (".", ","):
        raise DataError(f"the decimal mark must be '.' or ',', got {decimal!r}")
    if thousands == decimal:
        raise DataError(f"the thousands separator and the decimal mark are both {decimal!r}")
    return Dialect(
        sep,
        decimal,
        thousands,
        _guess_dayfirst(rows) if dayfirst is None else dayfirst,
        date_format,
        tz,
    )


def normalise(frame: Any, dialect: Dialect) -> Any:
    """Cells in canonical text: numbers with '.' decimals and no thousands separators, dates
    as ISO timestamps; cells that do not fit the dialect are left as they are (the reader then
    names them)."""
    import pandas as pd

    out = frame.copy()
    number = _number_pattern(dialect)
    for name in out.columns:
        col = out[name].astype(str).str.strip()
        present = col[col != ""]
        if not len(present):
            continue
        dates = present.str.match(DATE)
        if dialect.tz and present.str.contains(OFFSET).mean() >= 0.9:
            try:
                parsed = pd.to_datetime(col, errors="coerce", utc=True, format="mixed")
                local = parsed.dt.tz_convert(dialect.tz)
            except Exception as exc:  # an unknown zone name: pandas/zoneinfo raise various
                raise DataError(f"unknown time zone {dialect.tz!r}: {exc}") from None
            out[name] = col.where(parsed.isna(), local.dt.strftime("%Y-%m-%dT%H:%M:%S"))
        elif dates.mean() >= 0.9 and (dialect.dayfirst or dialect.date_format):
            parsed = pd.to_datetime(
                col, errors="coerce", dayfirst=dialect.dayfirst, format=dialect.date_format
            )
            out[name] = col.where(parsed.isna(), parsed.dt.strftime("%Y-%m-%dT%H:%M:%S"))
        elif dialect.decimal != "." or dialect.thousands:
            fits = col.str.fullmatch(number)
            canonical = col
            if dialect.thousands:
                canonical = canonical.str.replace(dialect.thousands, "", regex=False)
            if dialect.decimal == ",":
                canonical = canonical.str.replace(",", ".", regex=False)
            out[name] = col.where(~fits, canonical)
    return out


def _number_pattern(dialect: Dialect) -> str:
    d = re.escape(dialect.decimal)
    if dialect.thousands:
        t = re.escape(dialect.thousands)
        return rf"[-+]?(\d{{1,3}}({t}\d{{3}})+|\d+)({d}\d+)?"
    return rf"[-+]?\d+({d}\d+)?"
