"""NumPy step kernels: the recurrent cell equations for a few steps of a few series.

For one step of one series the arithmetic is tiny (≈0.13 MFLOP at hidden 64, 2 layers) and
a framework call's overhead dominates; these kernels do the same math with one matmul per
layer on NumPy arrays. Weights come from the model's ``nn.LSTM`` / ``nn.GRU`` (PyTorch's
gate order), so results match the fused kernel to float32 rounding.

Shape key: B batch, F features, D hidden size, L layers, O outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from torch import nn

__all__ = ["StepKernel"]

F32 = NDArray[np.float32]


@dataclass(frozen=True)
class _Layer:
    # (F_in + D + 1, G*D): input weights, recurrent weights and bias stacked and transposed,
    # with sigmoid-gate columns halved so that one tanh gives every gate:
    # sigmoid(z) = (tanh(z / 2) + 1) / 2.
    w: F32
    w_hn: F32 | None = None  # GRU only: (D + 1, D) recurrent weight and bias of the candidate


class StepKernel:
    """Cell math of a ``RecurrentBackbone`` stack on NumPy arrays, one step at a time."""

    def __init__(self, rnn: nn.LSTM | nn.GRU) -> None:
        self.lstm = isinstance(rnn, nn.LSTM)
        self.hidden = d = rnn.hidden_size
        self.layers: list[_Layer] = []
        self._ones = np.ones((1, 1), np.float32)
        for k in range(rnn.num_layers):
            w_ih, w_hh, b_ih, b_hh = (
                getattr(rnn, f"{name}_l{k}").detach().cpu().double().numpy()
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            )
            if self.lstm:  # gates i, f, g, o; g keeps its scale
                w = np.concatenate([w_ih, w_hh, (b_ih + b_hh)[:, None]], axis=1).T
                w[:, : 2 * d] *= 0.5
                w[:, 3 * d :] *= 0.5
                self.layers.append(_Layer(w.astype(np.float32)))
            else:  # gates r, z, n; the candidate n keeps h's part apart: r * (W_hn h + b_hn)
                w_h = np.concatenate([w_hh[: 2 * d], np.zeros_like(w_hh[2 * d :])])
                b = np.concatenate([b_ih[: 2 * d] + b_hh[: 2 * d], b_ih[2 * d :]])
                w = np.concatenate([w_ih, w_h, b[:, None]], axis=1).T
                w[:, : 2 * d] *= 0.5
                w_hn = np.concatenate([w_hh[2 * d :], b_hh[2 * d :, None]], axis=1).T
                self.layers.append(_Layer(w.astype(np.float32), w_hn.astype(np.float32)))

    def step(self, x: F32, h: F32, c: F32 | None) -> tuple[F32, F32, F32 | None]:
        """One step for B series: x (B, F), h and c (L, B, D) -> top output (B, D), h, c.

        Returns new state arrays; the inputs are not modified.
        """
        d, d2, d3 = self.hidden, 2 * self.hidden, 3 * self.hidden
        ones = self._ones if x.shape[0] == 1 else np.ones((x.shape[0], 1), np.float32)
        new_h = np.empty_like(h)
        new_c = None if c is None else np.empty_like(c)
        inp = x
        for k, layer in enumerate(self.layers):
            z = np.concatenate((inp, h[k], ones), axis=1) @ layer.w  # (B, F+D+1) -> (B, G*D)
            if new_c is not None and c is not None:
                t = np.tanh(z)  # tanh(z/2) for the sigmoid gates i, f, o; tanh(z) for g
                s = t * np.float32(0.5)
                s += np.float32(0.5)  # sigmoid(i), sigmoid(f), -, sigmoid(o)
                c_k = new_c[k]
                np.multiply(s[:, d:d2], c[k], out=c_k)
                c_k += s[:, :d] * t[:, d2:d3]
                inp = np.tanh(c_k)
                inp *= s[:, d3:]
            else:
                assert layer.w_hn is not None
                s = np.tanh(z[:, :d2])
                s *= np.float32(0.5)
                s += np.float32(0.5)  # sigmoid(r), sigmoid(u)
                hn = np.concatenate((h[k], ones), axis=1) @ layer.w_hn  # (B, D+1) -> (B, D)
                hn *= s[:, :d]
                hn += z[:, d2:]
                n = np.tanh(hn)
                inp = h[k] - n
                inp *= s[:, d:]
                inp += n  # (1 - u) * n + u * h
            new_h[k] = inp
        return inp, new_h, new_c
