"""Scenario 5, real forecasting (Niño SST and stocks), end to end with its acceptance numbers
asserted. A file of its own: the longest scenario, so that `make test`'s two workers
(``--dist loadfile``) do not both wait on the other scenarios' file."""

from __future__ import annotations

import csv
from pathlib import Path

from seqlab.scenarios import format_results


def test_real_forecasting_sst_beats_every_baseline_at_every_step(tmp_path: Path) -> None:
    from seqlab.scenarios import real_forecasting

    result = real_forecasting.run(tmp_path)
    assert result.passed, format_results([result])  # no check failed
    steps = [k for k in result.numbers if k.startswith("SST RMSE °C (mean of 4 regions), step")]
    assert len(steps) == 12  # one check per horizon step, each asserted above
    with open(result.artifacts["sst_table"], newline="") as f:
        rows = list(csv.DictReader(f))
    methods = {r["method"] for r in rows}
    assert {"model", "naive", "seasonal naive", "climatology", "linear AR"} <= methods
    regions = {r["region"] for r in rows if r["method"] == "model"}
    assert regions == {"nino12", "nino3", "nino4", "nino34", "mean"}
    assert len(rows[0]) == 2 + 12
    stocks = [c for c in result.checks if c.quantity.startswith("stocks, 6 months")]
    assert len(stocks) == 1 and "the random walk" in stocks[0].ours
    assert (result.artifacts["stocks_run"] / "forecast.csv").is_file()
    assert (result.artifacts["sst_run"] / "forecast.png").is_file()
