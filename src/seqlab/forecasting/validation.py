"""The validation stages of a fit, on forecasts made once: the network's (and with
``select="auto"`` every baseline's and classical method's) forecasts on every validation
window of every series, then from those alone the observed floor, the choice among the
candidates (:mod:`seqlab.forecasting.selection`) and the windows the intervals are calibrated
on. Validation windows end before each series' test rows. Shape key: N windows, H horizon,
O targets, Q quantiles."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab.baselines import BASELINE_CANDIDATES, skipped_baselines
from seqlab.data.windows import ahead_index
from seqlab.forecasting.calibration import Window
from seqlab.forecasting.classical import Classical, Race
from seqlab.forecasting.floors import at_least, observed_lowest
from seqlab.forecasting.predictor import Predictor, middle
from seqlab.forecasting.selection import MODEL, Selection, ValidationBlock, choose

__all__ = [
    "SeriesWindows",
    "calibration_windows",
    "choose_floor",
    "network_score",
    "network_windows",
    "select",
]

log = logging.getLogger(__name__)
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class SeriesWindows:
    """One series' validation windows: origins (N,), truth (N, H, O), the network's outputs
    at the target's lower bound (N, H, O[, Q]), the observed floor (N, 1, O), each baseline's
    forecasts (N, H, O) and the MASE scale (O,)."""

    origins: NDArray[np.int64]
    truth: F64
    raw: F64
    lowest: F64
    scale: F64
    baselines: Mapping[str, F64] = field(default_factory=dict)

    def network(self, floor: bool) -> F64:
        """The network's outputs, at the observed floor with ``floor``."""
        return at_least(self.raw, None, self.lowest) if floor else self.raw


def network_windows(predictor: Predictor) -> dict[str, SeriesWindows]:
    """The network's forecasts on every validation window, by series (a series without
    validation windows is left out)."""
    out = {}
    h, prepared = predictor.config.split.horizon, predictor.prepared
    for name, part in prepared.parts.items():
        # from the end of the training rows: an earlier history is left-padded (first_origin)
        origins = np.arange(part.train_end, part.test_start - h + 1, predictor.config.split.stride)
        if not len(origins):
            continue
        values = part.target_values[: part.test_start]
        truth = values[ahead_index(origins, h)]
        raw = predictor.outputs(name, part.series, origins)
        lowest = observed_lowest(part, part.series, origins)
        scale = prepared.scales[name] if prepared.scales else np.ones(truth.shape[2])
        out[name] = SeriesWindows(origins, truth, raw, lowest, scale)
    return out


def network_score(found: Mapping[str, SeriesWindows], floor: bool, quantiles: Any) -> float:
    """The validation MASE of the network's own forecasts (0 without windows)."""
    if not found:
        return 0.0
    blocks = [
        ValidationBlock(w.truth, {MODEL: middle(w.network(floor), quantiles)}, w.scale)
        for w in found.values()
    ]
    return choose(blocks)[1][MODEL]


def choose_floor(
    predictor: Predictor, found: Mapping[str, SeriesWindows]
) -> tuple[bool, dict[str, float] | None]:
    """``observed_floor``: keep the network's forecasts at or above the lowest value each
    series took before the forecast origin (a count with a floor, a price that never fell
    below some level) — always, never, or with "auto" when that lowers the network's
    validation MASE (a series that makes new lows in its validation rows says no). Returns
    the choice and, with "auto", the two scores."""
    choice = predictor.config.selection.observed_floor
    if choice is not True and choice != "auto":
        return False, None
    if choice is True:
        return True, None
    if not found:
        return False, None
    qs = predictor.config.network.quantiles
    scores = {"none": network_score(found, False, qs), "observed": network_score(found, True, qs)}
    log.info("floor at the lowest value seen: validation MASE %.4g without, %.4g with",
             scores["none"], scores["observed"])  # fmt: skip
    return scores["observed"] < scores["none"], scores


def with_baselines(
    predictor: Predictor, found: Mapping[str, SeriesWindows], classical: Classical, floor: bool
) -> dict[str, SeriesWindows]:
    """``found`` with every baseline's and classical method's forecasts added (a classical
    method far behind the network on the first series is left out of the rest: :class:`Race`)."""
    out = {}
    race = Race(classical, len(found))
    # in a seeded random order, so that the first series (the budget's projection, the race)
    # are a sample of all of them, not of the file's first ones
    names = list(found)
    order = np.random.default_rng(predictor.config.training.seed).permutation(len(names))
    for name in (names[k] for k in order):
        w = found[name]
        part = predictor.prepared.parts[name]
        values = part.target_values[: part.test_start]
        exog = predictor.exog(name, part.series)
        forecasts = predictor.baselines(name, values, w.origins, classical=classical, exog=exog)
        out[name] = replace(w, baselines=forecasts)
        network = middle(w.network(floor), predictor.config.network.quantiles)
        race.update(network, w.truth, w.scale, forecasts)
    return {  # in the series' order; a method left out on the way is left out of every series
        name: replace(
            out[name],
            baselines={m: f for m, f in out[name].baselines.items() if m not in classical.skipped},
        )
        for name in names
    }


