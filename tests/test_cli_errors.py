"""Each bad checkpoint, config or state file: one line on stderr, exit code 2, no traceback."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

import seqlab
from cli_run import seqlab as _seqlab
from seqlab import ModelConfig, SequenceModel, Stream


def _one_line(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def _truncate(path: Path) -> None:
    blob = (path / "model.safetensors").read_bytes()
    (path / "model.safetensors").write_bytes(blob[:40])


def _corrupt(path: Path) -> None:
    (path / "checkpoint.json").write_text("{ not json")


def _newer(path: Path) -> None:
    meta = json.loads((path / "checkpoint.json").read_text())
    meta["format_version"] = 7
    (path / "checkpoint.json").write_text(json.dumps(meta))


def _mismatch(path: Path) -> None:
    meta = json.loads((path / "checkpoint.json").read_text())
    meta["model"]["config"]["num_layers"] = 3
    (path / "checkpoint.json").write_text(json.dumps(meta))


def _missing(path: Path) -> None:
    (path / "model.safetensors").unlink()


BREAKS: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (_truncate, "is corrupt or truncated"),
    "corrupted": (_corrupt, "is corrupt (not valid JSON"),
    "newer format": (_newer, "format version 7, newer than this seqlab"),
    "weights do not match": (_mismatch, "the weights do not match the model config"),
    "weights file missing": (_missing, "is missing its weights file"),
}


@pytest.mark.parametrize("case", list(BREAKS))
def test_broken_checkpoints(case: str, tmp_path: Path) -> None:
    seqlab.set_seed(0)
    path = seqlab.save(tmp_path / "ckpt", SequenceModel(ModelConfig(hidden_size=4)))
    breaker, message = BREAKS[case]
    breaker(path)
    _one_line(_seqlab("info", "--checkpoint", str(path)), message)


def test_missing_checkpoint(tmp_path: Path) -> None:
    _one_line(_seqlab("export", "--checkpoint", str(tmp_path / "nothing")), "checkpoint not found")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[data]\ntask = "bit-sum"\n[model]\nhidden_size = 0\n',
            "`hidden_size` must be an integer from 1 to 1,000,000, got 0",
        ),
        (
            '[data]\ntask = "bit-sum"\n[train]\nlr = -1\n',
            "`lr` must be a positive finite number, got -1",
        ),
        (
            '[data]\ntask = "bit-sum"\n[model]\ncell = "rnn"\n',
            "`cell` must be one of 'lstm', 'gru', got 'rnn'",
        ),
        ('[data]\ntask = "no-such-task"\n', "unknown task 'no-such-task'; built-in tasks:"),
        ("[data\n", "is not valid TOML"),
    ],
)
def test_bad_config_values(toml: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "run.toml").write_text(toml)
    _one_line(_seqlab("train", "--config", str(tmp_path / "run.toml")), message)


def test_stream_state_of_another_model(tmp_path: Path) -> None:
    seqlab.set_seed(0)
    a = seqlab.save(tmp_path / "a", SequenceModel(ModelConfig(hidden_size=4)))
    b = seqlab.save(tmp_path / "b", SequenceModel(ModelConfig(hidden_size=4)))
    stream = Stream.from_checkpoint(a)
    stream.update("s", [1.0])
    stream.save_state(tmp_path / "a.state")
    done = _seqlab(
        "stream",
        "--checkpoint",
        str(b),
        "--state",
        str(tmp_path / "a.state"),
        stdin="series,x\ns,1\n",
    )
    _one_line(done, "holds the state of another model")
    assert (tmp_path / "a.state").read_bytes()  # left as it was


def test_wrong_input_width_for_a_trained_model(tmp_path: Path) -> None:
    seqlab.set_seed(0)
    path = seqlab.save(
        tmp_path / "m",
        SequenceModel(ModelConfig(input_size=2, hidden_size=4)),
        data={"inputs": ["a", "b"]},
    )
    (tmp_path / "in.csv").write_text("sequence,a\ns,1\n")
    _one_line(
        _seqlab("predict", "--checkpoint", str(path), "--input", str(tmp_path / "in.csv")),
        "column 'b' not found",
    )
    with pytest.raises(
        ValueError,
        match=r"expected input of shape \(batch, time, 2\) — batch first — got \(1, 3, 1\)",
    ):
        seqlab.load_checkpoint(path).predict([[[1.0], [2.0], [3.0]]])
