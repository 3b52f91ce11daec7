"""What a fitted :class:`~seqlab.forecasting.Forecaster` knows besides its network's weights:
one frozen object, written to the checkpoint by ``save`` and read back by ``load`` through
the same two functions, so nothing is saved that is not loaded or the other way round."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab.data.sources import Series
from seqlab.forecasting.calibration import Conformal
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.kinds import NetworkSpec
from seqlab.forecasting.networks import NetworkFit
from seqlab.forecasting.parts import Part, column_roles
from seqlab.forecasting.prepare import Prepared
from seqlab.forecasting.selection import Selection

__all__ = [
    "SCORES_FILE",
    "SERIES_FILE",
    "FittedState",
    "read_scores",
    "scores_blob",
    "series_blob",
    "with_series",
]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class FittedState:
    """The fitted Forecaster besides its network's weights: the configuration it was given
    (never changed by fitting), each series' split and preprocessing with the seasonal
    period, calendar features, seasonality test, lower bounds and MASE scales
    (``prepared``), the network the fit settled on (kind, lookback, repeat skip) with the
    validation losses of the lookbacks tried, what forecasts and why (``selection``), and the
    conformal calibration of the prediction intervals."""

    config: ForecastConfig
    prepared: Prepared
    network: NetworkSpec
    selection: Selection = field(default_factory=Selection)
    validation_loss: float | None = None
    lookback_losses: Mapping[int, float] = field(default_factory=dict)
    skip_losses: Mapping[int, float] = field(default_factory=dict)
    lookback_choice: Mapping[str, float] = field(default_factory=dict)
    intervals: Conformal | None = None

    @property
    def parts(self) -> Mapping[str, Part]:
        return self.prepared.parts

    @classmethod
    def of(
        cls,
        config: ForecastConfig,
        prepared: Prepared,
        net: NetworkFit,
        selection: Selection,
        intervals: Conformal | None,
    ) -> FittedState:
        """The fitted state of one fit's stage results."""
        return cls(
            config=config,
            prepared=prepared,
            network=net.spec,
            selection=selection,
            validation_loss=net.validation_loss,
            lookback_losses=dict(net.lookback_losses),
            skip_losses=dict(net.skip_losses),
            lookback_choice=dict(net.lookback_choice),
            intervals=intervals,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored as the checkpoint's ``data``."""
        p = self.prepared
        return {
            "forecast_config": self.config.to_dict(),
            "network": self.network.to_dict(),
            "parts": {name: part.to_dict() for name, part in p.parts.items()},
            "period": p.period,
            "calendar": list(p.calendar),
            "seasonality_p": p.seasonality_p,
            "selection": self.selection.to_dict(),
            "lookback_choice": dict(self.lookback_choice),
            "lookback_losses": {str(k): v for k, v in self.lookback_losses.items()},
            "skip_losses": {str(k): v for k, v in self.skip_losses.items()},
            "networks": dict(self.selection.networks),
            "validation_loss": self.validation_loss,
            "nonnegative": {n: np.isfinite(f).tolist() for n, f in (p.floors or {}).items()},
            "scales": {n: np.asarray(v).tolist() for n, v in (p.scales or {}).items()},
            "intervals": self.intervals.to_dict() if self.intervals else {},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FittedState:
        """Read :meth:`to_dict`'s form back (KeyError, TypeError or ValueError when it is
        malformed; the loader turns them into a CheckpointError)."""
        config = ForecastConfig.from_dict(data["forecast_config"])
        prepared = Prepared(
            parts={name: _part(d, config) for name, d in data["parts"].items()},
            period=data.get("period"),
            calendar=tuple(data.get("calendar", ())),
            seasonality_p=data.get("seasonality_p"),
            floors={
                n: np.where(np.asarray(f, bool), 0.0, -np.inf)
                for n, f in (data.get("nonnegative") or {}).items()
            },
            scales={n: np.asarray(v, np.float64) for n, v in (data.get("scales") or {}).items()},
        )
        selection = Selection.from_dict(data.get("selection") or {})
        if not selection.networks and data.get("networks"):
            selection = replace(selection, networks=dict(data["networks"]))
        return cls(
            config=config,
            prepared=prepared,
            network=_network(data, config),
            selection=selection,
            validation_loss=data.get("validation_loss"),
            lookback_losses={
                int(k): float(v) for k, v in (data.get("lookback_losses") or {}).items()
            },
            skip_losses={int(k): float(v) for k, v in (data.get("skip_losses") or {}).items()},
            lookback_choice=dict(data.get("lookback_choice") or {}),
            intervals=Conformal.from_dict(data["intervals"], config)
            if data.get("intervals")
            else None,
        )


def _network(data: Mapping[str, Any], config: ForecastConfig) -> NetworkSpec:
    """The network's spec; checkpoints written before it was recorded kept the choices in
    their (then rewritten) ``forecast_config``."""
    if "network" in data:
        return NetworkSpec.from_dict(data["network"])
    kind = config.network.model if config.network.model != "auto" else "seq2seq"
    return NetworkSpec(kind, config.split.lookback, config.network.repeat_skip is True)


def _part(d: Mapping[str, Any], config: ForecastConfig) -> Part:
    """A series' preprocessing without its rows (pass them to ``predict``)."""
    columns = tuple(d["columns"])
    empty = Series(np.zeros((0, len(columns)), np.float32), columns, None, d.get("freq"))
    means = d.get("season_means")
    targets, covariates, futures = column_roles(
        columns, config.network.covariates, config.network.future_covariates
    )
    train_end, test_start, rows = (int(v) for v in d["split"])
    return Part(
        empty,
        train_end,
        test_start,
        np.asarray(d["offset"], np.float64),
        np.asarray(d["scale"], np.float64),
        None if means is None else np.asarray(means, np.float64),
        targets,
        covariates,
        rows,
        futures,
        None if d.get("static") is None else np.asarray(d["static"], np.float64),
    )


SERIES_FILE = "series.safetensors"


def series_blob(parts: Mapping[str, Part]) -> bytes:
    """Every series' rows (values and timestamps) as safetensors bytes, so that a loaded
    Forecaster forecasts from the data it was fitted on, as the saved one did."""
    from safetensors.numpy import save as save_arrays

    arrays: dict[str, NDArray[Any]] = {}
    for k, part in enumerate(parts.values()):
        s = part.series
        arrays[f"{k}.values"] = np.ascontiguousarray(s.values, np.float32)
        if s.timestamps is not None:
            stamps = np.asarray(s.timestamps).astype("datetime64[ns]").astype(np.int64)
            arrays[f"{k}.time_ns"] = np.ascontiguousarray(stamps)
    return save_arrays(arrays, metadata={"names": json.dumps(list(parts))})


def with_series(parts: Mapping[str, Part], blob: bytes) -> dict[str, Part]:
    """``parts`` with their rows put back from :func:`series_blob`'s bytes."""
    from safetensors.numpy import load as load_arrays

    arrays = load_arrays(blob)
    out = {}
    for k, (name, part) in enumerate(parts.items()):
        values = arrays[f"{k}.values"]
        stamps = arrays.get(f"{k}.time_ns")
        times = None if stamps is None else stamps.astype("datetime64[ns]")
        series = Series(values, part.series.columns, times, part.series.freq)
        if values.shape[1] != len(part.series.columns) or len(values) != part.rows:
            raise ValueError(f"series {name!r}: saved rows do not match the fitted split")
        out[name] = replace(part, series=series)
    return out


SCORES_FILE = "interval_scores.safetensors"


def scores_blob(scores: Mapping[str, Mapping[str, Any]]) -> bytes:
    """The intervals' calibration score grids (one per level: ``n``, ``ranks``, ``values``
    (ranks, H)) as safetensors bytes: at a long horizon they are megabytes of numbers, which
    checkpoint.json should not carry as text."""
    from safetensors.numpy import save as save_arrays

    arrays: dict[str, NDArray[Any]] = {}
    for level, grid in scores.items():
        arrays[f"{level}/n"] = np.asarray([grid["n"]], np.int64)
        arrays[f"{level}/ranks"] = np.ascontiguousarray(grid["ranks"], np.int64)
        arrays[f"{level}/values"] = np.ascontiguousarray(grid["values"], np.float64)
    return save_arrays(arrays)


def read_scores(blob: bytes) -> dict[str, dict[str, Any]]:
    """The score grids of :func:`scores_blob`'s bytes, by level."""
    from safetensors.numpy import load as load_arrays

    out: dict[str, dict[str, Any]] = {}
    for key, value in load_arrays(blob).items():
        level, name = key.rsplit("/", 1)
        out.setdefault(level, {})[name] = int(value[0]) if name == "n" else value
    return out
