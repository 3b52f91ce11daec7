"""Checks shared by the configs: each raises ConfigError naming the field, what was expected
and what arrived."""

from __future__ import annotations

import math

from seqlab.errors import ConfigError

__all__ = ["MAX_HORIZON", "MAX_LAYERS", "MAX_SIZE"]

# Upper bounds keep a typo or a tampered checkpoint from building a model that cannot fit
# or a loop that cannot end (num_layers 10**6 takes minutes to build, a horizon of 10**9
# decodes for hours). Far above anything trained in practice.
MAX_SIZE = 1_000_000
MAX_LAYERS = 256
MAX_HORIZON = 100_000


def _positive_int(name: str, value: object, maximum: int = MAX_SIZE) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ConfigError(f"`{name}` must be an integer from 1 to {maximum:,}, got {value!r}")


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"`{name}` must be one of {', '.join(map(repr, allowed))}, got {value!r}")


def _fraction(name: str, value: object, *, closed_right: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok:
        v = float(value)  # type: ignore[arg-type]
        ok = 0.0 <= v <= 1.0 if closed_right else 0.0 <= v < 1.0
    if not ok:
        right = "1]" if closed_right else "1)"
        raise ConfigError(f"`{name}` must be a number in [0, {right}, got {value!r}")


def _positive_float(name: str, value: object, *, allow_zero: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and not (value >= 0 if allow_zero else value > 0):  # type: ignore[operator]
        ok = False
    if not ok:
        kind = "a non-negative" if allow_zero else "a positive"
        raise ConfigError(f"`{name}` must be {kind} finite number, got {value!r}")
