"""benchmarks/epf.py end to end on a small file in the EPF format written here, whose prices
follow a day-ahead covariate that the past does not predict: a forecaster that ignores the
covariate cannot match one that reads it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench_module import load_benchmark

epf = load_benchmark("epf")


def write_market(path: Path, days: int = 60, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    hours = days * 24
    stamps = pd.date_range("2020-01-06", periods=hours, freq="h")
    shape = np.tile(np.sin(2 * np.pi * np.arange(24) / 24), days)
    level = np.repeat(rng.normal(0, 3, days), 24)  # a new level each day: not in the past
    load = 1000 + 100 * shape + 100 * level + rng.normal(0, 5, hours)
    price = 30 + 5 * shape + 3 * level + rng.normal(0, 0.3, hours)
    frame = pd.DataFrame(
        {"Date": stamps, " Price": price, " Load forecast": load, " Wind": rng.normal(0, 1, hours)}
    )
    frame.to_csv(path, index=False)


def test_the_covariates_help_and_every_method_is_scored(tmp_path: Path) -> None:
    csv = tmp_path / "market.csv"
    write_market(csv)
    args = ["--csv", str(csv), "--out", str(tmp_path / "out"), "--test-days", "10"]
    args += ["--val-days", "14", "--lookbacks", "48", "--hidden-size", "16", "--epochs", "4"]
    args += ["--batch-size", "64", "--lr", "3e-3", "--lear-every", "7"]
    result = epf.main(args)
    saved = json.loads((tmp_path / "out" / "epf.json").read_text())
    assert saved["model"] == result["model"]
    assert saved["columns"] == ["Price", "Load forecast", "Wind"]  # header spaces stripped
    assert saved["test_first"] == "2020-02-25"  # 10 test days: blocks of 7 and 3 days
    for name in ("model", "no_covariates", "lear", "weekly_naive"):
        assert set(saved[name]) == {"mae", "rmae", "smape", "rmse"}
    assert saved["weekly_naive"]["rmae"] == 1.0
    # the daily level is known only through the covariate
    assert saved["model"]["mae"] < 0.7 * saved["no_covariates"]["mae"]
    assert saved["lear"]["mae"] < 0.5 * saved["weekly_naive"]["mae"]
    # recalibration: the network trains on at each block or not, as the validation days chose
    update = saved["chosen"]["model"]
    assert set(update["validation_mae_by_update_steps"]) == {"0", "20"}
    assert update["update_steps"] == min((0, 20), key=lambda s: update[
        "validation_mae_by_update_steps"][str(s)])  # fmt: skip
    # the choice is made on the recalibrated validation forecasts, by the library's rule
    scores = update["validation_mae_recalibrated"]
    assert {"model", "linear AR", "naive"} <= set(scores)
    assert scores[update["selected"]] == min(scores.values())
    ignored = saved["chosen"]["model"]["ignored"]  # the ARX reads them, the naive ones do not
    assert "linear AR" not in ignored and ignored["naive"] == ["Load forecast", "Wind"]


def test_the_weekly_naive_and_the_scores_by_hand(tmp_path: Path) -> None:
    csv = tmp_path / "market.csv"
    write_market(csv, days=21)
    market = epf.read_market(csv)
    assert market.prices.shape == (21, 24) and market.covariates.shape == (2, 21, 24)
    assert market.weekdays[0] == 0  # 2020-01-06 was a Monday
    np.testing.assert_array_equal(epf.weekly_naive(market, 14), market.prices[7:14])
    truth = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = epf.scores(truth, truth + np.array([[1.0, -1.0], [0.0, 2.0]]), naive_mae=2.0)
    assert got["mae"] == 1.0 and got["rmae"] == 0.5
    assert got["rmse"] == pytest.approx(np.sqrt(6 / 4), abs=1e-4)
    assert got["smape"] == pytest.approx(100 * np.mean([2 / 3, 2 / 3, 0, 4 / 10]), abs=1e-3)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (lambda f: f.drop(index=5), "hourly rows without gaps"),
        (lambda f: f.iloc[3:], "whole days"),
        (lambda f: f.iloc[:, :1], "a timestamp column, a price column"),
    ],
)
def test_a_file_of_another_shape_is_refused_in_one_line(
    tmp_path: Path, rows: object, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "market.csv"
    write_market(csv, days=21)
    frame = pd.read_csv(csv)
    rows(frame).to_csv(csv, index=False)  # type: ignore[operator]
    with pytest.raises(SystemExit) as exc:
        epf.main(["--csv", str(csv), "--out", str(tmp_path / "out")])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--update-every", "0"], "--update-every must be at least 1, got 0"),
        (["--update-steps", "-1"], "--update-steps must be at least 0, got -1"),
        (["--val-days", "0"], "--val-days must be at least 1, got 0"),
    ],
)
def test_a_schedule_that_cannot_run_is_refused_in_one_line(
    tmp_path: Path, flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "market.csv"
    write_market(csv, days=21)
    with pytest.raises(SystemExit) as exc:
        epf.main(["--csv", str(csv), "--out", str(tmp_path / "out"), *flags])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
