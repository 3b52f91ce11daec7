"""Baselines and forecast metrics: exact values on tiny series."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.baselines import (
    climatology,
    drift,
    linear_ar,
    naive,
    recent_lasso_ar,
    recent_ridge_ar,
    run_baselines,
    seasonal_naive,
    skipped_baselines,
)
from seqlab.data.windows import lookback_index
from seqlab.errors import DataError
from seqlab.metrics import forecast_metrics, mape, mase, smape

SERIES = np.array([[1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0], [8.0]])
ORIGINS = np.array([4, 6])


def test_naive_repeats_the_last_value() -> None:
    np.testing.assert_array_equal(naive(SERIES, ORIGINS, 2)[..., 0], [[4, 4], [6, 6]])


def test_seasonal_naive_takes_the_same_season() -> None:
    seasonal = np.array([[10.0], [20.0], [30.0], [11.0], [21.0], [31.0], [12.0]])
    # period 3, origin 6: steps 6, 7, 8, 9 -> values at 3, 4, 5, then 3 again (two seasons back)
    np.testing.assert_array_equal(
        seasonal_naive(seasonal, np.array([6]), 4, 3)[0, :, 0], [11, 21, 31, 11]
    )


def test_drift_extends_the_line_through_first_and_last() -> None:
    y = np.array([[0.0], [1.0], [4.0]])  # slope (4 - 0) / 2 = 2 per step
    np.testing.assert_allclose(drift(y, np.array([3]), 3)[0, :, 0], [6, 8, 10])


def test_climatology_uses_training_seasons_only() -> None:
    y = np.array([[1.0], [10.0], [3.0], [20.0], [100.0], [100.0]])  # period 2, train_end 4
    np.testing.assert_allclose(climatology(y, np.array([4]), 2, 2, 4)[0, :, 0], [2.0, 15.0])


def test_linear_ar_is_exact_on_a_line() -> None:
    y = np.arange(30, dtype=np.float64)[:, None] * 2.0 + 1.0
    pred = linear_ar(y, np.array([25]), 3, lookback=4, train_end=20)
    np.testing.assert_allclose(pred[0, :, 0], y[25:28, 0], atol=1e-9)


def test_run_baselines_skips_seasonal_ones_without_a_period() -> None:
    y = np.arange(40, dtype=np.float64)[:, None]
    assert set(run_baselines(y, np.array([30]), 2, lookback=3, train_end=25, period=None)) == {
        "naive",
        "drift",
        "linear AR",
        "asinh linear AR",
    }
    assert len(run_baselines(y, np.array([30]), 2, lookback=3, train_end=25, period=12)) == 6


def test_metrics_exact_values() -> None:
    truth, pred = np.array([1.0, 2.0, 4.0]), np.array([2.0, 2.0, 2.0])
    m = forecast_metrics(truth, pred, train=np.array([0.0, 1.0, 3.0]), period=1)
    assert m["mse"] == pytest.approx(5 / 3)
    assert m["mae"] == pytest.approx(1.0)
    assert m["rmse"] == pytest.approx(np.sqrt(5 / 3))
    assert m["mape"] == pytest.approx(100 * (1 + 0 + 0.5) / 3)
    assert smape(truth, pred) == pytest.approx(100 * (2 / 3 + 0 + 4 / 6) / 3)
    assert mase(truth, pred, np.array([0.0, 1.0, 3.0])) == pytest.approx(1.0 / 1.5)
    assert np.isnan(mape([0.0], [1.0]))


def test_linear_ar_with_many_windows_stays_exact_on_a_line() -> None:
    """Enough windows for the held-out choice of the ridge penalty: a line is still fitted
    exactly (the unpenalised fit wins there)."""
    y = np.arange(300, dtype=np.float64)[:, None] * 2.0 + 1.0
    pred = linear_ar(y, np.array([280]), 3, lookback=4, train_end=270)
    np.testing.assert_allclose(pred[0, :, 0], y[280:283, 0], atol=1e-5)


def test_the_held_out_ridge_penalty_beats_least_squares_where_windows_are_few() -> None:
    """A lookback of 100 and 157 training windows: least squares fits the noise, the penalty
    chosen on the last fifth of the windows forecasts the next 100 origins better."""
    rng = np.random.default_rng(0)
    x = (np.sin(np.arange(400) / 3) + rng.normal(size=400))[:, None]
    origins, horizon, lookback, train_end = np.arange(260, 360), 4, 100, 260
    truth = x[origins[:, None] + np.arange(horizon), 0]
    ridge = np.abs(linear_ar(x, origins, horizon, lookback, train_end)[:, :, 0] - truth).mean()
    train = np.arange(lookback, train_end - horizon + 1)
    design = np.concatenate([x[lookback_index(train, lookback), 0], np.ones((len(train), 1))], 1)
    weights = np.linalg.lstsq(design, x[train[:, None] + np.arange(horizon), 0], rcond=None)[0]
    ahead = np.concatenate([x[lookback_index(origins, lookback), 0], np.ones((100, 1))], 1)
    plain = np.abs(ahead @ weights - truth).mean()
    assert ridge < 0.85 * plain, (ridge, plain)  # measured 0.947 against 1.254


def test_the_asinh_linear_ar_is_not_thrown_by_spikes() -> None:
    """A daily cycle with rare large spikes: fitted on asinh-scaled values the spikes weigh
    little and the cycle is forecast; fitted as they are, the spikes pull the map."""
    rng = np.random.default_rng(0)
    t = np.arange(1200)
    y = 10 + 3 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.3, 1200)
    spikes = rng.random(1200) < 0.02
    y[spikes] += rng.exponential(60, spikes.sum())
    origins = np.arange(1000, 1190)
    truth = y[origins[:, None] + np.arange(6)]
    plain, scaled = (
        np.abs(linear_ar(y[:, None], origins, 6, 24, 1000, asinh=a)[:, :, 0] - truth).mean()
        for a in (False, True)
    )
    assert scaled < 0.7 * plain, (scaled, plain)  # measured 1.94 against 3.55


def test_the_asinh_linear_ar_clips_its_scaled_forecasts() -> None:
    """A value far beyond any training value enters the lookback: the map's scaled forecast
    is clipped at twice the training's largest scaled value (+1) before it is mapped back
    (unclipped it was 8.8e11 here; a larger one overflows sinh)."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=(400, 1))
    y[395:] = 1e300
    pred = linear_ar(y, np.array([398]), 2, 8, 300, asinh=True)[0, :, 0]
    median = np.median(y[:300])
    mad = np.median(np.abs(y[:300] - median)) * 1.4826
    limit = 2 * np.abs(np.arcsinh((y[:300] - median) / mad)).max() + 1
    assert np.isfinite(pred).all()
    assert np.abs(np.arcsinh((pred - median) / mad)).max() <= limit + 1e-9


