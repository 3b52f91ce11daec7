"""Scenario 1 — future predictor: an encoder–decoder LSTM reads i*t^2 + j at t = 0..3 and
predicts t = 4..7; with --compare, trains every decoder mode and regime side by side.

Run: python examples/future_predictor.py [OUT_DIR] [--compare]
(the same as: seqlab scenarios future-predictor)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from seqlab.scenarios import format_results, future_predictor

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default="runs/examples/future_predictor")
    parser.add_argument("--compare", action="store_true", help="train and compare every variant")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.compare:
        print("| variant | WAPE | mean |e|/|true| | max abs error | train s |")
        print("|---|---|---|---|---|")
        for r in future_predictor.compare(out):
            print(
                f"| {r['variant']} | {r['wape']:.3%} | {r['mean_relative']:.3%} "
                f"| {r['max_abs']:.2f} | {r['train_s']:.0f} |"
            )
    else:
        result = future_predictor.run(out)
        print(format_results([result]))
        raise SystemExit(0 if result.passed else 1)
