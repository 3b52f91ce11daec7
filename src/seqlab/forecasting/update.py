"""Recalibration of a fitted Forecaster on newer data (:meth:`Forecaster.update`): the
series with the rows that arrived since, every row up to its test part a training row;
the network trains on from its weights for a given number of optimizer steps; every choice
the fit made (network, lookback, combination, scalers, season means, interval calibration)
is kept. The baselines that fit (the linear AR, climatology, the classical methods) fit at
each read on the training rows, so they take the new rows in too. A new state and checkpoint
are returned; the fitted ones are not changed.

Day-ahead electricity price forecasting recalibrates its models every day on the newest
data (Lago et al. 2021); Darts' ``fit`` on a trained model and Keras' ``fit`` continue from
the weights likewise."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace

from seqlab._seed import set_seed
from seqlab.checkpoint import Checkpoint
from seqlab.data.sources import Series
from seqlab.errors import DataError
from seqlab.forecasting.networks import _members
from seqlab.forecasting.prepare import datasets, model_units
from seqlab.forecasting.state import FittedState
from seqlab.models.ensemble import Ensemble
from seqlab.training import Trainer

__all__ = ["updated"]


def updated(
    state: FittedState,
    checkpoint: Checkpoint,
    series: Mapping[str, Series],
    steps: int,
    test_rows: int = 0,
    recent_rows: int | None = None,
    lr: float | None = None,
) -> tuple[FittedState, Checkpoint]:
    """``state`` and ``checkpoint`` recalibrated on ``series`` (one per fitted series, by
    name): see :meth:`~seqlab.forecasting.forecaster.Forecaster.update`."""
    c = state.config
    _check(state, series, steps, test_rows, recent_rows, lr)
    parts = {}
    for name, part in state.parts.items():
        rows = model_units(series[name], c)
        end = len(rows) - test_rows
        parts[name] = replace(part, series=rows, train_end=end, test_start=end, rows=None)
    prepared = replace(state.prepared, parts=parts)
    if not steps:  # the new split alone: the baselines fit on the new training rows
        return replace(state, prepared=prepared), checkpoint
    model = copy.deepcopy(checkpoint.model)
    members = _members(model)
    lookbacks = (
        model.config.lookbacks
        if isinstance(model, Ensemble) and model.config.lookbacks
        else (state.network.lookback,) * len(members)
    )
    windows = {
        lb: datasets(prepared, c, lb, refit=True, recent=recent_rows)[0] for lb in set(lookbacks)
    }
    rows_seen = sum(len(p.series) for p in parts.values())
    for k, (member, lookback) in enumerate(zip(members, lookbacks, strict=True)):
        seed = c.training.seed + k + rows_seen  # a new batch order at each update
        set_seed(seed)
        tc = replace(
            c.train_config(seed, False),
            epochs=steps,  # at least one step an epoch: max_steps ends it
            max_steps=steps,
            lr=c.training.lr if lr is None else lr,
            progress=False,
        )
        Trainer(tc).fit(member, windows[lookback], None)
    return replace(state, prepared=prepared), replace(checkpoint, model=model)


def _check(
    state: FittedState,
    series: Mapping[str, Series],
    steps: int,
    test_rows: int,
    recent_rows: int | None,
    lr: float | None,
) -> None:
    """Clear errors for what :func:`updated` cannot use."""
    h = state.config.split.horizon
    for label, value, least in (("steps", steps, 0), ("test_rows", test_rows, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise DataError(f"`{label}` must be an integer of at least {least}, got {value!r}")
    if recent_rows is not None and (
        isinstance(recent_rows, bool) or not isinstance(recent_rows, int) or recent_rows < h
    ):
        raise DataError(
            f"`recent_rows` must be None or an integer of at least the horizon ({h}), got "
            f"{recent_rows!r}"
        )
    if lr is not None and not (isinstance(lr, int | float) and lr > 0):
        raise DataError(f"`lr` must be a positive number, got {lr!r}")
    if set(series) != set(state.parts):
        raise DataError(
            f"update needs the series this Forecaster was fitted on ({sorted(state.parts)}), "
            f"got {sorted(series)}"
        )
    for name, part in state.parts.items():
        new = series[name]
        if not isinstance(new, Series):
            raise TypeError(f"expected a seqlab Series for {name!r}, got {type(new).__name__}")
        if tuple(new.columns) != tuple(part.series.columns):
            raise DataError(
                f"update needs the columns the fit had ({', '.join(part.series.columns)}), "
                f"got {', '.join(new.columns)}"
            )
        if len(new) - test_rows < h + 1:
            raise DataError(
                f"update needs at least {h + 1} rows before the {test_rows} test rows, got "
                f"{len(new) - test_rows} of {len(new)}"
            )
