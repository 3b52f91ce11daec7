"""Recurrent state: passed into ``forward`` and returned, never kept on the module.

An LSTM's state is the pair ``(h, c)``, a GRU's is ``h``; each tensor is
(num_layers, B, D), as in ``torch.nn.LSTM`` / ``torch.nn.GRU``.
"""

from __future__ import annotations

from typing import TypeAlias

import torch

State: TypeAlias = torch.Tensor | tuple[torch.Tensor, torch.Tensor]

__all__ = ["State", "detach_state", "state_batch_size", "state_tensors"]


def state_tensors(state: State) -> tuple[torch.Tensor, ...]:
    """The tensors of a state: ``(h, c)`` for an LSTM, ``(h,)`` for a GRU."""
    return tuple(state) if isinstance(state, tuple) else (state,)


def detach_state(state: State) -> State:
    """Cut the autograd graph behind a state (truncated backpropagation through time)."""
    if isinstance(state, tuple):
        return (state[0].detach(), state[1].detach())
    return state.detach()


def state_batch_size(state: State) -> int:
    return int(state_tensors(state)[0].shape[1])
