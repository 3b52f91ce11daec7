"""Fault injection (issue 17): a process killed at each named point of a checkpoint
replacement (a real process ended with ``os._exit`` where ``SEQLAB_CRASH_AT`` says, no
timing) and recovered; tampered checkpoints refused before anything large is allocated."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from safetensors.torch import save as save_tensors

from seqlab import (
    CheckpointError,
    ForecastConfig,
    Forecaster,
    Seq2Seq,
    Seq2SeqConfig,
    Series,
    StandardScaler,
    save,
    set_seed,
)
from seqlab._io import atomic_write_dir, dir_candidates, recover_dir, run_folder_lock
from seqlab.checkpoint import load_checkpoint
from seqlab.cli import main

# Where a replacement can be cut off, for each way of replacing, and which version a
# recovery must then find: the old one until the new folder is complete, the new one after.
POINTS = {
    "exchange": {"written": b"1", "complete": b"2", "replaced": b"2"},
    "renames": {"written": b"1", "complete": b"2", "moved-old": b"2", "replaced": b"2"},
}
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import seqlab._io as io
    path, mode, point = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    if mode == "renames":
        io._exchange = lambda a, b: False  # as on a system without renameat2
    io.atomic_write_dir(path, {"version": b"1", "payload": b"x" * 1000})
    io._CRASH_AT = f"{path.name}:{point}"
    io.atomic_write_dir(path, {"version": b"2", "payload": b"y" * 1000})
    """
)


def _version(folder: Path) -> int | None:
    try:
        payload = (folder / "payload").read_bytes()
        return int((folder / "version").read_bytes()) if len(payload) == 1000 else None
    except (OSError, ValueError):
        return None


@pytest.mark.parametrize(
    ("mode", "point"), [(m, p) for m, points in POINTS.items() for p in points]
)
def test_a_crash_at_any_step_of_a_replacement_loses_nothing(
    tmp_path: Path, mode: str, point: str
) -> None:
    path = tmp_path / "ckpt"
    done = subprocess.run(
        [sys.executable, "-c", WRITER, str(path), mode, point], capture_output=True, check=False
    )
    assert done.returncode == 86, done.stderr  # killed where asked, not before, not after
    expected = int(POINTS[mode][point])
    # At this instant a complete copy of the newest finished version exists.
    complete = {_version(c) for c in dir_candidates(path) if not c.name.endswith(".tmp")}
    assert expected in complete
    assert recover_dir(path, _version) == path
    assert _version(path) == expected
    assert os.listdir(tmp_path) == ["ckpt"]  # superseded copies and partial writes removed


def test_recovery_keeps_a_newer_copy_and_what_it_cannot_verify(tmp_path: Path) -> None:
    path = tmp_path / "ckpt"
    atomic_write_dir(path, {"version": b"3", "payload": b"z" * 1000})
    shutil.copytree(path, tmp_path / ".ckpt.aaaa.old")
    (tmp_path / ".ckpt.aaaa.old" / "version").write_bytes(b"5")  # newer than ckpt
    shutil.copytree(path, tmp_path / ".ckpt.bbbb.new")
    (tmp_path / ".ckpt.bbbb.new" / "payload").write_bytes(b"torn")  # corrupt
    (tmp_path / ".ckpt.cccc.tmp").mkdir()
    assert recover_dir(path, _version) == path
    assert _version(path) == 5
    assert sorted(os.listdir(tmp_path)) == [".ckpt.bbbb.new", "ckpt"]  # unverifiable: kept
    assert recover_dir(tmp_path / "absent", _version) is None


RUN_FOLDER = [".seqlab.lock", "best", "last", "model", "run.json"]  # the lock: see below


def _config(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        '[data]\ntask = "bit-running-sum"\nnum_sequences = 96\nlength = 8\n'
        "[model]\nhidden_size = 8\nnum_layers = 1\n"
        "[train]\nepochs = 4\nbatch_size = 32\nlr = 0.01\nval_fraction = 0.25\nprogress = false\n"
        f'[output]\nrun_dir = "{tmp_path / name}"\n'
    )
    return path


def _same_weights(a: Path, b: Path) -> None:
    x, y = load_file(a / "model.safetensors"), load_file(b / "model.safetensors")
    assert x.keys() == y.keys()
    assert all(torch.equal(x[k], y[k]) for k in x)


def _crash(tmp_path: Path, name: str, at: str, exchange: bool = True) -> None:
    code = (
        "import sys, seqlab._io as io\n"
        + ("" if exchange else "io._exchange = lambda a, b: False\n")
        + "from seqlab.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    env = {**os.environ, "SEQLAB_CRASH_AT": at}
    args = ["train", "--quiet", "--config", str(_config(tmp_path, name))]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, check=False
    )
    assert done.returncode == 86, done.stderr


