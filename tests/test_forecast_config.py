"""One configuration for TOML, the command line and Python (issue 25 item 5): ForecastConfig
is five sections (split, network, training — the Trainer's own TrainConfig —, selection,
intervals); every setting has a flat name, a help text and a flag whose default is the field's own;
`seqlab forecast --print-config` writes the complete settings, and `--config` with that file
reproduces the run; flags given override the file; a wrong key names the closest."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from cli_run import seqlab
from seqlab.cli import build_parser
from seqlab.config import TrainConfig
from seqlab.errors import ConfigError
from seqlab.forecasting import ForecastConfig
from seqlab.forecasting.config import (
    FIELDS,
    FORECAST_TRAINING,
    IntervalConfig,
    NetworkConfig,
    SplitConfig,
    flat_settings,
)
from seqlab.forecasting.options import check_fields_are_described, read_toml

RUN = ("--data", "airline", "--horizon", "6", "--lookback", "12", "--hidden-size", "4",
       "--num-layers", "1", "--epochs", "2", "--classical", "--quiet")  # fmt: skip


def test_every_field_has_a_section_help_and_a_flag() -> None:
    assert check_fields_are_described() == []
    forecast = build_parser()._subparsers._group_actions[0].choices["forecast"]  # type: ignore[union-attr]
    flags = {o for a in forecast._actions for o in a.option_strings}
    for name in FIELDS:
        if name not in ("lookbacks", "progress"):  # --lookback L ...; --quiet
            assert "--" + name.replace("_", "-") in flags, name
    assert {"--dropout", "--weight-decay", "--val-fraction", "--period", "--nonnegative",
            "--observed-floor", "--lookback-trial-epochs", "--test-fraction", "--clip-grad-norm",
            "--schedule", "--device"} <= flags  # fmt: skip
    # the training flags are TrainConfig's fields, less the two a forecast does not take
    taken = {f.name for f in dataclasses.fields(TrainConfig)} - {"val_fraction", "checkpoint_every"}
    assert taken == {name for name, (section, _) in FIELDS.items() if section == "training"}


def test_sections_flat_names_and_their_json_form() -> None:
    config = ForecastConfig.of(horizon=6, hidden_size=8, epochs=3, intervals=[0.95, 0.8])
    assert config == ForecastConfig(
        split=SplitConfig(horizon=6),
        network=NetworkConfig(hidden_size=8),
        training=dataclasses.replace(FORECAST_TRAINING, epochs=3),
        intervals=IntervalConfig(levels=(0.8, 0.95)),
    )
    assert config.value("intervals") == (0.8, 0.95) and config.value("lr") == 3e-3
    assert config.training.epochs == 3 and config.replace(epochs=5).training.epochs == 5
    assert config.train_config(7, validation=False) == dataclasses.replace(
        config.training, seed=7, patience=None
    )
    assert ForecastConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    # a flat mapping (checkpoints written before the sections) reads by flat names
    flat = flat_settings(config.to_dict())
    assert flat["hidden_size"] == 8 and flat["interval_method"] == "adaptive"
    assert ForecastConfig.from_dict(flat) == config
    with pytest.raises(TypeError, match="did you mean `hidden_size`"):
        ForecastConfig.of(hiden_size=8)
    with pytest.raises(TypeError, match="`split` must be a SplitConfig"):
        ForecastConfig(split={"horizon": 6})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"`training.val_fraction` is not used"):
        ForecastConfig(training=TrainConfig(val_fraction=0.2))
    with pytest.raises(ConfigError, match="`horizon` must be an integer"):
        ForecastConfig.of(horizon=0)


def test_print_config_then_config_reproduces_the_run(tmp_path: Path) -> None:
    printed = seqlab("forecast", *RUN, "--dropout", "0.0", "--patience", "none", "--print-config")
    assert printed.returncode == 0, printed.stderr
    (tmp_path / "run.toml").write_text(printed.stdout)
    values, data = read_toml(tmp_path / "run.toml")
    assert data == {"data": "airline"} and values["patience"] is None
    assert ForecastConfig.of(**values) == ForecastConfig.of(
        horizon=6, lookback=12, hidden_size=4, num_layers=1, epochs=2, classical=(),
        dropout=0.0, patience=None, progress=False,
    )  # fmt: skip
    first = seqlab("forecast", *RUN, "--dropout", "0.0", "--patience", "none",
                   "--out", str(tmp_path / "a"))  # fmt: skip
    again = seqlab("forecast", "--config", str(tmp_path / "run.toml"), "--out", str(tmp_path / "b"))
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    a, b = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in "ab")
    a.pop("run"), b.pop("run")  # the command line and the folder differ, nothing else
    assert a == b
    assert (tmp_path / "a" / "forecast.csv").read_text() == (
        tmp_path / "b" / "forecast.csv"
    ).read_text()


def test_flags_given_override_the_file_and_wrong_keys_name_the_closest(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('[data]\ndata = "airline"\n[network]\nhidden_size = 4\n[split]\nhorizon = 3\n')
    done = seqlab("forecast", "--config", str(path), "--horizon", "5", "--print-config")
    values, data = read_toml(_write(tmp_path / "out.toml", done.stdout))
    assert (values["horizon"], values["hidden_size"], data["data"]) == (5, 4, "airline")
    for text, message in [
        ("[network]\nhiden_size = 4\n", "unknown key `hiden_size` in [network]"),
        ("[network]\nepochs = 4\n", "it belongs in [training]"),
        ("[netwrok]\n", "did you mean [network]?"),
    ]:
        path.write_text(text)
        done = seqlab("forecast", "--config", str(path))
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    done = seqlab("forecast", "--deseasonalize", "maybe", "--print-config")
    assert done.returncode == 2 and "expected auto, on or off" in done.stderr


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(("value", "parsed"), [("on", True), ("no", False), ("auto", "auto")])
def test_tri_state_flags_take_on_off_yes_no_auto(
    value: str, parsed: object, tmp_path: Path
) -> None:
    done = seqlab("forecast", "--observed-floor", value, "--print-config")
    values, _ = read_toml(_write(tmp_path / "c.toml", done.stdout))
    assert values["observed_floor"] == parsed


def test_a_checkpoint_written_before_the_sections_loads_the_same(tmp_path: Path) -> None:
    from seqlab import Forecaster, load_dataset

    config = ForecastConfig.of(lookback=12, horizon=3, hidden_size=4, num_layers=1, epochs=1,
                               model="seq2seq", select="model", classical=())  # fmt: skip
    series = load_dataset("airline")
    forecaster = Forecaster(config).fit(series)
    forecaster.save(tmp_path / "f")
    meta = json.loads((tmp_path / "f" / "checkpoint.json").read_text())
    assert set(meta["data"]["forecast_config"]) == {
        "split", "network", "training", "selection", "intervals"
    }  # fmt: skip
    # the flat form that checkpoints held before (every setting by its flat name)
    meta["data"]["forecast_config"] = flat_settings(meta["data"]["forecast_config"])
    assert meta["data"]["forecast_config"]["hidden_size"] == 4
    (tmp_path / "f" / "checkpoint.json").write_text(json.dumps(meta))
    loaded = Forecaster.load(tmp_path / "f")
    assert loaded.config == config
    assert loaded.predict(series).equals(forecaster.predict(series))
