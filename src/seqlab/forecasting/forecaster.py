"""``Forecaster``: seqlab's main job. Fit a recurrent network (encoder–decoder or
segment-recurrent) on a series, choose on the validation rows among it, the baselines and
their combination, evaluate them all on the held-out tail, and forecast past the end of the
data with the chosen one.

Rows are split in time order: training rows, then validation rows, then test rows. The
scaler is fitted on the training rows only. A window's inputs may reach back into earlier
parts (that is the past), its targets never cross into a later part.
Shape key: T time, F series columns, N windows, L lookback, H horizon.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab._threads import with_read_thread_policy, with_thread_policy
from seqlab.baselines import run_baselines, skipped_baselines
from seqlab.checkpoint import Checkpoint, load_checkpoint, save
from seqlab.data.calendar import future_stamps, resolve_calendar
from seqlab.data.sources import Series, from_frame, to_log
from seqlab.data.windows import ahead_index
from seqlab.errors import CheckpointError, DataError, SeqlabError
from seqlab.forecasting.calibration import IntervalCalibration, Window
from seqlab.forecasting.classical import Classical
from seqlab.forecasting.config import PERIODS, ForecastConfig
from seqlab.forecasting.floors import Floors
from seqlab.forecasting.networks import NetworkTraining
from seqlab.forecasting.parts import (
    Part,
    features,
    make_part,
    season_choice,
    windows,
)
from seqlab.forecasting.results import (
    Block,
    Evaluation,
    add_intervals,
    evaluation_from_blocks,
    in_data_units,
)
from seqlab.forecasting.selection import MODEL, ValidationBlock, choose, combine, mase_scale
from seqlab.forecasting.state import (
    SCORES_FILE,
    SERIES_FILE,
    FittedState,
    read_scores,
    scores_blob,
    series_blob,
    with_series,
)
from seqlab.history import History

__all__ = ["Forecaster"]

log = logging.getLogger(__name__)
F64 = NDArray[np.float64]
F32 = NDArray[np.float32]


class Forecaster(Floors, IntervalCalibration, NetworkTraining):  # mixins stub each other's methods
    """Fit, evaluate, forecast, save and load a recurrent-network forecaster (see
    :class:`ForecastConfig` for the network, selection and refit settings).

    ``fit`` takes one Series, or a mapping of named Series (long format) that train one
    global model; each series keeps its own split, scaler and season means.
    """

    def __init__(self, config: ForecastConfig | None = None) -> None:
        self.config = config if config is not None else ForecastConfig()
        self.parts: dict[str, Part] = {}
        self.checkpoint: Checkpoint | None = None
        self.history: History | None = None
        self.period: int | None = self.config.period
        self.calendar: tuple[str, ...] = ()  # the calendar features in use
        self.lookback_losses: dict[int, float] = {}  # validation loss per tried lookback
        self.skip_losses: dict[int, float] = {}  # the same with repeat_skip, where tried
        self.validation_loss: float | None = None  # of the (ensemble) model on validation rows
        self.member_histories: list[History] = []  # one per ensemble member
        self.seasonality_p: float | None = None  # of the test behind deseasonalize="auto"
        # what forecasts: "model", a baseline, or "model + <baseline>"; chosen on validation
        self.selection: dict[str, Any] = {"chosen": MODEL, "scores": {}, "refit": False}
        # the lookback(s) of the final network and its members' training histories
        self.groups: list[tuple[int, list[History]]] = []
        # validation loss of the best lookback alone and of the mean over every lookback
        self.selection_lookbacks: dict[str, float] = {}
        # validation MASE of each network tried by model="auto"
        self.networks: dict[str, float] = {}
        # per series, the lowest value each target may take (0 or -inf); see ``nonnegative``
        self.floors: dict[str, F64] = {}
        # per series, the MASE scale of each target (its training rows' seasonal-naive MAE)
        self.scales: dict[str, F64] = {}
        # the conformal calibration of ``intervals``: method, windows, radius per level/step
        self.intervals: dict[str, Any] = {}

    # single-series views, kept for the common case
    def _single(self) -> Part:
        if len(self.parts) != 1:
            raise DataError(
                f"this Forecaster holds {len(self.parts)} series; name one of {list(self.parts)}"
            )
        return next(iter(self.parts.values()))

    @property
    def series(self) -> Series:
        return self._single().series

    @property
    def targets(self) -> tuple[str, ...]:
        """The forecast columns (every column that is not a past covariate) of the first series."""
        return next(iter(self.parts.values())).target_names

    @property
    def split(self) -> tuple[int, int, int]:
        p = self._single()
        return p.train_end, p.test_start, len(p.series)

    @property
    def season_means(self) -> F64 | None:
        return self._single().season_means

    @property
    def deseasonalized(self) -> bool:
        """Whether the model learns anomalies from season means (see ``deseasonalize``)."""
        return any(p.season_means is not None for p in self.parts.values())

    # -- fitting -------------------------------------------------------------------
    @with_thread_policy
    def fit(
        self,
        series: Series | Mapping[str, Series] | Any,
        *,
        id_col: str | None = None,
        time_col: str | None = None,
        target: str | Sequence[str] | None = None,
    ) -> Forecaster:
        """Train on the training rows of every series; with ``lookbacks``, one model per
        lookback, keeping the best on the validation rows. ``series`` is a Series, a mapping
        of names to Series (one global model), or a pandas DataFrame: long format with
        ``id_col`` (plus a time and value columns), or one series with a DatetimeIndex or
        ``time_col`` (``target``: the columns to forecast; default every numeric one)."""
        if type(series).__name__ == "DataFrame":  # pandas, imported only when given one
            series = from_frame(series, id_col=id_col, time_col=time_col, target=target)
        elif id_col or time_col or target:
            raise TypeError("id_col, time_col and target describe a pandas DataFrame")
        named = {"": series} if isinstance(series, Series) else dict(series)
        named = {k: self._model_units(v) for k, v in named.items()}
        if self.config.model == "auto":
            return self._fit_auto(named)
        self._prepare(named)
        if not self.config.lookbacks and not self._skip_choice():
            if self.config.model == "segment":  # "auto" resolved by its rule
                skip = self._skip_rule(self.config.lookback)
                self.config = replace(self.config, repeat_skip=skip)
            self._fit_lookback(self.config.lookback)
            self.groups = [(self.config.lookback, self.member_histories)]
        else:
            self._choose_lookback()
        self._select()
        self._calibrate()
        if self.config.refit and self._uses_model():
            self._refit()
        return self

    def _prepare(self, named: Mapping[str, Series]) -> None:
        """Everything before training: checks, period, calendar, the seasonality choice and
        each series' split and scaling (``parts``)."""
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
        self.calendar = resolve_calendar(self.config.calendar, first.freq)
        remove, self.seasonality_p = season_choice(named, self.period, self.config)
        season = self.period if remove else None
        self.parts = {n: make_part(s, n, self.config, season) for n, s in named.items()}
        self.floors = {n: self._floor(p) for n, p in self.parts.items()}

    def _model_units(self, series: Series) -> Series:
        """What the network sees: the series, or its logarithm with ``log``."""
        if not self.config.log:
            return series
        if not isinstance(series, Series):
            raise TypeError(f"expected a seqlab Series, got {type(series).__name__}")
        return to_log(series)

    def _data_units(self, values: F64) -> F64:
        """Model-unit forecasts, bands or rows back in the data's own units."""
        out: F64 = np.exp(values) if self.config.log else values
        return out

    def _uses_model(self) -> bool:
        chosen: str = self.selection["chosen"]
        return chosen == MODEL or chosen.startswith(f"{MODEL} + ")

    def _validation_origins(self, part: Part) -> NDArray[np.int64]:
        # from the end of the training rows: an earlier history is left-padded (first_origin)
        return np.arange(part.train_end, part.test_start - self.config.horizon + 1)

    def _validation_blocks(
        self, baselines: bool = True, classical: Classical | None = None
    ) -> list[ValidationBlock]:
        """The network's (and the baselines' and ``classical`` methods') forecasts on every
        validation window."""
        c, blocks = self.config, []
        for name, part in self.parts.items():
            origins = self._validation_origins(part)
            if not len(origins):
                continue
            values = part.target_values[: part.test_start]
            truth = values[ahead_index(origins, c.horizon)]
            forecasts = {
                MODEL: self._point(self.predict_windows(part.series, origins, name or None))
            }
            if baselines:
                forecasts.update(self._baselines(part, values, origins, classical=classical))
            scale = mase_scale(values[: part.train_end], self.period)
            blocks.append(ValidationBlock(truth, forecasts, scale))
        return blocks

    def _select(self) -> None:
        """Score the network, the baselines and their combination on the validation windows
        (rows before each series' test part only) and keep the best; see
        :mod:`seqlab.forecasting.selection`."""
        c = self.config
        self.selection = {"chosen": MODEL, "scores": {}, "refit": False, "by": c.select}
        if self.networks:
            self.selection["networks"] = self.networks
        self._choose_floor()
        if c.select == "model":
            return
        skipped = self._skipped_baselines()
        classical = Classical(c.classical, self.period, c.classical_budget, len(self.parts))
        blocks = self._validation_blocks(classical=classical)
        skipped.update(
            {m: {"series": len(self.parts), "why": why} for m, why in classical.skipped.items()}
        )
        if skipped:
            self.selection["skipped"] = skipped
        if classical.methods:
            self.selection["classical"] = {
                "methods": list(classical.active),
                "seconds": {m: round(t, 2) for m, t in classical.seconds.items()},
                "series_not_fitted": classical.unfitted,
            }
        if not blocks:
            return
        chosen, scores = choose(blocks)
        self.selection.update(chosen=chosen, scores=scores)
        log.info("chosen on validation: %s (MASE %.4g)", chosen, scores[chosen])

    def _skipped_baselines(self) -> dict[str, dict[str, Any]]:
        """Per baseline that some series is too short for: how many series and why (the
        first reason); such a baseline is no candidate in the selection (see ``choose``)."""
        found: dict[str, dict[str, Any]] = {}
        for part in self.parts.values():
            why = skipped_baselines(self.config.horizon, part.train_end, self.period)
            for method, reason in why.items():
                entry = found.setdefault(method, {"series": 0, "why": reason})
                entry["series"] += 1
        for method, entry in found.items():
            log.warning("baseline %s left out for %d series: %s", method, entry["series"],
                        entry["why"])  # fmt: skip
        return found

    def _baselines(
        self,
        part: Part,
        values: F64,
        origins: NDArray[np.int64],
        only: str | None = None,
        classical: Classical | None = None,
    ) -> dict[str, F64]:
        """Every baseline's and classical method's forecasts at ``origins`` (those that apply
        to this series), or with ``only`` just that method's. The classical methods are those
        the fit kept, or ``classical`` (with its time budget) while the fit chooses."""
        name = next(n for n, p in self.parts.items() if p is part)
        h = self.config.horizon
        found = run_baselines(
            values, origins, h, lookback=self.config.lookback, train_end=part.train_end,
            period=self.period,
        )  # fmt: skip
        classical = classical or Classical(self._classical_methods(only), self.period, np.inf)
        found.update(classical.forecasts(values, origins, h, part.train_end))
        if only is not None:
            found = {m: f for m, f in found.items() if m == only}
        return {method: self._clip(name, f) for method, f in found.items()}  # no observed floor

    def _classical_methods(self, only: str | None) -> list[str]:
        """The classical methods the fit kept (all, or ``only`` when it is one of them)."""
        kept: list[str] = (self.selection.get("classical") or {}).get("methods", [])
        return [m for m in kept if only is None or m == only]

    @property
    def fitted(self) -> FittedState:
        """Everything fitting learnt besides the network's weights, as one frozen object
        (what :meth:`save` writes and :meth:`load` reads)."""
        return FittedState(
            config=self.config,
            parts=dict(self.parts),
            period=self.period,
            calendar=self.calendar,
            seasonality_p=self.seasonality_p,
            selection=dict(self.selection),
            lookback_choice=dict(self.selection_lookbacks),
            lookback_losses=dict(self.lookback_losses),
            skip_losses=dict(self.skip_losses),
            networks=dict(self.networks),
            validation_loss=self.validation_loss,
            floors=dict(self.floors),
            scales=dict(self.scales),
            intervals=dict(self.intervals),
        )

    def _adopt(self, state: FittedState) -> None:
        self.config, self.parts, self.period = state.config, dict(state.parts), state.period
        self.calendar, self.seasonality_p = state.calendar, state.seasonality_p
        self.selection = dict(state.selection) or dict(self.selection)
        self.selection_lookbacks = dict(state.lookback_choice)
        self.lookback_losses, self.networks = dict(state.lookback_losses), dict(state.networks)
        self.skip_losses = dict(state.skip_losses)
        self.validation_loss, self.floors = state.validation_loss, dict(state.floors)
        self.scales, self.intervals = dict(state.scales), dict(state.intervals)

    def _describe(self) -> dict[str, Any]:
        return self.fitted.to_dict()

    def _require_fitted(self) -> Checkpoint:
        if not self.parts or self.checkpoint is None:
            raise DataError("this Forecaster is not fitted yet; call fit(series) first")
        return self.checkpoint

    def _part_named(self, name: str | None) -> Part:
        self._require_fitted()
        if name is None:
            return self._single()
        if name not in self.parts:
            raise DataError(f"no series {name!r}; this Forecaster knows {list(self.parts)}")
        return self.parts[name]

    # -- forecasting ---------------------------------------------------------------
    @with_read_thread_policy
    def predict_windows(
        self, series: Series, origins: NDArray[np.int64], name: str | None = None
    ) -> F64:
        """Model forecasts (N, H, O) from the L rows before each origin (original units)."""
        part = self._part_named(name)
        checkpoint = self._require_fitted()
        lb, h = self.config.lookback, self.config.horizon
        scaled, calendar, seasons = features(part, series, self.period, self.calendar, extra=h)
        x, _, future = windows(scaled, calendar, origins, lb, h, len(part.targets))
        pred = checkpoint.predict(x, future=future).values
        assert pred is not None
        q = pred.ndim == 4  # quantile outputs (N, H, O, Q)
        if q:  # crossing quantiles rearranged (sorted): never worse in pinball loss
            pred = np.sort(pred, axis=-1)  # (Chernozhukov, Fernández-Val & Galichon, 2010)
        scale, offset = part.scale[part.targets], part.offset[part.targets]
        if q:
            scale, offset = scale[:, None], offset[:, None]
        out: F64 = pred.astype(np.float64) * scale + offset
        if part.season_means is not None and seasons is not None:
            means = part.season_means[:, part.targets]
            season = means[seasons[ahead_index(origins, h)]]
            out += season[..., None] if q else season
        name = next(n for n, p in self.parts.items() if p is part)
        return self._clip(name, out, series, origins)

    def _point(self, pred: F64) -> F64:
        """The middle quantile of quantile forecasts, or the forecasts themselves."""
        qs = self.config.quantiles
        if not qs:
            return pred
        middle: F64 = pred[..., int(np.argmin(np.abs(np.asarray(qs) - 0.5)))]
        return middle

    @with_read_thread_policy
    def predict(
        self, series: Series | None = None, name: str | None = None
    ) -> tuple[F64, NDArray[np.datetime64] | None]:
        """Forecast H steps past the end of ``series`` (default: the fitted one called ``name``)."""
        part = self._part_named(name)
        s = self._model_units(series) if series is not None else part.series
        if len(s) < 1:  # a history shorter than the lookback is left-padded
            raise DataError("the series has no rows to forecast from")
        origins = np.array([len(s)])
        forecast = self._point(self.predict_windows(s, origins, name))
        chosen = self._chosen(part, s, origins, forecast)[0]
        return self._data_units(chosen), future_stamps(s, self.config.horizon)

    @with_read_thread_policy
    def forecast_frame(self) -> Any:
        """The forecast past the end of every series as a pandas DataFrame: ``series`` (for
        several), ``time``, each target, and quantile and interval columns, in the data's
        units (what ``forecast.csv`` holds)."""
        from seqlab.forecasting.frames import forecast_frame

        self._require_fitted()
        return forecast_frame(self)

    def _centred(self, raw: F64, point: F64) -> F64:
        """A quantile model's outputs (N, H, F, Q) moved so that the middle quantile is the
        chosen forecast ``point`` (N, H, F), every band's width kept: when validation chose a
        baseline or a combination over the network, its quantiles follow. Anything else is
        returned unchanged."""
        if raw.ndim != 4 or self.selection["chosen"] == MODEL:
            return raw
        out: F64 = raw + (point - self._point(raw))[..., None]
        return out

    def _chosen(self, part: Part, series: Series, origins: NDArray[np.int64], model: F64) -> F64:
        """The forecasts of the method chosen on validation, given the network's."""
        chosen: str = self.selection["chosen"]
        if chosen == MODEL:
            return model
        values = series.values[:, part.targets].astype(np.float64)
        needed = chosen.removeprefix(f"{MODEL} + ")
        return self._method(model, self._baselines(part, values, origins, only=needed))

    def _method(self, model: F64, baselines: Mapping[str, F64]) -> F64:
        """The chosen method's forecasts from the network's and the baselines'. A baseline
        that cannot be fitted on this series (too few training rows; counted in
        ``selection["skipped"]``) leaves the network's forecast in its place."""
        chosen: str = self.selection["chosen"]
        baseline = chosen.removeprefix(f"{MODEL} + ")
        if chosen == MODEL or baseline not in baselines:
            return model
        return combine(model, baselines[baseline]) if baseline != chosen else baselines[chosen]

    @with_read_thread_policy
    def predict_quantiles(self, series: Series | None = None, name: str | None = None) -> F64:
        """Quantile forecasts (H, F, Q) past the end of the series (needs ``quantiles``),
        centred on the forecast :meth:`predict` returns (the method chosen on validation)."""
        if not self.config.quantiles:
            raise DataError("this Forecaster was not trained with quantiles")
        part = self._part_named(name)
        key = next(n for n, p in self.parts.items() if p is part)
        s = self._model_units(series) if series is not None else part.series
        raw, _ = self._forecasts(key, part, s, np.array([len(s)]))
        return self._data_units(raw[0])

    @with_thread_policy
    def evaluate(self) -> Evaluation:
        """Every test window (stride 1) of every series: ours against every baseline on the
        same windows. Metrics are averaged over series and columns with equal weight."""
        self._require_fitted()
        c = self.config
        if all(len(p.series) - p.test_start < c.horizon for p in self.parts.values()):
            raise DataError("no test rows to evaluate on (test_rows=0); use predict()")
        blocks, intervals, tested = [], {}, {}
        for name, part in self.parts.items():
            values = part.target_values
            origins = np.arange(part.test_start, len(values) - c.horizon + 1)
            if not len(origins):  # a series without a test part
                continue
            truth = values[ahead_index(origins, c.horizon)]
            raw = self.predict_windows(part.series, origins, name or None)
            forecasts = {MODEL: self._point(raw)}
            forecasts.update(self._baselines(part, values, origins))
            chosen: str = self.selection["chosen"]
            if chosen not in forecasts:  # the combination, of forecasts already made here
                forecasts[chosen] = self._method(forecasts[MODEL], forecasts)
            raw = self._centred(raw, forecasts[chosen])
            quantile_bands = raw if raw.ndim == 4 else None
            blocks.append(
                Block(name, origins, truth, forecasts, values[: part.train_end], quantile_bands)
            )
            tested[name] = Window(origins, truth, raw, forecasts[chosen])  # for the bands
        if self.intervals:  # around the forecasts already made: no re-forecast
            adapted, reached = self._adaptive(tested) if self._adapts() else ({}, {})
            for name, w in tested.items():
                intervals[name] = self._bands(name, w.raw, w.point, adapted.get(name))
        scales = self.scales
        if c.log:  # every number of the evaluation in the data's own units
            blocks, intervals, scales = in_data_units(blocks, intervals, self.period, np.exp)
        evaluation = evaluation_from_blocks(blocks, self.period, c.quantiles)
        evaluation.selected = self.selection["chosen"]
        if self.intervals:
            add_intervals(evaluation, blocks, intervals, scales, c.intervals)
            for key, share in reached.items():  # what adaptation reached over the test windows
                evaluation.intervals[key]["adapted"] = share
        return evaluation

    # -- persistence ---------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the network, the fitted state (:meth:`_describe`), the series' rows
        (``series.safetensors``) and, with intervals, their calibration scores
        (``interval_scores.safetensors``), all of which :meth:`load` reads back."""
        data, extra = self._describe(), {SERIES_FILE: series_blob(self.parts)}
        if "scores" in data["intervals"]:  # the calibration scores: arrays, not JSON text
            intervals = dict(data["intervals"])
            extra[SCORES_FILE] = scores_blob(intervals.pop("scores"))
            data = {**data, "intervals": intervals}
        return save(path, replace(self._require_fitted(), data=data), extra_files=extra)

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """The saved Forecaster: ``predict()`` forecasts past the end of the data it was
        fitted on, exactly as before saving; ``predict(series, name)`` from newer data."""
        ckpt = load_checkpoint(path)
        data = ckpt.data or {}
        if "forecast_config" not in data or "parts" not in data:
            raise DataError(f"{path} is a seqlab checkpoint but not a Forecaster's")
        try:
            forecaster = cls._restore(ckpt, data)
            rows, scores = Path(path) / SERIES_FILE, Path(path) / SCORES_FILE
            if rows.is_file():  # checkpoints written before 0.1 have none
                forecaster.parts = with_series(forecaster.parts, rows.read_bytes())
            if scores.is_file():  # earlier checkpoints kept the scores in checkpoint.json
                forecaster.intervals["scores"] = read_scores(scores.read_bytes())
            return forecaster
        except (SeqlabError, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise CheckpointError(f"{path}: the forecasting state is malformed: {exc}") from None

    @classmethod
    def _restore(cls, ckpt: Checkpoint, data: dict[str, Any]) -> Forecaster:
        state = FittedState.from_dict(data)
        forecaster = cls(state.config)
        forecaster._adopt(state)
        forecaster.checkpoint, forecaster.history = ckpt, ckpt.history
        return forecaster
