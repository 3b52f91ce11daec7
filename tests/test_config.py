from __future__ import annotations

from pathlib import Path

import pytest

from seqlab import ConfigError, ModelConfig, TrainConfig, load_run_config


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cell": "rnn"}, "`cell` must be one of 'lstm', 'gru', got 'rnn'"),
        ({"hidden_size": 0}, "`hidden_size` must be an integer from 1 to 1,000,000, got 0"),
        ({"num_layers": 1.5}, "`num_layers` must be an integer from 1 to 256, got 1.5"),
        ({"num_layers": 10**6}, "`num_layers` must be an integer from 1 to 256, got 1000000"),
        ({"hidden_size": 10**9}, "`hidden_size` must be an integer from 1 to 1,000,000"),
        ({"dropout": 1.0}, "`dropout` must be a number in [0, 1), got 1.0"),
        ({"head": "first"}, "`head` must be one of 'per_step', 'last'"),
        ({"task": "classification"}, "`num_classes` is required"),
        ({"task": "classification", "num_classes": 1}, "at least 2"),
        ({"num_classes": 3}, "only used when task='classification'"),
    ],
)
def test_model_config_rejects_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        ModelConfig(**kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_configs_are_frozen() -> None:
    config = ModelConfig()
    with pytest.raises(AttributeError):
        config.hidden_size = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 0}, "`lr` must be a positive finite number"),
        ({"clip_grad_norm": -1.0}, "`clip_grad_norm`"),
        ({"val_fraction": 1.0}, "`val_fraction`"),
        ({"device": "tpu"}, "`device` must be"),
        ({"schedule": "step"}, "`schedule` must be one of"),
    ],
)
def test_train_config_rejects_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**kwargs)  # type: ignore[arg-type]


def test_toml_unknown_key_suggests_closest(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('[data]\ntask = "bit-sum"\n[model]\nhiden_size = 8\n')
    with pytest.raises(
        ConfigError, match=r"unknown key `hiden_size` in \[model\]; did you mean `hidden_size`\?"
    ):
        load_run_config(path)


def test_toml_unknown_section_and_missing_data(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('[dat]\ntask = "bit-sum"\n')
    with pytest.raises(ConfigError, match=r"unknown section \[dat\].*did you mean \[data\]"):
        load_run_config(path)
    path.write_text("[model]\nhidden_size = 8\n")
    with pytest.raises(ConfigError, match=r"no \[data\] section"):
        load_run_config(path)


def test_toml_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text(
        '[data]\ntask = "bit-running-sum"\nlength = 8\n'
        '[model]\ncell = "gru"\nhidden_size = 8\n'
        "[train]\nepochs = 2\n"
        '[output]\nrun_dir = "out/m"\n'
    )
    config = load_run_config(path)
    assert config.model == ModelConfig(cell="gru", hidden_size=8)
    assert config.train.epochs == 2
    assert config.data.length == 8
    assert config.run_dir == "out/m"
    assert config.to_dict()["model"]["cell"] == "gru"
