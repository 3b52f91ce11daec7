"""``seqlab forecast``: the command-line face of :class:`~seqlab.forecasting.Forecaster` and of
gridded forecasting. It only parses arguments and calls the library."""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import Any

from seqlab.errors import SeqlabError

__all__ = ["add_dialect_arguments", "add_forecast_parser", "dialect_hints"]


def add_dialect_arguments(p: argparse.ArgumentParser) -> None:
    """--sep, --decimal, --thousands, --dayfirst, --date-format: what the file's dialect is,
    where finding it from the file is not enough (see seqlab.data.dialect)."""
    g = p.add_argument_group("CSV dialect (found from the file unless given)")
    g.add_argument("--sep", metavar="C", help="field separator, e.g. ';' or tab ('\\t')")
    g.add_argument("--decimal", choices=[".", ","], help="decimal mark")
    g.add_argument("--thousands", metavar="C", help="thousands separator, e.g. ',' or '.'")
    g.add_argument(
        "--dayfirst",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="dates like 03/04/2020 are day first (--no-dayfirst: month first)",
    )
    g.add_argument("--date-format", metavar="FMT", help="strftime format, e.g. %%d.%%m.%%Y")
    g.add_argument(
        "--tz",
        metavar="ZONE",
        help="timestamps with UTC offsets in this time zone, e.g. Europe/Berlin (default: UTC)",
    )


def dialect_hints(args: argparse.Namespace) -> dict[str, Any]:
    """The dialect settings given on the command line."""
    sep = args.sep.replace("\\t", "\t") if args.sep else None
    given = {
        "sep": sep,
        "decimal": args.decimal,
        "thousands": args.thousands,
        "dayfirst": args.dayfirst,
        "date_format": args.date_format,
        "tz": args.tz,
    }
    return {k: v for k, v in given.items() if v is not None}


def _forecast_config(args: argparse.Namespace) -> Any:
    from seqlab.forecasting import ForecastConfig

    lookbacks = tuple(args.lookback)
    return ForecastConfig(
        segment=args.segment,
        repeat_skip="auto" if args.repeat_skip == "auto" else args.repeat_skip == "on",
        select=args.select,
        batch_size=args.batch_size,
        lr=args.lr,
        patience=args.patience,
        val_rows=args.val_rows,
        test_rows=args.test_rows,
        refit=args.refit,
        lookback=lookbacks[0],
        lookbacks=lookbacks if len(lookbacks) > 1 else (),
        horizon=args.horizon,
        model=args.model,
        cell=args.cell,
        hidden_size=args.hidden_size,
        num_layers=args.num_layers,
        epochs=args.epochs,
        test_start=args.test_start,
        seed=args.seed,
        progress=not args.quiet,
        quantiles=tuple(args.quantiles) if args.quantiles else None,
        intervals=tuple(args.intervals or ()),
        interval_method=args.interval_method,
        classical=tuple(args.classical),
        classical_budget=args.classical_budget,
        log=args.log,
        covariates=tuple(args.covariates or ()),
        calendar=tuple(args.calendar or ("auto",)) if args.calendar is not None else (),
        linear_skip=args.linear_skip,
        instance_norm=args.instance_norm,
        deseasonalize="auto" if args.deseasonalize == "auto" else args.deseasonalize == "yes",
        ensemble=args.ensemble,
    )


