"""What a stream returns, per model kind: each kind that can be streamed provides the
backbone that carries its state and turns backbone outputs into results (a head, or a
decoder). :class:`Stream` looks the kind up in :data:`OUTPUTS`; it has no ladder of model
types. Shape key: B series, T steps, D hidden, O outputs, H horizon, F inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import torch
from numpy.typing import NDArray

from seqlab.models.backbone import RecurrentBackbone
from seqlab.models.kernels import StepKernel
from seqlab.models.seq2seq import Seq2Seq
from seqlab.models.sequence import SequenceModel
from seqlab.models.state import State
from seqlab.streaming.table import StateTable

__all__ = ["OUTPUTS", "EncoderDecoderOutputs", "Outputs", "SequenceOutputs"]

F32 = NDArray[np.float32]
Affine = tuple[F32, F32]  # (offset, scale) of a scaler, float32


class Outputs(Protocol):
    """How one model kind is streamed."""

    backbone: RecurrentBackbone
    kernel: StepKernel  # NumPy copies of the backbone's weights, for small updates
    width: int  # the per-series output kept in the table (the last step's result)
    single_steps: bool  # whether `one` serves a single series' short chunk

    def outputs(self, table: StateTable, rows: NDArray[np.intp], top: F32, lengths: Any) -> F32:
        """Backbone outputs (B, T, D) of ``rows`` -> what ``Stream.update`` returns."""
        ...

    def one(self, table: StateTable, row: int, top: F32) -> F32:
        """The same for one series' backbone outputs (T, D)."""
        ...

    def trim(self, out: F32, steps: int) -> F32:
        """One series' result of a padded batch, cut to its ``steps``."""
        ...

    def forecast(self, table: StateTable, rows: NDArray[np.intp], h: int, future: object) -> F32:
        """The next ``h`` steps (B, h, O) from the state of ``rows``, leaving it unchanged."""
        ...

    def columns(self, data: Mapping[str, Any]) -> list[str]:
        """Names of the flattened result of one step, for CSV output."""
        ...


class SequenceOutputs:
    """Per-step and many-to-one sequence models: the head on each backbone output, in NumPy,
    with the output scaler folded into the head's weights."""

    single_steps = True

    def __init__(self, model: SequenceModel, x: Affine, y: Affine) -> None:
        self.config = model.config
        self.backbone = model.backbone
        self.kernel = StepKernel(model.backbone.rnn)
        self.width = model.config.out_features
        self._x = x
        head = model.head.linear
        self._w = head.weight.detach().cpu().numpy().T.copy()  # (D, O)
        self._b = head.bias.detach().cpu().numpy().copy()
        # regression: y = top @ W' + b' in original units
        self._w_units, self._b_units = self._w * y[1], self._b * y[1] + y[0]

    def head(self, top: F32) -> F32:
        """Class probabilities, or values in original units, from backbone outputs (..., D)."""
        if self.config.task == "classification":
            logits: F32 = top @ self._w + self._b  # (..., D) -> (..., C)
            e = np.exp(logits - logits.max(axis=-1, keepdims=True))
            probs: F32 = e / e.sum(axis=-1, keepdims=True)
            return probs
        y: F32 = top @ self._w_units
        y += self._b_units  # (..., D) -> (..., O)
        return y

    def outputs(self, table: StateTable, rows: NDArray[np.intp], top: F32, lengths: Any) -> F32:
        last = self.config.head == "last"
        if last:
            last_step = top.shape[1] - 1 if lengths is None else lengths - 1
            top = top[np.arange(top.shape[0]), last_step][:, None]  # (B, 1, D)
        y = self.head(top)  # (B, T, D) -> (B, T, O)
        last_step = y.shape[1] - 1 if lengths is None or last else lengths - 1
        table.output[rows] = y[np.arange(y.shape[0]), last_step]
        return y[:, 0] if last else y

    def one(self, table: StateTable, row: int, top: F32) -> F32:
        last = self.config.head == "last"
        y = self.head(top[-1:] if last else top)  # (T, D) -> (T, O)
        table.output[row] = y[-1]
        return y[0] if last else y

    def trim(self, out: F32, steps: int) -> F32:
        return out[:steps] if self.config.head == "per_step" else out

    def forecast(self, table: StateTable, rows: NDArray[np.intp], h: int, future: object) -> F32:
        """A per-step regression model whose outputs are its next inputs, run
        autoregressively: the output at the last observed step is the first forecast, each
        further step feeds the previous one back in."""
        c = self.config
        if c.head != "per_step" or c.task != "regression" or c.input_size != c.output_size:
            raise TypeError(
                "forecast() needs an encoder–decoder, or a per-step regression model whose "
                "outputs are its next inputs (output_size == input_size)"
            )
        h_state, c_state = table.h[:, rows], None if table.c is None else table.c[:, rows]
        y = table.output[rows]  # (B, O)
        steps = [y]
        for _ in range(h - 1):
            top, h_state, c_state = self.kernel.step(
                (y - self._x[0]) / self._x[1], h_state, c_state
            )
            y = self.head(top)  # (B, D) -> (B, O)
            steps.append(y)
        return np.stack(steps, axis=1)

    def columns(self, data: Mapping[str, Any]) -> list[str]:
        c = self.config
        if c.task == "classification":  # as seqlab predict writes them
            return ["label", *(f"prob_{k}" for k in range(c.out_features))]
        names = list(data.get("targets") or [])
        return names if len(names) == c.output_size else [f"y{k}" for k in range(c.output_size)]


