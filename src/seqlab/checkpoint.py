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

FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
META_FILE = "checkpoint.json"

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
    model: nn.Module,
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

    ``extra_files`` are written into the same directory in the same atomic step (the
    trainer's resume state uses this).

    An existing seqlab checkpoint at ``path`` is replaced; any other existing file or
    directory is left alone and a ``CheckpointError`` is raised.
    """
    path = Path(path)
    if path.exists() and not (path.is_dir() and (path / META_FILE).exists()):
        raise CheckpointError(
            f"{path} exists and is not a seqlab checkpoint; refusing to replace it"
        )
    kind = getattr(model, "kind", None)
    if kind not in MODEL_KINDS:
        raise TypeError(
            f"cannot checkpoint a {type(model).__name__}; known kinds: {list(MODEL_KINDS)}"
        )
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    weights = save_safetensors(tensors, metadata={"format": "pt"})
    meta = {
        "format": "seqlab-checkpoint",
        "format_version": FORMAT_VERSION,
        "seqlab_version": __version__,
        "torch_version": torch.__version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds"),
        "model": {"kind": kind, "config": asdict(model.config)},  # type: ignore[call-overload]
        "train_config": None if train_config is None else asdict(train_config),
        "scalers": {
            "x": None if x_scaler is None else x_scaler.to_dict(),
            "y": None if y_scaler is None else y_scaler.to_dict(),
            "future": None if future_scaler is None else future_scaler.to_dict(),
        },
        "data": data,
        "history": None if history is None else history.to_dict(),
        "weights": {"file": WEIGHTS_FILE, "sha256": hashlib.sha256(weights).hexdigest()},
    }
    files = {WEIGHTS_FILE: weights, META_FILE: json.dumps(meta, indent=2).encode() + b"\n"}
    files.update(extra_files or {})
    atomic_write_dir(path, files)
    return path


def read_meta(path: str | Path) -> dict[str, Any]:
    """Read and check a checkpoint's JSON (format and version), without the weights."""
    path = Path(path)
    meta_path = path / META_FILE
    if not path.exists():
        raise CheckpointError(f"checkpoint not found: {path}")
    if not meta_path.is_file():
        raise CheckpointError(f"{path} is not a seqlab checkpoint (no {META_FILE} inside)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{meta_path} is corrupt (not valid JSON: {exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != "seqlab-checkpoint":
        raise CheckpointError(f"{meta_path} is not a seqlab checkpoint description")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {version!r}, newer than this seqlab "
            f"({__version__}) reads (<= {FORMAT_VERSION}); upgrade seqlab"
        )
    return meta


def _build_model(meta: dict[str, Any], path: Path) -> nn.Module:
    try:
        kind, config_dict = meta["model"]["kind"], meta["model"]["config"]
        model_cls, config_cls = MODEL_KINDS[kind]
        config = config_from_dict(config_cls, config_dict, "model")
    except (KeyError, TypeError) as exc:
        raise CheckpointError(f"{path}: unknown or missing model description ({exc})") from None
    except ConfigError as exc:
        raise CheckpointError(f"{path}: invalid model config: {exc}") from None
    return model_cls(config)


def load_checkpoint(path: str | Path, *, device: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint written by :func:`save`, verifying its integrity.

    Where ``path`` is missing because a replacement was cut off (the system could not swap
    the folders in one step), the newest complete copy beside it is read instead.
    """
    path = Path(path)
    if not path.exists():
        path = _newest_copy(path)
    meta = read_meta(path)
    model = _build_model(meta, path)
    weights_path = path / WEIGHTS_FILE
    try:
        blob = weights_path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{path} is missing its weights file {WEIGHTS_FILE}") from None
    expected = meta.get("weights", {}).get("sha256")
    if expected != hashlib.sha256(blob).hexdigest():
        raise CheckpointError(
            f"{weights_path} is corrupt or truncated: its SHA-256 does not match {META_FILE}"
        )
    try:
        tensors = load_safetensors(blob)
        model.load_state_dict(tensors, strict=True)
    except SafetensorError as exc:
        raise CheckpointError(f"{weights_path} is not a valid safetensors file: {exc}") from None
    except RuntimeError:
        raise CheckpointError(
            f"{path}: the weights do not match the model config: {_diff(model, tensors)}"
        ) from None
    model.to(device).eval()
    scalers = meta.get("scalers") or {}
    return Checkpoint(
        model=model,
        x_scaler=None if scalers.get("x") is None else scaler_from_dict(scalers["x"]),
        y_scaler=None if scalers.get("y") is None else scaler_from_dict(scalers["y"]),
        future_scaler=(
            None if scalers.get("future") is None else scaler_from_dict(scalers["future"])
        ),
        train_config=(
            None
            if meta.get("train_config") is None
            else config_from_dict(TrainConfig, meta["train_config"], "train")
        ),
        history=None if meta.get("history") is None else History.from_dict(meta["history"]),
        data=meta.get("data"),
        meta=meta,
    )


def newness(path: Path) -> tuple[int, str] | None:
    """How new a complete, hash-verified checkpoint is (epochs trained, time written), or
    None when ``path`` is not one (used to pick among copies a crash left)."""
    try:
        meta = read_meta(path)
        digest = hashlib.sha256((path / WEIGHTS_FILE).read_bytes()).hexdigest()
    except (CheckpointError, OSError):
        return None
    if digest != (meta.get("weights") or {}).get("sha256"):
        return None
    history = meta.get("history") or {}
    return len(history.get("epochs") or []), str(meta.get("created", ""))


def _newest_copy(path: Path) -> Path:
    copies = [c for c in dir_candidates(path) if not c.name.endswith(".tmp")]  # .tmp: partial
    ranked = [(k, -i, c) for i, c in enumerate(copies) if (k := newness(c))]
    return max(ranked)[2] if ranked else path


def recover(path: str | Path) -> Path | None:
    """Put the newest complete copy of the checkpoint folder ``path`` in place after a crash
    (see :func:`seqlab._io.recover_dir`); None when there is none."""
    return recover_dir(path, newness)


def _diff(model: nn.Module, tensors: dict[str, torch.Tensor]) -> str:
    """What differs between a model's parameters and saved tensors, in one line."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in tensors.items()}
    parts = []
    for label, names in (
        ("missing", expected.keys() - got.keys()),
        ("unexpected", got.keys() - expected.keys()),
    ):
        if names:
            parts.append(f"{label} {len(names)} tensor(s) ({', '.join(sorted(names)[:3])}…)")
    shapes = [
        f"{k} {got[k]} vs {expected[k]}"
        for k in sorted(expected.keys() & got.keys())
        if got[k] != expected[k]
    ]
    if shapes:
        parts.append(f"{len(shapes)} shape mismatch(es) (saved vs config: {shapes[0]}…)")
    return "; ".join(parts) or "tensors differ"


def load(path: str | Path, *, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the model saved at ``path`` (no pickle); see :func:`load_checkpoint`."""
    return load_checkpoint(path, device=device).model
