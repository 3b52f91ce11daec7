"""The thread policy of every entry point (seqlab._threads): a stated count wins, else the
idle cores; applied inside the work, adapted between epochs, and PyTorch's own setting put
back afterwards. The load is a real busy process where it is measured, and a stated number of
busy cores where the rule is checked (a measurement on a shared machine is not deterministic)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
import torch

import seqlab._threads as threads
from seqlab import ForecastConfig, Forecaster, TrainConfig, Trainer
from seqlab.callbacks import Callback
from seqlab.data.sources import Series


class Seen(Callback):
    """The threads PyTorch uses at each epoch's start."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def on_epoch_start(self, trainer: Trainer, model: torch.nn.Module, epoch: int) -> None:
        self.threads.append(torch.get_num_threads())


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """A host application that set 2 threads itself, no count stated to seqlab, and the
    busy cores elsewhere that each measurement returns (the list, consumed in order)."""
    before = torch.get_num_threads()
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "_explicit", None)
    monkeypatch.setattr(threads, "available_cores", lambda: 2)
    busy: list[float] = []
    monkeypatch.setattr(threads, "busy_elsewhere", lambda interval=0.0: busy.pop(0) if busy else 0)
    torch.set_num_threads(2)
    yield busy
    torch.set_num_threads(before)


def _series() -> Series:
    t = np.arange(80, dtype=np.float32)
    return Series(np.sin(t / 3)[:, None], ("y",))


CONFIG = ForecastConfig.of(
    lookback=6, horizon=2, hidden_size=4, num_layers=1, epochs=2, model="seq2seq", select="model"
)


def test_a_busy_core_elsewhere_gives_one_thread_and_the_hosts_setting_comes_back(
    host: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = Seen()
    original = Trainer.__init__
    monkeypatch.setattr(
        Trainer, "__init__", lambda self, config, callbacks=(): original(self, config, [seen])
    )
    host.extend([1.0, 1.0, 1.0])  # one core busy elsewhere at every measurement
    forecaster = Forecaster(CONFIG).fit(_series())
    assert seen.threads and set(seen.threads) == {1}
    assert torch.get_num_threads() == 2  # the host's own setting, untouched after the work
    host.extend([0.0] * 5)  # idle again: the host's 2 threads
    assert forecaster.predict_arrays()[0].shape == (2, 1)
    assert torch.get_num_threads() == 2


def test_a_long_fit_adapts_between_epochs(host: list[float]) -> None:
    """Idle at the start, another process busy from the second epoch, idle from the fourth."""
    host.extend([0.0, 0.0, 1.2, 1.0, 0.1, 0.0])
    seen = Seen()
    x = torch.randn(64, 5, 1)
    from seqlab import ModelConfig, SequenceModel
    from seqlab.data.batches import SequenceData

    model = SequenceModel(ModelConfig(input_size=1, hidden_size=4, output_size=1))
    data = SequenceData.from_arrays(x, x.clone())
    Trainer(TrainConfig(epochs=5, batch_size=32, val_fraction=0.0), [seen]).fit(model, data)
    assert seen.threads == [2, 1, 1, 2, 2]
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("stated", ["set_threads", "OMP_NUM_THREADS"])
def test_a_stated_count_wins_over_the_measurement(
    stated: str, host: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    host.extend([0.0] * 10)  # idle: the rule alone would give 2
    if stated == "set_threads":
        threads.set_threads(1)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        torch.set_num_threads(2)
    with threads.work():
        assert torch.get_num_threads() == 1
        assert threads.adapt() == 1


def test_a_busy_process_elsewhere_is_measured() -> None:
    """A real busy-looping process counts as (about) one busy core."""
    spin = "import time\nend = time.time() + 5\nwhile time.time() < end: pass"
    hog = subprocess.Popen([sys.executable, "-c", spin])
    try:
        threads._last = threads._cached = None
        busy = threads.busy_elsewhere(interval=1.0)
    finally:
        hog.kill()
        hog.wait()
    assert busy >= 0.6  # one core: the other pytest worker may add to it, never take away


def test_calls_from_two_threads_each_follow_the_rule_and_restore_their_own_setting(
    host: list[float],
) -> None:
    """A host calling seqlab from two threads at once: PyTorch's (OpenMP's) thread setting
    belongs to each thread, so each call applies the rule and puts its own thread's setting
    back, whatever the other is doing."""
    import threading

    host.extend([1.0] * 5)
    inside, release, seen = threading.Event(), threading.Event(), []

    def first() -> None:
        with threads.work():
            inside.set()
            release.wait(10)
            seen.append(torch.get_num_threads())

    worker = threading.Thread(target=first)
    worker.start()
    inside.wait(10)
    with threads.work():
        seen.append(torch.get_num_threads())
    seen.append(torch.get_num_threads())  # back to 2 here while the worker is still inside
    release.set()
    worker.join(10)
    assert seen == [1, 2, 1] and torch.get_num_threads() == 2


def test_reads_never_wait_to_measure(monkeypatch: pytest.MonkeyPatch) -> None:
    """A forecast or a streaming update must not sleep to measure the load (a service calling
    once a minute would pay for it on every call); a fit may. Reads use the last measurement,
    or none, and leave a baseline for the next one."""
    forecaster = Forecaster(CONFIG).fit(_series())
    before = torch.get_num_threads()
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "_explicit", None)
    monkeypatch.setattr(threads, "_last", None)
    monkeypatch.setattr(threads, "_cached", None)
    slept: list[float] = []
    monkeypatch.setattr(threads.time, "sleep", slept.append)
    try:
        forecaster.predict_arrays()
        forecaster.predict_windows(_series(), np.array([80]))
        assert slept == [] and threads._last is not None  # a baseline, no wait
        threads._last = None
        with threads.work():  # a fit's block may wait to measure
            pass
        assert slept == [0.1]
    finally:
        torch.set_num_threads(before)
