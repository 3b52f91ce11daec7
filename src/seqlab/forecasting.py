"""``Forecaster``: seqlab's main job. Fit an encoder–decoder on a series, evaluate it on the
held-out tail against every baseline, and forecast past the end of the data.

Rows are split in time order: training rows, then validation rows, then test rows. The
scaler is fitted on the training rows only. A window's inputs may reach back into earlier
parts (that is the past), its targets never cross into a later part.
Shape key: T time, F series columns, N windows, L lookback, H horizon.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from seqlab._seed import set_seed
from seqlab.baselines import run_baselines
from seqlab.checkpoint import Checkpoint, load_checkpoint, save
from seqlab.config import Cell, Seq2SeqConfig, TrainConfig
from seqlab.data.batches import SequenceData
from seqlab.data.scaling import StandardScaler
from seqlab.data.sources import Series
from seqlab.errors import DataError
from seqlab.metrics import forecast_metrics
from seqlab.models.seq2seq import Seq2Seq
from seqlab.training import History, Trainer

__all__ = ["Evaluation", "ForecastConfig", "Forecaster"]

log = logging.getLogger(__name__)
F64 = NDArray[np.float64]
PERIODS = {"MS": 12, "ME": 12, "M": 12, "QS": 4, "QE": 4, "W": 52, "D": 7, "h": 24, "H": 24}


@dataclass(frozen=True)
class ForecastConfig:
    """What to forecast and how. ``test_start`` (a date) overrides ``test_fraction``;
    ``period`` (the seasonal period) comes from the data's frequency when not given. With
    ``deseasonalize`` (and a period) the model learns anomalies from the mean of each season
    over the training rows, which is added back to its forecasts."""

    lookback: int = 36
    horizon: int = 12
    model: Literal["seq2seq", "direct"] = "seq2seq"
    cell: Cell = "gru"
    hidden_size: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    epochs: int = 80
    batch_size: int = 32
    lr: float = 3e-3
    patience: int | None = 15
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    test_start: str | None = None
    period: int | None = None
    deseasonalize: bool = True
    seed: int = 0
    progress: bool = False

    def __post_init__(self) -> None:
        Seq2SeqConfig(
            horizon=self.horizon,
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            dropout=self.dropout,
            mode=self.model,
        )
        for name in ("lookback", "horizon", "epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DataError(f"`{name}` must be a positive integer, got {value!r}")


@dataclass
class Evaluation:
    """Test-window results: metrics per method, RMSE per horizon step, and the forecasts."""

    origins: NDArray[np.int64]
    truth: F64  # (N, H, F)
    forecasts: dict[str, F64]  # method -> (N, H, F); "model" is ours
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    rmse_by_step: dict[str, list[float]] = field(default_factory=dict)  # averaged over columns
    rmse_by_column_step: dict[str, list[list[float]]] = field(default_factory=dict)

    @property
    def best_baseline(self) -> str:
        return min((m for m in self.metrics if m != "model"), key=lambda m: self.metrics[m]["rmse"])

    def verdict(self) -> str:
        best = self.best_baseline
        ours, theirs = self.metrics["model"]["rmse"], self.metrics[best]["rmse"]
        skill = 1.0 - ours / theirs
        numbers = f"RMSE {ours:.4g} vs {theirs:.4g}, skill {skill:+.1%}"
        if skill > 0:
            return f"the model beats the best baseline ({best}): {numbers}"
        return f"the model LOSES to the best baseline ({best}): {numbers}"


class Forecaster:
    """Fit, evaluate, forecast, save and load an encoder–decoder forecaster."""

    def __init__(self, config: ForecastConfig | None = None) -> None:
        self.config = config if config is not None else ForecastConfig()
        self.series: Series | None = None
        self.checkpoint: Checkpoint | None = None
        self.history: History | None = None
        self.split: tuple[int, int, int] | None = None  # train_end, test_start, length
        self.period: int | None = self.config.period
        self.season_means: F64 | None = None  # (period, F) training-row means per season

    # -- fitting -------------------------------------------------------------------
    def _split(self, series: Series) -> tuple[int, int]:
        c, length = self.config, len(series)
        if c.test_start is not None:
            if series.timestamps is None:
                raise DataError("`test_start` needs a series with timestamps")
            test_start = int(np.searchsorted(series.timestamps, np.datetime64(c.test_start)))
        else:
            test_start = length - round(length * c.test_fraction)
        train_end = test_start - round(test_start * c.val_fraction)
        need = c.lookback + c.horizon
        if train_end - need < 1 or length - test_start < c.horizon:
            raise DataError(
                f"a series of {length} steps split at row {train_end} (train) and {test_start} "
                f"(test) is too short for lookback {c.lookback} + horizon {c.horizon}: the "
                f"training part needs more than {need} steps and the test part {c.horizon}"
            )
        return train_end, test_start

    def _windows(
        self, scaled: F64, first: int, last: int
    ) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.int64]]:
        """Windows whose forecast steps lie in [first, last): origins in [first, last - H]."""
        c = self.config
        origins = np.arange(max(first, c.lookback), last - c.horizon + 1)
        x = scaled[origins[:, None] - c.lookback + np.arange(c.lookback)[None, :]]  # (N, L, F)
        y = scaled[origins[:, None] + np.arange(c.horizon)[None, :]]  # (N, H, F)
        return x.astype(np.float32), y.astype(np.float32), origins

    def fit(self, series: Series) -> Forecaster:
        c = self.config
        if not isinstance(series, Series):
            raise TypeError(
                f"expected a seqlab Series (see seqlab.data.sources), got {type(series).__name__}"
            )
        train_end, test_start = self._split(series)
        self.series, self.split = series, (train_end, test_start, len(series))
        if self.period is None and series.freq is not None:
            self.period = PERIODS.get(series.freq.lstrip("0123456789"))
        self.season_means = None
        values = series.values.astype(np.float64)
        if c.deseasonalize and self.period:
            seasons = season_index(series, self.period)
            self.season_means = np.stack(
                [
                    values[:train_end][seasons[:train_end] == k].mean(axis=0)
                    for k in range(self.period)
                ]
            )
            values = values - self.season_means[seasons]
        scaler = StandardScaler().fit(values[:train_end])  # training rows only
        scaled = scaler.transform(values).astype(np.float64)
        x, y, _ = self._windows(scaled, 0, train_end)
        vx, vy, _ = self._windows(scaled, train_end, test_start)
        width = series.values.shape[1]
        model_config = Seq2SeqConfig(
            horizon=c.horizon,
            cell=c.cell,
            input_size=width,
            output_size=width,
            hidden_size=c.hidden_size,
            num_layers=c.num_layers,
            dropout=c.dropout,
            mode=c.model,
        )
        set_seed(c.seed)
        model = Seq2Seq(model_config)
        train_config = TrainConfig(
            epochs=c.epochs,
            batch_size=c.batch_size,
            lr=c.lr,
            seed=c.seed,
            progress=c.progress,
            patience=c.patience if len(vx) else None,
            schedule="cosine",
        )
        val = SequenceData.from_arrays(vx, vy) if len(vx) else None
        self.history = Trainer(train_config).fit(model, SequenceData.from_arrays(x, y), val)
        self.checkpoint = Checkpoint(
            model,
            x_scaler=scaler,
            y_scaler=scaler,
            train_config=train_config,
            history=self.history,
            data=self._describe(),
        )
        return self

    def _describe(self) -> dict[str, Any]:
        s = self.series
        assert s is not None
        return {
            "columns": list(s.columns),
            "freq": s.freq,
            "period": self.period,
            "season_means": None if self.season_means is None else self.season_means.tolist(),
            "forecast_config": asdict(self.config),
            "split": list(self.split or ()),
        }

    def _fitted(self) -> tuple[Series, Checkpoint]:
        if self.series is None or self.checkpoint is None:
            raise DataError("this Forecaster is not fitted yet; call fit(series) first")
        return self.series, self.checkpoint

    # -- forecasting ---------------------------------------------------------------
    def predict_windows(self, series: Series, origins: NDArray[np.int64]) -> F64:
        """Model forecasts (N, H, F) from the L rows before each origin (original units)."""
        _, ckpt = self._fitted()
        lb, h = self.config.lookback, self.config.horizon
        values = series.values.astype(np.float64)
        seasons = None
        if self.season_means is not None:
            assert self.period is not None
            seasons = season_index(series, self.period, extra=h)
            values = values - self.season_means[seasons[: len(values)]]
        x = values[origins[:, None] - lb + np.arange(lb)[None, :]]
        pred = ckpt.predict(x).values
        assert pred is not None
        out = pred.astype(np.float64)
        if self.season_means is not None and seasons is not None:
            out += self.season_means[seasons[origins[:, None] + np.arange(h)[None, :]]]
        return out

    def predict(self, series: Series | None = None) -> tuple[F64, NDArray[np.datetime64] | None]:
        """Forecast H steps past the end of ``series`` (default: the fitted one)."""
        fitted, _ = self._fitted()
        s = series if series is not None else fitted
        if len(s) < self.config.lookback:
            raise DataError(
                f"the series has {len(s)} steps; forecasting needs at least "
                f"lookback = {self.config.lookback}"
            )
        forecast = self.predict_windows(s, np.array([len(s)]))[0]
        return forecast, _future_stamps(s, self.config.horizon)

    def evaluate(self) -> Evaluation:
        """Every test window (stride 1): ours against every baseline on the same windows."""
        series, _ = self._fitted()
        assert self.split is not None
        train_end, test_start, length = self.split
        c = self.config
        values = series.values.astype(np.float64)
        origins = np.arange(test_start, length - c.horizon + 1)
        truth = values[origins[:, None] + np.arange(c.horizon)[None, :]]
        forecasts = {"model": self.predict_windows(series, origins)}
        forecasts.update(
            run_baselines(
                values,
                origins,
                c.horizon,
                lookback=c.lookback,
                train_end=train_end,
                period=self.period,
            )
        )
        ev = Evaluation(origins, truth, forecasts)
        train = values[:train_end]
        for name, pred in forecasts.items():
            per_col = [
                forecast_metrics(truth[..., f], pred[..., f], train[:, f], self.period or 1)
                for f in range(values.shape[1])
            ]
            ev.metrics[name] = {k: float(np.mean([m[k] for m in per_col])) for k in per_col[0]}
            by_cs = np.sqrt(((pred - truth) ** 2).mean(axis=0))  # (H, F)
            ev.rmse_by_column_step[name] = by_cs.T.tolist()
            ev.rmse_by_step[name] = by_cs.mean(axis=1).tolist()
        return ev

    # -- persistence ---------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        _, ckpt = self._fitted()
        return save(
            path,
            ckpt.model,
            x_scaler=ckpt.x_scaler,
            y_scaler=ckpt.y_scaler,
            train_config=ckpt.train_config,
            history=ckpt.history,
            data=self._describe(),
        )

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """A fitted Forecaster; pass the history to ``predict(series)``."""
        ckpt = load_checkpoint(path)
        data = ckpt.data or {}
        if "forecast_config" not in data:
            raise DataError(f"{path} is a seqlab checkpoint but not a Forecaster's")
        forecaster = cls(replace(ForecastConfig(**data["forecast_config"])))
        forecaster.checkpoint, forecaster.history, forecaster.period = (
            ckpt,
            ckpt.history,
            data.get("period"),
        )
        forecaster.series = Series(
            np.zeros((0, len(data["columns"])), np.float32),
            tuple(data["columns"]),
            None,
            data.get("freq"),
        )
        if data.get("season_means") is not None:
            forecaster.season_means = np.asarray(data["season_means"], dtype=np.float64)
        return forecaster


def season_index(series: Series, period: int, extra: int = 0) -> NDArray[np.int64]:
    """Season of every row (and of ``extra`` rows after the end): the month for monthly data,
    the hour for hourly data, the weekday for daily data, else the row number modulo period."""
    n = len(series) + extra
    stamps = series.timestamps
    if stamps is not None and series.freq is not None and len(stamps):
        import pandas as pd

        index = pd.date_range(pd.Timestamp(stamps[0]), periods=n, freq=series.freq)
        field_of = {12: "month", 24: "hour", 7: "day_of_week"}.get(period)
        if field_of is not None:
            by = np.asarray(getattr(index, field_of), dtype=np.int64)
            return by - 1 if field_of == "month" else by
    return np.arange(n, dtype=np.int64) % period


def _future_stamps(series: Series, horizon: int) -> NDArray[np.datetime64] | None:
    if series.timestamps is None or series.freq is None:
        return None
    import pandas as pd

    future = pd.date_range(
        pd.Timestamp(series.timestamps[-1]), periods=horizon + 1, freq=series.freq
    )[1:]
    stamps: NDArray[np.datetime64] = future.to_numpy()
    return stamps
