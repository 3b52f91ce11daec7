"""Scenario 2, series predictor: per-step regression y_t = x_t + x_{t-1}.

Trains, saves a checkpoint, and measures the test rows on the model reloaded from disk
in a new process (``python -m seqlab predict``).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from seqlab._seed import set_seed
from seqlab.checkpoint import Checkpoint, save
from seqlab.config import ModelConfig, TrainConfig
from seqlab.data.batches import SequenceData
from seqlab.data.csvio import read_sequences_csv, write_rows_csv
from seqlab.data.scaling import StandardScaler
from seqlab.data.tasks import SERIES_PREDICTOR_ROWS, SERIES_PREDICTOR_TESTS, series_predictor
from seqlab.errors import SeqlabError
from seqlab.models.sequence import SequenceModel
from seqlab.scenarios._common import ScenarioResult, fmt_seq
from seqlab.training import Trainer

NAME = "series-predictor"
TITLE = "Scenario 2: series predictor, y = [x0, x0+x1, x1+x2, x2+x3]"
TOLERANCE = 0.15


def _fit(x: np.ndarray, y: np.ndarray, hidden: int, train: TrainConfig, seed: int) -> Checkpoint:
    x_scaler, y_scaler = StandardScaler().fit(x), StandardScaler().fit(y)
    set_seed(seed)
    model = SequenceModel(ModelConfig(cell="lstm", hidden_size=hidden, head="per_step"))
    history = Trainer(train).fit(
        model, SequenceData.from_arrays(x_scaler.transform(x), y_scaler.transform(y))
    )
    return Checkpoint(
        model, x_scaler=x_scaler, y_scaler=y_scaler, train_config=train, history=history
    )


def _predict_in_new_process(checkpoint: Path, workdir: Path) -> np.ndarray:
    rows = [[n, t, v] for n, (x, _) in enumerate(SERIES_PREDICTOR_TESTS) for t, v in enumerate(x)]
    test_csv, pred_csv = (
        workdir / "series_predictor_test.csv",
        workdir / "series_predictor_pred.csv",
    )
    write_rows_csv(test_csv, ["sequence", "step", "x"], rows)
    cmd = [
        sys.executable,
        "-m",
        "seqlab",
        "predict",
        "--checkpoint",
        str(checkpoint),
        "--input",
        str(test_csv),
        "--output",
        str(pred_csv),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SeqlabError(f"`{' '.join(cmd)}` failed: {done.stderr.strip()}")
    return read_sequences_csv(pred_csv, ["y"], None, "sequence").x[..., 0]  # (2, 4)


def run(workdir: Path, seed: int = 0) -> ScenarioResult:
    start = time.perf_counter()
    result = ScenarioResult(NAME, TITLE)
    tests_x = np.array([r[0] for r in SERIES_PREDICTOR_TESTS], np.float32)[..., None]
    tests_y = np.array([r[1] for r in SERIES_PREDICTOR_TESTS], np.float32)

    # The original setup: an LSTM with 10 units trained on the three rows alone.
    x3 = np.array([r[0] for r in SERIES_PREDICTOR_ROWS], np.float32)[..., None]
    y3 = np.array([r[1] for r in SERIES_PREDICTOR_ROWS], np.float32)[..., None]
    three = _fit(x3, y3, 10, TrainConfig(epochs=500, batch_size=3, lr=1e-2, progress=False), seed)
    pred3 = three.predict(tests_x).values
    assert pred3 is not None
    for (x, y), p in zip(SERIES_PREDICTOR_TESTS, pred3[..., 0], strict=True):
        result.report(f"3-row model on {x}", fmt_seq(p), f"{y} (original: within ~0.3)")
    result.check(
        "3-row model, max abs error",
        float(np.abs(pred3[..., 0] - tests_y).max()),
        "reported only (original ~0.3)",
        None,
        ".3f",
    )

    # Ours: rows generated from the same rule, saved, reloaded in a new process.
    data = series_predictor(2000, 4, np.random.default_rng(seed))
    ours = _fit(
        data.x,
        data.y,
        32,
        TrainConfig(epochs=60, batch_size=64, lr=1e-2, schedule="cosine", progress=False),
        seed,
    )
    ours.data = {"inputs": ["x"], "targets": ["y"], "sequence_col": "sequence", "source": NAME}
    ckpt = save(workdir / "series_predictor_model", ours)
    result.artifacts["checkpoint"] = ckpt
    reloaded = _predict_in_new_process(ckpt, workdir)
    for (x, y), p in zip(SERIES_PREDICTOR_TESTS, reloaded, strict=True):
        err = float(np.abs(p - np.asarray(y)).max())
        result.report(f"reloaded model on {x}", fmt_seq(p), str(y))
        result.check(
            f"reloaded model on {x}, max abs error", err, f"<= {TOLERANCE}", err <= TOLERANCE, ".3f"
        )
    result.seconds = time.perf_counter() - start
    return result
