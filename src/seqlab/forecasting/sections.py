"""The sections of a :class:`~seqlab.forecasting.config.ForecastConfig`: :class:`SplitConfig`
(how each series is cut), :class:`NetworkConfig` (the network and what it reads),
:class:`SelectionConfig` (the choice among candidates) and :class:`IntervalConfig`; the fourth,
training, is :class:`~seqlab.config.TrainConfig` itself (a forecast's defaults:
:data:`FORECAST_TRAINING`). Each checks its own fields (:mod:`seqlab._checks`, ConfigError
naming the field)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from seqlab._checks import _choice, _fraction, _positive_float, _positive_int
from seqlab.config import Cell, TrainConfig
from seqlab.errors import ConfigError
from seqlab.forecasting.classical import CLASSICAL

__all__ = [
    "FORECAST_TRAINING",
    "IntervalConfig",
    "NetworkConfig",
    "SelectionConfig",
    "SplitConfig",
]

Tri = bool | Literal["auto"]


def _tuples(config: object, *names: str) -> None:
    """Lists become tuples (a JSON or TOML round trip); a string is refused."""
    for name in names:
        value = getattr(config, name)
        if isinstance(value, str):
            raise ConfigError(f"`{name}` must be a sequence, got the string {value!r}")
        if isinstance(value, list):
            object.__setattr__(config, name, tuple(value))


def _tri(name: str, value: object) -> None:
    if value not in (True, False, "auto"):
        raise ConfigError(f"`{name}` must be true, false or 'auto', got {value!r}")


def _flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ConfigError(f"`{name}` must be true or false, got {value!r}")


def _count(name: str, value: object) -> None:
    """None or an integer >= 0."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ConfigError(f"`{name}` must be a non-negative integer, got {value!r}")


@dataclass(frozen=True)
class SplitConfig:
    """How each series is cut and read. The last ``test_rows`` rows (or those from the date
    ``test_start``, or ``test_fraction`` of the rows) are the test part, never looked at while
    fitting; ``val_rows`` (or ``val_fraction`` of the rows before them) the validation part;
    ``test_rows=0`` keeps no test part (forecast past the end only). Windows read ``lookback``
    steps and forecast ``horizon``; ``lookbacks`` trains one network per lookback and keeps the
    one with the lowest validation error (mean absolute error in the series' scaled units,
    the same measure at every lookback). A series shorter than the lookback is left-padded with
    its first value; it needs ``horizon`` + 1 training rows. The validation and test windows
    start at every row of their part, or every ``stride`` rows from its first (hourly data,
    ``stride=24``: one forecast a day, at the hour the part starts — the day-ahead setting):
    the windows the selection scores and the evaluation reports. Training windows start at
    every row whatever the stride.

    ``period`` (the seasonal period) comes from the data's frequency when not given. With
    ``deseasonalize`` (and a period) the model learns anomalies from the mean of each season
    over the training rows, which is added back to its forecasts; ``"auto"`` does so when a
    permutation test on the training rows finds a season (p < 0.01, see
    :mod:`seqlab.data.seasonality`). ``log`` fits the logarithm of every column (all values must
    be positive) and undoes it on every output: forecasts, bands, evaluation and files are in
    the data's own units."""

    horizon: int = 12
    lookback: int = 36
    lookbacks: tuple[int, ...] = ()
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    val_rows: int | None = None
    test_rows: int | None = None
    test_start: str | None = None
    stride: int = 1
    period: int | None = None
    deseasonalize: Tri = "auto"
    log: bool = False

    def __post_init__(self) -> None:
        _tuples(self, "lookbacks")
        _positive_int("horizon", self.horizon)
        _positive_int("lookback", self.lookback)
        for value in self.lookbacks:
            _positive_int("lookbacks", value)
        _fraction("val_fraction", self.val_fraction)
        _fraction("test_fraction", self.test_fraction)
        _count("val_rows", self.val_rows)
        _count("test_rows", self.test_rows)
        _positive_int("stride", self.stride)
        if self.test_start is not None and not isinstance(self.test_start, str):
            raise ConfigError(f"`test_start` must be a date string, got {self.test_start!r}")
        if self.period is not None:
            _positive_int("period", self.period)
        _tri("deseasonalize", self.deseasonalize)
        _flag("log", self.log)


