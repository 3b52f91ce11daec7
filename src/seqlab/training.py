"""The Trainer: a small loop that knows nothing about the model.

A model is trainable when it has ``training_loss(batch, state) -> (loss, state)``.
Everything optional (early stopping, progress) is a callback named by event.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

import seqlab.distributed as distributed
from seqlab._io import crash_point
from seqlab._threads import adapt, with_read_thread_policy, with_thread_policy
from seqlab.callbacks import Callback, EarlyStopping, ProgressBar, model_callbacks
from seqlab.config import TrainConfig
from seqlab.data.batches import Batch, SequenceData, stream_batches
from seqlab.data.indexed import WindowData
from seqlab.errors import DataError, TrainingDiverged
from seqlab.history import History
from seqlab.models.state import State, detach_state

__all__ = ["History", "Trainer", "resolve_device"]

log = logging.getLogger(__name__)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


EpochBatches = Callable[[], Iterable[Batch]]


def bf16_native(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 matrix products natively: a CUDA GPU that supports
    bfloat16, or a CPU with AVX-512 BF16 or AMX (PyTorch's own probes; False where absent)."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in probes)


def autocast_dtype(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The dtype training's forward passes autocast to (``precision``), or None: float32."""
    if config.precision == "bf16" or (config.precision == "auto" and bf16_native(device)):
        return torch.bfloat16
    return None


def planned_steps(config: TrainConfig, steps_per_epoch: int) -> int:
    """The optimizer steps a training will take unless it stops early: ``epochs`` epochs of
    ``steps_per_epoch``, or ``max_steps`` where fewer."""
    steps = config.epochs * max(steps_per_epoch, 1)
    return steps if config.max_steps is None else min(steps, config.max_steps)


