"""Trainer callbacks, named by event: early stopping, progress bar, scheduled sampling.

A callback overrides any of ``on_fit_start``, ``on_epoch_start``, ``on_batch_end``,
``on_epoch_end`` and ``on_fit_end``; it stops training by setting ``trainer.should_stop = True``.
"""

from __future__ import annotations

import copy
import logging
import math
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    from seqlab.history import History
    from seqlab.training import Trainer

__all__ = ["Callback", "EarlyStopping", "ProgressBar", "ScheduledSampling"]

log = logging.getLogger(__name__)


class Callback:
    """Base class: every event is a no-op."""

    def on_fit_start(self, trainer: Trainer, model: nn.Module) -> None:
        """Called once before the first epoch."""

    def on_epoch_start(self, trainer: Trainer, model: nn.Module, epoch: int) -> None:
        """Called at the start of each epoch (0-based)."""

    def on_batch_end(self, trainer: Trainer, model: nn.Module, logs: dict[str, float]) -> None:
        """Called after each optimizer step with ``step``, ``loss`` and ``running_loss``."""

    def on_epoch_end(self, trainer: Trainer, model: nn.Module, logs: dict[str, float]) -> None:
        """Called after each epoch with ``epoch``, ``loss``, ``lr`` and maybe ``val_loss``."""

    def on_fit_end(self, trainer: Trainer, model: nn.Module, history: History) -> None:
        """Called once after the last epoch (also after an early stop)."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    With ``restore_best`` (the default) the weights of the best epoch are put back at the
    end of training. Monitors ``val_loss``, or ``loss`` when there is no validation data.
    """

    def __init__(
        self,
        patience: int,
        *,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        if patience < 1:
            raise ValueError(f"`patience` must be a positive integer, got {patience!r}")
        self.patience = patience
        self.monitor = monitor
        self.min_delta = min_delta
        self.restore_best = restore_best
        self.best = math.inf
        self.best_epoch = -1
        self.wait = 0
        self._best_state: dict[str, Any] | None = None

    def on_fit_start(self, trainer: Trainer, model: nn.Module) -> None:
        self.best, self.best_epoch, self.wait, self._best_state = math.inf, -1, 0, None

    def on_epoch_end(self, trainer: Trainer, model: nn.Module, logs: dict[str, float]) -> None:
        value = logs.get(self.monitor, logs["loss"])
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, int(logs["epoch"]), 0
            if self.restore_best:
                self._best_state = copy.deepcopy(model.state_dict())
            return
        self.wait += 1
        if self.wait >= self.patience:
            log.info("early stop at epoch %d; best epoch %d", int(logs["epoch"]), self.best_epoch)
            trainer.should_stop = True

    def state_dict(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """Counters as JSON and the best weights as tensors, for resuming."""
        meta = {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}
        return meta, dict(self._best_state or {})

    def load_state_dict(self, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.best, self.best_epoch, self.wait = (
            float(meta["best"]),
            int(meta["best_epoch"]),
            int(meta["wait"]),
        )
        self._best_state = dict(tensors) if tensors else None

    def on_fit_end(self, trainer: Trainer, model: nn.Module, history: History) -> None:
        history.best_epoch = self.best_epoch
        if self.restore_best and self._best_state is not None:
            with torch.no_grad():
                model.load_state_dict(self._best_state)


class ProgressBar(Callback):
    """A tqdm bar over epochs on standard error, showing the running loss."""

    def __init__(self) -> None:
        self._bar: Any = None

    def on_fit_start(self, trainer: Trainer, model: nn.Module) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=trainer.config.epochs, unit="epoch", leave=False, dynamic_ncols=True)

    def on_batch_end(self, trainer: Trainer, model: nn.Module, logs: dict[str, float]) -> None:
        if self._bar is not None:
            self._bar.set_postfix(loss=f"{logs['running_loss']:.4g}", refresh=False)

    def on_epoch_end(self, trainer: Trainer, model: nn.Module, logs: dict[str, float]) -> None:
        if self._bar is not None:
            shown = {k: f"{v:.4g}" for k, v in logs.items() if k in ("loss", "val_loss")}
            self._bar.set_postfix(shown, refresh=False)
            self._bar.update(1)

    def on_fit_end(self, trainer: Trainer, model: nn.Module, history: History) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class ScheduledSampling(Callback):
    """Move each model's teacher-forcing ratio linearly along the schedule it declares
    (``teacher_forcing_schedule = (start, end)``, e.g. an encoder–decoder under
    ``regime="scheduled_sampling"``: 1.0 -> 0, Bengio et al., 2015), at each epoch's start.

    The Trainer adds it when any module of the model declares a schedule; models know
    nothing of training.
    """

    def on_epoch_start(self, trainer: Trainer, model: nn.Module, epoch: int) -> None:
        fraction = epoch / max(1, trainer.config.epochs - 1)
        for module in model.modules():  # the model itself, or the members of an ensemble
            schedule = getattr(module, "teacher_forcing_schedule", None)
            if schedule is not None:
                start, end = schedule
                module.teacher_forcing_ratio = start + (end - start) * fraction


def model_callbacks(model: nn.Module) -> list[Callback]:
    """The callbacks that the training behaviour a model declares needs."""
    declared = any(
        getattr(m, "teacher_forcing_schedule", None) is not None for m in model.modules()
    )
    return [ScheduledSampling()] if declared else []