def select(
    predictor: Predictor,
    found: Mapping[str, SeriesWindows],
    networks: Mapping[str, float] | None = None,
) -> tuple[Selection, dict[str, SeriesWindows]]:
    """Choose the floor, then (``select="auto"``) score the network, the baselines, the
    classical methods and the network's mean with the best of them on the validation windows
    and keep the best. Returns the selection and the windows with the baselines' forecasts."""
    c = predictor.config
    floor, floor_scores = choose_floor(predictor, found)
    selection = Selection(
        by=c.selection.select, floor=floor, floor_scores=floor_scores, networks=dict(networks or {})
    )
    if c.selection.select == "model":
        return selection, dict(found)
    skipped = _skipped_baselines(predictor)
    parts = predictor.prepared.parts
    classical = Classical(
        c.selection.classical, predictor.prepared.period, c.selection.classical_budget, len(parts)
    )
    found = with_baselines(predictor, found, classical, floor)
    skipped.update({m: {"series": len(parts), "why": why} for m, why in classical.skipped.items()})
    about = None
    if classical.methods:
        about = {
            "methods": list(classical.active),
            "seconds": {m: round(t, 2) for m, t in classical.seconds.items()},
            "series_not_fitted": classical.unfitted,
        }
    ignored = _ignored(predictor, [m for w in found.values() for m in w.baselines])
    selection = replace(selection, skipped=skipped, classical=about, ignored=ignored)
    if not found:
        return selection, dict(found)
    blocks = [
        ValidationBlock(
            w.truth, {MODEL: middle(w.network(floor), c.network.quantiles), **w.baselines}, w.scale
        )
        for w in found.values()
    ]
    chosen, scores = choose(blocks)
    log.info("chosen on validation: %s (MASE %.4g)", chosen.name, scores[chosen.name])
    return replace(selection, chosen=chosen, scores=scores), dict(found)


def _ignored(predictor: Predictor, methods: list[str]) -> dict[str, list[str]]:
    """Per candidate that does not read some covariate columns the data has (the baselines
    and classical methods forecast a column from its own history; the linear AR reads the
    future-known ones too): those columns, so that no column is ignored without saying so."""
    c = predictor.config
    kinds = {  # the columns of each kind (the calendar aside: derived, not a column)
        "past_covariates": c.network.covariates,
        "future_covariates": c.network.future_covariates,
        "static_covariates": c.network.static_covariates,
    }
    takes = {b.name: b.takes for b in BASELINE_CANDIDATES}
    out = {}
    for method in dict.fromkeys(methods):
        read = takes.get(method, Classical.takes)
        unread = [col for kind, cols in kinds.items() if not getattr(read, kind) for col in cols]
        if unread:
            out[method] = unread
    for method, unread in out.items():
        log.info("%s reads no %s", method, ", ".join(unread))
    return out


def _skipped_baselines(predictor: Predictor) -> dict[str, dict[str, Any]]:
    """Per baseline that some series is too short for: how many series and why (the
    first reason); such a baseline is no candidate in the selection (see ``choose``)."""
    found: dict[str, dict[str, Any]] = {}
    period = predictor.prepared.period
    for part in predictor.prepared.parts.values():
        why = skipped_baselines(predictor.config.split.horizon, part.train_end, period)
        for method, reason in why.items():
            entry = found.setdefault(method, {"series": 0, "why": reason})
            entry["series"] += 1
    for method, entry in found.items():
        log.warning("baseline %s left out for %d series: %s", method, entry["series"],
                    entry["why"])  # fmt: skip
    return found


def calibration_windows(
    predictor: Predictor, found: Mapping[str, SeriesWindows]
) -> dict[str, Window]:
    """The chosen method's forecasts on every validation window (and the network's outputs
    centred on them), from the forecasts made once: what the intervals are calibrated on."""
    c, method = predictor.config, predictor.selection.chosen
    out = {}
    for name, w in found.items():
        raw = w.network(predictor.selection.floor)
        model = middle(raw, c.network.quantiles)
        point = method.forecast(model, w.baselines)
        out[name] = Window(w.origins, w.truth, predictor.centre(raw, point), point)
    return out
