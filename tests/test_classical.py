"""Classical candidates (statsforecast's Theta, AutoTheta and AutoETS): no look-ahead, in the
validation selection beside the network and the baselines, and left out with a reason when a
series is too short, the time budget runs out or statsforecast is missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from seqlab import ForecastConfig, Forecaster, Series
from seqlab.errors import ConfigError
from seqlab.forecasting.classical import Classical, Race

CONFIG = ForecastConfig.of(
    lookback=12, horizon=6, period=12, hidden_size=4, num_layers=1, epochs=1, model="seq2seq",
    val_rows=18, test_rows=12,
)  # fmt: skip


def _trend(n: int = 96, seed: int = 0) -> np.ndarray:
    """A damped-looking trend with a yearly season: what exponential smoothing is made for."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 50 + 0.8 * t + 6 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, n)


def test_forecasts_use_only_rows_before_each_origin() -> None:
    values = _trend()[:, None]
    later = values.copy()
    later[70:] += 1000.0  # everything from origin 70 on changes
    origins = np.array([60, 70])
    for method in ("theta", "autotheta", "ets"):
        a = Classical([method], 12, np.inf).forecasts(values, origins, 6, 60)[method]
        b = Classical([method], 12, np.inf).forecasts(later, origins, 6, 60)[method]
        np.testing.assert_array_equal(a, b)  # neither the fit nor the forward saw row 70
        assert a.shape == (2, 6, 1) and not np.allclose(a[0], a[1])  # each origin its own


def test_the_selection_scores_them_and_predict_forecasts_with_the_choice() -> None:
    """A one-epoch network against ETS on a trend: validation chooses ETS (or its mean with
    the network), and predict() returns exactly that method's forecast."""
    series = Series(_trend()[:, None].astype(np.float32), ("y",))
    forecaster = Forecaster(CONFIG).fit(series)
    selection = forecaster.selection
    assert {"theta", "autotheta", "ets"} <= set(selection["scores"])
    assert selection["classical"]["methods"] == ["theta", "autotheta", "ets"]
    assert selection["chosen"].removeprefix("model + ") in {"ets", "theta", "autotheta"}
    values = series.values.astype(np.float64)
    method = selection["chosen"].removeprefix("model + ")
    # fitted on the training and validation rows (84 = 96 - 12 test rows) once chosen
    direct = Classical([method], 12, np.inf).forecasts(values, np.array([96]), 6, 84)[method][0]
    network = forecaster.predict_windows(series, np.array([96]))[0]
    want = direct if method == selection["chosen"] else 0.5 * (direct + network)
    np.testing.assert_allclose(forecaster.predict_arrays()[0], want, rtol=1e-9)
    evaluation = forecaster.evaluate()
    assert {"theta", "autotheta", "ets"} <= set(evaluation.metrics)  # in the test table too


def test_a_method_that_cannot_fit_a_series_is_no_candidate_and_said() -> None:
    """AutoETS refuses a 4-value training part ('tiny datasets'); Theta fits it. The fit goes
    on, ETS is counted as not fitted and is not scored; Theta is."""
    named = {
        "long": Series(_trend()[:, None].astype(np.float32), ("y",)),
        "tiny": Series(_trend(10, seed=1)[:, None].astype(np.float32), ("y",)),
    }
    config = CONFIG.replace(horizon=3, val_rows=3, test_rows=3)
    forecaster = Forecaster(config).fit(named)
    not_fitted = forecaster.selection["classical"]["series_not_fitted"]
    assert not_fitted == {"theta": 0, "autotheta": 0, "ets": 1}
    assert "ets" not in forecaster.selection["scores"] and "theta" in forecaster.selection["scores"]
    assert np.isfinite(forecaster.predict_arrays(name="tiny")[0]).all()


def test_over_the_time_budget_or_without_statsforecast_they_are_left_out_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    series = Series(_trend()[:, None].astype(np.float32), ("y",))
    tight = Forecaster(CONFIG.replace(classical_budget=1e-9)).fit(series)
    why = tight.selection["skipped"]["ets"]["why"]
    assert "over the time budget of 1e-09 s (`classical_budget`)" in why
    assert tight.selection["classical"]["methods"] == []
    assert not {"theta", "autotheta", "ets"} & set(tight.selection["scores"])
    monkeypatch.setitem(sys.modules, "statsforecast.models", None)  # import fails
    missing = Forecaster(CONFIG).fit(series)
    assert "statsforecast is not installed" in missing.selection["skipped"]["theta"]["why"]
    assert "theta" not in missing.selection["scores"]
    none = Forecaster(CONFIG.replace(classical=())).fit(series)
    assert "classical" not in none.selection and "skipped" not in none.selection


def test_racing_leaves_out_a_method_far_behind_the_network_after_its_sample() -> None:
    """100 series: after 20 (the larger of 20 and a tenth), a method whose validation MASE
    alone and averaged with the network is over 1.1 times the network's is fitted no more;
    one whose mean with the network beats the network stays. 20 series: no racing."""
    truth, scale = np.zeros((2, 3, 1)), np.full(1, 2.0)
    network = truth + 0.6  # MASE 0.3
    offsets = {"theta": 2.0, "ets": -0.6}  # theta: 1.0 alone, 0.65 mean; ets: 0.3 and 0
    for series, dropped in ((100, True), (20, False)):
        classical = Classical(["theta", "ets"], 12, np.inf, series=series)
        race = Race(classical, series)
        fitted = dict.fromkeys(offsets, 0)
        for _ in range(series):
            found = {m: truth + offsets[m] for m in classical.active}
            for m in found:
                fitted[m] += 1
            race.update(network, truth, scale, found)
        assert "ets" not in classical.skipped and fitted["ets"] == series
        if dropped:
            assert fitted["theta"] == 20
            why = classical.skipped["theta"]
            assert why.startswith("racing: on the first 20 series its validation MASE (1.000;")
            assert (
                "averaged with the network 0.650) was over 1.1 times the network's (0.300)" in why
            )
        else:
            assert "theta" not in classical.skipped and fitted["theta"] == 20


def test_bad_settings_are_clear_errors() -> None:
    known = r"methods are \['theta', 'autotheta', 'ets'\], got 'arima'"
    with pytest.raises(ConfigError, match=known):
        ForecastConfig.of(classical=("theta", "arima"))
    with pytest.raises(ConfigError, match="`classical_budget` must be a positive finite number"):
        ForecastConfig.of(classical_budget=0)
