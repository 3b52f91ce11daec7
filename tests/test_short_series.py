"""Short series, as business users have them: a few years of months that leave less than a
horizon of validation rows at the default fractions, global models mixing short and long
series, baselines that a series is too short for, and tutorial CSVs whose time column parses
only to nonsense. Nothing of this may end in a traceback; what is left out is said."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_run import TINY_FORECAST, seqlab
from seqlab import DataError
from seqlab.baselines import linear_ar, run_baselines, skipped_baselines
from seqlab.data.sources import Series, load_csv
from seqlab.forecasting import ForecastConfig, Forecaster
from seqlab.forecasting.parts import split_rows

TINY = ForecastConfig.of(hidden_size=8, num_layers=1, epochs=3, dropout=0.0)


def _sales(months: int, seed: int = 0, start: str = "1960-01") -> pd.DataFrame:
    """Monthly sales with a trend and a yearly season (a car-sales-like file)."""
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    y = 10_000 + 80 * t + 3_000 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 800, months)
    stamps = pd.date_range(start, periods=months, freq="MS").strftime("%Y-%m")
    return pd.DataFrame({"Month": stamps, "Sales": y.round()})


def test_the_default_fractions_keep_a_validation_window_of_one_horizon() -> None:
    """108 months at the defaults (lookback 36, horizon 12, fractions 0.1 / 0.2): the
    validation fraction gives 9 rows, fewer than a horizon, so no validation window; the part
    is raised to one horizon where the training rows allow, never shrunk."""
    series = Series(np.zeros((108, 1), np.float32), ("y",))
    assert split_rows(series, "", ForecastConfig()) == (74, 86)  # was (77, 86): 9 rows
    long = Series(np.zeros((400, 1), np.float32), ("y",))
    assert split_rows(long, "", ForecastConfig()) == (288, 320)  # 32 rows, as before


@pytest.mark.parametrize("model", ["auto", "segment"])
def test_a_108_month_file_fits_with_the_defaults(model: str, tmp_path: Path) -> None:
    """Was an AssertionError in the lookback choice (validation rows but no window)."""
    path = tmp_path / "cars.csv"
    _sales(108).to_csv(path, index=False)
    forecaster = Forecaster(ForecastConfig.of(model=model, epochs=3)).fit(load_csv(path))
    assert forecaster.fitted.validation_loss is not None  # one validation window: it was scored
    assert forecaster.selection["scores"]  # and the selection ran on it
    forecast, stamps = forecaster.predict_arrays()
    assert forecast.shape == (12, 1) and np.isfinite(forecast).all()
    assert stamps is not None and str(stamps[0])[:7] == "1969-01"
    assert len(forecaster.evaluate().origins) == 22 - 12 + 1  # 22 test rows, horizon 12


def test_a_series_too_short_for_the_baselines_lookback_gets_a_shorter_one() -> None:
    """The linear AR reads at most train_end - horizon - 1 values (two training windows),
    so a short series no longer ends the fit (M3 Monthly crashed here); exact on a line."""
    line = np.arange(30, dtype=np.float64)[:, None]
    pred = linear_ar(line, np.array([25]), 3, lookback=24, train_end=20)  # 16 values read
    np.testing.assert_allclose(pred[0, :, 0], [25, 26, 27], atol=1e-6)
    with pytest.raises(DataError, match=r"too few training rows \(4\).*at least 5"):
        linear_ar(line, np.array([25]), 3, lookback=2, train_end=4)
    found = run_baselines(line, np.array([25]), 3, lookback=2, train_end=4, period=12)
    assert not {"linear AR", "asinh linear AR", "climatology"} & set(found)
    assert set(skipped_baselines(3, 4, 12)) == {"linear AR", "asinh linear AR", "climatology"}
    assert skipped_baselines(3, 20, 12) == {}


def test_a_global_model_reports_the_baselines_a_short_series_cannot_fit() -> None:
    """One monthly series with fewer training rows than a season beside long ones: the fit
    completes, climatology is no candidate (counted and explained in the selection), and
    forecasts for every series are finite."""
    rng = np.random.default_rng(0)
    months = lambda n: pd.date_range("2000-01", periods=n, freq="MS").to_numpy()  # noqa: E731
    named = {
        f"s{k}": Series(
            (np.sin(np.arange(n) * np.pi / 6) + rng.normal(0, 0.1, n))[:, None].astype(np.float32),
            ("y",),
            months(n),
            "MS",
        )
        for k, n in enumerate([60, 72, 13])
    }
    config = ForecastConfig.of(lookback=4, horizon=2, val_rows=2, test_rows=2, **_tiny())
    forecaster = Forecaster(config).fit(named)
    skipped = forecaster.selection["skipped"]
    assert skipped == {"climatology": {"series": 1, "why": skipped["climatology"]["why"]}}
    assert "fewer training rows (9) than one season (12)" in skipped["climatology"]["why"]
    assert "climatology" not in forecaster.selection["scores"]
    for name in named:
        assert np.isfinite(forecaster.predict_arrays(name=name)[0]).all()
    assert "climatology" not in forecaster.evaluate().metrics  # not in every series: left out


def _tiny() -> dict[str, object]:
    return {"hidden_size": 8, "num_layers": 1, "epochs": 2, "dropout": 0.0}


def test_months_written_1_01_are_read_as_an_ordered_index(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A tutorial's months 1-01 … 3-12 parse only to dates in year 1 (before: nanosecond
    stamps in 1754 and a 'gaps' refusal); read as an ordered index, said in a note and the
    log, naming the option that reads real dates."""
    path = tmp_path / "tutorial.csv"
    months = [f"{y}-{m:02d}" for y in (1, 2, 3) for m in range(1, 13)]
    pd.DataFrame({"Month": months, "Sales": np.arange(36.0)}).to_csv(path, index=False)
    series = load_csv(path)
    assert series.timestamps is None and series.columns == ("Sales",)
    assert any("ordered index" in n and "`date_format`" in n for n in series.notes)
    assert "reads only as dates before 1800" in caplog.text
    np.testing.assert_array_equal(series.values[:, 0], np.arange(36.0))
    done = seqlab("inspect", "--data", str(path))
    assert done.returncode == 0 and "ordered index" in done.stdout
    assert "--date-format" in done.stdout and "`" not in done.stdout + done.stderr
    out = tmp_path / "run"  # 36 values for lookback 36 + horizon 12: left-padded, forecast
    done = seqlab("forecast", "--data", str(path), "--out", str(out), *TINY_FORECAST)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out / "forecast.csv")) == 12