def _forecast_data(args: argparse.Namespace) -> Any:
    """A Series or a dict of them, from a built-in data set, a CSV or a Parquet file."""
    from pathlib import Path

    from seqlab.data.builtin import DATASETS, load_dataset
    from seqlab.data.parquet import PARQUET_SUFFIXES, load_parquet
    from seqlab.data.sources import load_csv, load_long_csv, select_columns

    if args.data not in DATASETS and not Path(args.data).exists():
        import difflib

        close = difflib.get_close_matches(str(args.data), list(DATASETS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise SeqlabError(
            f"no data file or built-in data set named {args.data!r}{hint} "
            f"(built-in: {', '.join(DATASETS)}; see seqlab datasets)"
        )
    covariates = list(args.covariates or [])
    columns = None
    if args.target:
        columns = [*args.target, *(c for c in covariates if c not in args.target)]
    if args.data in DATASETS:
        data = load_dataset(args.data)
        if columns:
            data = (
                {k: select_columns(v, columns) for k, v in data.items()}
                if isinstance(data, dict)
                else select_columns(data, columns)
            )
    elif str(args.data).lower().endswith(PARQUET_SUFFIXES):
        data = load_parquet(
            args.data, id_col=args.id_col, time_col=args.time_col, target=columns, fill=args.fill
        )
    elif args.id_col:
        data = load_long_csv(
            args.data,
            args.id_col,
            time_col=args.time_col,
            target=columns,
            fill=args.fill,
            dialect=dialect_hints(args),
        )
    else:
        data = load_csv(
            args.data,
            time_col=args.time_col,
            target=columns,
            fill=args.fill,
            dialect=dialect_hints(args),
        )
    return data


def _cmd_forecast(args: argparse.Namespace) -> int:
    import seqlab.distributed as distributed
    from seqlab._io import run_folder_lock
    from seqlab.forecasting import Forecaster
    from seqlab.forecasting.report import format_evaluation, write_forecast_run

    gridded = str(args.data).endswith((".nc", ".nc4", ".cdf")) or args.box or args.var
    if gridded:
        return _forecast_grid(args)
    if args.annual:
        raise SeqlabError("--annual is for gridded netCDF data; give a .nc file")
    data = _forecast_data(args)
    config = _forecast_config(args)
    with run_folder_lock(args.out):  # an unwritable or busy --out fails before training
        forecaster = Forecaster(config).fit(data)
        evaluation = forecaster.evaluate() if args.test_rows != 0 else None
        run = {
            "data": str(args.data),
            "command": " ".join(["seqlab", *args.argv]),
            **distributed.launch(),
        }
        if not distributed.is_main():  # under torchrun rank 0 writes and prints
            return 0
        paths = write_forecast_run(forecaster, evaluation, args.out, run)
    series = list(data.values()) if isinstance(data, dict) else [data]
    what = f"{len(series)} series" if isinstance(data, dict) else ", ".join(forecaster.targets)
    covariates, network = forecaster.config.covariates, forecaster.fitted.network
    extras = [f"past covariates {', '.join(covariates)}"] if covariates else []
    if forecaster.calendar:
        extras.append(f"calendar {', '.join(forecaster.calendar)}")
    if len(forecaster.lookback_losses) > 1:
        tried = ", ".join(f"{k}: {v:.4g}" for k, v in forecaster.lookback_losses.items())
        extras.append(f"lookback chosen on validation loss ({tried})")
    if forecaster.skip_losses:
        used = "with" if network.repeat_skip else "without"
        extras.append(f"{used} the repeat skip, chosen on validation loss")
    if forecaster.selection.get("floor"):
        extras.append("forecasts kept at or above the lowest value seen (chosen on validation)")
    if forecaster.seasonality_p is not None:
        removed = "season means removed" if forecaster.deseasonalized else "no season removed"
        extras.append(f"{removed} (seasonality test p = {forecaster.seasonality_p:.3g})")
    if forecaster.config.ensemble > 1:
        extras.append(f"ensemble of {forecaster.config.ensemble}")
    selection = forecaster.selection
    if selection["scores"]:
        chosen = selection["chosen"]
        refit = ", refitted on training + validation rows" if selection["refit"] else ""
        extras.append(
            f"forecasts by {chosen!r}, chosen on validation "
            f"(MASE {selection['scores'][chosen]:.3f}){refit}"
        )
    logged = " (fitted in logs; every number below in the data's units)" if args.log else ""
    print(
        f"data: {args.data}{logged}, {sum(len(s) for s in series)} steps of "
        f"{what}; lookback {network.lookback}, horizon {args.horizon}, "
        f"{network.model} {args.cell}" + "".join(f"; {e}" for e in extras)
    )
    if evaluation is not None:
        print(format_evaluation(evaluation))
    print(f"run folder: {args.out} ({', '.join(p.name for p in paths.values())})")
    return 0


def _forecast_grid(args: argparse.Namespace) -> int:
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
    if args.covariates or args.target or args.id_col or args.log:
        raise SeqlabError("--target, --covariates, --id-col and --log are for tabular data")
    full = load_netcdf(args.data, args.var)
    if args.annual:
        full = annual_means(full)
    lat_lo, lat_hi, west, east = args.box
    box = select_box(full, (lat_lo, lat_hi), (west, east))
    with run_folder_lock(args.out):
        result = forecast_grid(box, _forecast_config(args))
        paths = write_grid_run(full, result, args.out)
    print(
        f"data: {args.data}, variable {box.name}, {len(box.times)} steps; "
        f"{'; '.join(box.notes)}; {len(result.cells)} cells with data at every step, one "
        f"global model; lookback {result.forecaster.fitted.network.lookback}, "
        f"horizon {args.horizon}"
    )
    print(format_evaluation(result.evaluation))
    print(f"run folder: {args.out} ({', '.join(p.name for p in paths.values())})")
    return 0


def add_forecast_parser(sub: Any) -> None:
    """Add the ``forecast`` command to the sub-command parsers of ``seqlab``."""
    from seqlab.forecasting.config import ForecastConfig

    # Every default is ForecastConfig's own, stated once there (that module needs no torch).
    d = {f.name: f.default for f in fields(ForecastConfig)}
    p = sub.add_parser(
        "forecast",
        help="train, evaluate against baselines on the held-out tail, and forecast past the end",
        description="Fits a recurrent network (encoder-decoder or segment-recurrent, the better "
        "on the validation rows), chooses on the validation rows among it, the naive, seasonal "
        "naive, drift, climatology and linear-AR baselines and their combination, compares "
        "them all on every test window, forecasts HORIZON steps past the end of the data with "
        "the chosen one, and writes a run folder (checkpoint, metrics.json, forecast.csv, "
        "test_windows.csv, plots). With no arguments: the built-in Niño SST data. A netCDF file "
        "with --box forecasts every cell of the box with one global model.",
    )
    p.add_argument(
        "--data",
        default="nino_sst",
        help="a CSV file, a Parquet file (.parquet; long format with --id-col), a netCDF file "
        "(.nc, with --box) or a built-in data set "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--target", nargs="+", metavar="COL", help="target column(s) (default: every numeric one)"
    )
    p.add_argument("--time-col", help="time column of a CSV file")
    p.add_argument("--id-col", help="long format: this column names the series (one global model)")
    p.add_argument(
        "--log",
        action="store_true",
        help="fit the logarithm of the values (all positive); forecasts, metrics and files "
        "are in the data's own units",
    )
    p.add_argument(
        "--quantiles",
        type=float,
        nargs="+",
        metavar="Q",
        help="quantile outputs (pinball loss), e.g. 0.1 0.5 0.9; needs --model direct",
    )
    p.add_argument(
        "--intervals",
        type=float,
        nargs="+",
        metavar="LEVEL",
        help="prediction intervals at these coverage levels, e.g. 0.8 0.95, for any model, "
        "calibrated on the validation windows (conformal; see --interval-method); the test "
        "windows report their coverage, width and MSIS",
    )
    p.add_argument(
        "--classical",
        nargs="*",
        choices=["theta", "autotheta", "ets"],
        default=list(ForecastConfig().classical),
        metavar="METHOD",
        help="classical candidates for --select auto, from statsforecast: theta (Theta), "
        "autotheta (AutoTheta), ets (AutoETS) (default: all three; none: --classical alone)",
    )
    p.add_argument(
        "--classical-budget",
        type=float,
        default=d["classical_budget"],
        metavar="SECONDS",
        help="leave out a classical method whose fits on every series would take longer "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--interval-method",
        choices=["adaptive", "split"],
        default=d["interval_method"],
        help="adaptive (default): the level adapts online as each test window's outcome is "
        "known (adaptive conformal inference); split: the validation radii throughout",
    )
    p.add_argument(
        "--fill",
        choices=["ffill", "interpolate", "zero", "drop"],
        help="fill gaps and missing values",
    )
    add_dialect_arguments(p)
    p.add_argument(
        "--horizon", type=int, default=d["horizon"], help="steps to forecast (default: %(default)s)"
    )
    p.add_argument(
        "--lookback",
        type=int,
        nargs="+",
        default=[d["lookback"]],
        metavar="L",
        help="steps the model reads; with several, one model each and the best on the "
        f"validation rows is kept (default: {d['lookback']})",
    )
    p.add_argument(
        "--covariates",
        nargs="+",
        metavar="COL",
        help="columns the model reads but does not forecast (past covariates)",
    )
    p.add_argument(
        "--calendar",
        nargs="*",
        metavar="FEATURE",
        help="calendar features as known-future covariates: month, quarter, weekday, hour, "
        "day_of_month, day_of_year; with no name, the ones that suit the frequency",
    )
    p.add_argument(
        "--ensemble",
        type=int,
        default=d["ensemble"],
        metavar="K",
        help="train K models from different initial weights and forecast their mean",
    )
    p.add_argument("--var", help="netCDF: the (time, lat, lon) variable (default: the only one)")
    p.add_argument(
        "--box",
        type=float,
        nargs=4,
        metavar=("LAT_MIN", "LAT_MAX", "LON_WEST", "LON_EAST"),
        help="netCDF: forecast every cell of this lat/lon box (degrees)",
    )
    p.add_argument(
        "--annual",
        action="store_true",
        help="netCDF: forecast calendar-year means of monthly fields (complete years only)",
    )
    p.add_argument(
        "--instance-norm",
        action="store_true",
        help="read each window relative to its last value (for trending, random-walk-like data)",
    )
    p.add_argument(
        "--deseasonalize",
        choices=["auto", "yes", "no"],
        default="auto",
        help="subtract the training rows' mean of each season (month, hour, ...); auto: when "
        "a permutation test on the training rows finds a season (default: %(default)s)",
    )
    p.add_argument(
        "--linear-skip",
        action="store_true",
        help="add a linear map from the input window to the forecast beside the recurrent path",
    )
    p.add_argument(
        "--model",
        choices=["auto", "seq2seq", "direct", "segment"],
        default=d["model"],
        help="auto: train seq2seq and segment, keep the better on the validation rows; "
        "seq2seq: encoder-decoder; direct: encoder + one linear map to every step; "
        "segment: segment-recurrent (one recurrent step per segment of the window, every "
        "forecast segment decoded at once, each window normalised) (default: %(default)s)",
    )
    p.add_argument(
        "--segment",
        type=int,
        metavar="W",
        help="--model segment: steps per segment (default: the seasonal period when it "
        "divides the lookback)",
    )
    p.add_argument(
        "--repeat-skip",
        choices=["auto", "on", "off"],
        default="auto",
        help="segment model: add the last input segment, gated by the network, to every output "
        "segment (auto, the default: when a segment is one season, i.e. the seasonal naive "
        "forecast as a path the network learns when to follow)",
    )
    p.add_argument(
        "--select",
        choices=["auto", "model"],
        default=d["select"],
        help="auto: forecast with the best of the network, each baseline and the network + "
        "best baseline on the validation rows; model: always the network "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--refit",
        action="store_true",
        help="after choosing, retrain the network on the training + validation rows for as "
        "many epochs as early stopping kept",
    )
    val, test = f"{d['val_fraction']:.0%}%", f"{d['test_fraction']:.0%}%"  # % doubled for argparse
    p.add_argument("--batch-size", type=int, default=d["batch_size"], help="default: %(default)s")
    p.add_argument("--lr", type=float, default=d["lr"], help="learning rate (default: %(default)s)")
    p.add_argument(
        "--patience",
        type=int,
        default=d["patience"],
        help="early-stopping patience (default: %(default)s)",
    )
    p.add_argument(
        "--val-rows", type=int, help=f"validation rows per series (default: {val} of the rest)"
    )
    p.add_argument(
        "--test-rows",
        type=int,
        help=f"test rows per series; 0: none, forecast past the end only (default: {test})",
    )
    p.add_argument(
        "--cell", choices=["lstm", "gru"], default=d["cell"], help="default: %(default)s"
    )
    p.add_argument("--hidden-size", type=int, default=d["hidden_size"], help="default: %(default)s")
    p.add_argument("--num-layers", type=int, default=d["num_layers"], help="default: %(default)s")
    p.add_argument(
        "--epochs",
        type=int,
        default=d["epochs"],
        help="at most; early stopping on validation (default: %(default)s)",
    )
    p.add_argument(
        "--test-start", help=f"first date of the test part (default: the last {test} of rows)"
    )
    p.add_argument("--seed", type=int, default=d["seed"], help="default: %(default)s")
    p.add_argument("--out", default="runs/forecast", help="run folder (default: %(default)s)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_forecast)
