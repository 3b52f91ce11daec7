"""A deep ensemble of forecasters (encoder–decoders or segment-recurrent models): members with
their own initial weights, one forecast.

Shape key: B batch, L lookback, H horizon, F input features, Fc future covariates, O targets,
Q quantiles, K members.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from seqlab._checks import _positive_int
from seqlab.config import Seq2SeqConfig
from seqlab.errors import ConfigError
from seqlab.losses import masked_mse, pinball
from seqlab.models.segment import SegmentConfig, SegmentRNN
from seqlab.models.seq2seq import Seq2Seq
from seqlab.models.state import State

if TYPE_CHECKING:
    from seqlab.data.batches import Batch

__all__ = ["Ensemble", "EnsembleConfig"]

MAX_MEMBERS = 1000


# member kind -> (model class, config class)
MEMBER_KINDS: dict[str, tuple[type[nn.Module], type[Any]]] = {
    Seq2Seq.kind: (Seq2Seq, Seq2SeqConfig),
    SegmentRNN.kind: (SegmentRNN, SegmentConfig),
}


@dataclass(frozen=True)
class EnsembleConfig:
    """``size`` members, each a :class:`Seq2Seq` (``member_kind="seq2seq"``) or a
    :class:`SegmentRNN` (``"segment_rnn"``) built from ``member``. ``lookbacks`` (segment
    members only) gives member k its own lookback: it reads the last ``lookbacks[k]`` steps of
    windows that are ``member.lookback = max(lookbacks)`` long."""

    member: Seq2SeqConfig | SegmentConfig
    size: int = 5
    member_kind: str = ""
    lookbacks: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        kind = self.member_kind or (
            SegmentRNN.kind if isinstance(self.member, SegmentConfig) else Seq2Seq.kind
        )
        if kind not in MEMBER_KINDS:
            raise ConfigError(f"`member_kind` must be one of {list(MEMBER_KINDS)}, got {kind!r}")
        object.__setattr__(self, "member_kind", kind)
        config_cls = MEMBER_KINDS[kind][1]
        if isinstance(self.member, Mapping):  # read back from a checkpoint's JSON
            member: Any = self.member
            object.__setattr__(self, "member", config_cls(**member))
        if not isinstance(self.member, config_cls):
            got = type(self.member).__name__
            raise ConfigError(f"`member` must be a {config_cls.__name__}, got {got}")
        _positive_int("size", self.size, MAX_MEMBERS)
        object.__setattr__(self, "lookbacks", tuple(self.lookbacks))
        if self.lookbacks:
            self._check_lookbacks()

    def _check_lookbacks(self) -> None:
        member = self.member
        if not isinstance(member, SegmentConfig):
            raise ConfigError("per-member `lookbacks` need segment-recurrent members")
        if len(self.lookbacks) != self.size or max(self.lookbacks) != member.lookback:
            raise ConfigError(
                f"`lookbacks` must give each of the {self.size} members a lookback, the longest "
                f"equal to the member config's {member.lookback}, got {list(self.lookbacks)}"
            )
        for lb in self.lookbacks:
            replace(member, lookback=lb)  # checks each against the segment length

    def member_config(self, k: int) -> Seq2SeqConfig | SegmentConfig:
        """The config of member k (its own lookback, if any)."""
        if self.lookbacks and isinstance(self.member, SegmentConfig):
            return replace(self.member, lookback=self.lookbacks[k])
        return self.member


class Ensemble(nn.Module):
    """The mean forecast of ``size`` independently initialised members.

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
        model_cls = MEMBER_KINDS[config.member_kind][0]
        self.members = nn.ModuleList(model_cls(config.member_config(k)) for k in range(config.size))

    def _windows(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Each member's input: the last ``lookbacks[k]`` steps, or the whole window."""
        if not self.config.lookbacks:
            return [x] * self.config.size
        return [x[:, -lb:] for lb in self.config.lookbacks]

    def forward(
        self, x: torch.Tensor, state: State | None = None, future: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, None]:
        """(B, L, F) [+ future (B, H, Fc)] -> mean forecast (B, H, O[, Q]); no state."""
        if state is not None:
            raise ValueError("an ensemble forecasts from whole windows; it takes no state")
        outs = [
            member(xk, None, future)[0]
            for member, xk in zip(self.members, self._windows(x), strict=True)
        ]
        return torch.stack(outs).mean(dim=0), None  # (K, B, H, O) -> (B, H, O)

    def training_loss(self, batch: Batch, state: State | None = None) -> tuple[torch.Tensor, None]:
        if state is not None:
            raise ValueError("an ensemble forecasts from whole windows; it takes no state")
        if self.training:
            losses = [
                member.training_loss(batch._replace(x=xk))[0]  # type: ignore[operator]
                for member, xk in zip(self.members, self._windows(batch.x), strict=True)
            ]
            return torch.stack(losses).mean(), None
        pred, _ = self(batch.x, None, batch.future)
        first = self.members[0]
        if isinstance(first, SegmentRNN):  # the members' own loss, on the mean forecast
            return first.forecast_loss(pred, batch), None
        assert isinstance(self.config.member, Seq2SeqConfig)
        quantiles = self.config.member.quantiles
        if quantiles:
            levels = torch.tensor(quantiles, device=pred.device, dtype=pred.dtype)
            return pinball(pred, batch.y, levels), None
        return masked_mse(pred, batch.y, None), None
