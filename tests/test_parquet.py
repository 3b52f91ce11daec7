"""Parquet input (issue 13 item 2): long format read column-wise, one Series per id."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cli_run import TINY_FORECAST, seqlab
from seqlab import DataError, Series
from seqlab.data.parquet import load_parquet


def _long(path: Path, n: int = 120) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    stamps = pd.date_range("2024-01-01", periods=n, freq="h")
    values = {k: 10 + k + np.sin(np.arange(n) / 4) + rng.normal(0, 0.1, n) for k in (3, 1, 2)}
    table = pa.table(
        {
            "store": np.repeat([f"s{k}" for k in values], n),
            "ds": np.tile(stamps.values, len(values)),
            "sales": np.concatenate(list(values.values())),
            "note": ["not a number"] * (n * len(values)),  # never read with target=
        }
    )
    pq.write_table(table, path, row_group_size=50)  # several row groups
    return {f"s{k}": v for k, v in values.items()}


def test_long_parquet_gives_one_series_per_id_in_file_order(tmp_path: Path) -> None:
    want = _long(tmp_path / "sales.parquet")
    got = load_parquet(tmp_path / "sales.parquet", id_col="store", target=["sales"])
    assert isinstance(got, dict) and list(got) == ["s3", "s1", "s2"]
    for key, values in want.items():
        series = got[key]
        assert isinstance(series, Series) and series.freq == "h"
        np.testing.assert_allclose(series.values[:, 0], values, rtol=1e-6)
        assert series.timestamps is not None and str(series.timestamps[0]).startswith(
            "2024-01-01T00"
        )


def test_rows_of_an_id_need_not_be_together(tmp_path: Path) -> None:
    path = tmp_path / "mixed.parquet"
    days = pd.date_range("2024-01-01", periods=30, freq="D")
    frame = pd.DataFrame({"id": ["a", "b"] * 30, "time": np.repeat(days, 2), "y": np.arange(60.0)})
    frame.to_parquet(path)
    got = load_parquet(path, id_col="id")
    assert isinstance(got, dict)
    np.testing.assert_array_equal(got["a"].values[:, 0], np.arange(0.0, 60, 2))
    np.testing.assert_array_equal(got["b"].values[:, 0], np.arange(1.0, 60, 2))


def test_parquet_errors_are_clear(tmp_path: Path) -> None:
    _long(tmp_path / "sales.parquet")
    with pytest.raises(DataError, match=r"id column 'shop' not found .* store, ds, sales, note"):
        load_parquet(tmp_path / "sales.parquet", id_col="shop")
    with pytest.raises(DataError, match="column 'units' not found"):
        load_parquet(tmp_path / "sales.parquet", id_col="store", target=["units"])
    (tmp_path / "bad.parquet").write_text("this is not parquet")
    with pytest.raises(DataError, match="is not a readable Parquet file"):
        load_parquet(tmp_path / "bad.parquet")
    with pytest.raises(DataError, match="data file not found"):
        load_parquet(tmp_path / "missing.parquet")


def test_cli_forecasts_a_long_parquet_file(tmp_path: Path) -> None:
    _long(tmp_path / "sales.parquet", n=200)
    out = tmp_path / "run"
    r = seqlab(
        "forecast", "--data", str(tmp_path / "sales.parquet"), "--id-col", "store",
        "--target", "sales", "--lookback", "24", "--horizon", "6", *TINY_FORECAST,
        "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "metrics.json").read_text())["metrics"]
    forecast = pd.read_csv(out / "forecast.csv")
    assert sorted(forecast["series"].unique()) == ["s1", "s2", "s3"]
    assert len(forecast) == 3 * 6
