"""Classical forecasting methods as candidates beside the baselines, from statsforecast, the
maintained library of the field (``pip install 'seqlab[classical]'``): ``Theta`` (the M3
competition's winner, as specified there), ``AutoTheta`` (its variants, chosen on the training
rows) and ``AutoETS`` (exponential smoothing, the model chosen by AICc).

Each method is fitted once per series and column on its training rows, then applied with those
parameters to the rows before every forecast origin (statsforecast's ``forward``), so a window
never sees a value after its origin and validation windows were not fitted on. A method that
cannot be fitted on a series (too short), or whose fits run past the time budget, is left out
and said why; it never ends a fit. Shape key: T rows, F target columns, N origins, H horizon.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab.capabilities import Takes
from seqlab.forecasting.selection import series_mase

__all__ = ["CLASSICAL", "MODELS", "Classical", "Race", "missing_library"]

F64 = NDArray[np.float64]
# every classical method a fit can name, with its statsforecast class: adding one is a line here
MODELS: dict[str, str] = {"theta": "Theta", "autotheta": "AutoTheta", "ets": "AutoETS"}
CLASSICAL: tuple[str, ...] = tuple(MODELS)
RACE_MARGIN = 1.1  # see Race
# what a statsforecast model raises on data it cannot fit (AutoETS: "tiny datasets")
NOT_FITTED = (ValueError, ArithmeticError, np.linalg.LinAlgError, NotImplementedError)


def missing_library() -> str | None:
    """Why the classical methods are unavailable, or None when statsforecast imports."""
    try:
        import statsforecast.models  # noqa: F401
    except ImportError:
        return "statsforecast is not installed (pip install 'seqlab[classical]')"
    return None


def _factory(method: str) -> Callable[..., Any]:
    import statsforecast.models

    factory: Callable[..., Any] = getattr(statsforecast.models, MODELS[method])
    return factory


class Classical:
    """The forecasts of ``methods`` for the ``series`` of one fit, within ``budget`` seconds
    for each method over all series (checked as the series are fitted, from the third on by
    projecting the time so far to every series: a method over it is left out of the whole fit,
    since a candidate must forecast every series to be compared).
    ``skipped`` holds the reason for each method left out. Each method reads one target
    column's own history (``takes``: no covariates)."""

    takes = Takes()

    def __init__(
        self, methods: Sequence[str], period: int | None, budget: float, series: int = 1
    ) -> None:
        self.methods, self.period, self.budget = tuple(methods), period, budget
        self.series = series  # how many series the budget covers (for the projection)
        self.done = dict.fromkeys(self.methods, 0)
        self.seconds = dict.fromkeys(self.methods, 0.0)
        self.unfitted = dict.fromkeys(self.methods, 0)  # series a method could not fit
        self.skipped: dict[str, str] = {}
        reason = missing_library() if self.methods else None
        if reason:
            self.skipped = dict.fromkeys(self.methods, reason)

    def leave_out(self, method: str, why: str) -> None:
        """Fit ``method`` on no further series (``why`` goes into ``skipped``)."""
        self.skipped[method] = why

    @property
    def active(self) -> tuple[str, ...]:
        return tuple(m for m in self.methods if m not in self.skipped)

    def forecasts(
        self, values: F64, origins: NDArray[np.int64], horizon: int, train_end: int
    ) -> dict[str, F64]:
        """Per method still in play, forecasts (N, H, F) at ``origins`` (each >= train_end)
        of a model fitted on the first ``train_end`` rows of each column of ``values``. A
        method this series is too short for is absent from the result (the caller reports
        it); one that runs over the budget is left out of every later call too."""
        out = {}
        for method in self.active:
            start = time.perf_counter()
            found = _fit_and_forward(method, values, origins, horizon, train_end, self.period)
            self.seconds[method] += time.perf_counter() - start
            self.done[method] += 1
            projected = self.seconds[method] / self.done[method] * self.series
            if self.seconds[method] > self.budget or (
                self.done[method] >= 3 and projected > self.budget
            ):
                self.skipped[method] = (
                    f"its fits would take about {projected:.0f} s for {self.series} series, over "
                    f"the time budget of {self.budget:g} s (`classical_budget`)"
                )
            elif found is None:
                self.unfitted[method] += 1
            else:
                out[method] = found
        return out


class Race:
    """Racing, as in algorithm selection: once ``after`` series (the larger of 20 and a tenth
    of them; the validation stage fits the series in a seeded random order, so these are a
    sample of all) have the validation forecasts of a classical method, a method whose validation
    MASE on those series — alone and averaged with the network — is over ``RACE_MARGIN`` times
    the network's is left out of the rest of the fit (named in ``skipped`` with its scores):
    a candidate that far behind on a sample of that size is not chosen on the whole, and its
    fits on the other series are saved. A fit of fewer series fits every method on all."""

    def __init__(self, classical: Classical, series: int) -> None:
        self.classical, self.series = classical, series
        self.after = max(20, math.ceil(series / 10))
        self.sums = {m: np.zeros(3) for m in classical.methods}  # network, alone, the mean
        self.seen = dict.fromkeys(classical.methods, 0)

    def update(self, network: F64, truth: F64, scale: F64, found: Mapping[str, F64]) -> None:
        """One series' validation windows: the network's forecasts, the truth (N, H, F), the
        MASE scale (F,) and the forecasts each method made for it."""
        if self.series <= self.after:
            return
        for method in self.classical.active:
            if method not in found:
                continue
            forecasts = (network, found[method], 0.5 * (network + found[method]))
            self.sums[method] += [series_mase(f, truth, scale) for f in forecasts]
            self.seen[method] += 1
            if self.seen[method] == self.after:
                net, alone, mean = self.sums[method] / self.after
                if min(alone, mean) > RACE_MARGIN * net:
                    self.classical.leave_out(
                        method,
                        f"racing: on the first {self.after} series its validation MASE "
                        f"({alone:.3f}; averaged with the network {mean:.3f}) was over "
                        f"{RACE_MARGIN:g} times the network's ({net:.3f})",
                    )


def _fit_and_forward(
    method: str,
    values: F64,
    origins: NDArray[np.int64],
    horizon: int,
    train_end: int,
    period: int | None,
) -> F64 | None:
    """(N, H, F) forecasts, or None when a column cannot be fitted."""
    season = period if period and period > 1 else 1
    out = np.empty((len(origins), horizon, values.shape[1]))
    with warnings.catch_warnings():  # the optimiser's numerical warnings: the fit is checked
        warnings.simplefilter("ignore")
        for f in range(values.shape[1]):
            try:
                model = _factory(method)(season_length=season).fit(values[:train_end, f])
                for k, origin in enumerate(origins):
                    out[k, :, f] = model.forward(y=values[:origin, f], h=horizon)["mean"]
            except NOT_FITTED:
                return None
    return out if np.isfinite(out).all() else None
