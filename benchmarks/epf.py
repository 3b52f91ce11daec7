"""The day-ahead electricity price benchmark (EPF: Lago, Marcjasz, De Schutter & Weron, Applied
Energy 2021; the protocol NBEATSx reports on): seqlab's Forecaster with the day-ahead
forecasts as future-known covariates, the same Forecaster without them, a LEAR-style Lasso and
the weekly naive forecast, on the same test days.

    python benchmarks/epf.py --csv ../shared/data/epf/NP.csv --out benchmarks/results/epf-np
                                                                          (make bench-epf)

The file: a header row, then one row per hour with no gaps — the timestamp, the price, then
any number of day-ahead covariates (the values published the day before for that hour: load,
wind, ...); header names may carry spaces. The 24 prices of day d are forecast from the prices
up to the end of day d - 1 and the covariates' values for day d. The last ``--test-days`` days
are the test period; nothing in it is read before its day's forecast is made, and nothing is
chosen on it:

- ``model``: one seqlab ``Forecaster`` (horizon 24, period 24, the covariates as
  ``future_covariates``, the hour and weekday calendar, each window normalised on its own,
  trained on the absolute error: ``--quantiles 0.5``, the median, the MAE-optimal forecast
  and the loss the published DNN and NBEATSx train on) fitted on the rows before the test
  period with the last ``--val-days`` days of them as validation: ``model="auto"`` (every
  network kind that reads future-known covariates: the encoder–decoder), the lookback
  chosen among ``--lookbacks`` on the same days. Then it is recalibrated every
  ``--update-every`` days on every day before (``Forecaster.update``): the baselines refit
  (the linear ARX models among them, which read the covariates: plain and asinh-scaled, one
  map for every origin or one per hour of the day, a Lasso on the last 50 days and the hourly
  map corrected on them), and the
  network trains on from its weights for ``--update-steps`` steps at ``--update-lr`` on the
  windows of the last ``--update-days`` days, or not at all (0 steps). The schedule runs over
  the validation days from the fit on the training days both ways; on each walk's forecasts
  of the validation days (each day's first hour, as the test days: ``stride=24``) the
  library's selection chooses among the network, every baseline and their means, and the
  steps and choice with the lower validation MAE continue over the test days (with steps,
  the validation days join the network's training this way instead of a refit; with 0 it
  keeps the weights of the training days). The published models recalibrate every day;
- ``no_covariates``: the same without the covariate columns (the calendar kept);
- ``lear``: LEAR (epftoolbox's recipe) with a recalibration every ``--lear-every`` days: per
  hour of the day, a Lasso on the 24 prices of days d-1, d-2, d-3 and d-7, each covariate's 24
  values at d, d-1 and d-7 and day-of-week dummies, inputs and prices median/MAD-scaled and
  passed through asinh, alpha by AIC on the LARS path (scikit-learn; the path of the
  inputs centred and scaled to unit norm, as the scikit-learn of epftoolbox's time did by
  default, the Lasso then on the inputs as they are: this reproduces epftoolbox's published
  forecasts), the mean of the forecasts of calibration windows of 56, 84, 1092 and 1456 days
  (each trains on its last w - 7 days; as many as the data hold);
- ``weekly_naive``: day d - 7.

Metrics over every test hour: MAE, rMAE (MAE / the weekly naive forecast's MAE on the same
days), sMAPE (%) and RMSE. Writes ``OUT/epf.json`` and prints one line per method.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqlab import ForecastConfig, Forecaster
from seqlab._io import atomic_write_bytes
from seqlab._threads import available_cores
from seqlab.data.sources import Series
from seqlab.forecasting.selection import MODEL, ValidationBlock, choose

HOURS = 24
LEAR_WINDOWS = (56, 84, 1092, 1456)  # calibration windows in days (epftoolbox's ensemble)
PRICE_LAGS = (1, 2, 3, 7)  # days
COVARIATE_LAGS = (0, 1, 7)


@dataclass(frozen=True)
class Market:
    """Hourly data as whole days: prices (D, 24), covariates (P, D, 24), the day's weekday."""

    stamps: np.ndarray  # (D * 24,) datetime64
    prices: np.ndarray
    covariates: np.ndarray
    names: tuple[str, ...]  # the price column, then the covariates
    weekdays: np.ndarray  # (D,) 0 = Monday

    @property
    def days(self) -> int:
        return int(self.prices.shape[0])


