"""benchmarks/ett.py: the candidates it trains, the mean of the best k chosen on validation,
and a whole (tiny) run on an ETT-format file written here: the primary row is the lowest
validation MSE among the main model's candidates and their means, marked before the test rows
are scored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench_module import load_benchmark


def test_ensembles_score_the_mean_of_the_best_k() -> None:
    ett = load_benchmark("ett")
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(50, 4, 2))
    noise = [rng.normal(scale=s, size=truth.shape) for s in (0.5, 0.6, 2.0)]
    ranked = [truth + n for n in noise]
    got = ett.ensembles(ranked, truth)
    want = [float(np.mean((np.mean(ranked[:k], axis=0) - truth) ** 2)) for k in (1, 2, 3)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # independent errors: two similar members average to less, a far worse third hurts
    assert got[1] < got[0] < got[2]


def test_candidates_cross_segments_skip_and_losses() -> None:
    ett = load_benchmark("ett")
    args = ett.argparse.Namespace(segments=[24, 48, 50], losses=["mse", "mae"], freq="h",
                                  repeat_skip="auto")  # fmt: skip
    cands = ett.candidates("segment", 96, args)
    names = [c.name("segment", 2) for c in cands]
    # 50 does not divide 96; a day-long segment is tried with and without the repeat skip
    assert names == [
        "segment-w24-mse", "segment-w24-mae", "segment-w24+skip-mse", "segment-w24+skip-mae",
        "segment-w48-mse", "segment-w48-mae",
    ]  # fmt: skip
    assert [c.name("nlinear", 2) for c in ett.candidates("nlinear", 96, args)] == ["nlinear"]
    one = ett.argparse.Namespace(segments=[48], losses=["mse"], freq="h", repeat_skip="off")
    assert [c.name("segment", 1) for c in ett.candidates("segment", 96, one)] == ["segment-w48"]


def test_a_tiny_run_marks_the_best_validation_row_primary(tmp_path: Path) -> None:
    ett = load_benchmark("ett")
    t = np.arange(14400)
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2016-07-01", periods=len(t), freq="h").astype(str),
            "A": np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.1, len(t)),
            "OT": np.cos(2 * np.pi * t / 24) + 0.001 * t + rng.normal(0, 0.1, len(t)),
        }
    )
    csv = tmp_path / "ETTtiny.csv"
    frame.to_csv(csv, index=False)
    result: dict[str, Any] = ett.main(
        ["--csv", str(csv), "--features", "M", "--lookback", "48", "--horizons", "24",
         "--segments", "24", "--repeat-skip", "off", "--hidden-size", "8", "--epochs", "1",
         "--batch-size", "512", "--model", "segment", "nlinear", "--out", str(tmp_path / "out")]
    )  # fmt: skip
    rows = result["rows"]
    assert (tmp_path / "out" / "ett.json").is_file()
    assert [r["model"] for r in rows] == [
        "segment-w24-mse", "segment-w24-mae", "nlinear", "segment-mean2"
    ]  # fmt: skip
    main = [r for r in rows if r["kind"] == "segment"]
    primary = [r for r in rows if r["primary"]]
    assert primary == [min(main, key=lambda r: r["val_mse"])]
    mean2 = rows[-1]
    assert sorted(mean2["members"]) == ["segment-w24-mae", "segment-w24-mse"]
    for r in rows:
        assert r["mse"] > 0 and r["mae"] > 0 and np.isfinite(r["val_mse"])
    assert result["mean_primary_mse"] == primary[0]["mse"]
