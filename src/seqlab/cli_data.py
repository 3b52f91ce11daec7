"""What the data flags of ``seqlab forecast`` and ``seqlab inspect`` name, read into the
library's types: the CSV dialect flags, the data (a built-in set, a CSV or Parquet file),
the static covariates (``--static``) and the future-known covariates' next values
(``--future``). Parsing only; the reading is the library's."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from seqlab.errors import SeqlabError

if TYPE_CHECKING:
    from seqlab.forecasting import ForecastConfig

__all__ = ["add_dialect_arguments", "dialect_hints", "forecast_data", "future_rows", "static_rows"]


def add_dialect_arguments(p: argparse.ArgumentParser, default: Any = None) -> None:
    """--sep, --decimal, --thousands, --dayfirst, --date-format: what the file's dialect is,
    where finding it from the file is not enough (see seqlab.data.dialect). ``default``
    (argparse.SUPPRESS: a flag not given sets nothing) is each one's default."""
    g = p.add_argument_group("CSV dialect (found from the file unless given)")
    g.add_argument("--sep", metavar="C", default=default, help="field separator, e.g. ';' or tab")
    g.add_argument("--decimal", choices=[".", ","], default=default, help="decimal mark")
    g.add_argument(
        "--thousands", metavar="C", default=default, help="thousands separator, e.g. ',' or '.'"
    )
    g.add_argument(
        "--dayfirst",
        action=argparse.BooleanOptionalAction,
        default=default,
        help="dates like 03/04/2020 are day first (--no-dayfirst: month first)",
    )
    g.add_argument(
        "--date-format", metavar="FMT", default=default, help="strftime format, e.g. %%d.%%m.%%Y"
    )
    g.add_argument(
        "--tz",
        metavar="ZONE",
        default=default,
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


def forecast_data(args: argparse.Namespace, covariates: tuple[str, ...]) -> Any:
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


def static_rows(args: argparse.Namespace) -> dict[str, dict[str, Any]] | None:
    """``--static FILE``: one row per series (its id in ``--id-col``), read with pandas."""
    if args.static is None:
        return None
    import pandas as pd

    from seqlab.forecasting.static import static_table

    try:
        frame = pd.read_csv(args.static)
    except (OSError, ValueError) as exc:
        raise SeqlabError(f"cannot read --static {args.static}: {exc}") from None
    if args.id_col and args.id_col not in frame.columns:
        raise SeqlabError(f"--static {args.static} has no id column {args.id_col!r}")
    return static_table(frame.astype({args.id_col: str}) if args.id_col else frame, args.id_col)


def future_rows(
    args: argparse.Namespace, config: ForecastConfig, data: Any
) -> dict[str, Any] | None:
    """With future-known covariates, their next values per series from ``--future FILE`` (the
    data's format: a time column, the covariate columns, and the id column in long format),
    read before training so that a missing file or column fails first."""
    if not config.network.future_covariates:
        return None
    if args.future is None:
        raise SeqlabError(
            f"forecasting past the end needs the next {config.split.horizon} values of "
            f"{', '.join(config.network.future_covariates)}: give them with --future FILE"
        )
    from seqlab.data.sources import load_csv, load_long_csv

    columns = list(config.network.future_covariates)
    hints = dialect_hints(args)
    if args.id_col:
        return dict(load_long_csv(args.future, args.id_col, time_col=args.time_col,
                                  target=columns, dialect=hints))  # fmt: skip
    name = next(iter(data)) if isinstance(data, dict) else ""
    return {name: load_csv(args.future, time_col=args.time_col, target=columns, dialect=hints)}