def test_series_shorter_than_the_lookback_are_left_padded_not_refused() -> None:
    """A global model over long series and ones shorter than the lookback (M3's case): the
    short ones train on left-padded windows and get the network's forecast and test windows,
    where the fit used to refuse them; padding comes from lookback_index alone, so the same
    window reads the same numbers in training, validation and prediction."""
    rng = np.random.default_rng(1)
    named = {
        name: Series((np.sin(np.arange(n) / 2) + rng.normal(0, 0.1, n))[:, None], ("y",))
        for name, n in (("long", 120), ("longer", 150), ("short", 22), ("tiny", 9))
    }
    config = ForecastConfig.of(
        lookback=36, horizon=4, val_rows=4, test_rows=4, model="seq2seq", select="model", **_tiny()
    )
    forecaster = Forecaster(config).fit(named)
    assert len(forecaster.parts["short"].series) < config.split.lookback
    forecast = forecaster.predict_arrays(name="short")[0]
    network = forecaster.predict_windows(named["short"], np.array([22]), "short")[0]
    np.testing.assert_array_equal(forecast, network)
    assert np.isfinite(forecast).all()
    assert "short" in forecaster.evaluate().names
    tiny = forecaster.parts["tiny"]  # 9 values: no room for 4 validation rows besides training
    assert (tiny.train_end, tiny.test_start) == (5, 5)  # so it trains without them
    assert np.isfinite(forecaster.predict_arrays(name="tiny")[0]).all()


def test_one_nonsense_date_among_real_ones_is_refused_naming_the_row(tmp_path: Path) -> None:
    path = tmp_path / "typo.csv"
    frame = _sales(24)
    frame.loc[5, "Month"] = "0019-06"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"row 7: .*'0019-06', read as 0019-06-01.*`date_format`"):
        load_csv(path)


def test_the_command_line_names_flags_not_python_keywords(tmp_path: Path) -> None:
    """Library messages name options as `name`; the CLI prints the flag that sets it."""
    gap = tmp_path / "gap.csv"
    gap.write_text("Month,Sales\n2020-01,1\n2020-02,2\n2020-04,3\n2020-05,4\n2020-06,5\n")
    done = seqlab("forecast", "--data", str(gap), "--out", str(tmp_path / "a"), *TINY_FORECAST)
    assert done.returncode == 2 and "fill them with --fill (ffill" in done.stderr
    assert "fill=" not in done.stderr and "`" not in done.stderr
    short = tmp_path / "short.csv"
    _sales(20).to_csv(short, index=False)
    done = seqlab("forecast", "--data", str(short), "--out", str(tmp_path / "b"), *TINY_FORECAST)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "too short for --horizon 12" in done.stderr
    assert "shorten --horizon, or give fewer --test-rows or --val-rows" in done.stderr
    with pytest.raises(DataError, match="too short for `horizon` 12"):  # Python: the keyword
        Forecaster(TINY).fit(load_csv(short))


def test_a_spacing_that_matches_no_frequency_is_read_in_order_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "irregular.csv"
    days = np.cumsum([1, 3, 2, 7, 1, 5, 2, 9, 4, 1, 6, 3])  # no calendar step fits these
    stamps = pd.Timestamp("2021-01-01") + pd.to_timedelta(days, unit="D")
    pd.DataFrame({"date": stamps.strftime("%Y-%m-%d"), "y": np.arange(12.0)}).to_csv(path)
    series = load_csv(path, target=["y"])
    assert series.freq is None and len(series) == 12
    assert "no single frequency fits" in caplog.text and "`date_format`" in caplog.text
    done = seqlab("inspect", "--data", str(path), "--target", "y")
    assert done.returncode == 0 and "--date-format" in done.stderr + done.stdout
