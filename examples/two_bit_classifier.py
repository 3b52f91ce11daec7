"""Scenario 3 — two-bit classifier trained statefully on consecutive chunks.

Run: python examples/two_bit_classifier.py [OUT_DIR]   (the same as: seqlab scenarios two-bit)
"""

from __future__ import annotations

import sys
from pathlib import Path

from seqlab.scenarios import format_results, two_bit

if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/examples/two_bit_classifier")
    out.mkdir(parents=True, exist_ok=True)
    result = two_bit.run(out)
    print(format_results([result]))
    sys.exit(0 if result.passed else 1)
