"""Past covariates, calendar features as known-future covariates, and the lookback chosen on
the validation rows: exact feature values, models that can only succeed by using them, errors,
save/load and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_run import TINY_FORECAST, seqlab
from seqlab import DataError
from seqlab.data.calendar import calendar_features, future_stamps, resolve_calendar
from seqlab.data.sources import Series, load_array
from seqlab.errors import ConfigError
from seqlab.forecasting import ForecastConfig, Forecaster

TINY = ForecastConfig.of(
    lookback=3,
    horizon=2,
    hidden_size=16,
    num_layers=1,
    dropout=0.0,
    epochs=40,
    lr=1e-2,
    patience=None,
    deseasonalize=False,
    select="model",  # these tests compare networks; selection and refit are tested elsewhere
    refit=False,
)


def _monthly(values: np.ndarray, columns: tuple[str, ...] = ("y",), start: str = "2000-01-01"):
    stamps = pd.date_range(start, periods=len(values), freq="MS").to_numpy()
    return Series(values.reshape(len(values), -1).astype(np.float32), columns, stamps, "MS")


def test_calendar_features_exact_values_and_future_rows() -> None:
    s = _monthly(np.zeros(5))  # January .. May 2000
    f = calendar_features(s, ("month",), extra=9)  # .. February 2001
    assert f.shape == (14, 2)
    np.testing.assert_allclose(f[0], [0.0, 1.0], atol=1e-12)  # January: angle 0
    np.testing.assert_allclose(f[3], [1.0, 0.0], atol=1e-12)  # April: a quarter turn
    np.testing.assert_allclose(f[12], f[0], atol=1e-12)  # next January
    np.testing.assert_allclose(f[11], [np.sin(-2 * np.pi / 12), np.cos(2 * np.pi / 12)])
    hourly = Series(
        np.zeros((3, 1), np.float32),
        ("y",),
        pd.date_range("2024-01-01 22:00", periods=3, freq="h").to_numpy(),
        "h",
    )
    g = calendar_features(hourly, ("hour", "weekday"))
    np.testing.assert_allclose(g[:, 0], np.sin(2 * np.pi * np.array([22, 23, 0]) / 24))
    np.testing.assert_allclose(g[:, 2], np.sin(2 * np.pi * np.array([0, 0, 1]) / 7))  # Mon, Tue
    assert [str(t)[:10] for t in future_stamps(s, 2)] == ["2000-06-01", "2000-07-01"]


def test_calendar_names_are_checked_and_auto_follows_the_frequency() -> None:
    assert resolve_calendar(("auto",), "MS") == ("month",)
    assert resolve_calendar(("auto",), "h") == ("hour", "weekday")
    with pytest.raises(DataError, match=r"unknown calendar feature 'moon'.*month"):
        resolve_calendar(("moon",), "MS")
    with pytest.raises(DataError, match="timestamps and a regular frequency"):
        calendar_features(load_array(np.zeros(4)), ("month",))
    with pytest.raises(DataError, match="timestamps and a frequency"):
        Forecaster(TINY.replace(calendar=("auto",))).fit(load_array(np.zeros(40)))


def _test_rmse(forecaster: Forecaster) -> float:
    return forecaster.evaluate().metrics["model"]["rmse"]


def test_calendar_features_let_the_model_see_a_season_its_window_cannot() -> None:
    # A spike every December; a 3-month window of zeros cannot tell when December comes,
    # the calendar of the forecast steps can.
    rng = np.random.default_rng(0)
    months = np.arange(240) % 12
    y = np.where(months == 11, 5.0, 0.0) + rng.normal(0, 0.1, 240)
    series = _monthly(y)
    blind = Forecaster(TINY).fit(series)
    seeing = Forecaster(TINY.replace(calendar=("month",))).fit(series)
    model_config = seeing.checkpoint.model.config  # type: ignore[union-attr]
    assert (model_config.input_size, model_config.future_size) == (3, 2)
    assert _test_rmse(seeing) < 0.25 * _test_rmse(blind)


def test_a_past_covariate_is_read_but_not_forecast(tmp_path: Path) -> None:
    # y follows the covariate x one step later: x is only useful if the model reads it.
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, 300)
    y = np.r_[0.0, 2.0 * x[:-1]] + rng.normal(0, 0.05, 300)
    series = load_array(np.stack([y, x], axis=1), columns=["y", "x"])
    config = TINY.replace(horizon=1, epochs=30)
    with_x = Forecaster(config.replace(covariates=("x",))).fit(series)
    without = Forecaster(config).fit(load_array(y, columns=["y"]))
    assert with_x.targets == ("y",)
    forecast, _ = with_x.predict_arrays()
    assert forecast.shape == (1, 1)
    ev = with_x.evaluate()
    assert ev.truth.shape[2] == 1 and set(ev.forecasts["naive"].shape[2:]) == {1}
    assert ev.metrics["model"]["rmse"] < 0.25 * _test_rmse(without)
    loaded = Forecaster.load(with_x.save(tmp_path / "f"))
    again, _ = loaded.predict_arrays(series)
    np.testing.assert_allclose(again, forecast, rtol=1e-5)
    with pytest.raises(DataError, match=r"expected a series with columns \['y', 'x'\]"):
        loaded.predict_arrays(load_array(y, columns=["y"]))


def test_covariate_errors_name_the_columns() -> None:
    series = load_array(np.zeros((60, 2)), columns=["y", "x"])
    with pytest.raises(DataError, match="covariate column 'z' not found; available columns: y, x"):
        Forecaster(TINY.replace(covariates=("z",))).fit(series)
    with pytest.raises(DataError, match=r"every column .* is a covariate"):
        Forecaster(TINY.replace(covariates=("y", "x"))).fit(series)
    with pytest.raises(ConfigError, match="must be a sequence, got the string 'x'"):
        ForecastConfig.of(covariates="x")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"`lookbacks` must be an integer from 1"):
        ForecastConfig.of(lookbacks=(12, 0))


def test_the_lookback_is_chosen_on_validation_error(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    months = np.arange(240) % 12
    series = _monthly(np.where(months == 11, 5.0, 0.0) + rng.normal(0, 0.1, 240))
    config = TINY.replace(lookbacks=(3, 12), epochs=25)
    f = Forecaster(config).fit(series)
    assert set(f.lookback_losses) == {3, 12}
    best = min(f.lookback_losses, key=f.lookback_losses.__getitem__)
    assert best == 12  # only a year-long window sees the last spike
    assert f.fitted.network.lookback == 12 and f.config == config  # config as given
    assert f.lookback_losses[12] < 0.5 * f.lookback_losses[3]
    assert f.history is not None  # its loss per epoch is the training loss, not this error
    assert f.groups == ((12, (f.history,)),)  # the chosen lookback's, not the last tried
    loaded = Forecaster.load(f.save(tmp_path / "f"))
    assert loaded.fitted.network.lookback == 12
    np.testing.assert_allclose(loaded.predict_arrays(series)[0], f.predict_arrays()[0], rtol=1e-5)
    with pytest.raises(DataError, match="needs a validation window"):
        Forecaster(config.replace(val_fraction=0.0)).fit(series)


def test_cli_forecast_with_covariates_calendar_and_lookbacks(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 120
    stamps = pd.date_range("2010-01-01", periods=n, freq="MS")
    temp = 10 + 5 * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, 0.3, n)
    sales = 100 + 2 * temp + rng.normal(0, 1, n)
    pd.DataFrame({"month": stamps.strftime("%Y-%m"), "sales": sales, "temp": temp}).to_csv(
        tmp_path / "shop.csv", index=False
    )
    args = [
        "forecast",
        "--data",
        str(tmp_path / "shop.csv"),
        "--target",
        "sales",
        "--covariates",
        "temp",
        "--calendar",
        "--lookback",
        "6",
        "12",
        "--horizon",
        "3",
        *TINY_FORECAST,
        "--out",
        str(tmp_path / "run"),
    ]
    done = seqlab(*args)
    assert done.returncode == 0, done.stderr
    summary = "past covariates temp; calendar month; lookback chosen on validation error"
    assert summary in done.stdout
    header = (tmp_path / "run" / "forecast.csv").read_text().splitlines()[0]
    assert header == "series,time,sales"
    done = seqlab(*args[:6], "rain", *args[7:])
    assert done.returncode == 2
    assert "column 'rain' not found" in done.stderr
    assert "Traceback" not in done.stderr
