"""Test-window results of a Forecaster: every method's forecasts on the same windows, their
metrics, RMSE per horizon step (and per column), and quantile coverage.
Shape key: N windows, H horizon, F target columns, Q quantiles.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from seqlab.forecasting.intervals import interval_scores, label
from seqlab.forecasting.selection import mase_scale
from seqlab.metrics import forecast_metrics

__all__ = [
    "Block",
    "Evaluation",
    "add_intervals",
    "evaluation_from_blocks",
    "format_evaluation",
    "in_data_units",
    "skill_against",
]

F64 = NDArray[np.float64]


@dataclass
class Evaluation:
    """Test-window results: metrics per method, RMSE per horizon step, and the forecasts."""

    origins: NDArray[np.int64]
    truth: F64  # (N, H, F)
    forecasts: dict[str, F64]  # method -> (N, H, F); "model" is ours
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    rmse_by_step: dict[str, list[float]] = field(default_factory=dict)  # averaged over columns
    rmse_by_column_step: dict[str, list[list[float]]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # the series of each window
    quantiles: F64 | None = None  # (N, H, F, Q) with ``quantiles``
    coverage: dict[str, float] = field(default_factory=dict)
    selected: str = "model"  # what the Forecaster forecasts with, chosen on validation
    # per interval level ("80"): coverage (overall, per step), mean width and MSIS on the
    # test windows, and the bands themselves (lower, upper), each (N, H, F)
    intervals: dict[str, dict[str, Any]] = field(default_factory=dict)
    interval_bands: dict[str, tuple[F64, F64]] = field(default_factory=dict)

    def __str__(self) -> str:
        """The table a person reads: every method, best first, the verdict, the bands."""
        return format_evaluation(self)

    def to_frame(self) -> Any:
        """The metrics as a pandas DataFrame: one row per method (best first), its RMSE,
        MAE, MASE, sMAPE and MAPE, the skill against the best baseline and whether it is
        the method chosen on validation."""
        import pandas as pd

        best = self.metrics[self.best_baseline]["rmse"]
        frame = pd.DataFrame.from_dict(self.metrics, orient="index")
        frame["skill"] = [skill_against(r, best) for r in frame["rmse"]]
        frame["chosen"] = frame.index == self.selected
        frame.index.name = "method"
        return frame.sort_values("rmse")

    @property
    def best_baseline(self) -> str:
        return min(
            (m for m in self.metrics if m != "model" and not m.startswith("model + ")),
            key=lambda m: self.metrics[m]["rmse"],
        )

    def verdict(self) -> str:
        best = self.best_baseline
        ours, theirs = self.metrics["model"]["rmse"], self.metrics[best]["rmse"]
        skill = skill_against(ours, theirs)
        numbers = f"RMSE {ours:.4g} vs {theirs:.4g}, skill {skill:+.1%}"
        if skill > 0:
            text = f"the model beats the best baseline ({best}): {numbers}"
        else:
            text = f"the model LOSES to the best baseline ({best}): {numbers}"
        if self.selected != "model":
            chosen = self.metrics[self.selected]["rmse"]
            text += (
                f"; forecasts use {self.selected!r}, chosen on the validation rows "
                f"(test RMSE {chosen:.4g}, skill {skill_against(chosen, theirs):+.1%})"
            )
        return text


@dataclass
class Block:
    """The test windows of one series: origins (N,), truth (N, H, F), each method's forecasts
    (N, H, F), the training rows (T, F) that scale MASE, and quantile forecasts if any."""

    name: str
    origins: NDArray[np.int64]
    truth: F64
    forecasts: dict[str, F64]
    training: F64
    quantiles: F64 | None = None


def evaluation_from_blocks(
    blocks: list[Block], period: int | None, levels: tuple[float, ...] | None
) -> Evaluation:
    """Pool the windows of every series. Metrics are averaged over series and columns with
    equal weight; RMSE per step pools the windows; coverage is that of the outer quantiles."""
    methods = [m for m in blocks[0].forecasts if all(m in b.forecasts for b in blocks)]
    ev = Evaluation(
        np.concatenate([b.origins for b in blocks]),
        np.concatenate([b.truth for b in blocks]),
        {m: np.concatenate([b.forecasts[m] for b in blocks]) for m in methods},
    )
    ev.names = [b.name for b in blocks for _ in b.origins]
    bands = [b.quantiles for b in blocks if b.quantiles is not None]
    if bands and levels:
        ev.quantiles = np.concatenate(bands)
        low, high = levels[0], levels[-1]
        inside = (ev.truth >= ev.quantiles[..., 0]) & (ev.truth <= ev.quantiles[..., -1])
        ev.coverage = {f"{low:g}-{high:g}": float(inside.mean()), "nominal": high - low}

    def m_of(b: Block) -> int:  # MASE's period; plain naive on fewer rows (as mase_scale)
        return period if period and len(b.training) > period else 1

    for m in methods:
        scores = [
            forecast_metrics(b.truth[..., f], b.forecasts[m][..., f], b.training[:, f], m_of(b))
            for b in blocks
            for f in range(b.truth.shape[2])
        ]
        ev.metrics[m] = {k: float(np.mean([sc[k] for sc in scores])) for k in scores[0]}
        by_cs = np.sqrt(((ev.forecasts[m] - ev.truth) ** 2).mean(axis=0))  # (H, F)
        ev.rmse_by_column_step[m] = by_cs.T.tolist()
        ev.rmse_by_step[m] = by_cs.mean(axis=1).tolist()
    return ev


def add_intervals(
    ev: Evaluation,
    blocks: Sequence[Block],
    bands: Mapping[str, Mapping[str, tuple[F64, F64]]],
    scales: Mapping[str, F64],
    levels: Sequence[float],
) -> None:
    """Score the calibrated bands of every series' test windows, pooled (in the order of
    ``blocks``): each window is measured in its own series' scale."""
    named = [b for b in blocks if b.name in bands]
    scale = np.concatenate(
        [np.broadcast_to(scales[b.name], (len(b.origins), 1, b.truth.shape[2])) for b in named]
    )
    for level in levels:
        key = label(level)
        lower = np.concatenate([bands[b.name][key][0] for b in named])
        upper = np.concatenate([bands[b.name][key][1] for b in named])
        ev.interval_bands[key] = (lower, upper)
        ev.intervals[key] = interval_scores(ev.truth, lower, upper, level, scale)


