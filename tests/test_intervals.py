"""Split-conformal prediction intervals: the finite-sample quantile, the scores, and the
Forecaster's calibrated bands (issue 15 item 1)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from cli_run import seqlab
from seqlab import DataError, ForecastConfig, Forecaster, Series
from seqlab.errors import ConfigError
from seqlab.forecasting.intervals import (
    adaptive_radii,
    bands,
    calibrate,
    interval_scores,
    quantile_pair,
    score_grid,
    scores,
)


def test_the_radius_is_the_finite_sample_conformal_quantile() -> None:
    score = np.arange(1.0, 10.0)[:, None] * np.array([[1.0, 2.0]])  # n = 9 windows, 2 steps
    radii = calibrate(score, [0.8, 0.95])
    assert radii["80"] == [8.0, 16.0]  # ceil((9 + 1) * 0.8) = 8th smallest
    assert radii["95"] == [math.inf, math.inf]  # ceil(9.5) = 10 > 9: no finite radius


def test_split_conformal_covers_at_least_the_level_on_exchangeable_errors() -> None:
    """Averaged over many draws, coverage lies in [level, level + 1 / (n + 1)]."""
    rng = np.random.default_rng(0)
    n, trials, level = 19, 4000, 0.8
    calibration = np.abs(rng.standard_t(3, size=(trials, n, 1)))
    test = np.abs(rng.standard_t(3, size=(trials, 1)))
    radius = np.array([calibrate(c, [level])["80"][0] for c in calibration])
    covered = (test[:, 0] <= radius).mean()
    assert level - 0.015 <= covered <= level + 1 / (n + 1) + 0.015


def test_adaptive_radii_reach_nominal_coverage_when_the_test_period_is_calmer() -> None:
    """Calibration errors twice as large as the test errors: split conformal over-covers,
    adaptive conformal comes back to the level; with gamma 0 it is split conformal."""
    rng = np.random.default_rng(0)
    calibration = np.abs(rng.normal(0, 2, (150, 3)))  # n <= 201: the grid is exact
    test = np.abs(rng.normal(0, 1, (2000, 3)))
    grid, times = score_grid(calibration), np.arange(2000)
    split = np.asarray(calibrate(calibration, [0.8])["80"])
    assert (test <= split).mean() > 0.95
    radii, share = adaptive_radii(grid, times, test, 0.8)
    assert abs((test <= radii).mean() - 0.8) < 0.03
    assert sum(share.values()) == pytest.approx(1.0)
    fixed, _ = adaptive_radii(grid, times, test, 0.8, gammas=(0.0,))
    np.testing.assert_array_equal(fixed, np.broadcast_to(split, fixed.shape))


def test_adaptive_radii_use_only_outcomes_known_at_each_origin() -> None:
    """Step h of the window at origin t is known from origin t + h + 1 on: changing every
    outcome from origin 1500 on leaves the radii before that unchanged, and step h's radii
    unchanged up to origin 1500 + h."""
    rng = np.random.default_rng(1)
    grid = score_grid(np.abs(rng.normal(0, 1, (100, 3))))
    test = np.abs(rng.normal(0, 1, (2000, 3)))
    changed = test.copy()
    changed[1500:] = 50.0
    times = np.arange(2000)
    before, _ = adaptive_radii(grid, times, test, 0.9)
    after, _ = adaptive_radii(grid, times, changed, 0.9)
    for h in range(3):
        np.testing.assert_array_equal(after[: 1501 + h, h], before[: 1501 + h, h])
        assert (after[1502 + h :, h] != before[1502 + h :, h]).any()
    unknown = test.copy()
    unknown[:, 1] = np.nan  # outcomes never known: step 1 stays at the calibration radius
    radii, _ = adaptive_radii(grid, times, unknown, 0.9)
    assert np.unique(radii[:, 1]).size == 1


def test_scores_bands_and_msis_by_hand() -> None:
    truth = np.array([[[10.0], [12.0]]])  # (N=1, H=2, F=1)
    point = np.array([[[11.0], [11.0]]])
    scale = np.array([2.0])
    assert scores(truth, point, point, scale).tolist() == [[0.5, 0.5]]
    low, high = bands(point, point, [0.25, 1.0], scale)
    assert low.ravel().tolist() == [10.5, 9.0] and high.ravel().tolist() == [11.5, 13.0]
    found = interval_scores(truth, low, high, 0.8, scale)
    assert found["coverage"] == 0.5 and found["coverage_by_step"] == [0.0, 1.0]
    # step 1: width 1 + 2/0.2 * (10.5 - 10) = 6; step 2: width 4; scaled by 2, averaged
    assert found["msis"] == pytest.approx((6 / 2 + 4 / 2) / 2)
    assert found["width"] == pytest.approx((1 / 2 + 4 / 2) / 2)
    assert quantile_pair(0.8, (0.1, 0.5, 0.9)) == (0, 2)
    assert quantile_pair(0.95, (0.1, 0.5, 0.9)) is None


def _series(n: int = 400, seed: int = 0) -> Series:
    rng = np.random.default_rng(seed)
    noise = np.zeros(n)
    for t in range(1, n):  # AR(1) noise: stationary, so validation and test are alike
        noise[t] = 0.5 * noise[t - 1] + rng.normal(0, 1.0)
    values = 20 + 5 * np.sin(2 * np.pi * np.arange(n) / 12) + noise
    return Series(values[:, None].astype(np.float32), ("y",), None, None)


SMALL = ForecastConfig.of(
    lookback=24,
    horizon=4,
    period=12,
    hidden_size=8,
    num_layers=1,
    epochs=4,
    patience=None,
    model="seq2seq",
    val_fraction=0.4,
    test_fraction=0.3,
    intervals=(0.8, 0.95),
)


def test_forecaster_bands_cover_about_their_level_and_survive_save_and_load(
    tmp_path: Path,
) -> None:
    series = _series(1200)
    forecaster = Forecaster(SMALL).fit(series)
    assert forecaster.intervals["method"] == "split conformal"
    assert forecaster.intervals["windows"] > 300
    ev = forecaster.evaluate()
    for key, level in (("80", 0.8), ("95", 0.95)):
        found = ev.intervals[key]
        # stationary data: near nominal (overlapping windows make the calibration noisy)
        assert abs(found["coverage"] - level) < 0.07, found
        lower, upper = ev.interval_bands[key]
        chosen = ev.forecasts[ev.selected]
        assert (lower <= chosen).all() and (chosen <= upper).all()
    assert ev.intervals["95"]["width"] > ev.intervals["80"]["width"]
    bands_now = forecaster.predict_intervals()
    assert bands_now.shape == (4, 1, 2, 2)
    loaded = Forecaster.load(forecaster.save(tmp_path / "f"))
    np.testing.assert_allclose(loaded.predict_intervals(series), bands_now, rtol=1e-6)


def test_quantile_models_get_conformalised_quantile_regression() -> None:
    config = SMALL.replace(model="direct", quantiles=(0.1, 0.5, 0.9), epochs=3, test_fraction=0.2,
        intervals=(0.8,), interval_method="split",
    )  # fmt: skip
    forecaster = Forecaster(config).fit(_series())
    assert forecaster.intervals["method"] == "conformalised quantile regression"
    q = forecaster.predict_quantiles()  # (H, F, Q)
    band = forecaster.predict_intervals()[:, :, 0]  # (H, F, 2)
    radius = np.asarray(forecaster.intervals["radii"]["80"])[:, None]
    scale = forecaster.scales[""]
    np.testing.assert_allclose(band[..., 0], q[..., 0] - radius * scale, rtol=1e-6)
    np.testing.assert_allclose(band[..., 1], q[..., 2] + radius * scale, rtol=1e-6)


def test_adaptive_bands_follow_a_calmer_test_period_and_survive_save_and_load(
    tmp_path: Path,
) -> None:
    """Noise four times larger in the validation rows than in the test rows: the split bands
    over-cover the test windows, the adaptive ones come closer to the level, and the forecast
    past the end uses the radius adaptation reached (the same after save and load)."""
    rng = np.random.default_rng(3)
    n = 1400
    sd = np.where((np.arange(n) >= 700) & (np.arange(n) < 980), 4.0, 1.0)  # validation rows
    values = 20 + 5 * np.sin(2 * np.pi * np.arange(n) / 12) + rng.normal(0, 1, n) * sd
    series = Series(values[:, None].astype(np.float32), ("y",), None, None)
    config = SMALL.replace(val_fraction=0.2, test_fraction=0.3, intervals=(0.8,))
    found = {}
    for method in ("split", "adaptive"):
        forecaster = Forecaster(config.replace(interval_method=method)).fit(series)
        assert forecaster.intervals["adaptation"] == method
        found[method] = forecaster.evaluate().intervals["80"]
    assert found["split"]["coverage"] > 0.93
    assert abs(found["adaptive"]["coverage"] - 0.8) < 0.05, found
    assert found["adaptive"]["width"] < found["split"]["width"]
    split_radius = np.asarray(forecaster.intervals["radii"]["80"])
    band = forecaster.predict_intervals()[:, 0, 0]  # (H, 2)
    point = forecaster.predict_arrays()[0][:, 0]
    reached = (band[:, 1] - point) / forecaster.scales[""][0]
    assert (reached < split_radius).all()  # adapted down to the calmer test period
    saved = forecaster.save(tmp_path / "f")
    # the calibration scores travel as arrays beside checkpoint.json, not inside it
    meta = json.loads((saved / "checkpoint.json").read_text())
    assert "scores" not in meta["data"]["intervals"] and "radii" in meta["data"]["intervals"]
    assert (saved / "interval_scores.safetensors").is_file()
    loaded = Forecaster.load(saved)
    for key in ("n", "ranks", "values"):
        np.testing.assert_array_equal(
            loaded.intervals["scores"]["80"][key], forecaster.intervals["scores"]["80"][key]
        )
    np.testing.assert_allclose(loaded.predict_intervals(), forecaster.predict_intervals())


def test_too_few_validation_windows_for_a_level_is_a_clear_error() -> None:
    config = ForecastConfig.of(
        lookback=24, horizon=4, hidden_size=4, num_layers=1, epochs=1, model="seq2seq",
        val_rows=10, intervals=(0.99,),
    )  # fmt: skip
    with pytest.raises(DataError, match="a 99% interval needs at least 99 validation windows"):
        Forecaster(config).fit(_series())
    with pytest.raises(ConfigError, match=r"`intervals` must be coverage levels in \(0, 1\)"):
        ForecastConfig.of(intervals=(80,))


def test_cli_intervals_columns_and_report(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    s = _series(300)
    path.write_text("y\n" + "\n".join(f"{v:.4f}" for v in s.values[:, 0]) + "\n")
    out = tmp_path / "run"
    done = seqlab(
        "forecast", "--data", str(path), "--horizon", "4", "--lookback", "24", "--intervals",
        "0.8", "--hidden-size", "4", "--epochs", "2", "--model", "seq2seq", "--quiet",
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "80% interval: covers" in done.stdout
    header = (out / "forecast.csv").read_text().splitlines()[0]
    assert header == "series,time,y,y_lo80,y_hi80"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["intervals"]["calibration"]["method"] == "split conformal"
    assert 0.0 < metrics["intervals"]["test"]["80"]["coverage"] <= 1.0


def test_reads_never_change_the_saved_state_and_any_order_gives_the_same_answers(
    tmp_path: Path,
) -> None:
    """scikit-learn's contract for the reads: ``evaluate`` and ``predict_intervals`` leave
    what ``save`` writes byte for byte as it was (adaptation used to write what it reached into
    the intervals' state), and two orders of calls give identical results; what adaptation
    reached over the test windows is part of the evaluation instead."""
    series = _series(600)
    config = SMALL.replace(epochs=2, val_fraction=0.3, intervals=(0.8,))
    forecaster = Forecaster(config).fit(series)
    assert forecaster.intervals["adaptation"] == "adaptive"

    def saved(name: str) -> tuple[dict[str, object], bytes]:  # all but the time of saving
        path = forecaster.save(tmp_path / name)
        meta = json.loads((path / "checkpoint.json").read_text())
        assert meta.pop("created")
        return meta, (path / SCORES).read_bytes()

    before = saved("before")
    first = forecaster.evaluate()
    bands = forecaster.predict_intervals()
    assert saved("after") == before
    assert set(first.intervals["80"]["adapted"]) and "adapted" not in forecaster.intervals
    other = Forecaster.load(tmp_path / "before")  # the same state, the reads in the other order
    np.testing.assert_array_equal(other.predict_intervals(), bands)
    second = other.evaluate()
    assert second.metrics == first.metrics and second.intervals == first.intervals


SCORES = "interval_scores.safetensors"