class EncoderDecoderOutputs:
    """Encoder–decoders: the stream carries the encoder state; each update returns the
    H-step forecast decoded from it."""

    single_steps = False

    def __init__(self, model: Seq2Seq, x: Affine, y: Affine) -> None:
        c = model.config
        if c.instance_norm or c.linear_skip is not None or c.quantiles:
            raise TypeError(
                "a Stream carries the encoder state across calls; models with instance_norm, "
                "linear_skip or quantiles are not supported by Stream"
            )
        self.model, self.config = model, c
        self.backbone = model.encoder
        self.kernel = StepKernel(model.encoder.rnn)
        self.width = c.output_size
        self._y = y

    def outputs(self, table: StateTable, rows: NDArray[np.intp], top: F32, lengths: Any) -> F32:
        return self.forecast(table, rows, self.config.horizon, None)

    def one(self, table: StateTable, row: int, top: F32) -> F32:
        out: F32 = self.forecast(table, np.array([row]), self.config.horizon, None)[0]
        return out

    def trim(self, out: F32, steps: int) -> F32:
        return out

    @torch.inference_mode()
    def forecast(self, table: StateTable, rows: NDArray[np.intp], h: int, future: object) -> F32:
        model, c = self.model, self.config
        if c.mode == "direct" and h > c.horizon:
            raise ValueError(
                f"a direct model forecasts at most horizon={c.horizon} steps, got h={h}"
            )
        dev = next(model.parameters()).device
        th = torch.from_numpy(table.h[:, rows]).to(dev)
        state: State = th if table.c is None else (th, torch.from_numpy(table.c[:, rows]).to(dev))
        x_last = torch.from_numpy(table.last[rows][:, None]).to(dev)  # (B, 1, F)
        fut = None
        if c.future_size:
            fut = torch.as_tensor(np.asarray(future, np.float32)).reshape(
                len(rows), -1, c.future_size
            )
            if fut.shape[1] != h:
                got = tuple(fut.shape[1:])
                raise ValueError(f"expected `future` of shape ({h}, {c.future_size}), got {got}")
            fut = fut.to(dev)
        if c.mode == "direct":
            y = model.decode(state, x_last, fut)[:, :h]
        else:
            assert model.decoder is not None
            y = model.decoder(state, x_last[:, -1, : c.output_size], h, fut)
        values: F32 = y.cpu().numpy() * self._y[1] + self._y[0]
        return values

    def columns(self, data: Mapping[str, Any]) -> list[str]:
        c = self.config
        return [f"y{k}_h{h + 1}" for h in range(c.horizon) for k in range(c.output_size)]


# Model kind -> how to stream it.
OUTPUTS: dict[str, Callable[..., Outputs]] = {
    SequenceModel.kind: SequenceOutputs,
    Seq2Seq.kind: EncoderDecoderOutputs,
}
