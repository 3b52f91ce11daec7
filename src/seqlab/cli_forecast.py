"""``seqlab forecast``: the command-line face of :class:`~seqlab.forecasting.Forecaster` and of
gridded forecasting. It only parses arguments and calls the library."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from seqlab.cli_data import (
    add_dialect_arguments,
    forecast_data,
    future_rows,
    static_rows,
)
from seqlab.errors import SeqlabError

if TYPE_CHECKING:
    from seqlab.forecasting import ForecastConfig, Forecaster

__all__ = ["add_forecast_parser"]

TRI: dict[str, bool | str] = {"auto": "auto", "on": True, "yes": True, "true": True,
                              "off": False, "no": False, "false": False}  # fmt: skip


def _tri(text: str) -> bool | str:
    """A ``bool | "auto"`` field's value on the command line: auto, on/off, yes/no, true/false."""
    try:
        return TRI[text.lower()]
    except KeyError:
        raise argparse.ArgumentTypeError(f"expected auto, on or off, got {text!r}") from None


def _maybe(kind: Any) -> Any:
    """``kind`` for a field that may be None: the word none is None."""

    def parse(text: str) -> Any:
        return None if text.lower() == "none" else kind(text)

    parse.__name__ = kind.__name__  # argparse names the type in its error message
    return parse


def _add_field_flag(group: Any, name: str) -> None:
    """One flag for the ForecastConfig setting of flat name ``name``: its type, choices and
    default from the field (stated once, there), its help from seqlab.forecasting.options.HELP."""
    from seqlab.forecasting.config import ForecastConfig
    from seqlab.forecasting.options import HELP, field_kind

    default: Any = ForecastConfig().value(name)
    kind, optional, choices = field_kind(name)
    shown = {True: "on", False: "off"}.get(default, default) if kind == "tri" else default
    if isinstance(shown, tuple):
        shown = " ".join(map(str, shown)) or "none"
    text = f"{HELP[name]} (default: {'none' if shown is None else shown})".replace("%", "%%")
    flag, kw = "--" + name.replace("_", "-"), dict[str, Any](help=text)
    scalar = {"int": int, "float": float, "str": str}
    if name == "lookback":
        kw.update(type=int, nargs="+", metavar="L")
    elif kind in scalar:
        kw.update(type=_maybe(scalar[kind]) if optional else scalar[kind], metavar=name.upper())
    elif kind == "bool":
        kw.update(action=argparse.BooleanOptionalAction)
    elif kind == "tri":
        kw.update(type=_tri, metavar="{auto,on,off}")
    elif kind == "choice":
        kw.update(choices=choices)
    else:  # a tuple: several values, none with the flag alone
        item = {"ints": int, "floats": float, "strs": str}[kind]
        kw.update(type=item, nargs="*", metavar=name.rstrip("s").upper())
    group.add_argument(flag, **kw)


# what each [data] key is when neither the command line nor a --config file gives it
DATA_DEFAULTS: dict[str, Any] = {"data": "nino_sst", "annual": False}


def _forecast_config(args: argparse.Namespace) -> ForecastConfig:
    """The ForecastConfig of the run: each field's default, then the --config file's value,
    then the flag's; the [data] keys likewise go onto ``args``."""
    from seqlab.forecasting.config import FIELDS, ForecastConfig
    from seqlab.forecasting.options import DATA_KEYS, read_toml

    values, data = read_toml(args.config) if args.config else ({}, {})
    for key in DATA_KEYS:
        if not hasattr(args, key):
            setattr(args, key, data.get(key, DATA_DEFAULTS.get(key)))
    given = {name: getattr(args, name) for name in FIELDS if hasattr(args, name)}
    if "lookback" in given:  # --lookback L ...: several are the lookbacks to try
        lookbacks = given.pop("lookback")
        given.update(lookback=lookbacks[0], lookbacks=lookbacks if len(lookbacks) > 1 else ())
    if given.get("calendar") == []:
        given["calendar"] = ["auto"]  # bare --calendar: the features that suit the frequency
    if given.get("quantiles") == []:
        given["quantiles"] = None
    values.update(given)
    values.setdefault("progress", not args.quiet)
    if args.quiet:
        values["progress"] = False
    return ForecastConfig.of(**values)