def test_the_phased_linear_ar_fits_a_map_per_phase_of_the_season() -> None:
    """An autoregression whose coefficient changes sign with the phase (t mod 4): one map per
    phase forecasts each origin with its own phase's coefficient, one map for all reading
    the last value cannot (it averages them).
    Forecasting one origin alone gives that origin's forecast of the joint call."""
    rng = np.random.default_rng(0)
    coef = np.array([0.9, -0.9, 0.9, -0.9])
    x = np.zeros(1600)
    for t in range(1, 1600):
        x[t] = coef[t % 4] * x[t - 1] + rng.normal()
    y = x[:, None]
    origins, horizon, train_end = np.arange(1300, 1590), 1, 1300
    truth = y[origins[:, None] + np.arange(horizon), 0]
    joint, phased = (
        linear_ar(y, origins, horizon, 1, train_end, period=p)[:, :, 0] for p in (None, 4)
    )
    one, two = (np.abs(f - truth).mean() for f in (joint, phased))
    assert two < 0.6 * one, (two, one)  # measured 0.808 against 1.868
    alone = linear_ar(y, origins[5:6], horizon, 1, train_end, period=4)[0, :, 0]
    np.testing.assert_allclose(alone, phased[5], rtol=1e-12)


def test_the_phased_linear_ars_need_enough_windows_per_phase() -> None:
    """They (and the recent Lasso and ridge ARs) apply to a seasonal series with at least 50
    training windows per phase (a fifth of them choose the penalty) only; elsewhere they are
    no candidate, without a note."""
    y = np.sin(np.arange(700, dtype=np.float64) / 3)[:, None]
    phased = {"phased linear AR", "phased asinh linear AR", "recent Lasso AR", "recent ridge AR"}
    long = run_baselines(y, np.array([650]), 4, lookback=4, train_end=640, period=12)
    assert phased <= set(long)  # (640 - 4 + 1 - 4) // 12 = 52 windows per phase
    short = run_baselines(y, np.array([650]), 4, lookback=4, train_end=600, period=12)
    assert not phased & set(short)  # 49
    assert skipped_baselines(4, 600, 12) == {}
    seasonless = run_baselines(y, np.array([650]), 4, lookback=4, train_end=640, period=None)
    assert not phased & set(seasonless)


