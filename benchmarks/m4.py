"""The M4 competition benchmark: seqlab's Forecaster against Naive2 and seasonal naive.

    python benchmarks/m4.py --train Hourly-train.csv --test Hourly-test.csv \\
        --horizon 48 --season 24 --out benchmarks/results/m4-hourly        (make bench-m4)

Files are in the M4 wide format: a header row, then one row per series — its id, then its
values, padded with empty cells. seqlab is used through its public API only, as a user would:
one global ``Forecaster`` over every series (long format: a mapping of id -> Series), no test
rows (``test_rows=0``), the last ``horizon`` training values of each series as validation.
Everything else is decided by code from the data's shape, never by hand for one data set:

- the lookbacks tried are multiples of the season (or of the horizon with ``--season 1``)
  that leave every series at least one training window; the Forecaster trains one model per
  lookback (the shortest with and without the repeat skip where a segment is one season, the
  others with the better of the two), each for a tenth of the training's steps, and keeps
  the shortest whose validation error (mean absolute error in the series' scaled units) is
  within one standard error of the lowest (``--lookback-rule one_se``), which trains on for
  the rest of the steps;
- the training is a budget of optimizer steps (``--max-steps 2000``, the cosine schedule
  decaying over them; at most ``--epochs`` epochs, which bind first on short series) in
  bfloat16 mixed precision where the machine computes it natively (``--precision auto``);
- the Forecaster decides on the same validation windows whether to keep the network's
  forecasts at or above each series' lowest value so far (the observed floor);
- the Forecaster then scores the network, its baselines, the classical methods (Theta,
  AutoTheta, AutoETS within their time budget) and the network's mean with the best of them on
  the validation windows and forecasts with the best (no refit: ``refit`` is off);
- a series shorter than the chosen lookback is left-padded with its first value by the
  Forecaster (as N-BEATS pads short histories), and one too short for the validation tail
  trains without it; only one with fewer than horizon + 1 values (one training window) is
  forecast by Naive2 (counted in the output).

Scores follow the competition exactly: sMAPE and MASE per series (MASE scaled by the in-sample
seasonal naive MAE with period ``season``), averaged over series; OWA relative to Naive2.
Writes ``OUT/m4.json`` and prints ``OWA <value>`` last. ``--mstl 24 168`` also fits
statsforecast's MSTL with those periods on every training series in the same run and records
its scores and ``mstl_seconds`` beside the Forecaster's ``fit_seconds`` (issue 28's peer).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from seqlab import ForecastConfig, Forecaster
from seqlab._io import atomic_write_bytes
from seqlab.baselines import naive2
from seqlab.data.sources import Series
from seqlab.forecasting.classical import CLASSICAL, NOT_FITTED, Classical
from seqlab.forecasting.intervals import interval_scores
from seqlab.forecasting.selection import mase_scale
from seqlab.metrics import mase, owa, smape

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "m4"


def read_wide(path: Path) -> dict[str, np.ndarray]:
    """id -> values (T,) from an M4 wide-format file."""
    out: dict[str, np.ndarray] = {}
    with path.open(newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            values = [float(v) for v in row[1:] if v.strip() != ""]
            out[row[0]] = np.asarray(values, dtype=np.float64)
    return out


def candidate_lookbacks(lengths: list[int], horizon: int, season: int) -> list[int]:
    """About 2, 4 and 7 horizons (the range N-BEATS ensembles over), each rounded to a
    multiple of the season so that segments line up with it; only those that leave at least
    half of the series one training window besides the validation tail."""
    unit = season if season > 1 else 1
    cands = sorted({unit * max(1, round(f * horizon / unit)) for f in (2, 4, 7)})
    need = 2 * horizon + 1
    usable = [c for c in cands if sum(n >= c + need for n in lengths) >= len(lengths) / 2]
    return usable or [cands[0]]


def score(
    forecasts: dict[str, np.ndarray],
    train: dict[str, np.ndarray],
    test: dict[str, np.ndarray],
    season: int,
) -> dict[str, float]:
    s = [smape(test[k], forecasts[k]) for k in test]
    m = [mase(test[k], forecasts[k], train[k], season) for k in test]
    return {"smape": float(np.mean(s)), "mase": float(np.mean(m))}


def score_intervals(
    forecaster: Forecaster,
    named: dict[str, Series],
    train: dict[str, np.ndarray],
    test: dict[str, np.ndarray],
    m: int,
    levels: list[float],
) -> dict[str, Any]:
    """Coverage (overall, per step), width and MSIS of the calibrated intervals on the test
    year, MSIS scaled as M4 did (the in-sample seasonal-naive MAE of the whole training
    series); series too short for the Forecaster (Naive2 fallback) are left out and counted."""
    keys = [k for k in test if k in named]
    found = np.stack([forecaster.predict_intervals(name=k)[:, 0] for k in keys])  # (N, H, K, 2)
    truth = np.stack([test[k] for k in keys])[..., None]  # (N, H, 1)
    scale = np.array([mase_scale(train[k][:, None], m)[0] for k in keys])[:, None, None]
    out: dict[str, Any] = {}
    for j, level in enumerate(sorted(set(levels))):
        low, high = found[:, :, j, 0][..., None], found[:, :, j, 1][..., None]
        out[f"{100 * level:g}"] = interval_scores(truth, low, high, level, scale)
    out["series_scored"] = len(keys)
    out["calibration"] = {
        k: v for k, v in forecaster.intervals.items() if k not in ("radii", "scores")
    }
    return out


def classical_peers(
    forecaster: Forecaster,
    train: dict[str, np.ndarray],
    n2: dict[str, np.ndarray],
    h: int,
    m: int,
) -> dict[str, dict[str, np.ndarray]]:
    """The test forecasts of each classical method the Forecaster kept as a candidate or
    raced out (not those over its time budget), fitted on each whole training series as the
    peers are; Naive2 for a series one cannot fit."""
    kept = list((forecaster.selection.get("classical") or {}).get("methods", []))
    skipped = forecaster.selection.get("skipped", {})
    kept += [m for m in CLASSICAL if skipped.get(m, {}).get("why", "").startswith("racing")]
    out: dict[str, dict[str, np.ndarray]] = {name: {} for name in kept}
    peers = Classical(kept, m if m > 1 else None, math.inf)
    for k, v in train.items():
        found = peers.forecasts(v[:, None], np.array([len(v)]), h, len(v))
        for name in kept:
            out[name][k] = found[name][0, :, 0] if name in found else n2[k]
    return out


def mstl_peer(
    train: dict[str, np.ndarray], n2: dict[str, np.ndarray], h: int, periods: list[int]
) -> tuple[dict[str, np.ndarray], float]:
    """statsforecast's MSTL (trend by its default AutoETS) on each whole training series, one
    series after another in this process, and the seconds that took; Naive2 for a series it
    cannot fit (shorter than two of the longest period, or a failed fit)."""
    import warnings

    from statsforecast.models import MSTL

    out, start = {}, time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, v in train.items():
            try:
                out[k] = np.asarray(MSTL(season_length=periods).forecast(y=v, h=h)["mean"])
            except NOT_FITTED:
                out[k] = n2[k]
            if not np.isfinite(out[k]).all():
                out[k] = n2[k]
    return out, time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--train", type=Path, default=SHARED / "Hourly-train.csv")
    p.add_argument("--test", type=Path, default=SHARED / "Hourly-test.csv")
    p.add_argument("--horizon", type=int, default=48)
    p.add_argument("--season", type=int, default=24)
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/m4"))
    p.add_argument("--model", default="segment", choices=["segment", "seq2seq", "direct"])
    p.add_argument("--lookbacks", type=int, nargs="+", help="default: chosen from the data")
    p.add_argument("--ensemble", type=int, default=1)
    p.add_argument("--hidden-size", type=int, default=128)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument(
        "--trial-epochs",
        type=int,
        default=3,
        help="epochs each lookback trains before the best goes on alone (0: all train fully)",
    )
    p.add_argument(
        "--time-budget",
        type=float,
        default=None,
        help="seconds the network's training may take: after the best lookback, the next-best "
        "train on while they fit, and their mean replaces it where it validates better "
        "(default: none, the best lookback alone)",
    )
    p.add_argument(
        "--max-steps",
        type=int,
        default=2000,
        help="optimizer steps of the network's training in all (the cosine schedule spans "
        "them; each lookback trial takes trial-epochs / epochs of them)",
    )
    p.add_argument(
        "--lookback-rule",
        choices=["lowest", "one_se"],
        default="one_se",
        help="lowest: the lookback of the lowest validation error; one_se: the shortest within "
        "one standard error of it",
    )
    p.add_argument(
        "--precision",
        choices=["fp32", "bf16", "auto"],
        default="auto",
        help="training precision (auto: bfloat16 mixed precision where the machine computes "
        "it natively, float32 elsewhere)",
    )
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--select", default="auto", choices=["auto", "model"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--repeat-skip",
        choices=["auto", "on", "off"],
        default="auto",
        help="segment model: gated copy of the last season (auto: when a segment is one season)",
    )
    p.add_argument(
        "--intervals",
        type=float,
        nargs="+",
        metavar="LEVEL",
        help="also score conformal prediction intervals at these levels (coverage, MSIS)",
    )
    p.add_argument(
        "--mstl",
        type=int,
        nargs="+",
        metavar="PERIOD",
        help="also fit statsforecast's MSTL with these seasonal periods (e.g. 24 168) on every "
        "training series, timed in the same run (issue 28's classical peer)",
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    h, m = args.horizon, args.season
    train, test = read_wide(args.train), read_wide(args.test)
    lengths = [len(v) for v in train.values()]
    lookbacks = args.lookbacks or candidate_lookbacks(lengths, h, m)
    fits = {k: v for k, v in train.items() if len(v) >= h + 1}  # shorter: Naive2
    config = ForecastConfig.of(
        model=args.model,
        lookback=lookbacks[0],
        lookbacks=tuple(lookbacks) if len(lookbacks) > 1 else (),
        horizon=h,
        period=m if m > 1 else None,
        test_rows=0,
        val_rows=h,
        hidden_size=args.hidden_size,
        num_layers=1,
        dropout=0.1,
        epochs=args.epochs,
        max_steps=args.max_steps,
        precision=args.precision,
        batch_size=args.batch_size,
        lr=args.lr,
        patience=args.patience,
        lookback_trial_epochs=args.trial_epochs or None,
        lookback_rule=args.lookback_rule,
        time_budget=args.time_budget,
        ensemble=args.ensemble,
        select=args.select,
        deseasonalize=False,
        seed=args.seed,
        repeat_skip="auto" if args.repeat_skip == "auto" else args.repeat_skip == "on",
        intervals=tuple(args.intervals or ()),
    )
    start = time.perf_counter()
    named = {k: Series(v[:, None].astype(np.float32), ("value",)) for k, v in fits.items()}
    forecaster = Forecaster(config).fit(named)
    fit_seconds = time.perf_counter() - start
    chosen_lb = forecaster.fitted.network.lookback
    ours: dict[str, np.ndarray] = {}
    network: dict[str, np.ndarray] = {}  # the network alone, whatever was chosen
    n2 = {k: naive2(v, h, m) for k, v in train.items()}
    fallback = 0
    for k, v in train.items():
        if k in named:
            ours[k] = forecaster.predict_arrays(name=k)[0][:, 0]
            network[k] = forecaster.predict_windows(named[k], np.array([len(v)]), k)[0, :, 0]
        else:
            ours[k] = network[k] = n2[k]
            fallback += 1
    if args.intervals:
        intervals_scores = score_intervals(forecaster, named, train, test, m, args.intervals)
    sn = {k: np.resize(v[-m:], h) if m > 1 else np.full(h, v[-1]) for k, v in train.items()}
    methods = {"model": ours, "network": network, "naive2": n2, "snaive": sn}
    methods.update(classical_peers(forecaster, train, n2, h, m))
    if args.mstl:
        methods["mstl"], mstl_seconds = mstl_peer(train, n2, h, args.mstl)
    results: dict[str, Any] = {name: score(f, train, test, m) for name, f in methods.items()}
    ref = results["naive2"]
    for name in methods:
        r = results[name]
        r["owa"] = owa(r["smape"], r["mase"], ref["smape"], ref["mase"])
    results.update(
        fit_seconds=round(fit_seconds, 1),
        mstl_seconds=round(mstl_seconds, 1) if args.mstl else None,
        series=len(train),
        horizon=h,
        season=m,
        lookbacks_tried=lookbacks,
        lookback_losses={str(k): v for k, v in forecaster.lookback_losses.items()},
        skip_losses={str(k): v for k, v in forecaster.skip_losses.items()},  # repeat skip on
        lookback=chosen_lb,
        lookback_choice=dict(forecaster.fitted.lookback_choice),
        mean_of_lookbacks=[lb for lb, _ in forecaster.groups],
        members=args.ensemble,
        selection=forecaster.selection,
        naive2_fallback_series=fallback,
        intervals=intervals_scores if args.intervals else None,
        config={k: v for k, v in vars(args).items() if k not in ("train", "test", "out")},
    )
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(args.out / "m4.json", json.dumps(results, indent=2).encode() + b"\n")
    lines = ["series," + ",".join(f"{n}_smape,{n}_mase" for n in methods)]
    for k in test:
        cells = [f"{smape(test[k], f[k]):.4f},{mase(test[k], f[k], train[k], m):.4f}"
                 for f in methods.values()]  # fmt: skip
        lines.append(",".join([k, *cells]))
    atomic_write_bytes(args.out / "per_series.csv", ("\n".join(lines) + "\n").encode())
    rows = ["series,method," + ",".join(f"h{j + 1}" for j in range(h))]
    rows += [",".join([k, "model", *(f"{v:.6g}" for v in ours[k])]) for k in test]
    atomic_write_bytes(args.out / "forecasts.csv", ("\n".join(rows) + "\n").encode())
    for name in methods:
        r = results[name]
        print(f"{name:8s} sMAPE {r['smape']:.3f}  MASE {r['mase']:.3f}  OWA {r['owa']:.3f}")
    print(
        f"chosen: lookback {chosen_lb}, {forecaster.selection['chosen']}; fit {fit_seconds:.0f} s"
    )
    for level in sorted(set(args.intervals or ())):
        found = results["intervals"][f"{100 * level:g}"]
        print(f"{level:.0%} interval: coverage {found['coverage']:.3f}, MSIS {found['msis']:.3f}")
    print(f"OWA {results['model']['owa']:.3f}")
    return results


if __name__ == "__main__":
    main()
