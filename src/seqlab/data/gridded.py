"""Gridded fields from netCDF files: a (time, lat, lon) variable, a lat/lon box, annual means.

Reading needs the optional ``netcdf`` extra (xarray, and h5netcdf for netCDF-4 files):
``pip install 'seqlab[netcdf]'``. Shape key: T time, Y latitudes, X longitudes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab.data.sources import Series, infer_freq
from seqlab.errors import DataError

__all__ = ["Grid", "annual_means", "cell_series", "load_netcdf", "select_box"]

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
        gridded = [
            str(n)
            for n, v in ds.data_vars.items()
            if any(d.lower() in LAT_NAMES for d in v.dims)
            and any(d.lower() in LON_NAMES for d in v.dims)
        ]
        if variable is None:
            if len(gridded) != 1:
                raise DataError(
                    f"{path} holds {len(gridded)} gridded variables ({', '.join(gridded)}); "
                    "name one"
                )
            variable = gridded[0]
        if variable not in ds.data_vars:
            raise DataError(
                f"no variable {variable!r} in {path}; gridded variables: {', '.join(gridded)}"
            )
        var = ds[variable]
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
        var = var.isel({d: 0 for d in extra}).transpose(t, y, x)
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
