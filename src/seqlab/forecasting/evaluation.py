"""A fitted Forecaster on its test rows: every test window (stride 1) of every series, the
chosen method against the network alone and every baseline on the same windows, with the
calibrated (and, with ``interval_method="adaptive"``, adapting) bands. Reads only: nothing
fitted is changed. Shape key: N windows, H horizon, F target columns, Q quantiles."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from seqlab.data.windows import ahead_index
from seqlab.errors import DataError
from seqlab.forecasting.calibration import Window
from seqlab.forecasting.predictor import Predictor, middle
from seqlab.forecasting.results import (
    Block,
    Evaluation,
    add_intervals,
    evaluation_from_blocks,
    in_data_units,
)
from seqlab.forecasting.selection import MODEL
from seqlab.forecasting.state import FittedState

__all__ = ["evaluate", "final_radii", "windows_to_end"]

F64 = NDArray[np.float64]


def evaluate(predictor: Predictor, state: FittedState) -> Evaluation:
    """Every test window of every series: ours against every baseline on the same windows.
    Metrics are averaged over series and columns with equal weight."""
    c, parts = state.config, state.parts
    if all(len(p.series) - p.test_start < c.split.horizon for p in parts.values()):
        raise DataError("no test rows to evaluate on (test_rows=0); use predict()")
    blocks, intervals, tested = [], {}, {}
    chosen = state.selection.chosen
    for name, part in parts.items():
        values = part.target_values
        origins = np.arange(part.test_start, len(values) - c.split.horizon + 1, c.split.stride)
        if not len(origins):  # a series without a test part
            continue
        truth = values[ahead_index(origins, c.split.horizon)]
        raw = predictor.network_forecasts(name, part.series, origins)
        forecasts = {MODEL: middle(raw, c.network.quantiles)}
        exog = predictor.exog(name, part.series)
        forecasts.update(predictor.baselines(name, values, origins, exog=exog))
        if chosen.name not in forecasts:  # the combination, of forecasts already made here
            forecasts[chosen.name] = chosen.forecast(forecasts[MODEL], forecasts)
        raw = predictor.centre(raw, forecasts[chosen.name])
        quantile_bands = raw if raw.ndim == 4 else None
        blocks.append(
            Block(name, origins, truth, forecasts, values[: part.train_end], quantile_bands)
        )
        tested[name] = Window(origins, truth, raw, forecasts[chosen.name])  # for the bands
    scales = dict(state.prepared.scales or {})
    reached: dict[str, object] = {}
    conformal = state.intervals
    if conformal:  # around the forecasts already made: no re-forecast
        adapted: dict[str, dict[str, F64]] = {}
        if conformal.adapts:
            starts = {n: parts[n].test_start for n in tested}
            adapted, reached = conformal.adaptive(tested, starts, scales)
        for name, w in tested.items():
            intervals[name] = conformal.bands(w.raw, w.point, scales[name], adapted.get(name))
    period = state.prepared.period
    if c.split.log:  # every number of the evaluation in the data's own units
        blocks, intervals, scales = in_data_units(blocks, intervals, period, np.exp)
    evaluation = evaluation_from_blocks(blocks, period, c.network.quantiles)
    evaluation.selected = chosen.name
    if conformal:
        add_intervals(evaluation, blocks, intervals, scales, c.intervals.levels)
        for key, share in reached.items():  # what adaptation reached over the test windows
            evaluation.intervals[key]["adapted"] = share
    return evaluation


def windows_to_end(predictor: Predictor) -> dict[str, Window]:
    """Per series with a test part, the chosen method's forecasts at every test origin (and
    from each to the end of the data: truth NaN where not yet known)."""
    h, out = predictor.config.split.horizon, {}
    for name, part in predictor.prepared.parts.items():
        values = part.target_values
        last = len(values) - (h if part.futures else 0)  # future-known values end with the data
        origins = np.arange(part.test_start, last + 1, predictor.config.split.stride)
        if len(origins) < 2:
            continue
        rows = ahead_index(origins, h)
        inside = rows < len(values)
        truth = np.where(inside[..., None], values[np.minimum(rows, len(values) - 1)], np.nan)
        raw, point = predictor.forecasts(name, part.series, origins)
        out[name] = Window(origins, truth, raw, point)
    return out


def final_radii(predictor: Predictor, state: FittedState) -> dict[str, dict[str, F64]]:
    """With adaptive intervals and test rows: per series and level the radius (1, H, F) that
    adaptation reached after every test window, for the forecast past the end ({} else)."""
    conformal = state.intervals
    if conformal is None or not conformal.adapts:
        return {}
    windows = windows_to_end(predictor)
    if not windows:
        return {}
    starts = {n: state.parts[n].test_start for n in windows}
    scales = dict(state.prepared.scales or {})
    adapted = conformal.adaptive(windows, starts, scales)[0]
    return {n: {k: r[-1:] for k, r in d.items()} for n, d in adapted.items()}
