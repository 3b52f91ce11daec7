"""The reference scenarios: built-in tasks that seqlab must reproduce and get right."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from seqlab.scenarios import (
    bit_counter,
    future_predictor,
    real_forecasting,
    series_predictor,
    two_bit,
)
from seqlab.scenarios._common import Check, ScenarioResult

__all__ = ["SCENARIOS", "Check", "ScenarioResult", "format_results", "run_scenarios"]

log = logging.getLogger(__name__)

SCENARIOS: dict[str, Callable[[Path, int], ScenarioResult]] = {
    future_predictor.NAME: future_predictor.run,
    series_predictor.NAME: series_predictor.run,
    two_bit.NAME: two_bit.run,
    bit_counter.NAME: bit_counter.run,
    real_forecasting.NAME: real_forecasting.run,
}


def run_scenarios(names: Sequence[str], out: Path, seed: int = 0) -> list[ScenarioResult]:
    """Run the named scenarios, writing their artifacts under ``out/NAME``."""
    results = []
    for name in names:
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
        workdir = out / name
        workdir.mkdir(parents=True, exist_ok=True)
        log.info("running scenario %s", name)
        results.append(SCENARIOS[name](workdir, seed))
    return results


def format_results(results: Sequence[ScenarioResult]) -> str:
    """A plain-text table per scenario: quantity, ours, expected, verdict."""
    blocks = []
    for r in results:
        rows = [("quantity", "ours", "expected", "")]
        verdict = {True: "ok", False: "FAIL", None: ""}
        rows += [(c.quantity, c.ours, c.expected, verdict[c.passed]) for c in r.checks]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [f"== {r.title}  [{'PASS' if r.passed else 'FAIL'}, {r.seconds:.1f} s]"]
        for i, row in enumerate(rows):
            lines.append(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines += [f"   {kind}: {path}" for kind, path in r.artifacts.items()]
        blocks.append("\n".join(lines))
    passed = sum(r.passed for r in results)
    blocks.append(f"{passed} of {len(results)} scenarios passed")
    return "\n\n".join(blocks)
