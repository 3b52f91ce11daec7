"""Baseline forecasts every model is compared with.

Each takes the whole series ``values`` (T, F) in original units, the forecast origins
``origins`` (N,) — the index of the first forecast step, so only rows before it are known —
and the horizon H, and returns forecasts (N, H, F). Seasonal baselines take the period m
(12 for monthly data). ``train_end`` bounds what the fitted baselines learn from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from seqlab.capabilities import Takes
from seqlab.data.windows import ahead_index, lookback_index
from seqlab.errors import DataError

__all__ = [
    "BASELINES",
    "BASELINE_CANDIDATES",
    "Baseline",
    "Rows",
    "climatology",
    "drift",
    "linear_ar",
    "naive",
    "naive2",
    "recent_lasso_ar",
    "run_baselines",
    "seasonal_naive",
    "seasonality_test",
    "skipped_baselines",
]

F64 = NDArray[np.float64]


def _steps(origins: NDArray[np.int64], horizon: int) -> NDArray[np.int64]:
    return ahead_index(origins, horizon)  # (N, H) absolute indices


def naive(values: F64, origins: NDArray[np.int64], horizon: int) -> F64:
    """Persistence: the last known value, repeated."""
    return np.repeat(values[origins - 1][:, None], horizon, axis=1)


def seasonal_naive(values: F64, origins: NDArray[np.int64], horizon: int, period: int) -> F64:
    """The value one season (or as many as needed) before each forecast step."""
    steps = _steps(origins, horizon)
    back = period * np.ceil((steps - origins[:, None] + 1) / period).astype(np.int64)
    out: F64 = values[steps - back]
    return out


def drift(values: F64, origins: NDArray[np.int64], horizon: int) -> F64:
    """The line from the first value to the last known one, extended."""
    last = values[origins - 1]
    slope = (last - values[0]) / np.maximum(origins - 1, 1)[:, None]
    out: F64 = last[:, None] + slope[:, None] * np.arange(1, horizon + 1)[None, :, None]
    return out


def climatology(
    values: F64, origins: NDArray[np.int64], horizon: int, period: int, train_end: int
) -> F64:
    """The mean of each season over the training rows."""
    seasons = np.arange(train_end) % period
    means = np.stack([values[:train_end][seasons == s].mean(axis=0) for s in range(period)])
    return means[_steps(origins, horizon) % period]


# the linear AR's penalty, chosen on its last training windows (:func:`linear_ar`)
AR_ALPHAS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1)  # ridge penalties, per window, standardised inputs
AR_HOLDOUT = 5  # the last 1 / AR_HOLDOUT of the training windows choose
AR_MIN_HOLDOUT = 10  # fewer held-out windows than this: plain least squares


def linear_ar(
    values: F64,
    origins: NDArray[np.int64],
    horizon: int,
    lookback: int,
    train_end: int,
    exog: F64 | None = None,
    *,
    asinh: bool = False,
    period: int | None = None,
) -> F64:
    """Per-feature linear autoregression on the last ``lookback`` values, one linear map to
    each of the H steps, fitted on the training windows. ``exog`` (rows, P): future-known
    covariates, whose values at the H forecast steps and at the last H rows before the origin
    (min(H, lookback)) join the inputs (an ARX model); it must reach the last forecast step.
    ``asinh``: the values (and each covariate) median/MAD-scaled with their training rows'
    statistics and passed through asinh before the fit, the forecasts mapped back (the
    variance-stabilising transform of the electricity-price literature: spikes weigh less).
    ``period``: one map per phase of the season — each origin's phase (its row index modulo
    ``period``: the hour of the day of hourly data) has its own map, fitted on the training
    windows whose origin has that phase only (as the day-ahead models of the electricity
    literature fit one model per delivery hour); without it one map serves every origin.

    Where the training windows are many (at least ``AR_MIN_HOLDOUT`` in their last fifth),
    that last fifth (fitted on the windows before it) chooses the ridge penalty among
    ``AR_ALPHAS`` by mean absolute error in original units, then the fit is made on every
    training window; otherwise plain least squares. A series too short for two training
    windows of ``lookback`` values reads fewer: at most ``train_end - horizon - 1``
    (:func:`ar_lookback`); one too short even for a lookback of 1 is refused."""
    fitted = ar_lookback(lookback, horizon, train_end)
    if fitted is None:
        raise DataError(
            f"too few training rows ({train_end}) to fit the linear autoregression baseline at "
            f"horizon {horizon}: it needs at least {horizon + 2}"
        )
    lookback = fitted
    train_origins = np.arange(lookback, train_end - horizon + 1)
    _check_future(exog, origins, horizon, "linear AR")
    exog_scaled = exog if exog is None or not asinh else _Scale.asinh(exog[:train_end])(exog)
    out = np.empty((len(origins), horizon, values.shape[1]))
    for f in range(values.shape[1]):
        col = values[:, f]
        scale = _Scale.asinh(col[:train_end]) if asinh else _Scale()
        fit = _AR(scale(col), exog_scaled, horizon, lookback)
        forecast = np.empty((len(origins), horizon))
        for at, train in _phases(origins, train_origins, period):
            forecast[at] = fit.forecast(origins[at], fit.weights(train, col, scale))
        out[:, :, f] = scale.inverse(forecast)
    return out


def _check_future(exog: F64 | None, origins: NDArray[np.int64], horizon: int, name: str) -> None:
    if exog is not None:
        steps = _steps(origins, horizon)
        if steps.max() >= len(exog) or np.isnan(exog[steps]).any():
            raise DataError(f"the {name} baseline needs the future-known covariates' values at "
                            "every forecast step")  # fmt: skip


def _phases(
    origins: NDArray[np.int64], train: NDArray[np.int64], period: int | None
) -> list[tuple[NDArray[np.bool_], NDArray[np.int64]]]:
    """(which origins, the training origins their map is fitted on) for each map of
    :func:`linear_ar`: one for all, or one per phase (index modulo ``period``) of ``origins``."""
    if period is None:
        return [(np.ones(len(origins), bool), train)]
    return [
        (origins % period == phase, train[train % period == phase])
        for phase in np.unique(origins % period)
    ]


# the recent Lasso AR (:func:`recent_lasso_ar`)
RECENT_WINDOWS = AR_HOLDOUT * AR_MIN_HOLDOUT  # per phase: the last 50 training windows
LASSO_PENALTIES = 25  # the path: penalties over four decades below the largest useful one
LASSO_ITERATIONS = 200  # proximal-gradient (FISTA) steps at each penalty, warm-started


def recent_lasso_ar(
    values: F64,
    origins: NDArray[np.int64],
    horizon: int,
    lookback: int,
    train_end: int,
    period: int,
    exog: F64 | None = None,
) -> F64:
    """The phased asinh linear AR (:func:`linear_ar`) fitted on each phase's last
    ``RECENT_WINDOWS`` training windows only, with a Lasso penalty — the short calibration
    window of LEAR (Lago et al., Applied Energy 2021), which follows a level or a relation
    that has moved. The values and covariates are median/MAD-scaled with the statistics of
    the rows those windows read (so the scale follows too) and passed through asinh. Each
    step's penalty is LEAR's as epftoolbox computes it: the one that minimises AIC
    (``RSS / var(target) + 2 * nonzero weights``) on the Lasso path of the inputs centred and
    scaled to unit norm, then applied to the inputs as they are — about sqrt(windows) times
    weaker than on the unit-norm inputs, as the scikit-learn its published results came
    from did (``LassoLarsIC(normalize=True)`` then a plain ``Lasso``). Solved by FISTA."""
    out = np.empty((len(origins), horizon, values.shape[1]))
    train = np.arange(lookback, train_end - horizon + 1)
    _check_future(exog, origins, horizon, "recent Lasso AR")
    for f in range(values.shape[1]):
        col = values[:, f]
        for at, phase_train in _phases(origins, train, period):
            recent = phase_train[-RECENT_WINDOWS:]
            rows = slice(int(recent[0]) - lookback, train_end)  # what those windows read
            scale = _Scale.asinh(col[rows])
            ex = None if exog is None else _Scale.asinh(exog[rows])(exog)
            fit = _AR(scale(col), ex, horizon, lookback)
            design = fit.design(recent)[:, :-1]
            weights, intercept = _lear_lasso(design, fit.col[_steps(recent, horizon)])
            ahead = fit.design(origins[at])[:, :-1] @ weights + intercept
            out[at, :, f] = scale.inverse(ahead)
    return out


# the recent ridge AR (:func:`recent_ridge_ar`): penalties relative to the mean eigenvalue
RIDGE_FRACTIONS = np.logspace(-3, 3, 13)


def recent_ridge_ar(
    values: F64,
    origins: NDArray[np.int64],
    horizon: int,
    lookback: int,
    train_end: int,
    period: int,
    exog: F64 | None = None,
) -> F64:
    """The phased asinh linear AR (:func:`linear_ar`) corrected on each phase's last
    ``RECENT_WINDOWS`` training windows: the long map's errors there are regressed on the
    inputs (ridge, centred, so the correction is the long map's weights and level moved
    toward the recent windows, and shrunk to none by a large penalty), the penalty chosen
    among ``RIDGE_FRACTIONS`` of the inputs' mean eigenvalue by the exact leave-one-out
    absolute error of those windows in original units. Where the relation has moved, it
    follows it as the recent Lasso AR does, without leaving the long map where the recent
    windows say nothing new."""
    out = np.empty((len(origins), horizon, values.shape[1]))
    train = np.arange(lookback, train_end - horizon + 1)
    _check_future(exog, origins, horizon, "recent ridge AR")
    exog_scaled = None if exog is None else _Scale.asinh(exog[:train_end])(exog)
    for f in range(values.shape[1]):
        col = values[:, f]
        scale = _Scale.asinh(col[:train_end])
        fit = _AR(scale(col), exog_scaled, horizon, lookback)
        for at, phase_train in _phases(origins, train, period):
            weights = fit.weights(phase_train, col, scale)
            recent = phase_train[-RECENT_WINDOWS:]
            design, steps = fit.design(recent), _steps(recent, horizon)
            base = design @ weights
            errors = fit.col[steps] - base
            delta, shift = _loo_ridge(design[:, :-1], errors, base, col[steps], scale)
            corrected = weights + np.concatenate([delta, shift[None]])  # the intercept's row last
            out[at, :, f] = scale.inverse(fit.forecast(origins[at], corrected))
    return out


def _loo_ridge(x: F64, y: F64, base: F64, truth: F64, scale: _Scale) -> tuple[F64, F64]:
    """Ridge weights (K, H) and intercepts (H,) of ``y`` (N, H) on ``x`` (N, K), one penalty
    for every column: the one among :data:`RIDGE_FRACTIONS` whose leave-one-out forecasts
    ``base + fit`` score the lowest absolute error against ``truth`` in original units. Solved
    in the dual, through the eigenvectors of the windows' N x N Gram matrix (N = 50 windows,
    fewer than the inputs of a long lookback): every penalty from one decomposition."""
    n = len(x)
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    centred, target = x - x_mean, y - y_mean
    eigen, vectors = np.linalg.eigh(centred @ centred.T)
    eigen = np.clip(eigen, 0.0, None)
    projected = vectors.T @ target
    penalties = RIDGE_FRACTIONS * max(float(eigen.sum()) / n, 1e-12)
    scores = []
    for penalty in penalties:
        shrink = eigen / (eigen + penalty)
        fitted = vectors @ (shrink[:, None] * projected) + y_mean
        leverage = (vectors**2) @ shrink + 1.0 / n
        kept = np.maximum(1.0 - leverage, 1e-9)[:, None]
        left_out = y - (y - fitted) / kept  # exact for ridge
        scores.append(float(np.abs(scale.inverse(base + left_out) - truth).mean()))
    penalty = penalties[int(np.argmin(scores))]  # ties: the smaller penalty
    dual = vectors @ ((1.0 / (eigen + penalty))[:, None] * projected)
    weights: F64 = centred.T @ dual
    shift: F64 = y_mean - x_mean @ weights
    return weights, shift


def _lear_lasso(x: F64, y: F64) -> tuple[F64, F64]:
    """Lasso weights (K, H) and intercepts (H,) of ``y`` (N, H) on ``x`` (N, K), each
    column's penalty by LEAR's rule (:func:`recent_lasso_ar`)."""
    n = len(x)
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    norms = np.sqrt(((x - x_mean) ** 2).sum(axis=0))
    norms = np.where(norms > 1e-12, norms, 1.0)
    unit = (x - x_mean) / norms  # centred, unit norm
    target = y - y_mean
    gram, cross = unit.T @ unit / n, unit.T @ target / n
    step = 1.0 / max(float(np.linalg.eigvalsh(gram)[-1]), 1e-12)
    largest = np.abs(cross).max(axis=0)  # (H,): no weight is non-zero above it
    fractions = np.logspace(0, -4, LASSO_PENALTIES)
    path, w = [], np.zeros_like(cross)
    for fraction in fractions:
        w = _fista(gram, cross, fraction * largest, step, w)
        path.append(w)
    weights = np.stack(path)  # (A, K, H)
    rss = ((target[None] - np.einsum("nk,akh->anh", unit, weights)) ** 2).sum(axis=1)
    aic = rss / np.maximum(target.var(axis=0), 1e-12) + 2 * (np.abs(weights) > 0).sum(axis=1)
    best = aic.argmin(axis=0)  # (H,)
    penalty = fractions[best] * largest  # on the unit-norm inputs
    start = weights[best, :, np.arange(y.shape[1])].T
    # the same penalty on the inputs as they are: on the unit-norm ones, divided by each norm
    unit_w = _fista(gram, cross, penalty[None, :] / norms[:, None], step, start)
    raw: F64 = unit_w / norms[:, None]
    intercept: F64 = y_mean - x_mean @ raw
    return raw, intercept


def _fista(gram: F64, cross: F64, penalty: F64, step: float, start: F64) -> F64:
    """``LASSO_ITERATIONS`` accelerated proximal-gradient steps on
    ``w' gram w / 2 - cross' w + penalty |w|`` (each column its own problem; ``penalty``
    broadcasts against the weights), from ``start``."""
    w = prev = start
    momentum = start
    t = 1.0
    for _ in range(LASSO_ITERATIONS):
        moved = momentum - step * (gram @ momentum - cross)
        w = np.sign(moved) * np.maximum(np.abs(moved) - step * penalty, 0.0)
        t_next = (1 + np.sqrt(1 + 4 * t * t)) / 2
        momentum = w + (t - 1) / t_next * (w - prev)
        prev, t = w, t_next
    return w


def phase_windows(lookback: int, horizon: int, train_end: int, period: int) -> int:
    """The fewest training windows a phase's map of :func:`linear_ar` (``period``) has."""
    fitted = ar_lookback(lookback, horizon, train_end)
    return 0 if fitted is None else max(train_end - horizon + 1 - fitted, 0) // period


