"""The reference scenarios: built-in tasks that seqlab must reproduce and get right."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from seqlab.scenarios._common import Check, ScenarioResult

__all__ = ["SCENARIOS", "Check", "ScenarioResult", "format_results", "run_scenarios", "scenario"]

log = logging.getLogger(__name__)

# Scenario name -> the module that runs it (imported when run: the CLI lists the names
# without importing PyTorch). Each module's NAME is its key here.
SCENARIOS: dict[str, str] = {
    "future-predictor": "seqlab.scenarios.future_predictor",
    "series-predictor": "seqlab.scenarios.series_predictor",
    "two-bit": "seqlab.scenarios.two_bit",
    "bit-counter": "seqlab.scenarios.bit_counter",
    "real-forecasting": "seqlab.scenarios.real_forecasting",
}


def scenario(name: str) -> Callable[[Path, int], ScenarioResult]:
    """The ``run(workdir, seed)`` function of the named scenario."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    run: Callable[[Path, int], ScenarioResult] = importlib.import_module(SCENARIOS[name]).run
    return run


def run_scenarios(names: Sequence[str], out: Path, seed: int = 0) -> list[ScenarioResult]:
    """Run the named scenarios, writing their artifacts under ``out/NAME``."""
    results = []
    for name in names:
        run = scenario(name)
        workdir = out / name
        workdir.mkdir(parents=True, exist_ok=True)
        log.info("running scenario %s", name)
        results.append(run(workdir, seed))
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
