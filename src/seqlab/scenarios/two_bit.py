"""Scenario 3, two-bit classifier: class_t = 2*x_{t-1} + x_t on a long 0/1 stream.

Trained statefully on consecutive chunks, so the first step of each chunk is learnable
only from the carried state; evaluated chunk by chunk on a held-out stream.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from seqlab._seed import set_seed
from seqlab.config import ModelConfig, TrainConfig
from seqlab.data.tasks import two_bit_stream
from seqlab.metrics import accuracy, per_class_accuracy
from seqlab.models.sequence import SequenceModel
from seqlab.models.state import State
from seqlab.scenarios._common import ScenarioResult, fmt_seq
from seqlab.training import Trainer

NAME = "two-bit"
TITLE = "Scenario 3: two-bit classifier, class_t = 2*x_{t-1} + x_t, state carried across chunks"
CHUNK = 20
PATTERN = [0, 0, 1, 0, 1, 1]
PATTERN_CHECKS = {1: 0, 2: 1, 3: 2, 5: 3}  # position -> class


@torch.no_grad()
def predict_stream(model: SequenceModel, bits: np.ndarray, chunk: int) -> np.ndarray:
    """Class probabilities (T, 4) for one stream fed chunk by chunk, the state carried."""
    model.eval()
    state: State | None = None
    out = []
    for start in range(0, len(bits), chunk):
        x = torch.as_tensor(bits[start : start + chunk], dtype=torch.float32)[None, :, None]
        logits, state = model(x, state)  # (1, chunk, 1) -> (1, chunk, 4)
        out.append(torch.softmax(logits[0], -1))
    return torch.cat(out).numpy()


def train(seed: int = 0) -> SequenceModel:
    bits, classes = two_bit_stream(64 * 400, np.random.default_rng(seed))
    set_seed(seed)
    model = SequenceModel(
        ModelConfig(cell="lstm", hidden_size=16, task="classification", num_classes=4)
    )
    config = TrainConfig(epochs=15, batch_size=64, lr=1e-2, schedule="cosine", progress=False)
    Trainer(config).fit_stream(model, bits[:, None], classes, chunk_length=CHUNK)
    return model


def run(workdir: Path, seed: int = 0) -> ScenarioResult:
    start = time.perf_counter()
    result = ScenarioResult(NAME, TITLE)
    model = train(seed)
    bits, classes = two_bit_stream(20_000, np.random.default_rng(seed + 1000))
    probs = predict_stream(model, bits, CHUNK)
    labels = probs.argmax(-1)
    result.check(
        "held-out accuracy, all steps",
        accuracy(classes, labels),
        ">= 99.5%",
        accuracy(classes, labels) >= 0.995,
        ".4%",
    )
    for k, acc in enumerate(per_class_accuracy(classes, labels, 4)):
        result.check(f"held-out accuracy, class {k}", acc, ">= 99.5%", acc >= 0.995, ".4%")
    firsts = np.arange(CHUNK, len(bits), CHUNK)  # first steps of chunks 2.. (state carried)
    acc_first = accuracy(classes[firsts], labels[firsts])
    result.check(
        "held-out accuracy, first step of each chunk",
        acc_first,
        ">= 99.5%",
        acc_first >= 0.995,
        ".4%",
    )
    pattern = predict_stream(model, np.asarray(PATTERN, np.float32), CHUNK)
    result.report(
        f"pattern {PATTERN} labels", str(pattern.argmax(-1).tolist()), "[0, 0, 1, 2, 1, 3]"
    )
    for pos, cls in PATTERN_CHECKS.items():
        p = float(pattern[pos, cls])
        result.check(f"pattern position {pos}: P(class {cls})", p, ">= 0.95", p >= 0.95, ".4f")
    result.report("pattern max probabilities", fmt_seq(pattern.max(-1)))
    result.seconds = time.perf_counter() - start
    return result
