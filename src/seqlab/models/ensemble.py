"""A deep ensemble of encoder–decoders: members with their own initial weights, one forecast.

Shape key: B batch, L lookback, H horizon, F input features, Fc future covariates, O targets,
Q quantiles, K members.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from seqlab.callbacks import Callback
from seqlab.config import Seq2SeqConfig
from seqlab.errors import ConfigError
from seqlab.losses import masked_mse, pinball
from seqlab.models.seq2seq import Seq2Seq
from seqlab.models.state import State

if TYPE_CHECKING:
    from seqlab.data.batches import Batch

__all__ = ["Ensemble", "EnsembleConfig"]


@dataclass(frozen=True)
class EnsembleConfig:
    """``size`` members, each a :class:`Seq2Seq` built from ``member``."""

    member: Seq2SeqConfig
    size: int = 5

    def __post_init__(self) -> None:
        if isinstance(self.member, Mapping):  # read back from a checkpoint's JSON
            member: Any = self.member
            object.__setattr__(self, "member", Seq2SeqConfig(**member))
        if not isinstance(self.member, Seq2SeqConfig):
            got = type(self.member).__name__
            raise ConfigError(f"`member` must be a Seq2SeqConfig, got {got}")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 1:
            raise ConfigError(f"`size` must be a positive integer, got {self.size!r}")


class Ensemble(nn.Module):
    """The mean forecast of ``size`` independently initialised :class:`Seq2Seq` members.

    Training minimises the mean of the members' own losses, so each member learns on its
    own (no member's gradient depends on another's output); validation scores the ensemble's
    forecast, the one it makes at inference. Quantile members are averaged per quantile.
    """

    kind = "seq2seq_ensemble"

    def __init__(self, config: EnsembleConfig) -> None:
        super().__init__()
        if not isinstance(config, EnsembleConfig):
            raise TypeError(f"expected an EnsembleConfig, got {type(config).__name__}")
        self.config = config
        self.members = nn.ModuleList(Seq2Seq(config.member) for _ in range(config.size))

    def forward(
        self, x: torch.Tensor, state: State | None = None, future: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, None]:
        """(B, L, F) [+ future (B, H, Fc)] -> mean forecast (B, H, O[, Q]); no state."""
        if state is not None:
            raise ValueError("an ensemble forecasts from whole windows; it takes no state")
        outs = [member(x, None, future)[0] for member in self.members]
        return torch.stack(outs).mean(dim=0), None  # (K, B, H, O) -> (B, H, O)

    def training_loss(self, batch: Batch, state: State | None = None) -> tuple[torch.Tensor, None]:
        if state is not None:
            raise ValueError("an ensemble forecasts from whole windows; it takes no state")
        if self.training:
            members: list[Seq2Seq] = list(self.members)  # type: ignore[arg-type]
            losses = [member.training_loss(batch)[0] for member in members]
            return torch.stack(losses).mean(), None
        pred, _ = self(batch.x, None, batch.future)
        quantiles = self.config.member.quantiles
        if quantiles:
            levels = torch.tensor(quantiles, device=pred.device, dtype=pred.dtype)
            return pinball(pred, batch.y, levels), None
        return masked_mse(pred, batch.y, None), None

    def training_callbacks(self) -> list[Callback]:
        first: Seq2Seq = self.members[0]  # type: ignore[assignment]
        return first.training_callbacks()
