from __future__ import annotations

import random

import numpy as np
import torch


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) so that CPU runs repeat exactly."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeds code that uses the legacy global RNG
    torch.manual_seed(seed)