@dataclass(frozen=True)
class _Scale:
    """Identity, or median/MAD scaling then asinh, with the training rows' statistics."""

    median: F64 | None = None
    mad: F64 | None = None
    limit: F64 | None = None  # |scaled forecasts| are clipped here: twice the training's

    @classmethod
    def asinh(cls, train: F64) -> _Scale:
        median = np.median(train, axis=0)
        mad = np.median(np.abs(train - median), axis=0) * 1.4826
        mad = np.where(mad > 1e-9 * (1 + np.abs(median)), mad, 1.0)
        limit = 2 * np.abs(np.arcsinh((train - median) / mad)).max(axis=0) + 1
        return cls(median, mad, limit)

    def __call__(self, x: F64) -> F64:
        if self.median is None or self.mad is None:
            return x
        out: F64 = np.arcsinh((x - self.median) / self.mad)
        return out

    def inverse(self, x: F64) -> F64:
        """Back to original units; a scaled forecast beyond twice the training's largest
        (+1) is clipped there first, so an extrapolating map cannot overflow sinh."""
        if self.median is None or self.mad is None or self.limit is None:
            return x
        out: F64 = np.sinh(np.clip(x, -self.limit, self.limit)) * self.mad + self.median
        return out


@dataclass(frozen=True)
class _AR:
    """One column's linear map: the column and covariates (scaled), its windows' shape."""

    col: F64
    exog: F64 | None
    horizon: int
    lookback: int

    def design(self, origins: NDArray[np.int64]) -> F64:
        """(N, lookback [+ P * 2 * min(H, lookback)] + 1): the lookback, the covariates at the
        forecast steps and at the last rows before the origin, an intercept."""
        parts = [self.col[lookback_index(origins, self.lookback)]]
        if self.exog is not None:
            near = lookback_index(origins, min(self.lookback, self.horizon))
            parts.append(self.exog[_steps(origins, self.horizon)].reshape(len(origins), -1))
            parts.append(self.exog[near].reshape(len(origins), -1))
        parts.append(np.ones((len(origins), 1)))
        return np.concatenate(parts, axis=1)

    def weights(self, train: NDArray[np.int64], truth: F64, scale: _Scale) -> F64:
        """The map fitted on the windows at ``train`` (:func:`linear_ar`): ``truth`` is the
        column in original units, which the held-out windows are scored in."""
        count = len(train) // AR_HOLDOUT
        design = self.design(train)
        target = self.col[_steps(train, self.horizon)]
        if count < AR_MIN_HOLDOUT:
            weights: F64 = np.asarray(np.linalg.lstsq(design, target, rcond=None)[0], np.float64)
            return weights
        n_fit = int(np.sum(train + self.horizon <= train[-count]))  # no target shared
        mean, std = design[:n_fit, :-1].mean(axis=0), design[:n_fit, :-1].std(axis=0)
        std = np.where(std > 1e-12, std, 1.0)
        design[:, :-1] -= mean  # standardised in place (the fit part's statistics)
        design[:, :-1] /= std
        gram, rhs = design[:n_fit].T @ design[:n_fit], design[:n_fit].T @ target[:n_fit]
        held, held_truth = design[-count:], truth[_steps(train[-count:], self.horizon)]
        scores = [
            float(np.abs(scale.inverse(held @ _ridge(gram, rhs, a * n_fit)) - held_truth).mean())
            for a in AR_ALPHAS
        ]
        alpha = AR_ALPHAS[int(np.argmin(scores))]  # ties: the smaller penalty
        rest = design[n_fit:]
        gram += rest.T @ rest
        rhs += rest.T @ target[n_fit:]
        standardised = _ridge(gram, rhs, alpha * len(train))
        out: F64 = np.concatenate(  # back to the unstandardised inputs
            [
                standardised[:-1] / std[:, None],
                standardised[-1:] - mean @ (standardised[:-1] / std[:, None]),
            ]
        )
        return out

    def forecast(self, origins: NDArray[np.int64], weights: F64) -> F64:
        out: F64 = self.design(origins) @ weights
        return out


