"""Frozen, validated configuration dataclasses and their TOML form.

``ModelConfig`` goes whole into a model and whole into its checkpoint (``asdict``),
and a checkpoint rebuilds the model with ``ModelConfig(**d)``.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, TypeVar, get_args

from seqlab._checks import (
    MAX_HORIZON,
    MAX_LAYERS,
    _choice,
    _fraction,
    _positive_float,
    _positive_int,
)
from seqlab.errors import ConfigError

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass

Cell = Literal["lstm", "gru"]
Head = Literal["per_step", "last"]
Task = Literal["regression", "classification"]
Schedule = Literal["constant", "cosine"]
Precision = Literal["fp32", "bf16", "auto"]

__all__ = [
    "Cell",
    "DataConfig",
    "Head",
    "ModelConfig",
    "SegmentConfig",
    "Seq2SeqConfig",
    "Task",
    "TrainConfig",
    "config_from_dict",
]


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a :class:`~seqlab.models.SequenceModel`.

    ``head="per_step"`` applies one Linear to every time step (Keras' TimeDistributed);
    ``head="last"`` reads the final valid step (many-to-one). For classification the
    model outputs ``num_classes`` logits and ``output_size`` must stay 1.
    """

    cell: Cell = "lstm"
    input_size: int = 1
    hidden_size: int = 32
    num_layers: int = 1
    dropout: float = 0.0
    head: Head = "per_step"
    output_size: int = 1
    task: Task = "regression"
    num_classes: int | None = None

    def __post_init__(self) -> None:
        _choice("cell", self.cell, get_args(Cell))
        _positive_int("input_size", self.input_size)
        _positive_int("hidden_size", self.hidden_size)
        _positive_int("num_layers", self.num_layers, MAX_LAYERS)
        _fraction("dropout", self.dropout)
        _choice("head", self.head, get_args(Head))
        _positive_int("output_size", self.output_size)
        _choice("task", self.task, get_args(Task))
        if self.task == "classification":
            if self.num_classes is None or isinstance(self.num_classes, bool):
                raise ConfigError("`num_classes` is required when task='classification'")
            _positive_int("num_classes", self.num_classes)
            if self.num_classes < 2:
                raise ConfigError(f"`num_classes` must be at least 2, got {self.num_classes!r}")
            if self.output_size != 1:
                raise ConfigError(
                    "`output_size` must be 1 for classification (the model outputs "
                    f"`num_classes` logits), got {self.output_size!r}"
                )
        elif self.num_classes is not None:
            raise ConfigError(
                f"`num_classes` is only used when task='classification', got {self.num_classes!r}"
            )

    @property
    def out_features(self) -> int:
        """Width of the head's output: ``num_classes`` logits or ``output_size`` values."""
        return self.num_classes if self.num_classes is not None else self.output_size


@dataclass(frozen=True)
class TrainConfig:
    """Settings of :class:`~seqlab.training.Trainer`.

    ``clip_grad_norm`` clips the global gradient norm (on by default; ``None`` turns it
    off). ``patience`` turns on early stopping on the validation loss with the best
    weights restored. ``max_steps`` ends training after that many optimizer steps (the last
    epoch may stop part way; NeuralForecast's and Lightning's ``max_steps``). The
    ``cosine`` schedule decays the learning rate step by step to zero over the steps
    training will take: ``epochs`` epochs, or ``max_steps`` where fewer. ``precision="bf16"``
    trains in mixed precision (``torch.autocast``: the forward pass's matrix products in
    bfloat16, weights, gradients and optimizer state in float32; validation in float32);
    ``"auto"`` does so where the device computes bfloat16 natively (a CUDA GPU that supports
    it, a CPU with AVX-512 BF16 or AMX) and trains in float32 elsewhere. ``device="auto"``
    uses CUDA when it is present. With a run folder, the trainer writes its resume state
    every ``checkpoint_every`` epochs.
    """

    epochs: int = 50
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    clip_grad_norm: float | None = 1.0
    val_fraction: float = 0.0
    patience: int | None = None
    schedule: Schedule = "constant"
    max_steps: int | None = None
    precision: Precision = "fp32"
    seed: int = 0
    device: str = "auto"
    progress: bool = True
    checkpoint_every: int = 1

    def __post_init__(self) -> None:
        _positive_int("epochs", self.epochs)
        _positive_int("checkpoint_every", self.checkpoint_every)
        _positive_int("batch_size", self.batch_size)
        _positive_float("lr", self.lr)
        _positive_float("weight_decay", self.weight_decay, allow_zero=True)
        if self.clip_grad_norm is not None:
            _positive_float("clip_grad_norm", self.clip_grad_norm)
        _fraction("val_fraction", self.val_fraction)
        if self.patience is not None:
            _positive_int("patience", self.patience)
        _choice("schedule", self.schedule, get_args(Schedule))
        if self.max_steps is not None:
            _positive_int("max_steps", self.max_steps)
        _choice("precision", self.precision, get_args(Precision))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"`seed` must be a non-negative integer, got {self.seed!r}")
        if not isinstance(self.device, str) or not (
            self.device in ("auto", "cpu") or self.device.startswith("cuda")
        ):
            raise ConfigError(f"`device` must be 'auto', 'cpu' or 'cuda[:N]', got {self.device!r}")


