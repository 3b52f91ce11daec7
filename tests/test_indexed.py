"""Windows by index (issue 13 item 1): the same batches as dense windows, from one buffer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab import DataError, ForecastConfig, Forecaster, SequenceData, Series
from seqlab.data.indexed import WindowData
from seqlab.data.windows import first_origin, lookback_index
from seqlab.forecasting.parts import windows
from seqlab.forecasting.prepare import datasets


def _data(seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    series = [rng.normal(size=(n, 3)) for n in (40, 55, 31)]
    origins = [np.arange(6, len(s) - 4 + 1) for s in series]
    return series, origins


def test_batches_equal_those_of_dense_windows_in_the_same_order() -> None:
    series, origins = _data()
    indexed = WindowData.from_series(series, origins, 6, 4, targets=2, future_from=2)
    parts = [windows(s[:, :2], s[:, 2:], o, 6, 4, 2) for s, o in zip(series, origins, strict=True)]
    dense = SequenceData.from_arrays(
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),  # type: ignore[misc]
        future=np.concatenate([p[2] for p in parts]),  # type: ignore[misc]
    )
    assert len(indexed) == len(dense) == sum(len(o) for o in origins)
    for shuffle in (False, True):
        one = torch.Generator().manual_seed(3)
        two = torch.Generator().manual_seed(3)
        got = list(indexed.batches(16, shuffle=shuffle, generator=one))
        want = list(dense.batches(16, shuffle=shuffle, generator=two))
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            torch.testing.assert_close(a.x, b.x, rtol=0, atol=0)
            torch.testing.assert_close(a.y, b.y, rtol=0, atol=0)
            torch.testing.assert_close(a.future, b.future, rtol=0, atol=0)


def test_memory_grows_with_the_rows_not_with_windows_times_lookback() -> None:
    series = [np.zeros((1000, 1)) for _ in range(20)]
    origins = [np.arange(168, 1000 - 24 + 1) for _ in series]
    indexed = WindowData.from_series(series, origins, 168, 24, targets=1)
    dense_bytes = len(indexed) * (168 + 24) * 4
    assert indexed.nbytes < dense_bytes / 20  # rows (80 kB) + origins (130 kB) vs 12 MB


def test_bad_windows_are_clear_errors() -> None:
    series, origins = _data()
    with pytest.raises(DataError, match=r"window origins must lie in \[1, 36\]"):
        WindowData.from_series(series[:1], [np.array([0, 10])], 6, 4, targets=1)
    with pytest.raises(DataError, match=r"window origins must lie in \[1, 36\]"):
        WindowData.from_series(series[:1], [np.array([5, 37])], 6, 4, targets=1)
    with pytest.raises(DataError, match="got 3 series but origins for 2"):
        WindowData.from_series(series, origins[:2], 6, 4, targets=1)
    with pytest.raises(DataError, match="one width"):
        WindowData.from_series([np.zeros((20, 1)), np.zeros((20, 2))], origins[:2], 6, 4, 1)


def test_a_short_history_is_left_padded_with_its_first_row() -> None:
    """Origins before the lookback (short series): the window repeats the series' first row
    where rows are missing, exactly as lookback_index reads a series (the inference path), and
    never reads the previous series' rows from the shared buffer."""
    a, b = np.arange(10.0)[:, None], 100 + np.arange(8.0)[:, None]
    windows = WindowData.from_series([a, b], [np.array([2, 6]), np.array([1, 5])], 4, 2, 1)
    batch = windows.batch(torch.arange(4))
    want = np.concatenate([a[lookback_index(np.array([2, 6]), 4)], b[lookback_index([1, 5], 4)]])
    np.testing.assert_array_equal(batch.x.numpy(), want)
    np.testing.assert_array_equal(batch.x[0, :, 0].numpy(), [0, 0, 0, 1])
    np.testing.assert_array_equal(batch.x[2, :, 0].numpy(), [100, 100, 100, 100])
    np.testing.assert_array_equal(batch.y[2, :, 0].numpy(), [101, 102])
    assert first_origin(40, 12, 6) == 12  # a full window of real rows: as before
    assert first_origin(8, 12, 6) == 2  # 8 training rows, horizon 6: origins 1..2
    assert first_origin(28, 24, 6) == 6  # 6 real input rows where the series has them


def test_forecaster_trains_on_indexed_windows() -> None:
    rng = np.random.default_rng(0)
    named = {
        f"s{k}": Series(
            (10 + np.sin(np.arange(200) / 3) + rng.normal(0, 0.1, 200))[:, None], ("y",)
        )
        for k in range(3)
    }
    config = ForecastConfig.of(
        lookback=24, horizon=6, model="segment", hidden_size=8, num_layers=1, epochs=2,
        val_rows=12, test_rows=0, select="model",
    )  # fmt: skip
    forecaster = Forecaster(config).fit(named)
    train, val = datasets(forecaster.fitted.prepared, config, 24)
    assert isinstance(train, WindowData) and isinstance(val, WindowData)
    assert len(train) == 3 * (200 - 12 - 24 - 6 + 1) and len(val) == 3 * (12 - 6 + 1)
    assert forecaster.predict_arrays(name="s1")[0].shape == (6, 1)