def _ridge(gram: F64, rhs: F64, penalty: float) -> F64:
    """Ridge weights (K, H) from the normal equations of a standardised design whose last
    column is the intercept (not penalised)."""
    ridge = np.full(len(gram), penalty + 1e-9 * np.trace(gram) / len(gram))
    ridge[-1] = 0.0
    weights: F64 = np.asarray(np.linalg.solve(gram + np.diag(ridge), rhs), np.float64)
    return weights


def ar_lookback(lookback: int, horizon: int, train_end: int) -> int | None:
    """The lookback :func:`linear_ar` fits with: ``lookback``, or fewer values where the
    training rows hold fewer than two windows of it; None when not even a lookback of 1 does."""
    fitted = min(lookback, train_end - horizon - 1)
    return fitted if fitted >= 1 else None


def _acf(x: F64, lags: int) -> F64:
    """Sample autocorrelations r_1 .. r_lags (the usual biased estimator)."""
    d = x - x.mean()
    denom = float(d @ d)
    if denom == 0:
        return np.zeros(lags)
    return np.array([float(d[k:] @ d[:-k]) / denom for k in range(1, lags + 1)])


def seasonality_test(train: ArrayLike, period: int) -> bool:
    """The M4 competition's 90% seasonality test at lag ``period``:
    |r_m| > 1.645 * sqrt((1 + 2 * sum_{k<m} r_k^2) / n)."""
    x = np.asarray(train, dtype=np.float64).ravel()
    if period < 2 or len(x) < 3 * period:
        return False
    r = _acf(x, period)
    limit = 1.645 * np.sqrt((1 + 2 * float(np.sum(r[:-1] ** 2))) / len(x))
    return bool(abs(r[-1]) > limit)


