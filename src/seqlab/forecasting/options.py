"""Every :class:`ForecastConfig` setting as a person sets it: its help text and how the command
line and a TOML file write it (its section and flat name are
:data:`seqlab.forecasting.config.SECTIONS`). ``seqlab forecast`` builds one flag per setting
from here and from the field's type and default (so each default is stated once, in its
section's dataclass), reads ``--config FILE.toml`` with :func:`read_toml` and prints the
effective configuration with :func:`to_toml` (``--print-config``), which passed back with
``--config`` reproduces the run."""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from seqlab.errors import ConfigError
from seqlab.forecasting.classical import CLASSICAL
from seqlab.forecasting.config import FIELDS, SECTION_TYPES, SECTIONS, ForecastConfig
from seqlab.run_config import read_toml_file

__all__ = ["DATA_KEYS", "HELP", "SECTIONS", "field_kind", "read_toml", "to_toml"]

# what the data is and how it is read ([data] in a TOML file; command-line flags of their own)
DATA_KEYS = ("data", "target", "time_col", "id_col", "future", "static", "fill", "sep", "decimal",
             "thousands", "dayfirst", "date_format", "tz", "var", "box", "annual")  # fmt: skip

HELP: dict[str, str] = {
    "horizon": "steps to forecast",
    "lookback": "steps the model reads; with several, one model each and the best on the "
    "validation rows is kept",
    "lookbacks": "lookbacks to choose among on the validation rows (the command line: several "
    "--lookback values)",
    "val_fraction": "share of the rows before the test part kept for validation",
    "test_fraction": "share of the rows kept for the test part",
    "val_rows": "validation rows per series (instead of --val-fraction)",
    "test_rows": "test rows per series; 0: none, forecast past the end only (instead of "
    "--test-fraction)",
    "test_start": "first date of the test part (instead of --test-fraction)",
    "stride": "rows between the origins of the validation and test windows (24 with hourly "
    "data: one forecast a day, at the hour each part starts)",
    "period": "the seasonal period (default: from the data's frequency)",
    "deseasonalize": "subtract the training rows' mean of each season (month, hour, ...); "
    "auto: when a permutation test on the training rows finds a season",
    "log": "fit the logarithm of the values (all positive); forecasts, metrics and files are "
    "in the data's own units",
    "model": "auto: train seq2seq and segment, keep the better on the validation rows; "
    "seq2seq: encoder-decoder; direct: encoder + one linear map to every step; segment: "
    "segment-recurrent (one recurrent step per segment of the window, every forecast segment "
    "decoded at once, each window normalised)",
    "cell": "recurrent cell",
    "hidden_size": "units per recurrent layer",
    "num_layers": "recurrent layers",
    "dropout": "dropout between layers and before the heads",
    "segment": "segment model: steps per segment (default: the seasonal period when it divides "
    "the lookback)",
    "repeat_skip": "segment model: add the last input segment, gated by the network, to every "
    "output segment (auto: when a segment is one season, tried with and without it)",
    "instance_norm": "read each window relative to its last value (trending, random-walk-like "
    "data)",
    "linear_skip": "add a linear map from the input window to the forecast beside the recurrent "
    "path",
    "quantiles": "quantile outputs (pinball loss), e.g. 0.1 0.5 0.9; needs --model direct or auto",
    "ensemble": "train K models from different initial weights and forecast their mean",
    "covariates": "columns the model reads but does not forecast (past covariates)",
    "future_covariates": "columns known in advance over the forecast period (a load "
    "forecast, a planned price), read beside every input and forecast step; the forecast past "
    "the end needs their next values (--future FILE)",
    "static_covariates": "columns of a table of one row per series (--static FILE), read "
    "beside every step: numbers standardised over the series, categories one-hot",
    "calendar": "calendar features as known-future covariates: month, quarter, weekday, hour, "
    "day_of_month, day_of_year; with no name, the ones that suit the frequency",
    "epochs": "at most; early stopping on validation",
    "batch_size": "windows per mini-batch",
    "lr": "learning rate",
    "patience": "early-stopping patience in epochs (none: no early stopping)",
    "weight_decay": "Adam weight decay",
    "clip_grad_norm": "clip the gradients' global norm to this (none: no clipping)",
    "schedule": "learning-rate schedule (cosine: decayed step by step to zero over the "
    "training's steps)",
    "precision": "bf16: train in mixed precision (bfloat16 products, float32 weights); auto: "
    "where the device computes bfloat16 natively (AVX-512 BF16 / AMX CPUs, recent GPUs)",
    "max_steps": "at most this many optimizer steps in all (none: epochs alone decide); a "
    "lookback trial takes lookback_trial_epochs / epochs of them",
    "device": "where to train: auto (CUDA when present), cpu, cuda, cuda:1, ...",
    "seed": "seed of initial weights, batch order and the seasonality test",
    "lookback_trial_epochs": "train each lookback this many epochs, then only the best on",
    "time_budget": "seconds the network's training may take (segment model, with "
    "--lookback-trial-epochs): after the best, the next-best lookbacks train on while they "
    "fit, and the mean of the best of them replaces the best alone when it validates better "
    "(none: no ensemble over lookbacks)",
    "lookback_rule": "lowest: the lookback with the lowest validation error; one_se: the "
    "shortest within one standard error of it (the one-standard-error rule)",
    "progress": "a progress bar while training (the command line: on unless --quiet)",
    "select": "auto: forecast with the best of the network, each baseline, each classical "
    "method, the network + the best of them and the network + several of them (the best mean "
    "on a greedy path) on the validation rows; model: the network",
    "refit": "after choosing, retrain the network on the training + validation rows for as "
    "many epochs as early stopping kept (the baselines that fit always fit on them once chosen)",
    "classical": f"classical candidates from statsforecast: {', '.join(CLASSICAL)} (none: the "
    "flag alone)",
    "classical_budget": "leave out a classical method whose fits on every series would take "
    "longer (seconds)",
    "nonnegative": "keep forecasts at or above 0 (auto: columns never negative in the training "
    "rows)",
    "observed_floor": "keep the network's forecasts at or above the lowest value seen before "
    "each origin (auto: when that lowers the validation MASE)",
    "intervals": "prediction intervals at these coverage levels, e.g. 0.8 0.95, for any "
    "model, calibrated on the validation windows (conformal); the test windows report their "
    "coverage, width and MSIS",
    "interval_method": "adaptive: the level adapts online as each test window's outcome is "
    "known (adaptive conformal inference); split: the validation radii throughout",
}