def test_the_recent_lasso_ar_follows_a_relation_that_has_moved() -> None:
    """The target follows the first of ten future-known covariates, with a coefficient that
    flips from +2 to -2 seventy-five windows per phase before the end of training: fitted on
    each phase's last 50 windows, the recent Lasso AR forecasts with the new relation; the
    phased linear AR, fitted on the whole history, mixes the two."""
    rng = np.random.default_rng(0)
    exog = rng.normal(size=(1600, 10))
    coef = np.where(np.arange(1600) < 1000, 2.0, -2.0)
    y = (10 + coef * exog[:, 0] + rng.normal(0, 0.2, 1600))[:, None]
    origins, train_end = np.arange(1300, 1599), 1300
    truth = y[origins, 0]
    recent = recent_lasso_ar(y, origins, 1, 4, train_end, 4, exog)[:, 0, 0]
    phased = linear_ar(y, origins, 1, 4, train_end, exog, period=4)[:, 0, 0]
    new, mixed = np.abs(recent - truth).mean(), np.abs(phased - truth).mean()
    assert new < 0.5 * mixed, (new, mixed)  # measured 0.197 against 2.516
    with pytest.raises(DataError, match="future-known covariates' values at every forecast"):
        recent_lasso_ar(y, np.array([1599]), 2, 4, train_end, 4, exog)


def test_the_recent_ridge_ar_corrects_the_long_map_only_where_it_has_moved() -> None:
    """The covariate relation of the test above, flipped 75 windows per phase before the end
    of training: the long map's errors on the last 50 windows per phase correct it toward the
    new relation. Where nothing moved (the same series without the flip) the correction is
    shrunk to (almost) nothing: its forecasts stay those of the phased asinh linear AR."""
    rng = np.random.default_rng(0)
    exog = rng.normal(size=(1600, 10))
    noise = rng.normal(0, 0.2, 1600)
    origins, train_end = np.arange(1300, 1599), 1300
    flipped = np.where(np.arange(1600) < 1000, 2.0, -2.0)
    errors = {}
    for name, coef in (("moved", flipped), ("steady", np.full(1600, 2.0))):
        y = (10 + coef * exog[:, 0] + noise)[:, None]
        truth = y[origins, 0]
        recent = recent_ridge_ar(y, origins, 1, 4, train_end, 4, exog)[:, 0, 0]
        long = linear_ar(y, origins, 1, 4, train_end, exog, asinh=True, period=4)[:, 0, 0]
        errors[name] = np.abs(recent - truth).mean(), np.abs(long - truth).mean()
    assert errors["moved"][0] < 0.5 * errors["moved"][1], errors  # measured 0.261, 2.410
    assert errors["steady"][0] < 1.1 * errors["steady"][1], errors  # measured 0.177, 0.173
    with pytest.raises(DataError, match="recent ridge AR baseline needs the future-known"):
        recent_ridge_ar(y, np.array([1599]), 2, 4, train_end, 4, exog)
