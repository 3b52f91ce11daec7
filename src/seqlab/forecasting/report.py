"""A forecast run folder: checkpoint, metrics, forecast and test-window tables, plots, and the
table printed to the user. Every file is written atomically."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab._io import atomic_write_bytes
from seqlab.data.csvio import write_rows_csv
from seqlab.forecasting import Evaluation, Forecaster
from seqlab.forecasting.frames import forecast_table
from seqlab.forecasting.html import GATES_PNG, write_report
from seqlab.forecasting.parts import features, windows
from seqlab.forecasting.results import format_evaluation
from seqlab.plots import (
    plot_error_by_step,
    plot_forecast,
    plot_loss,
    plot_series_forecasts,
    save_figure,
)

MAX_PANELS = 6  # forecast.png draws the first few series of a multi-series run

F64 = NDArray[np.float64]

__all__ = ["format_evaluation", "write_forecast_run"]


def write_forecast_run(
    forecaster: Forecaster,
    ev: Evaluation | None,
    out: str | Path,
    run: Mapping[str, Any] | None = None,
    future: Mapping[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the run folder; returns what went where. ``ev`` is None when there are no test
    rows (``test_rows=0``): then only the model, the forecast and the selection are written.
    ``run`` (e.g. the data and the command) is recorded in metrics.json for the report;
    ``future``: per series the future-known covariates' next values (see ``predict``)."""
    out = Path(out)
    paths = {"checkpoint": forecaster.save(out / "model")}
    parts = forecaster.parts
    if ev is None:
        paths["metrics"] = out / "metrics.json"
        info = {
            "run": dict(run or {}),
            "covariates": _covariates(forecaster),
            "selection": forecaster.selection,
            "test_windows": 0,
        }
        atomic_write_bytes(paths["metrics"], json.dumps(info, indent=2).encode())
        paths["forecast"] = _write_forecast_csv(forecaster, out, future)
        paths["report"] = write_report(out)
        return paths
    metrics: dict[str, Any] = {
        "run": dict(run or {}),
        "metrics": ev.metrics,
        "rmse_by_step": ev.rmse_by_step,
        "rmse_by_column_step": ev.rmse_by_column_step,
        "best_baseline": ev.best_baseline,
        "verdict": ev.verdict(),
        "test_windows": len(ev.origins),
        "series": {name or "series": p.to_dict()["split"] for name, p in parts.items()},
        "coverage": ev.coverage,
        "intervals": {"calibration": _calibration(forecaster), "test": ev.intervals},
        "covariates": _covariates(forecaster),
        "selection": forecaster.selection,
    }
    paths["metrics"] = out / "metrics.json"
    atomic_write_bytes(paths["metrics"], json.dumps(metrics, indent=2).encode())
    paths["forecast"] = _write_forecast_csv(forecaster, out, future)
    paths["test_windows"] = out / "test_windows.csv"
    write_rows_csv(paths["test_windows"], *_test_window_rows(forecaster, ev))
    for name, fig in _figures(forecaster, ev, future or {}).items():
        paths[name] = save_figure(fig, out / name)
    paths["report"] = write_report(out)
    return paths


def _covariates(forecaster: Forecaster) -> dict[str, list[str]]:
    """What the network read besides the targets, by kind (baselines that read none of it
    are named in the selection's ``ignored``)."""
    c = forecaster.config
    return {
        "past": list(c.network.covariates),
        "future": list(c.network.future_covariates),
        "static": list(c.network.static_covariates),
        "calendar": list(forecaster.calendar),
    }


def _calibration(forecaster: Forecaster) -> dict[str, Any]:
    found = forecaster.intervals
    return {k: found[k] for k in ("method", "windows", "radii") if k in found}


def _write_forecast_csv(
    forecaster: Forecaster, out: Path, future: Mapping[str, Any] | None
) -> Path:
    path = out / "forecast.csv"
    write_rows_csv(path, *forecast_table(forecaster, None, future))
    return path


