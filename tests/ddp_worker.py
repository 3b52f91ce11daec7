"""A tiny training run for the torchrun tests (tests/test_distributed.py):

    torchrun --nproc_per_node N tests/ddp_worker.py OUT_DIR RUN_DIR EPOCHS

Trains a small segment-recurrent model with seqlab's Trainer on windows of four synthetic
series (global batch 64), writing ``RUN_DIR/last`` checkpoints; on a torchrun restart it
resumes from there. Rank 0 writes ``OUT_DIR/weights.safetensors`` and ``OUT_DIR/run.json``.
``CRASH_RANK``/``CRASH_AT`` (e.g. ``1`` and ``batch@33``) end that rank abruptly on the
first attempt only, as a killed worker would.
"""

from __future__ import annotations

import os
import sys

restart = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))
if os.environ.get("CRASH_RANK") == os.environ.get("RANK") and restart == 0:
    os.environ["SEQLAB_CRASH_AT"] = os.environ["CRASH_AT"]  # read when seqlab is imported

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

import seqlab.distributed as distributed  # noqa: E402
from seqlab import TrainConfig, Trainer  # noqa: E402
from seqlab.config import SegmentConfig  # noqa: E402
from seqlab.data.indexed import WindowData  # noqa: E402
from seqlab.models.segment import SegmentRNN  # noqa: E402


def main() -> None:
    out, run_dir, epochs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    t = np.arange(300)
    series = [(np.sin(t / 5 + k) + 0.1 * rng.normal(size=300))[:, None] for k in range(4)]
    train = WindowData.from_series(series, [np.arange(24, 250 - 6 + 1)] * 4, 24, 6, 1)
    val = WindowData.from_series(series, [np.arange(250, 300 - 6 + 1)] * 4, 24, 6, 1)
    torch.manual_seed(0)
    model = SegmentRNN(
        SegmentConfig(lookback=24, horizon=6, segment=6, hidden_size=16, dropout=0.0)
    )
    config = TrainConfig(epochs=epochs, batch_size=64, lr=1e-2, seed=0, patience=None)
    last = run_dir / "last"
    resume = last if restart and last.is_dir() else None
    history = Trainer(config, run_dir=run_dir).fit(model, train, val, resume=resume)
    if distributed.is_main():
        out.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()},
                  str(out / "weights.safetensors"))  # fmt: skip
        info = {**distributed.launch(), "restart": restart, "epochs": len(history.epochs),
                "val_loss": history.epochs[-1]["val_loss"]}  # fmt: skip
        (out / "run.json").write_text(json.dumps(info))


if __name__ == "__main__":
    main()
