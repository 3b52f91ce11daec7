"""The ETT benchmark (Informer / DLinear / SegRNN protocol), univariate or multivariate.

    python benchmarks/ett.py --csv ETTh1.csv --freq h --features M --lookback 96 \\
        --horizons 96 192 336 720 --out benchmarks/results/ett-h1-M      (make bench-ett)

Borders: train rows [0, 12 * 30 * 24), validation [.. - L, 16 * 30 * 24), test [.. - L,
20 * 30 * 24) at hourly data; four times those at 15-minute data. Each channel is z-scored
with its training-row mean and std; MSE and MAE are on the scaled values, averaged over every
test window (stride 1, none dropped), every channel and every step. ``--features S`` reads and
forecasts the last column (``OT``) only; ``M`` every column, channel independent.

Per horizon, every candidate configuration of ``--model`` is trained on the training rows with
early stopping on the validation rows. The main model's (the first ``--model``) candidates are
ranked by validation MSE, and with ``--ensemble auto`` the mean forecast of the best k of them
(k = 2, 3, ...) is a candidate too (``segment-mean<k>``, its ``members`` listed). The one with
the lowest validation MSE is marked ``primary`` *before* any test row is read — nothing is
chosen on the test split. Rows for the other candidates and for the ablations are written too:

- ``segment``: seqlab's SegmentRNN (GRU over segments, parallel decoding); candidates are the
  segment lengths in ``--segments`` that divide the lookback, each trained with every loss in
  ``--losses`` (and, where a segment is one day, with and without ``--repeat-skip``);
- ``segment-linear``: the same with the recurrence over the segments replaced by one linear map
  of the segment embeddings (what the recurrence adds);
- ``nlinear``: one linear map from the window (less its last value) to the horizon (Zeng et
  al., 2023), the strong linear reference;
- ``gru``: the point-wise GRU (one recurrent step per time step, direct head) for the
  training-speed comparison (``--speed``).

Writes ``OUT/ett.json`` ``{"rows": [...]}`` and prints one line per row.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import nn

from seqlab import SequenceData, TrainConfig, Trainer, set_seed
from seqlab._io import atomic_write_bytes
from seqlab.config import Seq2SeqConfig
from seqlab.data.batches import Batch
from seqlab.data.builtin import dataset_path
from seqlab.forecasting.intervals import (
    adaptive_radii,
    bands,
    calibrate,
    interval_scores,
    score_grid,
)
from seqlab.forecasting.intervals import scores as conformal_scores
from seqlab.forecasting.selection import mase_scale
from seqlab.models import SegmentConfig, SegmentRNN, Seq2Seq

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ETTh1.csv"
DEFAULT_CSV = SHARED if SHARED.is_file() else dataset_path("etth1")  # the unmodified copy
MONTH = 30 * 24  # hourly rows in the protocol's "month"
DAY = {"h": 24, "15min": 96}  # rows in a day, the season of both ETT frequencies


class NLinear(nn.Module):
    """x (B, L, C) -> (B, H, C): one linear map over time of the window less its last value."""

    def __init__(self, lookback: int, horizon: int) -> None:
        super().__init__()
        self.map = nn.Linear(lookback, horizon)

    def forward(self, x: torch.Tensor, state: object = None) -> tuple[torch.Tensor, None]:
        last = x[:, -1:]
        y = self.map((x - last).transpose(1, 2)).transpose(1, 2) + last  # (B, H, C)
        return y, None

    def training_loss(self, batch: Batch, state: object = None) -> tuple[torch.Tensor, None]:
        return nn.functional.mse_loss(self(batch.x)[0], batch.y), None


def borders(freq: str) -> tuple[int, int, int]:
    k = 4 if freq == "15min" else 1
    return 12 * MONTH * k, 16 * MONTH * k, 20 * MONTH * k


def load(path: Path, features: str, freq: str) -> np.ndarray:
    """Scaled values (T, C): z-scores from the training rows, per channel."""
    frame = pd.read_csv(path)
    values = frame.iloc[:, 1:].to_numpy(np.float64)
    if features == "S":
        values = values[:, -1:]
    train_end = borders(freq)[0]
    mean, std = values[:train_end].mean(axis=0), values[:train_end].std(axis=0)
    scaled: np.ndarray = (values - mean) / np.where(std > 0, std, 1.0)
    return scaled


def windows(z: np.ndarray, first: int, last: int, lookback: int, horizon: int) -> SequenceData:
    """Every window whose forecast steps lie in [first, last): x (N, L, C), y (N, H, C)."""
    origins = np.arange(max(first, lookback), last - horizon + 1)
    x = z[origins[:, None] - lookback + np.arange(lookback)[None, :]]
    y = z[origins[:, None] + np.arange(horizon)[None, :]]
    return SequenceData.from_arrays(x.astype(np.float32), y.astype(np.float32))


def build(kind: str, lookback: int, horizon: int, channels: int, args: Any, cand: Candidate) -> Any:
    if kind == "nlinear":
        return NLinear(lookback, horizon)
    if kind == "gru":
        config = Seq2SeqConfig(
            horizon=horizon,
            cell="gru",
            input_size=channels,
            output_size=channels,
            hidden_size=args.hidden_size,
            mode="direct",
            instance_norm=True,
        )
        return Seq2Seq(config)
    return SegmentRNN(
        SegmentConfig(
            lookback=lookback,
            horizon=horizon,
            segment=cand.segment,
            channels=channels,
            hidden_size=args.hidden_size,
            dropout=args.dropout,
            norm="last",
            loss=cand.loss,
            encoder="linear" if kind == "segment-linear" else "recurrent",
            repeat_skip=cand.skip,
        )
    )


def skips(args: Any, segment: int) -> list[bool]:
    """``repeat_skip`` candidates, as seqlab's Forecaster tries them ("auto"): with and
    without the gated copy of the last segment when a segment is one day (the season of both
    ETT frequencies), validation deciding; without it otherwise."""
    if args.repeat_skip != "auto":
        return [args.repeat_skip == "on"]
    return [False, True] if segment == DAY[args.freq] else [False]


class Candidate(NamedTuple):
    """One configuration of a segment model (``segment`` 0 for the other kinds)."""

    segment: int = 0
    skip: bool = False
    loss: Literal["mae", "mse"] = "mse"

    def name(self, kind: str, losses: int) -> str:
        if kind not in ("segment", "segment-linear"):
            return kind
        return (
            f"{kind}-w{self.segment}"
            + ("+skip" if self.skip else "")
            + (f"-{self.loss}" if losses > 1 else "")
        )


def candidates(kind: str, lookback: int, args: Any) -> list[Candidate]:
    """Every candidate configuration of ``kind``: segment lengths × repeat skip × loss."""
    if kind not in ("segment", "segment-linear"):
        return [Candidate()]
    ws = [w for w in args.segments if lookback % w == 0 and lookback // w >= 2] or [lookback]
    return [Candidate(w, skip, loss) for w in ws for skip in skips(args, w) for loss in args.losses]


def ensembles(ranked: list[np.ndarray], truth: np.ndarray) -> list[float]:
    """Validation MSE of the mean forecast of the best k candidates, k = 1 .. len(ranked);
    ``ranked`` holds the candidates' validation forecasts, best (lowest MSE) first."""
    total = np.zeros(truth.shape, np.float64)
    out = []
    for k, pred in enumerate(ranked, start=1):
        total += pred
        out.append(float(np.mean((total / k - truth) ** 2)))
    return out


