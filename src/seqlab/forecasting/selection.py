"""Choosing what to forecast with, on validation windows only: the network, each baseline,
or the mean of the network and the best baseline, or of the network and baselines chosen
greedily (:func:`choose`).

The score is scale free, so that every series weighs the same: each series' (and column's)
mean absolute error divided by the in-sample mean absolute error of the seasonal naive
forecast (plain naive without a period) on its training rows — MASE — averaged over series
and columns. One choice is made for all series together (a global choice): with one or a few
validation windows per series, a per-series choice mostly picks noise, while the global
choice pools every series' windows.

Shape key: N windows, H horizon, F target columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["MODEL", "Method", "Selection", "ValidationBlock", "choose", "mase_scale", "series_mase"]

F64 = NDArray[np.float64]
MODEL = "model"


@dataclass(frozen=True)
class Method:
    """What forecasts: the network alone (``baseline`` None), a baseline alone, or the mean
    of the network and one baseline or more (``baseline``, then ``more``); its name is
    "model", the baseline's, or "model + <name>[ + <name> ...]"."""

    baseline: str | None = None
    with_model: bool = True
    more: tuple[str, ...] = ()

    @classmethod
    def parse(cls, name: str) -> Method:
        if name == MODEL:
            return cls()
        if name.startswith(f"{MODEL} + "):
            first, *rest = name.removeprefix(f"{MODEL} + ").split(" + ")
            return cls(first, more=tuple(rest))
        return cls(name, with_model=False)

    @property
    def members(self) -> tuple[str, ...]:
        """The baselines (and classical methods) this method reads."""
        return () if self.baseline is None else (self.baseline, *self.more)

    @property
    def name(self) -> str:
        if self.baseline is None:
            return MODEL
        return " + ".join((MODEL, *self.members)) if self.with_model else self.baseline

    def __str__(self) -> str:
        return self.name

    @property
    def uses_model(self) -> bool:
        return self.with_model

    def forecast(self, model: F64, baselines: Mapping[str, F64]) -> F64:
        """This method's forecasts from the network's and the baselines'. A baseline that
        cannot be fitted on a series (too few training rows; counted in the selection's
        ``skipped``) leaves the network's forecast in its place."""
        found = [baselines.get(m, model) for m in self.members]
        if not found or (not self.with_model and self.baseline not in baselines):
            return model
        if not self.with_model:
            return found[0]
        out: F64 = (model + sum(found)) / (1 + len(found))  # an equal-weight mean
        return out


@dataclass(frozen=True)
class Selection:
    """What the validation windows chose and why: the method (``chosen``), every candidate's
    validation MASE (``scores``), whether the network's forecasts are floored at the lowest
    value seen (``floor``, with the scores behind that choice), the networks ``model="auto"``
    tried, the baselines and classical methods left out (``skipped``, ``classical``), the
    columns a candidate does not read (``ignored``: a baseline reads no covariates) and the
    refit. ``to_dict`` is the JSON form written to metrics.json and the checkpoint."""

    chosen: Method = field(default_factory=Method)
    by: str = "auto"
    scores: Mapping[str, float] = field(default_factory=dict)
    floor: bool = False
    floor_scores: Mapping[str, float] | None = None
    networks: Mapping[str, float] = field(default_factory=dict)
    skipped: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    classical: Mapping[str, Any] | None = None
    ignored: Mapping[str, list[str]] = field(default_factory=dict)
    refit: bool = False
    refit_epochs: tuple[int, ...] | None = None

    @property
    def classical_methods(self) -> list[str]:
        """The classical methods the fit kept."""
        return list((self.classical or {}).get("methods", []))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "chosen": self.chosen.name,
            "scores": dict(self.scores),
            "refit": self.refit,
            "by": self.by,
        }
        if self.networks:
            out["networks"] = dict(self.networks)
        if self.floor:
            out["floor"] = "observed"
        if self.floor_scores is not None:
            out["floor_scores"] = dict(self.floor_scores)
        if self.skipped:
            out["skipped"] = {k: dict(v) for k, v in self.skipped.items()}
        if self.classical is not None:
            out["classical"] = dict(self.classical)
        if self.ignored:
            out["ignored"] = {k: list(v) for k, v in self.ignored.items()}
        if self.refit_epochs is not None:
            out["refit_epochs"] = list(self.refit_epochs)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Selection:
        epochs = data.get("refit_epochs")
        return cls(
            chosen=Method.parse(str(data.get("chosen", MODEL))),
            by=str(data.get("by", "auto")),
            scores=dict(data.get("scores") or {}),
            floor=bool(data.get("floor")),
            floor_scores=data.get("floor_scores"),
            networks=dict(data.get("networks") or {}),
            skipped=dict(data.get("skipped") or {}),
            classical=data.get("classical"),
            ignored=dict(data.get("ignored") or {}),
            refit=bool(data.get("refit", False)),
            refit_epochs=None if epochs is None else tuple(int(e) for e in epochs),
        )