def seasonal_indices(train: ArrayLike, period: int) -> F64:
    """Classical multiplicative seasonal indices (period,), aligned with the first value of
    ``train``: the ratio of each value to a centred moving average (2 x m for an even m),
    averaged per season and normalised to mean 1."""
    x = np.asarray(train, dtype=np.float64).ravel()
    if period % 2 == 0:
        weights = np.r_[0.5, np.ones(period - 1), 0.5] / period
    else:
        weights = np.ones(period) / period
    trend = np.convolve(x, weights, mode="valid")  # centred: trend[i] belongs to x[i + half]
    half = len(weights) // 2
    ratio = x[half : half + len(trend)] / trend
    seasons = (np.arange(len(trend)) + half) % period
    means = np.array([ratio[seasons == k].mean() for k in range(period)])
    indices: F64 = means / means.mean()
    return indices


def naive2(train: ArrayLike, horizon: int, period: int) -> F64:
    """The M4 competition's Naive2: when :func:`seasonality_test` finds a season, divide by
    classical multiplicative seasonal indices, repeat the last adjusted value and put the
    season back; otherwise the plain naive forecast. ``train`` is one series (T,); returns
    (horizon,)."""
    x = np.asarray(train, dtype=np.float64).ravel()
    if period > 1 and seasonality_test(x, period):
        si = seasonal_indices(x, period)
        last = x[-1] / si[(len(x) - 1) % period]
        out: F64 = last * si[(len(x) + np.arange(horizon)) % period]
        return out
    return np.full(horizon, x[-1])


