"""``Forecaster``: seqlab's main job. Fit an encoder–decoder on a series, evaluate it on the
held-out tail against every baseline, and forecast past the end of the data.

Rows are split in time order: training rows, then validation rows, then test rows. The
scaler is fitted on the training rows only. A window's inputs may reach back into earlier
parts (that is the past), its targets never cross into a later part.
Shape key: T time, F series columns, N windows, L lookback, H horizon.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
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

__all__ = ["Evaluation", "ForecastConfig", "Forecaster", "season_index"]

log = logging.getLogger(__name__)
F64 = NDArray[np.float64]
PERIODS = {"MS": 12, "ME": 12, "M": 12, "QS": 4, "QE": 4, "W": 52, "D": 7, "h": 24, "H": 24}


@dataclass(frozen=True)
class ForecastConfig:
    """What to forecast and how. ``test_rows`` (a row count) or ``test_start`` (a date)
    overrides ``test_fraction``;
    ``period`` (the seasonal period) comes from the data's frequency when not given. With
    ``deseasonalize`` (and a period) the model learns anomalies from the mean of each season
    over the training rows, which is added back to its forecasts. ``quantiles`` (e.g. 0.1, 0.5,
    0.9; needs ``model="direct"``) trains with the pinball loss; point metrics use the middle
    quantile and the evaluation reports the coverage of the outer ones."""

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
    test_rows: int | None = None
    period: int | None = None
    deseasonalize: bool = True
    quantiles: tuple[float, ...] | None = None
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
            quantiles=self.quantiles,
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
    names: list[str] = field(default_factory=list)  # the series of each window
    quantiles: F64 | None = None  # (N, H, F, Q) with ``quantiles``
    coverage: dict[str, float] = field(default_factory=dict)

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


@dataclass
class _Part:
    """One series of a (possibly global) Forecaster: its rows, split and preprocessing."""

    series: Series
    train_end: int
    test_start: int
    offset: F64  # (F,) scaler fitted on the training rows
    scale: F64
    season_means: F64 | None  # (period, F) training-row means per season

    def to_dict(self) -> dict[str, Any]:
        s = self.series
        return {
            "columns": list(s.columns),
            "freq": s.freq,
            "split": [self.train_end, self.test_start, len(s)],
            "offset": self.offset.tolist(),
            "scale": self.scale.tolist(),
            "season_means": None if self.season_means is None else self.season_means.tolist(),
        }


class Forecaster:
    """Fit, evaluate, forecast, save and load an encoder–decoder forecaster.

    ``fit`` takes one Series, or a mapping of named Series (long format) that train one
    global model; each series keeps its own split, scaler and season means.
    """

    def __init__(self, config: ForecastConfig | None = None) -> None:
        self.config = config if config is not None else ForecastConfig()
        self.parts: dict[str, _Part] = {}
        self.checkpoint: Checkpoint | None = None
        self.history: History | None = None
        self.period: int | None = self.config.period

    # single-series views, kept for the common case
    def _single(self) -> _Part:
        if len(self.parts) != 1:
            raise DataError(
                f"this Forecaster holds {len(self.parts)} series; name one of {list(self.parts)}"
            )
        return next(iter(self.parts.values()))

    @property
    def series(self) -> Series:
        return self._single().series

    @property
    def split(self) -> tuple[int, int, int]:
        p = self._single()
        return p.train_end, p.test_start, len(p.series)

    @property
    def season_means(self) -> F64 | None:
        return self._single().season_means

    # -- fitting -------------------------------------------------------------------
    def _split(self, series: Series, name: str) -> tuple[int, int]:
        c, length = self.config, len(series)
        if c.test_rows is not None:
            test_start = length - c.test_rows
        elif c.test_start is not None:
            if series.timestamps is None:
                raise DataError("`test_start` needs a series with timestamps")
            test_start = int(np.searchsorted(series.timestamps, np.datetime64(c.test_start)))
        else:
            test_start = length - round(length * c.test_fraction)
        train_end = test_start - round(test_start * c.val_fraction)
        need = c.lookback + c.horizon
        if train_end - need < 1 or length - test_start < c.horizon:
            label = f"series {name!r} of" if name else "a series of"
            raise DataError(
                f"{label} {length} steps split at row {train_end} (train) and {test_start} "
                f"(test) is too short for lookback {c.lookback} + horizon {c.horizon}: the "
                f"training part needs more than {need} steps and the test part {c.horizon}"
            )
        return train_end, test_start

    def _part(self, series: Series, name: str) -> _Part:
        train_end, test_start = self._split(series, name)
        values = series.values.astype(np.float64)
        means = None
        if self.config.deseasonalize and self.period:
            seasons = season_index(series, self.period)
            means = np.stack(
                [
                    values[:train_end][seasons[:train_end] == k].mean(axis=0)
                    for k in range(self.period)
                ]
            )
            values = values - means[seasons]
        scaler = StandardScaler().fit(values[:train_end])  # training rows only
        assert scaler.offset_ is not None and scaler.scale_ is not None
        return _Part(series, train_end, test_start, scaler.offset_, scaler.scale_, means)

    def _scaled(
        self, part: _Part, series: Series | None = None, extra: int = 0
    ) -> tuple[F64, NDArray[np.int64] | None]:
        """Scaled anomalies of ``series`` (default: the part's), and the season of each row."""
        s = series if series is not None else part.series
        values = s.values.astype(np.float64)
        seasons = None
        if part.season_means is not None:
            assert self.period is not None
            seasons = season_index(s, self.period, extra=extra)
            values = values - part.season_means[seasons[: len(values)]]
        return (values - part.offset) / part.scale, seasons

    def _windows(
        self, scaled: F64, first: int, last: int
    ) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.int64]]:
        """Windows whose forecast steps lie in [first, last): origins in [first, last - H]."""
        c = self.config
        origins = np.arange(max(first, c.lookback), last - c.horizon + 1)
        x = scaled[origins[:, None] - c.lookback + np.arange(c.lookback)[None, :]]  # (N, L, F)
        y = scaled[origins[:, None] + np.arange(c.horizon)[None, :]]  # (N, H, F)
        return x.astype(np.float32), y.astype(np.float32), origins

    def fit(self, series: Series | Mapping[str, Series]) -> Forecaster:
        c = self.config
        named = {"": series} if isinstance(series, Series) else dict(series)
        if not named or not all(isinstance(s, Series) for s in named.values()):
            raise TypeError(
                "expected a seqlab Series or a mapping of names to Series (see seqlab.data.sources)"
            )
        widths = {s.values.shape[1] for s in named.values()}
        if len(widths) != 1:
            got = sorted(widths)
            raise DataError(
                f"every series of a global model needs the same columns, got widths {got}"
            )
        first = next(iter(named.values()))
        if self.period is None and first.freq is not None:
            self.period = PERIODS.get(first.freq.lstrip("0123456789"))
        self.parts = {name: self._part(s, name) for name, s in named.items()}
        xs: list[NDArray[np.float32]] = []
        ys: list[NDArray[np.float32]] = []
        vxs: list[NDArray[np.float32]] = []
        vys: list[NDArray[np.float32]] = []
        for part in self.parts.values():
            scaled, _ = self._scaled(part)
            x, y, _ = self._windows(scaled, 0, part.train_end)
            vx, vy, _ = self._windows(scaled, part.train_end, part.test_start)
            for store, item in ((xs, x), (ys, y), (vxs, vx), (vys, vy)):
                store.append(item)
        width = widths.pop()
        set_seed(c.seed)
        model = Seq2Seq(
            Seq2SeqConfig(
                horizon=c.horizon,
                cell=c.cell,
                input_size=width,
                output_size=width,
                hidden_size=c.hidden_size,
                num_layers=c.num_layers,
                dropout=c.dropout,
                mode=c.model,
                quantiles=c.quantiles,
            )
        )
        vx, vy = np.concatenate(vxs), np.concatenate(vys)
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
        train = SequenceData.from_arrays(np.concatenate(xs), np.concatenate(ys))
        self.history = Trainer(train_config).fit(model, train, val)
        self.checkpoint = Checkpoint(
            model, train_config=train_config, history=self.history, data=self._describe()
        )
        return self

    def _describe(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "forecast_config": asdict(self.config),
            "parts": {name: p.to_dict() for name, p in self.parts.items()},
        }

    def _require_fitted(self) -> Checkpoint:
        if not self.parts or self.checkpoint is None:
            raise DataError("this Forecaster is not fitted yet; call fit(series) first")
        return self.checkpoint

    def _part_named(self, name: str | None) -> _Part:
        self._require_fitted()
        if name is None:
            return self._single()
        if name not in self.parts:
            raise DataError(f"no series {name!r}; this Forecaster knows {list(self.parts)}")
        return self.parts[name]

    # -- forecasting ---------------------------------------------------------------
    def predict_windows(
        self, series: Series, origins: NDArray[np.int64], name: str | None = None
    ) -> F64:
        """Model forecasts (N, H, F) from the L rows before each origin (original units)."""
        part = self._part_named(name)
        assert self.checkpoint is not None
        lb, h = self.config.lookback, self.config.horizon
        scaled, seasons = self._scaled(part, series, extra=h)
        x = scaled[origins[:, None] - lb + np.arange(lb)[None, :]]
        pred = self.checkpoint.predict(x).values
        assert pred is not None
        q = pred.ndim == 4  # quantile outputs (N, H, F, Q)
        scale, offset = (
            (part.scale[:, None], part.offset[:, None]) if q else (part.scale, part.offset)
        )
        out: F64 = pred.astype(np.float64) * scale + offset
        if part.season_means is not None and seasons is not None:
            season = part.season_means[seasons[origins[:, None] + np.arange(h)[None, :]]]
            out += season[..., None] if q else season
        return out

    def _point(self, pred: F64) -> F64:
        """The middle quantile of quantile forecasts, or the forecasts themselves."""
        qs = self.config.quantiles
        if not qs:
            return pred
        middle: F64 = pred[..., int(np.argmin(np.abs(np.asarray(qs) - 0.5)))]
        return middle

    def predict(
        self, series: Series | None = None, name: str | None = None
    ) -> tuple[F64, NDArray[np.datetime64] | None]:
        """Forecast H steps past the end of ``series`` (default: the fitted one called ``name``)."""
        part = self._part_named(name)
        s = series if series is not None else part.series
        if len(s) < self.config.lookback:
            raise DataError(
                f"the series has {len(s)} steps; forecasting needs at least "
                f"lookback = {self.config.lookback}"
            )
        forecast = self.predict_windows(s, np.array([len(s)]), name)[0]
        return self._point(forecast), _future_stamps(s, self.config.horizon)

    def predict_quantiles(self, series: Series | None = None, name: str | None = None) -> F64:
        """Quantile forecasts (H, F, Q) past the end of the series (needs ``quantiles``)."""
        if not self.config.quantiles:
            raise DataError("this Forecaster was not trained with quantiles")
        part = self._part_named(name)
        s = series if series is not None else part.series
        bands: F64 = self.predict_windows(s, np.array([len(s)]), name)[0]
        return bands

    def evaluate(self) -> Evaluation:
        """Every test window (stride 1) of every series: ours against every baseline on the
        same windows. Metrics are averaged over series and columns with equal weight."""
        self._require_fitted()
        c = self.config
        parts = []
        quantile_parts: list[F64] = []
        for name, part in self.parts.items():
            values = part.series.values.astype(np.float64)
            origins = np.arange(part.test_start, len(values) - c.horizon + 1)
            truth = values[origins[:, None] + np.arange(c.horizon)[None, :]]
            raw = self.predict_windows(part.series, origins, name or None)
            if raw.ndim == 4:
                quantile_parts.append(raw)
            forecasts = {"model": self._point(raw)}
            forecasts.update(
                run_baselines(
                    values,
                    origins,
                    c.horizon,
                    lookback=c.lookback,
                    train_end=part.train_end,
                    period=self.period,
                )
            )
            parts.append((part, origins, truth, forecasts))
        methods = [m for m in parts[0][3] if all(m in p[3] for p in parts)]
        ev = Evaluation(
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
            {m: np.concatenate([p[3][m] for p in parts]) for m in methods},
        )
        ev.names = [name for name, p in zip(self.parts, parts, strict=True) for _ in p[1]]
        if quantile_parts and self.config.quantiles:
            ev.quantiles = np.concatenate(quantile_parts)
            low, high = self.config.quantiles[0], self.config.quantiles[-1]
            inside = (ev.truth >= ev.quantiles[..., 0]) & (ev.truth <= ev.quantiles[..., -1])
            ev.coverage = {f"{low:g}-{high:g}": float(inside.mean()), "nominal": high - low}
        for m in methods:
            scores = [
                forecast_metrics(
                    truth[..., f],
                    fc[m][..., f],
                    part.series.values[: part.train_end, f],
                    self.period or 1,
                )
                for part, _, truth, fc in parts
                for f in range(truth.shape[2])
            ]
            ev.metrics[m] = {k: float(np.mean([sc[k] for sc in scores])) for k in scores[0]}
            by_cs = np.sqrt(((ev.forecasts[m] - ev.truth) ** 2).mean(axis=0))  # (H, F)
            ev.rmse_by_column_step[m] = by_cs.T.tolist()
            ev.rmse_by_step[m] = by_cs.mean(axis=1).tolist()
        return ev

    # -- persistence ---------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        ckpt = self._require_fitted()
        return save(
            path,
            ckpt.model,
            train_config=ckpt.train_config,
            history=ckpt.history,
            data=self._describe(),
        )

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """A fitted Forecaster; pass the history to ``predict(series, name)``."""
        ckpt = load_checkpoint(path)
        data = ckpt.data or {}
        if "forecast_config" not in data or "parts" not in data:
            raise DataError(f"{path} is a seqlab checkpoint but not a Forecaster's")
        forecaster = cls(ForecastConfig(**data["forecast_config"]))
        forecaster.checkpoint, forecaster.history, forecaster.period = (
            ckpt,
            ckpt.history,
            data.get("period"),
        )
        for name, d in data["parts"].items():
            empty = Series(
                np.zeros((0, len(d["columns"])), np.float32),
                tuple(d["columns"]),
                None,
                d.get("freq"),
            )
            means = (
                None if d.get("season_means") is None else np.asarray(d["season_means"], np.float64)
            )
            forecaster.parts[name] = _Part(
                empty,
                d["split"][0],
                d["split"][1],
                np.asarray(d["offset"], np.float64),
                np.asarray(d["scale"], np.float64),
                means,
            )
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