def test_killed_mid_epoch_then_resumed_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    assert main(["train", "--quiet", "--config", str(_config(tmp_path, "whole"))]) == 0
    _crash(tmp_path, "killed", "batch@8")  # 3 batches an epoch: killed in epoch 2 (0-based)
    state = json.loads((tmp_path / "killed" / "last" / "train_state.json").read_text())
    assert state["epoch"] == 1
    assert not (tmp_path / "killed" / "model").exists()
    assert main(["train", "--resume", str(tmp_path / "killed")]) == 0
    _same_weights(tmp_path / "whole" / "model", tmp_path / "killed" / "model")
    assert sorted(os.listdir(tmp_path / "killed")) == RUN_FOLDER


def test_killed_between_the_renames_of_last_then_resumed_loses_no_epoch(tmp_path: Path) -> None:
    assert main(["train", "--quiet", "--config", str(_config(tmp_path, "whole"))]) == 0
    # The second replacement of last/ (after epoch 2; epoch 0's write replaced nothing) stops
    # with last/ renamed away and the new copy not yet in place: no last/ at all, two
    # complete copies beside it.
    _crash(tmp_path, "killed", "last:moved-old@2", exchange=False)
    run = tmp_path / "killed"
    assert not (run / "last").exists()
    assert load_checkpoint(run / "last").history.epochs[-1]["epoch"] == 2  # type: ignore[union-attr]
    assert main(["train", "--resume", str(run)]) == 0
    history = load_checkpoint(run / "model").history
    assert history is not None and [e["epoch"] for e in history.epochs] == [0, 1, 2, 3]
    _same_weights(tmp_path / "whole" / "model", run / "model")
    assert sorted(os.listdir(run)) == RUN_FOLDER


def test_resume_takes_a_complete_checkpoint_moved_aside_instead_of_starting_over(
    tmp_path: Path,
) -> None:
    """The reproduction of issue 17: `mv run/last run/.last.x.old` made resume retrain
    from epoch 0 and delete the checkpoint."""
    assert main(["train", "--quiet", "--config", str(_config(tmp_path, "run"))]) == 0
    run = tmp_path / "run"
    trained = json.loads((run / "last" / "train_state.json").read_text())["epoch"]
    os.rename(run / "last", run / ".last.x.old")
    assert main(["train", "--resume", str(run)]) == 0
    history = load_checkpoint(run / "model").history
    assert history is not None and len(history.epochs) == trained + 1  # nothing retrained
    assert sorted(os.listdir(run)) == RUN_FOLDER


# ---------------------------------------------------------------------------------------
# Tampered checkpoints: refused with CheckpointError before anything large is allocated.


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    set_seed(0)
    model = Seq2Seq(Seq2SeqConfig(horizon=3, hidden_size=6, num_layers=1))
    return save(tmp_path / "ckpt", model, x_scaler=StandardScaler().fit(np.ones((4, 1))))


def _edit(saved: Path, change: Callable[[dict[str, Any]], None]) -> None:
    meta = json.loads((saved / "checkpoint.json").read_text())
    change(meta)
    (saved / "checkpoint.json").write_text(json.dumps(meta))


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(meta: dict[str, Any]) -> None:
        *parents, key = path.split(".")
        for p in parents:
            meta = meta[p]
        meta[key] = value

    return change


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("model.config.hidden_size", 10**9, "`hidden_size` must be an integer from 1 to"),
        ("model.config.hidden_size", 12, r"weights do not match the model config"),
        ("model.config.num_layers", 10**6, "`num_layers` must be an integer from 1 to 256"),
        ("model.config.num_layers", 3, r"missing \d+ tensor"),
        ("model.config.horizon", 10**9, "`horizon` must be an integer from 1 to 100,000"),
        ("model.config.hidden_size", "six", "`hidden_size` must be an integer"),
        ("model.config", "zzz", "must be a table"),
        ("model.kind", "transformer", "unknown or missing model kind 'transformer'"),
        ("model", None, "unknown or missing model kind None"),
        ("weights", None, "SHA-256 does not match"),
        ("weights", "zzz", "`weights` must be a JSON object"),
        ("scalers", "zzz", "`scalers` must be a JSON object"),
        ("scalers.x", "zzz", "malformed field"),
        ("scalers.x", {"kind": "standard", "offset": [0.0], "scale": [[1.0]]}, "malformed"),
        ("history", {"epochs": 3}, "`history.epochs` must be a list"),
        ("train_config", {"epochs": -1}, "malformed field.*`epochs`"),
        ("data", [1, 2], "`data` must be a JSON object"),
        ("format_version", -1, "invalid checkpoint format version -1"),
        ("format_version", "1", "invalid checkpoint format version '1'"),
        ("format_version", True, "invalid checkpoint format version True"),
    ],
)
def test_a_tampered_field_is_a_checkpoint_error(
    saved: Path, path: str, value: object, message: str
) -> None:
    _edit(saved, _set(path, value))
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(saved)


