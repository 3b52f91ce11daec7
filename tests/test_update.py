"""Forecaster.update (issue 27's recalibration): a fitted Forecaster trains on from its
weights on newer data and its fitting baselines take the new rows in, every choice of the
fit kept, the original Forecaster untouched. The data change level after the rows the fit
saw, so a forecaster that did not learn the new rows forecasts the later ones worse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from seqlab import DataError, ForecastConfig, Forecaster
from seqlab.data.sources import Series
from seqlab.forecasting.prepare import datasets

CONFIG = ForecastConfig.of(
    lookback=24, horizon=6, period=12, hidden_size=16, num_layers=1, dropout=0.0, epochs=8,
    batch_size=32, lr=1e-2, patience=None, deseasonalize=False, model="seq2seq",
    select="model", classical=(), test_rows=150, val_rows=30, future_covariates=("x",),
)  # fmt: skip


def _data(n: int = 450, shift_at: int = 300, seed: int = 0) -> Series:
    """y = a 12-step season + 0.8 x + a level that rises by 3 at ``shift_at``."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = rng.normal(0, 1, n)
    y = np.sin(2 * np.pi * t / 12) + 0.8 * x + 3.0 * (t >= shift_at) + rng.normal(0, 0.05, n)
    return Series(np.stack([y, x], axis=1).astype(np.float32), ("y", "x"))


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    return Forecaster(CONFIG).fit(_data())


def _mae(forecaster: Forecaster) -> float:
    ev = forecaster.evaluate()
    return float(np.abs(ev.forecasts["model"] - ev.truth).mean())


def test_training_on_the_new_rows_forecasts_the_later_ones_better(fitted: Forecaster) -> None:
    weights = {k: v.clone() for k, v in fitted.network.state_dict().items()}
    kept = fitted.update(_data(), steps=0, test_rows=100)  # the same weights, the new split
    assert kept.network is fitted.network
    assert kept.split[1:] == (350, 450) and fitted.split[1:] == (300, 450)
    stale = _mae(kept)
    updated = fitted.update(_data(), steps=60, test_rows=100)
    assert _mae(updated) < 0.6 * stale, (_mae(updated), stale)
    recent = fitted.update(_data(), steps=60, test_rows=100, recent_rows=50)
    assert _mae(recent) < 0.6 * stale
    # the fitted Forecaster is not changed: its weights, split and forecasts
    for k, v in fitted.network.state_dict().items():
        torch.testing.assert_close(v, weights[k], rtol=0, atol=0)
    assert fitted.split[1] == 300
    assert updated.network is not fitted.network
    assert updated.fitted.network == fitted.fitted.network  # the fit's choices kept
    assert updated.fitted.selection == fitted.fitted.selection


def test_the_fitting_baselines_fit_on_the_new_rows(fitted: Forecaster) -> None:
    before = fitted.evaluate()
    after = fitted.update(_data(), steps=0, test_rows=100).evaluate()
    common = np.isin(before.origins, after.origins)
    assert common.sum() == len(after.origins)
    linear = {
        name: float(np.abs(ev.forecasts["linear AR"][rows] - ev.truth[rows]).mean())
        for name, ev, rows in (("before", before, common), ("after", after, slice(None)))
    }
    # the linear AR fitted before the level shift cannot know it; refitted, it does
    assert linear["after"] < 0.5 * linear["before"], linear


def test_recent_rows_are_the_last_training_windows(fitted: Forecaster) -> None:
    prepared = fitted.update(_data(), steps=0, test_rows=100).fitted.prepared
    every, _ = datasets(prepared, CONFIG, 24, refit=True)
    recent, _ = datasets(prepared, CONFIG, 24, refit=True, recent=50)
    assert len(every) == 350 - 24 - 6 + 1  # origins 24 .. 344: targets inside the 350 rows
    assert len(recent) == 50 - 6 + 1  # forecast steps starting in the last 50 rows


def test_an_updated_forecaster_saves_and_forecasts_past_the_new_end(
    fitted: Forecaster, tmp_path: Path
) -> None:
    updated = fitted.update(_data(), steps=10)
    future = np.zeros((6, 1))
    forecast = updated.predict_arrays(future=future)[0]
    assert forecast.shape == (6, 1)
    assert forecast[:, 0].mean() > 2.0  # the new level (the fit's last training rows: about 0)
    loaded = Forecaster.load(updated.save(tmp_path / "u"))
    np.testing.assert_allclose(loaded.predict_arrays(future=future)[0], forecast, rtol=1e-6)


def test_a_dataframe_updates_as_fit_takes_it() -> None:
    series = _data()
    stamps = pd.date_range("2021-01-01", periods=len(series), freq="h")
    frame = pd.DataFrame(series.values, columns=list(series.columns), index=stamps)
    fitted = Forecaster(CONFIG).fit(frame.iloc[:300], target=None)
    from_frame = fitted.update(frame, steps=5, test_rows=100)
    as_series = fitted.update(Series(series.values, series.columns, stamps.to_numpy(), "h"),
                              steps=5, test_rows=100)  # fmt: skip
    assert from_frame.split == as_series.split == (350, 350, 450)
    np.testing.assert_allclose(
        from_frame.evaluate().forecasts["model"], as_series.evaluate().forecasts["model"]
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: f.update(_data(), steps=-1), r"`steps` must be an integer of at least 0"),
        (lambda f: f.update(_data(), steps=5, test_rows=-2), r"`test_rows` must be an integer"),
        (lambda f: f.update(_data(), steps=5, recent_rows=3), r"at least the horizon \(6\)"),
        (lambda f: f.update(_data(), steps=5, lr=0.0), r"`lr` must be a positive number"),
        (lambda f: f.update(_data(n=20), steps=5, test_rows=15), r"at least 7 rows before"),
        (
            lambda f: f.update(Series(np.zeros((400, 2), np.float32), ("y", "z")), steps=5),
            r"the columns the fit had \(y, x\), got y, z",
        ),
        (
            lambda f: f.update({"other": _data()}, steps=5),
            r"the series this Forecaster was fitted on",
        ),
    ],
)
def test_bad_updates_are_refused(fitted: Forecaster, call: object, message: str) -> None:
    with pytest.raises(DataError, match=message):
        call(fitted)  # type: ignore[operator]


def test_an_unfitted_forecaster_has_nothing_to_update() -> None:
    with pytest.raises(DataError, match="not fitted yet"):
        Forecaster(CONFIG).update(_data(), steps=1)
