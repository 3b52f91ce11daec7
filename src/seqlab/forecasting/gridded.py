"""Gridded fields: read a (time, lat, lon) variable from netCDF, cut a lat/lon box, take
annual means, then forecast every cell with one global model and map the result.

Reading needs the optional ``netcdf`` extra (xarray, and h5netcdf for netCDF-4 files):
``pip install 'seqlab[netcdf]'``. Each cell with data at every time step is one series of a
global :class:`Forecaster` (its own split, scaler and season means; shared weights).
Shape key: T time, H horizon, Y latitudes, X longitudes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from seqlab.data.calendar import future_stamps
from seqlab.data.frequency import infer_freq
from seqlab.data.sources import Series
from seqlab.errors import DataError
from seqlab.forecasting.config import ForecastConfig
from seqlab.forecasting.forecaster import Forecaster
from seqlab.forecasting.results import Evaluation

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "Grid",
    "GridForecast",
    "annual_means",
    "cell_series",
    "forecast_grid",
    "load_netcdf",
    "plot_grid_forecast",
    "select_box",
    "write_grid_run",
]

F64 = NDArray[np.float64]
TIME_NAMES = ("time", "t", "date", "year", "month")
LAT_NAMES = ("lat", "latitude", "y", "nav_lat")
LON_NAMES = ("lon", "longitude", "x", "nav_lon")


@dataclass(frozen=True)
class Grid:
    """``values`` (T, Y, X) with NaN where there is no data (land), the timestamps, the
    latitudes and longitudes (degrees; longitudes as in the file), the variable's name and
    units, and what was done to it."""

    values: F64
    times: NDArray[np.datetime64]
    lat: F64
    lon: F64
    name: str = "value"
    units: str | None = None
    freq: str | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        shape = (len(self.times), len(self.lat), len(self.lon))
        if self.values.shape != shape:
            raise DataError(
                f"a Grid's values must have shape (time, lat, lon) = {shape}, "
                f"got {self.values.shape}"
            )


def _xarray() -> Any:
    try:
        import xarray
    except ImportError:
        raise DataError(
            "reading netCDF files needs xarray and h5netcdf: pip install 'seqlab[netcdf]'"
        ) from None
    return xarray


def _find(names: tuple[str, ...], dims: tuple[str, ...], what: str, var: str) -> str:
    for d in dims:
        if d.lower() in names:
            return d
    raise DataError(
        f"variable {var!r} has dimensions {dims}; none looks like {what} "
        f"(expected one of {', '.join(names)})"
    )


def load_netcdf(path: str | Path, variable: str | None = None) -> Grid:
    """Read a (time, lat, lon) variable; size-one extra dimensions (depth, level) are dropped.

    With no ``variable`` the file must hold exactly one variable with time, lat and lon axes.
    """
    xr = _xarray()
    path = Path(path)
    if not path.is_file():
        raise DataError(f"netCDF file not found: {path}")
    try:
        ds = xr.open_dataset(path)
    except Exception as exc:  # xarray raises many kinds; each means "cannot read it"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path} is not a readable netCDF file: {first}") from None
    with ds:
        variable = _gridded_variable(ds, variable, path)
        var, (t, y, x) = _time_lat_lon(ds[variable], variable)
        times = np.asarray(var[t].values)
        if not np.issubdtype(times.dtype, np.datetime64):
            raise DataError(
                f"the time axis {t!r} of {path} does not decode to dates (got {times.dtype}); "
                "it needs CF units such as 'days since 1800-01-01'"
            )
        values = np.asarray(var.values, dtype=np.float64)
        lat = np.asarray(var[y].values, dtype=np.float64)
        lon = np.asarray(var[x].values, dtype=np.float64)
        units = var.attrs.get("units")
    if len(times) > 1 and (np.diff(times) <= np.timedelta64(0)).any():
        k = int(np.argmax(np.diff(times) <= np.timedelta64(0))) + 1
        raise DataError(f"the times of {path} are not increasing at position {k}: {times[k]}")
    return Grid(
        values,
        times.astype("datetime64[ns]"),
        lat,
        lon,
        variable,
        None if units is None else str(units),
        infer_freq(times),
    )


def _gridded_variable(ds: Any, variable: str | None, path: Path) -> str:
    """``variable``, or the one variable of ``ds`` with latitude and longitude axes."""
    gridded = [
        str(n)
        for n, v in ds.data_vars.items()
        if any(d.lower() in LAT_NAMES for d in v.dims)
        and any(d.lower() in LON_NAMES for d in v.dims)
    ]
    if variable is None:
        if len(gridded) != 1:
            raise DataError(
                f"{path} holds {len(gridded)} gridded variables ({', '.join(gridded)}); name one"
            )
        return gridded[0]
    if variable not in ds.data_vars:
        raise DataError(
            f"no variable {variable!r} in {path}; gridded variables: {', '.join(gridded)}"
        )
    return variable


def _time_lat_lon(var: Any, variable: str) -> tuple[Any, tuple[str, str, str]]:
    """``var`` as (time, lat, lon), size-one extra dimensions dropped, and those axes' names."""
    dims = tuple(str(d) for d in var.dims)
    t, y, x = (
        _find(TIME_NAMES, dims, "time", variable),
        _find(LAT_NAMES, dims, "latitude", variable),
        _find(LON_NAMES, dims, "longitude", variable),
    )
    extra = [d for d in dims if d not in (t, y, x)]
    bigger = [d for d in extra if var.sizes[d] != 1]
    if bigger:
        raise DataError(
            f"variable {variable!r} has a dimension {bigger[0]!r} of size "
            f"{var.sizes[bigger[0]]} besides time, lat and lon; select one level first"
        )
    return var.isel({d: 0 for d in extra}).transpose(t, y, x), (t, y, x)


