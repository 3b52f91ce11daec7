"""Forecasts of a fitted network and of the baselines for any windows of a fitted series,
and of the method the validation windows chose: what every later stage of a fit and every
read of a fitted Forecaster (``predict``, ``evaluate``, intervals) compute forecasts with.
A frozen value: reading never changes it. Shape key: N windows, H horizon, O targets,
Q quantiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from seqlab.baselines import run_baselines
from seqlab.checkpoint import Checkpoint
from seqlab.data.sources import Series
from seqlab.data.windows import ahead_index
from seqlab.errors import DataError
from seqlab.forecasting.classical import Classical
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.floors import at_least, observed_lowest
from seqlab.forecasting.kinds import NetworkSpec
from seqlab.forecasting.parts import features, windows
from seqlab.forecasting.prepare import Prepared
from seqlab.forecasting.selection import MODEL, Selection

__all__ = ["Predictor", "centred", "future_values", "middle", "middle_index"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def middle_index(quantiles: Sequence[float]) -> int:
    """The index of the quantile closest to the median."""
    return int(np.argmin(np.abs(np.asarray(quantiles) - 0.5)))


def middle(pred: F64, quantiles: tuple[float, ...] | None) -> F64:
    """The middle quantile of quantile forecasts (N, H, O, Q), or the forecasts themselves."""
    if not quantiles:
        return pred
    found: F64 = pred[..., middle_index(quantiles)]
    return found


def centred(raw: F64, point: F64, quantiles: tuple[float, ...] | None) -> F64:
    """A quantile model's outputs (N, H, O, Q) moved so that the middle quantile is the chosen
    forecast ``point`` (N, H, O), every band's width kept: when validation chose a baseline or
    a combination over the network, its quantiles follow. Anything else is returned as is."""
    if raw.ndim != 4:
        return raw
    out: F64 = raw + (point - middle(raw, quantiles))[..., None]
    return out


def future_values(config: ForecastConfig, future: object) -> F64 | None:
    """The future-known covariates' next ``horizon`` values (H, P) in model units, from a
    Series with those columns or an (H, P) array in the data's units; None without."""
    names = config.network.future_covariates
    if future is None or not names:
        return None
    if isinstance(future, Series):
        missing = [c for c in names if c not in future.columns]
        if missing:
            raise DataError(f"`future` needs the columns {list(names)}; {missing[0]!r} is missing")
        future = future.values[:, [future.columns.index(c) for c in names]]
    values = np.asarray(future, np.float64)
    values = values.reshape(len(values), -1)
    h = config.split.horizon
    if values.shape[1] != len(names) or len(values) < h:
        raise DataError(
            f"`future` needs {h} rows of {', '.join(names)} (the future-known covariates), "
            f"got an array of shape {values.shape}"
        )
    if config.split.log:
        if (values[:h] <= 0).any():
            raise DataError("with `log` the future values must be positive")
        values = np.log(values)
    return values[:h]