@dataclass(frozen=True)
class NetworkConfig:
    """The network and what it reads. ``model="auto"`` (the default) trains the
    encoder–decoder and, when the data allow it (no covariates, calendar or quantiles), the
    segment-recurrent network, and keeps the one with the lower validation MASE;
    ``"seq2seq"`` is the encoder–decoder (:class:`~seqlab.config.Seq2SeqConfig`), ``"direct"``
    its encoder with one linear map to every step, ``"segment"`` the segment-recurrent network
    (:class:`~seqlab.config.SegmentConfig`): the window cut into segments of ``segment`` steps
    (default: the seasonal period when it divides the lookback), one recurrent step per
    segment, every horizon segment decoded in parallel, each window normalised on its own; it
    reads the target columns only. ``repeat_skip`` (segment model) adds to each output segment
    the last input segment times a gate the network computes; ``"auto"``: when a segment is
    one seasonal period. ``instance_norm`` subtracts each window's last value from it and adds
    it back to the forecast; ``linear_skip`` adds a linear map from the window to the forecast
    beside the recurrent path. ``quantiles`` (e.g. 0.1, 0.5, 0.9; the direct head) trains with
    the pinball loss; point metrics use the middle quantile. ``ensemble`` > 1 trains that many
    members from different initial weights and forecasts their mean.

    ``covariates`` names columns the model reads but does not forecast (past covariates:
    known up to each forecast origin); ``future_covariates`` columns whose values over the
    forecast period are known in advance (a load forecast, a planned price, a holiday flag):
    the encoder reads them beside each input step and the decoder beside each forecast step,
    and forecasting past the end needs their next ``horizon`` values (``predict(...,
    future=...)``). ``static_covariates`` names the columns of a table of one row per series
    (``fit(..., static=...)``: numbers standardised over the series, categories one-hot) read
    beside every step, for a global model. Every other column is a target. ``calendar`` adds
    calendar features (month, weekday, hour, ...; ``("auto",)`` picks them from the frequency)
    as known-future covariates."""

    model: Literal["auto", "seq2seq", "direct", "segment"] = "auto"
    cell: Cell = "gru"
    hidden_size: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    segment: int | None = None
    repeat_skip: Tri = "auto"
    instance_norm: bool = False
    linear_skip: bool = False
    quantiles: tuple[float, ...] | None = None
    ensemble: int = 1
    covariates: tuple[str, ...] = ()
    future_covariates: tuple[str, ...] = ()
    static_covariates: tuple[str, ...] = ()
    calendar: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _tuples(self, "quantiles", "covariates", "future_covariates", "static_covariates",
                "calendar")  # fmt: skip
        _choice("model", self.model, ("auto", "seq2seq", "direct", "segment"))
        _tri("repeat_skip", self.repeat_skip)
        _flag("instance_norm", self.instance_norm)
        _flag("linear_skip", self.linear_skip)
        _positive_int("ensemble", self.ensemble)
        if self.quantiles and self.model == "seq2seq":
            raise ConfigError(
                "`quantiles` need the direct head (`model` direct, or auto), got `model` seq2seq: "
                "a decoder would have to choose which quantile to feed back"
            )
        if self.model == "segment":
            if self.covariates or self.calendar or self.future_covariates or self.static_covariates:
                raise ConfigError(
                    "the segment model (`model` segment) reads the target columns only; "
                    "`covariates`, `future_covariates`, `static_covariates` and `calendar` "
                    "features need `model` seq2seq or direct"
                )
            if self.quantiles:
                raise ConfigError("`quantiles` need `model` direct, got `model` segment")


