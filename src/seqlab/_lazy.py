"""Lazy package attributes (PEP 562): ``import seqlab`` and the CLI's ``--help`` do not pay
for importing PyTorch; a name is imported the first time it is used."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``names[attr]`` (a module path) on first use."""

    def __getattr__(attr: str) -> Any:
        module = names.get(attr)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {attr!r}")
        value = getattr(importlib.import_module(module), attr)
        importlib.import_module(package).__dict__[attr] = value  # later lookups are plain
        return value

    return __getattr__
