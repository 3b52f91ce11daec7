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
  ``future_covariates``, the hour and weekday calendar, each window normalised on its own)
  fitted on the rows before the test period with the last ``--val-days`` days of them as
  validation: ``model="auto"`` (every network kind that reads future-known covariates: the
  encoder–decoder), the lookback chosen among ``--lookbacks`` on the same days, then the
  network, the baselines (the linear ARX among them, which reads the
  covariates) and their means are scored on the validation days and the best forecasts; the
  network is retrained on training + validation days (``refit``). It is trained once: every
  test day is forecast from the history before it with the same weights (the published models
  recalibrate every day);
- ``no_covariates``: the same without the covariate columns (the calendar kept);
- ``lear``: LEAR (epftoolbox's recipe) with a recalibration every ``--lear-every`` days: per
  hour of the day, a Lasso on the 24 prices of days d-1, d-2, d-3 and d-7, each covariate's 24
  values at d, d-1 and d-7 and day-of-week dummies, inputs and prices median/MAD-scaled and
  passed through asinh, alpha by AIC on the LARS path (scikit-learn), the mean of the
  forecasts of calibration windows of 56, 84, 1092 and 1456 days (as many as the data hold);
- ``weekly_naive``: day d - 7.

Metrics over every test hour: MAE, rMAE (MAE / the weekly naive forecast's MAE on the same
days), sMAPE (%) and RMSE. Writes ``OUT/epf.json`` and prints one line per method.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqlab import ForecastConfig, Forecaster
from seqlab._io import atomic_write_bytes
from seqlab.data.sources import Series

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
    gram = design.T @ design  # shared by the 24 hours' LARS paths
    scaled = [_lear_hour(design, y[:, h], gram, ahead) for h in range(HOURS)]
    return np.stack([np.sinh(s) * y_mad[h] + y_med[h] for h, s in enumerate(scaled)], axis=1)


def _lear_hour(design: np.ndarray, y: np.ndarray, gram: np.ndarray, ahead: np.ndarray) -> Any:
    """One hour's Lasso: alpha by AIC on the LARS path, then the Lasso at that alpha; its
    forecasts of ``ahead`` in scaled units."""
    from sklearn.linear_model import Lasso, LassoLarsIC

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes on the short windows
        # the noise variance as epftoolbox's scikit-learn estimated it (the target's variance):
        # defined for windows shorter than the number of inputs too
        lars = LassoLarsIC(
            criterion="aic", max_iter=2500, precompute=gram, noise_variance=float(y.var())
        ).fit(design, y)
        return Lasso(alpha=lars.alpha_, max_iter=2500).fit(design, y).predict(ahead)


def lear(market: Market, first: int, every: int) -> np.ndarray:
    """LEAR over the days from ``first``, recalibrated every ``every`` days on the days before:
    the mean over the calibration windows (each at most the days available)."""
    out = np.empty((market.days - first, HOURS))
    earliest = max(PRICE_LAGS + COVARIATE_LAGS)
    for start in range(first, market.days, every):
        target = np.arange(start, min(start + every, market.days))
        windows = sorted({min(w, start - earliest) for w in LEAR_WINDOWS})
        out[target - first] = np.mean(
            [lear_day_ahead(market, np.arange(start - w, start), target) for w in windows], axis=0
        )
    return out


def seqlab_forecasts(
    market: Market, first: int, covariates: bool, args: argparse.Namespace
) -> tuple[np.ndarray, dict[str, Any]]:
    """The Forecaster's forecasts (days from ``first``, 24) at each test day's first hour, and
    what it chose. The test rows are the Forecaster's test part: never trained or chosen on."""
    prices = market.prices.reshape(-1, 1)
    columns = [market.names[0]]
    future: tuple[str, ...] = ()
    if covariates and len(market.covariates):
        hourly = market.covariates.reshape(len(market.covariates), -1).T  # (D * 24, P)
        prices = np.concatenate([prices, hourly], axis=1)
        columns += list(market.names[1:])
        future = tuple(market.names[1:])
    series = Series(prices.astype(np.float32), tuple(columns), market.stamps, "h")
    lookbacks = tuple(args.lookbacks)
    config = ForecastConfig.of(
        model="auto",
        lookback=lookbacks[0],
        lookbacks=lookbacks if len(lookbacks) > 1 else (),
        horizon=HOURS,
        period=HOURS,
        test_rows=(market.days - first) * HOURS,
        val_rows=args.val_days * HOURS,
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
        refit=True,
        classical=(),  # one long hourly series: the per-series statistical fits add nothing here
        seed=args.seed,
    )
    forecaster = Forecaster(config).fit(series)
    evaluation = forecaster.evaluate()
    # the evaluation's windows start at every test hour; the protocol's at each day's hour 0
    daily = evaluation.forecasts[evaluation.selected][::HOURS, :, 0]
    chosen = {
        "selected": evaluation.selected,
        "network": forecaster.fitted.network.model,
        "lookback": forecaster.fitted.network.lookback,
        "ignored": forecaster.selection.get("ignored", {}),
    }
    return daily, chosen


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
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--patience", type=int, default=3)
    p.add_argument("--trial-epochs", type=int, default=3, help="epochs of each lookback trial")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--lear-every", type=int, default=7, help="LEAR recalibration, in days")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
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
    forecasts["lear"] = lear(market, first, args.lear_every)
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