Bands = dict[str, dict[str, tuple[F64, F64]]]  # series -> level -> (lower, upper)


def in_data_units(
    blocks: Sequence[Block], bands: Bands, period: int | None, undo: Callable[[F64], F64]
) -> tuple[list[Block], Bands, dict[str, F64]]:
    """Blocks and bands in model units (e.g. logs) -> the data's own units, with each series'
    MASE scale recomputed there."""
    converted = [
        Block(
            b.name,
            b.origins,
            undo(b.truth),
            {m: undo(f) for m, f in b.forecasts.items()},
            undo(b.training),
            None if b.quantiles is None else undo(b.quantiles),
        )
        for b in blocks
    ]
    out = {
        n: {k: (undo(lo), undo(hi)) for k, (lo, hi) in found.items()} for n, found in bands.items()
    }
    scales = {b.name: mase_scale(b.training, period) for b in converted}
    return converted, out, scales


def format_evaluation(ev: Evaluation) -> str:
    """Ours against every baseline on the same test windows, best first, and a verdict."""
    order = sorted(ev.metrics, key=lambda m: ev.metrics[m]["rmse"])
    best = ev.best_baseline
    rows = [("method", "RMSE", "MAE", "MASE", "sMAPE %", "skill vs best baseline")]
    for name in order:
        m = ev.metrics[name]
        skill = skill_against(m["rmse"], ev.metrics[best]["rmse"])
        label = f"{name} (ours)" if name == "model" else name
        if name == ev.selected:
            label += " [chosen]"
        rows.append(
            (
                label,
                f"{m['rmse']:.4g}",
                f"{m['mae']:.4g}",
                f"{m['mase']:.3f}",
                f"{m['smape']:.2f}",
                f"{skill:+.1%}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"{len(ev.origins)} test windows; {ev.verdict()}")
    if ev.coverage:
        band = next(k for k in ev.coverage if k != "nominal")
        lines.append(
            f"quantile band {band}: covers {ev.coverage[band]:.1%} of the test values "
            f"(nominal {ev.coverage['nominal']:.0%})"
        )
    for key, found in ev.intervals.items():
        by_step = found["coverage_by_step"]
        lines.append(
            f"{key}% interval: covers {found['coverage']:.1%} of the test values (by step "
            f"{min(by_step):.0%}..{max(by_step):.0%}), mean width {found['width']:.3g} and "
            f"MSIS {found['msis']:.3g} in MASE units"
        )
    return "\n".join(lines)


def skill_against(ours: float, theirs: float) -> float:
    """1 - ours / theirs; against an exact baseline (RMSE 0): 0 when ours is exact too,
    else minus infinity."""
    if theirs > 0:
        return 1.0 - ours / theirs
    return 0.0 if ours == 0 else -math.inf
