"""Parquet input (needs ``pyarrow``: ``pip install 'seqlab[parquet]'``).

A Parquet file is read column by column: only the id, time and value columns asked for, into
Arrow's compact columnar memory (no pandas copy of the whole file). In long format (one row
per series and time step, the layout of forecasting data sets with many series) the rows of
each id are then taken one series at a time and checked like a CSV's (same messages), so
the peak memory is the Arrow columns plus one series — not the file as a pandas frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.data.cells import Fill
from seqlab.data.sources import TIME_NAMES, Series, load_frame
from seqlab.errors import DataError

__all__ = ["PARQUET_SUFFIXES", "load_parquet"]

PARQUET_SUFFIXES = (".parquet", ".pq")


def _pyarrow() -> tuple[Any, Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(
            "reading Parquet needs pyarrow: pip install 'seqlab[parquet]' (or pyarrow)"
        ) from None
    return pa, pc, pq


def load_parquet(
    path: str | Path,
    *,
    id_col: str | None = None,
    time_col: str | None = None,
    target: Sequence[str] | None = None,
    fill: Fill | None = None,
) -> Series | dict[str, Series]:
    """One Series, or with ``id_col`` one Series per id (in order of first appearance), from
    a Parquet file. ``target`` names the value columns (default: every numeric column
    besides the id and time columns); only those, the id and the time column are read."""
    pa, pc, pq = _pyarrow()
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path} is not a readable Parquet file: {exc}") from None
    names = list(schema.names)
    for name, role in ((id_col, "id"), (time_col, "time")):
        if name is not None and name not in names:
            raise DataError(
                f"{role} column {name!r} not found in {path}; available columns: "
                + ", ".join(names)
            )
    for name in target or ():
        if name not in names:
            raise DataError(
                f"column {name!r} not found in {path}; available columns: {', '.join(names)}"
            )
    wanted = _columns(schema, names, id_col, time_col, target, pa)
    table = pq.read_table(path, columns=wanted)
    if table.num_rows == 0:
        raise DataError(f"{path} has no data rows")
    if id_col is None:
        return load_frame(table.to_pandas(), time_col=time_col, target=target, fill=fill,
                          where=str(path))  # fmt: skip
    ids = table.column(id_col)
    codes = pc.dictionary_encode(ids).combine_chunks()
    order = np.argsort(np.asarray(codes.indices), kind="stable")  # rows of each id together
    bounds = np.flatnonzero(np.diff(np.asarray(codes.indices)[order])) + 1
    groups = np.split(order, bounds)
    rest = table.drop_columns([id_col])
    out: dict[str, Series] = {}
    for rows in sorted(groups, key=lambda g: int(g[0])):  # order of first appearance
        key = str(ids[int(rows[0])].as_py())
        frame = rest.take(pa.array(rows)).to_pandas()
        out[key] = load_frame(
            frame, time_col=time_col, target=target, fill=fill, where=f"{path} (series {key!r})"
        )
    return out


def _columns(
    schema: Any,
    names: list[str],
    id_col: str | None,
    time_col: str | None,
    target: Sequence[str] | None,
    pa: Any,
) -> list[str]:
    """The columns to read: id, time (given, or the first temporal column) and targets."""
    keep = [c for c in (id_col, time_col) if c is not None]
    if time_col is None:  # as for CSV: a column named like time, else a temporal one
        others = [n for n in names if n != id_col]
        named = [n for n in others if TIME_NAMES.match(n)]
        temporal = [n for n in others if pa.types.is_temporal(schema.field(n).type)]
        keep += (named or temporal)[:1]
    if target is not None:
        return [*keep, *(t for t in target if t not in keep)]
    numeric = [
        n
        for n in names
        if n not in keep
        and (
            pa.types.is_integer(schema.field(n).type) or pa.types.is_floating(schema.field(n).type)
        )
    ]
    if not numeric:
        raise DataError(f"no numeric column in the Parquet file; columns: {', '.join(names)}")
    return [*keep, *numeric]