def select_box(grid: Grid, lat: tuple[float, float], lon: tuple[float, float]) -> Grid:
    """The cells with ``lat[0] <= latitude <= lat[1]`` and longitude in ``lon`` (degrees).

    Longitudes may be given in -180..180 or 0..360 whatever the file uses; a box whose
    west edge is east of its east edge crosses the 180° (or 0°) meridian.
    """
    lo, hi = sorted(lat)
    rows = np.flatnonzero((grid.lat >= lo) & (grid.lat <= hi))
    west, east = (v % 360 for v in lon)
    cell_lon = grid.lon % 360
    inside = (
        (cell_lon >= west) & (cell_lon <= east)
        if west <= east
        else (cell_lon >= west) | (cell_lon <= east)
    )
    cols = np.flatnonzero(inside)
    if not len(rows) or not len(cols):
        raise DataError(
            f"the box lat {lat}, lon {lon} holds no grid cell; the grid spans lat "
            f"{grid.lat.min():g}..{grid.lat.max():g}, lon {grid.lon.min():g}..{grid.lon.max():g}"
        )
    if west > east:  # keep the box's cells in west-to-east order across the meridian
        cols = cols[np.argsort((cell_lon[cols] - west) % 360, kind="stable")]
    values = grid.values[:, rows][:, :, cols]
    note = f"box lat {lo:g}..{hi:g}, lon {lon[0]:g}..{lon[1]:g}: {len(rows)}x{len(cols)} cells"
    return replace(
        grid, values=values, lat=grid.lat[rows], lon=grid.lon[cols], notes=(*grid.notes, note)
    )


def annual_means(grid: Grid) -> Grid:
    """Calendar-year means of monthly fields, each month weighted by its number of days.

    Only complete years (all 12 months present) are kept; the years dropped are named in
    the notes. A cell missing in any month of a year is missing for that year.
    """
    import pandas as pd

    index = pd.DatetimeIndex(grid.times)
    if grid.freq is None or not grid.freq.startswith("M"):
        raise DataError(
            f"annual means need monthly fields, one per month; these have frequency {grid.freq!r}"
        )
    years = index.year.to_numpy()
    days = index.days_in_month.to_numpy().astype(np.float64)
    kept, dropped, means = [], [], []
    for year in np.unique(years):
        rows = years == year
        if rows.sum() != 12:
            dropped.append(f"{year} ({rows.sum()} months)")
            continue
        weights = days[rows] / days[rows].sum()
        means.append(np.tensordot(weights, grid.values[rows], axes=1))  # NaN stays NaN
        kept.append(np.datetime64(f"{year}-01-01", "ns"))
    if not kept:
        raise DataError("no complete calendar year (12 months) in the grid")
    notes = [*grid.notes, "annual means (days-weighted, calendar years)"]
    if dropped:
        notes.append(f"incomplete years dropped: {', '.join(dropped)}")
    return replace(
        grid,
        values=np.stack(means),
        times=np.asarray(kept),
        freq="YS-JAN",
        notes=tuple(notes),
    )


def cell_series(grid: Grid) -> tuple[dict[str, Series], list[tuple[int, int]]]:
    """One Series per cell with data at every time (land and part-time cells are left out),
    named ``lat,lon``; and the (row, column) of each in the grid."""
    complete = np.isfinite(grid.values).all(axis=0)  # (Y, X)
    if not complete.any():
        raise DataError("no grid cell has data at every time step")
    named: dict[str, Series] = {}
    where: list[tuple[int, int]] = []
    for r, c in zip(*np.nonzero(complete), strict=True):
        name = f"{grid.lat[r]:g},{grid.lon[c]:g}"
        values = grid.values[:, r, c, None].astype(np.float32)
        named[name] = Series(values, (grid.name,), grid.times, grid.freq)
        where.append((int(r), int(c)))
    return named, where


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
    horizon = forecaster.config.split.horizon
    field = np.full((horizon, len(grid.lat), len(grid.lon)), np.nan)
    for name, (r, c) in zip(named, cells, strict=True):
        field[:, r, c] = forecaster.predict_arrays(name=name)[0][:, 0]
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
    for ax, values, title in (
        (axes[0], last, f"last field, {when}"),
        (axes[1], painted, f"box painted with the forecast for {ahead}"),
    ):
        mesh = ax.pcolormesh(x, y, values, shading="nearest", vmin=vmin, vmax=vmax, cmap="RdYlBu_r")
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
    """The run folder of :func:`seqlab.forecasting.report.write_forecast_run` (one series per cell),
    plus ``forecast_field.csv`` (time, lat, lon, value) and ``grid.png``."""
    from seqlab.data.csvio import write_rows_csv
    from seqlab.forecasting.report import write_forecast_run
    from seqlab.plots import save_figure

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