def test_sizes_are_checked_before_the_model_is_built(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A config that describes a 10**5-wide model over small weights is refused from the
    file's header: the full-size model is never allocated."""
    _edit(saved, _set("model.config.hidden_size", 100_000))  # 1.6e11 weights if it were built
    built: list[str] = []
    original = Seq2Seq.__init__

    def spy(self: Seq2Seq, config: Seq2SeqConfig) -> None:
        built.append(str(torch.get_default_device()))
        original(self, config)

    monkeypatch.setattr(Seq2Seq, "__init__", spy)
    with pytest.raises(CheckpointError, match=r"saved vs config: \S+ \(1, 6\) vs \(1, 100000\)"):
        load_checkpoint(saved)
    assert built == ["meta"]


def test_non_finite_weights_are_refused(saved: Path) -> None:
    tensors = load_file(saved / "model.safetensors")
    name = sorted(tensors)[0]
    tensors[name][0] = float("nan")
    blob = save_tensors(tensors, metadata={"format": "pt"})
    (saved / "model.safetensors").write_bytes(blob)
    _edit(saved, _set("weights.sha256", hashlib.sha256(blob).hexdigest()))
    with pytest.raises(CheckpointError, match=f"NaN or infinite weights \\({name}"):
        load_checkpoint(saved)


def test_a_header_that_lies_about_its_length_is_refused(saved: Path) -> None:
    blob = (10**12).to_bytes(8, "little") + (saved / "model.safetensors").read_bytes()[8:]
    (saved / "model.safetensors").write_bytes(blob)
    _edit(saved, _set("weights.sha256", hashlib.sha256(blob).hexdigest()))
    with pytest.raises(CheckpointError, match="not a valid safetensors file"):
        load_checkpoint(saved)


def test_the_cli_reports_a_tampered_checkpoint_in_one_line(
    saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _edit(saved, _set("scalers", "zzz"))
    assert main(["info", "--checkpoint", str(saved)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seqlab info: error:") and len(err.strip().splitlines()) == 1


def test_a_tampered_forecaster_state_is_a_checkpoint_error(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    series = Series(rng.normal(size=(60, 1)).astype(np.float32), ("y",), None, None)
    config = ForecastConfig.of(
        lookback=8, horizon=2, hidden_size=4, epochs=1, model="seq2seq", select="model"
    )
    Forecaster(config).fit(series).save(tmp_path / "fc")
    for path, value in [("data.parts", "zzz"), ("data.forecast_config.split.horizon", "two")]:
        _edit(tmp_path / "fc", _set(path, value))
        with pytest.raises(CheckpointError, match="forecasting state is malformed"):
            Forecaster.load(tmp_path / "fc")


# ---------------------------------------------------------------------------------------
# One writer per run folder; an unwritable one is found before training.


def test_a_second_writer_of_a_run_folder_fails_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    forecast = ["forecast", "--data", "airline", "--epochs", "1", "--quiet", "--out", str(out)]
    with run_folder_lock(out):  # another run writing it (the lock is per open file)
        assert main(forecast) == 2
        err = capsys.readouterr().err
        assert f"is being written by another seqlab run (pid {os.getpid()})" in err
        assert main(["train", "--quiet", "--config", str(_config(tmp_path, "run"))]) == 2
        assert "being written by another seqlab run" in capsys.readouterr().err
    assert sorted(os.listdir(out)) == [".seqlab.lock"]  # nothing was trained or written
    assert main(["train", "--quiet", "--config", str(_config(tmp_path, "run"))]) == 0


def test_a_crashed_run_leaves_no_stale_lock(tmp_path: Path) -> None:
    _crash(tmp_path, "run", "batch@2")  # killed while holding the lock
    with run_folder_lock(tmp_path / "run"):  # the system released it with the process
        pass


def test_an_unwritable_output_folder_is_an_error_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file.txt").write_text("not a folder")
    out = tmp_path / "file.txt" / "run"
    assert main(["forecast", "--data", "airline", "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"seqlab forecast: error: cannot write the run folder {out}")
