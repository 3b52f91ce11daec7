"""Looking inside a recurrent network: the gate activations of an LSTM or GRU at every step.

``gates(model, x)`` recomputes the cell equations from the model's own weights, layer by
layer, and returns every gate and state, so a person can see *why* a state changed ("the
forget gate closed at step 7"). PyTorch's fused ``nn.LSTM``/``nn.GRU`` do not expose their
gates; the recomputed hidden states equal theirs (tests check 1e-6).

LSTM (gate order in PyTorch's weights: input, forget, cell, output)::

    i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
    g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
    c' = f c + i g                           h' = o tanh(c')

GRU (reset, update, new)::

    r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r (W_hn h + b_hn))                h' = (1 - z) n + z h

Shape key: L layers, N sequences, T steps, F features, D hidden size.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
from torch import nn

from seqlab.models.ensemble import Ensemble
from seqlab.models.segment import SegmentRNN
from seqlab.models.seq2seq import Seq2Seq
from seqlab.models.sequence import SequenceModel

__all__ = ["Gates", "gates"]


@dataclass(frozen=True)
class Gates:
    """Every tensor is (L, N, T, D). LSTM: ``h``, ``c``, ``input``, ``forget``, ``cell``,
    ``output``; GRU: ``h``, ``reset``, ``update``, ``new`` (the others are None)."""

    cell_type: str
    h: torch.Tensor
    c: torch.Tensor | None = None
    input: torch.Tensor | None = None
    forget: torch.Tensor | None = None
    cell: torch.Tensor | None = None
    output: torch.Tensor | None = None
    reset: torch.Tensor | None = None
    update: torch.Tensor | None = None
    new: torch.Tensor | None = None

    def names(self) -> list[str]:
        """The gates this cell has, in PyTorch's order."""
        order = ["input", "forget", "cell", "output", "reset", "update", "new"]
        return [
            f.name for f in fields(self) if f.name in order and getattr(self, f.name) is not None
        ]


def _recurrent(model: nn.Module, x: torch.Tensor) -> tuple[nn.LSTM | nn.GRU, torch.Tensor]:
    """The recurrent module and the inputs it reads, for a plain or a seqlab model."""
    if isinstance(model, nn.LSTM | nn.GRU):
        if not model.batch_first:
            raise ValueError(
                "gates() reads batch-first inputs (N, T, F); build the module with batch_first=True"
            )
        return model, x
    if isinstance(model, SequenceModel):
        return model.backbone.rnn, x
    if isinstance(model, Seq2Seq):
        return model.encoder.rnn, model.encoder_inputs(x)[0]  # with the model's normalisation
    if isinstance(model, SegmentRNN):  # one step per segment, one row per (sequence, channel)
        centre, scale = model._stats(x)
        return model.rnn, model.embed(model.segments((x - centre) / scale))
    if isinstance(model, Ensemble):
        return _recurrent(model.members[0], model._windows(x)[0])
    raise TypeError(
        "gates() takes an nn.LSTM / nn.GRU (batch_first) or a seqlab SequenceModel, Seq2Seq "
        f"(its encoder), SegmentRNN or Ensemble (its first member), got {type(model).__name__}"
    )


@torch.no_grad()
def gates(model: nn.Module, x: object) -> Gates:
    """Gate activations of ``model`` over inputs ``x`` (N, T, F), from a zero state. For a
    SegmentRNN, T is the number of segments and N the sequences × channels."""
    xt = torch.as_tensor(x, dtype=torch.float32)
    if xt.dim() != 3:
        raise ValueError(
            f"expected inputs of shape (sequences, steps, features), got {tuple(xt.shape)}"
        )
    rnn, inputs = _recurrent(model, xt)
    if rnn.bidirectional or (isinstance(rnn, nn.LSTM) and rnn.proj_size):
        raise ValueError("gates() covers unidirectional cells without projections")
    if inputs.shape[-1] != rnn.input_size:
        raise ValueError(
            f"the model reads {rnn.input_size} feature(s) per step, got {inputs.shape[-1]}"
        )
    lstm = isinstance(rnn, nn.LSTM)
    names = ["input", "forget", "cell", "output"] if lstm else ["reset", "update", "new"]
    n, t, d = inputs.shape[0], inputs.shape[1], rnn.hidden_size
    found: dict[str, list[torch.Tensor]] = {k: [] for k in ["h", "c", *names]}
    layer_in = inputs
    for k in range(rnn.num_layers):
        w_ih, w_hh = getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}")
        b_ih = getattr(rnn, f"bias_ih_l{k}", None)
        b_hh = getattr(rnn, f"bias_hh_l{k}", None)
        pre_x = layer_in @ w_ih.T + (0 if b_ih is None else b_ih)  # (N, T, G*D), all steps
        h = torch.zeros(n, d)
        c = torch.zeros(n, d)
        steps: dict[str, list[torch.Tensor]] = {key: [] for key in found}
        for step in range(t):
            pre_h = h @ w_hh.T + (0 if b_hh is None else b_hh)  # (N, G*D)
            if lstm:
                a = pre_x[:, step] + pre_h
                i, f = torch.sigmoid(a[:, :d]), torch.sigmoid(a[:, d : 2 * d])
                g, o = torch.tanh(a[:, 2 * d : 3 * d]), torch.sigmoid(a[:, 3 * d :])
                c = f * c + i * g
                h = o * torch.tanh(c)
                values = {"input": i, "forget": f, "cell": g, "output": o, "c": c}
            else:
                px, ph = pre_x[:, step], pre_h
                r = torch.sigmoid(px[:, :d] + ph[:, :d])
                z = torch.sigmoid(px[:, d : 2 * d] + ph[:, d : 2 * d])
                new = torch.tanh(px[:, 2 * d :] + r * ph[:, 2 * d :])
                h = (1 - z) * new + z * h
                values = {"reset": r, "update": z, "new": new}
            values["h"] = h
            for key, v in values.items():
                steps[key].append(v)
        for key, per_step in steps.items():
            if per_step:
                found[key].append(torch.stack(per_step, dim=1))  # (N, T, D)
        layer_in = found["h"][-1]  # the next layer reads this one's h
    stacked = {key: torch.stack(layers) for key, layers in found.items() if layers}  # (L, N, T, D)
    return Gates("lstm" if lstm else "gru", **stacked)