def _figures(forecaster: Forecaster, ev: Evaluation, future: Mapping[str, Any]) -> dict[str, Any]:
    parts, qs = forecaster.parts, forecaster.config.network.quantiles or ()
    figures = {
        "loss.png": plot_loss(forecaster.history.epochs if forecaster.history else []),
        "error_by_step.png": plot_error_by_step(ev.rmse_by_step),
    }
    if len(parts) == 1:
        name, part = next(iter(parts.items()))
        s = part.series
        forecast, stamps = forecaster.predict_arrays(future=future.get(name))
        band = forecaster.predict_quantiles(future=future.get(name)) if qs else None
        figures["forecast.png"] = plot_forecast(
            s.timestamps,
            forecaster._data_units(part.target_values),  # the data's units (undoes log)
            forecaster.targets,
            forecast,
            stamps,
            test_start=part.test_start,
            band=None if band is None else (band[..., 0], band[..., -1]),
            test_forecasts=_test_forecasts(ev, forecaster.config.split.horizon),
        )
    else:  # one panel per series (the first few), its first target
        panels = []
        for name, part in list(parts.items())[:MAX_PANELS]:
            forecast, stamps = forecaster.predict_arrays(name=name, future=future.get(name))
            values = forecaster._data_units(part.target_values)[:, 0]
            panels.append((name, part.series.timestamps, values, forecast[:, 0], stamps))
        figures["forecast.png"] = plot_series_forecasts(panels, more=len(parts) - len(panels))
    gate_figure = _gate_figure(forecaster)
    if gate_figure is not None:
        figures[GATES_PNG] = gate_figure
    return figures


def _gate_figure(forecaster: Forecaster) -> Any:
    """Gate activity of the network over the last input window of the first series (the
    encoder's LSTM/GRU; for a segment model one step per segment; an ensemble's first
    member), or None for a network without gates to show."""
    from seqlab.inspect import gates
    from seqlab.models.ensemble import Ensemble
    from seqlab.models.segment import SegmentRNN
    from seqlab.plots import plot_gates

    name, part = next(iter(forecaster.parts.items()))
    lookback = forecaster.fitted.network.lookback
    scaled, calendar, _ = features(part, part.series, forecaster.period, forecaster.calendar)
    x, _, _ = windows(scaled, calendar, np.array([len(scaled)]), lookback, 0, len(part.targets))
    model = forecaster.network
    try:
        found = gates(model, x)
    except (TypeError, ValueError):
        return None
    member = model.members[0] if isinstance(model, Ensemble) else model
    label = f"series {name!r}" if name else "the series"
    if isinstance(member, SegmentRNN):  # what each recurrent step read: a segment's mean
        w, steps = member.config.segment, found.h.shape[2]
        shown = x[0, -steps * w :, :1].reshape(steps, w).mean(axis=1)[:, None]
        what = f"{steps} segments of {w} steps, first target, scaled"
    else:
        shown, what = x[0], f"{x.shape[1]} steps, scaled inputs"
    title = f"Gates over the last input window of {label} ({what})"
    return plot_gates(found, shown, title=title)


def _test_forecasts(ev: Evaluation, horizon: int, count: int = 4) -> list[tuple[int, F64]]:
    """The model's forecasts from ``count`` test origins, ``horizon`` rows apart, ending with
    the last complete window."""
    last = len(ev.origins) - 1
    picks = sorted({max(0, last - k * horizon) for k in range(count)})
    return [(int(ev.origins[i]), ev.forecasts["model"][i]) for i in picks]


def _test_window_rows(
    forecaster: Forecaster, ev: Evaluation
) -> tuple[list[str], list[list[object]]]:
    """One row per test window, horizon step and column: truth, ours, every baseline."""
    methods = list(ev.forecasts)
    header = ["series", "origin", "step", "time", "column", "truth", *methods]
    rows: list[list[object]] = []
    horizon = ev.truth.shape[1]
    for n, origin in enumerate(ev.origins):
        name = ev.names[n] if ev.names else ""
        series = forecaster.parts[name].series
        for h in range(horizon):
            t = int(origin) + h
            when = str(series.timestamps[t])[:19] if series.timestamps is not None else t
            for f, column in enumerate(forecaster.parts[name].target_names):
                rows.append(
                    [
                        name,
                        int(origin),
                        h + 1,
                        when,
                        column,
                        float(ev.truth[n, h, f]),
                        *(float(ev.forecasts[m][n, h, f]) for m in methods),
                    ]
                )
    return header, rows