@dataclass(frozen=True)
class DataConfig:
    """Where ``seqlab train`` gets its sequences.

    Either ``task`` names a built-in synthetic task (see ``seqlab.data.tasks``), or
    ``csv`` names a long-format file: one row per time step, ``sequence_col`` groups
    rows into sequences (absent: the whole file is one sequence), ``inputs`` are the
    feature columns and ``targets`` the target columns (for a ``last`` head the target
    is read from the last row of each sequence).
    """

    task: str | None = None
    csv: str | None = None
    inputs: tuple[str, ...] = ("x",)
    targets: tuple[str, ...] = ("y",)
    sequence_col: str | None = "sequence"
    num_sequences: int = 1000
    length: int = 20
    scale: Literal["standard", "none"] = "standard"
    seed: int = 0

    def __post_init__(self) -> None:
        if (self.task is None) == (self.csv is None):
            raise ConfigError("[data] needs exactly one of `task` (a built-in task) or `csv`")
        for name in ("inputs", "targets"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
                value = getattr(self, name)
            if not value or not all(isinstance(v, str) for v in value):
                raise ConfigError(
                    f"`{name}` must be a non-empty list of column names, got {value!r}"
                )
        _positive_int("num_sequences", self.num_sequences)
        _positive_int("length", self.length)
        _choice("scale", self.scale, ("standard", "none"))


DecoderInput = Literal["conditional", "unconditioned"]
Regime = Literal["teacher_forcing", "mixed", "scheduled_sampling", "free_running"]
Seq2SeqMode = Literal["seq2seq", "direct"]


@dataclass(frozen=True)
class Seq2SeqConfig:
    """Architecture and training regime of a :class:`~seqlab.models.Seq2Seq`.

    The encoder reads ``input_size`` features per step, of which the first
    ``output_size`` are the target series and the rest past covariates. The decoder
    predicts ``horizon`` steps of the targets, also reading ``future_size`` known-future
    covariates per step. ``decoder="conditional"`` feeds the decoder the previous value
    (the true one under teacher forcing, its own prediction otherwise);
    ``"unconditioned"`` feeds it nothing. ``regime`` picks teacher forcing, a constant
    teacher-forcing ratio (``mixed``), scheduled sampling (the ratio decays linearly from
    ``teacher_forcing_ratio`` to 0 over training) or free running; inference is always
    autoregressive. ``composite`` adds a second decoder that reconstructs the input in
    reverse order (Srivastava et al., 2015), used in training only. ``mode="direct"``
    replaces the decoder with one linear map from the encoder's final state to all
    ``horizon`` steps. ``l2`` penalises the squared recurrent weights.
    ``instance_norm`` subtracts each window's last target value from the window and adds it
    back to the forecast; ``linear_skip=L`` adds a linear map from the last L target values
    to all H steps (NLinear-style) to the recurrent forecast; windows must then be L long.
    ``quantiles`` (direct mode) make the model output (B, H, O, Q), trained with the pinball loss.
    """

    horizon: int
    cell: Cell = "lstm"
    input_size: int = 1
    output_size: int = 1
    future_size: int = 0
    hidden_size: int = 64
    num_layers: int = 1
    dropout: float = 0.0
    mode: Seq2SeqMode = "seq2seq"
    decoder: DecoderInput = "conditional"
    regime: Regime = "teacher_forcing"
    teacher_forcing_ratio: float = 1.0
    composite: bool = False
    l2: float = 0.0
    instance_norm: bool = False
    linear_skip: int | None = None
    quantiles: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        _positive_int("horizon", self.horizon, MAX_HORIZON)
        if self.quantiles is not None:
            qs = tuple(self.quantiles)
            object.__setattr__(self, "quantiles", qs)
            if (
                not qs
                or any(not isinstance(q, float | int) or not 0 < q < 1 for q in qs)
                or list(qs) != sorted(set(qs))
            ):
                raise ConfigError(
                    f"`quantiles` must be increasing numbers in (0, 1), got {self.quantiles!r}"
                )
            if self.mode != "direct":
                raise ConfigError(
                    "`quantiles` need mode='direct' (a decoder would have to choose which "
                    "quantile to feed back)"
                )
        if not isinstance(self.instance_norm, bool):
            raise ConfigError(f"`instance_norm` must be true or false, got {self.instance_norm!r}")
        if self.linear_skip is not None:
            _positive_int("linear_skip", self.linear_skip)
        _choice("cell", self.cell, get_args(Cell))
        _positive_int("input_size", self.input_size)
        _positive_int("output_size", self.output_size)
        if self.output_size > self.input_size:
            raise ConfigError(
                f"`output_size` ({self.output_size}) cannot exceed `input_size` "
                f"({self.input_size}): the first output_size input columns are the targets"
            )
        if (
            isinstance(self.future_size, bool)
            or not isinstance(self.future_size, int)
            or self.future_size < 0
        ):
            raise ConfigError(
                f"`future_size` must be a non-negative integer, got {self.future_size!r}"
            )
        _positive_int("hidden_size", self.hidden_size)
        _positive_int("num_layers", self.num_layers, MAX_LAYERS)
        _fraction("dropout", self.dropout)
        _choice("mode", self.mode, get_args(Seq2SeqMode))
        _choice("decoder", self.decoder, get_args(DecoderInput))
        _choice("regime", self.regime, get_args(Regime))
        _fraction("teacher_forcing_ratio", self.teacher_forcing_ratio, closed_right=True)
        if not isinstance(self.composite, bool):
            raise ConfigError(f"`composite` must be true or false, got {self.composite!r}")
        _positive_float("l2", self.l2, allow_zero=True)
        if self.mode == "direct" and self.composite:
            raise ConfigError("`composite` needs mode='seq2seq' (the direct model has no decoder)")


C = TypeVar("C")


SegmentDecoder = Literal["parallel", "recurrent"]
SegmentNorm = Literal["window", "last", "none"]
SegmentLoss = Literal["mae", "mse"]
SegmentEncoder = Literal["recurrent", "linear"]


@dataclass(frozen=True)
class SegmentConfig:
    """A :class:`~seqlab.models.SegmentRNN`: reads ``lookback`` steps of ``channels``
    series, forecasts ``horizon`` steps of each.

    ``segment`` (w) must divide ``lookback``. ``norm="window"`` centres each window on the
    mean of its last segment and divides by its mean absolute deviation from that centre;
    ``"last"`` only subtracts the last value (SegRNN's choice); both are undone on the
    forecast. ``loss`` is taken on the normalised values, so every series weighs the same
    whatever its scale. ``encoder="linear"`` replaces the recurrence over the segments by one
    linear map of all segment embeddings to the state (an ablation: what the recurrence adds).
    ``repeat_skip`` adds to every output segment the last input segment (normalised) times a
    gate in [0, 1] that the decoder computes from its state: the network can then copy the
    last season exactly where that is right (a very regular series) and learn a correction
    elsewhere, instead of rebuilding the profile from its state.
    """

    lookback: int
    horizon: int
    segment: int = 24
    channels: int = 1
    cell: Cell = "gru"
    hidden_size: int = 128
    num_layers: int = 1
    dropout: float = 0.1
    decoder: SegmentDecoder = "parallel"
    norm: SegmentNorm = "window"
    loss: SegmentLoss = "mae"
    encoder: SegmentEncoder = "recurrent"
    repeat_skip: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.repeat_skip, bool):
            raise ConfigError(f"`repeat_skip` must be true or false, got {self.repeat_skip!r}")
        for name in ("lookback", "segment", "channels", "hidden_size"):
            _positive_int(name, getattr(self, name))
        _positive_int("horizon", self.horizon, MAX_HORIZON)
        _positive_int("num_layers", self.num_layers, MAX_LAYERS)
        if self.lookback % self.segment:
            raise ConfigError(
                f"`lookback` ({self.lookback}) must be a multiple of `segment` ({self.segment})"
            )
        if self.hidden_size < 2:
            raise ConfigError(f"`hidden_size` must be at least 2, got {self.hidden_size!r}")
        _fraction("dropout", self.dropout)
        for name, allowed in (
            ("cell", get_args(Cell)),
            ("decoder", get_args(SegmentDecoder)),
            ("norm", get_args(SegmentNorm)),
            ("loss", get_args(SegmentLoss)),
            ("encoder", get_args(SegmentEncoder)),
        ):
            _choice(name, getattr(self, name), allowed)

    @property
    def out_segments(self) -> int:
        return -(-self.horizon // self.segment)


def config_from_dict(cls: type[C], values: Mapping[str, Any], section: str = "") -> C:
    """Build ``cls`` from a mapping, rejecting unknown keys with the closest valid one."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"[{section or cls.__name__}] must be a table, got {values!r}")
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    for key in values:
        if key not in names:
            where = f" in [{section}]" if section else ""
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else f"; valid keys: {', '.join(names)}"
            raise ConfigError(f"unknown key `{key}`{where}{hint}")
    try:
        return cls(**values)
    except TypeError as exc:  # a missing required field
        raise ConfigError(f"[{section or cls.__name__}]: {exc}") from exc