@dataclass(frozen=True)
class ValidationBlock:
    """One series' validation windows: truth (N, H, F), each candidate's forecasts (N, H, F)
    and the scale of each column (F,) from its training rows."""

    truth: F64
    forecasts: Mapping[str, F64]
    scale: F64 = field(default_factory=lambda: np.ones(1))


def mase_scale(training: F64, period: int | None) -> F64:
    """(F,) in-sample MAE of the seasonal naive (naive without a period) on training rows
    (T, F); a column with none (constant) gets 1."""
    m = period if period and period > 1 and len(training) > period else 1
    if len(training) <= m:
        return np.ones(training.shape[1])
    scale: F64 = np.abs(training[m:] - training[:-m]).mean(axis=0)
    return np.where(scale > 0, scale, 1.0)


def series_mase(forecast: F64, truth: F64, scale: F64) -> float:
    """One series' MASE: each column's MAE over its scale (F,), averaged over columns."""
    return float((np.abs(forecast - truth).mean(axis=(0, 1)) / scale).mean())


def _score(blocks: list[ValidationBlock], method: Method) -> float:
    per_series = []
    for b in blocks:
        found = b.forecasts.get(method.name)
        forecast = found if found is not None else method.forecast(b.forecasts[MODEL], b.forecasts)
        per_series.append(series_mase(forecast, b.truth, b.scale))
    return float(np.mean(per_series))


def choose(blocks: list[ValidationBlock]) -> tuple[Method, dict[str, float]]:
    """(chosen method, validation MASE of every candidate). Candidates: the network
    (``"model"``), every baseline present in all blocks, ``"model + <best baseline>"``, and
    the combinations on a greedy path (forward ensemble selection, Caruana et al. 2004): from
    the network, each step adds the baseline whose equal-weight mean with those already in
    scores the lowest validation MASE, until every baseline is in; each mean on the path is a
    candidate, so a step that costs a little can lead to a better mean after it (a weaker but
    different forecast often improves a mean). Ties go to the network, then to the smaller
    combination. The blocks are not changed."""
    names = [m for m in blocks[0].forecasts if all(m in b.forecasts for b in blocks)]
    candidates = [Method.parse(m) for m in names]
    scores = {m.name: _score(blocks, m) for m in candidates}
    baselines = [m for m in names if m != MODEL]
    if MODEL in scores and baselines:
        best = min(baselines, key=lambda m: scores[m])
        combo = Method(best)
        candidates.append(combo)
        scores[combo.name] = _score(blocks, combo)
        candidates.extend(_grown(blocks, baselines, scores))
    order = sorted(candidates, key=lambda m: (m.baseline is not None, len(m.members)))
    chosen = min(order, key=lambda m: scores[m.name])
    return chosen, scores


def _grown(
    blocks: list[ValidationBlock], baselines: list[str], scores: dict[str, float]
) -> list[Method]:
    """The greedy path of :func:`choose`: its combinations not scored yet (their scores go
    into ``scores``)."""
    members: tuple[str, ...] = ()
    out = []
    while len(members) < len(baselines):  # each step adds one: every step has a trial
        trials = []
        for b in baselines:
            if b in members:
                continue
            first, *rest = (*members, b)
            method = Method(first, more=tuple(rest))
            score = scores.get(method.name)
            trials.append((_score(blocks, method) if score is None else score, method))
        score, method = min(trials, key=lambda t: t[0])
        members = method.members
        if method.name not in scores:  # "model + <best baseline>" is a candidate already
            scores[method.name] = score
            out.append(method)
    return out
