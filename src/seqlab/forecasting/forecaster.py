"""``Forecaster``: seqlab's main job. Fit a recurrent network on a series, choose on the
validation rows among it, the baselines, the classical methods and their combination,
evaluate them all on the held-out tail, and forecast past the end with the chosen one.

``fit`` runs the stages top to bottom, each a function of the previous results returning a
frozen value: prepare (split, scalers, seasonality; :mod:`~seqlab.forecasting.prepare`) →
networks (:mod:`~seqlab.forecasting.networks`) → validation forecasts, made once
(:mod:`~seqlab.forecasting.validation`) → floor and selection → interval calibration
(:class:`~seqlab.forecasting.calibration.Conformal`) → refit → one :class:`FittedState`.
``config`` is never changed; reads (``predict``, ``evaluate``, intervals) never change the
fitted state.

Rows are split in time order: training, validation, test (:mod:`~seqlab.forecasting.parts`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from torch import nn

from seqlab._threads import with_read_thread_policy, with_thread_policy
from seqlab.checkpoint import Checkpoint, load_checkpoint, save
from seqlab.data.sources import Series, from_frame
from seqlab.errors import CheckpointError, DataError, SeqlabError
from seqlab.forecasting import frames
from seqlab.forecasting.calibration import Conformal
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.kinds import network_kinds
from seqlab.forecasting.networks import Groups, refit_network, train_network
from seqlab.forecasting.parts import Part
from seqlab.forecasting.predictor import Predictor
from seqlab.forecasting.prepare import model_units, prepare
from seqlab.forecasting.results import Evaluation
from seqlab.forecasting.state import (
    SCORES_FILE,
    SERIES_FILE,
    FittedState,
    read_scores,
    scores_blob,
    series_blob,
    with_series,
)
from seqlab.forecasting.static import static_table
from seqlab.forecasting.validation import (
    calibration_windows,
    choose_floor,
    network_score,
    network_windows,
    select,
)
from seqlab.history import History

__all__ = ["Forecaster"]

F64 = NDArray[np.float64]


class Forecaster:
    """Fit, evaluate, forecast, save and load a recurrent-network forecaster (settings:
    :class:`ForecastConfig`). Several series train one global model, each with its own
    split, scaler and season means. What fitting learnt is :attr:`fitted` (frozen)."""

    def __init__(self, config: ForecastConfig | None = None) -> None:
        self.config = config if config is not None else ForecastConfig()
        self._state: FittedState | None = None
        self._checkpoint: Checkpoint | None = None
        self._groups: Groups = ()  # training histories per lookback (not saved)
        self._final: dict[str, dict[str, F64]] | None = None  # a cache of reads, not state

    # -- fitting -------------------------------------------------------------------
    @with_thread_policy
    def fit(
        self,
        series: Series | Mapping[str, Series] | Any,
        *,
        id_col: str | None = None,
        time_col: str | None = None,
        target: str | Sequence[str] | None = None,
        static: Any = None,
    ) -> Forecaster:
        """Run the stages on ``series``: a Series, a mapping of names to Series (one global
        model), or a pandas DataFrame: long format with ``id_col``, or one series with a
        DatetimeIndex or ``time_col`` (``target``: the columns to forecast; default every
        numeric one). ``static``: one row per series of the ``static_covariates`` (a
        DataFrame indexed by series or with ``id_col``, or a mapping of names to mappings)."""
        if type(series).__name__ == "DataFrame":  # pandas, imported only when given one
            series = from_frame(series, id_col=id_col, time_col=time_col, target=target)
        elif time_col or target or (id_col and type(static).__name__ != "DataFrame"):
            raise TypeError("id_col, time_col and target describe a pandas DataFrame")
        named = {"": series} if isinstance(series, Series) else dict(series)
        c = self.config
        static = None if static is None else static_table(static, id_col)
        prepared = prepare({k: model_units(v, c) for k, v in named.items()}, c, static)
        tried = []
        for kind in network_kinds(c):
            net = train_network(prepared, c, kind)
            predictor = Predictor(c, prepared, net.spec, net.checkpoint)
            tried.append((net, predictor, network_windows(predictor)))
        scores: dict[str, float] = {}
        if c.network.model == "auto":  # the network whose own forecasts validate best
            for net, predictor, found in tried:
                floor = choose_floor(predictor, found)[0]
                scores[net.spec.model] = network_score(found, floor, c.network.quantiles)
        net, predictor, found = min(tried, key=lambda t: scores.get(t[0].spec.model, 0.0))
        selection, found = select(predictor, found, scores)
        predictor = replace(predictor, selection=selection)
        windows = calibration_windows(predictor, found)
        intervals = Conformal.calibrate(c, windows, prepared.scales or {})
        if c.selection.refit and selection.chosen.uses_model:
            net = refit_network(prepared, c, net)
            if net.refit_epochs is not None:
                selection = replace(selection, refit=True, refit_epochs=net.refit_epochs)
        state = FittedState.of(c, prepared, net, selection, intervals)
        self._adopt(state, net.checkpoint, net.groups)
        return self

    @with_thread_policy
    def update(
        self,
        series: Series | Mapping[str, Series] | Any,
        *,
        steps: int,
        test_rows: int = 0,
        recent_rows: int | None = None,
        lr: float | None = None,
        id_col: str | None = None,
        time_col: str | None = None,
        target: str | Sequence[str] | None = None,
    ) -> Forecaster:
        """A new Forecaster recalibrated on newer data; this one is not changed. ``series``:
        each fitted series with the rows that arrived since, the same columns (a Series, a
        mapping of the fitted names to Series, or a DataFrame as ``fit`` takes it). Every row
        but the last ``test_rows`` becomes a training row; the network trains on from its
        weights for ``steps`` optimizer steps (0: the weights kept; the configured batch size
        and schedule, at ``lr`` or the configured one) on the windows whose forecast steps
        start in the last ``recent_rows`` training rows (default: all). Every choice of the
        fit is kept (network, lookback, combination, scalers, season means, interval
        calibration); the baselines that fit (the linear AR, climatology, classical methods)
        fit on the new training rows at each read. ``evaluate`` then scores the last
        ``test_rows`` rows, ``predict`` forecasts past the end. Recalibration, as day-ahead
        price forecasting does daily (Lago et al. 2021)."""
        from seqlab.forecasting.update import updated

        state, checkpoint = self._require_fitted()
        if type(series).__name__ == "DataFrame":
            series = from_frame(series, id_col=id_col, time_col=time_col, target=target)
        named = {self._named(None): series} if isinstance(series, Series) else dict(series)
        state, checkpoint = updated(state, checkpoint, named, steps, test_rows, recent_rows, lr)
        return Forecaster.from_fitted(state, checkpoint)

    def _adopt(self, state: FittedState, checkpoint: Checkpoint, groups: Groups = ()) -> None:
        self._state, self._checkpoint, self._groups, self._final = state, checkpoint, groups, None

    @classmethod
    def from_fitted(cls, state: FittedState, checkpoint: Checkpoint) -> Forecaster:
        """A fitted Forecaster of a fitted state and its network's checkpoint."""
        forecaster = cls(state.config)
        forecaster._adopt(state, checkpoint)
        return forecaster

    # -- what fitting learnt (read-only views of the fitted state) -----------------
    @property
    def fitted(self) -> FittedState:
        """Everything fitting learnt besides the network's weights, as one frozen object
        (what :meth:`save` writes and :meth:`load` reads)."""
        return self._require_fitted()[0]

    def _require_fitted(self) -> tuple[FittedState, Checkpoint]:
        if self._state is None or self._checkpoint is None:
            raise DataError("this Forecaster is not fitted yet; call fit(series) first")
        return self._state, self._checkpoint

    @property
    def checkpoint(self) -> Checkpoint | None:
        return self._checkpoint

    @property
    def network(self) -> nn.Module:
        """The fitted network (an ensemble's members inside)."""
        return self._require_fitted()[1].model

    @property
    def history(self) -> History | None:
        return None if self._checkpoint is None else self._checkpoint.history

    @property
    def groups(self) -> Groups:
        """The lookback(s) of the final network with its members' training histories (from
        the fit in this process; empty after ``load``)."""
        return self._groups

    @property
    def parts(self) -> Mapping[str, Part]:
        return {} if self._state is None else self._state.parts

    @property
    def period(self) -> int | None:
        return self.config.split.period if self._state is None else self._state.prepared.period

    @property
    def calendar(self) -> tuple[str, ...]:
        return () if self._state is None else self._state.prepared.calendar

    @property
    def seasonality_p(self) -> float | None:
        return None if self._state is None else self._state.prepared.seasonality_p

    @property
    def selection(self) -> dict[str, Any]:
        """What forecasts and why, chosen on validation (a copy of the JSON form)."""
        return {} if self._state is None else self._state.selection.to_dict()

    @property
    def lookback_losses(self) -> Mapping[int, float]:
        return {} if self._state is None else self._state.lookback_losses

    @property
    def skip_losses(self) -> Mapping[int, float]:
        return {} if self._state is None else self._state.skip_losses

    @property
    def intervals(self) -> dict[str, Any]:
        """The intervals' calibration in its JSON form ({} without intervals)."""
        found = None if self._state is None else self._state.intervals
        return found.to_dict() if found else {}

    @property
    def scales(self) -> Mapping[str, F64]:
        return {} if self._state is None else (self._state.prepared.scales or {})

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

    # -- forecasting ---------------------------------------------------------------
    @property
    def _predictor(self) -> Predictor:
        s, checkpoint = self._require_fitted()
        return Predictor(s.config, s.prepared, s.network, checkpoint, s.selection)

    def _data_units(self, values: F64) -> F64:
        """Model-unit forecasts, bands or rows back in the data's own units."""
        out: F64 = np.exp(values) if self.config.split.log else values
        return out

    def _named(self, name: str | None) -> str:
        """The key of the series called ``name`` (default: the only one)."""
        parts = self.fitted.parts
        if name is None:
            self._single()
            return next(iter(parts))
        if name not in parts:
            raise DataError(f"no series {name!r}; this Forecaster knows {list(parts)}")
        return name

    def _history(self, series: Series | None, key: str) -> Series:
        return model_units(series, self.config) if series is not None else self.parts[key].series

    @with_read_thread_policy
    def predict_windows(
        self, series: Series, origins: NDArray[np.int64], name: str | None = None
    ) -> F64:
        """The network's forecasts (N, H, O) from the rows before each origin (original
        units before ``log``), at every lower bound the fit chose."""
        return self._predictor.network_forecasts(self._named(name), series, origins)

    @with_read_thread_policy
    def predict(
        self,
        data: Series | Mapping[str, Series] | Any = None,
        *,
        name: str | None = None,
        id_col: str | None = None,
        time_col: str | None = None,
        target: str | Sequence[str] | None = None,
        future: Any = None,
    ) -> Any:
        """The forecast as a pandas DataFrame (one row per series and step: ``series`` where
        there are several, ``time``, each target, quantile and interval columns, in the data's
        units): past the end of every fitted series, or of ``name``; with ``data`` (newer rows:
        a DataFrame in the format ``fit`` took, a Series, or a mapping of names to Series),
        past the end of those. ``future``: the future-known covariates' next values, in the
        same forms (a DataFrame with those columns, a Series, or a mapping of names to them).
        :meth:`predict_arrays` returns arrays."""
        self._require_fitted()
        framed = type(future).__name__ == "DataFrame"
        if framed:
            columns = list(self.config.network.future_covariates)
            future = from_frame(future, id_col=id_col, time_col=time_col, target=columns)
        if future is not None and not isinstance(future, Mapping):
            future = {self._named(name): future}
        if type(data).__name__ == "DataFrame":
            data = from_frame(data, id_col=id_col, time_col=time_col, target=target)
        elif target or ((id_col or time_col) and not framed):
            raise TypeError("id_col, time_col and target describe a pandas DataFrame")
        newer: dict[str, Series | None] = {}
        if isinstance(data, Series):
            newer = {self._named(name): data}
        elif data is not None:
            newer = {self._named(k or None): v for k, v in dict(data).items()}
        elif name is not None:
            newer = {self._named(name): None}
        return frames.forecast_frame(self, newer or None, future)

    @with_read_thread_policy
    def predict_arrays(
        self, series: Series | None = None, name: str | None = None, future: Any = None
    ) -> tuple[F64, NDArray[np.datetime64] | None]:
        """Forecast (H, F) H steps past the end of ``series`` (default: the fitted one called
        ``name``, or the only one) and its timestamps (None without). ``future``: the next H
        values of the future-known covariates (a Series with those columns, or an (H, P)
        array), in the data's units."""
        point, stamps, _, _ = frames.reading(self, series, name, future, False, False)
        return point, stamps

    @with_read_thread_policy
    def predict_quantiles(
        self, series: Series | None = None, name: str | None = None, future: Any = None
    ) -> F64:
        """Quantile forecasts (H, F, Q) past the end of the series (needs ``quantiles``),
        centred on the forecast :meth:`predict` returns (the method chosen on validation)."""
        quantiles = frames.reading(self, series, name, future, intervals=False)[2]
        if quantiles is None:
            raise DataError("this Forecaster was not trained with quantiles")
        return quantiles

    @with_read_thread_policy
    def predict_intervals(
        self, series: Series | None = None, name: str | None = None, future: Any = None
    ) -> F64:
        """Calibrated intervals (H, F, K, 2) past the end of the series: for each of the K
        ``intervals`` levels (ascending) the lower and upper bound."""
        intervals = frames.reading(self, series, name, future, quantiles=False)[3]
        if intervals is None:
            raise DataError("this Forecaster has no intervals; fit it with intervals=(0.8, ...)")
        return intervals

    @with_read_thread_policy
    def predict_all(
        self, series: Series | None = None, name: str | None = None, future: Any = None
    ) -> frames.Reading:
        """Forecast, timestamps, quantiles and intervals (None where it has none) from one
        pass (see :func:`~seqlab.forecasting.frames.reading`)."""
        return frames.reading(self, series, name, future)

    def _final_radii(self) -> dict[str, dict[str, F64]]:
        """Per series and level the radius adaptation reached over the test windows (see
        :func:`~seqlab.forecasting.evaluation.final_radii`), computed once per Forecaster:
        a cache of what reads compute, not fitted state (neither saved nor compared)."""
        if self._final is None:
            from seqlab.forecasting.evaluation import final_radii

            self._final = final_radii(self._predictor, self.fitted)
        return self._final

    @with_thread_policy
    def evaluate(self) -> Evaluation:
        """Every test window (stride 1) of every series: ours against every baseline on the
        same windows. Metrics are averaged over series and columns with equal weight."""
        from seqlab.forecasting.evaluation import evaluate

        return evaluate(self._predictor, self.fitted)

    # -- persistence ---------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the network, the fitted state (:attr:`fitted`), the series' rows
        (``series.safetensors``) and, with intervals, their calibration scores
        (``interval_scores.safetensors``), all of which :meth:`load` reads back."""
        state, checkpoint = self._require_fitted()
        data, extra = state.to_dict(), {SERIES_FILE: series_blob(state.parts)}
        if "scores" in data["intervals"]:  # the calibration scores: arrays, not JSON text
            intervals = dict(data["intervals"])
            extra[SCORES_FILE] = scores_blob(intervals.pop("scores"))
            data = {**data, "intervals": intervals}
        return save(path, replace(checkpoint, data=data), extra_files=extra)

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """The saved Forecaster: ``predict()`` forecasts past the end of the data it was
        fitted on, exactly as before saving; ``predict(series, name)`` from newer data."""
        ckpt = load_checkpoint(path)
        data = ckpt.data or {}
        if "forecast_config" not in data or "parts" not in data:
            raise DataError(f"{path} is a seqlab checkpoint but not a Forecaster's")
        try:
            state = FittedState.from_dict(data)
            rows, scores = Path(path) / SERIES_FILE, Path(path) / SCORES_FILE
            prepared = state.prepared
            if rows.is_file():  # checkpoints written before 0.1 have none
                prepared = replace(prepared, parts=with_series(prepared.parts, rows.read_bytes()))
            intervals = state.intervals
            if intervals and scores.is_file():  # earlier checkpoints kept them in the JSON
                intervals = replace(intervals, scores=read_scores(scores.read_bytes()))
            state = replace(state, prepared=prepared, intervals=intervals)
        except (SeqlabError, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise CheckpointError(f"{path}: the forecasting state is malformed: {exc}") from None
        return cls.from_fitted(state, ckpt)
