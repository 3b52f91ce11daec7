from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import seqlab
from seqlab import (
    CheckpointError,
    ModelConfig,
    SequenceData,
    SequenceModel,
    StandardScaler,
    TrainConfig,
    Trainer,
)

CONFIGS = [
    ModelConfig(
        cell=cell,
        head=head,
        task=task,
        hidden_size=6,
        num_layers=2,
        dropout=0.1,
        num_classes=3 if task == "classification" else None,
    )
    for cell in ("lstm", "gru")
    for head in ("per_step", "last")
    for task in ("regression", "classification")
]


def _data(config: ModelConfig, rng: np.random.Generator) -> SequenceData:
    x = rng.normal(size=(24, 5, 1)).astype(np.float32)
    per_step = config.head == "per_step"
    shape = (24, 5) if per_step else (24,)
    if config.task == "classification":
        y: np.ndarray = rng.integers(0, 3, size=shape)
    else:
        y = rng.normal(size=(*shape, 1)).astype(np.float32)
    return SequenceData.from_arrays(x, y, rng.integers(1, 6, size=24))


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.cell}-{c.head}-{c.task}")
def test_contract_fit_predict_save_load_same_predictions(
    config: ModelConfig, tmp_path: Path, rng: np.random.Generator
) -> None:
    seqlab.set_seed(0)
    model = SequenceModel(config)
    data = _data(config, rng)
    train_config = TrainConfig(epochs=2, batch_size=8, progress=False)
    history = Trainer(train_config).fit(model, data)
    scaler = StandardScaler().fit(data.x.numpy())
    path = seqlab.save(
        tmp_path / "ckpt", model, x_scaler=scaler, train_config=train_config, history=history
    )
    loaded = seqlab.load_checkpoint(path)
    assert loaded.model.config == config
    assert loaded.train_config == train_config
    assert loaded.history is not None and loaded.history.loss == history.loss
    before = seqlab.Checkpoint(model, scaler).predict(data.x, lengths=data.lengths)
    after = loaded.predict(data.x, lengths=data.lengths)
    for a, b in [(before.values, after.values), (before.probabilities, after.probabilities)]:
        if a is not None:
            np.testing.assert_array_equal(a, b)
    assert isinstance(seqlab.load(path), SequenceModel)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    seqlab.set_seed(0)
    return seqlab.save(tmp_path / "ckpt", SequenceModel(ModelConfig(hidden_size=4)))


def test_checkpoint_holds_safetensors_and_json_only(saved: Path) -> None:
    assert sorted(os.listdir(saved)) == ["checkpoint.json", "model.safetensors"]
    meta = json.loads((saved / "checkpoint.json").read_text())
    assert meta["format_version"] == seqlab.checkpoint.FORMAT_VERSION
    assert meta["seqlab_version"] == seqlab.__version__
    assert meta["model"] == {"kind": "sequence", "config": {**ModelConfig(hidden_size=4).__dict__}}
    assert b"pickle" not in (saved / "model.safetensors").read_bytes()[:200]


def test_missing_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        seqlab.load(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="not a seqlab checkpoint"):
        seqlab.load(tmp_path / "empty")


def test_truncated_weights(saved: Path) -> None:
    blob = (saved / "model.safetensors").read_bytes()
    (saved / "model.safetensors").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        seqlab.load(saved)


def test_corrupted_json(saved: Path) -> None:
    (saved / "checkpoint.json").write_text('{"format": "seqlab-checkpoint", ')
    with pytest.raises(CheckpointError, match="not valid JSON"):
        seqlab.load(saved)


def test_newer_format_version(saved: Path) -> None:
    meta = json.loads((saved / "checkpoint.json").read_text())
    meta["format_version"] = 99
    (saved / "checkpoint.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="format version 99, newer than"):
        seqlab.load(saved)


def test_weights_that_do_not_match_the_config(saved: Path) -> None:
    meta = json.loads((saved / "checkpoint.json").read_text())
    meta["model"]["config"]["hidden_size"] = 5
    (saved / "checkpoint.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="weights do not match the model config"):
        seqlab.load(saved)


def test_refuses_to_replace_something_that_is_not_a_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("precious")
    with pytest.raises(CheckpointError, match="not a seqlab checkpoint; refusing"):
        seqlab.save(tmp_path / "notes", SequenceModel(ModelConfig()))
    assert (tmp_path / "notes" / "keep.txt").read_text() == "precious"


def test_a_crash_while_saving_keeps_the_old_checkpoint(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {p.name: p.read_bytes() for p in saved.iterdir()}

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)  # fails while the new files are written
    with pytest.raises(OSError, match="disk full"):
        seqlab.save(saved, SequenceModel(ModelConfig(hidden_size=4, num_layers=2)))
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in saved.iterdir()} == before
    assert [p.name for p in saved.parent.iterdir()] == ["ckpt"]  # no temporary left behind
    seqlab.load(saved)


def test_replacing_a_checkpoint(saved: Path) -> None:
    seqlab.save(saved, SequenceModel(ModelConfig(hidden_size=4, num_layers=2)))
    assert seqlab.load(saved).config.num_layers == 2
    assert [p.name for p in saved.parent.iterdir()] == ["ckpt"]


def test_loading_on_another_device_argument(saved: Path) -> None:
    model = seqlab.load(saved, device="cpu")
    assert next(model.parameters()).device == torch.device("cpu")
    assert not model.training