Kind = Literal["int", "float", "str", "bool", "tri", "choice", "ints", "floats", "strs"]


def field_kind(name: str) -> tuple[Kind, bool, tuple[str, ...]]:
    """(kind, whether None is allowed, the choices) of a ForecastConfig field, from its type:
    tri is ``bool | "auto"``, choice a Literal of strings, ints/floats/strs tuples."""
    section, attribute = FIELDS[name]
    hint = get_type_hints(SECTION_TYPES[section])[attribute]
    union = get_origin(hint) in (Union, types.UnionType)
    optional = union and type(None) in get_args(hint)
    parts = [a for a in get_args(hint) if a is not type(None)] if union else [hint]
    if bool in parts and any(get_origin(p) is Literal for p in parts):
        return "tri", optional, ("auto", "true", "false")
    (one,) = parts
    if get_origin(one) is Literal:
        return "choice", optional, tuple(get_args(one))
    if get_origin(one) is tuple:
        item = get_args(one)[0]
        return {int: "ints", float: "floats", str: "strs"}[item], optional, ()  # type: ignore[return-value]
    return {int: "int", float: "float", str: "str", bool: "bool"}[one], optional, ()  # type: ignore[return-value]


def to_toml(config: ForecastConfig, data: Mapping[str, Any]) -> str:
    """The complete configuration as TOML: [data] (the given keys of ``data``) and every
    field of ``config`` in its section; ``"none"`` writes None."""
    lines = ["# seqlab forecast --config FILE: every setting of the run (see --help)"]
    given = {k: v for k, v in data.items() if v is not None and v is not False}
    lines += ["", "[data]", *(f"{k} = {_value(v)}" for k, v in given.items())]
    for section, names in SECTIONS.items():
        lines += ["", f"[{section}]"]
        lines += [f"{name} = {_value(config.value(name))}" for name in names]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if value is None:
        return '"none"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "[" + ", ".join(_value(v) for v in value) + "]"


def read_toml(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(ForecastConfig fields, [data] keys) of a file :func:`to_toml` wrote or a person did:
    sections and keys are checked (the closest valid one is named), ``"none"`` is None."""
    raw = read_toml_file(path)
    known = {"data": DATA_KEYS, **SECTIONS}
    values: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for section, table in raw.items():
        if section not in known:
            close = difflib.get_close_matches(section, list(known), n=1)
            hint = f"; did you mean [{close[0]}]?" if close else f"; sections: {', '.join(known)}"
            raise ConfigError(f"unknown section [{section}] in {path}{hint}")
        if not isinstance(table, dict):
            raise ConfigError(f"[{section}] in {path} must be a table")
        for key, value in table.items():
            if key not in known[section]:
                where = next((s for s, keys in known.items() if key in keys), None)
                close = difflib.get_close_matches(key, known[section], n=1)
                hint = (
                    f"; it belongs in [{where}]" if where else
                    f"; did you mean `{close[0]}`?" if close else ""
                )  # fmt: skip
                raise ConfigError(f"unknown key `{key}` in [{section}] of {path}{hint}")
            value = None if value == "none" else value
            (data if section == "data" else values)[key] = value
    return values, data


def check_fields_are_described() -> list[str]:
    """Settings of ForecastConfig missing from :data:`HELP`, or described but absent (a test keeps
    this empty, so that a new field cannot be left off the command line)."""
    return sorted((set(FIELDS) - set(HELP)) | (set(HELP) - set(FIELDS)))
