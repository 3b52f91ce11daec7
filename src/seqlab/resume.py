"""Training state that survives a crash: written atomically, read back to resume exactly.

A run folder holds ``last/`` (a model checkpoint plus ``train_state.json`` and
``train_state.safetensors``: optimizer and scheduler state, RNG states, callback state such
as early-stopping counters and best weights, epoch and step) and ``best/`` (the model at the
best validation loss). Nothing is pickled: tensors go to safetensors, the rest to JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import nn

import seqlab.distributed as distributed
from seqlab.callbacks import Callback
from seqlab.errors import CheckpointError
from seqlab.history import History

if TYPE_CHECKING:
    from seqlab.training import Trainer

__all__ = ["RunCheckpoint", "restore_training_state", "training_state"]

STATE_JSON, STATE_TENSORS = "train_state.json", "train_state.safetensors"


def training_state(trainer: Trainer, epoch: int) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Everything but the weights needed to continue after ``epoch`` (0-based, finished)."""
    tensors: dict[str, torch.Tensor] = {"rng.torch": torch.get_rng_state()}
    if trainer.generator is not None:
        tensors["rng.generator"] = trainer.generator.get_state()
    if torch.cuda.is_available():
        for k, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{k}"] = state
    optim = trainer.optimizer.state_dict()
    scalars: dict[str, dict[str, Any]] = {}
    for idx, param_state in optim["state"].items():
        for name, value in param_state.items():
            if torch.is_tensor(value):
                tensors[f"optimizer.{idx}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(idx), {})[name] = value
    callbacks = {}
    for k, callback in enumerate(trainer.callbacks):
        if hasattr(callback, "state_dict"):
            meta, cb_tensors = callback.state_dict()
            callbacks[f"{k}.{type(callback).__name__}"] = meta
            tensors.update(
                {f"callback.{k}.{n}": t.detach().cpu().contiguous() for n, t in cb_tensors.items()}
            )
    meta = {
        "epoch": epoch,
        "step": trainer.step,
        "optimizer": {"param_groups": optim["param_groups"], "scalars": scalars},
        "scheduler": None if trainer.scheduler is None else trainer.scheduler.state_dict(),
        "history": trainer.history.to_dict(),
        "callbacks": callbacks,
        "stopped": trainer.should_stop,  # an early stop is final: resuming does not undo it
    }
    return meta, tensors


def restore_training_state(trainer: Trainer, model: nn.Module, path: str | Path) -> int:
    """Load weights and training state from a ``last/`` checkpoint; returns the next epoch."""
    from seqlab.checkpoint import load_checkpoint

    path = Path(path)
    saved = load_checkpoint(path)
    try:
        meta = json.loads((path / STATE_JSON).read_text(encoding="utf-8"))
        tensors = load_tensors((path / STATE_TENSORS).read_bytes())
    except FileNotFoundError as exc:
        raise CheckpointError(
            f"{path} holds no training state to resume from ({exc.filename})"
        ) from None
    except (json.JSONDecodeError, SafetensorError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: the training state is corrupt: {exc}") from None
    with torch.no_grad():
        model.load_state_dict(saved.model.state_dict(), strict=True)
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optimizer."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value
    for idx, values in meta["optimizer"]["scalars"].items():
        state.setdefault(int(idx), {}).update(values)
    trainer.optimizer.load_state_dict(
        {"state": state, "param_groups": meta["optimizer"]["param_groups"]}
    )
    if trainer.scheduler is not None and meta["scheduler"] is not None:
        trainer.scheduler.load_state_dict(meta["scheduler"])
    torch.set_rng_state(tensors["rng.torch"])
    if trainer.generator is not None and "rng.generator" in tensors:
        trainer.generator.set_state(tensors["rng.generator"])
    if torch.cuda.is_available():
        cuda = [tensors[k] for k in sorted(t for t in tensors if t.startswith("rng.cuda."))]
        if cuda:
            torch.cuda.set_rng_state_all(cuda)
    for k, callback in enumerate(trainer.callbacks):
        name = f"{k}.{type(callback).__name__}"
        if hasattr(callback, "load_state_dict") and name in meta["callbacks"]:
            prefix = f"callback.{k}."
            cb_tensors = {t[len(prefix) :]: v for t, v in tensors.items() if t.startswith(prefix)}
            callback.load_state_dict(meta["callbacks"][name], cb_tensors)
    trainer.history = History.from_dict(meta["history"])
    trainer.step = int(meta["step"])
    return trainer.config.epochs if meta.get("stopped") else int(meta["epoch"]) + 1


class RunCheckpoint(Callback):
    """Write ``run_dir/last`` every ``every`` epochs (and at the end), ``run_dir/best`` at
    each new best of ``monitor``. Both are atomic: a crash leaves the previous ones."""

    def __init__(self, run_dir: str | Path, every: int = 1, monitor: str = "val_loss") -> None:
        self.run_dir = Path(run_dir)
        self.every = every
        self.monitor = monitor

    def on_epoch_end(self, trainer: Trainer, model: nn.Module, logs: dict[str, float]) -> None:
        from seqlab.checkpoint import save

        if not distributed.is_main():  # under torchrun rank 0 writes; every rank has the same
            return

        epoch = int(logs["epoch"])
        earlier = [e.get(self.monitor, e["loss"]) for e in trainer.history.epochs[:-1]]
        if logs.get(self.monitor, logs["loss"]) < min(earlier, default=math.inf):
            save(self.run_dir / "best", model, train_config=trainer.config, history=trainer.history)
        last_epoch = epoch + 1 == trainer.config.epochs
        if (epoch + 1) % self.every == 0 or last_epoch or trainer.should_stop:
            meta, tensors = training_state(trainer, epoch)
            extra = {STATE_JSON: json.dumps(meta).encode(), STATE_TENSORS: save_tensors(tensors)}
            save(
                self.run_dir / "last",
                model,
                train_config=trainer.config,
                history=trainer.history,
                extra_files=extra,
            )
