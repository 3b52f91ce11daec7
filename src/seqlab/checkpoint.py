"""Checkpoints: a directory with ``model.safetensors`` (weights) and ``checkpoint.json``.

The JSON holds the format version, package version, model kind and config, training
config, scaler states, data description, history and the SHA-256 of the weights file.
Loading rebuilds the model from its config and loads the weights with ``strict=True``;
nothing is unpickled. Writes are atomic (see :mod:`seqlab._io`).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from torch import nn

from seqlab._io import atomic_write_dir, dir_candidates, recover_dir
from seqlab._version import __version__
from seqlab.checkpoint_files import (
    FORMAT_VERSION,
    META_FILE,
    WEIGHTS_FILE,
    newness,
    read_meta,
    safetensors_header,
    shape_diff,
)
from seqlab.config import ModelConfig, Seq2SeqConfig, TrainConfig, config_from_dict
from seqlab.data.batches import as_float_tensor
from seqlab.data.scaling import Scaler, scaler_from_dict
from seqlab.errors import CheckpointError, ConfigError
from seqlab.history import History
from seqlab.models.ensemble import Ensemble, EnsembleConfig
from seqlab.models.segment import SegmentConfig, SegmentRNN
from seqlab.models.seq2seq import Seq2Seq
from seqlab.models.sequence import SequenceModel
from seqlab.models.state import State

__all__ = [
    "FORMAT_VERSION",
    "Checkpoint",
    "Prediction",
    "load",
    "load_checkpoint",
    "newness",
    "recover",
    "save",
]


# Model kinds a checkpoint can rebuild: kind -> (model class, config class).
MODEL_KINDS: dict[str, tuple[type[nn.Module], type[Any]]] = {
    SequenceModel.kind: (SequenceModel, ModelConfig),
    Seq2Seq.kind: (Seq2Seq, Seq2SeqConfig),
    Ensemble.kind: (Ensemble, EnsembleConfig),
    SegmentRNN.kind: (SegmentRNN, SegmentConfig),
}


@dataclass(frozen=True)
class Prediction:
    """Model outputs in original units: ``values`` (regression) or class results."""

    values: NDArray[np.float32] | None
    probabilities: NDArray[np.float32] | None
    labels: NDArray[np.int64] | None
    state: State

    @property
    def regression(self) -> NDArray[np.float32]:
        """``values``, for a model that outputs numbers (an error names what a classifier
        returns instead)."""
        if self.values is None:
            raise TypeError("a classifier's prediction has `probabilities` and `labels`, no values")
        return self.values

    @property
    def classes(self) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """(``probabilities``, ``labels``), for a classifier."""
        if self.probabilities is None or self.labels is None:
            raise TypeError("a regression model's prediction has `values`, no classes")
        return self.probabilities, self.labels


@dataclass
class Checkpoint:
    """A model with everything saved beside it."""

    model: nn.Module
    x_scaler: Scaler | None = None
    y_scaler: Scaler | None = None
    future_scaler: Scaler | None = None
    train_config: TrainConfig | None = None
    history: History | None = None
    data: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> ModelConfig | Seq2SeqConfig | SegmentConfig:
        """The model's configuration; for an ensemble, its members' (inputs, outputs and
        horizon are theirs)."""
        config: Any = self.model.config
        if isinstance(config, EnsembleConfig):
            config = config.member
        assert isinstance(config, ModelConfig | Seq2SeqConfig | SegmentConfig)
        return config

    @property
    def forecaster_state(self) -> dict[str, Any] | None:
        """A Forecaster's state (per-series scaling, split, selection) when this is a
        ``seqlab forecast`` checkpoint, else None."""
        data = self.data or {}
        return data if "forecast_config" in data else None

    def refuse_forecaster(self, what: str) -> None:
        """Refuse, for ``what`` (stream, predict), a Forecaster's checkpoint: its network
        reads each series scaled with that series' own statistics, windows of a fixed
        lookback and calendar features, and its forecast may be a baseline or network +
        baseline; feeding raw values to the network would print numbers in the wrong units."""
        if self.forecaster_state is not None:
            raise CheckpointError(
                f"this is a seqlab forecast checkpoint (per-series scaling, chosen on "
                f"validation); {what} cannot apply it — use "
                "seqlab.Forecaster.load(path).predict(newer_rows) or `seqlab forecast` instead"
            )

    @torch.no_grad()
    def predict(
        self,
        x: object,
        state: State | None = None,
        lengths: object | None = None,
        future: object | None = None,
    ) -> Prediction:
        """Scale ``x`` (B, T, F) given in original units, run the model, unscale its outputs.

        ``lengths`` is for sequence models, ``future`` (B, H, Fc) for encoder–decoders.
        """
        model = self.model
        device = next(model.parameters()).device
        arr = np.asarray(x, dtype=np.float32)
        if self.x_scaler is not None:
            arr = self.x_scaler.transform(arr)
        kwargs: dict[str, torch.Tensor] = {}
        if lengths is not None:
            kwargs["lengths"] = torch.as_tensor(np.asarray(lengths), dtype=torch.int64)
        if future is not None:
            fut = np.asarray(future, dtype=np.float32)
            if self.future_scaler is not None:
                fut = self.future_scaler.transform(fut)
            kwargs["future"] = as_float_tensor(fut, "future").to(device)
        model.eval()
        out, state = model(as_float_tensor(arr, "x").to(device), state, **kwargs)
        config = self.config
        if isinstance(config, ModelConfig) and config.task == "classification":
            probs = torch.softmax(out, dim=-1)
            return Prediction(None, probs.cpu().numpy(), probs.argmax(-1).cpu().numpy(), state)
        values = out.cpu().numpy()
        if self.y_scaler is not None:
            values = self.y_scaler.inverse_transform(values)
        return Prediction(values.astype(np.float32), None, None, state)


def save(
    path: str | Path,
    model: nn.Module | Checkpoint,
    *,
    x_scaler: Scaler | None = None,
    y_scaler: Scaler | None = None,
    future_scaler: Scaler | None = None,
    train_config: TrainConfig | None = None,
    history: History | None = None,
    data: dict[str, Any] | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """Write a checkpoint directory at ``path`` atomically and return the path.

    ``model`` is a model (with the scalers, training config, history and data description
    as keywords), or a :class:`Checkpoint` holding them all: ``save(path, ckpt)`` writes
    exactly what ``load_checkpoint(path)`` returns. ``extra_files`` are written into the same
    directory in the same atomic step (the trainer's resume state uses this).

    An existing seqlab checkpoint at ``path`` is replaced; any other existing file or
    directory is left alone and a ``CheckpointError`` is raised.
    """
    if isinstance(model, Checkpoint):
        given = (x_scaler, y_scaler, future_scaler, train_config, history, data)
        if any(v is not None for v in given):
            raise TypeError("save(path, checkpoint) takes everything from the checkpoint")
        ckpt = model
    else:
        ckpt = Checkpoint(model, x_scaler, y_scaler, future_scaler, train_config, history, data)
    path = Path(path)
    if path.exists() and not (path.is_dir() and (path / META_FILE).exists()):
        raise CheckpointError(
            f"{path} exists and is not a seqlab checkpoint; refusing to replace it"
        )
    files = _files(ckpt)
    files.update(extra_files or {})
    atomic_write_dir(path, files)
    return path


def _files(ckpt: Checkpoint) -> dict[str, bytes]:
    """The weights (safetensors) and the metadata (JSON) of ``ckpt``, by file name."""
    model = ckpt.model
    kind = getattr(model, "kind", None)
    if kind not in MODEL_KINDS:
        raise TypeError(
            f"cannot checkpoint a {type(model).__name__}; known kinds: {list(MODEL_KINDS)}"
        )
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    weights = save_safetensors(tensors, metadata={"format": "pt"})
    scalers = {"x": ckpt.x_scaler, "y": ckpt.y_scaler, "future": ckpt.future_scaler}
    meta = {
        "format": "seqlab-checkpoint",
        "format_version": FORMAT_VERSION,
        "seqlab_version": __version__,
        "torch_version": torch.__version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds"),
        "model": {"kind": kind, "config": asdict(model.config)},  # type: ignore[call-overload]
        "train_config": None if ckpt.train_config is None else asdict(ckpt.train_config),
        "scalers": {k: None if v is None else v.to_dict() for k, v in scalers.items()},
        "data": ckpt.data,
        "history": None if ckpt.history is None else ckpt.history.to_dict(),
        "weights": {"file": WEIGHTS_FILE, "sha256": hashlib.sha256(weights).hexdigest()},
    }
    return {WEIGHTS_FILE: weights, META_FILE: json.dumps(meta, indent=2).encode() + b"\n"}


def _model_config(meta: dict[str, Any], path: Path) -> tuple[type[nn.Module], Any]:
    model = meta.get("model")
    if not isinstance(model, dict) or model.get("kind") not in MODEL_KINDS:
        kind = model.get("kind") if isinstance(model, dict) else None
        raise CheckpointError(
            f"{path}: unknown or missing model kind {kind!r}; known: {list(MODEL_KINDS)}"
        )
    model_cls, config_cls = MODEL_KINDS[model["kind"]]
    try:
        config = config_from_dict(config_cls, model.get("config") or {}, "model")
    except (ConfigError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: invalid model config: {exc}") from None
    return model_cls, config


def _checked_model(model_cls: type[nn.Module], config: Any, blob: bytes, path: Path) -> nn.Module:
    """Build the model only once the saved tensors' shapes match what its config describes.

    The config is first built on PyTorch's "meta" device (shapes, no memory), so a tampered
    size is refused before anything is allocated; the real model is then as large as the
    weights file."""
    with torch.device("meta"):
        skeleton = model_cls(config)
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    saved = safetensors_header(blob, path / WEIGHTS_FILE)
    got = {k: shape for k, (_, shape) in saved.items()}
    if got != expected:
        raise CheckpointError(
            f"{path}: the weights do not match the model config: {shape_diff(expected, got)}"
        )
    return model_cls(config)


def load_checkpoint(path: str | Path, *, device: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint written by :func:`save`, verifying its integrity.

    Every field is checked before use and sizes are checked against the weights file's
    header before a module is built; anything malformed raises :class:`CheckpointError`.
    Where ``path`` is missing because a replacement was cut off (the system could not swap
    the folders in one step), the newest complete copy beside it is read instead.
    """
    path = Path(path)
    if not path.exists():
        path = _newest_copy(path)
    meta = read_meta(path)
    model_cls, config = _model_config(meta, path)
    weights_path = path / WEIGHTS_FILE
    try:
        blob = weights_path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{path} is missing its weights file {WEIGHTS_FILE}") from None
    expected = (meta.get("weights") or {}).get("sha256")
    if expected != hashlib.sha256(blob).hexdigest():
        raise CheckpointError(
            f"{weights_path} is corrupt or truncated: its SHA-256 does not match {META_FILE}"
        )
    model = _checked_model(model_cls, config, blob, path)
    try:
        tensors = load_safetensors(blob)
        model.load_state_dict(tensors, strict=True)
    except (SafetensorError, RuntimeError) as exc:
        raise CheckpointError(f"{weights_path} is not a valid safetensors file: {exc}") from None
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not bool(v.isfinite().all())]
    if bad:
        raise CheckpointError(
            f"{weights_path} holds NaN or infinite weights ({', '.join(bad[:3])})"
        )
    model.to(device).eval()
    try:
        return _checkpoint(model, meta)
    except (ConfigError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise CheckpointError(f"{path / META_FILE}: malformed field: {exc}") from None


def _checkpoint(model: nn.Module, meta: dict[str, Any]) -> Checkpoint:
    scalers = meta.get("scalers") or {}

    def scaler(key: str) -> Scaler | None:
        return None if scalers.get(key) is None else scaler_from_dict(scalers[key])

    history = meta.get("history")
    return Checkpoint(
        model=model,
        x_scaler=scaler("x"),
        y_scaler=scaler("y"),
        future_scaler=scaler("future"),
        train_config=(
            None
            if meta.get("train_config") is None
            else config_from_dict(TrainConfig, meta["train_config"], "train")
        ),
        history=None if history is None else _history(history),
        data=meta.get("data"),
        meta=meta,
    )


def _history(d: dict[str, Any]) -> History:
    epochs = d.get("epochs", [])
    if not isinstance(epochs, list) or not all(isinstance(e, dict) for e in epochs):
        raise ValueError(f"`history.epochs` must be a list of objects, got {epochs!r:.80}")
    return History.from_dict(d)


def _newest_copy(path: Path) -> Path:
    copies = [c for c in dir_candidates(path) if not c.name.endswith(".tmp")]  # .tmp: partial
    ranked = [(k, -i, c) for i, c in enumerate(copies) if (k := newness(c))]
    return max(ranked)[2] if ranked else path


def recover(path: str | Path) -> Path | None:
    """Put the newest complete copy of the checkpoint folder ``path`` in place after a crash
    (see :func:`seqlab._io.recover_dir`); None when there is none."""
    return recover_dir(path, newness)


def load(path: str | Path, *, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the model saved at ``path`` (no pickle); see :func:`load_checkpoint`."""
    return load_checkpoint(path, device=device).model
