"""Forecast every cell of a gridded field with one global model, and map the result.

Each cell with data at every time step is one series of a global :class:`Forecaster` (its
own split, scaler and season means; shared weights). Shape key: H horizon, Y latitudes,
X longitudes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from seqlab.data.calendar import future_stamps
from seqlab.data.gridded import Grid, cell_series
from seqlab.forecasting import Evaluation, ForecastConfig, Forecaster

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["GridForecast", "forecast_grid", "plot_grid_forecast", "write_grid_run"]

F64 = NDArray[np.float64]


@dataclass
class GridForecast:
    """The fitted global model, its test evaluation over every cell, and the forecast field
    (H, Y, X) past the end of the data (NaN where a cell was left out)."""

    grid: Grid
    forecaster: Forecaster
    evaluation: Evaluation
    field: F64
    times: NDArray[np.datetime64] | None
    cells: list[tuple[int, int]]


def forecast_grid(grid: Grid, config: ForecastConfig | None = None) -> GridForecast:
    """Fit one global model over the cells of ``grid``, evaluate it on every cell's test
    rows against the baselines, and forecast ``horizon`` fields past the end."""
    named, cells = cell_series(grid)
    forecaster = Forecaster(config).fit(named)
    evaluation = forecaster.evaluate()
    horizon = forecaster.config.horizon
    field = np.full((horizon, len(grid.lat), len(grid.lon)), np.nan)
    for name, (r, c) in zip(named, cells, strict=True):
        field[:, r, c] = forecaster.predict(name=name)[0][:, 0]
    times = future_stamps(next(iter(named.values())), horizon)
    return GridForecast(grid, forecaster, evaluation, field, times, cells)


def plot_grid_forecast(
    full: Grid, result: GridForecast, *, step: int = 0, margin: float = 15.0
) -> Figure:
    """Two heat maps around the box: the last observed field, and the same field with the
    box painted with the forecast ``step`` (0: the first step past the end)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import FuncFormatter

    box = result.grid
    lat_lo, lat_hi = box.lat.min() - margin, box.lat.max() + margin
    rows = np.flatnonzero((full.lat >= lat_lo) & (full.lat <= lat_hi))
    order = np.argsort(full.lat[rows])
    rows = rows[order]
    lon360 = full.lon % 360
    west, east = box.lon[0] % 360, box.lon[-1] % 360
    span = (east - west) % 360
    offset = (lon360 - (west - margin)) % 360  # degrees east of the map's west edge
    cols = np.flatnonzero(offset <= span + 2 * margin)
    cols = cols[np.argsort(offset[cols])]
    x = west - margin + offset[cols]  # continuous longitudes across the meridian
    y = full.lat[rows]
    last = full.values[-1][np.ix_(rows, cols)]
    painted = last.copy()
    box_rows = {float(v): k for k, v in enumerate(y)}
    box_cols = {float(v % 360): k for k, v in enumerate(full.lon[cols])}
    for r, c in result.cells:
        rr, cc = box_rows.get(float(box.lat[r])), box_cols.get(float(box.lon[c] % 360))
        if rr is not None and cc is not None:
            painted[rr, cc] = result.field[step, r, c]
    finite = np.concatenate([last[np.isfinite(last)], painted[np.isfinite(painted)]])
    vmin, vmax = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    when = str(full.times[-1])[:10]
    ahead = str(result.times[step])[:10] if result.times is not None else f"step {step + 1}"
    units = f" ({full.units})" if full.units else ""
    dx = float(np.median(np.diff(box.lon))) if len(box.lon) > 1 else 1.0
    dy = float(np.median(np.abs(np.diff(box.lat)))) if len(box.lat) > 1 else 1.0
    mesh = None
    for ax, field, title in (
        (axes[0], last, f"last field, {when}"),
        (axes[1], painted, f"box painted with the forecast for {ahead}"),
    ):
        mesh = ax.pcolormesh(x, y, field, shading="nearest", vmin=vmin, vmax=vmax, cmap="RdYlBu_r")
        ax.add_patch(
            Rectangle(
                (west - dx / 2, box.lat.min() - dy / 2),
                span + dx,
                box.lat.max() - box.lat.min() + dy,
                fill=False,
                edgecolor="black",
                linewidth=1.5,
            )
        )
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel("longitude (°E)")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{(v + 180) % 360 - 180:g}"))
    axes[0].set_ylabel("latitude (°N)")
    if mesh is not None:
        fig.colorbar(mesh, ax=axes, label=f"{full.name}{units}")
    return fig


def write_grid_run(full: Grid, result: GridForecast, out: str | Path) -> dict[str, Path]:
    """The run folder of :func:`seqlab.reporting.write_forecast_run` (one series per cell),
    plus ``forecast_field.csv`` (time, lat, lon, value) and ``grid.png``."""
    from seqlab.data.csvio import write_rows_csv
    from seqlab.plots import save_figure
    from seqlab.reporting import write_forecast_run

    out = Path(out)
    paths = write_forecast_run(result.forecaster, result.evaluation, out)
    rows: list[list[object]] = []
    box = result.grid
    for h in range(result.field.shape[0]):
        when = str(result.times[h])[:10] if result.times is not None else f"step {h + 1}"
        for r, c in result.cells:
            rows.append([when, float(box.lat[r]), float(box.lon[c]), float(result.field[h, r, c])])
    paths["field"] = out / "forecast_field.csv"
    write_rows_csv(paths["field"], ["time", "lat", "lon", box.name], rows)
    paths["grid.png"] = save_figure(plot_grid_forecast(full, result), out / "grid.png")
    return paths