@dataclass(frozen=True)
class SelectionConfig:
    """The choice among candidates. ``select="auto"`` scores the network, every baseline and
    the mean of the network and the best baseline (and of the network and several baselines,
    the best mean on a greedy path) on the validation windows (never the
    test rows) and forecasts with the best (see :mod:`seqlab.forecasting.selection`);
    ``"model"`` always uses the network. A quantile model faces the baselines with its middle
    quantile; when another method wins, its quantiles are moved onto that method's forecast,
    every band's width kept. Once chosen, the baselines that fit (climatology, the linear AR,
    the classical methods) forecast the test rows and the future fitted on the training *and*
    validation rows; ``refit`` also retrains the network on those rows for as many epochs as
    early stopping kept.

    ``classical`` adds statsforecast's Theta (``"theta"``), AutoTheta (``"autotheta"``) and
    AutoETS (``"ets"``) to the candidates, alone and averaged with the network (see
    :mod:`seqlab.forecasting.classical`); a method whose fits on every series take more than
    ``classical_budget`` seconds, or that statsforecast is not installed for, is left out and
    named in ``selection["skipped"]``, as is one raced out (see
    :class:`~seqlab.forecasting.classical.Race`).

    ``nonnegative`` keeps forecasts at or above 0 (``"auto"``: for columns never negative in
    the training rows); ``observed_floor`` keeps the network's forecasts at or above the lowest
    value the series took before each forecast origin (``"auto"``: when that lowers the
    network's validation MASE). ``lookback_trial_epochs`` trains each of several lookbacks
    that many epochs, then only the best on; with ``time_budget`` (seconds of training a
    network kind may take; segment models) the next-best lookbacks then train on too while the
    time each is expected to take still fits, and the mean of the best of them (grown greedily
    while its validation error falls) replaces the single best: an ensemble over lookbacks
    whose size the budget and the validation windows decide (how many fit depends on the
    machine's speed). ``lookback_rule`` picks among lookbacks: ``"lowest"`` the lowest
    validation error, ``"one_se"`` the shortest whose error is within one standard error (over
    the validation windows) of the lowest — the one-standard-error rule (Hastie, Tibshirani &
    Friedman, *Elements of Statistical Learning* §7.10): the simpler model where validation
    cannot tell them apart, which also trains faster."""

    select: Literal["auto", "model"] = "auto"
    refit: bool = False
    classical: tuple[str, ...] = CLASSICAL
    classical_budget: float = 60.0
    nonnegative: Tri = "auto"
    observed_floor: Tri = "auto"
    lookback_trial_epochs: int | None = None
    time_budget: float | None = None
    lookback_rule: Literal["lowest", "one_se"] = "lowest"

    def __post_init__(self) -> None:
        _tuples(self, "classical")
        _choice("lookback_rule", self.lookback_rule, ("lowest", "one_se"))
        _choice("select", self.select, ("auto", "model"))
        _flag("refit", self.refit)
        unknown = [m for m in self.classical if m not in CLASSICAL]
        if unknown:
            raise ConfigError(f"`classical` methods are {list(CLASSICAL)}, got {unknown[0]!r}")
        _positive_float("classical_budget", self.classical_budget)
        _tri("nonnegative", self.nonnegative)
        _tri("observed_floor", self.observed_floor)
        if self.lookback_trial_epochs is not None:
            _positive_int("lookback_trial_epochs", self.lookback_trial_epochs)
        if self.time_budget is not None:
            _positive_float("time_budget", self.time_budget)


@dataclass(frozen=True)
class IntervalConfig:
    """Prediction intervals at the coverage ``levels`` (e.g. 0.8, 0.95) around whatever
    forecasts, calibrated on the validation windows by split conformal prediction (see
    :mod:`seqlab.forecasting.intervals`). With ``method="adaptive"`` (the default) the level
    then adapts online as each test window's outcome becomes known (adaptive conformal
    inference), which keeps the coverage near nominal when the test period is calmer or wilder
    than the validation period; ``"split"`` keeps the validation radii throughout. Their flat
    names (flags, TOML keys, :meth:`ForecastConfig.of`) are ``intervals`` and
    ``interval_method``."""

    levels: tuple[float, ...] = field(default=(), metadata={"name": "intervals"})
    method: Literal["adaptive", "split"] = field(
        default="adaptive", metadata={"name": "interval_method"}
    )

    def __post_init__(self) -> None:
        _tuples(self, "levels")
        levels = self.levels
        if not all(isinstance(v, float | int) and not isinstance(v, bool) for v in levels) or any(
            not 0 < v < 1 for v in levels
        ):
            raise ConfigError(f"`intervals` must be coverage levels in (0, 1), got {levels!r}")
        object.__setattr__(self, "levels", tuple(sorted(set(map(float, levels)))))
        _choice("interval_method", self.method, ("adaptive", "split"))


# how a forecast trains its networks when not told otherwise (TrainConfig's own defaults suit
# the sequence models of `seqlab train`)
FORECAST_TRAINING = TrainConfig(
    epochs=80, batch_size=32, lr=3e-3, patience=15, schedule="cosine", progress=False
)
