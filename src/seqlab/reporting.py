"""A forecast run folder: checkpoint, metrics, forecast and backtest tables, plots, and the
table printed to the user. Every file is written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seqlab._io import atomic_write_bytes
from seqlab.data.csvio import write_rows_csv
from seqlab.forecasting import Evaluation, Forecaster
from seqlab.plots import plot_error_by_step, plot_forecast, plot_loss, save_figure

__all__ = ["format_evaluation", "write_forecast_run"]


def format_evaluation(ev: Evaluation) -> str:
    """Ours against every baseline on the same test windows, best first, and a verdict."""
    order = sorted(ev.metrics, key=lambda m: ev.metrics[m]["rmse"])
    best = ev.best_baseline
    rows = [("method", "RMSE", "MAE", "MASE", "sMAPE %", "skill vs best baseline")]
    for name in order:
        m = ev.metrics[name]
        skill = 1.0 - m["rmse"] / ev.metrics[best]["rmse"]
        label = f"{name} (ours)" if name == "model" else name
        rows.append(
            (
                label,
                f"{m['rmse']:.4g}",
                f"{m['mae']:.4g}",
                f"{m['mase']:.3f}",
                f"{m['smape']:.2f}",
                f"{skill:+.1%}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"{len(ev.origins)} test windows; {ev.verdict()}")
    return "\n".join(lines)


def write_forecast_run(forecaster: Forecaster, ev: Evaluation, out: str | Path) -> dict[str, Path]:
    """Write the run folder; returns what went where."""
    out = Path(out)
    series, _ = forecaster._fitted()
    assert forecaster.split is not None
    forecast, stamps = forecaster.predict()
    paths = {"checkpoint": forecaster.save(out / "model")}
    metrics: dict[str, Any] = {
        "metrics": ev.metrics,
        "rmse_by_step": ev.rmse_by_step,
        "rmse_by_column_step": ev.rmse_by_column_step,
        "best_baseline": ev.best_baseline,
        "verdict": ev.verdict(),
        "test_windows": len(ev.origins),
        "columns": list(series.columns),
        "split": list(forecaster.split),
    }
    paths["metrics"] = out / "metrics.json"
    atomic_write_bytes(paths["metrics"], json.dumps(metrics, indent=2).encode())
    when = (
        [str(t)[:19] for t in stamps]
        if stamps is not None
        else list(range(len(series), len(series) + len(forecast)))
    )
    paths["forecast"] = out / "forecast.csv"
    write_rows_csv(
        paths["forecast"],
        ["time", *series.columns],
        [[w, *map(float, row)] for w, row in zip(when, forecast, strict=True)],
    )
    paths["backtest"] = out / "backtest.csv"
    write_rows_csv(paths["backtest"], *_backtest_rows(series.timestamps, series.columns, ev))
    test_start = forecaster.split[1]
    figures = {
        "forecast.png": plot_forecast(
            series.timestamps,
            series.values,
            series.columns,
            forecast,
            stamps,
            test_start=test_start,
        ),
        "loss.png": plot_loss(forecaster.history.epochs if forecaster.history else []),
        "error_by_step.png": plot_error_by_step(ev.rmse_by_step),
    }
    for name, fig in figures.items():
        paths[name] = save_figure(fig, out / name)
    return paths


def _backtest_rows(
    stamps: Any, columns: tuple[str, ...], ev: Evaluation
) -> tuple[list[str], list[list[object]]]:
    """One row per test window, horizon step and column: truth, ours, every baseline."""
    methods = list(ev.forecasts)
    header = ["origin", "step", "time", "column", "truth", *methods]
    rows: list[list[object]] = []
    horizon = ev.truth.shape[1]
    for n, origin in enumerate(ev.origins):
        for h in range(horizon):
            t = int(origin) + h
            when = str(stamps[t])[:19] if stamps is not None else t
            for f, name in enumerate(columns):
                rows.append(
                    [
                        int(origin),
                        h + 1,
                        when,
                        name,
                        float(ev.truth[n, h, f]),
                        *(float(ev.forecasts[m][n, h, f]) for m in methods),
                    ]
                )

    return header, rows
