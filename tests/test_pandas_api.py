"""The Python API in the conventions forecasting users know (issue 16 item 5): a DataFrame in
(one series with a DatetimeIndex, or long format), DataFrames and readable tables out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqlab import ForecastConfig, Forecaster, load_dataset
from seqlab.data.sources import Series

TINY = ForecastConfig.of(
    lookback=12, horizon=4, hidden_size=4, num_layers=1, epochs=2, model="seq2seq",
    intervals=(0.8,), val_fraction=0.3,
)  # fmt: skip


def _monthly(n: int = 96, level: float = 100.0, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2015-01-01", periods=n, freq="MS", name="month")
    values = level + 10 * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, 1, n)
    return pd.Series(values, index=index, name="sales")


def test_one_series_with_a_datetime_index(tmp_path: Path) -> None:
    frame = _monthly().to_frame()
    forecaster = Forecaster(TINY).fit(frame)
    out = forecaster.predict()
    assert list(out.columns) == ["time", "sales", "sales_lo80", "sales_hi80"]
    assert list(out["time"]) == list(pd.date_range("2023-01-01", periods=4, freq="MS"))
    np.testing.assert_allclose(out["sales"], forecaster.predict_arrays()[0][:, 0])
    ev = forecaster.evaluate()
    text = str(ev)
    assert text.splitlines()[0].startswith("method") and "test windows" in text
    table = ev.to_frame()
    assert table.index.name == "method" and {"rmse", "mase", "skill", "chosen"} <= set(table)
    assert table["chosen"].sum() == 1 and table.loc[ev.selected, "chosen"]
    assert list(table["rmse"]) == sorted(table["rmse"])
    loaded = Forecaster.load(forecaster.save(tmp_path / "f"))
    pd.testing.assert_frame_equal(loaded.predict(), out)
    shorter = frame.iloc[:-12]  # newer rows in the format fit took: the forecast from their end
    earlier = loaded.predict(shorter)
    assert list(earlier["time"]) == list(pd.date_range("2022-01-01", periods=4, freq="MS"))
    np.testing.assert_allclose(
        earlier["sales"],
        loaded.predict_arrays(Series(shorter.to_numpy(np.float32), ("sales",)))[0][:, 0],
    )


def test_long_format_with_id_and_time_columns() -> None:
    parts = []
    for k, store in enumerate(["north", "south", "east"]):
        s = _monthly(level=50.0 * (k + 1), seed=k)
        parts.append(pd.DataFrame({"store": store, "date": s.index, "units": s.to_numpy()}))
    long = pd.concat(parts, ignore_index=True)
    forecaster = Forecaster(TINY).fit(long, id_col="store", time_col="date", target=["units"])
    assert list(forecaster.parts) == ["north", "south", "east"]
    out = forecaster.predict()  # every series at once
    assert list(out.columns[:3]) == ["series", "time", "units"] and len(out) == 3 * 4
    one = forecaster.predict(name="south")
    assert set(one["series"]) == {"south"} and len(one) == 4
    newer = forecaster.predict(long[long["store"] != "north"].iloc[:-6], id_col="store",
                               time_col="date", target=["units"])  # fmt: skip
    assert list(dict.fromkeys(newer["series"])) == ["south", "east"] and len(newer) == 8
    east = out[out["series"] == "east"]["units"].to_numpy()
    np.testing.assert_allclose(east, forecaster.predict_arrays(name="east")[0][:, 0])
    long["price"] = 1.0  # a second numeric column, which target= leaves out
    one = Forecaster(TINY).fit(long, id_col="store", time_col="date", target="units")
    assert one.targets == ("units",)  # a string names a column (was read letter by letter)


def test_dataframe_arguments_only_with_a_dataframe() -> None:
    with pytest.raises(TypeError, match="id_col, time_col and target describe a pandas"):
        Forecaster(TINY).fit(load_dataset("airline"), id_col="x")
    with pytest.raises(Exception, match="id column 'shop' not found"):
        Forecaster(TINY).fit(_monthly().to_frame(), id_col="shop")