@dataclass(frozen=True)
class Rows:
    """What a baseline knows of a series besides its values: its training rows, seasonal
    period and the lookback of the network it is compared with (the linear AR's)."""

    train_end: int
    period: int | None
    lookback: int = 1
    exog: F64 | None = field(default=None, compare=False)  # future-known covariates (rows, P)

    @property
    def seasonal(self) -> bool:
        return self.period is not None and self.period > 1


class Baseline:
    """One baseline as a forecasting candidate: its ``name``, what it reads (``takes``: each
    target column's own history, nothing else), when it applies to a series, why a series is
    too short for it, and its forecasts (N, H, F) at ``origins``."""

    name = ""
    takes = Takes()

    def applies(self, origins: NDArray[np.int64], horizon: int, rows: Rows) -> bool:
        return True

    def shortfall(self, horizon: int, rows: Rows) -> str | None:
        """Why a series with these training rows is too short for it, or None."""
        return None

    def forecast(self, values: F64, origins: NDArray[np.int64], horizon: int, rows: Rows) -> F64:
        raise NotImplementedError


class Naive(Baseline):
    name = "naive"

    def forecast(self, values: F64, origins: NDArray[np.int64], horizon: int, rows: Rows) -> F64:
        return naive(values, origins, horizon)


class Drift(Baseline):
    name = "drift"

    def forecast(self, values: F64, origins: NDArray[np.int64], horizon: int, rows: Rows) -> F64:
        return drift(values, origins, horizon)


