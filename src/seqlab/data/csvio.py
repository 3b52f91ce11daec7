"""Sequences in long-format CSV files: one row per time step.

A ``sequence`` column (name configurable) groups rows into sequences, in file order;
without it the whole file is one sequence. Shape key: N sequences, T time, F features.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from seqlab._io import atomic_write_bytes
from seqlab.errors import DataError

FLOAT32_MAX = float(np.finfo(np.float32).max)

__all__ = ["CsvSequences", "read_sequences_csv", "write_rows_csv"]


@dataclass(frozen=True)
class CsvSequences:
    """Padded inputs (N, T, F), per-row targets (N, T, O) or None, lengths (N,), ids."""

    x: NDArray[np.float32]
    y: NDArray[np.float32] | None
    lengths: NDArray[np.int64]
    ids: list[str]


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows as canonical text, in any dialect seqlab reads
    (:func:`seqlab.data.sources.read_cells`: separators, decimal commas, thousands marks)."""
    from seqlab.data.sources import read_cells

    if not path.is_file():
        raise DataError(f"input file not found: {path}")
    frame, _ = read_cells(path)
    header = [str(h).strip() for h in frame.columns]
    if frame.empty:
        raise DataError(f"{path} has a header but no data rows")
    return header, [[str(v) for v in row] for row in frame.itertuples(index=False)]


def _column(header: list[str], name: str, path: Path) -> int:
    if name not in header:
        raise DataError(
            f"column {name!r} not found in {path}; available columns: {', '.join(header)}"
        )
    return header.index(name)


def _number(cell: str, column: str, row: int, path: Path) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise DataError(
            f"{path}, row {row}: column {column!r} holds {cell!r}, not a number"
        ) from None
    if not math.isfinite(value):
        raise DataError(f"{path}, row {row}: column {column!r} holds {cell!r} (NaN or infinite)")
    if abs(value) > FLOAT32_MAX:  # would become infinite as float32
        raise DataError(
            f"{path}, row {row}: column {column!r} holds {cell!r}, too large for float32"
        )
    return value


def read_sequences_csv(
    path: str | Path,
    inputs: Sequence[str],
    targets: Sequence[str] | None = None,
    sequence_col: str | None = "sequence",
    classes: int | None = None,
) -> CsvSequences:
    """Read ``inputs`` (and ``targets``) columns, grouping rows by ``sequence_col``. With
    ``classes``, every target is a class label: an integer in 0..classes-1."""
    path = Path(path)
    header, rows = _read_rows(path)
    in_idx = [_column(header, c, path) for c in inputs]
    out_idx = [_column(header, c, path) for c in targets] if targets else []
    seq_idx = header.index(sequence_col) if sequence_col and sequence_col in header else None
    groups: dict[str, list[tuple[list[float], list[float]]]] = {}
    for i, row in enumerate(rows, start=2):
        key = row[seq_idx].strip() if seq_idx is not None else "0"
        xs = [_number(row[j], header[j], i, path) for j in in_idx]
        ys = [_number(row[j], header[j], i, path) for j in out_idx]
        if classes is not None:
            for j, v in zip(out_idx, ys, strict=True):
                if not (v.is_integer() and 0 <= v < classes):
                    raise DataError(
                        f"{path}, row {i}: column {header[j]!r} holds {row[j].strip()!r}; class "
                        f"labels must be integers from 0 to {classes - 1} (num_classes={classes})"
                    )
        groups.setdefault(key, []).append((xs, ys))
    ids = list(groups)
    lengths = np.array([len(groups[k]) for k in ids], dtype=np.int64)
    x = np.zeros((len(ids), int(lengths.max()), len(in_idx)), dtype=np.float32)
    y = (
        np.zeros((len(ids), int(lengths.max()), len(out_idx)), dtype=np.float32)
        if out_idx
        else None
    )
    for n, key in enumerate(ids):
        steps = groups[key]
        x[n, : len(steps)] = [s[0] for s in steps]
        if y is not None:
            y[n, : len(steps)] = [s[1] for s in steps]
    return CsvSequences(x, y, lengths, ids)


def write_rows_csv(
    path: str | Path | None, header: Sequence[str], rows: Sequence[Sequence[object]]
) -> str:
    """Format rows as CSV text; write it atomically to ``path`` when one is given."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([f"{v:.6g}" if isinstance(v, float) else v for v in row] for row in rows)
    text = buf.getvalue()
    if path is not None:
        atomic_write_bytes(path, text.encode())
    return text
