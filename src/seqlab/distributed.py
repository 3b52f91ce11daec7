"""Training on several processes and machines, launched by ``torchrun``.

seqlab writes no process management of its own: ``torchrun`` starts the workers, sets
``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` and the rendezvous, and restarts them after a failure
(``--max-restarts``). Under it the :class:`~seqlab.training.Trainer` joins the process group
(gloo on CPU, NCCL on GPU), wraps the model in ``DistributedDataParallel``, gives each rank
its share of every global mini-batch (the same shuffled order on every rank, so one
``batch_size`` means the same optimisation as on one process), reduces the losses across
ranks so that every rank takes the same early-stopping decision, and lets rank 0 alone write
files. Outside torchrun every function here is a no-op (rank 0 of a world of 1).
"""

from __future__ import annotations

import atexit
import os
from datetime import timedelta
from typing import Any

import torch
from torch import nn

__all__ = [
    "LossModule",
    "all_sum",
    "backend",
    "barrier",
    "is_main",
    "join",
    "launch",
    "restart_count",
    "world",
]


def _dist() -> Any:
    import torch.distributed as dist

    return dist


def _launched() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def join(device: torch.device) -> bool:
    """Join torchrun's process group (once) when launched with more than one process;
    whether training is distributed."""
    if not _launched():
        return False
    dist = _dist()
    if not dist.is_available():
        raise RuntimeError("this PyTorch build has no torch.distributed; run on one process")
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        # torchrun's store outlives a restart; a prefix per attempt keeps the restarted
        # workers from reading the addresses of the ones they replace (which refuse)
        store, rank, size = next(dist.rendezvous("env://"))
        store = dist.PrefixStore(f"seqlab/attempt-{restart_count()}", store)
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, store=store, rank=rank, world_size=size)
        atexit.register(_leave)  # seqlab made the group: it takes it down before exit
    return True


def _leave() -> None:
    """At exit: wait for every rank (rank 0 may still be writing), then destroy the process
    group. A group left to the interpreter's teardown, or torn down while a peer still talks
    to it, can abort the process from gloo's threads after its work is done."""
    dist = _dist()
    if not (dist.is_available() and dist.is_initialized()):
        return
    try:
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=timedelta(seconds=120))
        else:
            dist.barrier()
    except RuntimeError:  # a peer already gone (it failed): nothing to wait for
        pass
    dist.destroy_process_group()


def world() -> tuple[int, int]:
    """(rank, world size): (0, 1) outside a process group."""
    dist = _dist()
    if dist.is_available() and dist.is_initialized():
        return int(dist.get_rank()), int(dist.get_world_size())
    return 0, 1


def is_main() -> bool:
    """Whether this process writes files (rank 0, or the only process)."""
    if _launched() and not (_dist().is_available() and _dist().is_initialized()):
        return int(os.environ.get("RANK", "0")) == 0
    return world()[0] == 0


def backend() -> str | None:
    """The process group's backend ("gloo", "nccl") or None outside one."""
    dist = _dist()
    if dist.is_available() and dist.is_initialized():
        return str(dist.get_backend())
    return None


def launch() -> dict[str, Any]:
    """What a run folder records of how it ran: ``world_size`` and ``backend``."""
    return {"world_size": world()[1], "backend": backend()}


def barrier() -> None:
    """Wait for every rank (nothing on one process)."""
    if world()[1] > 1:
        _dist().barrier()


def restart_count() -> int:
    """How many times torchrun has restarted the workers (0 on the first attempt)."""
    return int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))


def all_sum(values: list[float], device: torch.device) -> list[float]:
    """The element-wise sum of ``values`` over every rank (``values`` itself on one)."""
    if world()[1] == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    _dist().all_reduce(t)
    return [float(v) for v in t.tolist()]


class LossModule(nn.Module):
    """The model's ``training_loss`` as ``forward``, so that DistributedDataParallel (which
    synchronises the gradients of what its forward computed) can wrap any seqlab model."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Any, state: Any = None) -> Any:
        return self.model.training_loss(batch, state)  # type: ignore[operator]
