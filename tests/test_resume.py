"""Crashes and resume: training state written atomically, resumed bitwise on the CPU."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import seqlab
from seqlab import (
    Callback,
    ModelConfig,
    SequenceData,
    SequenceModel,
    TrainConfig,
    Trainer,
    TrainingDiverged,
)
from seqlab.cli import main
from seqlab.data.tasks import bit_sequences

CONFIG = TrainConfig(
    epochs=6,
    batch_size=16,
    lr=1e-2,
    val_fraction=0.25,
    patience=4,
    schedule="cosine",
    progress=False,
)


def _data() -> SequenceData:
    d = bit_sequences(96, 8, np.random.default_rng(0), per_step=True)
    return SequenceData.from_arrays(d.x, d.y / 8.0)


def _model() -> SequenceModel:
    seqlab.set_seed(3)
    return SequenceModel(ModelConfig(hidden_size=8, num_layers=2, dropout=0.2))


class Crash(Callback):
    """Stands in for a kill: raises in the middle of ``epoch``."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch
        self.batches = 0

    def on_epoch_start(self, trainer: Trainer, model: torch.nn.Module, epoch: int) -> None:
        self.current = epoch

    def on_batch_end(
        self, trainer: Trainer, model: torch.nn.Module, logs: dict[str, float]
    ) -> None:
        self.batches += 1
        if self.current == self.epoch and self.batches % 3 == 0:
            raise KeyboardInterrupt("simulated crash")


def test_resume_ends_with_bitwise_the_same_weights(tmp_path: Path) -> None:
    whole = _model()
    history = Trainer(CONFIG, run_dir=tmp_path / "a").fit(whole, _data())
    crashed = _model()
    with pytest.raises(KeyboardInterrupt):
        Trainer(CONFIG, [Crash(3)], run_dir=tmp_path / "b").fit(crashed, _data())
    state = json.loads((tmp_path / "b" / "last" / "train_state.json").read_text())
    assert state["epoch"] == 2  # the last finished epoch before the crash
    resumed = _model()  # fresh weights: everything comes from the checkpoint
    history_b = Trainer(CONFIG, run_dir=tmp_path / "b").fit(
        resumed, _data(), resume=tmp_path / "b" / "last"
    )
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert history_b.loss == history.loss
    assert history_b.val_loss == history.val_loss
    assert history_b.best_epoch == history.best_epoch


def test_checkpoint_every_n_epochs_and_best(tmp_path: Path) -> None:
    config = TrainConfig(epochs=5, checkpoint_every=2, val_fraction=0.25, progress=False)
    saved_epochs = []

    class Watch(Callback):
        def on_epoch_end(
            self, trainer: Trainer, model: torch.nn.Module, logs: dict[str, float]
        ) -> None:
            path = tmp_path / "last" / "train_state.json"
            if path.exists():
                saved_epochs.append(json.loads(path.read_text())["epoch"])

    trainer = Trainer(config, [Watch()], run_dir=tmp_path)
    history = trainer.fit(_model(), _data())
    assert sorted(set(saved_epochs)) == [1, 3]  # after epochs 2 and 4 (1-based); 5 is written last
    assert json.loads((tmp_path / "last" / "train_state.json").read_text())["epoch"] == 4
    best = seqlab.load_checkpoint(tmp_path / "best")
    assert best.history is not None
    assert min(history.val_loss) == pytest.approx(best.history.val_loss[-1])


def test_divergence_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    class Poison(Callback):
        def on_epoch_start(self, trainer: Trainer, model: torch.nn.Module, epoch: int) -> None:
            if epoch == 2:
                with torch.no_grad():
                    next(model.parameters()).fill_(float("inf"))

    with pytest.raises(TrainingDiverged, match=r"at epoch 2, step \d+; lower the learning rate"):
        Trainer(TrainConfig(epochs=5, progress=False), [Poison()], run_dir=tmp_path).fit(
            _model(), _data()
        )
    kept = seqlab.load(tmp_path / "last")
    assert all(torch.isfinite(p).all() for p in kept.parameters())
    assert json.loads((tmp_path / "last" / "train_state.json").read_text())["epoch"] == 1


def test_cli_divergence_is_one_line_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "run.toml"
    path.write_text(
        '[data]\ntask = "bit-running-sum"\nnum_sequences = 64\nlength = 6\n'
        "[model]\nhidden_size = 4\n"
        "[train]\nepochs = 3\nlr = 1e30\nprogress = false\n"
    )
    assert main(["train", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "lower the learning rate (lr=1e+30)" in err
    assert len(err.strip().splitlines()) == 1


def test_resume_needs_a_run_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "is not a seqlab run folder (no run.json inside)" in capsys.readouterr().err
