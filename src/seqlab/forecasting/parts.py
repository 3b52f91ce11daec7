"""The rows of each series of a Forecaster: its split, column roles and preprocessing, and
the windows cut from it. Shape key: T rows, F columns (targets first, then past covariates),
P future-known covariates, O targets, K calendar features (2K columns), N windows,
L lookback, H horizon.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab.data.calendar import calendar_features, season_index
from seqlab.data.scaling import StandardScaler
from seqlab.data.seasonality import seasonality_p_value
from seqlab.data.sources import Series
from seqlab.data.windows import ahead_index, lookback_index
from seqlab.errors import DataError
from seqlab.forecasting.config import ForecastConfig

__all__ = [
    "Part",
    "column_roles",
    "features",
    "make_part",
    "season_choice",
    "split_rows",
    "windows",
]

log = logging.getLogger(__name__)
F64 = NDArray[np.float64]
F32 = NDArray[np.float32]


@dataclass(frozen=True)
class Part:
    """One series of a (possibly global) Forecaster: its rows, split and preprocessing."""

    series: Series
    train_end: int
    test_start: int
    offset: F64  # (F,) scaler fitted on the training rows, every column
    scale: F64
    season_means: F64 | None  # (period, F) training-row means per season
    targets: list[int]  # column positions of the targets
    covariates: list[int]  # and of the past covariates
    rows: int | None = None  # the series' length when fitted (None: len(series))
    futures: list[int] = field(default_factory=list)  # and of the future-known covariates
    static: F64 | None = None  # (S,) the encoded static covariates of this series

    def to_dict(self) -> dict[str, Any]:
        s = self.series
        return {
            "columns": list(s.columns),
            "freq": s.freq,
            "split": [self.train_end, self.test_start, self.rows or len(s)],
            "offset": self.offset.tolist(),
            "scale": self.scale.tolist(),
            "season_means": None if self.season_means is None else self.season_means.tolist(),
            "static": None if self.static is None else self.static.tolist(),
        }

    @property
    def target_names(self) -> tuple[str, ...]:
        return tuple(self.series.columns[k] for k in self.targets)

    @property
    def target_values(self) -> F64:
        values: F64 = self.series.values[:, self.targets].astype(np.float64)
        return values


def split_rows(series: Series, name: str, config: ForecastConfig) -> tuple[int, int]:
    """(train_end, test_start): training rows, then validation rows, then test rows."""
    c, length = config.split, len(series)
    if c.test_rows is not None:
        test_start = length - c.test_rows
    elif c.test_start is not None:
        if series.timestamps is None:
            raise DataError("`test_start` needs a series with timestamps")
        try:
            when = np.datetime64(c.test_start)
        except ValueError:
            raise DataError(f"`test_start` {c.test_start!r} is not a date") from None
        first, last = series.timestamps[0], series.timestamps[-1]
        if not first < when <= last:
            where = f"series {name!r}" if name else "the series"
            raise DataError(
                f"`test_start` {c.test_start} lies outside {where}, which runs from "
                f"{str(first)[:10]} to {str(last)[:10]}; the test part must start after the "
                "first timestamp and no later than the last"
            )
        test_start = int(np.searchsorted(series.timestamps, when))
    else:  # a fraction: at least one horizon of test rows where the series allows it
        test_start = length - _at_least_horizon(round(length * c.test_fraction), length, c.horizon)
    # one training window with at least one real input row (a shorter history is left-padded)
    need = c.horizon + 1
    if c.val_rows is not None:
        val = c.val_rows
    else:  # a fraction: at least one validation window where the training rows allow it
        val = _at_least_horizon(round(test_start * c.val_fraction), test_start - need, c.horizon)
    train_end = test_start - val
    if train_end < need <= test_start:  # too short for a validation part: trains without one
        where = f"series {name!r}" if name else "the series"
        log.info("%s: too short for %d validation rows; trains without them", where, val)
        train_end = test_start
    test_short = c.test_rows != 0 and length - test_start < c.horizon
    if train_end < need or test_short or test_start > length:
        label = f"series {name!r} of" if name else "a series of"
        raise DataError(
            f"{label} {length} steps split at row {train_end} (train) and {test_start} "
            f"(test) is too short for `horizon` {c.horizon}: the training part needs at least "
            f"{need} steps (one forecast of `horizon` steps from at least one value; a "
            f"history shorter than `lookback` is left-padded) and the test part {c.horizon}; "
            "shorten `horizon`, or give fewer `test_rows` or `val_rows`"
        )
    return train_end, test_start


def _at_least_horizon(rows: int, room: int, horizon: int) -> int:
    """``rows`` (from a fraction), raised to one horizon when it is above 0 but fewer (no
    window would fit) and ``room`` rows leave space for a whole horizon; else ``rows``."""
    if 0 < rows < horizon <= room - 1:
        return horizon
    return rows


def column_roles(
    columns: tuple[str, ...], covariates: tuple[str, ...], futures: tuple[str, ...] = ()
) -> tuple[list[int], list[int], list[int]]:
    """Positions of the target columns, of the past covariates and of the future-known
    covariates."""
    both = sorted(set(covariates) & set(futures))
    if both:
        raise DataError(
            f"column {both[0]!r} is named as a past and as a future covariate; name it once "
            "(`future_covariates` are read over the past too)"
        )
    missing = [c for c in (*covariates, *futures) if c not in columns]
    if missing:
        raise DataError(
            f"covariate column {missing[0]!r} not found; available columns: {', '.join(columns)}"
        )
    cov = [columns.index(c) for c in covariates]
    fut = [columns.index(c) for c in futures]
    targets = [k for k in range(len(columns)) if k not in cov and k not in fut]
    if not targets:
        raise DataError(
            f"every column ({', '.join(columns)}) is a covariate; leave at least one to forecast"
        )
    return targets, cov, fut


def make_part(
    series: Series,
    split: tuple[int, int],
    config: ForecastConfig,
    season_period: int | None,
    static: F64 | None = None,
) -> Part:
    """The series with its ``split`` (:func:`split_rows`); the scaler, and with a
    ``season_period`` the mean of each season, fitted on the training rows only."""
    train_end, test_start = split
    targets, covariates, futures = column_roles(
        series.columns, config.network.covariates, config.network.future_covariates
    )
    values = series.values.astype(np.float64)
    means = None
    if season_period:
        seasons = season_index(series, season_period)
        train, train_seasons = values[:train_end], seasons[:train_end]
        overall = train.mean(axis=0)  # for a season with no training row (a short series)
        means = np.stack(
            [
                train[train_seasons == k].mean(axis=0) if (train_seasons == k).any() else overall
                for k in range(season_period)
            ]
        )
        values = values - means[seasons]
    scaler = StandardScaler().fit(values[:train_end])
    assert scaler.offset_ is not None and scaler.scale_ is not None
    return Part(
        series,
        train_end,
        test_start,
        scaler.offset_,
        scaler.scale_,
        means,
        targets,
        covariates,
        futures=futures,
        static=static,
    )


def features(
    part: Part,
    series: Series,
    period: int | None,
    calendar: tuple[str, ...],
    extra: int = 0,
    ahead: F64 | None = None,
) -> tuple[F64, F64 | None, NDArray[np.int64] | None]:
    """Model inputs of every row of ``series``: scaled anomalies, targets first, then past
    covariates (T, F); the known-future block (T + extra, P + S + 2K): the future-known
    covariates, scaled the same way, the encoded static covariates at every row, then the
    calendar features, or None without any;
    the season of each row (T + extra) or None. The future-known covariates' ``extra`` rows
    past the end are ``ahead`` (extra, P; model units) or NaN when not given."""
    if series.columns != part.series.columns:
        raise DataError(
            f"expected a series with columns {list(part.series.columns)}, "
            f"got {list(series.columns)}"
        )
    values = series.values.astype(np.float64)
    if part.futures and extra:  # rows past the end: the future-known values, else NaN
        later = np.full((extra, values.shape[1]), np.nan)
        if ahead is not None:
            later[:, part.futures] = ahead[:extra]
        values = np.concatenate([values, later])
    seasons = None
    if part.season_means is not None:
        assert period is not None
        seasons = season_index(series, period, extra=extra)
        values = values - part.season_means[seasons[: len(values)]]
    scaled = (values - part.offset) / part.scale
    block = [scaled[:, part.futures]] if part.futures else []
    if part.static is not None and part.static.size:  # the same at every row
        block.append(np.repeat(part.static[None, :], len(series) + extra, axis=0))
    if calendar:
        block.append(calendar_features(series, calendar, extra))
    rows = len(series)
    known = np.concatenate(block, axis=1) if block else None
    return scaled[:rows, part.targets + part.covariates], known, seasons


def windows(
    scaled: F64,
    calendar: F64 | None,
    origins: NDArray[np.int64],
    lookback: int,
    horizon: int,
    targets: int,
) -> tuple[F32, F32 | None, F32 | None]:
    """Inputs (N, L, F + 2K); targets (N, H, O) if those rows exist, else None; future
    calendar features (N, H, 2K) or None."""
    past = lookback_index(origins, lookback)  # (N, L), left-padded before the first row
    ahead = ahead_index(origins, horizon)  # (N, H)
    x = scaled[past]
    future = None
    if calendar is not None:
        x = np.concatenate([x, calendar[past]], axis=-1)  # (N, L, F) -> (N, L, F + 2K)
        future = calendar[ahead].astype(np.float32)
    inside = ahead.size == 0 or ahead.max() < len(scaled)
    y = scaled[ahead][..., :targets].astype(np.float32) if inside else None
    return x.astype(np.float32), y, future


SEASONALITY_LEVEL = 0.01  # deseasonalize="auto" removes season means below this p-value


def season_choice(
    named: Mapping[str, Series],
    ends: Mapping[str, int],
    period: int | None,
    config: ForecastConfig,
) -> tuple[bool, float | None]:
    """(whether to remove season means, the seasonality test's p-value or None): as
    ``deseasonalize`` says, or with "auto" by a permutation test on the training rows (each
    series' first ``ends[name]`` rows)."""
    choice = config.split.deseasonalize
    if choice != "auto" or not period:
        return bool(choice) and bool(period), None
    p = seasonality_p_value(
        [s.values[: ends[n]] for n, s in named.items()],
        [season_index(s, period)[: ends[n]] for n, s in named.items()],
        period,
        permutations=199,
        seed=config.training.seed,
    )
    return p < SEASONALITY_LEVEL, p
