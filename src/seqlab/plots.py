"""Plots. The only module that imports matplotlib (lazily); each function returns a Figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_length_sweep", "save_figure"]


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
