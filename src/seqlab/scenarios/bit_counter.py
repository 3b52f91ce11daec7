"""Scenario 4, bit counter: the sum of a 0/1 sequence (many-to-one) and its running sum
(per step), error against length, and continuing a sequence from a returned (h, c).

The original trained at length 20 only; its models were good only at (or up to) 20. We
train the same way for comparison, and our models on variable lengths 1..40 (packed
sequences), then sweep lengths 1..60 to see how far each generalizes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from seqlab._seed import set_seed
from seqlab.checkpoint import Checkpoint
from seqlab.config import ModelConfig, TrainConfig
from seqlab.data.batches import SequenceData
from seqlab.data.csvio import write_rows_csv
from seqlab.data.scaling import StandardScaler
from seqlab.data.tasks import bit_sequences
from seqlab.inspect import gates
from seqlab.metrics import length_sweep, max_abs_error, mse
from seqlab.models.sequence import SequenceModel
from seqlab.plots import plot_gates, plot_length_sweep, save_figure
from seqlab.scenarios._common import ScenarioResult, fmt_seq
from seqlab.training import Trainer

NAME = "bit-counter"
TITLE = (
    "Scenario 4: bit counter — sum (many-to-one), running sum (per step), "
    "length sweep, continuation"
)
TRAIN_LENGTH = 20
VARIABLE_LENGTHS = (1, 40)
SWEEP = range(1, 61)
CONTINUATION = ([1, 1, 1], [1, 2, 3], [([1, 0, 1], [4, 4, 5]), ([0, 1, 0, 1, 1], [3, 4, 4, 5, 6])])


def train_counter(per_step: bool, lengths: tuple[int, int] | None, seed: int) -> Checkpoint:
    """Train on 0/1 sequences of length 20, or of variable length in ``lengths``."""
    rng = np.random.default_rng(seed)
    if lengths is None:
        data = bit_sequences(3000, TRAIN_LENGTH, rng, per_step=per_step)
    else:
        data = bit_sequences(3000, lengths[1], rng, per_step=per_step, min_length=lengths[0])
    y_scaler = StandardScaler()
    y_scaler.offset_, y_scaler.scale_ = np.zeros(1), np.array([10.0])  # counts in units of 10
    set_seed(seed)
    model = SequenceModel(ModelConfig(hidden_size=32, head="per_step" if per_step else "last"))
    config = TrainConfig(epochs=30, batch_size=64, lr=1e-2, schedule="cosine", progress=False)
    train = SequenceData.from_arrays(data.x, y_scaler.transform(data.y), data.lengths)
    history = Trainer(config).fit(model, train)
    return Checkpoint(model, y_scaler=y_scaler, train_config=config, history=history)


Arrays = tuple[NDArray[np.float32], NDArray[np.float32]]


def _generator(per_step: bool) -> Callable[[int, int, np.random.Generator], Arrays]:
    def generate(n: int, length: int, rng: np.random.Generator) -> Arrays:
        d = bit_sequences(n, length, rng, per_step=per_step)
        return d.x, d.y.astype(np.float32)

    return generate


def _values(ckpt: Checkpoint) -> Callable[[NDArray[np.float32]], NDArray[np.float32]]:
    def predict(x: NDArray[np.float32]) -> NDArray[np.float32]:
        return ckpt.predict(x).regression

    return predict


def _continuation(ckpt: Checkpoint, result: ScenarioResult) -> None:
    first, expected_first, continuations = CONTINUATION
    pred = ckpt.predict(np.asarray(first, np.float32)[None, :, None])
    out = pred.regression[0, :, 0]
    result.report(f"continuation: {first} from a zero state", fmt_seq(out), str(expected_first))
    worst = max_abs_error(expected_first, out)
    for more, expected in continuations:
        cont = ckpt.predict(np.asarray(more, np.float32)[None, :, None], state=pred.state)
        whole = ckpt.predict(np.asarray(first + more, np.float32)[None, :, None])
        c, w = cont.regression[0, :, 0], whole.regression[0, len(first) :, 0]
        result.report(
            f"continuation: then {more} from the returned (h, c)", fmt_seq(c), str(expected)
        )
        worst = max(worst, max_abs_error(expected, c))
        gap = max_abs_error(w, c)
        result.check(
            f"continued {more} vs one call on {first + more}: max |diff|",
            gap,
            "<= 1e-5",
            gap <= 1e-5,
            ".2e",
        )
    result.check("continuation outputs, max abs error", worst, "<= 0.1", worst <= 0.1, ".3f")


def _gates(ckpt: Checkpoint, path: Path) -> Path:
    """The running-sum LSTM's gates over one bit sequence (the forget gate keeps the count)."""
    bits = np.array([1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 0], np.float32)
    x = bits[None, :, None]
    if ckpt.x_scaler is not None:
        x = ckpt.x_scaler.transform(x)
    title = "Bit counter (running sum, per step): LSTM gates over one sequence of bits"
    return save_figure(plot_gates(gates(ckpt.model, x), bits[:, None], title=title), path)


def run(workdir: Path, seed: int = 0) -> ScenarioResult:
    start = time.perf_counter()
    result = ScenarioResult(NAME, TITLE)
    models = {
        "many-to-one, length 20 (original setup)": (False, train_counter(False, None, seed)),
        "per-step, length 20 (original setup)": (True, train_counter(True, None, seed)),
        "many-to-one, lengths 1..40 (ours)": (False, train_counter(False, VARIABLE_LENGTHS, seed)),
        "per-step, lengths 1..40 (ours)": (True, train_counter(True, VARIABLE_LENGTHS, seed)),
    }
    curves = {
        label: length_sweep(_values(ckpt), _generator(per_step), SWEEP, n=300, seed=seed + 7)
        for label, (per_step, ckpt) in models.items()
    }
    for label, (per_step, ckpt) in models.items():
        x, y = _generator(per_step)(1000, TRAIN_LENGTH, np.random.default_rng(seed + 99))
        err = mse(y, _values(ckpt)(x))
        ours = "(ours)" in label
        result.check(
            f"{label}: held-out MSE at length 20",
            err,
            "<= 0.01" if ours else "reported",
            err <= 0.01 if ours else None,
            ".2e",
        )
    for label, points in curves.items():
        by_length = dict(points)
        result.report(
            f"{label}: MSE at length 30 / 45 / 60",
            " / ".join(f"{by_length[n]:.3g}" for n in (30, 45, 60)),
        )
    header = ["length", *curves]
    rows = [[n, *(dict(points)[n] for points in curves.values())] for n in SWEEP]
    sweep_csv = workdir / "bit_counter_length_sweep.csv"
    write_rows_csv(sweep_csv, header, rows)
    result.artifacts["sweep_csv"] = sweep_csv
    fig = plot_length_sweep(
        curves, train_lengths=VARIABLE_LENGTHS, title="Bit counter: MSE against sequence length"
    )
    png = workdir / "bit_counter_length_sweep.png"
    save_figure(fig, png)
    result.artifacts["sweep_png"] = png
    running = models["per-step, lengths 1..40 (ours)"][1]
    result.artifacts["gates_png"] = _gates(running, workdir / "bit_counter_gates.png")
    _continuation(running, result)
    result.seconds = time.perf_counter() - start
    return result
