"""How many CPU threads PyTorch uses: ``set_threads(n)`` (``seqlab --threads N``)."""

from __future__ import annotations

import contextlib
import os

__all__ = ["available_cores", "idle_cores", "set_threads"]


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. a container's share)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def idle_cores() -> int:
    """The available cores less those other processes keep busy (the 1-minute load average),
    at least 1. On a machine busy with other work, PyTorch's threads then do not fight them
    for the cores: measured on 2 busy cores, 2 threads took 11–333 s where 1 took 9–10 s
    (benchmarks/RESULTS.md)."""
    cores = available_cores()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average here
        return cores
    return max(1, min(cores, round(cores - load)))


def set_threads(n: int | None = None) -> int:
    """Use ``n`` threads for PyTorch's operators (default: the available cores); returns the
    number set. Between-operator parallelism is set to 1 thread the first time (seqlab's
    models run one operator at a time), which PyTorch allows only before any parallel work."""
    import torch

    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"`threads` must be a positive integer, got {n!r}")
    count = n if n is not None else available_cores()
    torch.set_num_threads(count)
    with contextlib.suppress(RuntimeError):  # after parallel work: keep what it has
        torch.set_num_interop_threads(1)
    return count