def cosine(optimizer: torch.optim.Optimizer, steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """The learning rate decayed step by step from its initial value to zero over ``steps``
    optimizer steps (half a cosine; SGDR without restarts, as timm and transformers step it)."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, steps) / steps))
    )


class Trainer:
    """Adam, weight decay, global-norm clipping, validation, early stopping, seeding.

    ``fit`` trains on independent sequences (shuffled mini-batches, fresh state per
    batch). ``fit_stream`` trains statefully on one long stream: consecutive chunks,
    the state carried from chunk to chunk and detached between them. With ``run_dir`` the
    trainer writes atomic ``last/`` (resume state) and ``best/`` checkpoints there; both fits
    take ``resume=`` a ``last/`` checkpoint to continue an interrupted run.
    """

    def __init__(
        self,
        config: TrainConfig | None = None,
        callbacks: Sequence[Callback] = (),
        run_dir: str | Path | None = None,
    ) -> None:
        self.config = config if config is not None else TrainConfig()
        self.callbacks: list[Callback] = list(callbacks)
        self._model_callbacks: list[Callback] = []
        if self.config.patience is not None and not any(
            isinstance(c, EarlyStopping) for c in self.callbacks
        ):
            self.callbacks.append(EarlyStopping(self.config.patience))
        if self.config.progress and distributed.is_main():  # one bar under torchrun
            self.callbacks.append(ProgressBar())
        if run_dir is not None:  # last, so that it saves what the other callbacks decided
            from seqlab.resume import RunCheckpoint

            self.callbacks.append(RunCheckpoint(run_dir, self.config.checkpoint_every))
        self.should_stop = False
        self.device = resolve_device(self.config.device)
        # Set while fitting, read by callbacks and the resume state.
        self.optimizer: torch.optim.Optimizer
        self._loss: Callable[..., Any]  # the model's training_loss, or DDP's wrapper of it
        self.scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
        self.generator: torch.Generator | None = None
        self.history = History()
        self.step = 0

    @with_thread_policy
    def fit(
        self,
        model: nn.Module,
        train: SequenceData | WindowData,
        val: SequenceData | WindowData | None = None,
        *,
        resume: str | Path | None = None,
    ) -> History:
        """Train on independent sequences; ``val`` or ``val_fraction`` gives validation data.

        ``resume`` names a ``last/`` checkpoint written by a run folder: training continues
        after its epoch, and with the same data and seed ends exactly where an
        uninterrupted run would have.
        """
        self.generator = generator = torch.Generator().manual_seed(self.config.seed)
        if val is None and self.config.val_fraction > 0:
            train, val = train.split(self.config.val_fraction, generator)
        bs = self.config.batch_size
        distributed.join(self.device)  # under torchrun: one share of each batch per rank
        shard = distributed.world()

        def train_epoch() -> Iterable[Batch]:
            return train.batches(bs, shuffle=True, generator=generator, shard=shard)

        val_epoch = None if val is None else (lambda: val.batches(bs, shard=shard))
        steps = -(-len(train) // bs)  # batches an epoch
        return self._run(model, train_epoch, val_epoch, steps, stateful=False, resume=resume)

    @with_thread_policy
    def fit_stream(
        self,
        model: nn.Module,
        x: object,
        y: object,
        *,
        chunk_length: int,
        val: tuple[object, object] | None = None,
        resume: str | Path | None = None,
    ) -> History:
        """Stateful training (truncated BPTT) on one long stream ``x`` (T, F) -> ``y`` (T, ...).

        The stream is laid out as ``batch_size`` parallel sub-streams (see
        :func:`~seqlab.data.stream_batches`), so the caller never arranges time-major
        or batch-major data by hand. With ``val_fraction`` the chronological tail of the
        stream is held out for validation.
        """
        if chunk_length < 1:
            raise DataError(f"`chunk_length` must be a positive integer, got {chunk_length!r}")
        if distributed.join(self.device):
            raise DataError(
                "stateful training (fit_stream) runs on one process; launch it without torchrun"
            )
        if val is None and self.config.val_fraction > 0:
            n = len(x)  # type: ignore[arg-type]
            cut = n - round(n * self.config.val_fraction)
            val = (x[cut:], y[cut:])  # type: ignore[index]
            x, y = x[:cut], y[:cut]  # type: ignore[index]
        train_batches = stream_batches(x, y, self.config.batch_size, chunk_length)
        val_batches = None
        if val is not None:
            val_streams = max(1, min(self.config.batch_size, len(val[0]) // chunk_length))  # type: ignore[arg-type]
            val_batches = stream_batches(val[0], val[1], val_streams, chunk_length)
        return self._run(
            model,
            lambda: train_batches,
            None if val_batches is None else (lambda: val_batches),
            len(train_batches),
            stateful=True,
            resume=resume,
        )

    def _emit(self, event: str, *args: Any) -> None:
        for callback in [*self._model_callbacks, *self.callbacks]:
            getattr(callback, event)(self, *args)

    def _run(
        self,
        model: nn.Module,
        train_epoch: EpochBatches,
        val_epoch: EpochBatches | None,
        steps_per_epoch: int,
        *,
        stateful: bool,
        resume: str | Path | None = None,
    ) -> History:
        cfg = self.config
        if not hasattr(model, "training_loss"):
            raise TypeError(f"{type(model).__name__} has no training_loss(batch, state) method")
        torch.manual_seed(cfg.seed)  # dropout and anything else drawn during training
        # A model may declare training behaviour (e.g. a teacher-forcing schedule).
        self._model_callbacks = model_callbacks(model)
        home = next(model.parameters()).device
        model.to(self.device)
        self._loss = model.training_loss  # type: ignore[assignment]
        if distributed.world()[1] > 1:  # gradients averaged over the ranks at each step
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index or 0] if self.device.type == "cuda" else None
            self._loss = DistributedDataParallel(distributed.LossModule(model), device_ids=ids)
        try:
            history = self._epochs(model, train_epoch, val_epoch, steps_per_epoch, stateful, resume)
        finally:
            model.to(home)  # training may use CUDA; the model goes back where it came from
        model.eval()
        return history

    def _epochs(
        self,
        model: nn.Module,
        train_epoch: EpochBatches,
        val_epoch: EpochBatches | None,
        steps_per_epoch: int,
        stateful: bool,
        resume: str | Path | None,
    ) -> History:
        cfg = self.config
        self.optimizer = optimizer = torch.optim.Adam(
            model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay
        )
        self.scheduler = (
            cosine(optimizer, planned_steps(cfg, steps_per_epoch))
            if cfg.schedule == "cosine"
            else None
        )
        self.history = History()
        self.step = 0
        self.should_stop = False
        self._emit("on_fit_start", model)
        start = 0
        if resume is not None:  # after on_fit_start, which resets the callbacks
            from seqlab.resume import restore_training_state

            start = restore_training_state(self, model, resume)
        history = self.history
        for epoch in range(start, cfg.epochs):
            if cfg.max_steps is not None and self.step >= cfg.max_steps:
                break
            adapt()  # the thread rule again: other processes may have started or stopped
            self._emit("on_epoch_start", model, epoch)
            loss, self.step = self._train_epoch(
                model, optimizer, train_epoch, epoch, self.step, stateful
            )
            logs = {"epoch": float(epoch), "loss": loss, "lr": optimizer.param_groups[0]["lr"]}
            if val_epoch is not None:
                total, count = distributed.all_sum(
                    list(self._loss_sums(model, val_epoch(), stateful)), self.device
                )
                logs["val_loss"] = total / count if count else math.nan
            history.epochs.append(logs)
            self._emit("on_epoch_end", model, logs)
            if self.should_stop:
                break
        self._emit("on_fit_end", model, history)
        return history

    def _train_epoch(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        batches: EpochBatches,
        epoch: int,
        step: int,
        stateful: bool,
    ) -> tuple[float, int]:
        model.train()
        state: State | None = None
        total, count = 0.0, 0
        dtype = autocast_dtype(self.config, self.device)
        for batch in batches():
            batch = batch.to(self.device)
            with torch.autocast(self.device.type, dtype=dtype, enabled=dtype is not None):
                loss, new_state = self._loss(batch, state)
            if not torch.isfinite(loss):
                raise TrainingDiverged(
                    f"the training loss became {loss.item()} at epoch {epoch}, step {step}; "
                    f"lower the learning rate (lr={self.config.lr}) or clip gradients harder "
                    f"(clip_grad_norm={self.config.clip_grad_norm})"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.config.clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), self.config.clip_grad_norm)
            optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
            crash_point("batch")  # fault injection for the crash tests; a no-op otherwise
            state = detach_state(new_state) if stateful else None
            n = int(batch.x.shape[0])
            total, count, step = total + loss.item() * n, count + n, step + 1
            self._emit(
                "on_batch_end",
                model,
                {"step": float(step), "loss": loss.item(), "running_loss": total / count},
            )
            if self.config.max_steps is not None and step >= self.config.max_steps:
                break
        total, seen = distributed.all_sum([total, count], self.device)
        if seen == 0:
            raise DataError("the training data produced no batches")
        return total / seen, step

    @with_read_thread_policy
    @torch.no_grad()
    def evaluate(
        self, model: nn.Module, batches: Iterable[Batch], *, stateful: bool = False
    ) -> float:
        """Mean loss over ``batches`` in eval mode; with ``stateful`` the state is carried."""
        total, count = self._loss_sums(model, batches, stateful)
        return total / count if count else math.nan

    @torch.no_grad()
    def _loss_sums(
        self, model: nn.Module, batches: Iterable[Batch], stateful: bool
    ) -> tuple[float, int]:
        """(sum of the batch losses weighted by batch size, number of sequences)."""
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        state: State | None = None
        total, count = 0.0, 0
        for batch in batches:
            batch = batch.to(device)
            loss, new_state = model.training_loss(batch, state)  # type: ignore[operator]
            state = new_state if stateful else None
            n = int(batch.x.shape[0])
            total, count = total + loss.item() * n, count + n
        model.train(was_training)
        return total, count
