"""Future-known covariates (issue 27 item 1): columns whose values over the forecast period
are known in advance reach the encoder beside every input step and the decoder beside every
forecast step. The data's target depends on the covariate at the forecast step itself, so a
model that does not read it there cannot forecast it; forecasting past the end needs the
covariate's next values, and asks for them by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_run import TINY_FORECAST, seqlab
from seqlab import DataError, ForecastConfig, Forecaster
from seqlab.data.sources import Series
from seqlab.errors import ConfigError
from seqlab.forecasting.kinds import network_kinds

CONFIG = ForecastConfig.of(
    lookback=6, horizon=3, hidden_size=16, num_layers=1, dropout=0.0, epochs=30, lr=1e-2,
    patience=None, deseasonalize=False, model="direct", select="model", classical=(),
    test_rows=30, val_rows=30,
)  # fmt: skip


def _data(n: int = 300, seed: int = 0) -> Series:
    """y_t = 3 x_t + noise, x known in advance (a planned price, a load forecast)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    y = 3 * x + rng.normal(0, 0.1, n)
    stamps = pd.date_range("2020-01-01", periods=n, freq="D").to_numpy()
    return Series(np.stack([y, x], axis=1).astype(np.float32), ("y", "x"), stamps, "D")


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    return Forecaster(CONFIG.replace(future_covariates=("x",))).fit(_data())


def test_the_future_covariate_is_read_at_the_forecast_steps(fitted: Forecaster) -> None:
    assert fitted.targets == ("y",)
    metrics = fitted.evaluate().metrics
    seeing = metrics["model"]["rmse"]
    assert metrics["linear AR"]["rmse"] < 0.2  # an ARX model: it reads x at the forecast steps
    past_only = Forecaster(CONFIG.replace(covariates=("x",))).fit(_data())
    blind = past_only.evaluate().metrics["model"]["rmse"]
    assert seeing < 0.3 * blind, (seeing, blind)  # x_t itself explains y_t
    config = fitted.network.config
    assert config.future_size == 1 and config.input_size == 2  # y, and x beside each step


def test_forecasting_past_the_end_asks_for_the_future_values(
    fitted: Forecaster, tmp_path: Path
) -> None:
    with pytest.raises(DataError, match=r"next 3 value\(s\) of the future-known covariates \(x\)"):
        fitted.predict_arrays()
    with pytest.raises(DataError, match="needs 3 rows of x"):
        fitted.predict_arrays(future=np.ones((2, 1)))
    x = np.array([[1.0], [-1.0], [0.5]])
    forecast, stamps = fitted.predict_arrays(future=x)
    np.testing.assert_allclose(forecast[:, 0], 3 * x[:, 0], atol=0.6)  # y follows the given x
    assert str(stamps[0])[:10] == "2020-10-27"
    again = fitted.predict_arrays(future=Series(x.astype(np.float32), ("x",)))[0]
    np.testing.assert_allclose(again, forecast)
    frame = fitted.predict(future=pd.DataFrame({"x": x[:, 0]}, index=pd.DatetimeIndex(stamps)))
    np.testing.assert_allclose(frame["y"], forecast[:, 0], rtol=1e-6)
    loaded = Forecaster.load(fitted.save(tmp_path / "f"))
    np.testing.assert_allclose(loaded.predict_arrays(future=x)[0], forecast, rtol=1e-6)


def test_candidates_that_cannot_read_it_leave_or_say_so() -> None:
    assert network_kinds(ForecastConfig.of(future_covariates=("x",))) == ["seq2seq"]
    with pytest.raises(
        ConfigError, match="`future_covariates`, `static_covariates` and `calendar`"
    ):
        ForecastConfig.of(model="segment", future_covariates=("x",))
    with pytest.raises(DataError, match="named as a past and as a future covariate"):
        Forecaster(CONFIG.replace(covariates=("x",), future_covariates=("x",))).fit(_data())
    small = CONFIG.replace(future_covariates=("x",), select="auto", epochs=2)
    f = Forecaster(small).fit(_data(120))
    assert f.selection["ignored"]["naive"] == ["x"]  # the baselines read y alone
    assert "linear AR" not in f.selection["ignored"]  # but the linear AR reads x too
    assert f.selection["chosen"] in ("linear AR", "model + linear AR")  # 2 epochs: the ARX wins
    forecast = f.predict_arrays(future=np.array([[1.0], [-1.0], [0.5]]))[0][:, 0]
    np.testing.assert_allclose(forecast, [3.0, -3.0, 1.5], atol=0.8)  # the chosen ARX reads x


def test_the_command_line_reads_the_future_values_from_a_file(tmp_path: Path) -> None:
    data = _data(200)
    rows = ["date,y,x"] + [
        f"{str(t)[:10]},{y:.4f},{x:.4f}"
        for t, (y, x) in zip(data.timestamps, data.values, strict=True)
    ]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    args = ["forecast", "--data", str(tmp_path / "d.csv"), "--future-covariates", "x",
            "--horizon", "3", "--lookback", "6", "--model", "seq2seq", *TINY_FORECAST]  # fmt: skip
    done = seqlab(*args, "--out", str(tmp_path / "run"))
    assert done.returncode == 2 and "give them with --future FILE" in done.stderr
    assert not (tmp_path / "run").exists()  # refused before training
    future = "date,x\n2020-07-19,1.0\n2020-07-20,-1.0\n2020-07-21,0.5\n"
    (tmp_path / "f.csv").write_text(future)
    done = seqlab(*args, "--future", str(tmp_path / "f.csv"), "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "run" / "forecast.csv").read_text().splitlines()
    assert lines[0].startswith("series,time,y") and len(lines) == 1 + 3
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["covariates"] == {"past": [], "future": ["x"], "static": [], "calendar": []}
    report = (tmp_path / "run" / "report.html").read_text()
    assert "<dt>covariates</dt><dd>future-known: x</dd>" in report


def test_each_candidate_names_only_the_columns_it_does_not_read() -> None:
    data = _data(120)
    z = Series(np.concatenate([data.values, data.values[:, 1:]], axis=1), ("y", "x", "z"),
               data.timestamps, "D")  # fmt: skip
    config = CONFIG.replace(future_covariates=("x",), covariates=("z",), select="auto", epochs=1)
    f = Forecaster(config).fit(z)
    assert f.selection["ignored"]["linear AR"] == ["z"]  # it reads x, not the past z
    assert f.selection["ignored"]["naive"] == ["z", "x"]
    frame = pd.DataFrame({"id": "a", "day": pd.date_range("2020-04-30", periods=3), "x": 1.0})
    g = Forecaster(config.replace(covariates=())).fit({"a": _data(120)})
    out = g.predict(future=frame, id_col="id", time_col="day")  # the ids name the future rows
    assert list(out["series"]) == ["a"] * 3
