"""ONNX export with the recurrent state as an explicit input and output.

Exported graphs take and return *scaled* values, like the PyTorch model; the scalers go
into a JSON file beside the ``.onnx`` file. LSTM models take ``x, h, c`` and return
``y, h_out, c_out``; GRU models take ``x, h`` and return ``y, h_out``. An encoder–decoder's
``y`` is the (B, H, O) forecast from the encoder state after ``x`` (inputs ``future`` too
when it has known-future covariates), and ``h_out``/``c_out`` is that encoder state.

Shape key: B batch, T time, F features, L layers, D hidden size, O outputs, H horizon.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from seqlab._io import atomic_write_bytes
from seqlab.checkpoint import Checkpoint
from seqlab.errors import CheckpointError
from seqlab.models.segment import SegmentRNN
from seqlab.models.seq2seq import Seq2Seq
from seqlab.models.sequence import SequenceModel

__all__ = ["export_onnx"]


class _Exported(nn.Module):
    """Positional tensors in and out, as ONNX wants them."""

    def __init__(self, model: nn.Module, lstm: bool, future: bool) -> None:
        super().__init__()
        self.model, self.lstm, self.future = model, lstm, future

    def forward(self, *args: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x, rest = args[0], list(args[1:])
        state: Any = (rest.pop(0), rest.pop(0)) if self.lstm else rest.pop(0)
        kwargs = {"future": rest.pop(0)} if self.future else {}
        y, state = self.model(x, state, **kwargs)
        return (y, *state) if self.lstm else (y, state)


def export_onnx(checkpoint: Checkpoint, path: str | Path, opset: int = 17) -> Path:
    """Write ``path`` (ONNX) and ``path`` + ``.json`` (names, shapes, scalers, config)."""
    model = checkpoint.model.cpu().eval()
    if not isinstance(model, SequenceModel | Seq2Seq | SegmentRNN):
        raise CheckpointError(
            f"ONNX export takes a SequenceModel, Seq2Seq or SegmentRNN checkpoint, got a "
            f"{type(model).__name__}; export one member at a time"
        )
    lstm = checkpoint.config.cell == "lstm"
    future = isinstance(model, Seq2Seq) and model.config.future_size > 0
    inputs, outputs, example, axes = _signature(model, lstm, future)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The TorchScript exporter emits ONNX LSTM/GRU ops with a dynamic time axis; the dynamo
    # exporter unrolls time into a fixed length. It warns that it is deprecated.
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = Path(tmp) / "model.onnx"
        torch.onnx.export(
            _Exported(model, lstm, future),
            tuple(example),
            str(raw),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )
        atomic_write_bytes(path, raw.read_bytes())
    sidecar = _sidecar(checkpoint, model, inputs, outputs)
    atomic_write_bytes(path.with_name(path.name + ".json"), json.dumps(sidecar, indent=2).encode())
    return path


Signature = tuple[list[str], list[str], list[torch.Tensor], dict[str, dict[int, str]]]


def _signature(model: nn.Module, lstm: bool, future: bool) -> Signature:
    """The graph's input and output names, example inputs and dynamic axes."""
    config: Any = model.config
    hidden, layers = config.hidden_size, config.num_layers
    if isinstance(model, SegmentRNN):  # fixed window; the state has one row per channel
        channels = config.channels
        x = torch.zeros(2, config.lookback, channels)
        state = [torch.zeros(layers, 2 * channels, hidden)] * (2 if lstm else 1)
    else:
        x = torch.zeros(2, 3, config.input_size)
        state = [torch.zeros(layers, 2, hidden)] * (2 if lstm else 1)
    inputs = ["x", "h", "c"][: 1 + len(state)] + (["future"] if future else [])
    outputs = ["y", "h_out", "c_out"][: 1 + len(state)]
    example = [x, *state]
    axes: dict[str, dict[int, str]] = {"x": {0: "batch", 1: "time"}, "y": {0: "batch"}}
    if isinstance(model, SegmentRNN):
        axes["x"] = {0: "batch"}
    for name in ("h", "c", "h_out", "c_out"):
        axes[name] = {1: "batch"}
    if future:
        example.append(torch.zeros(2, config.horizon, config.future_size))
        axes["future"] = {0: "batch"}
    if isinstance(model, SequenceModel) and config.head == "per_step":
        axes["y"][1] = "time"
    return inputs, outputs, example, axes


def _sidecar(
    checkpoint: Checkpoint, model: nn.Module, inputs: list[str], outputs: list[str]
) -> dict[str, Any]:
    """The JSON written beside the graph: names, state shape, config and scalers."""
    sidecar: dict[str, Any] = {
        "inputs": inputs,
        "outputs": outputs,
        "state_shape": ["num_layers", "batch", "hidden_size"],
        "model": {"kind": getattr(model, "kind", None), "config": asdict(checkpoint.config)},
        "scalers": {
            name: None if scaler is None else scaler.to_dict()
            for name, scaler in (("x", checkpoint.x_scaler), ("y", checkpoint.y_scaler))
        },
        "note": "inputs and outputs are scaled values: x_scaled = (x - offset) / scale",
    }
    forecaster = checkpoint.forecaster_state
    if forecaster is not None:  # a Forecaster's network: its scaling is per series
        sidecar["scalers"] = {"per_series": _per_series_scaling(forecaster)}
        sidecar["forecaster"] = {
            "selection": forecaster.get("selection"),
            "calendar": forecaster.get("calendar"),
            "period": forecaster.get("period"),
        }
        sidecar["note"] = (
            "the network of a seqlab forecast checkpoint: inputs are windows of each series "
            "scaled with its own statistics, x_scaled = (x - season_mean - offset) / scale "
            "(scalers.per_series; season means where present, indexed by season of the row), "
            "followed by the calendar features (forecaster.calendar); outputs are unscaled "
            "the same way. The forecast `seqlab forecast` gives is forecaster.selection's "
            "method, which may be a baseline or the network combined with one."
        )
    return sidecar


def _per_series_scaling(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {key: part.get(key) for key in ("columns", "offset", "scale", "season_means")}
        for name, part in (state.get("parts") or {}).items()
    }
