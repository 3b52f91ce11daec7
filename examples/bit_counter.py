"""Scenario 4 — bit counter: sum, running sum, length sweep (CSV + PNG), continuation.

Run: python examples/bit_counter.py [OUT_DIR]   (the same as: seqlab scenarios bit-counter)
"""

from __future__ import annotations

import sys
from pathlib import Path

from seqlab.scenarios import bit_counter, format_results

if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/examples/bit_counter")
    out.mkdir(parents=True, exist_ok=True)
    result = bit_counter.run(out)
    print(format_results([result]))
    sys.exit(0 if result.passed else 1)
