"""Static covariates (issue 27 item 2): one value per series and column, numeric or
categorical, read beside every step of a global model. Here half the series follow
y_t = 0.9 y_{t-1} + e_t and half y_t = -0.9 y_{t-1} + e_t, and the window is one step
long: a model without the category cannot tell which way the next step goes; with it, it
can."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_run import TINY_FORECAST, seqlab
from seqlab import DataError, ForecastConfig, Forecaster
from seqlab.data.sources import Series
from seqlab.errors import ConfigError
from seqlab.forecasting.kinds import network_kinds
from seqlab.forecasting.static import encode_static

CONFIG = ForecastConfig.of(
    lookback=1, horizon=2, hidden_size=16, num_layers=1, dropout=0.0, epochs=25, lr=1e-2,
    patience=None, deseasonalize=False, model="seq2seq", select="model", classical=(),
    test_rows=40, val_rows=20,
)  # fmt: skip
PHI = {"pos": 0.9, "neg": -0.9}


def _series(n: int = 160) -> tuple[dict[str, Series], pd.DataFrame]:
    rng = np.random.default_rng(4)
    named, rows = {}, []
    for k in range(8):
        group = "neg" if k % 2 else "pos"
        y = np.zeros(n)
        for t in range(1, n):
            y[t] = PHI[group] * y[t - 1] + rng.normal()
        named[f"s{k}"] = Series(y[:, None].astype(np.float32), ("y",))
        rows.append({"id": f"s{k}", "group": group, "size": float(k)})
    return named, pd.DataFrame(rows)


@pytest.fixture(scope="module")
def fitted() -> tuple[Forecaster, float]:
    named, table = _series()
    config = CONFIG.replace(static_covariates=("group",))
    f = Forecaster(config).fit(named, static=table.set_index("id"))
    without = Forecaster(CONFIG).fit(named).evaluate().metrics["model"]["rmse"]
    return f, without


def test_a_static_category_lets_a_global_model_tell_the_series_apart(
    fitted: tuple[Forecaster, float], tmp_path: Path
) -> None:
    f, without = fitted
    seeing = f.evaluate().metrics["model"]["rmse"]
    assert seeing < 0.75 * without, (seeing, without)  # 1.44 against 2.41 when written
    assert f.network.config.future_size == 2  # one-hot: neg, pos
    for name in ("s0", "s1"):  # the next step follows the sign its category says
        last = f.parts[name].series.values[-1, 0]
        step = f.predict_arrays(name=name)[0][0, 0]
        assert np.sign(step) == np.sign(last) * (1 if name == "s0" else -1), (name, last, step)
    loaded = Forecaster.load(f.save(tmp_path / "f"))
    np.testing.assert_allclose(loaded.predict_arrays(name="s1")[0], f.predict_arrays(name="s1")[0])


def test_static_tables_are_checked_and_encoded() -> None:
    named, table = _series()
    config = CONFIG.replace(static_covariates=("group", "size"), epochs=1)
    with pytest.raises(DataError, match="need a table of one row per series"):
        Forecaster(config).fit(named)
    with pytest.raises(DataError, match="no static covariates for series 's7'"):
        Forecaster(config).fit(named, static=table.iloc[:7].set_index("id"))
    short = CONFIG.replace(static_covariates=("group",), epochs=1)
    by_column = Forecaster(short).fit(named, static=table, id_col="id")  # ids in a column
    assert by_column.fitted.parts["s1"].static.tolist() == [1.0, 0.0]  # one-hot: neg, pos
    with pytest.raises(DataError, match="name the columns to read with `static_covariates`"):
        Forecaster(CONFIG).fit(named, static=table.set_index("id"))
    encoded = encode_static({"a": {"g": "x", "v": 1.0}, "b": {"g": "y", "v": 3.0}}, ["a", "b"],
                            ("g", "v"))  # fmt: skip
    np.testing.assert_allclose(encoded["a"], [1.0, 0.0, -1.0])
    np.testing.assert_allclose(encoded["b"], [0.0, 1.0, 1.0])
    assert network_kinds(ForecastConfig.of(static_covariates=("g",))) == ["seq2seq"]
    with pytest.raises(ConfigError, match="`static_covariates` and `calendar`"):
        ForecastConfig.of(model="segment", static_covariates=("g",))


def test_the_command_line_reads_a_static_file(tmp_path: Path) -> None:
    named, table = _series(60)
    rows = ["id,t,y"] + [
        f"{n},{t},{v:.4f}" for n, s in named.items() for t, v in enumerate(s.values[:, 0])
    ]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    table.to_csv(tmp_path / "static.csv", index=False)
    args = ["forecast", "--data", str(tmp_path / "d.csv"), "--id-col", "id", "--horizon", "2",
            "--lookback", "2", "--model", "seq2seq", "--static-covariates", "group", "size",
            "--static", str(tmp_path / "static.csv"), "--test-rows", "4", *TINY_FORECAST,
            "--out", str(tmp_path / "run")]  # fmt: skip
    done = seqlab(*args)
    assert done.returncode == 0, done.stderr
    meta = (tmp_path / "run" / "model" / "checkpoint.json").read_text()
    assert '"static_covariates": [\n' in meta or '"static_covariates": ["group", "size"]' in meta