def _cmd_forecast(args: argparse.Namespace) -> int:
    import seqlab.distributed as distributed
    from seqlab._io import run_folder_lock
    from seqlab.forecasting import Forecaster
    from seqlab.forecasting.report import format_evaluation, write_forecast_run

    config = _forecast_config(args)  # also puts the [data] keys onto args
    if args.print_config:
        from seqlab.forecasting.options import DATA_KEYS, to_toml

        print(to_toml(config, {k: getattr(args, k) for k in DATA_KEYS}), end="")
        return 0
    gridded = str(args.data).endswith((".nc", ".nc4", ".cdf")) or args.box or args.var
    if gridded:
        return _forecast_grid(args, config)
    if args.annual:
        raise SeqlabError("--annual is for gridded netCDF data; give a .nc file")
    data = forecast_data(args, (*config.network.covariates, *config.network.future_covariates))
    future = future_rows(args, config, data)
    with run_folder_lock(args.out):  # an unwritable or busy --out fails before training
        forecaster = Forecaster(config).fit(data, static=static_rows(args))
        evaluation = forecaster.evaluate() if config.split.test_rows != 0 else None
        run = {
            "data": str(args.data),
            "command": " ".join(["seqlab", *args.argv]),
            **distributed.launch(),
        }
        if not distributed.is_main():  # under torchrun rank 0 writes and prints
            return 0
        paths = write_forecast_run(forecaster, evaluation, args.out, run, future)
    print(_summary(args, config, data, forecaster))
    if evaluation is not None:
        print(format_evaluation(evaluation))
    print(f"run folder: {args.out} ({', '.join(p.name for p in paths.values())})")
    return 0


def _summary(
    args: argparse.Namespace, config: ForecastConfig, data: Any, forecaster: Forecaster
) -> str:
    """The line that says what was fitted and what validation chose."""
    series = list(data.values()) if isinstance(data, dict) else [data]
    what = f"{len(series)} series" if isinstance(data, dict) else ", ".join(forecaster.targets)
    covariates, network = forecaster.config.network.covariates, forecaster.fitted.network
    extras = [f"past covariates {', '.join(covariates)}"] if covariates else []
    if forecaster.calendar:
        extras.append(f"calendar {', '.join(forecaster.calendar)}")
    if len(forecaster.lookback_losses) > 1:
        tried = ", ".join(f"{k}: {v:.4g}" for k, v in forecaster.lookback_losses.items())
        extras.append(f"lookback chosen on validation error ({tried})")
    if forecaster.skip_losses:
        used = "with" if network.repeat_skip else "without"
        extras.append(f"{used} the repeat skip, chosen on validation error")
    if forecaster.selection.get("floor"):
        extras.append("forecasts kept at or above the lowest value seen (chosen on validation)")
    if forecaster.seasonality_p is not None:
        removed = "season means removed" if forecaster.deseasonalized else "no season removed"
        extras.append(f"{removed} (seasonality test p = {forecaster.seasonality_p:.3g})")
    if forecaster.config.network.ensemble > 1:
        extras.append(f"ensemble of {forecaster.config.network.ensemble}")
    selection = forecaster.selection
    if selection["scores"]:
        chosen = selection["chosen"]
        refit = ", refitted on training + validation rows" if selection["refit"] else ""
        extras.append(
            f"forecasts by {chosen!r}, chosen on validation "
            f"(MASE {selection['scores'][chosen]:.3f}){refit}"
        )
    logged = " (fitted in logs; every number below in the data's units)" if config.split.log else ""
    return (
        f"data: {args.data}{logged}, {sum(len(s) for s in series)} steps of "
        f"{what}; lookback {network.lookback}, horizon {config.split.horizon}, "
        f"{network.model} {config.network.cell}" + "".join(f"; {e}" for e in extras)
    )


def _forecast_grid(args: argparse.Namespace, config: ForecastConfig) -> int:
    from seqlab._io import run_folder_lock
    from seqlab.forecasting.gridded import (
        annual_means,
        forecast_grid,
        load_netcdf,
        select_box,
        write_grid_run,
    )
    from seqlab.forecasting.report import format_evaluation

    if not args.box:
        raise SeqlabError("gridded data needs --box LAT_MIN LAT_MAX LON_WEST LON_EAST")
    if config.network.covariates or args.target or args.id_col or config.split.log:
        raise SeqlabError("--target, --covariates, --id-col and --log are for tabular data")
    full = load_netcdf(args.data, args.var)
    if args.annual:
        full = annual_means(full)
    lat_lo, lat_hi, west, east = args.box
    box = select_box(full, (lat_lo, lat_hi), (west, east))
    with run_folder_lock(args.out):
        result = forecast_grid(box, config)
        paths = write_grid_run(full, result, args.out)
    print(
        f"data: {args.data}, variable {box.name}, {len(box.times)} steps; "
        f"{'; '.join(box.notes)}; {len(result.cells)} cells with data at every step, one "
        f"global model; lookback {result.forecaster.fitted.network.lookback}, "
        f"horizon {config.split.horizon}"
    )
    print(format_evaluation(result.evaluation))
    print(f"run folder: {args.out} ({', '.join(p.name for p in paths.values())})")
    return 0