def blend(forecasts: dict[str, np.ndarray], names: list[str]) -> np.ndarray:
    """The mean of the named candidates' forecasts."""
    return np.mean([forecasts[n] for n in names], axis=0)


def errors(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(MSE, MAE) over every window, step and channel."""
    err = pred.astype(np.float64) - truth
    return float(np.mean(err**2)), float(np.mean(np.abs(err)))


def run_horizon(z: np.ndarray, horizon: int, args: Any, kinds: list[str]) -> list[dict[str, Any]]:
    train_end, val_end, test_end = borders(args.freq)
    lb = args.lookback
    train = windows(z, 0, train_end, lb, horizon)
    val = windows(z, train_end, val_end, lb, horizon)
    v_true = val.y.numpy().astype(np.float64)
    tc = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        patience=args.patience,
        progress=False,
        seed=args.seed,
        schedule="cosine",
    )
    rows: list[dict[str, Any]] = []
    trained = []  # (row, model)
    val_fc: dict[str, np.ndarray] = {}  # validation forecasts by row name
    for kind in kinds:
        for cand in candidates(kind, lb, args):
            set_seed(args.seed)
            model = build(kind, lb, horizon, z.shape[1], args, cand)
            start = time.perf_counter()
            history = Trainer(tc).fit(model, train, val)
            seconds = time.perf_counter() - start
            name = cand.name(kind, len(args.losses))
            val_fc[name] = predictions(model, val)
            row = {
                "dataset": Path(args.csv).stem,
                "features": args.features,
                "lookback": lb,
                "horizon": horizon,
                "model": name,
                "kind": kind,
                "val_mse": errors(val_fc[name], v_true)[0],
                "epochs": len(history.epochs),
                "seconds": round(seconds, 1),
                "seconds_per_epoch": round(seconds / max(1, len(history.epochs)), 2),
                "primary": False,
            }
            rows.append(row)
            trained.append((row, model))
    # the main model's candidates, best on validation first, and the mean forecasts of the
    # best k of them (a deep ensemble of the configurations, k chosen on validation too)
    main = sorted((r for r in rows if r["kind"] == kinds[0]), key=lambda r: r["val_mse"])
    means = []
    if args.ensemble == "auto":
        scores = ensembles([val_fc[r["model"]] for r in main], v_true)
        for k, val_mse in enumerate(scores[1:], start=2):
            means.append(
                {
                    **{key: main[0][key] for key in ("dataset", "features", "lookback")},
                    "horizon": horizon,
                    "model": f"{kinds[0]}-mean{k}",
                    "kind": kinds[0],
                    "members": [r["model"] for r in main[:k]],
                    "val_mse": val_mse,
                    "seconds": round(sum(r["seconds"] for r in main[:k]), 1),
                    "primary": False,
                }
            )
    rows.extend(means)
    # the primary row: the lowest validation MSE among the main model's candidates and their
    # means, chosen before the test windows are even built
    primary = min(main + means, key=lambda r: r["val_mse"])
    primary["primary"] = True
    test = windows(z, val_end, test_end, lb, horizon)
    t_true = test.y.numpy().astype(np.float64)
    test_fc = {}
    for row, model in trained:
        test_fc[row["model"]] = predictions(model, test)
        row["mse"], row["mae"] = errors(test_fc[row["model"]], t_true)
    for row in means:
        row["mse"], row["mae"] = errors(blend(test_fc, row["members"]), t_true)
    if args.intervals:
        names = primary.get("members", [primary["model"]])
        v_pred, t_pred = blend(val_fc, names), blend(test_fc, names)
        scale = mase_scale(z[:train_end], DAY[args.freq])
        primary["intervals"] = conformal(v_pred, v_true, t_pred, t_true, scale, args.intervals)
    return rows


@torch.no_grad()
def predictions(model: nn.Module, data: SequenceData, batch: int = 1024) -> np.ndarray:
    model.eval()
    return np.concatenate([model(b.x)[0].numpy() for b in data.batches(batch, shuffle=False)])


def conformal(
    v_pred: np.ndarray,
    v_true: np.ndarray,
    t_pred: np.ndarray,
    t_true: np.ndarray,
    scale: np.ndarray,
    levels: list[float],
) -> dict[str, Any]:
    """Conformal intervals (seqlab.forecasting.intervals) calibrated on the validation
    windows' forecasts, scored on the test windows': coverage, width and MSIS in MASE units.
    The adaptive bands (seqlab's default) learn from each test window once its outcome is
    known, in time order (window k starts k rows after the first); ``"split"`` keeps the
    validation radii throughout."""
    v_pred, t_pred = v_pred.astype(np.float64), t_pred.astype(np.float64)
    score = conformal_scores(v_true, v_pred, v_pred, scale)
    realised = conformal_scores(t_true, t_pred, t_pred, scale)  # (N * F, H), window-major
    n, steps, cols = t_true.shape
    times = np.repeat(np.arange(n), cols)
    out: dict[str, Any] = {"calibration_windows": int(score.shape[0]), "split": {}}
    for level in sorted(set(levels)):
        key = f"{100 * level:g}"
        radius = calibrate(score, [level])[key]
        low, high = bands(t_pred, t_pred, radius, scale)
        out["split"][key] = interval_scores(t_true, low, high, level, scale)
        radii, share = adaptive_radii(score_grid(score), times, realised, level)
        radii = radii.reshape(n, cols, steps).transpose(0, 2, 1)
        low, high = bands(t_pred, t_pred, radii, scale)
        out[key] = {**interval_scores(t_true, low, high, level, scale), "gamma_share": share}
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    p.add_argument("--freq", choices=["h", "15min"], default="h")
    p.add_argument("--features", choices=["S", "M"], default="M")
    p.add_argument("--lookback", type=int, default=96)
    p.add_argument("--horizons", type=int, nargs="+", default=[96, 192, 336, 720])
    p.add_argument(
        "--model",
        nargs="+",
        default=["segment", "nlinear"],
        choices=["segment", "segment-linear", "nlinear", "gru"],
        help="the first is the main model (its candidates give the primary row)",
    )
    p.add_argument("--segments", type=int, nargs="+", default=[24, 48])
    p.add_argument(
        "--losses",
        nargs="+",
        choices=["mse", "mae"],
        default=["mse", "mae"],
        help="segment models: a candidate trained with each loss (on normalised values)",
    )
    p.add_argument(
        "--ensemble",
        choices=["auto", "off"],
        default="auto",
        help="auto: the mean forecast of the best k candidates of the main model is a "
        "candidate too (k = 2, 3, ...), validation choosing",
    )
    p.add_argument(
        "--repeat-skip",
        choices=["auto", "on", "off"],
        default="auto",
        help="segment models: gated copy of the last segment (auto: with and without it when "
        "a segment is a day, validation choosing)",
    )
    p.add_argument("--hidden-size", type=int, default=256)
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--intervals",
        type=float,
        nargs="+",
        metavar="LEVEL",
        help="score conformal intervals (adaptive and split) of the primary model at these levels",
    )
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/ett"))
    args = p.parse_args(argv)
    z = load(args.csv, args.features, args.freq)
    rows = []
    for horizon in args.horizons:
        for row in run_horizon(z, horizon, args, args.model):
            rows.append(row)
            print(
                f"H={row['horizon']:4d} {row['model']:18s} val {row['val_mse']:.4f}  "
                f"test MSE {row['mse']:.4f} MAE {row['mae']:.4f}  {row['seconds']:.0f} s"
                + ("  [primary]" if row["primary"] else ""),
                flush=True,
            )
    primary = [r["mse"] for r in rows if r["primary"]]
    result = {"rows": rows, "mean_primary_mse": float(np.mean(primary)), "args": {
        k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
    }}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(args.out / "ett.json", json.dumps(result, indent=2).encode() + b"\n")
    print(f"mean primary test MSE {result['mean_primary_mse']:.4f}")
    return result


if __name__ == "__main__":
    main()
