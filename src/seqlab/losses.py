"""Losses that ignore padded time steps.

Shape key: B batch, T time, O output features, C classes.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = [
    "check_same_shape",
    "masked_cross_entropy",
    "masked_mse",
    "pinball",
    "step_mask",
]


def step_mask(lengths: torch.Tensor, time: int) -> torch.Tensor:
    """(B,) lengths -> (B, T) bool mask, True on valid steps."""
    steps = torch.arange(time, device=lengths.device)
    return steps[None, :] < lengths[:, None]


def check_same_shape(pred: torch.Tensor, target: torch.Tensor) -> None:
    """Refuse to broadcast: a (16, 1) prediction against a (16,) target is a bug."""
    if pred.shape != target.shape:
        raise ValueError(
            f"targets of shape {tuple(target.shape)} do not match the model's output "
            f"{tuple(pred.shape)}; targets are batch first, like the inputs"
        )


def masked_mse(
    pred: torch.Tensor, target: torch.Tensor, lengths: torch.Tensor | None
) -> torch.Tensor:
    """Mean squared error over valid steps; ``pred`` is (B, T, O) or (B, O)."""
    check_same_shape(pred, target)
    if lengths is None or pred.dim() == 2:
        return F.mse_loss(pred, target)
    mask = step_mask(lengths.to(pred.device), pred.shape[1])  # (B, T)
    return F.mse_loss(pred[mask], target[mask])  # (N_valid, O)


def masked_cross_entropy(
    logits: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor | None
) -> torch.Tensor:
    """Cross-entropy over valid steps; ``logits`` is (B, T, C) with labels (B, T), or (B, C)."""
    if labels.shape != logits.shape[:-1] or labels.dtype != torch.int64:
        raise ValueError(
            f"expected integer class labels of shape {tuple(logits.shape[:-1])}, "
            f"got {tuple(labels.shape)} of dtype {labels.dtype}"
        )
    if logits.dim() == 2:
        return F.cross_entropy(logits, labels)
    if lengths is not None:
        mask = step_mask(lengths.to(logits.device), logits.shape[1])
        return F.cross_entropy(logits[mask], labels[mask])  # (N_valid, C)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def pinball(pred: torch.Tensor, target: torch.Tensor, quantiles: torch.Tensor) -> torch.Tensor:
    """Mean pinball (quantile) loss: ``pred`` (..., Q) against ``target`` (...)."""
    check_same_shape(pred[..., 0], target)
    diff = target[..., None] - pred  # (..., Q)
    return torch.maximum(quantiles * diff, (quantiles - 1) * diff).mean()
