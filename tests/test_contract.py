"""scikit-learn's estimator contract for the Forecaster (issue 25): ``fit`` never changes its
``config`` (what it learnt lives in ``fitted``), and reads (``predict``, ``predict_quantiles``,
``predict_intervals``, ``evaluate``, ``predict_arrays``) never change the Forecaster, so that
any order of calls gives the same numbers and the same saved state."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seqlab.data.sources import Series
from seqlab.forecasting import ForecastConfig, Forecaster

CONFIG = ForecastConfig.of(
    lookback=12, horizon=3, lookbacks=(6, 12), hidden_size=8, num_layers=1, epochs=3,
    quantiles=(0.1, 0.5, 0.9), intervals=(0.5, 0.8), val_fraction=0.3, classical=(),
)  # fmt: skip


def _series(n: int = 120) -> Series:
    rng = np.random.default_rng(3)
    t = np.arange(n)
    values = 5 + np.sin(2 * np.pi * t / 12) + 0.05 * t + rng.normal(0, 0.2, n)
    return Series(values[:, None].astype(np.float32), ("y",))


def _digest(f: Forecaster) -> str:
    """A hash of everything fitted: the state's JSON form (arrays as lists) and the weights."""

    def plain(value: Any) -> Any:
        return value.tolist() if isinstance(value, np.ndarray) else str(value)

    text = json.dumps(f.fitted.to_dict(), sort_keys=True, default=plain)
    h = hashlib.sha256(text.encode())
    for key, tensor in sorted(f.network.state_dict().items()):
        h.update(key.encode() + tensor.numpy().tobytes())
    return h.hexdigest()


def _reads(f: Forecaster, order: list[str]) -> dict[str, Any]:
    calls = {
        "predict": lambda: f.predict_arrays()[0],
        "quantiles": f.predict_quantiles,
        "intervals": f.predict_intervals,
        "evaluate": lambda: f.evaluate().metrics,
        "frame": lambda: f.predict().to_numpy(),
    }
    return {name: calls[name]() for name in order}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    config = CONFIG
    f = Forecaster(config).fit(_series())
    assert f.config is config and asdict(f.config) == asdict(CONFIG)  # fit changed nothing
    assert f.config.split.lookbacks == (6, 12)  # the chosen lookback is in the fitted state
    assert f.fitted.network.lookback in (6, 12)
    return f.save(tmp_path_factory.mktemp("contract") / "f")


def test_reads_in_any_order_give_the_same_results_and_leave_the_state_unchanged(
    saved: Path,
) -> None:
    one, two = Forecaster.load(saved), Forecaster.load(saved)
    before = _digest(one)
    assert _digest(two) == before
    first = _reads(one, ["predict", "quantiles", "intervals", "evaluate", "frame"])
    second = _reads(two, ["evaluate", "intervals", "frame", "quantiles", "predict"])
    second.update(_reads(two, ["intervals", "predict"]))  # a second call, after the others
    for name, value in first.items():
        if isinstance(value, dict):
            assert value == second[name], name
        else:
            np.testing.assert_array_equal(np.asarray(value), np.asarray(second[name]), name)
    assert _digest(one) == before and _digest(two) == before


def test_a_refit_replaces_the_fitted_state_without_changing_the_config() -> None:
    f = Forecaster(CONFIG)
    with pytest.raises(ValueError, match="not fitted yet"):
        _ = f.fitted
    f.fit(_series())
    first = f.fitted
    f.fit(_series(96))  # fitting again: a new state, the same config
    assert f.fitted is not first
    assert len(f.fitted.parts[""].series) == 96 and f.config is CONFIG
