"""Encoder–decoder (sequence-to-sequence) models on the recurrent backbone.

Shape key: B batch, L lookback (encoder steps), H horizon (decoder steps), F encoder
input features (targets first, then past covariates), O target features, Fc known-future
covariates, D hidden size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from seqlab.config import Seq2SeqConfig
from seqlab.losses import masked_mse, pinball
from seqlab.models.backbone import RecurrentBackbone
from seqlab.models.state import State

if TYPE_CHECKING:
    from seqlab.data.batches import Batch

__all__ = ["Decoder", "Seq2Seq"]


class Decoder(nn.Module):
    """A recurrent decoder stack with one output head shared by all its steps."""

    def __init__(self, config: Seq2SeqConfig, out_features: int, covariates: int) -> None:
        super().__init__()
        self.conditional = config.decoder == "conditional"
        width = (out_features if self.conditional else 1) + covariates
        self.rnn = RecurrentBackbone(
            config.cell, width, config.hidden_size, config.num_layers, config.dropout
        )
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, out_features)
        self.out_features = out_features

    def forward(
        self,
        state: State,
        first: torch.Tensor,
        steps: int,
        covariates: torch.Tensor | None = None,
        target: torch.Tensor | None = None,
        ratio: float = 0.0,
    ) -> torch.Tensor:
        """Decode ``steps`` values from ``state``: (B, O) first input -> (B, steps, O).

        With ``target`` (B, steps, O) and ``ratio`` > 0, each step's input is the true
        previous value with probability ``ratio`` (teacher forcing), else the prediction.
        """
        batch = first.shape[0]
        if not self.conditional:
            inp = first.new_zeros(batch, steps, 1)  # no input: the decoder runs on its state
            out, _ = self.rnn(self._with(inp, covariates), state)  # (B, H, 1+Fc) -> (B, H, D)
            y: torch.Tensor = self.head(self.dropout(out))  # (B, H, D) -> (B, H, O)
            return y
        if target is not None and ratio >= 1.0:  # full teacher forcing: one fused call
            prev = torch.cat([first[:, None], target[:, :-1]], dim=1)  # (B, H, O)
            out, _ = self.rnn(self._with(prev, covariates), state)  # (B, H, O+Fc) -> (B, H, D)
            y = self.head(self.dropout(out))
            return y
        return self._autoregressive(state, first, steps, covariates, target, ratio)

    def _autoregressive(
        self,
        state: State,
        prev: torch.Tensor,
        steps: int,
        covariates: torch.Tensor | None,
        target: torch.Tensor | None,
        ratio: float,
    ) -> torch.Tensor:
        outs = []
        for k in range(steps):
            cov = None if covariates is None else covariates[:, k : k + 1]
            out, state = self.rnn(
                self._with(prev[:, None], cov), state
            )  # (B, 1, O+Fc) -> (B, 1, D)
            y_k = self.head(self.dropout(out[:, 0]))  # (B, D) -> (B, O)
            outs.append(y_k)
            prev = y_k
            if target is not None and ratio > 0.0:
                use_true = torch.rand(y_k.shape[0], 1, device=y_k.device) < ratio
                prev = torch.where(use_true, target[:, k], y_k)
        return torch.stack(outs, dim=1)  # (B, H, O)

    @staticmethod
    def _with(inp: torch.Tensor, covariates: torch.Tensor | None) -> torch.Tensor:
        return inp if covariates is None else torch.cat([inp, covariates], dim=-1)


class Seq2Seq(nn.Module):
    """Encoder–decoder forecaster: reads L steps, predicts the next H.

    ``forward(x, state=None, future=None) -> (y, state)``: ``x`` is (B, L, F), batch
    first, targets in its first O columns; ``future`` (B, H, Fc) holds known-future
    covariates; ``y`` is (B, H, O), decoded autoregressively; the returned state is the
    encoder's state after reading ``x`` (pass it back to continue encoding new steps).
    """

    kind = "seq2seq"

    def __init__(self, config: Seq2SeqConfig) -> None:
        super().__init__()
        if not isinstance(config, Seq2SeqConfig):
            raise TypeError(f"expected a Seq2SeqConfig, got {type(config).__name__}")
        self.config = config
        c = config
        self.encoder = RecurrentBackbone(
            c.cell, c.input_size, c.hidden_size, c.num_layers, c.dropout
        )
        self.decoder: Decoder | None = None
        self.reconstructor: Decoder | None = None
        self.direct: nn.Linear | None = None
        q = len(c.quantiles) if c.quantiles else 1
        if c.mode == "direct":
            self.direct = nn.Linear(
                c.hidden_size + c.horizon * c.future_size, c.horizon * c.output_size * q
            )
        else:
            self.decoder = Decoder(c, c.output_size, c.future_size)
            if c.composite:
                self.reconstructor = Decoder(c, c.input_size, 0)
        self.skip = nn.Linear(c.linear_skip, c.horizon) if c.linear_skip is not None else None
        # The teacher-forcing ratio in use. Under scheduled sampling the model declares the
        # schedule (start, end) and the Trainer's ScheduledSampling callback follows it.
        self.teacher_forcing_ratio = {"teacher_forcing": 1.0, "free_running": 0.0}.get(
            c.regime, c.teacher_forcing_ratio
        )
        self.teacher_forcing_schedule: tuple[float, float] | None = (
            (c.teacher_forcing_ratio, 0.0) if c.regime == "scheduled_sampling" else None
        )

    def encoder_inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """What the encoder reads: ``x``, or with ``instance_norm`` the window less its last
        target values, and that shift (B, 1, O) to add back to the forecast."""
        if not self.config.instance_norm:
            return x, None
        o = self.config.output_size
        shift = x[:, -1:, :o]
        return torch.cat([x[..., :o] - shift, x[..., o:]], dim=-1), shift

    def _check_future(self, future: torch.Tensor | None, batch: int) -> torch.Tensor | None:
        c = self.config
        if c.future_size == 0:
            if future is not None:
                raise ValueError("this model takes no future covariates (future_size=0), got some")
            return None
        expected = (batch, c.horizon, c.future_size)
        if future is None or tuple(future.shape) != expected:
            got = None if future is None else tuple(future.shape)
            raise ValueError(
                f"expected `future` covariates of shape {expected} (batch first), got {got}"
            )
        return future

    def encode(self, x: torch.Tensor, state: State | None = None) -> State:
        _, state = self.encoder(x, state)  # (B, L, F) -> state (layers, B, D)
        return state

    def decode(
        self,
        state: State,
        x: torch.Tensor,
        future: torch.Tensor | None = None,
        target: torch.Tensor | None = None,
        ratio: float = 0.0,
    ) -> torch.Tensor:
        """Predict (B, H, O) from the encoder state; ``x`` supplies the last observed value."""
        c = self.config
        if self.direct is not None:
            h = (state[0] if isinstance(state, tuple) else state)[-1]  # top layer: (B, D)
            if future is not None:
                h = torch.cat([h, future.flatten(1)], dim=-1)  # (B, D + H*Fc)
            y: torch.Tensor = self.direct(h)  # (B, D) -> (B, H*O*Q)
            if c.quantiles:
                return y.view(-1, c.horizon, c.output_size, len(c.quantiles))  # (B, H, O, Q)
            return y.view(-1, c.horizon, c.output_size)  # (B, H*O) -> (B, H, O)
        assert self.decoder is not None
        last = x[:, -1, : c.output_size]  # last observed targets: (B, O)
        y = self.decoder(state, last, c.horizon, future, target, ratio)
        return y

    def forward(
        self, x: torch.Tensor, state: State | None = None, future: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, State]:
        y, state, _ = self._predict(x, state, self._check_future(future, x.shape[0]))
        return y, state

    def _predict(
        self,
        x: torch.Tensor,
        state: State | None,
        future: torch.Tensor | None,
        target: torch.Tensor | None = None,
        ratio: float = 0.0,
    ) -> tuple[torch.Tensor, State, torch.Tensor]:
        """Forecast (B, H, O), the encoder state and the (normalised) inputs it read."""
        c = self.config
        o = c.output_size
        x, shift = self.encoder_inputs(x)
        if shift is not None:
            target = None if target is None else target - shift
        enc = self.encode(x, state)
        y = self.decode(enc, x, future, target, ratio)
        if self.skip is not None:
            if x.shape[1] != c.linear_skip:
                got = x.shape[1]
                raise ValueError(f"this model reads windows of {c.linear_skip} steps, got {got}")
            skip = self.skip(x[..., :o].transpose(1, 2)).transpose(1, 2)  # (B, O, L) -> (B, H, O)
            y = y + (skip[..., None] if c.quantiles else skip)
        if shift is not None:
            y = y + (shift[..., None] if c.quantiles else shift)
        return y, enc, x

    def reconstruct(self, x: torch.Tensor, state: State, ratio: float = 0.0) -> torch.Tensor:
        """The composite model's second decoder: x reversed in time, (B, L, F)."""
        assert self.reconstructor is not None
        reversed_x = x.flip(1)
        first = torch.zeros_like(reversed_x[:, 0])
        y: torch.Tensor = self.reconstructor(state, first, x.shape[1], None, reversed_x, ratio)
        return y

    def recurrent_l2(self) -> torch.Tensor:
        """Sum of squared recurrent (hidden-to-hidden) weights of every stack."""
        terms = [p.pow(2).sum() for name, p in self.named_parameters() if ".weight_hh_" in name]
        return torch.stack(terms).sum()

    def training_loss(self, batch: Batch, state: State | None = None) -> tuple[torch.Tensor, State]:
        """MSE of the forecast under the configured regime (+ reconstruction, + l2)."""
        ratio = self.teacher_forcing_ratio if self.training else 0.0
        future = self._check_future(batch.future, batch.x.shape[0])
        pred, enc, x = self._predict(batch.x, state, future, batch.y, ratio)
        if self.config.quantiles:
            levels = torch.tensor(self.config.quantiles, device=pred.device, dtype=pred.dtype)
            loss = pinball(pred, batch.y, levels)
        else:
            loss = masked_mse(pred, batch.y, None)
        if self.reconstructor is not None:
            loss = loss + masked_mse(self.reconstruct(x, enc, ratio), x.flip(1), None)
        if self.config.l2 > 0:
            loss = loss + self.config.l2 * self.recurrent_l2()
        return loss, enc
