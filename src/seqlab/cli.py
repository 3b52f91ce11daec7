"""The ``seqlab`` command: parses flags, calls the library, prints results.

Errors the user can fix are printed as one line on standard error with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from seqlab._version import __version__
from seqlab.cli_data import add_dialect_arguments
from seqlab.cli_forecast import add_forecast_parser
from seqlab.cli_stream import add_stream_parser
from seqlab.errors import SeqlabError
from seqlab.run_config import RunConfig

__all__ = ["main"]

EXIT_USAGE = 2


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from seqlab.scenarios import SCENARIOS, format_results, run_scenarios

    names = list(SCENARIOS) if args.name == "all" else [args.name]
    results = run_scenarios(names, Path(args.out), seed=args.seed)
    print(format_results(results))
    return 0 if all(r.passed for r in results) else 1


def _cmd_train(args: argparse.Namespace) -> int:
    from seqlab.pipeline import resume_run, train_from_config
    from seqlab.run_config import load_run_config

    if args.resume:
        path, history = resume_run(args.resume)
    else:
        config = load_run_config(args.config)
        if args.quiet:
            config = _quiet(config)
        path, history = train_from_config(config, base=Path(args.config).resolve().parent)
    last = history.epochs[-1]
    shown = ", ".join(f"{k}={v:.6g}" for k, v in last.items() if k in ("loss", "val_loss"))
    print(f"trained {len(history.epochs)} epochs ({shown}); checkpoint: {path}")
    return 0


def _quiet(config: RunConfig) -> RunConfig:
    from dataclasses import replace

    return replace(config, train=replace(config.train, progress=False))


def _cmd_predict(args: argparse.Namespace) -> int:
    from seqlab.checkpoint import load_checkpoint
    from seqlab.data.csvio import write_rows_csv
    from seqlab.pipeline import predict_csv

    checkpoint = load_checkpoint(args.checkpoint)
    header, rows = predict_csv(checkpoint, args.input, args.id_col)
    text = write_rows_csv(args.output, header, rows)
    if args.output is None:
        sys.stdout.write(text)
    else:
        print(f"wrote {len(rows)} rows to {args.output}")
    return 0


def _cmd_inspect_gates(args: argparse.Namespace) -> int:
    from seqlab.checkpoint import load_checkpoint
    from seqlab.data.csvio import read_sequences_csv
    from seqlab.errors import DataError
    from seqlab.inspect import gates
    from seqlab.pipeline import id_column, input_columns
    from seqlab.plots import plot_gates, save_figure

    checkpoint = load_checkpoint(args.checkpoint)
    checkpoint.refuse_forecaster("seqlab inspect-gates")
    seqs = read_sequences_csv(
        args.input, input_columns(checkpoint), None, id_column(checkpoint, args.id_col)
    )
    ids = [str(i) for i in seqs.ids]
    wanted = args.sequence if args.sequence is not None else ids[0]
    if wanted not in ids:
        raise DataError(f"no sequence {wanted!r} in {args.input}; it holds {ids[:5]}...")
    n = ids.index(wanted)
    length = int(seqs.lengths[n])
    x = seqs.x[n : n + 1, :length]
    if checkpoint.x_scaler is not None:
        x = checkpoint.x_scaler.transform(x)
    found = gates(checkpoint.model, x)
    title = f"{args.checkpoint}: gates over sequence {wanted!r}"
    path = save_figure(
        plot_gates(found, seqs.x[n, :length], layer=args.layer, title=title), args.output
    )
    print(f"wrote {path} ({found.cell_type}: {', '.join(found.names())}; {length} steps)")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from seqlab.forecasting.html import write_report

    print(f"wrote {write_report(args.run_dir)}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from seqlab.checkpoint import load_checkpoint
    from seqlab.export import export_onnx

    output = Path(args.output) if args.output else Path(args.checkpoint) / "model.onnx"
    path = export_onnx(load_checkpoint(args.checkpoint), output)
    print(f"wrote {path} and {path.name}.json")
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    from seqlab.data.builtin import DATASETS

    for d in DATASETS.values():
        print(f"{d.name:9s} {d.description}\n          source: {d.source}; licence: {d.licence}")
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from seqlab.cli_data import dialect_hints
    from seqlab.data.sources import load_csv

    series = load_csv(
        args.data,
        time_col=args.time_col,
        target=args.target,
        fill=args.fill,
        dialect=dialect_hints(args),
    )
    lines = [
        f"data:       {args.data}",
        f"rows:       {len(series)}",
        f"columns:    {', '.join(series.columns)}",
    ]
    if series.timestamps is not None:
        first, last = series.timestamps[0], series.timestamps[-1]
        lines += [
            f"time:       {str(first)[:19]} .. {str(last)[:19]}",
            f"frequency:  {series.freq or 'irregular'}",
        ]
    for name, col in zip(series.columns, series.values.T, strict=True):
        stats = (
            f"mean {col.mean():.6g}, std {col.std():.6g}, min {col.min():.6g}, max {col.max():.6g}"
        )
        lines.append(f"  {name}: {stats}")
    parser = build_parser()  # the notes name options as its flags
    lines += [f"note:       {as_flags(n, parser, 'inspect')}" for n in series.notes]
    print("\n".join(lines))
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from seqlab.checkpoint import load_checkpoint

    ckpt = load_checkpoint(args.checkpoint)
    meta = dict(ckpt.meta)
    if args.json:
        print(json.dumps(meta, indent=2))
        return 0
    params = sum(p.numel() for p in ckpt.model.parameters())
    history = meta.get("history") or {}
    epochs = history.get("epochs") or []
    lines = [
        f"checkpoint:     {args.checkpoint}",
        f"format version: {meta['format_version']} "
        f"(seqlab {meta['seqlab_version']}, torch {meta['torch_version']})",
        f"created:        {meta['created']}",
        f"model:          {meta['model']['kind']} with {params} parameters",
        *(f"  {k}: {v}" for k, v in meta["model"]["config"].items()),
        f"scalers:        x={_scaler_name(meta, 'x')}, y={_scaler_name(meta, 'y')}",
        f"data:           {meta.get('data')}",
        f"trained:        {len(epochs)} epochs"
        + (f", final loss {epochs[-1]['loss']:.6g}" if epochs else ""),
    ]
    print("\n".join(lines))
    return 0


def _scaler_name(meta: dict[str, object], key: str) -> str:
    scalers = meta.get("scalers") or {}
    entry = scalers.get(key) if isinstance(scalers, dict) else None
    return str(entry["kind"]) if isinstance(entry, dict) else "none"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seqlab",
        description="Learn sequences with LSTM and GRU networks: train, predict, inspect, and "
        "run the reference scenarios.",
    )
    parser.add_argument("--version", action="version", version=f"seqlab {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="CPU threads for PyTorch (default: OMP_NUM_THREADS, else the available cores less "
        "those other processes keep busy, measured again during training; see seqlab._threads)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from seqlab.scenarios import SCENARIOS

    p = sub.add_parser(
        "scenarios",
        help="run the reference scenarios; print ours next to the expected values",
        description="Train and check the built-in reference scenarios. "
        "Exit code 1 if any check fails.",
    )
    p.add_argument(
        "name",
        nargs="?",
        default="all",
        choices=["all", *SCENARIOS],
        help="scenario (default: all)",
    )
    p.add_argument(
        "--out",
        default="runs/scenarios",
        help="folder for checkpoints, CSVs and plots (default: %(default)s)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.set_defaults(func=_cmd_scenarios)

    p = sub.add_parser(
        "train",
        help="train a model described by a TOML config file",
        description="Train from a TOML file with [data], [model], [train] and [output] "
        "sections into a run folder (run.json, last/, best/, model/); --resume continues an "
        "interrupted run from last/.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", metavar="FILE.toml", help="run configuration")
    source.add_argument(
        "--resume", metavar="RUN_DIR", help="continue an interrupted run from its last checkpoint"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "predict",
        help="predict the sequences in a CSV file with a checkpoint",
        description="Rows are time steps; an id column (default `sequence`, as in training "
        "and seqlab stream) groups them into sequences. Writes one row per step (per-step "
        "models) or per sequence (many-to-one); classifiers write the label and each class's "
        "probability.",
    )
    p.add_argument("--checkpoint", required=True, metavar="PATH", help="checkpoint directory")
    p.add_argument("--input", required=True, metavar="FILE.csv", help="input sequences")
    p.add_argument(
        "--id-col",
        help="the column naming each sequence (default: the one used in training, else sequence)",
    )
    p.add_argument(
        "--output", metavar="FILE.csv", help="write here (atomically) instead of standard output"
    )
    p.set_defaults(func=_cmd_predict)

    add_stream_parser(sub)

    p = sub.add_parser(
        "export",
        help="export a checkpoint to ONNX with the recurrent state as input and output",
        description="Writes FILE.onnx and FILE.onnx.json (names, shapes, scalers).",
    )
    p.add_argument("--checkpoint", required=True, metavar="PATH", help="checkpoint directory")
    p.add_argument("--format", choices=["onnx"], default="onnx", help="export format")
    p.add_argument("--output", metavar="FILE", help="default: CHECKPOINT/model.onnx")
    p.set_defaults(func=_cmd_export)

    add_forecast_parser(sub)

    p = sub.add_parser(
        "report",
        help="rebuild report.html of a forecast run folder",
        description="Writes RUN_DIR/report.html (one self-contained page) from the files the "
        "run saved; nothing is trained.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by seqlab forecast")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "inspect-gates",
        help="draw the gate activity of a recurrent model over one sequence",
        description="Recomputes the LSTM (input, forget, cell, output) or GRU (reset, update, "
        "new) gates of a checkpoint's recurrent layers over one sequence of a long-format CSV "
        "file (as seqlab predict reads it) and draws a heat map per gate.",
    )
    p.add_argument("--checkpoint", required=True, metavar="PATH", help="checkpoint directory")
    p.add_argument("--input", required=True, metavar="FILE.csv", help="the sequences")
    p.add_argument("--id-col", help="the column naming each sequence (default: as predict)")
    p.add_argument("--sequence", help="the sequence id to draw (default: the first)")
    p.add_argument("--layer", type=int, default=-1, help="layer, 0-based (default: the last)")
    p.add_argument("--output", default="gates.png", help="PNG file (default: %(default)s)")
    p.set_defaults(func=_cmd_inspect_gates)

    p = sub.add_parser("datasets", help="list the built-in data sets with source and licence")
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser(
        "inspect",
        help="check a time-series CSV file and summarise it",
        description="Finds the time column, parses dates, infers the frequency and reports "
        "problems (missing target, text in numeric columns, NaN, duplicated, unsorted or "
        "unparsable timestamps, gaps) with their positions. Nothing is filled unless --fill.",
    )
    p.add_argument("--data", required=True, metavar="FILE.csv", help="the CSV file")
    p.add_argument("--time-col", help="time column (default: found by name or by parsing)")
    p.add_argument(
        "--target", nargs="+", metavar="COL", help="target column(s) (default: every numeric one)"
    )
    p.add_argument(
        "--fill",
        choices=["ffill", "interpolate", "zero", "drop"],
        help="fill gaps and missing values",
    )
    add_dialect_arguments(p)
    p.set_defaults(func=_cmd_inspect)

    p = sub.add_parser(
        "info",
        help="describe a checkpoint",
        description="Print a checkpoint's model, scalers and training summary.",
    )
    p.add_argument("--checkpoint", required=True, metavar="PATH", help="checkpoint directory")
    p.add_argument("--json", action="store_true", help="print the checkpoint's JSON description")
    p.set_defaults(func=_cmd_info)
    return parser


def as_flags(message: str, parser: argparse.ArgumentParser, command: str) -> str:
    """``message`` with each option the library names as `` `name` `` written as the flag of
    ``command`` that sets it (`` `fill` `` -> ``--fill``); names with no flag stay as they are."""
    flags: dict[str, str] = {}
    for sub in parser._actions:  # the subcommands' parsers
        if isinstance(sub, argparse._SubParsersAction) and command in sub.choices:
            for action in sub.choices[command]._actions:
                long = [o for o in action.option_strings if o.startswith("--")]
                if long:
                    flags.setdefault(action.dest, long[0])
    return re.sub(r"`([a-z_]+)`", lambda m: flags.get(m[1], m[0]), message)


class _FlagFormatter(logging.Formatter):
    """Formats a log record with its message as :func:`as_flags` writes it (one subcommand's
    flags); the record itself is left as it was for any other handler."""

    def __init__(self, form: str, parser: argparse.ArgumentParser, command: str) -> None:
        super().__init__(form)
        self.parser, self.command = parser, command

    def format(self, record: logging.LogRecord) -> str:
        return as_flags(super().format(record), self.parser, self.command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # recorded by the commands that write a run folder
    fresh = not logging.getLogger().handlers  # else a host's (or pytest's): left as they are
    form = "%(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format=form)
    if fresh:  # the handler basicConfig made prints the library's messages with flags too
        for handler in logging.getLogger().handlers:
            handler.setFormatter(_FlagFormatter(form, parser, args.command))
    try:
        if args.threads is not None:  # else the library's rule (seqlab._threads)
            from seqlab._threads import set_threads

            set_threads(args.threads)
        return int(args.func(args))
    except (SeqlabError, ValueError, TypeError, OSError) as exc:
        message = as_flags(" ".join(str(exc).split()), parser, args.command)  # one line
        print(f"seqlab {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"seqlab {args.command}: interrupted", file=sys.stderr)
        return 130
