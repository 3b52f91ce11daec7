"""Gridded SST from netCDF: the tests write their own small files (netCDF-4 via h5netcdf),
then read, select a box, take calendar-year means, forecast every cell and draw the map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from cli_run import TINY_FORECAST, seqlab
from seqlab import DataError
from seqlab.forecasting import ForecastConfig
from seqlab.forecasting.gridded import (
    annual_means,
    cell_series,
    forecast_grid,
    load_netcdf,
    select_box,
    write_grid_run,
)

LAT = np.array([10.0, 5.0, 0.0, -5.0, -10.0])  # descending, as many products store it
LON = np.arange(0.0, 360.0, 30.0)  # 0..330 east


def _field(months: int = 12 * 30, start: str = "1980-01-01") -> xr.Dataset:
    """Monthly SST-like field: a seasonal cycle, a slow trend, a cell-specific offset and
    land (NaN) at one cell; the depth axis has size one."""
    rng = np.random.default_rng(0)
    times = pd.date_range(start, periods=months, freq="MS")
    t = np.arange(months)[:, None, None]
    base = 25 - 0.1 * np.abs(LAT)[None, :, None] + 0.01 * LON[None, None, :]
    values = base + 2 * np.sin(2 * np.pi * t / 12) + 0.003 * t + rng.normal(0, 0.1, (months, 5, 12))
    values[:, 0, 3] = np.nan  # land
    data = values[:, None].astype(np.float32)  # (time, depth=1, lat, lon)
    return xr.Dataset(
        {"sst": (("time", "zlev", "lat", "lon"), data, {"units": "degC"})},
        coords={"time": times, "zlev": [0.0], "lat": LAT, "lon": LON},
    )


@pytest.fixture(scope="module")
def nc_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("grid") / "sst.nc"
    _field().to_netcdf(path, engine="h5netcdf")
    return path


def test_read_a_time_lat_lon_variable(nc_file: Path) -> None:
    grid = load_netcdf(nc_file)
    assert grid.name == "sst" and grid.units == "degC" and grid.freq == "MS"
    assert grid.values.shape == (360, 5, 12)
    assert np.isnan(grid.values[:, 0, 3]).all()
    np.testing.assert_allclose(grid.values, _field()["sst"].values[:, 0], rtol=1e-6)
    assert str(grid.times[0])[:10] == "1980-01-01"


def test_box_selection_handles_descending_lat_and_the_meridian(nc_file: Path) -> None:
    grid = load_netcdf(nc_file)
    box = select_box(grid, lat=(-5, 5), lon=(-60, 60))  # crosses 0°; file uses 0..360
    assert box.lat.tolist() == [5.0, 0.0, -5.0]
    assert box.lon.tolist() == [300.0, 330.0, 0.0, 30.0, 60.0]  # west to east
    np.testing.assert_array_equal(box.values[:, 0, 2], grid.values[:, 1, 0])
    same = select_box(grid, lat=(5, -5), lon=(300, 60))
    np.testing.assert_array_equal(same.values, box.values)
    with pytest.raises(DataError, match=r"holds no grid cell; the grid spans lat -10\.\.10"):
        select_box(grid, lat=(40, 50), lon=(0, 10))


def test_annual_means_weight_days_and_keep_complete_calendar_years(tmp_path: Path) -> None:
    # July 1980 .. June 1983: 1980 and 1983 are incomplete; 1981, 1982 are whole years.
    ds = _field(months=36, start="1980-07-01")
    path = tmp_path / "part.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    grid = load_netcdf(path)
    years = annual_means(grid)
    assert [str(t)[:4] for t in years.times] == ["1981", "1982"]
    assert "incomplete years dropped: 1980 (6 months), 1983 (6 months)" in years.notes
    rows = pd.DatetimeIndex(grid.times).year == 1981
    days = pd.DatetimeIndex(grid.times[rows]).days_in_month.to_numpy()
    expected = (grid.values[rows, 2, 5] * days).sum() / 365
    np.testing.assert_allclose(years.values[0, 2, 5], expected, rtol=1e-12)
    assert abs(expected - grid.values[rows, 2, 5].mean()) > 1e-6  # days weighting matters
    assert np.isnan(years.values[:, 0, 3]).all()  # land stays land
    with pytest.raises(DataError, match="annual means need monthly fields"):
        annual_means(years)


def test_file_errors_are_clear(nc_file: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="netCDF file not found"):
        load_netcdf(tmp_path / "missing.nc")
    bad = tmp_path / "bad.nc"
    bad.write_text("time,sst\n")
    with pytest.raises(DataError, match="is not a readable netCDF file"):
        load_netcdf(bad)
    with pytest.raises(DataError, match=r"no variable 'tos'.*gridded variables: sst"):
        load_netcdf(nc_file, "tos")
    deep = _field(months=24).isel(zlev=[0, 0]).assign_coords(zlev=[0.0, 10.0])
    deep.to_netcdf(tmp_path / "deep.nc", engine="h5netcdf")
    with pytest.raises(DataError, match=r"dimension 'zlev' of size 2.*select one level"):
        load_netcdf(tmp_path / "deep.nc")


def test_forecast_every_cell_of_the_box_and_draw_the_map(nc_file: Path, tmp_path: Path) -> None:
    full = annual_means(load_netcdf(nc_file))
    box = select_box(full, lat=(-5, 5), lon=(60, 120))
    named, cells = cell_series(box)
    assert len(named) == 9 and cells[0] == (0, 0)
    config = ForecastConfig.of(
        lookback=6, horizon=2, hidden_size=8, num_layers=1, epochs=5, patience=None
    )
    result = forecast_grid(box, config)
    assert result.field.shape == (2, 3, 3) and np.isfinite(result.field).all()
    assert [str(t)[:4] for t in result.times] == ["2010", "2011"]  # type: ignore[union-attr]
    assert result.evaluation.truth.shape[2] == 1
    assert len(set(result.evaluation.names)) == 9  # every cell is evaluated
    assert "climatology" not in result.evaluation.forecasts  # annual data: no season
    paths = write_grid_run(full, result, tmp_path / "run")
    field_rows = paths["field"].read_text().splitlines()
    assert field_rows[0] == "time,lat,lon,sst" and len(field_rows) == 1 + 2 * 9
    png = paths["grid.png"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_cli_forecast_on_a_netcdf_box(nc_file: Path, tmp_path: Path) -> None:
    args = [
        "forecast",
        "--data",
        str(nc_file),
        "--box",
        "-5",
        "5",
        "60",
        "120",
        "--annual",
        "--lookback",
        "6",
        "--horizon",
        "2",
        *TINY_FORECAST,
        "--out",
        str(tmp_path / "run"),
    ]
    done = seqlab(*args)
    assert done.returncode == 0, done.stderr
    assert "9 cells" in done.stdout and "annual means" in done.stdout
    assert (tmp_path / "run" / "grid.png").is_file()
    assert (tmp_path / "run" / "forecast_field.csv").is_file()
    done = seqlab(*args[:3], "--box", "40", "50", "0", "10", *args[8:])
    assert done.returncode == 2
    assert "holds no grid cell" in done.stderr and "Traceback" not in done.stderr
