"""Forecaster end to end on small series: splits, scaling on training rows only, baselines on
the same windows, save/load, the run folder and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_run import TINY_FORECAST, seqlab
from seqlab import DataError, load_checkpoint, save
from seqlab.data.sources import Series, load_csv
from seqlab.errors import ConfigError
from seqlab.forecasting import ForecastConfig, Forecaster, season_index
from seqlab.forecasting.report import format_evaluation, write_forecast_run
from seqlab.plots import plot_forecast

SMALL = ForecastConfig.of(
    lookback=12, horizon=3, hidden_size=16, num_layers=1, epochs=15, patience=None
)


def _seasonal(n: int = 144, seed: int = 0) -> Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 10 + 3 * np.sin(2 * np.pi * t / 12) + 0.02 * t + rng.normal(0, 0.3, n)
    stamps = pd.date_range("2000-01-01", periods=n, freq="MS").to_numpy()
    return Series(values[:, None].astype(np.float32), ("y",), stamps, "MS")


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    return Forecaster(SMALL).fit(_seasonal())


def test_split_and_training_rows_only_scaling(fitted: Forecaster) -> None:
    assert fitted.split == (103, 115, 144)  # 20% test (29 rows), then 10% of the rest (12)
    assert fitted.period == 12
    assert fitted.season_means is not None
    months = season_index(_seasonal(), 12)[:103]
    expected = [_seasonal().values[:103, 0][months == 0].mean()]
    np.testing.assert_allclose(fitted.season_means[0], expected, rtol=1e-6)
    part = fitted.parts[""]
    anomalies = _seasonal().values[:103, 0] - fitted.season_means[months, 0]
    np.testing.assert_allclose(part.offset, [anomalies.mean()], atol=1e-5)
    np.testing.assert_allclose(part.scale, [anomalies.std()], rtol=1e-4)


def test_a_stride_spaces_the_validation_and_test_windows(fitted: Forecaster) -> None:
    """``stride=3``: the validation and test windows start every third row of their part (the
    selection scores those), while the network trains on every window as before — its test
    forecasts are those of the stride-1 fit at the same origins."""
    three = Forecaster(SMALL.replace(stride=3)).fit(_seasonal())
    one, ev = fitted.evaluate(), three.evaluate()
    np.testing.assert_array_equal(ev.origins, np.arange(115, 142, 3))
    np.testing.assert_allclose(ev.forecasts["model"], one.forecasts["model"][::3], rtol=1e-6)
    assert three.selection["scores"] != fitted.selection["scores"]  # 4 windows, not 10
    with pytest.raises(ConfigError, match="stride"):
        ForecastConfig.of(stride=0)


def test_evaluation_compares_every_baseline_on_the_same_windows(fitted: Forecaster) -> None:
    ev = fitted.evaluate()
    assert set(ev.forecasts) - {ev.selected} == {  # and the combination chosen, if one was
        "model",
        "naive",
        "seasonal naive",
        "drift",
        "climatology",
        "linear AR",
        "asinh linear AR",
        "theta",
        "autotheta",
        "ets",
    }
    assert ev.truth.shape == (144 - 115 - 3 + 1, 3, 1)
    assert all(f.shape == ev.truth.shape for f in ev.forecasts.values())
    assert ev.origins[0] == 115
    np.testing.assert_allclose(ev.truth[0, :, 0], _seasonal().values[115:118, 0], rtol=1e-6)
    assert set(ev.metrics["model"]) == {"mse", "mae", "rmse", "mape", "smape", "mase"}
    text = format_evaluation(ev)
    assert "model (ours)" in text
    baselines = {
        m: v["rmse"] for m, v in ev.metrics.items() if m not in ("model",) and "+" not in m
    }
    best = min(baselines, key=lambda m: baselines[m])
    assert ev.best_baseline == best
    beats = ev.metrics["model"]["rmse"] < baselines[best]
    assert ("beats the best baseline" if beats else "LOSES to the best baseline") in text
    assert f"({best})" in text


def test_forecast_continues_the_timestamps_and_round_trips(
    fitted: Forecaster, tmp_path: Path
) -> None:
    forecast, stamps = fitted.predict_arrays()
    assert forecast.shape == (3, 1)
    assert stamps is not None
    assert [str(s)[:10] for s in stamps] == ["2012-01-01", "2012-02-01", "2012-03-01"]
    loaded = Forecaster.load(fitted.save(tmp_path / "f"))
    again, _ = loaded.predict_arrays(_seasonal())
    np.testing.assert_allclose(again, forecast, rtol=1e-6)


def test_save_and_load_write_and_read_the_same_fitted_state(
    fitted: Forecaster, tmp_path: Path
) -> None:
    loaded = Forecaster.load(fitted.save(tmp_path / "f"))
    assert loaded.fitted.to_dict() == fitted.fitted.to_dict()
    # the series' rows travel too: a loaded Forecaster forecasts as the saved one did
    before, stamps = fitted.predict_arrays()
    after, stamps_after = loaded.predict_arrays()
    np.testing.assert_array_equal(after, before)
    assert stamps is not None and stamps_after is not None
    assert (stamps_after == stamps).all()
    assert loaded.fitted.to_dict()["parts"][""]["split"] == [103, 115, 144]
    # a checkpoint read back saves to the same description (symmetric save/load)
    again = save(tmp_path / "g", load_checkpoint(tmp_path / "f"))
    first, second = (
        json.loads((p / "checkpoint.json").read_text()) for p in (tmp_path / "f", again)
    )
    assert {k: v for k, v in first.items() if k != "created"} == {
        k: v for k, v in second.items() if k != "created"
    }


def test_run_folder_files(fitted: Forecaster, tmp_path: Path) -> None:
    paths = write_forecast_run(fitted, fitted.evaluate(), tmp_path / "run")
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "error_by_step.png",
        "forecast.csv",
        "forecast.png",
        "gates.png",
        "loss.png",
        "metrics.json",
        "model",
        "report.html",
        "test_windows.csv",
    ]
    metrics = json.loads(paths["metrics"].read_text())
    assert metrics["test_windows"] == 27
    assert len(metrics["rmse_by_step"]["model"]) == 3
    windows = pd.read_csv(paths["test_windows"])
    assert len(windows) == 27 * 3
    assert list(windows.columns[:6]) == ["series", "origin", "step", "time", "column", "truth"]


def test_too_short_a_series_says_what_it_needs() -> None:
    """Shorter than the lookback is fine (left-padded); too short for one training window of
    the horizon is an error naming what is needed."""
    Forecaster(SMALL.replace(epochs=1)).fit(_seasonal(20))  # lookback 12, horizon 3: padded
    with pytest.raises(DataError, match=r"too short for `horizon` 3: the training part needs"):
        Forecaster(SMALL).fit(_seasonal(5))
    with pytest.raises(DataError, match="not fitted yet"):
        Forecaster(SMALL).evaluate()


def test_cli_forecast_on_a_csv_file(tmp_path: Path) -> None:
    s = _seasonal()
    frame = pd.DataFrame({"month": [str(t)[:7] for t in s.timestamps], "sales": s.values[:, 0]})  # type: ignore[union-attr]
    frame.to_csv(tmp_path / "sales.csv", index=False)
    assert load_csv(tmp_path / "sales.csv").freq == "MS"
    args = [
        "forecast",
        "--data",
        str(tmp_path / "sales.csv"),
        "--horizon",
        "3",
        "--lookback",
        "12",
        "--hidden-size",
        "8",
        "--num-layers",
        "1",
        "--epochs",
        "5",
        "--quiet",
        "--out",
        str(tmp_path / "run"),
    ]
    done = seqlab(*args)
    assert done.returncode == 0, done.stderr
    assert "model (ours)" in done.stdout
    assert "seasonal naive" in done.stdout
    forecast = pd.read_csv(tmp_path / "run" / "forecast.csv")
    assert list(forecast["time"].str[:7]) == ["2012-01", "2012-02", "2012-03"]


def test_a_global_model_over_several_series(tmp_path: Path) -> None:
    parts = {"a": _seasonal(144, 1), "b": _seasonal(120, 2)}
    forecaster = Forecaster(SMALL).fit(parts)
    assert set(forecaster.parts) == {"a", "b"}
    assert forecaster.parts["b"].test_start == 96  # each series keeps its own split
    ev = forecaster.evaluate()
    assert len(ev.origins) == (144 - 115 - 2) + (120 - 96 - 2)
    assert ev.names.count("a") == 27
    a, _ = forecaster.predict_arrays(name="a")
    b, _ = forecaster.predict_arrays(name="b")
    assert a.shape == b.shape == (3, 1)
    with pytest.raises(DataError, match="holds 2 series; name one of"):
        forecaster.predict_arrays()
    loaded = Forecaster.load(forecaster.save(tmp_path / "g"))
    np.testing.assert_allclose(loaded.predict_arrays(parts["b"], name="b")[0], b, rtol=1e-6)
    paths = write_forecast_run(forecaster, ev, tmp_path / "run")
    forecast = pd.read_csv(paths["forecast"])
    assert sorted(set(forecast["series"])) == ["a", "b"]
    assert paths["forecast.png"].read_bytes()[:4] == b"\x89PNG"  # a panel per series


def test_cli_forecast_stocks_on_log_prices(tmp_path: Path) -> None:
    args = [
        "forecast",
        "--data",
        "stocks",
        "--log",
        "--horizon",
        "6",
        "--lookback",
        "12",
        *TINY_FORECAST,
        "--out",
        str(tmp_path / "run"),
    ]
    done = seqlab(*args)
    assert done.returncode == 0, done.stderr
    assert "stocks (fitted in logs; every number below in the data's units), 560 steps" in (
        done.stdout
    )
    assert "naive" in done.stdout
    forecast = (tmp_path / "run" / "forecast.csv").read_text().splitlines()[1:]
    assert all(float(row.split(",")[2]) > 5 for row in forecast)  # prices, not log prices


def test_pinball_loss_exact_value() -> None:
    import torch

    from seqlab.losses import pinball

    pred = torch.tensor([[1.0, 2.0, 3.0]])  # quantiles 0.1, 0.5, 0.9 of one value
    target = torch.tensor([2.5])
    # 0.1 * 1.5, 0.5 * 0.5, (0.9 - 1) * (2.5 - 3) = 0.15, 0.25, 0.05
    assert float(pinball(pred, target, torch.tensor([0.1, 0.5, 0.9]))) == pytest.approx(0.15)


def test_quantile_models_face_the_baselines_and_their_bands_follow_the_choice() -> None:
    # One epoch of a small network on a clean season: a baseline (or the combination)
    # wins on validation. The point forecast is the chosen method's, and the quantiles are
    # the network's moved onto it, every width kept.
    config = ForecastConfig.of(
        lookback=12, horizon=3, hidden_size=4, num_layers=1, epochs=1, patience=None,
        model="direct", quantiles=(0.1, 0.5, 0.9), intervals=(0.8,),
    )  # fmt: skip
    forecaster = Forecaster(config).fit(_seasonal())
    chosen = forecaster.selection["chosen"]
    assert chosen != "model" and set(forecaster.selection["scores"]) >= {"model", chosen}
    point, _ = forecaster.predict_arrays()
    bands = forecaster.predict_quantiles()
    np.testing.assert_allclose(bands[..., 1], point, rtol=0, atol=1e-9)
    part = forecaster.parts[""]
    raw = forecaster.predict_windows(part.series, np.array([len(part.series)]))[0]
    np.testing.assert_allclose(np.diff(bands, axis=-1), np.diff(raw, axis=-1), atol=1e-9)
    ev = forecaster.evaluate()
    assert ev.selected == chosen and ev.quantiles is not None
    np.testing.assert_allclose(ev.quantiles[..., 1], ev.forecasts[chosen], rtol=0, atol=1e-9)


def test_quantile_forecasts_and_coverage(tmp_path: Path) -> None:
    config = ForecastConfig.of(
        lookback=12,
        horizon=3,
        hidden_size=16,
        num_layers=1,
        epochs=25,
        patience=None,
        model="direct",
        quantiles=(0.1, 0.5, 0.9),
    )
    forecaster = Forecaster(config).fit(_seasonal())
    bands = forecaster.predict_quantiles()
    assert bands.shape == (3, 1, 3)
    point, _ = forecaster.predict_arrays()
    np.testing.assert_array_equal(point, bands[..., 1])
    ev = forecaster.evaluate()
    assert ev.quantiles is not None and ev.quantiles.shape == (*ev.truth.shape, 3)
    inside = (ev.truth >= ev.quantiles[..., 0]) & (ev.truth <= ev.quantiles[..., 2])
    assert ev.coverage["0.1-0.9"] == pytest.approx(inside.mean())  # what it reports is right
    # (This undertrained toy model's band covers far less than 80%: pinball training alone
    # does not calibrate; that is issue 15's conformal calibration.)
    assert (np.diff(ev.quantiles, axis=-1) >= 0).all()  # crossing quantiles rearranged
    paths = write_forecast_run(forecaster, ev, tmp_path / "run")
    assert list(pd.read_csv(paths["forecast"]).columns) == [
        "series",
        "time",
        "y",
        "y_q0.1",
        "y_q0.5",
        "y_q0.9",
    ]
    assert "quantile band 0.1-0.9: covers" in format_evaluation(ev)
    with pytest.raises(ConfigError, match="need the direct head"):
        ForecastConfig.of(model="seq2seq", quantiles=(0.1, 0.9))


@pytest.mark.parametrize(
    ("window", "refit"), [("expanding", True), ("sliding", True), ("expanding", False)]
)
def test_rolling_origin_backtest(window: str, refit: bool) -> None:
    from seqlab.forecasting.backtest import backtest

    series = _seasonal(96)
    config = ForecastConfig.of(
        lookback=12, horizon=3, hidden_size=8, num_layers=1, epochs=3, patience=None
    )
    result = backtest(series, config, folds=3, stride=4, window=window, refit=refit)  # type: ignore[arg-type]
    assert result.origins == [85, 89, 93]
    for origin, ev in zip(result.origins, result.evaluations, strict=True):
        np.testing.assert_allclose(
            ev.truth[-1, :, 0], series.values[origin : origin + 3, 0], rtol=1e-6
        )
    steps = result.rmse_by_step()
    assert set(steps) >= {"model", "naive", "climatology"}
    assert all(len(v) == 3 for v in steps.values())
    # No look-ahead: changing every row from the first origin on changes the first fold's
    # truth but none of its forecasts (the model and every baseline saw only earlier rows).
    future = Series(series.values.copy(), series.columns, series.timestamps, series.freq)
    future.values[85:] += 50.0
    changed = backtest(future, config, folds=3, stride=4, window=window, refit=refit)  # type: ignore[arg-type]
    first, again = result.evaluations[0], changed.evaluations[0]
    assert not np.allclose(first.truth, again.truth)
    for method, forecast in first.forecasts.items():
        np.testing.assert_allclose(again.forecasts[method], forecast, rtol=1e-5, err_msg=method)
    if window == "sliding":  # the last fold trains on rows 8..93 only: rows 0..7 do not matter
        assert result.train_rows[-1] == (8, 93)
        past = Series(series.values.copy(), series.columns, series.timestamps, series.freq)
        past.values[:8] -= 50.0
        late = backtest(past, config, folds=3, stride=4, window=window, refit=refit)  # type: ignore[arg-type]
        for method, forecast in result.evaluations[-1].forecasts.items():
            np.testing.assert_allclose(
                late.evaluations[-1].forecasts[method], forecast, rtol=1e-5, err_msg=method
            )


def test_backtest_rejects_impossible_settings() -> None:
    from seqlab.forecasting.backtest import backtest

    with pytest.raises(DataError, match="too early for lookback 12"):
        backtest(_seasonal(40), SMALL, folds=5, stride=6)
    with pytest.raises(DataError, match="sliding window needs refit=True"):
        backtest(_seasonal(96), SMALL, folds=2, stride=4, window="sliding", refit=False)


def test_forecast_plot_draws_test_forecasts_ending_with_the_last_window(
    fitted: Forecaster,
) -> None:
    from seqlab.forecasting.report import _test_forecasts

    ev = fitted.evaluate()
    picks = _test_forecasts(ev, horizon=3, count=4)
    assert [origin for origin, _ in picks] == [132, 135, 138, 141]  # last window: 144 - 3
    np.testing.assert_array_equal(picks[-1][1], ev.forecasts["model"][-1])
    fig = plot_forecast(
        None, _seasonal().values, ["y"], np.zeros((3, 1)), None, test_forecasts=picks
    )
    dashed = [line for line in fig.axes[0].get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 4
    assert list(dashed[-1].get_xdata()) == [140, 141, 142, 143]  # from the last observed row
