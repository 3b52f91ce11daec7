"""The first stage of a fit: everything before training. Checks the series, finds the
seasonal period and calendar features, decides whether season means are removed, and splits
and scales each series (:class:`~seqlab.forecasting.parts.Part`); also each series' lower
bounds and MASE scales. Nothing here looks at validation or test rows except to split them.
Shape key: T rows, O targets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab.data.calendar import resolve_calendar
from seqlab.data.indexed import WindowData
from seqlab.data.sources import Series, to_log
from seqlab.data.windows import first_origin
from seqlab.errors import DataError
from seqlab.forecasting.config import PERIODS, ForecastConfig
from seqlab.forecasting.floors import lower_bound
from seqlab.forecasting.parts import Part, features, make_part, season_choice, split_rows
from seqlab.forecasting.selection import mase_scale
from seqlab.forecasting.static import encode_static

__all__ = ["Prepared", "datasets", "model_units", "prepare"]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Prepared:
    """Each series' split and preprocessing (``parts``), the seasonal ``period`` and
    ``calendar`` features in use, the seasonality test's p-value, and per series the lower
    bound (O,) of each target's forecasts (``floors``: 0 or -inf) and its MASE scale (O,)
    (the training rows' seasonal-naive MAE)."""

    parts: Mapping[str, Part]
    period: int | None = None
    calendar: tuple[str, ...] = ()
    seasonality_p: float | None = None
    floors: Mapping[str, F64] | None = None
    scales: Mapping[str, F64] | None = None

    def floor(self, name: str) -> F64 | None:
        return None if self.floors is None else self.floors.get(name)

    def has_validation_rows(self, horizon: int) -> bool:
        """Whether some series keeps a validation window (one horizon of rows between its
        training and test rows; a short history before them is left-padded)."""
        return any(p.test_start - p.train_end >= horizon for p in self.parts.values())


def model_units(series: Series, config: ForecastConfig) -> Series:
    """What the network sees: the series, or its logarithm with ``log``."""
    if not config.split.log:
        return series
    if not isinstance(series, Series):
        raise TypeError(f"expected a seqlab Series, got {type(series).__name__}")
    return to_log(series)


def prepare(named: Mapping[str, Series], config: ForecastConfig, static: Any = None) -> Prepared:
    """Checks, period, calendar, the seasonality choice and each series' split and scaling;
    ``static``: the static covariates' table (see :mod:`seqlab.forecasting.static`)."""
    if not named or not all(isinstance(s, Series) for s in named.values()):
        raise TypeError(
            "expected a seqlab Series or a mapping of names to Series (see seqlab.data.sources)"
        )
    widths = {s.values.shape[1] for s in named.values()}
    if len(widths) != 1:
        raise DataError(
            f"every series of a global model needs the same columns, got widths {sorted(widths)}"
        )
    first = next(iter(named.values()))
    period = config.split.period
    if period is None and first.freq is not None:
        period = PERIODS.get(first.freq.lstrip("0123456789"))
    calendar = resolve_calendar(config.network.calendar, first.freq)
    splits = {n: split_rows(s, n, config) for n, s in named.items()}
    ends = {n: train_end for n, (train_end, _) in splits.items()}
    remove, p_value = season_choice(named, ends, period, config)
    season = period if remove else None
    vectors = _static_vectors(list(named), config, static)
    parts = {n: make_part(s, splits[n], config, season, vectors.get(n)) for n, s in named.items()}
    return Prepared(
        parts=parts,
        period=period,
        calendar=calendar,
        seasonality_p=p_value,
        floors={n: lower_bound(p, config) for n, p in parts.items()},
        scales={n: mase_scale(p.target_values[: p.train_end], period) for n, p in parts.items()},
    )


def _static_vectors(
    names: list[str], config: ForecastConfig, static: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, F64]:
    """Each series' encoded static covariates ({} without ``static_covariates``)."""
    columns = config.network.static_covariates
    if not columns:
        if static is not None:
            raise DataError("static covariates were given; name the columns to read with "
                            "`static_covariates`")  # fmt: skip
        return {}
    if static is None:
        raise DataError(f"`static_covariates` {list(columns)} need a table of one row per "
                        "series: fit(..., static=...) or --static FILE")  # fmt: skip
    return encode_static(static, names, columns)


def datasets(
    prepared: Prepared,
    config: ForecastConfig,
    lookback: int,
    refit: bool = False,
    recent: int | None = None,
) -> tuple[WindowData, WindowData | None]:
    """Training and validation windows of every part: those whose forecast steps lie in
    the training rows, and those whose forecast steps lie in the validation rows. With
    ``refit``, training windows reach to the end of the validation rows and there is no
    validation. With ``recent``, only the training windows whose forecast steps start in
    the last ``recent`` training rows. Windows are origins into one buffer of every part's
    rows (see :class:`~seqlab.data.indexed.WindowData`): memory grows with the data, not
    with windows × lookback."""
    h = config.split.horizon
    rows: list[F64] = []
    found: list[list[NDArray[np.int64]]] = [[], []]
    targets, future_from = 1, None
    for part in prepared.parts.values():
        scaled, calendar, _ = features(part, part.series, prepared.period, prepared.calendar)
        targets = len(part.targets)
        if calendar is not None:
            future_from = scaled.shape[1]
            scaled = np.concatenate([scaled, calendar], axis=1)
        rows.append(scaled)
        end = part.test_start if refit else part.train_end
        start = first_origin(end, lookback, h)  # a short series: left-padded windows
        if recent is not None:
            start = max(start, end - recent)
        bounds = ((start, end), (end, part.test_start))  # first_origin <= end - h
        for store, (first, last) in zip(found, bounds, strict=True):
            store.append(np.arange(first, last - h + 1))
    train, val = (
        WindowData.from_series(rows, origins, lookback, h, targets, future_from)
        if sum(len(o) for o in origins)
        else None
        for origins in found
    )
    if train is None:
        raise DataError(
            f"no training windows: every series is shorter than lookback + horizon "
            f"({lookback} + {h}) in its training rows"
        )
    return train, val
