"""Scenario 1, future predictor (after Srivastava et al., 2015): an encoder–decoder LSTM
reads value(i, j, t) = i*t^2 + j at t = 0..3 and predicts t = 4..7.

The original TensorFlow version printed [19.7, 28.3, 33.1, 35.1] for [353, 533, 753, 1013]:
it broadcast a (16, 1) prediction against a (16,) target, never scaled values of up to
±1,300, and fed the decoder the encoder's inputs. Here the scaler is fitted on the
training pairs, losses refuse mismatched shapes, and the decoder reads its own previous
output. Measured on held-out (i, j) pairs with the model reloaded from its checkpoint.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from seqlab._seed import set_seed
from seqlab.checkpoint import Checkpoint, load_checkpoint, save
from seqlab.config import Seq2SeqConfig, TrainConfig
from seqlab.data.batches import SequenceData
from seqlab.data.csvio import write_rows_csv
from seqlab.data.scaling import StandardScaler
from seqlab.data.tasks import FUTURE_CASES, future_predictor, future_predictor_pairs
from seqlab.models.seq2seq import Seq2Seq
from seqlab.scenarios._common import ScenarioResult, fmt_seq
from seqlab.training import Trainer

NAME = "future-predictor"
TITLE = "Scenario 1: future predictor, i*t^2 + j: read t = 0..3, predict t = 4..7"
HELD_OUT = 2000
BASE = Seq2SeqConfig(horizon=4, hidden_size=64)
TRAIN = TrainConfig(epochs=40, batch_size=64, lr=3e-3, schedule="cosine", progress=False)

F32 = NDArray[np.float32]


def split_pairs(seed: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(train, held-out) integer pairs (i, j); held-out pairs are never trained on."""
    pairs = future_predictor_pairs()
    order = np.random.default_rng(seed).permutation(len(pairs))
    return pairs[order[HELD_OUT:]], pairs[order[:HELD_OUT]]


def relative_errors(pred: F32, true: F32) -> dict[str, float]:
    """WAPE (sum |e| / sum |true|), mean |e|/|true| over |true| >= 20, and max abs error."""
    err = np.abs(pred - true)
    big = np.abs(true) >= 20
    return {
        "wape": float(err.sum() / np.abs(true).sum()),
        "mean_relative": float(np.mean(err[big] / np.abs(true[big]))),
        "max_abs": float(err.max()),
    }


def case_within(pred: float, true: float) -> bool:
    """Within 1%, or within 2.0 where the true value is near 0 (|true| < 200)."""
    return abs(pred - true) <= max(0.01 * abs(true), 2.0)


def train_model(
    config: Seq2SeqConfig, train_pairs: NDArray[np.int64], seed: int, train: TrainConfig = TRAIN
) -> Checkpoint:
    x, y = future_predictor(train_pairs)
    scaler = StandardScaler().fit(np.concatenate([x, y], axis=1))  # training values only
    set_seed(seed)
    model = Seq2Seq(config)
    data = SequenceData.from_arrays(scaler.transform(x), scaler.transform(y))
    history = Trainer(train).fit(model, data)
    return Checkpoint(model, x_scaler=scaler, y_scaler=scaler, train_config=train, history=history)


def linear_baseline(train_pairs: NDArray[np.int64]) -> tuple[F32, F32]:
    """Least squares y = [x, 1] W. This family is exactly linear in its inputs."""
    x, y = future_predictor(train_pairs)
    design = np.concatenate([x[..., 0], np.ones((len(x), 1), np.float32)], axis=1).astype(
        np.float64
    )
    weights, *_ = np.linalg.lstsq(design, y[..., 0].astype(np.float64), rcond=None)
    return weights[:-1].astype(np.float32), weights[-1].astype(np.float32)


def run(workdir: Path, seed: int = 0) -> ScenarioResult:
    start = time.perf_counter()
    result = ScenarioResult(NAME, TITLE)
    train_pairs, test_pairs = split_pairs(seed)
    trained = train_model(BASE, train_pairs, seed)
    trained.data = {"source": NAME, "lookback": 4, "horizon": 4}
    path = save(workdir / "future_predictor_model", trained)
    result.artifacts["checkpoint"] = path
    ckpt = load_checkpoint(path)
    x_test, y_test = future_predictor(test_pairs)
    pred = ckpt.predict(x_test).regression
    errors = relative_errors(pred, y_test)
    result.check(
        "held-out pairs: WAPE (sum|e| / sum|true|)",
        errors["wape"],
        "<= 1%",
        errors["wape"] <= 0.01,
        ".3%",
    )
    result.check(
        "held-out pairs: mean |e|/|true| (|true| >= 20)",
        errors["mean_relative"],
        "<= 1%",
        errors["mean_relative"] <= 0.01,
        ".3%",
    )
    result.check("held-out pairs: max abs error", errors["max_abs"], "reported", None, ".2f")
    weights, bias = linear_baseline(train_pairs)
    cases_x = np.array([c[0] for c in FUTURE_CASES], np.float32)
    cases_pred = ckpt.predict(cases_x[..., None]).regression
    linear_test = x_test[..., 0] @ weights + bias
    result.check(
        "linear least-squares baseline: held-out WAPE",
        relative_errors(linear_test, y_test[..., 0])["wape"],
        "exact: the family is linear in its inputs",
        None,
        ".2e",
    )
    for (x, y), p in zip(FUTURE_CASES, cases_pred[..., 0], strict=True):
        ok = all(case_within(float(a), float(b)) for a, b in zip(p, y, strict=True))
        worst = max(
            abs(float(a) - float(b)) / max(abs(float(b)), 200.0) for a, b in zip(p, y, strict=True)
        )
        note = " (original printed [19.7, 28.3, 33.1, 35.1])" if x == FUTURE_CASES[0][0] else ""
        result.report(f"{x} -> ours", fmt_seq(p), f"{y}{note}")
        result.report(
            f"{x} -> linear baseline", fmt_seq(np.asarray(x, np.float32) @ weights + bias)
        )
        result.check(f"{x}: worst |e| / max(|true|, 200)", worst, "<= 1% each", ok, ".3%")
    result.seconds = time.perf_counter() - start
    return result


VARIANTS: dict[str, Seq2SeqConfig] = {
    "seq2seq, conditional, teacher forcing (base)": BASE,
    "unconditioned decoder": replace(BASE, decoder="unconditioned"),
    "composite (future + reverse reconstruction)": replace(BASE, composite=True),
    "scheduled sampling (1.0 -> 0)": replace(BASE, regime="scheduled_sampling"),
    "free running": replace(BASE, regime="free_running"),
    "direct multi-horizon": replace(BASE, mode="direct"),
}


def compare(workdir: Path, seed: int = 0) -> list[dict[str, object]]:
    """Train every variant with the same budget; metrics on the same held-out pairs."""
    train_pairs, test_pairs = split_pairs(seed)
    x_test, y_test = future_predictor(test_pairs)
    rows: list[dict[str, object]] = []
    for label, config in VARIANTS.items():
        t0 = time.perf_counter()
        ckpt = train_model(config, train_pairs, seed)
        pred = ckpt.predict(x_test).regression
        rows.append(
            {"variant": label, **relative_errors(pred, y_test), "train_s": time.perf_counter() - t0}
        )
    header = ["variant", "wape", "mean_relative", "max_abs", "train_s"]
    write_rows_csv(
        workdir / "future_predictor_comparison.csv", header, [[r[h] for h in header] for r in rows]
    )
    return rows
