"""Rolling-origin backtests: a model (re)trained at each of several forecast origins, scored
against every baseline on every fold."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from seqlab.data.sources import Series
from seqlab.errors import DataError
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.forecaster import Forecaster
from seqlab.forecasting.results import Evaluation

__all__ = ["Backtest", "backtest"]


@dataclass
class Backtest:
    """Rolling-origin results: one row per fold (origin) with every method's forecast."""

    origins: list[int]
    train_rows: list[tuple[int, int]]  # [start, stop) of the rows each fold trained on
    evaluations: list[Evaluation]

    def rmse_by_step(self) -> dict[str, list[float]]:
        """RMSE per horizon step over every fold and column, per method (those that every
        fold has: the combination chosen on validation may differ from fold to fold)."""
        methods = [
            m
            for m in self.evaluations[0].forecasts
            if all(m in ev.forecasts for ev in self.evaluations)
        ]
        out = {}
        for m in methods:
            err = np.concatenate(
                [ev.forecasts[m] - ev.truth for ev in self.evaluations]
            )  # (N, H, F)
            out[m] = np.sqrt((err**2).mean(axis=(0, 2))).tolist()
        return out


def backtest(
    series: Series,
    config: ForecastConfig,
    *,
    folds: int,
    stride: int,
    window: Literal["expanding", "sliding"] = "expanding",
    refit: bool = True,
) -> Backtest:
    """Rolling-origin backtest: ``folds`` origins ``stride`` rows apart, ending at the last
    origin that still has ``horizon`` rows of truth. With ``refit`` a model is trained for each
    origin on the rows before it (all of them, or a sliding window as long as the first
    fold's); without, one model trained before the first origin forecasts from every origin."""
    if window == "sliding" and not refit:
        raise DataError(
            "a sliding window needs refit=True: without refitting the model's training rows "
            "do not move"
        )
    h = config.split.horizon
    last = len(series) - h
    origins = [last - stride * k for k in reversed(range(folds))]
    if origins[0] <= config.split.lookback + h:
        raise DataError(
            f"{folds} folds {stride} rows apart start at row {origins[0]}, too early for lookback "
            f"{config.split.lookback} + horizon {h}; use fewer folds or a smaller stride"
        )
    width = origins[0]  # the sliding window keeps the first fold's training length
    evaluations, rows = [], []
    single: Forecaster | None = None
    for origin in origins:
        start = 0 if window == "expanding" else origin - width
        if refit or single is None:
            part = _slice(series, start, origin + h)
            fold = Forecaster(config.replace(test_rows=h, test_start=None)).fit(part)
            single = fold
        else:
            part = _slice(series, start, origin + h)
            fold = _moved(single, part, origin - start)
        evaluations.append(fold.evaluate())
        rows.append((start, origin))
    return Backtest(origins, rows, evaluations)


def _moved(fitted: Forecaster, series: Series, test_start: int) -> Forecaster:
    """``fitted`` (one series) on ``series``, tested from row ``test_start``: the weights and
    every fitted choice unchanged (a backtest that does not refit moves the test part)."""
    state = fitted.fitted
    (name, part), checkpoint = next(iter(state.parts.items())), fitted.checkpoint
    assert checkpoint is not None
    parts = {name: replace(part, series=series, test_start=test_start)}
    return Forecaster.from_fitted(
        replace(state, prepared=replace(state.prepared, parts=parts)), checkpoint
    )


def _slice(series: Series, start: int, stop: int) -> Series:
    stamps = None if series.timestamps is None else series.timestamps[start:stop]
    return Series(series.values[start:stop], series.columns, stamps, series.freq)
