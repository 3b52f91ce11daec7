"""Output heads over the backbone's (B, T, D) output.

Shape key: B batch, T time, D hidden size, O output features (or class logits).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["LastStepHead", "PerStepHead"]


class PerStepHead(nn.Module):
    """One Linear applied to every time step (Keras' TimeDistributed(Dense))."""

    def __init__(self, hidden_size: int, out_features: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(hidden_size, out_features)

    def forward(self, out: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        y: torch.Tensor = self.linear(self.dropout(out))  # (B, T, D) -> (B, T, O)
        return y


class LastStepHead(nn.Module):
    """A Linear on the last valid step of each sequence (many-to-one)."""

    def __init__(self, hidden_size: int, out_features: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(hidden_size, out_features)

    def forward(self, out: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if lengths is None:
            last = out[:, -1]  # (B, T, D) -> (B, D)
        else:
            index = torch.arange(out.shape[0], device=out.device)
            last = out[index, lengths.to(out.device) - 1]  # (B, T, D) -> (B, D)
        y: torch.Tensor = self.linear(self.dropout(last))  # (B, D) -> (B, O)
        return y
