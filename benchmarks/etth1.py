"""The ETTh1 univariate benchmark (Informer protocol), next to the published numbers.

Borders: train rows [0, 8640), validation [8640 - L, 11520), test [11520 - L, 14400); z-score
fitted on the training rows of OT; MSE and MAE on the scaled values over every test window
(stride 1) and every horizon step. Our model: a GRU encoder with a direct multi-horizon head,
instance normalisation (the window's last value) and an NLinear-style linear skip; early
stopping on the validation split; the lookback is chosen on the validation split. Nothing is
tuned on the test split.

Run: python benchmarks/etth1.py [--csv PATH] [--out DIR]   (make bench-etth1)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from seqlab import Seq2Seq, Seq2SeqConfig, SequenceData, TrainConfig, Trainer, set_seed
from seqlab._io import atomic_write_bytes
from seqlab.data.builtin import dataset_path
from seqlab.data.sources import load_csv

# The shared copy beside the checkout, else the identical copy shipped in the package.
SHARED_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "ETTh1.csv"
DEFAULT_CSV = SHARED_CSV if SHARED_CSV.is_file() else dataset_path("etth1")
TRAIN_END, VAL_END, TEST_END = 8640, 11520, 14400
PUBLISHED = {  # univariate ETTh1 test MSE (MAE), from the authors' repositories (SOURCES.md)
    24: {
        "Informer": (0.098, 0.247),
        "LSTMa": (0.114, 0.272),
        "DeepAR": (0.107, 0.280),
        "ARIMA": (0.108, 0.284),
    },
    48: {
        "Informer": (0.158, 0.319),
        "LSTMa": (0.193, 0.358),
        "DeepAR": (0.162, 0.327),
        "ARIMA": (0.175, 0.424),
    },
    168: {
        "Informer": (0.183, 0.346),
        "LSTMa": (0.236, 0.392),
        "DeepAR": (0.239, 0.422),
        "ARIMA": (0.396, 0.504),
    },
    336: {
        "Informer": (0.222, 0.387),
        "LSTMa": (0.590, 0.698),
        "DeepAR": (0.445, 0.552),
        "ARIMA": (0.468, 0.593),
        "NLinear": (0.081, 0.226),
        "DLinear": (0.098, 0.244),
    },
    720: {
        "Informer": (0.269, 0.435),
        "LSTMa": (0.683, 0.768),
        "DeepAR": (0.658, 0.707),
        "ARIMA": (0.659, 0.766),
        "NLinear": (0.080, 0.226),
        "DLinear": (0.189, 0.359),
    },
    96: {"NLinear": (0.053, 0.177), "DLinear": (0.056, 0.180)},
    192: {"NLinear": (0.069, 0.204), "DLinear": (0.071, 0.204)},
}


def windows(
    z: np.ndarray, first: int, last: int, lookback: int, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Windows whose forecast steps lie in [first, last)."""
    origins = np.arange(first, last - horizon + 1)
    x = z[origins[:, None] - lookback + np.arange(lookback)[None, :]]
    y = z[origins[:, None] + np.arange(horizon)[None, :]]
    return x[..., None].astype(np.float32), y[..., None].astype(np.float32)


def train_one(
    z: np.ndarray, lookback: int, horizon: int, epochs: int, seed: int
) -> tuple[Seq2Seq, float, float]:
    x, y = windows(z, lookback, TRAIN_END, lookback, horizon)
    vx, vy = windows(z, TRAIN_END, VAL_END, lookback, horizon)
    set_seed(seed)
    model = Seq2Seq(
        Seq2SeqConfig(
            horizon=horizon,
            cell="gru",
            hidden_size=32,
            num_layers=1,
            mode="direct",
            instance_norm=True,
            linear_skip=lookback,
        )
    )
    config = TrainConfig(
        epochs=epochs, batch_size=128, lr=1e-3, patience=3, seed=seed, progress=False
    )
    start = time.perf_counter()
    history = Trainer(config).fit(
        model, SequenceData.from_arrays(x, y), SequenceData.from_arrays(vx, vy)
    )
    return model, min(history.val_loss), time.perf_counter() - start


@torch.no_grad()
def test_scores(model: Seq2Seq, z: np.ndarray, lookback: int, horizon: int) -> tuple[float, float]:
    x, y = windows(z, VAL_END, TEST_END, lookback, horizon)
    preds = [model(torch.from_numpy(x[i : i + 512]))[0].numpy() for i in range(0, len(x), 512)]
    err = np.concatenate(preds) - y
    return float(np.mean(err**2)), float(np.mean(np.abs(err)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--csv", default=str(DEFAULT_CSV), help="an ETT-format CSV (default: %(default)s)"
    )
    parser.add_argument(
        "--out", default="benchmarks/results", help="folder for etth1.json / etth1.md"
    )
    parser.add_argument("--horizons", type=int, nargs="+", default=[24, 48, 96, 168, 192, 336, 720])
    parser.add_argument(
        "--lookbacks", type=int, nargs="+", default=[96, 336], help="chosen on validation"
    )
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    ot = load_csv(args.csv, target=["OT"]).values[:, 0].astype(np.float64)
    mean, std = ot[:TRAIN_END].mean(), ot[:TRAIN_END].std()  # training rows only, population std
    z = (ot - mean) / std
    rows = []
    for horizon in args.horizons:
        trials = []
        for lookback in args.lookbacks:
            model, val, seconds = train_one(z, lookback, horizon, args.epochs, args.seed)
            trials.append((val, lookback, model, seconds))
            print(
                f"H={horizon} L={lookback}: validation MSE {val:.4f} ({seconds:.0f} s)", flush=True
            )
        val, lookback, model, _ = min(trials, key=lambda t: t[0])
        mse, mae = test_scores(model, z, lookback, horizon)
        seconds = sum(t[3] for t in trials)
        rows.append(
            {
                "horizon": horizon,
                "lookback": lookback,
                "mse": mse,
                "mae": mae,
                "val_mse": val,
                "train_seconds": seconds,
                "published": PUBLISHED.get(horizon, {}),
            }
        )
        print(f"H={horizon}: chose L={lookback}; test MSE {mse:.4f} MAE {mae:.4f}", flush=True)
    names = ["Informer", "LSTMa", "DeepAR", "ARIMA", "NLinear", "DLinear"]
    lines = [
        "# ETTh1 univariate (OT), Informer protocol",
        "",
        f"z-score fitted on the training rows: mean {mean:.4f}, std {std:.4f}",
        "",
        "| H | seqlab MSE (MAE) | lookback | train s | " + " | ".join(names) + " |",
        "|---|---|---|---|" + "---|" * len(names),
    ]
    for r in rows:
        pub = r["published"]
        cells = [f"{pub[n][0]:.3f} ({pub[n][1]:.3f})" if n in pub else "" for n in names]
        lines.append(
            f"| {r['horizon']} | {r['mse']:.3f} ({r['mae']:.3f}) | {r['lookback']} "
            f"| {r['train_seconds']:.0f} | " + " | ".join(cells) + " |"
        )
    lines += [
        "",
        f"{torch.get_num_threads()} CPU threads, torch {torch.__version__}, seed {args.seed}.",
    ]
    out = Path(args.out)
    atomic_write_bytes(
        out / "etth1.json", json.dumps({"rows": rows, "mean": mean, "std": std}, indent=2).encode()
    )
    atomic_write_bytes(out / "etth1.md", ("\n".join(lines) + "\n").encode())
    print("\n".join(lines))


if __name__ == "__main__":
    main()