def add_forecast_parser(sub: Any) -> None:
    """Add the ``forecast`` command to the sub-command parsers of ``seqlab``: the data flags,
    then one flag per ForecastConfig setting (seqlab.forecasting.options), by section."""
    from seqlab.forecasting.config import SECTIONS

    p = sub.add_parser(
        "forecast",
        help="train, evaluate against baselines on the held-out tail, and forecast past the end",
        description="Fits a recurrent network (encoder-decoder or segment-recurrent, the better "
        "on the validation rows), chooses on the validation rows among it, the naive, seasonal "
        "naive, drift, climatology and linear-AR baselines (plain, asinh-scaled, phased, "
        "recent Lasso and ridge), Theta, AutoTheta and AutoETS and the network's mean with the "
        "best of them (or with several, added greedily: the best mean on the path), compares "
        "them all on every test window, forecasts HORIZON steps past the end of the data with "
        "the chosen one, writes a run folder (checkpoint, metrics.json, forecast.csv, "
        "test_windows.csv, plots). With no arguments: the built-in Niño SST data. A netCDF "
        "file with --box forecasts every cell of the box with one global model. Settings come "
        "from each field's default, then --config FILE.toml, then the flags given.",
        argument_default=argparse.SUPPRESS,  # a flag not given leaves the file's or the default
    )
    p.add_argument(
        "--config",
        default=None,
        metavar="FILE.toml",
        help="settings in sections [data], [split], [network], [training], [selection], "
        "[intervals], as --print-config writes them; flags given override them",
    )
    p.add_argument(
        "--print-config",
        action="store_true",
        default=False,
        help="print the complete settings of this run as TOML and exit (passed back with "
        "--config, it reproduces the run)",
    )
    g = p.add_argument_group("data")
    g.add_argument(
        "--data",
        help="a CSV file, a Parquet file (.parquet; long format with --id-col), a netCDF file "
        "(.nc, with --box) or a built-in data set (default: nino_sst)",
    )
    g.add_argument(
        "--target", nargs="+", metavar="COL", help="target column(s) (default: every numeric one)"
    )
    g.add_argument("--time-col", help="time column of a CSV file")
    g.add_argument(
        "--static",
        metavar="FILE",
        help="with --static-covariates: a CSV file of one row per series (its id in the "
        "--id-col column) holding those columns",
    )
    g.add_argument(
        "--future",
        metavar="FILE",
        help="with --future-covariates: a CSV file of their next HORIZON values (the data's "
        "format: time column, those columns, the id column in long format)",
    )
    g.add_argument("--id-col", help="long format: this column names the series (one global model)")
    g.add_argument(
        "--fill", choices=["ffill", "interpolate", "zero", "drop"], help="fill gaps and missing"
    )
    g.add_argument("--var", help="netCDF: the (time, lat, lon) variable (default: the only one)")
    g.add_argument(
        "--box",
        type=float,
        nargs=4,
        metavar=("LAT_MIN", "LAT_MAX", "LON_WEST", "LON_EAST"),
        help="netCDF: forecast every cell of this lat/lon box (degrees)",
    )
    g.add_argument(
        "--annual",
        action="store_true",
        help="netCDF: forecast calendar-year means of monthly fields (complete years only)",
    )
    add_dialect_arguments(p, default=argparse.SUPPRESS)
    for section, names in SECTIONS.items():
        group = p.add_argument_group(f"[{section}]")
        for name in names:
            if name not in ("lookbacks", "progress"):  # --lookback L ...; --quiet
                _add_field_flag(group, name)
    p.add_argument("--out", default="runs/forecast", help="run folder (default: %(default)s)")
    p.add_argument("-q", "--quiet", action="store_true", default=False, help="no progress bar")
    p.set_defaults(func=_cmd_forecast)
