"""Static covariates: one value per series and column (a store's region, a product's size),
for a global model over many series. Numeric columns are standardised over the series,
categorical ones (text, or the numbers of a column with any text) one-hot encoded with their
categories sorted; the encoded vector of each series joins the known-future block at every
step, so that the encoder and the decoder read it beside each input and forecast step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab.errors import DataError

__all__ = ["encode_static", "static_table"]

F64 = NDArray[np.float64]


def static_table(static: Any, id_col: str | None = None) -> dict[str, dict[str, Any]]:
    """Per series, its static values by column, from a pandas DataFrame (one row per series:
    the ids in ``id_col`` or the index) or a mapping of series names to mappings."""
    if type(static).__name__ == "DataFrame":
        frame = static.set_index(id_col) if id_col and id_col in static.columns else static
        if frame.index.has_duplicates:
            dup = frame.index[frame.index.duplicated()][0]
            raise DataError(f"the static covariates name series {dup!r} twice; one row each")
        return {str(k): dict(row) for k, row in frame.to_dict(orient="index").items()}
    if not isinstance(static, Mapping):
        raise TypeError(
            "static covariates are a pandas DataFrame (one row per series) or a mapping of "
            f"series names to mappings of values, got {type(static).__name__}"
        )
    return {str(k): dict(v) for k, v in static.items()}


def encode_static(
    table: Mapping[str, Mapping[str, Any]], names: list[str], columns: tuple[str, ...]
) -> dict[str, F64]:
    """The encoded static vector of each series in ``names``, from the ``columns`` of
    ``table``; every series and column must be present."""
    missing = [n for n in names if n not in table]
    if missing:
        raise DataError(
            f"no static covariates for series {missing[0]!r} ({len(missing)} series without); "
            "give one row per series"
        )
    blocks = []
    for column in columns:
        absent = [n for n in names if column not in table[n]]
        if absent:
            raise DataError(
                f"static covariate column {column!r} not found for series {absent[0]!r}"
            )
        values = [table[n][column] for n in names]
        blocks.append(_encoded(column, values))
    matrix = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(names), 0))
    return {n: matrix[k] for k, n in enumerate(names)}


def _encoded(column: str, values: list[Any]) -> F64:
    """(series, width): standardised numbers, or one-hot categories."""
    numeric = all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        for v in values
    )
    if numeric:
        x = np.asarray(values, np.float64)
        if not np.isfinite(x).all():
            raise DataError(f"static covariate {column!r} holds a missing or infinite value")
        spread = x.std()
        out: F64 = ((x - x.mean()) / (spread if spread > 0 else 1.0))[:, None]
        return out
    labels = [str(v) for v in values]
    categories = sorted(set(labels))
    return np.asarray([[float(label == c) for c in categories] for label in labels])
