"""``SequenceModel``: recurrent backbone + per-step or last-step head.

Shape key: B batch, T time, F input features, D hidden size, O output features
(``num_classes`` logits for classification).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from seqlab.config import ModelConfig
from seqlab.losses import masked_cross_entropy, masked_mse
from seqlab.models.backbone import RecurrentBackbone
from seqlab.models.heads import LastStepHead, PerStepHead
from seqlab.models.state import State

if TYPE_CHECKING:
    from seqlab.data.batches import Batch

__all__ = ["SequenceModel"]


class SequenceModel(nn.Module):
    """Per-step (many-to-many) or last-step (many-to-one) recurrent model.

    ``forward(x, state=None, lengths=None) -> (y, state)``: ``x`` is (B, T, F), batch
    first; ``y`` is (B, T, O) for ``head="per_step"`` and (B, O) for ``head="last"``;
    the returned state is the state after each sequence's last valid step, ready to be
    passed back in to continue the sequences. Classification outputs are logits.
    """

    kind = "sequence"

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if not isinstance(config, ModelConfig):
            raise TypeError(f"expected a ModelConfig, got {type(config).__name__}")
        self.config = config
        self.backbone = RecurrentBackbone(
            config.cell, config.input_size, config.hidden_size, config.num_layers, config.dropout
        )
        head_cls = PerStepHead if config.head == "per_step" else LastStepHead
        self.head = head_cls(config.hidden_size, config.out_features, config.dropout)

    def forward(
        self, x: torch.Tensor, state: State | None = None, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, State]:
        out, state = self.backbone(x, state, lengths)  # (B, T, F) -> (B, T, D)
        y = self.head(out, lengths)  # (B, T, D) -> (B, T, O) or (B, O)
        return y, state

    def loss(
        self, pred: torch.Tensor, target: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """MSE for regression, cross-entropy for classification; padded steps ignored."""
        if self.config.task == "classification":
            return masked_cross_entropy(pred, target, lengths)
        return masked_mse(pred, target, lengths)

    def training_loss(self, batch: Batch, state: State | None = None) -> tuple[torch.Tensor, State]:
        """The Trainer's entry point: loss of one batch and the state it ends in."""
        pred, state = self(batch.x, state, batch.lengths)
        return self.loss(pred, batch.y, batch.lengths), state