class SeasonalNaive(Baseline):
    """Needs a period and forecast origins at least one season into the series."""

    name = "seasonal naive"

    def applies(self, origins: NDArray[np.int64], horizon: int, rows: Rows) -> bool:
        return rows.seasonal and origins.min() >= (rows.period or 0)

    def forecast(self, values: F64, origins: NDArray[np.int64], horizon: int, rows: Rows) -> F64:
        assert rows.period is not None
        return seasonal_naive(values, origins, horizon, rows.period)


class Climatology(SeasonalNaive):
    """Needs what the seasonal naive needs and a training row of every season."""

    name = "climatology"

    def applies(self, origins: NDArray[np.int64], horizon: int, rows: Rows) -> bool:
        return super().applies(origins, horizon, rows) and self.shortfall(horizon, rows) is None

    def shortfall(self, horizon: int, rows: Rows) -> str | None:
        if rows.seasonal and rows.train_end < (rows.period or 0):
            return f"fewer training rows ({rows.train_end}) than one season ({rows.period})"
        return None

    def forecast(self, values: F64, origins: NDArray[np.int64], horizon: int, rows: Rows) -> F64:
        assert rows.period is not None
        return climatology(values, origins, horizon, rows.period, rows.train_end)


class LinearAR(Baseline):
    """Needs two training windows (:func:`ar_lookback`); reads the future-known covariates
    at the forecast steps where there are some."""

    name = "linear AR"
    takes = Takes(future_covariates=True)
    asinh = False  # :func:`linear_ar`'s transform

    def applies(self, origins: NDArray[np.int64], horizon: int, rows: Rows) -> bool:
        return ar_lookback(rows.lookback, horizon, rows.train_end) is not None

    def shortfall(self, horizon: int, rows: Rows) -> str | None:
        if ar_lookback(1, horizon, rows.train_end) is None:
            return f"fewer than two training windows ({rows.train_end} rows, horizon {horizon})"
        return None

    def forecast(self, values: F64, origins: NDArray[np.int64], horizon: int, rows: Rows) -> F64:
        return linear_ar(
            values, origins, horizon, rows.lookback, rows.train_end, rows.exog, asinh=self.asinh
        )


