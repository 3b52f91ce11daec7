"""How many CPU threads PyTorch uses while seqlab works: one policy for every entry point.

The rule (:func:`policy_threads`): a count the user stated — ``set_threads(n)`` (``seqlab
--threads N``) or ``OMP_NUM_THREADS`` — is used as it is; otherwise the cores this process may
run on less those other processes keep busy, never more than PyTorch's own setting. OpenMP
threads that share a core with another busy process wait for each other at every operator:
on 2 cores beside one busy single-threaded process, a fit with 2 threads fixed ran past 20x its
idle time where the rule's took 0.96-1.02x (benchmarks/RESULTS.md, "Thread rule").

Every public entry point (``Forecaster.fit`` / ``predict`` / ``evaluate``, ``Trainer.fit``,
the streaming classes) runs inside :func:`work`, which applies the rule on entry, lets a long
fit adapt between epochs (:func:`adapt`) and puts PyTorch's setting back as it was on return
(a read — a forecast, a streaming update — never waits to measure: :func:`work`),
so a host application's own setting is untouched by seqlab's work. Busy cores are measured from
``/proc/stat`` (Linux): the CPU time every allowed core spent busy less this process's own, over
the last stretch; elsewhere the 1-minute load average stands in.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = [
    "adapt",
    "available_cores",
    "busy_elsewhere",
    "idle_cores",
    "policy_threads",
    "set_threads",
    "with_read_thread_policy",
    "with_thread_policy",
    "work",
]

P = ParamSpec("P")
R = TypeVar("R")

_explicit: int | None = None  # set_threads(n)
# per thread: how many work() blocks are open (the outermost decides and restores) and
# PyTorch's setting when it began
_open = threading.local()
_last: tuple[float, float, float] | None = None  # (wall, busy core-seconds, ours) sampled
_cached: tuple[float, float] | None = None  # (wall, busy cores elsewhere) last measured
ADAPT_EVERY = 2.0  # seconds between two measurements inside a fit


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. a container's share)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _cpu_seconds() -> tuple[float, float] | None:
    """(busy seconds summed over the allowed cores, this process's CPU seconds), or None
    where ``/proc/stat`` cannot be read."""
    try:
        allowed = {f"cpu{k}" for k in os.sched_getaffinity(0)}
        with open("/proc/stat") as f:
            lines = [line.split() for line in f if line.startswith("cpu")]
    except (AttributeError, OSError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    busy = 0
    for cells in lines:
        if cells[0] in allowed:  # user nice system idle iowait irq softirq steal ...
            numbers = [int(v) for v in cells[1:9]]
            busy += sum(numbers) - numbers[3] - numbers[4]
    times = os.times()
    return busy / tick, times.user + times.system


def busy_elsewhere(interval: float = 0.0) -> float:
    """How many of the allowed cores other processes keep busy: measured since the last
    measurement (reused when that is under ``ADAPT_EVERY`` seconds old; measured over
    ``interval`` seconds when there is none, or it is over a minute old); the 1-minute load
    average where ``/proc/stat`` is missing."""
    global _last, _cached
    now = time.monotonic()
    if _cached is not None and now - _cached[0] < ADAPT_EVERY:
        return _cached[1]
    if interval <= 0 and _last is not None and now - _last[0] < 0.05:  # too soon: no read
        return 0.0 if _cached is None else _cached[1]
    sample = _cpu_seconds()
    if sample is None:
        try:
            return max(0.0, os.getloadavg()[0])
        except (AttributeError, OSError):
            return 0.0
    before = _last
    if before is None or not 0.05 <= now - before[0] <= 60:  # no usable earlier sample
        if interval <= 0:  # no waiting: a baseline for the next call
            _last = (now, *sample)
            return 0.0 if _cached is None else _cached[1]
        time.sleep(interval)
        before, now, sample = (now, *sample), time.monotonic(), _cpu_seconds()
        assert sample is not None
    _last = (now, *sample)
    busy = max(0.0, ((sample[0] - before[1]) - (sample[1] - before[2])) / (now - before[0]))
    _cached = (now, busy)
    return busy


def idle_cores(interval: float = 0.1) -> int:
    """The available cores less those other processes keep busy (:func:`busy_elsewhere`),
    at least 1."""
    cores = available_cores()
    return max(1, min(cores, round(cores - busy_elsewhere(interval))))


def _stated() -> int | None:
    """The count the user stated: ``set_threads(n)``, else ``OMP_NUM_THREADS``."""
    if _explicit is not None:
        return _explicit
    omp = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(omp) if omp.isdigit() and int(omp) > 0 else None


def policy_threads(interval: float = 0.1) -> int:
    """The thread count the rule gives now (see the module docstring)."""
    import torch

    stated = _stated()
    if stated is not None:
        return stated
    return max(1, min(torch.get_num_threads(), idle_cores(interval)))


class work:
    """Run seqlab's work under the thread rule; PyTorch's setting is put back on return.
    Without a recent measurement, the busy cores are measured over ``interval`` seconds first
    (0: none; the machine is taken as idle until the next call can measure). Nested blocks
    (``Trainer.fit`` inside ``Forecaster.fit``) keep the outermost's choice; each thread of a
    host has its own setting (OpenMP's is per thread) and its own blocks. A class rather than a
    generator: a streaming update pays for it on every call."""

    __slots__ = ("interval",)

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval

    def __enter__(self) -> None:
        import torch

        here = _open  # PyTorch's (OpenMP's) setting belongs to the calling thread, and so do these
        depth = getattr(here, "depth", 0)
        if not depth:
            here.ceiling = torch.get_num_threads()
            want = policy_threads(self.interval)
            if want != here.ceiling:  # setting it costs microseconds even when unchanged
                torch.set_num_threads(want)
        here.depth = depth + 1

    def __exit__(self, *exc: object) -> None:
        import torch

        here = _open
        here.depth -= 1
        if here.depth == 0 and torch.get_num_threads() != here.ceiling:
            torch.set_num_threads(here.ceiling)


def adapt() -> int:
    """Inside :func:`work`, between epochs of a long fit: measure again (at most every
    ``ADAPT_EVERY`` seconds) and follow the rule; returns the threads in use."""
    import torch

    current = torch.get_num_threads()
    if not getattr(_open, "depth", 0) or _stated() is not None:
        return current
    cores = available_cores()
    ceiling: int = _open.ceiling
    want = max(1, min(ceiling, cores, round(cores - busy_elsewhere())))
    if want != current:
        torch.set_num_threads(want)
    return want


def _policy(interval: float) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            with work(interval):
                return fn(*args, **kwargs)

        return wrapped

    return decorate


# A long piece of work (a fit, an evaluation) may spend 0.1 s measuring first; a read (a
# forecast, a streaming update) never waits to measure: it uses the last measurement.
with_thread_policy = _policy(0.1)
with_read_thread_policy = _policy(0.0)


def set_threads(n: int | None = None) -> int:
    """Use ``n`` threads for PyTorch's operators from now on, in seqlab's work too (default:
    the available cores); returns the number set. Between-operator parallelism is set to 1
    thread the first time (seqlab's models run one operator at a time), which PyTorch allows
    only before any parallel work."""
    global _explicit
    import torch

    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"`threads` must be a positive integer, got {n!r}")
    count = n if n is not None else available_cores()
    _explicit = count
    torch.set_num_threads(count)
    with contextlib.suppress(RuntimeError):  # after parallel work: keep what it has
        torch.set_num_interop_threads(1)
    return count
