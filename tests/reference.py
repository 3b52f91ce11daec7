"""Transparent NumPy LSTM and GRU cells, written from the equations (PyTorch's gate order).

Used to check the fused model against an independent implementation.
"""

from __future__ import annotations

import numpy as np
from torch import nn


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def run_rnn(rnn: nn.LSTM | nn.GRU, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """x (B, T, F) -> top-layer outputs (B, T, D) and the final h of every layer."""
    p = {k: v.detach().double().numpy() for k, v in rnn.named_parameters()}
    layer_in = x.astype(np.float64)
    finals = []
    for layer in range(rnn.num_layers):
        w_ih, w_hh = p[f"weight_ih_l{layer}"], p[f"weight_hh_l{layer}"]
        b_ih, b_hh = p[f"bias_ih_l{layer}"], p[f"bias_hh_l{layer}"]
        batch, time, hidden = x.shape[0], x.shape[1], rnn.hidden_size
        h, c = np.zeros((batch, hidden)), np.zeros((batch, hidden))
        outs = []
        for t in range(time):
            gi = layer_in[:, t] @ w_ih.T + b_ih
            gh = h @ w_hh.T + b_hh
            if isinstance(rnn, nn.LSTM):
                i, f, g, o = np.split(gi + gh, 4, axis=1)
                c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                h = _sigmoid(o) * np.tanh(c)
            else:
                ir, iz, in_ = np.split(gi, 3, axis=1)
                hr, hz, hn = np.split(gh, 3, axis=1)
                r, z = _sigmoid(ir + hr), _sigmoid(iz + hz)
                n = np.tanh(in_ + r * hn)
                h = (1 - z) * n + z * h
            outs.append(h)
        layer_in = np.stack(outs, axis=1)
        finals.append(h)
    return layer_in, finals
