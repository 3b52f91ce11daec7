"""Sharp edges a new user meets first (issue 16): a misspelt data set, a test start outside
the data, quantiles without the flag they need, class labels that are not classes."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_run import seqlab
from seqlab import DataError, ForecastConfig, Forecaster, load_dataset
from seqlab.errors import ConfigError


def test_a_misspelt_data_set_gets_the_closest_name() -> None:
    done = seqlab("forecast", "--data", "airlin", "--quiet")
    assert done.returncode == 2
    assert "no data file or built-in data set named 'airlin'; did you mean 'airline'?" in (
        done.stderr
    )


def test_a_test_start_outside_the_data_says_where_the_data_runs() -> None:
    config = ForecastConfig.of(test_start="1990-01", epochs=1)
    with pytest.raises(DataError, match="runs from 1949-01-01 to 1960-12-01"):
        Forecaster(config).fit(load_dataset("airline"))
    with pytest.raises(DataError, match="`test_start` 'soon' is not a date"):
        Forecaster(ForecastConfig.of(test_start="soon", epochs=1)).fit(load_dataset("airline"))


def test_quantiles_name_the_flag_and_auto_picks_the_direct_head() -> None:
    with pytest.raises(ConfigError, match=r"need the direct head \(`model` direct, or auto\)"):
        ForecastConfig.of(model="seq2seq", quantiles=(0.1, 0.5, 0.9))
    config = ForecastConfig.of(
        quantiles=(0.1, 0.5, 0.9), lookback=24, horizon=6, hidden_size=4, num_layers=1, epochs=1
    )
    assert config.model_config().mode == "direct"
    forecaster = Forecaster(config).fit(load_dataset("airline"))
    assert forecaster.predict_quantiles().shape == (6, 1, 3)
    assert forecaster.fitted.selection.networks.keys() == {"direct"}


@pytest.mark.parametrize(("label", "shown"), [("3", "'3'"), ("0.5", "'0.5'"), ("-1", "'-1'")])
def test_class_labels_outside_the_classes_name_the_row(
    tmp_path: Path, label: str, shown: str
) -> None:
    rows = ["sequence,x,y", "a,0,0", "a,1,1", f"a,1,{label}", "b,0,2"]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "run.toml").write_text(
        '[data]\ncsv = "train.csv"\ninputs = ["x"]\ntargets = ["y"]\n'
        '[model]\ntask = "classification"\nnum_classes = 3\nhidden_size = 4\n'
        "[train]\nepochs = 1\nprogress = false\n"
        f'[output]\nrun_dir = "{tmp_path / "run"}"\n'
    )
    done = seqlab("train", "--config", str(tmp_path / "run.toml"))
    assert done.returncode == 2
    assert f"row 4: column 'y' holds {shown}; class labels must be integers from 0 to 2" in (
        done.stderr
    )


def test_log_is_undone_before_anything_is_written(tmp_path: Path) -> None:
    """Issue 16: --log wrote forecast.csv in log units under the original column name."""
    import json

    import numpy as np

    out = tmp_path / "run"
    done = seqlab(
        "forecast", "--data", "airline", "--log", "--horizon", "6", "--lookback", "24",
        "--intervals", "0.8", "--hidden-size", "4", "--num-layers", "1", "--epochs", "2",
        "--quiet", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = (out / "forecast.csv").read_text().splitlines()
    assert rows[0] == "series,time,Passengers,Passengers_lo80,Passengers_hi80"
    values = np.array([[float(v) for v in r.split(",")[2:]] for r in rows[1:]])
    assert (values > 100).all() and (values < 2000).all()  # passengers, not log passengers
    assert (values[:, 1] <= values[:, 0]).all() and (values[:, 0] <= values[:, 2]).all()
    truth = [
        float(r.split(",")[5]) for r in (out / "test_windows.csv").read_text().splitlines()[1:]
    ]
    assert min(truth) > 100  # the test windows too
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["metrics"]["naive"]["rmse"] > 10  # errors in passengers
    loaded = Forecaster.load(out / "model")
    np.testing.assert_allclose(loaded.predict_arrays()[0][:, 0], values[:, 0], rtol=1e-4)
    again, _ = loaded.predict_arrays(load_dataset("airline"))  # new data in its own units
    np.testing.assert_allclose(again[:, 0], values[:, 0], rtol=1e-4)


def test_threads_flag_sets_pytorchs_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from seqlab import _threads, set_threads

    # the count stated here must not outlive the test: the rest of this pytest worker would
    # run every fit on every core beside the other worker
    monkeypatch.setattr(_threads, "_explicit", _threads._explicit)
    before = torch.get_num_threads()
    try:
        done = seqlab("--threads", "1", "datasets")
        assert done.returncode == 0 and torch.get_num_threads() == 1
        assert set_threads() >= 1
        with pytest.raises(ValueError, match="`threads` must be a positive integer, got 0"):
            set_threads(0)
    finally:
        torch.set_num_threads(before)
