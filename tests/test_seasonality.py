"""deseasonalize="auto": a permutation test on the training rows decides whether season
means are removed. Seasonal data is found seasonal, random walks and noise are not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqlab.data.seasonality import seasonality_p_value
from seqlab.data.sources import Series
from seqlab.errors import ConfigError
from seqlab.forecasting import ForecastConfig, Forecaster

MONTHS = np.arange(240) % 12


def _monthly(values: np.ndarray) -> Series:
    stamps = pd.date_range("2000-01-01", periods=len(values), freq="MS").to_numpy()
    return Series(values[:, None].astype(np.float32), ("y",), stamps, "MS")


def test_a_seasonal_cycle_gets_the_smallest_p_value() -> None:
    rng = np.random.default_rng(0)
    y = 3 * np.sin(2 * np.pi * MONTHS / 12) + rng.normal(0, 0.5, 240)
    assert seasonality_p_value([y[:, None]], [MONTHS], 12, permutations=199) == 1 / 200


@pytest.mark.parametrize("kind", ["noise", "walk"])
def test_random_walks_and_noise_are_rarely_called_seasonal(kind: str) -> None:
    # At the 1% level about 1 in 100 non-seasonal series is flagged; over 60 draws allow 3.
    flagged = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(240, 1))
        x = np.cumsum(x, axis=0) if kind == "walk" else x
        flagged += seasonality_p_value([x], [MONTHS], 12, permutations=199, seed=seed) < 0.01
    assert flagged <= 3


def test_pooled_over_series_repeatable_and_degenerate_cases() -> None:
    rng = np.random.default_rng(3)
    walks = [np.cumsum(rng.normal(size=(120, 1)), axis=0) for _ in range(5)]
    labels = [MONTHS[:120]] * 5
    p = seasonality_p_value(walks, labels, 12, seed=7)
    assert p == seasonality_p_value(walks, labels, 12, seed=7)
    assert 0.0 < p <= 1.0
    assert seasonality_p_value([np.ones((50, 1))], [MONTHS[:50]], 12) == 1.0  # constant
    assert seasonality_p_value([np.arange(10.0)[:, None]], [MONTHS[:10]], 12) == 1.0  # short


def test_auto_removes_season_means_only_when_there_is_a_season(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    config = ForecastConfig.of(
        lookback=12, horizon=3, hidden_size=8, num_layers=1, epochs=2, patience=None
    )
    seasonal = _monthly(10 + 3 * np.sin(2 * np.pi * MONTHS / 12) + rng.normal(0, 0.3, 240))
    walk = _monthly(100 + np.cumsum(rng.normal(size=240)))
    f = Forecaster(config).fit(seasonal)
    assert f.deseasonalized and f.seasonality_p == 1 / 200
    assert Forecaster.load(f.save(tmp_path / "f")).seasonality_p == 1 / 200
    g = Forecaster(config).fit(walk)
    assert not g.deseasonalized and g.season_means is None
    assert g.seasonality_p is not None and g.seasonality_p > 0.01
    forced = Forecaster(config.replace(deseasonalize=True)).fit(walk)
    assert forced.deseasonalized and forced.seasonality_p is None
    off = Forecaster(config.replace(deseasonalize=False)).fit(seasonal)
    assert not off.deseasonalized
    with pytest.raises(ConfigError, match="`deseasonalize` must be true, false or 'auto'"):
        ForecastConfig.of(deseasonalize="yes")  # type: ignore[arg-type]
