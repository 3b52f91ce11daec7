"""The M4 competition's scoring: Naive2 (seasonality test, classical multiplicative
decomposition), sMAPE, MASE and OWA against hand computations, and benchmarks/m4.py end to end
on small M4-format files written here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench_module import load_benchmark
from seqlab.baselines import naive2, seasonal_indices, seasonality_test
from seqlab.metrics import mase, owa, smape


def test_seasonality_test_against_the_formula() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(96)
    seasonal = 10 + np.sin(2 * np.pi * t / 4) + rng.normal(0, 0.1, 96)
    noise = rng.normal(0, 1, 96)
    assert seasonality_test(seasonal, 4)
    assert not seasonality_test(noise, 4)
    # the limit by hand for the noise: 1.645 * sqrt((1 + 2 (r1² + r2² + r3²)) / n)
    d = noise - noise.mean()
    r = [float(d[k:] @ d[:-k] / (d @ d)) for k in (1, 2, 3, 4)]
    limit = 1.645 * np.sqrt((1 + 2 * (r[0] ** 2 + r[1] ** 2 + r[2] ** 2)) / 96)
    assert (abs(r[3]) > limit) == seasonality_test(noise, 4)
    assert not seasonality_test(seasonal[:10], 4)  # too short to tell


def test_seasonal_indices_of_a_pure_multiplicative_series() -> None:
    pattern = np.array([0.5, 1.0, 1.5, 1.0])
    x = 40 * np.tile(pattern, 6)  # flat trend: the ratios are the pattern itself
    np.testing.assert_allclose(seasonal_indices(x, 4), pattern, rtol=1e-12)
    # aligned with the first value: start one step later, the indices rotate
    np.testing.assert_allclose(seasonal_indices(x[1:], 4), np.roll(pattern, -1), rtol=1e-12)
    odd = 10 * np.tile([0.8, 1.0, 1.2], 5)
    np.testing.assert_allclose(seasonal_indices(odd, 3), [0.8, 1.0, 1.2], rtol=1e-12)


def test_naive2_forecasts() -> None:
    pattern = np.array([0.5, 1.0, 1.5, 1.0])
    x = 40 * np.tile(pattern, 6)[:-1]  # ends on the third season position (1.5)
    # seasonal: last value / its index, repeated, times the next indices
    np.testing.assert_allclose(naive2(x, 6, 4), 40 * np.array([1.0, 0.5, 1.0, 1.5, 1.0, 0.5]))
    flat = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    np.testing.assert_allclose(naive2(flat, 3, 4), [6.0, 6.0, 6.0])  # too short: plain naive
    np.testing.assert_allclose(naive2(flat, 2, 1), [6.0, 6.0])


def test_metrics_by_hand() -> None:
    y, f = np.array([100.0, 200.0]), np.array([110.0, 180.0])
    assert smape(y, f) == pytest.approx(100 * (20 / 210 + 40 / 380) / 2)
    train = np.array([1.0, 2.0, 4.0, 3.0, 5.0])
    # in-sample seasonal naive MAE with m = 2: |4-1|, |3-2|, |5-4| -> 5/3
    assert mase(y, f, train, 2) == pytest.approx(15 / (5 / 3))
    assert owa(9.0, 1.2, 18.0, 2.4) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="positive Naive2"):
        owa(1.0, 1.0, 0.0, 1.0)


def _write_m4(tmp_path: Path, horizon: int, season: int) -> tuple[Path, Path]:
    """M4 wide files: a header, then id and values padded with empty cells."""
    rng = np.random.default_rng(0)
    lengths = [60, 72, 72, 48, 20, 5]  # 20: shorter than every lookback; 5: < H + 1
    rows_train, rows_test = [], []
    for k, n in enumerate(lengths):
        t = np.arange(n + horizon)
        level = 50 + 10 * k
        y = level + 5 * np.sin(2 * np.pi * t / max(season, 2)) + rng.normal(0, 0.5, t.size)
        rows_train.append([f"S{k}", *[f"{v:.3f}" for v in y[:n]], *[""] * (72 - n)])
        rows_test.append([f"S{k}", *[f"{v:.3f}" for v in y[n:]]])
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text(
        ",".join(f'"V{i}"' for i in range(1, 74))
        + "\n"
        + "\n".join(
            ",".join(f'"{c}"' if i == 0 else c for i, c in enumerate(r)) for r in rows_train
        )
        + "\n"
    )
    test.write_text(
        ",".join(f'"V{i}"' for i in range(1, horizon + 2))
        + "\n"
        + "\n".join(",".join(r) for r in rows_test)
        + "\n"
    )
    return train, test


@pytest.mark.parametrize(("horizon", "season"), [(6, 4), (5, 1)])
def test_benchmark_script_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], horizon: int, season: int
) -> None:
    train, test = _write_m4(tmp_path, horizon, season)
    bench = load_benchmark("m4")
    out = tmp_path / "out"
    argv = [
        "--train", str(train), "--test", str(test), "--horizon", str(horizon),
        "--season", str(season), "--out", str(out),
        "--hidden-size", "8", "--epochs", "2", "--batch-size", "16", "--lookbacks", "24", "32",
    ]  # fmt: skip
    if season > 1:  # the MSTL peer, timed in the same run
        argv += ["--mstl", str(season)]
    results = bench.main(argv)
    saved = json.loads((out / "m4.json").read_text())
    assert saved == json.loads(json.dumps(results))
    for name in ("model", "naive2", "snaive"):
        assert set(saved[name]) == {"smape", "mase", "owa"}
    assert saved["naive2"]["owa"] == pytest.approx(1.0)
    assert saved["naive2_fallback_series"] == 1  # the 5-value series only
    assert saved["series"] == 6 and saved["lookback"] in saved["lookbacks_tried"]
    assert saved["lookback"] > 20  # the 20-value series was forecast from a padded window
    rows = {r.split(",")[0]: r for r in (out / "per_series.csv").read_text().splitlines()}
    network, fallback = rows["S4"].split(",")[3:5], rows["S5"].split(",")[3:5]
    assert network != rows["S4"].split(",")[5:7]  # the network's, not Naive2's
    assert fallback == rows["S5"].split(",")[5:7]  # Naive2's
    assert saved["selection"]["chosen"] in {"model", *saved["selection"]["scores"]}
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"OWA {saved['model']['owa']:.3f}"
    # scores are the competition's: recompute Naive2's sMAPE from the files
    rows = [r.split(",") for r in train.read_text().splitlines()[1:]]
    tests = [r.split(",") for r in test.read_text().splitlines()[1:]]
    s = [
        smape(
            np.array(b[1:], float),
            naive2(np.array([v for v in a[1:] if v], float), horizon, season),
        )
        for a, b in zip(rows, tests, strict=True)
    ]
    assert saved["naive2"]["smape"] == pytest.approx(np.mean(s))
    if season > 1:  # statsforecast's own MSTL on each whole training series
        from statsforecast.models import MSTL

        assert isinstance(saved["mstl_seconds"], float)  # rounded: tiny here
        a, b = rows[0], tests[0]
        y = np.array([v for v in a[1:] if v], float)
        want = MSTL(season_length=[season]).forecast(y=y, h=horizon)["mean"]
        per = {
            r.split(",")[0]: r.split(",") for r in (out / "per_series.csv").read_text().splitlines()
        }
        column = per["series"].index("mstl_smape")
        assert float(per[a[0].strip('"')][column]) == pytest.approx(
            smape(np.array(b[1:], float), want), abs=1e-4
        )
    else:
        assert saved["mstl_seconds"] is None and "mstl" not in saved
