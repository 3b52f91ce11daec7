"""What a reference scenario returns: checks of ours against the expected values."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Check", "ScenarioResult"]


@dataclass(frozen=True)
class Check:
    """One line of a scenario's table. ``passed`` is None for a number only reported."""

    quantity: str
    ours: str
    expected: str
    passed: bool | None = None


@dataclass
class ScenarioResult:
    name: str
    title: str
    checks: list[Check] = field(default_factory=list)
    artifacts: dict[str, Path] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def check(
        self, quantity: str, ours: float, expected: str, passed: bool | None, fmt: str = ".4g"
    ) -> None:
        self.numbers[quantity] = float(ours)
        self.checks.append(Check(quantity, format(ours, fmt), expected, passed))

    def report(self, quantity: str, ours: str, expected: str = "") -> None:
        self.checks.append(Check(quantity, ours, expected, None))

    @property
    def passed(self) -> bool:
        return all(c.passed is not False for c in self.checks)


def fmt_seq(values: object) -> str:
    """[1.01, 2.98, ...] with two decimals."""
    return "[" + ", ".join(f"{float(v):.2f}" for v in values) + "]"  # type: ignore[attr-defined]
