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


# The longest files first (seconds of work: ~80, 60, 53, 27 of ~360 in all): `make test`'s two
# workers take whole files in collection order (--dist loadfile), and a long file handed out
# last leaves one worker alone on it at the end.
LONGEST_FIRST = (
    "test_scenario_real_forecasting.py",
    "test_distributed.py",
    "test_scenarios.py",
    "test_readme.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: k for k, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest as found
