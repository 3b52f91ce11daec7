"""What to forecast and how: :class:`ForecastConfig`, and the seasonal period of each
frequency. The one place where a ForecastConfig is mapped to the configs of the networks
(:meth:`ForecastConfig.model_config`, :meth:`~ForecastConfig.segment_config`) and of their
training (:meth:`~ForecastConfig.train_config`); the CLI takes its defaults from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from seqlab.config import Cell, SegmentConfig, Seq2SeqConfig, TrainConfig
from seqlab.errors import ConfigError, DataError
from seqlab.forecasting.classical import CLASSICAL

__all__ = ["PERIODS", "ForecastConfig"]

# the fields that take one of a few values (true / false / "auto" for the three-way ones)
TRI_STATE = ("deseasonalize", "repeat_skip", "observed_floor", "nonnegative")
CHOICES: dict[str, tuple[object, ...]] = {
    **{name: (True, False, "auto") for name in TRI_STATE},
    "model": ("auto", "seq2seq", "direct", "segment"),
    "interval_method": ("adaptive", "split"),
    "select": ("auto", "model"),
}


def _either(allowed: tuple[object, ...]) -> str:
    words = ["true" if v is True else "false" if v is False else repr(v) for v in allowed]
    return ", ".join(words[:-1]) + " or " + words[-1]


PERIODS = {"MS": 12, "ME": 12, "M": 12, "QS": 4, "QE": 4, "W": 52, "D": 7, "h": 24, "H": 24}


@dataclass(frozen=True)
class ForecastConfig:
    """What to forecast and how. ``test_rows`` (a row count) or ``test_start`` (a date)
    overrides ``test_fraction``;
    ``period`` (the seasonal period) comes from the data's frequency when not given. With
    ``deseasonalize`` (and a period) the model learns anomalies from the mean of each season
    over the training rows, which is added back to its forecasts; ``"auto"`` does so when a
    permutation test on the training rows finds a season (p < 0.01, see
    :mod:`seqlab.data.seasonality`). ``quantiles`` (e.g. 0.1, 0.5,
    0.9; needs ``model="direct"``) trains with the pinball loss; point metrics use the middle
    quantile and the evaluation reports the coverage of the outer ones.

    A series shorter than the lookback is left-padded with its first value (every window
    reads rows before the first as the first row); it needs ``horizon`` + 1 training rows.

    ``covariates`` names columns of the series that the model reads but does not forecast
    (past covariates: known up to each forecast origin); ``future_covariates`` names columns
    whose values over the forecast period are known in advance (a load forecast, a planned
    price, a holiday flag): the encoder reads them beside each input step and the decoder
    beside each forecast step, and forecasting past the end needs their next ``horizon``
    values (``predict(..., future=...)``). ``static_covariates`` names the columns of a table
    of one row per series (``fit(..., static=...)``: numbers standardised over the series,
    categories one-hot) read beside every step, for a global model. Every other column is a
    target. ``calendar`` adds
    calendar features (month, weekday, hour, ...; ``("auto",)`` picks them from the
    frequency) as known-future covariates, read the same way.
    ``lookbacks`` trains one model per lookback and keeps the one with the lowest validation
    loss (the test rows are never looked at). ``instance_norm`` subtracts each window's last
    value from it and adds it back to the forecast; ``linear_skip`` adds a linear map from the
    window to the forecast beside the recurrent path. ``ensemble`` > 1 trains that many
    members from different initial weights and forecasts their mean (a deep ensemble: same
    training cost per member, much less variance from one seed to the next).

    ``model="auto"`` (the default) trains the encoder–decoder and, when the data allow it (no
    covariates, calendar or quantiles), the segment-recurrent network, and keeps the one with
    the lower validation MASE. ``model="segment"`` is the segment-recurrent network
    (:class:`~seqlab.models.SegmentRNN`):
    the window is cut into segments of ``segment`` steps (default: the seasonal period when
    it divides the lookback), one recurrent step per segment, every horizon segment decoded
    in parallel, each window normalised on its own; it reads the target columns only.

    ``val_rows`` (a row count) overrides ``val_fraction``; ``test_rows=0`` keeps no test
    part (forecast past the end only). ``select="auto"`` scores the network, every baseline
    and the mean of the network and the best baseline (and of the network and up to three
    baselines, grown greedily while the mean improves) on the validation windows (never the
    test rows) and forecasts with the best (see :mod:`seqlab.forecasting.selection`);
    ``"model"`` always uses the network. A quantile model faces the baselines with its middle
    quantile; when another method wins, its quantiles are moved onto that method's forecast,
    every band's width kept. Once chosen, the baselines that fit (climatology, the linear
    AR, the classical methods) forecast the test rows and the future fitted on the training
    *and* validation rows (they are cheap); ``refit`` also retrains the network on those
    rows for as many epochs as early stopping kept.

    ``intervals`` (e.g. 0.8, 0.95) adds prediction intervals at those coverage levels to
    whatever forecasts, calibrated on the validation windows by split conformal prediction
    (see :mod:`seqlab.forecasting.intervals`). With ``interval_method="adaptive"`` (the
    default) the level then adapts online as each test window's outcome becomes known
    (adaptive conformal inference), which keeps the coverage near nominal when the test
    period is calmer or wilder than the validation period; ``"split"`` keeps the validation
    radii throughout. Without test rows the two are the same.

    ``nonnegative`` keeps forecasts at or above 0 (``"auto"``: for columns never negative in
    the training rows); ``observed_floor`` keeps the network's forecasts at or above the lowest
    value the series took before each forecast origin (``"auto"``: when that lowers the
    network's validation MASE).

    ``repeat_skip`` (segment model) adds to each output segment the last input segment times
    a gate the network computes (see :class:`~seqlab.config.SegmentConfig`); ``"auto"`` does
    so when a segment is one seasonal period (then the gated path is the seasonal naive
    forecast, which the network learns when to follow).

    ``classical`` adds statsforecast's Theta (``"theta"``), AutoTheta (``"autotheta"``) and
    AutoETS (``"ets"``) to the
    candidates that ``select="auto"`` scores on the validation windows, alone and averaged with
    the network (see :mod:`seqlab.forecasting.classical`); a method whose fits on every series
    take more than ``classical_budget`` seconds, or that statsforecast is not installed for, is
    left out and named in ``selection["skipped"]``, as is one raced out: over many series, one
    far behind the network on a random sample of them (see
    :class:`~seqlab.forecasting.classical.Race`).

    ``log`` fits the logarithm of every column (all values must be positive) and undoes it on
    every output: forecasts, bands, evaluation and files are in the data's own units."""

    lookback: int = 36
    horizon: int = 12
    model: Literal["auto", "seq2seq", "direct", "segment"] = "auto"
    cell: Cell = "gru"
    hidden_size: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    epochs: int = 80
    batch_size: int = 32
    lr: float = 3e-3
    patience: int | None = 15
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    test_start: str | None = None
    test_rows: int | None = None
    period: int | None = None
    deseasonalize: bool | Literal["auto"] = "auto"
    quantiles: tuple[float, ...] | None = None
    covariates: tuple[str, ...] = ()
    future_covariates: tuple[str, ...] = ()
    static_covariates: tuple[str, ...] = ()
    calendar: tuple[str, ...] = ()
    lookbacks: tuple[int, ...] = ()
    instance_norm: bool = False
    linear_skip: bool = False
    weight_decay: float = 0.0
    ensemble: int = 1
    seed: int = 0
    progress: bool = False
    segment: int | None = None
    val_rows: int | None = None
    select: Literal["auto", "model"] = "auto"
    refit: bool = False
    lookback_trial_epochs: int | None = None
    nonnegative: bool | Literal["auto"] = "auto"
    observed_floor: bool | Literal["auto"] = "auto"
    repeat_skip: bool | Literal["auto"] = "auto"
    intervals: tuple[float, ...] = ()
    interval_method: Literal["adaptive", "split"] = "adaptive"
    log: bool = False
    classical: tuple[str, ...] = CLASSICAL
    classical_budget: float = 60.0

    def __post_init__(self) -> None:
        self._check_sequences()
        self._check_values()
        self._check_network()

    def _check_sequences(self) -> None:
        """The tuple fields: lists become tuples; levels sorted; names and values checked."""
        for name in (
            "quantiles", "covariates", "future_covariates", "static_covariates", "calendar",
            "lookbacks", "intervals", "classical",
        ):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, str):
                raise DataError(f"`{name}` must be a sequence, got the string {value!r}")
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        levels = self.intervals
        if not all(isinstance(v, float | int) and not isinstance(v, bool) for v in levels) or any(
            not 0 < v < 1 for v in levels
        ):
            raise DataError(f"`intervals` must be coverage levels in (0, 1), got {levels!r}")
        object.__setattr__(self, "intervals", tuple(sorted(set(map(float, levels)))))
        for value in self.lookbacks:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DataError(f"`lookbacks` must hold positive integers, got {value!r}")
        unknown = [m for m in self.classical if m not in CLASSICAL]
        if unknown:
            raise DataError(f"`classical` methods are {list(CLASSICAL)}, got {unknown[0]!r}")
        budget = self.classical_budget
        if isinstance(budget, bool) or not isinstance(budget, int | float) or not budget > 0:
            raise DataError(
                f"`classical_budget` must be a positive number of seconds, got {budget!r}"
            )

    def _check_values(self) -> None:
        """The fields of a few values, the flags and the counts."""
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if (isinstance(value, bool) and name not in TRI_STATE) or value not in allowed:
                raise DataError(f"`{name}` must be {_either(allowed)}, got {value!r}")
        if self.weight_decay < 0:
            raise DataError(f"`weight_decay` must be >= 0, got {self.weight_decay!r}")
        trial = self.lookback_trial_epochs
        if trial is not None and (
            isinstance(trial, bool) or not isinstance(trial, int) or trial < 1
        ):
            raise DataError(f"`lookback_trial_epochs` must be a positive integer, got {trial!r}")
        for name in ("log", "refit"):
            if not isinstance(getattr(self, name), bool):
                raise DataError(f"`{name}` must be true or false, got {getattr(self, name)!r}")
        for name in ("val_rows", "test_rows"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise DataError(f"`{name}` must be a non-negative integer, got {value!r}")
        for name in ("lookback", "horizon", "epochs", "batch_size", "ensemble"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DataError(f"`{name}` must be a positive integer, got {value!r}")

    def _check_network(self) -> None:
        """What the network kind can take, and its architecture's own checks."""
        if self.quantiles and self.model == "seq2seq":
            raise DataError(
                "`quantiles` need the direct head (`model` direct, or auto), got `model` seq2seq: "
                "a decoder would have to choose which quantile to feed back"
            )
        if self.model == "segment":
            if self.covariates or self.calendar or self.future_covariates or self.static_covariates:
                raise DataError(
                    "the segment model (`model` segment) reads the target columns only; "
                    "`covariates`, `future_covariates`, `static_covariates` and `calendar` "
                    "features need `model` seq2seq or direct"
                )
            if self.quantiles:
                raise DataError("`quantiles` need `model` direct, got `model` segment")
            if self.segment is not None:
                self.segment_config(1, self.lookback, self.segment)  # checks the fields
        else:
            self.model_config()  # checks the architecture's fields

    def segment_length(self, lookback: int, period: int | None) -> int:
        """``segment``, or the seasonal period when it divides ``lookback``, or the largest
        divisor of ``lookback`` that leaves at least four segments."""
        if self.segment is not None:
            return self.segment
        if period and period > 1 and lookback % period == 0 and lookback // period >= 2:
            return period
        return max(w for w in range(1, max(1, lookback // 4) + 1) if lookback % w == 0)

    def segment_config(
        self, targets: int, lookback: int, segment: int, period: int | None = None
    ) -> SegmentConfig:
        """The segment-recurrent network for ``targets`` channels (``repeat_skip`` as
        :meth:`repeats_season` says)."""
        try:
            return SegmentConfig(
                lookback=lookback,
                horizon=self.horizon,
                segment=segment,
                channels=targets,
                cell=self.cell,
                hidden_size=self.hidden_size,
                num_layers=self.num_layers,
                dropout=self.dropout,
                repeat_skip=self.repeats_season(segment, period),
            )
        except ConfigError as exc:
            raise DataError(str(exc)) from None

    def repeats_season(self, segment: int, period: int | None) -> bool:
        """``repeat_skip`` as a bool: as given, or with "auto" whether a segment is one season
        (``period``), where the gated copy of the last segment is the seasonal naive forecast."""
        if self.repeat_skip != "auto":
            return bool(self.repeat_skip)
        return period is not None and period > 1 and segment == period

    def model_config(
        self,
        targets: int = 1,
        covariates: int = 0,
        calendar: int = 0,
        lookback: int | None = None,
        futures: int = 0,
        statics: int = 0,
    ) -> Seq2SeqConfig:
        """The encoder–decoder for ``targets`` forecast columns, ``covariates`` past
        covariates, ``futures`` future-known covariates and ``calendar`` calendar features (two
        columns each) and ``statics`` encoded static covariates; the known-future ones and the
        static ones enter the encoder beside each input step and the decoder beside each
        forecast step."""
        lookback = self.lookback if lookback is None else lookback
        return Seq2SeqConfig(
            horizon=self.horizon,
            cell=self.cell,
            input_size=targets + covariates + futures + statics + 2 * calendar,
            output_size=targets,
            future_size=futures + statics + 2 * calendar,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            dropout=self.dropout,
            mode="direct" if self.model == "direct" or self.quantiles else "seq2seq",
            quantiles=self.quantiles,
            instance_norm=self.instance_norm,
            linear_skip=lookback if self.linear_skip else None,
        )

    def train_config(self, seed: int, validation: bool) -> TrainConfig:
        """How each network is trained (early stopping only with validation rows)."""
        return TrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            weight_decay=self.weight_decay,
            seed=seed,
            progress=self.progress,
            patience=self.patience if validation else None,
            schedule="cosine",
        )
