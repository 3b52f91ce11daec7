"""Fault injection: a process killed at each named point of a checkpoint replacement (a real
process ended with ``os._exit`` where ``SEQLAB_CRASH_AT`` says, no timing), then recovery."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from seqlab._io import atomic_write_dir, dir_candidates, recover_dir
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
    assert sorted(os.listdir(tmp_path / "killed")) == ["best", "last", "model", "run.json"]


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
    assert sorted(os.listdir(run)) == ["best", "last", "model", "run.json"]


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
    assert sorted(os.listdir(run)) == ["best", "last", "model", "run.json"]
