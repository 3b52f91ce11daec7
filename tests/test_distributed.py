"""Training on several processes under torchrun (issue 13 items 3 and 4), with real
processes: gloo on CPU, a tiny model, tests/ddp_worker.py as the training script."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

WORKER = Path(__file__).with_name("ddp_worker.py")
TORCHRUN = [sys.executable, "-m", "torch.distributed.run"]

pytestmark = pytest.mark.skipif(
    not torch.distributed.is_available(), reason="this PyTorch build has no torch.distributed"
)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SEQLAB_CRASH_AT"}
    return {**env, "OMP_NUM_THREADS": "1", **extra}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(out: Path, launcher: list[str], epochs: int = 3, **env: str) -> dict[str, object]:
    cmd = [*TORCHRUN, *launcher, str(WORKER), str(out), str(out / "run"), str(epochs)]
    done = subprocess.run(cmd, env=_env(**env), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    info: dict[str, object] = json.loads((out / "run.json").read_text())
    return info


def _weights(out: Path) -> dict[str, torch.Tensor]:
    return load_file(str(out / "weights.safetensors"))


def _close(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5, msg=k)


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ddp2")
    info = _run(out, ["--standalone", "--nproc_per_node", "2"])
    assert info["world_size"] == 2 and info["backend"] == "gloo" and info["restart"] == 0
    return out


def test_two_processes_reach_the_weights_of_one_with_the_same_global_batch(
    two_processes: Path, tmp_path: Path
) -> None:
    info = _run(tmp_path, ["--standalone", "--nproc_per_node", "1"])
    assert info["world_size"] == 1 and info["backend"] is None
    _close(_weights(two_processes), _weights(tmp_path))
    two = json.loads((two_processes / "run.json").read_text())
    assert two["val_loss"] == pytest.approx(info["val_loss"], rel=1e-4)
    assert (two_processes / "run" / "last").is_dir()  # rank 0 wrote the checkpoints


def test_two_launchers_on_loopback_act_as_two_nodes(two_processes: Path, tmp_path: Path) -> None:
    port = _port()
    nodes = []
    for _node in range(2):
        launcher = ["--nnodes", "2", "--nproc_per_node", "1", "--rdzv-backend", "c10d",
                    "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id", "seqlab-test"]  # fmt: skip
        cmd = [*TORCHRUN, *launcher, str(WORKER), str(tmp_path), str(tmp_path / "run"), "3"]
        nodes.append(subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))  # fmt: skip
    for node in nodes:
        _, err = node.communicate(timeout=240)
        assert node.returncode == 0, err[-3000:]
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["world_size"] == 2
    _close(_weights(two_processes), _weights(tmp_path))


def test_a_killed_worker_is_restarted_and_resumes_from_the_last_checkpoint(
    two_processes: Path, tmp_path: Path
) -> None:
    """Rank 1 dies abruptly in epoch 3 (after last/ of epoch 2 was written); torchrun
    restarts both workers, which resume from last/ and end where the uninterrupted run of the
    fixture (the same command without the crash) ends."""
    whole = json.loads((two_processes / "run.json").read_text())
    info = _run(
        tmp_path / "cut",
        ["--standalone", "--nproc_per_node", "2", "--max-restarts", "1"],
        epochs=3,
        CRASH_RANK="1",
        CRASH_AT="batch@33",  # 14 batches an epoch per rank: in epoch 3
    )
    assert info["restart"] == 1 and info["epochs"] == whole["epochs"] == 3
    _close(_weights(two_processes), _weights(tmp_path / "cut"))


def test_seqlab_forecast_under_torchrun_writes_one_run_folder_that_records_it(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    cmd = [*TORCHRUN, "--standalone", "--nproc_per_node", "2", "-m", "seqlab", "forecast",
           "--data", "airline", "--model", "seq2seq", "--hidden-size", "4", "--num-layers", "1",
           "--epochs", "2", "--quiet", "--out", str(out)]  # fmt: skip
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("run folder:") == 1  # rank 0 alone prints and writes
    run = json.loads((out / "metrics.json").read_text())["run"]
    assert run["world_size"] == 2 and run["backend"] == "gloo"
    assert (out / "report.html").is_file()


def test_seqlab_train_under_torchrun_resumes_after_a_restart(tmp_path: Path) -> None:
    """Both workers die at the 10th batch (epoch 3 of 4); torchrun restarts them and
    `seqlab train` goes on from the run folder's last/ to the end."""
    (tmp_path / "run.toml").write_text(
        '[data]\ntask = "bit-running-sum"\nnum_sequences = 256\nlength = 6\n'
        "[model]\nhidden_size = 4\n"
        "[train]\nepochs = 4\nbatch_size = 64\nprogress = false\n"
        '[output]\nrun_dir = "run"\n'
    )
    cmd = [*TORCHRUN, "--standalone", "--nproc_per_node", "2", "--max-restarts", "1",
           "-m", "seqlab", "train", "--config", "run.toml", "--quiet"]  # fmt: skip
    env = _env(SEQLAB_CRASH_AT="batch@10")  # 4 batches an epoch (205 training sequences)
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "exitcode: 86" in done.stderr  # the first attempt did die
    meta = json.loads((tmp_path / "run" / "model" / "checkpoint.json").read_text())
    assert len(meta["history"]["epochs"]) == 4
    assert meta["data"]["world_size"] == 2 and meta["data"]["backend"] == "gloo"
    launch = json.loads((tmp_path / "run" / "run.json").read_text())["launch"]
    assert launch == {"world_size": 2, "backend": "gloo"}