def read_market(path: Path) -> Market:
    """The file as whole days; a clear error for what does not fit the format."""
    frame = pd.read_csv(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.shape[1] < 2:
        raise ValueError(
            f"{path}: expected a timestamp column, a price column and day-ahead covariates, "
            f"got {frame.shape[1]} column(s)"
        )
    stamps = pd.to_datetime(frame.iloc[:, 0]).to_numpy()
    steps = np.diff(stamps).astype("timedelta64[m]").astype(np.int64)
    if len(stamps) < 2 or (steps != 60).any():
        bad = int(np.argmax(steps != 60)) + 1 if len(stamps) >= 2 else 0
        raise ValueError(
            f"{path}: expected hourly rows without gaps, got a step of "
            f"{steps[bad - 1] if len(stamps) >= 2 else 'none'} minutes before row {bad + 1}"
        )
    first_hour = pd.Timestamp(stamps[0]).hour
    if first_hour != 0 or len(stamps) % HOURS:
        raise ValueError(
            f"{path}: expected whole days (starting at hour 0, a multiple of 24 rows), got "
            f"{len(stamps)} rows starting at hour {first_hour}"
        )
    values = frame.iloc[:, 1:].to_numpy(np.float64)
    if np.isnan(values).any():
        raise ValueError(f"{path}: expected numbers in every cell, found empty cells")
    days = len(stamps) // HOURS
    by_day = values.reshape(days, HOURS, -1)
    weekdays = pd.DatetimeIndex(stamps[::HOURS]).day_of_week.to_numpy()
    return Market(
        stamps,
        by_day[:, :, 0],
        np.moveaxis(by_day[:, :, 1:], 2, 0),
        tuple(frame.columns[1:]),
        weekdays,
    )


def weekly_naive(market: Market, first: int) -> np.ndarray:
    """Day d's prices as day d - 7's, for the days from ``first``."""
    return market.prices[first - 7 : market.days - 7]


def _lear_inputs(market: Market, days: np.ndarray) -> np.ndarray:
    parts = [market.prices[days - lag] for lag in PRICE_LAGS]
    for cov in market.covariates:
        parts += [cov[days - lag] for lag in COVARIATE_LAGS]
    return np.concatenate(parts, axis=1)


def _asinh_scaled(x: np.ndarray, median: np.ndarray, mad: np.ndarray) -> np.ndarray:
    return np.arcsinh((x - median) / mad)


def _median_mad(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    median = np.median(x, axis=0)
    mad = np.median(np.abs(x - median), axis=0) * 1.4826
    return median, np.where(mad > 1e-9, mad, 1.0)


def lear_day_ahead(market: Market, calib: np.ndarray, target: np.ndarray) -> np.ndarray:
    """LEAR's forecasts (len(target), 24) from one calibration window of days ``calib``."""
    inputs = _lear_inputs(market, calib)
    x_med, x_mad = _median_mad(inputs)
    y_med, y_mad = _median_mad(market.prices[calib])
    dummies = np.eye(7)
    design = np.concatenate(
        [_asinh_scaled(inputs, x_med, x_mad), dummies[market.weekdays[calib]]], axis=1
    )
    ahead = np.concatenate(
        [
            _asinh_scaled(_lear_inputs(market, target), x_med, x_mad),
            dummies[market.weekdays[target]],
        ],
        axis=1,
    )
    y = _asinh_scaled(market.prices[calib], y_med, y_mad)
    # the penalty as epftoolbox chose it, with the scikit-learn of its time: the LARS path on
    # centred inputs scaled to unit norm (LassoLarsIC's ``normalize=True`` default then),
    # its alpha then given to a Lasso on the inputs as they are
    centred = design - design.mean(axis=0)
    norms = np.sqrt((centred**2).sum(axis=0))
    normalised = centred / np.where(norms > 0, norms, 1.0)
    gram = normalised.T @ normalised  # shared by the 24 hours' LARS paths
    raw_gram = centred.T @ centred  # and by their Lasso fits (the same solution, faster)
    scaled = [
        _lear_hour(design, normalised, y[:, h], (gram, raw_gram), ahead) for h in range(HOURS)
    ]
    return np.stack([np.sinh(s) * y_mad[h] + y_med[h] for h, s in enumerate(scaled)], axis=1)


def _lear_hour(
    design: np.ndarray,
    normalised: np.ndarray,
    y: np.ndarray,
    grams: tuple[np.ndarray, np.ndarray],
    ahead: np.ndarray,
) -> Any:
    """One hour's Lasso: alpha by AIC on the LARS path of the normalised inputs, then the
    Lasso at that alpha on ``design``; its forecasts of ``ahead`` in scaled units. ``grams``:
    the normalised inputs' and the centred inputs' Gram matrices."""
    from sklearn.linear_model import Lasso, LassoLarsIC

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes on the short windows
        # the noise variance as epftoolbox's scikit-learn estimated it (the target's variance):
        # defined for windows shorter than the number of inputs too
        lars = LassoLarsIC(
            criterion="aic", max_iter=2500, precompute=grams[0], noise_variance=float(y.var())
        ).fit(normalised, y - y.mean())
        lasso = Lasso(alpha=lars.alpha_, max_iter=2500, precompute=grams[1])
        return lasso.fit(design, y).predict(ahead)


def lear(market: Market, first: int, every: int, jobs: int = 1) -> np.ndarray:
    """LEAR over the days from ``first``, recalibrated every ``every`` days on the days before:
    the mean over the calibration windows (each at most the days available). The
    recalibrations are independent: ``jobs`` processes share them (the same forecasts)."""
    import cloudpickle
    from joblib import Parallel, delayed

    # the workers are new processes: they receive these functions by value, as this file
    # need not be importable there (a script, or a module loaded from its path)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    starts = range(first, market.days, every)
    blocks = Parallel(n_jobs=jobs)(delayed(_lear_block)(market, s, every) for s in starts)
    return np.concatenate(blocks)


def _lear_block(market: Market, start: int, every: int) -> np.ndarray:
    """LEAR's forecasts of the ``every`` days from ``start`` (fewer at the end)."""
    target = np.arange(start, min(start + every, market.days))
    earliest = max(PRICE_LAGS + COVARIATE_LAGS)
    # a window of w days trains on its last w - 7 (epftoolbox: the first week only feeds lags)
    windows = sorted({min(w - earliest, start - earliest) for w in LEAR_WINDOWS})
    return np.mean(
        [lear_day_ahead(market, np.arange(start - w, start), target) for w in windows], axis=0
    )


def seqlab_forecasts(
    market: Market, first: int, covariates: bool, args: argparse.Namespace
) -> tuple[np.ndarray, dict[str, Any]]:
    """The Forecaster's forecasts (days from ``first``, 24) at each test day's first hour, and
    what it chose. The test rows are the Forecaster's test part: never trained or chosen on.
    Recalibrated every ``--update-every`` days (:func:`recalibrated`)."""
    prices = market.prices.reshape(-1, 1)
    columns = [market.names[0]]
    future: tuple[str, ...] = ()
    if covariates and len(market.covariates):
        hourly = market.covariates.reshape(len(market.covariates), -1).T  # (D * 24, P)
        prices = np.concatenate([prices, hourly], axis=1)
        columns += list(market.names[1:])
        future = tuple(market.names[1:])
    values = prices.astype(np.float32)

    def series(days: int) -> Series:  # the rows of the first ``days`` days
        return Series(values[: days * HOURS], tuple(columns), market.stamps[: days * HOURS], "h")

    lookbacks = tuple(args.lookbacks)
    config = ForecastConfig.of(
        model="auto",
        lookback=lookbacks[0],
        lookbacks=lookbacks if len(lookbacks) > 1 else (),
        horizon=HOURS,
        period=HOURS,
        test_rows=(market.days - first) * HOURS,
        val_rows=args.val_days * HOURS,
        stride=HOURS,  # validation and test windows at each day's first hour: the protocol's
        future_covariates=future,
        calendar=("auto",),
        instance_norm=True,
        deseasonalize=False,
        hidden_size=args.hidden_size,
        num_layers=1,
        epochs=args.epochs,
        patience=args.patience,
        lookback_trial_epochs=args.trial_epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        precision=args.precision,
        quantiles=tuple(args.quantiles),
        ensemble=args.ensemble,
        refit=False,  # the validation days join training through the recalibrations
        classical=(),  # one long hourly series: the per-series statistical fits add nothing here
        seed=args.seed,
    )
    forecaster = Forecaster(config).fit(series(market.days))
    daily, walked = recalibrated(
        forecaster, series, first - args.val_days, first, market.days, args
    )
    chosen = {
        "selected": walked["selected"],
        "selected_at_fit": forecaster.fitted.selection.chosen.name,
        "network": forecaster.fitted.network.model,
        "lookback": forecaster.fitted.network.lookback,
        "ignored": forecaster.selection.get("ignored", {}),
        "update_steps": walked["steps"],
        "validation_mae_by_update_steps": walked["validation_mae"],
        "validation_mae_recalibrated": walked["scores"],
    }
    return daily, chosen


def recalibrated(
    forecaster: Forecaster,
    series: Callable[[int], Series],
    val_first: int,
    first: int,
    days: int,
    args: argparse.Namespace,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The forecasts of the test days (``first`` to ``days``) of ``forecaster`` recalibrated
    every ``--update-every`` days on the days before (``Forecaster.update``: the network
    trains on for ``steps`` steps on the windows of the last ``--update-days`` days; the
    linear baselines refit on every day before), and what was chosen.

    The schedule runs over the validation days from the fit on the training days, with
    ``steps`` 0 (the network as fitted, the baselines refit) and ``--update-steps``. On each
    walk's validation forecasts of every candidate (the network, every baseline), the
    library's selection (:func:`seqlab.forecasting.selection.choose`: each candidate, the
    network's mean with the best, the greedy path of means) picks the method — scored as
    it is used, recalibrated: a model of the recent days, fitted once before a year of
    validation days, would be scored stale. The steps and method with the lower validation
    MAE continue over the test days."""
    walks = {
        steps: walk(forecaster, series, val_first, first, steps, args)
        for steps in sorted({0, args.update_steps})
    }
    truth = series(first).values[val_first * HOURS :, 0].reshape(-1, HOURS)
    picks = {}  # steps: (the chosen method, every candidate's validation MAE)
    for steps, (_, found) in walks.items():
        picks[steps] = choose(
            [ValidationBlock(truth[..., None], {k: v[..., None] for k, v in found.items()})]
        )
    val_mae = {s: round(scored[method.name], 4) for s, (method, scored) in picks.items()}
    steps = min(val_mae, key=lambda s: (val_mae[s], s))
    method, scored = picks[steps]
    logging.info("validation MAE by update steps: %s: %d, %s", val_mae, steps, method.name)
    found = walk(walks[steps][0], series, first, days, steps, args, fresh=False)[1]
    return method.forecast(found[MODEL], found), {
        "selected": method.name,
        "steps": steps,
        "validation_mae": val_mae,
        "scores": {k: round(v, 4) for k, v in sorted(scored.items(), key=lambda kv: kv[1])},
    }


def walk(
    forecaster: Forecaster,
    series: Callable[[int], Series],
    start: int,
    stop: int,
    steps: int,
    args: argparse.Namespace,
    fresh: bool = True,
) -> tuple[Forecaster, dict[str, np.ndarray]]:
    """Days ``start`` to ``stop`` (stop excluded) in blocks of ``--update-every`` days: before
    each block ``forecaster`` is updated on every day before it (``steps`` steps; none before
    the first block when it is ``fresh``: the fit ended there), then forecasts each day of
    the block at its first hour. Returns the last Forecaster and each candidate's forecasts
    (days, 24): the network's (``"model"``) and every baseline's."""
    out: dict[str, list[np.ndarray]] = {}
    for s in range(start, stop, args.update_every):
        end = min(s + args.update_every, stop)
        forecaster = forecaster.update(
            series(end),
            steps=0 if fresh and s == start else steps,
            test_rows=(end - s) * HOURS,
            recent_rows=args.update_days * HOURS,
            lr=args.update_lr,
        )
        evaluation = forecaster.evaluate()
        for name, f in evaluation.forecasts.items():
            if not name.startswith(f"{MODEL} + "):  # a mean of candidates: chosen again here
                out.setdefault(name, []).append(f[:, :, 0])  # one a day (stride)
    return forecaster, {name: np.concatenate(parts) for name, parts in out.items()}


def scores(truth: np.ndarray, forecast: np.ndarray, naive_mae: float) -> dict[str, float]:
    err = forecast - truth
    mae = float(np.abs(err).mean())
    smape = float(np.mean(200 * np.abs(err) / np.maximum(np.abs(truth) + np.abs(forecast), 1e-9)))
    return {
        "mae": round(mae, 4),
        "rmae": round(mae / naive_mae, 4),
        "smape": round(smape, 3),
        "rmse": round(float(np.sqrt(np.mean(err**2))), 4),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--csv", type=Path, required=True, help="timestamp, price, covariates...")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--test-days", type=int, default=728)
    p.add_argument("--val-days", type=int, default=364, help="validation: the days before test")
    p.add_argument("--lookbacks", type=int, nargs="+", default=[96, 168])
    p.add_argument("--hidden-size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--trial-epochs", type=int, default=3, help="epochs of each lookback trial")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--ensemble", type=int, default=1, help="members of the network")
    p.add_argument("--quantiles", type=float, nargs="*", default=[0.5], help="trained on")
    p.add_argument("--precision", choices=("fp32", "bf16", "auto"), default="auto")
    p.add_argument("--update-every", type=int, default=7, help="recalibration, in days")
    p.add_argument("--update-steps", type=int, default=20, help="training steps of each")
    p.add_argument("--update-lr", type=float, default=1e-4, help="their learning rate")
    p.add_argument("--update-days", type=int, default=364, help="the days each trains on")
    p.add_argument("--lear-every", type=int, default=7, help="LEAR recalibration, in days")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for flag, least in (("val_days", 1), ("update_every", 1), ("update_steps", 0),
                        ("update_days", 1), ("lear_every", 1)):  # fmt: skip
        if getattr(args, flag) < least:
            p.error(f"--{flag.replace('_', '-')} must be at least {least}, got "
                    f"{getattr(args, flag)}")  # fmt: skip
    try:
        market = read_market(args.csv)
    except (OSError, ValueError) as exc:
        p.error(str(exc))
    first = market.days - args.test_days
    if args.test_days < 1 or first - args.val_days < 2 * 7:
        p.error(
            f"--test-days {args.test_days} and --val-days {args.val_days} leave "
            f"{first - args.val_days} training days of {market.days}; at least 14 are needed"
        )
    truth = market.prices[first:]
    naive = weekly_naive(market, first)
    naive_mae = float(np.abs(naive - truth).mean())
    results: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    chosen: dict[str, Any] = {}
    forecasts: dict[str, np.ndarray] = {"weekly_naive": naive}
    for name, with_covariates in (("model", True), ("no_covariates", False)):
        start = time.perf_counter()
        forecasts[name], chosen[name] = seqlab_forecasts(market, first, with_covariates, args)
        seconds[name] = round(time.perf_counter() - start, 1)
        logging.info("%s: %.1f s, %s", name, seconds[name], chosen[name])
    start = time.perf_counter()
    forecasts["lear"] = lear(market, first, args.lear_every, available_cores())
    seconds["lear"] = round(time.perf_counter() - start, 1)
    for name in ("model", "no_covariates", "lear", "weekly_naive"):
        results[name] = scores(truth, forecasts[name], naive_mae)
        print(name, " ".join(f"{k} {v}" for k, v in results[name].items()))
    results.update(
        seconds=seconds,
        market=args.csv.name,
        columns=list(market.names),
        days=market.days,
        test_days=args.test_days,
        test_first=str(market.stamps[first * HOURS])[:10],
        val_days=args.val_days,
        chosen=chosen,
        lear_every=args.lear_every,
        lear_windows=list(LEAR_WINDOWS),
        args={k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
    )
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(args.out / "epf.json", json.dumps(results, indent=2).encode() + b"\n")
    return results


if __name__ == "__main__":
    main()
