"""Scenario 2 — series predictor: train, save, reload in a new process, test.

Run: python examples/series_predictor.py [OUT_DIR]
(the same as: seqlab scenarios series-predictor)
"""

from __future__ import annotations

import sys
from pathlib import Path

from seqlab.scenarios import format_results, series_predictor

if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/examples/series_predictor")
    out.mkdir(parents=True, exist_ok=True)
    result = series_predictor.run(out)
    print(format_results([result]))
    sys.exit(0 if result.passed else 1)
