"""Plots. The only module that imports matplotlib (lazily); each function returns a Figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure
    from numpy.typing import NDArray

    from seqlab.inspect import Gates

__all__ = [
    "date_axis",
    "plot_error_by_step",
    "plot_forecast",
    "plot_gates",
    "plot_length_sweep",
    "plot_loss",
    "plot_series_forecasts",
    "save_figure",
]


def plot_length_sweep(
    curves: Mapping[str, Sequence[tuple[int, float]]],
    *,
    train_lengths: tuple[int, int] | None = None,
    title: str = "Error against sequence length",
) -> Figure:
    """MSE (log scale) against length, one line per model; shades the training lengths."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for label, points in curves.items():
        xs, ys = zip(*points, strict=True)
        ax.plot(xs, [max(v, 1e-8) for v in ys], marker=".", label=label)
    if train_lengths is not None:
        ax.axvspan(*train_lengths, color="0.9", label="training lengths (variable)")
    ax.set_yscale("log")
    ax.set_xlabel("sequence length")
    ax.set_ylabel("MSE")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def save_figure(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Render ``fig`` to PNG and write it atomically."""
    import io

    from seqlab._io import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def plot_forecast(
    timestamps: Any,
    values: Any,
    columns: Sequence[str],
    forecast: Any,
    forecast_stamps: Any,
    *,
    test_start: int | None = None,
    history: int = 120,
    band: tuple[Any, Any] | None = None,
    test_forecasts: Sequence[tuple[int, Any]] = (),
) -> Figure:
    """The last ``history`` steps of each column and the forecast past the end.

    ``values`` (T, F) and ``forecast`` (H, F) are arrays; the test part is shaded.
    ``test_forecasts`` holds (origin row, forecast (H, F)) pairs made on the test part, drawn
    dashed over the truth they forecast."""
    import numpy as np
    from matplotlib.figure import Figure

    v, f = np.asarray(values), np.asarray(forecast)
    n = len(v)
    start = max(0, n - history)
    xs = list(timestamps) if timestamps is not None else list(range(n))
    fx = list(forecast_stamps) if forecast_stamps is not None else list(range(n, n + len(f)))
    fig = Figure(figsize=(9, 2.2 * len(columns) + 0.6), layout="constrained")
    axes = fig.subplots(len(columns), 1, squeeze=False, sharex=True)[:, 0]
    for k, (ax, name) in enumerate(zip(axes, columns, strict=True)):
        ax.plot(xs[start:], v[start:, k], color="0.25", lw=1.2, label="history")
        ax.plot(
            [xs[-1], *fx],
            [v[-1, k], *f[:, k]],
            color="tab:red",
            lw=1.6,
            marker=".",
            label="forecast",
        )
        _test_forecasts(ax, xs, v[:, k], [(o, np.asarray(tf)[:, k]) for o, tf in test_forecasts])
        if band is not None:
            ax.fill_between(
                fx, band[0][:, k], band[1][:, k], color="tab:red", alpha=0.2, label="quantile band"
            )
        if test_start is not None and test_start < n:
            ax.axvspan(
                xs[max(test_start, start)], xs[-1], color="tab:blue", alpha=0.08, label="test part"
            )
        ax.set_ylabel(f"{name} (data units)")
        ax.grid(True, alpha=0.3)
        date_axis(ax, xs)
    axes[0].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))  # off the data
    axes[0].set_title("History and forecast")
    axes[-1].set_xlabel("time" if timestamps is not None else "step")
    return fig


def _test_forecasts(ax: Any, xs: Sequence[Any], truth: Any, found: list[tuple[int, Any]]) -> None:
    """Each test forecast (origin row, values (H,)) dashed from the last value before it."""
    for j, (origin, tf) in enumerate(found):
        steps = range(origin - 1, min(origin + len(tf), len(truth)))
        ax.plot(
            [xs[t] for t in steps],
            [truth[origin - 1], *tf[: len(steps) - 1]],
            color="tab:orange",
            lw=1.2,
            ls="--",
            label="test forecasts vs truth" if j == 0 else None,
        )


def date_axis(ax: Any, xs: Sequence[Any]) -> None:
    """Thin date ticks to what fits and label them concisely (2010, Mar, May, ...)."""
    import matplotlib.dates as mdates
    import numpy as np

    if len(xs) and np.issubdtype(np.asarray(xs).dtype, np.datetime64):
        locator = mdates.AutoDateLocator(maxticks=8)  # type: ignore[no-untyped-call]
        # one more step per unit (a year of months, a day of hours, ...), so that a range just
        # too long for the largest default step still gets ticks instead of a warning
        for unit, extra in ((mdates.MONTHLY, 12), (mdates.HOURLY, 24), (mdates.MINUTELY, 60)):
            if extra not in locator.intervald[unit]:
                locator.intervald[unit] = [*locator.intervald[unit], extra]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def plot_series_forecasts(
    panels: Sequence[tuple[str, Any, Any, Any, Any]], *, history: int = 120, more: int = 0
) -> Figure:
    """One panel per series (name, timestamps, values (T,), forecast (H,), forecast
    timestamps): the last ``history`` steps and the forecast; ``more`` series not drawn."""
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 1.9 * len(panels) + 0.7), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, (name, stamps, values, forecast, future) in zip(axes, panels, strict=True):
        v = np.asarray(values)
        xs = list(stamps) if stamps is not None else list(range(len(v)))
        fx = list(future) if future is not None else list(range(len(v), len(v) + len(forecast)))
        start = max(0, len(v) - history)
        ax.plot(xs[start:], v[start:], color="0.25", lw=1.1, label="history")
        ax.plot([xs[-1], *fx], [v[-1], *forecast], color="tab:red", lw=1.6, marker=".",
                label="forecast")  # fmt: skip
        ax.set_ylabel(str(name))
        ax.grid(True, alpha=0.3)
        date_axis(ax, xs)
    axes[0].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    title = "History and forecast, per series"
    axes[0].set_title(
        title + (f" (first {len(panels)}; {more} more in forecast.csv)" if more else "")
    )
    return fig


def plot_loss(epochs: Sequence[dict[str, float]]) -> Figure:
    """Training and validation loss per epoch (log scale)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([e["loss"] for e in epochs], label="training loss")
    if epochs and "val_loss" in epochs[0]:
        ax.plot([e["val_loss"] for e in epochs], label="validation loss")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (MSE, scaled)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def plot_error_by_step(rmse_by_step: Mapping[str, Sequence[float]]) -> Figure:
    """RMSE against horizon step for the model and every baseline."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.add_subplot()
    for name, errors in rmse_by_step.items():
        style = {"lw": 2.8, "color": "black"} if name == "model" else {"lw": 1.2}
        ax.plot(range(1, len(errors) + 1), errors, marker=".", label=name, **style)
    ax.set_xlabel("horizon step")
    ax.set_ylabel("RMSE (original units)")
    ax.set_title("Test error by horizon step")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))  # off the data
    return fig


def plot_gates(
    found: Gates,
    inputs: NDArray[np.float32],
    *,
    sequence: int = 0,
    layer: int = -1,
    title: str = "Gate activity",
) -> Figure:
    """The inputs (T, F) of one sequence above a heat map per gate of one layer: hidden
    units (rows) over time steps (columns), sigmoid gates on 0..1, tanh ones on -1..1."""
    from matplotlib.figure import Figure

    names = found.names()
    fig = Figure(figsize=(8, 1.6 + 1.5 * len(names)), layout="constrained")
    axes = fig.subplots(len(names) + 1, 1, sharex=True)
    steps = inputs.shape[0]
    from matplotlib.ticker import MaxNLocator

    axes[0].step(range(steps), inputs, where="mid")
    axes[0].set_ylabel("sequence")
    axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_title(title)
    layers = found.h.shape[0]
    shown = layer % layers
    for ax, name in zip(axes[1:], names, strict=True):
        values = getattr(found, name)[shown, sequence].numpy().T  # (D, T)
        signed = name in ("cell", "new")  # tanh: -1..1
        image = ax.imshow(
            values,
            aspect="auto",
            interpolation="nearest",
            cmap="RdBu_r" if signed else "viridis",
            vmin=-1.0 if signed else 0.0,
            vmax=1.0,
        )
        ax.set_ylabel(f"{name} gate\nunit" if name not in ("cell", "new") else f"{name}\nunit")
        fig.colorbar(image, ax=ax, pad=0.01)
    axes[-1].set_xlabel(f"time step (layer {shown + 1} of {layers})")
    return fig
