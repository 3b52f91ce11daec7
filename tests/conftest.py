from __future__ import annotations

import os

import numpy as np
import pytest
import torch

# Two threads in all, whatever the machine, so that results do not move with its core count:
# one per worker when pytest-xdist runs two (as `make test` does), two in a plain run. The
# processes a test starts get the same count (OMP_NUM_THREADS), so that a run in this process
# and one in a child give the same weights, and two workers' children do not overload 2 cores.
THREADS = max(1, 2 // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
os.environ["OMP_NUM_THREADS"] = str(THREADS)
torch.set_num_threads(THREADS)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