@dataclass(frozen=True)
class Predictor:
    """The network (``network``, ``checkpoint``) over the ``prepared`` series, and with a
    ``selection`` the method chosen on validation and the observed floor it may apply."""

    config: ForecastConfig
    prepared: Prepared
    network: NetworkSpec
    checkpoint: Checkpoint
    selection: Selection = field(default_factory=Selection)

    def outputs(self, name: str, series: Series, origins: I64, future: object = None) -> F64:
        """The network's forecasts (N, H, O), or quantiles (N, H, O, Q), from the rows before
        each origin, in model units, at each target's lower bound (not the observed floor).
        ``future``: the future-known covariates' values past the end of ``series`` (see
        :func:`future_values`)."""
        ahead = future_values(self.config, future)
        part, prepared = self.prepared.parts[name], self.prepared
        lb, h = self.network.lookback, self.config.split.horizon
        scaled, calendar, seasons = features(
            part, series, prepared.period, prepared.calendar, extra=h, ahead=ahead
        )
        x, _, future = windows(scaled, calendar, origins, lb, h, len(part.targets))
        if part.futures and future is not None and np.isnan(future).any():
            need = int(origins.max()) + h - len(series)
            names = ", ".join(part.series.columns[k] for k in part.futures)
            raise DataError(
                f"forecasting past the end needs the next {need} value(s) of the future-known "
                f"covariates ({names}): give them as `future` ({need} rows of {names})"
            )
        pred = self.checkpoint.predict(x, future=future).regression
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
        return at_least(out, prepared.floor(name))

    def lowest(self, name: str, series: Series, origins: I64) -> F64 | None:
        """(N, 1, O) the observed floor at each origin when the selection applies one."""
        if not self.selection.floor:
            return None
        return observed_lowest(self.prepared.parts[name], series, origins)

    def network_forecasts(
        self, name: str, series: Series, origins: I64, future: object = None
    ) -> F64:
        """:meth:`outputs` at every lower bound the fit chose (the observed floor included)."""
        out = self.outputs(name, series, origins, future)
        return at_least(out, None, self.lowest(name, series, origins))

    def baselines(
        self,
        name: str,
        values: F64,
        origins: I64,
        only: Sequence[str] | None = None,
        classical: Classical | None = None,
        exog: F64 | None = None,
    ) -> dict[str, F64]:
        """Every baseline's and classical method's forecasts at ``origins`` (those that apply
        to this series), or with ``only`` just those methods'. The classical methods are those
        the fit kept, or ``classical`` (with its time budget) while the fit chooses.
        ``exog``: the future-known covariates (:meth:`exog`) for the baselines that read them.
        Those that fit (climatology, the linear AR, the classical methods) fit on the training
        rows while the fit chooses (``classical`` given) and on the training and validation
        rows once it has chosen, whether or not the network is refit (scikit-learn's
        ``refit=True``: they are cheap, and the last rows matter most to a short series)."""
        part, h = self.prepared.parts[name], self.config.split.horizon
        end = part.train_end if classical is not None else part.test_start
        found = run_baselines(
            values, origins, h, lookback=self.network.lookback, train_end=end,
            period=self.prepared.period, exog=exog,
        )  # fmt: skip
        if classical is None:
            kept = [m for m in self.selection.classical_methods if only is None or m in only]
            classical = Classical(kept, self.prepared.period, np.inf)
        found.update(classical.forecasts(values, origins, h, end))
        if only is not None:
            found = {m: f for m, f in found.items() if m in only}
        floor = self.prepared.floor(name)
        return {method: at_least(f, floor) for method, f in found.items()}  # no observed floor

    def exog(self, name: str, series: Series, future: object = None) -> F64 | None:
        """(T + H, P) the future-known covariates of ``series`` in model units, then their
        next values where ``future`` gives them (NaN else); None without such covariates."""
        part = self.prepared.parts[name]
        if not part.futures:
            return None
        known = series.values[:, part.futures].astype(np.float64)
        ahead = future_values(self.config, future)
        later = np.full((self.config.split.horizon, len(part.futures)), np.nan)
        return np.concatenate([known, later if ahead is None else ahead])

    def chosen(
        self, name: str, series: Series, origins: I64, model: F64, future: object = None
    ) -> F64:
        """The forecasts of the method chosen on validation, given the network's."""
        method = self.selection.chosen
        if method.baseline is None:
            return model
        part = self.prepared.parts[name]
        values = series.values[:, part.targets].astype(np.float64)
        exog = self.exog(name, series, future)
        found = self.baselines(name, values, origins, only=method.members, exog=exog)
        return method.forecast(model, found)

    def forecasts(
        self, name: str, series: Series, origins: I64, future: object = None
    ) -> tuple[F64, F64]:
        """The network's raw outputs, centred on the chosen method's forecasts, and those."""
        raw = self.network_forecasts(name, series, origins, future)
        point = self.chosen(
            name, series, origins, middle(raw, self.config.network.quantiles), future
        )
        return self.centre(raw, point), point

    def centre(self, raw: F64, point: F64) -> F64:
        """:func:`centred` where validation chose another method than the network."""
        if self.selection.chosen.name == MODEL:
            return raw
        return centred(raw, point, self.config.network.quantiles)
