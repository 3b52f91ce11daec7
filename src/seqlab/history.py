"""A training run's record: one dict of numbers per epoch (stored in checkpoints as JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["History"]


@dataclass
class History:
    """One dict per epoch (``epoch``, ``loss``, ``lr``, maybe ``val_loss``)."""

    epochs: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int | None = None

    @property
    def loss(self) -> list[float]:
        return [e["loss"] for e in self.epochs]

    @property
    def val_loss(self) -> list[float]:
        return [e["val_loss"] for e in self.epochs if "val_loss" in e]

    @property
    def kept_epochs(self) -> int:
        """How many epochs early stopping kept (all of them without it)."""
        best = self.best_epoch
        return 1 + (best if best is not None and best >= 0 else len(self.epochs) - 1)

    def then(self, after: History) -> History:
        """One history of training that went on from this one with ``after``."""
        offset = len(self.epochs)
        epochs = [*self.epochs, *({**e, "epoch": e["epoch"] + offset} for e in after.epochs)]
        best = after.best_epoch
        if best is not None and best >= 0:
            best += offset
        return History(epochs, best)

    def to_dict(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "best_epoch": self.best_epoch}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls(list(d.get("epochs", [])), d.get("best_epoch"))
