"""Segment-recurrent forecaster (after SegRNN, Lin et al. 2023): the window is cut into
segments of ``w`` steps, each segment is embedded linearly, and one LSTM/GRU runs over the
segments — a handful of recurrent steps instead of hundreds. All horizon segments are then
decoded from the final state, either in parallel (one step, learned position and channel
embeddings as inputs) or recurrently (segment by segment, each prediction fed back).

Channel independent: every target column is its own sample (shared weights, a learned
channel embedding tells them apart). Each window is normalised on its own (reversible
instance normalisation) and the loss is taken in those scale-free units.

Shape key: B batch, L lookback, H horizon, C channels, w segment length, n = L / w input
segments, m = ceil(H / w) output segments, D hidden size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from seqlab.config import SegmentConfig
from seqlab.losses import check_same_shape
from seqlab.models.backbone import check_input
from seqlab.models.state import State

if TYPE_CHECKING:
    from seqlab.data.batches import Batch

__all__ = ["SegmentConfig", "SegmentRNN"]

EPS = 1e-5


class SegmentRNN(nn.Module):
    """``forward(x, state=None) -> (y, state)``: ``x`` (B, L, C) batch first, ``y`` (B, H, C).

    The returned state is the encoder's after the last input segment, one row per
    (sequence, channel): (layers, B * C, D); pass it back to continue from there.
    """

    kind = "segment_rnn"

    def __init__(self, config: SegmentConfig) -> None:
        super().__init__()
        if not isinstance(config, SegmentConfig):
            raise TypeError(f"expected a SegmentConfig, got {type(config).__name__}")
        self.config = c = config
        d = c.hidden_size
        self.embed = nn.Sequential(nn.Linear(c.segment, d), nn.ReLU())
        rnn_cls = nn.LSTM if c.cell == "lstm" else nn.GRU
        drop = c.dropout if c.num_layers > 1 else 0.0
        self.rnn = rnn_cls(d, d, c.num_layers, batch_first=True, dropout=drop)
        self.position = nn.Parameter(torch.randn(c.out_segments, d // 2))
        self.channel = nn.Parameter(torch.randn(c.channels, d - d // 2))
        self.dropout = nn.Dropout(c.dropout)
        self.head = nn.Linear(d, c.segment)
        self.skip_gate = nn.Linear(d, 1) if c.repeat_skip else None
        n = c.lookback // c.segment
        self.flat = nn.Linear(n * d, c.num_layers * d) if c.encoder == "linear" else None

    # -- normalisation -----------------------------------------------------------------
    def _stats(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Centre and scale of each (sequence, channel) window: (B, 1, C) each."""
        c = self.config
        if c.norm == "none":
            return x.new_zeros(x[:, :1].shape), x.new_ones(x[:, :1].shape)
        if c.norm == "last":
            return x[:, -1:], x.new_ones(x[:, :1].shape)
        centre = x[:, -c.segment :].mean(dim=1, keepdim=True)
        scale = (x - centre).abs().mean(dim=1, keepdim=True) + EPS
        return centre, scale

    def segments(self, z: torch.Tensor) -> torch.Tensor:
        """(B, L, C) -> the segments of each (sequence, channel): (B * C, L / w, w)."""
        w = self.config.segment
        return z.permute(0, 2, 1).reshape(-1, z.shape[1] // w, w)

    def _forecast(
        self, x: torch.Tensor, state: State | None
    ) -> tuple[torch.Tensor, State, torch.Tensor, torch.Tensor]:
        """(normalised forecast (B, H, C), encoder state, centre, scale) of windows x."""
        centre, scale = self._stats(x)
        segs = self.segments((x - centre) / scale)  # (B*C, n, w)
        enc = self.encode_segments(segs, state)
        return self.decode(enc, segs[:, -1]), enc, centre, scale

    # -- the network on normalised windows ---------------------------------------------
    def encode(self, z: torch.Tensor, state: State | None = None) -> State:
        """(B, L, C) normalised -> state (layers, B * C, D)."""
        return self.encode_segments(self.segments(z), state)

    def encode_segments(self, segs: torch.Tensor, state: State | None = None) -> State:
        """Segments (B * C, n, w) of normalised windows -> state (layers, B * C, D)."""
        c = self.config
        if self.flat is not None:  # the ablation: no recurrence over the segments
            rows = segs.shape[0]
            h = torch.tanh(self.flat(self.embed(segs).flatten(1)))  # (B*C, n*D) -> (B*C, layers*D)
            h = h.view(rows, c.num_layers, -1).transpose(0, 1).contiguous()  # (layers, B*C, D)
            return (h, torch.zeros_like(h)) if c.cell == "lstm" else h
        _, state = self.rnn(self.embed(segs), state)  # (B*C, n, D) -> (layers, B*C, D)
        return state

    def decode(self, state: State, last: torch.Tensor | None = None) -> torch.Tensor:
        """State (layers, B * C, D) -> normalised forecast (B, H, C); ``last`` (B * C, w) is
        the last normalised input segment, which ``repeat_skip`` needs."""
        c = self.config
        rows = (state[0] if isinstance(state, tuple) else state).shape[1]
        if c.repeat_skip and last is None:
            raise ValueError("a repeat_skip model decodes with the last input segment")
        if c.decoder == "parallel":
            segs = self._decode_parallel(state, rows, last)
        else:
            segs = self._decode_recurrent(state, rows, last)
        y = segs.reshape(rows // c.channels, c.channels, -1)[..., : c.horizon]  # (B, C, H)
        return y.permute(0, 2, 1)  # (B, H, C)

    def _decode_parallel(self, state: State, rows: int, last: torch.Tensor | None) -> torch.Tensor:
        """One decoder step for every output segment at once. The step's input (position ⊕
        channel embedding) is the same for every sequence, so its half of each gate is
        computed once per (position, channel) and the state's half once per row, then the
        two are broadcast against each other: the same numbers as running ``self.rnn`` on
        B·C·m repeated rows, at a fraction of the matrix products."""
        c = self.config
        m, d, chans = c.out_segments, c.hidden_size, c.channels
        batch = rows // chans
        table = torch.cat(
            [
                self.position[None].expand(chans, m, -1),  # (C, m, D/2)
                self.channel[:, None].expand(chans, m, -1),  # (C, m, D - D/2)
            ],
            dim=-1,
        )
        inp: torch.Tensor = table[None]  # (1, C, m, D): broadcast over the batch
        hs = _tensors(state)  # h (layers, B*C, D) [, cell]
        for layer in range(c.num_layers):
            if layer:  # nn.GRU / nn.LSTM's dropout between layers
                inp = nn.functional.dropout(inp, self.rnn.dropout, self.training)
            w_ih, w_hh, b_ih, b_hh = (
                getattr(self.rnn, f"{name}_l{layer}")
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            )
            gi = nn.functional.linear(inp, w_ih, b_ih)  # (1 or B, C, m, G·D)
            h0 = hs[0][layer].reshape(batch, chans, 1, d)
            gh = nn.functional.linear(h0, w_hh, b_hh)  # (B, C, 1, G·D)
            if c.cell == "gru":
                i_r, i_z, i_n = gi.chunk(3, dim=-1)
                h_r, h_z, h_n = gh.chunk(3, dim=-1)
                r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
                n = torch.tanh(i_n + r * h_n)
                inp = n + z * (h0 - n)  # (B, C, m, D)
            else:
                i, f, g, o = (gi + gh).chunk(4, dim=-1)
                c0 = hs[1][layer].reshape(batch, chans, 1, d)
                cell = torch.sigmoid(f) * c0 + torch.sigmoid(i) * torch.tanh(g)
                inp = torch.sigmoid(o) * torch.tanh(cell)
        segs = self._segment_out(inp.reshape(rows * m, d), m, last)  # (B*C*m, w)
        return segs.reshape(rows, m * c.segment)

    def _segment_out(
        self, out: torch.Tensor, repeat: int, last: torch.Tensor | None
    ) -> torch.Tensor:
        """Output segments (R, w) from decoder outputs (R, D), R = B*C rows × ``repeat``
        segments each: the head, plus the gated last input segment with ``repeat_skip``."""
        segs: torch.Tensor = self.head(self.dropout(out))
        if self.skip_gate is not None and last is not None:
            gate = torch.sigmoid(self.skip_gate(out))  # (R, 1)
            segs = segs + gate * last.repeat_interleave(repeat, dim=0)
        return segs

    def _decode_recurrent(self, state: State, rows: int, last: torch.Tensor | None) -> torch.Tensor:
        c = self.config
        chan = self.channel.repeat(rows // c.channels, 1)  # (B*C, D - D/2)
        outs: list[torch.Tensor] = []
        for k in range(c.out_segments):
            pos = self.position[k][None].expand(rows, -1)
            inp = torch.cat([pos, chan], dim=-1)[:, None]  # (B*C, 1, D)
            if outs:
                inp = inp + self.embed(outs[-1])[:, None]  # feed the previous segment back
            out, state = self.rnn(inp, state)
            outs.append(self._segment_out(out[:, 0], 1, last))  # (B*C, w)
        return torch.cat(outs, dim=1)  # (B*C, m*w)

    def _check(self, x: torch.Tensor, state: State | None) -> None:
        c = self.config
        check_input(x, c.channels)
        if x.shape[1] != c.lookback:
            raise ValueError(f"this model reads windows of {c.lookback} steps, got {x.shape[1]}")
        if state is not None:
            rows = _tensors(state)[0].shape[1]
            if rows != x.shape[0] * c.channels:
                raise ValueError(
                    f"the state holds {rows} rows but the input has {x.shape[0]} sequences × "
                    f"{c.channels} channels; pass the state this model returned for this batch"
                )

    def forward(
        self, x: torch.Tensor, state: State | None = None, future: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, State]:
        if future is not None:
            raise ValueError("a segment-recurrent model takes no future covariates, got some")
        self._check(x, state)
        pred, enc, centre, scale = self._forecast(x, state)
        return pred * scale + centre, enc

    def training_loss(self, batch: Batch, state: State | None = None) -> tuple[torch.Tensor, State]:
        """MAE (or MSE) of the forecast in each window's normalised units."""
        self._check(batch.x, state)
        pred, enc, centre, scale = self._forecast(batch.x, state)
        check_same_shape(pred, batch.y)
        return self._loss(pred - (batch.y - centre) / scale), enc

    def forecast_loss(self, pred: torch.Tensor, batch: Batch) -> torch.Tensor:
        """The training loss of a forecast (B, H, C) in original units (e.g. an ensemble's)."""
        check_same_shape(pred, batch.y)
        _, scale = self._stats(batch.x[:, -self.config.lookback :])
        return self._loss((pred - batch.y) / scale)

    def _loss(self, err: torch.Tensor) -> torch.Tensor:
        return err.abs().mean() if self.config.loss == "mae" else err.pow(2).mean()


def _tensors(state: State) -> tuple[torch.Tensor, ...]:
    return tuple(state) if isinstance(state, tuple) else (state,)