class AsinhLinearAR(LinearAR):
    """The linear AR on asinh-scaled values (:func:`linear_ar`, ``asinh=True``): for series
    with spikes; the validation windows say whether it forecasts better than the plain one."""

    name = "asinh linear AR"
    asinh = True


class PhasedLinearAR(LinearAR):
    """The linear AR with one map per phase of the season (:func:`linear_ar`, ``period``):
    applies to a long series with a season only — one whose every phase has enough training
    windows that a fifth of them choose the ridge penalty (``AR_HOLDOUT * AR_MIN_HOLDOUT``).
    Elsewhere it is not a candidate, as the seasonal naive is not one without a season (a
    short series is the common case, not a shortfall worth a note)."""

    name = "phased linear AR"

    def applies(self, origins: NDArray[np.int64], horizon: int, rows: Rows) -> bool:
        if not rows.seasonal:
            return False
        assert rows.period is not None
        found = phase_windows(rows.lookback, horizon, rows.train_end, rows.period)
        return found >= AR_HOLDOUT * AR_MIN_HOLDOUT

    def shortfall(self, horizon: int, rows: Rows) -> str | None:
        return None

    def forecast(self, values: F64, origins: NDArray[np.int64], horizon: int, rows: Rows) -> F64:
        return linear_ar(
            values,
            origins,
            horizon,
            rows.lookback,
            rows.train_end,
            rows.exog,
            asinh=self.asinh,
            period=rows.period,
        )


class PhasedAsinhLinearAR(PhasedLinearAR):
    """The phased linear AR on asinh-scaled values."""

    name = "phased asinh linear AR"
    asinh = True


class RecentLassoAR(PhasedLinearAR):
    """The phased asinh linear AR on each phase's last ``RECENT_WINDOWS`` training windows,
    with LEAR's Lasso penalty (:func:`recent_lasso_ar`); where the phased ones apply."""

    name = "recent Lasso AR"
    recent = staticmethod(recent_lasso_ar)  # how the recent windows are fitted

    def forecast(self, values: F64, origins: NDArray[np.int64], horizon: int, rows: Rows) -> F64:
        assert rows.period is not None
        return self.recent(
            values, origins, horizon, rows.lookback, rows.train_end, rows.period, rows.exog
        )


class RecentRidgeAR(RecentLassoAR):
    """The phased asinh linear AR corrected on each phase's last ``RECENT_WINDOWS`` training
    windows by a ridge regression of its errors there (:func:`recent_ridge_ar`); where the
    phased ones apply."""

    name = "recent ridge AR"
    recent = staticmethod(recent_ridge_ar)


# every baseline, in the order the selection lists them (ties go to the earlier)
BASELINE_CANDIDATES: tuple[Baseline, ...] = (
    Naive(), Drift(), SeasonalNaive(), Climatology(), LinearAR(), AsinhLinearAR(),
    PhasedLinearAR(), PhasedAsinhLinearAR(), RecentLassoAR(), RecentRidgeAR(),
)  # fmt: skip
BASELINES = tuple(b.name for b in BASELINE_CANDIDATES)


def run_baselines(
    values: F64,
    origins: NDArray[np.int64],
    horizon: int,
    *,
    lookback: int,
    train_end: int,
    period: int | None,
    exog: F64 | None = None,
) -> dict[str, F64]:
    """Every baseline that applies to this series: the seasonal ones need a period (and
    climatology a training season of each), the linear AR two training windows
    (:func:`ar_lookback`); :func:`skipped_baselines` says which are left out and why.
    ``exog``: future-known covariates for the baselines that take them."""
    values = np.asarray(values, dtype=np.float64)
    rows = Rows(train_end, period, lookback, exog)
    return {
        b.name: b.forecast(values, origins, horizon, rows)
        for b in BASELINE_CANDIDATES
        if b.applies(origins, horizon, rows)
    }


def skipped_baselines(horizon: int, train_end: int, period: int | None) -> dict[str, str]:
    """The baselines :func:`run_baselines` leaves out of a series with ``train_end``
    training rows, each with the reason (forecast origins before one season aside)."""
    found = {b.name: b.shortfall(horizon, Rows(train_end, period)) for b in BASELINE_CANDIDATES}
    return {name: why for name, why in found.items() if why is not None}
