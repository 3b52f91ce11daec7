from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cli_run import seqlab, seqlab_process
from seqlab.data.csvio import read_sequences_csv, write_rows_csv


def _write_running_sum_csv(path: Path, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n):
        bits = rng.integers(0, 2, size=int(rng.integers(3, 9)))
        rows += [[f"s{s}", int(b), int(c)] for b, c in zip(bits, np.cumsum(bits), strict=True)]
    write_rows_csv(path, ["sequence", "x", "y"], rows)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    _write_running_sum_csv(root / "train.csv", 300, 0)
    (root / "run.toml").write_text(
        '[data]\ncsv = "train.csv"\ninputs = ["x"]\ntargets = ["y"]\n'
        "[model]\nhidden_size = 16\n"
        "[train]\nepochs = 40\nlr = 0.01\nbatch_size = 32\n"
        '[output]\nrun_dir = "run"\n'
    )
    done = seqlab("train", "--config", str(root / "run.toml"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "trained 40 epochs" in done.stdout
    return root


def test_train_then_predict_a_csv(trained: Path) -> None:
    _write_running_sum_csv(trained / "test.csv", 20, 1)
    done = seqlab(
        "predict",
        "--checkpoint",
        str(trained / "run" / "model"),
        "--input",
        str(trained / "test.csv"),
        "--output",
        str(trained / "pred.csv"),
    )
    assert done.returncode == 0, done.stderr
    truth = read_sequences_csv(trained / "test.csv", ["x"], ["y"])
    pred = read_sequences_csv(trained / "pred.csv", ["y"], None)
    np.testing.assert_array_equal(pred.lengths, truth.lengths)
    assert truth.y is not None
    valid = np.arange(truth.x.shape[1])[None, :] < truth.lengths[:, None]
    assert np.abs(pred.x[valid] - truth.y[valid]).max() < 0.3


def test_predict_to_stdout_and_info(trained: Path) -> None:
    write_rows_csv(trained / "one.csv", ["x"], [[1], [1], [0]])  # no sequence column: one sequence
    done = seqlab(
        "predict",
        "--checkpoint",
        str(trained / "run" / "model"),
        "--input",
        str(trained / "one.csv"),
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "sequence,step,y"
    assert [round(float(line.split(",")[2])) for line in lines[1:]] == [1, 2, 2]
    info = seqlab("info", "--checkpoint", str(trained / "run" / "model"))
    assert info.returncode == 0, info.stderr
    assert "hidden_size: 16" in info.stdout
    assert "trained:        40 epochs" in info.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["info", "--checkpoint", "missing-dir"], "checkpoint not found: missing-dir"),
        (["train", "--config", "missing.toml"], "config file not found: missing.toml"),
        (
            ["predict", "--checkpoint", "run/model", "--input", "nothing.csv"],
            "input file not found",
        ),
    ],
)
def test_errors_are_one_line_with_exit_code_2(trained: Path, args: list[str], message: str) -> None:
    done = seqlab(*args, cwd=trained)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_bad_csv_names_the_row_and_column(trained: Path) -> None:
    (trained / "bad.csv").write_text("sequence,x\na,1\na,oops\n")
    done = seqlab("predict", "--checkpoint", "run/model", "--input", "bad.csv", cwd=trained)
    assert done.returncode == 2
    assert "bad.csv, row 3: column 'x' holds 'oops', not a number" in done.stderr
    (trained / "nox.csv").write_text("sequence,z\na,1\n")
    done = seqlab("predict", "--checkpoint", "run/model", "--input", "nox.csv", cwd=trained)
    assert "column 'x' not found" in done.stderr
    assert "available columns: sequence, z" in done.stderr


def test_bad_config_key_suggests_the_closest(tmp_path: Path) -> None:
    (tmp_path / "run.toml").write_text('[data]\ntask = "bit-sum"\n[train]\nepoch = 3\n')
    done = seqlab("train", "--config", str(tmp_path / "run.toml"))
    assert done.returncode == 2
    assert "unknown key `epoch` in [train]; did you mean `epochs`?" in done.stderr


def test_train_on_a_builtin_task(tmp_path: Path) -> None:
    (tmp_path / "run.toml").write_text(
        '[data]\ntask = "bit-sum"\nnum_sequences = 64\nlength = 6\n'
        '[model]\nhead = "last"\nhidden_size = 4\n[train]\nepochs = 1\n'
    )
    done = seqlab("train", "--config", str(tmp_path / "run.toml"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "runs" / "model" / "model" / "model.safetensors").is_file()


def test_help_lists_every_command() -> None:
    done = seqlab_process("--help")  # the real entry point, in a new process
    for command in ("scenarios", "train", "predict", "info"):
        assert command in done.stdout


def test_seq2seq_train_predict_info(tmp_path: Path) -> None:
    (tmp_path / "run.toml").write_text(
        '[data]\ntask = "future-predictor"\nnum_sequences = 2000\nlength = 4\n'
        '[model]\nkind = "seq2seq"\nhorizon = 4\nhidden_size = 32\n'
        "[train]\nepochs = 10\nlr = 0.01\nbatch_size = 64\n"
    )
    done = seqlab("train", "--config", str(tmp_path / "run.toml"), "--quiet")
    assert done.returncode == 0, done.stderr
    write_rows_csv(
        tmp_path / "windows.csv",
        ["sequence", "x"],
        [["a", v] for v in (33, 53, 113, 213)] + [["b", v] for v in (-7, -4, 5, 20)],
    )
    done = seqlab(
        "predict", "--checkpoint", "runs/model/model", "--input", "windows.csv", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "sequence,horizon_step,y"
    got = [float(line.split(",")[2]) for line in lines[1:]]
    expected = [353, 533, 753, 1013, 41, 68, 101, 140]
    assert np.abs(np.array(got) - expected).max() < 40  # a small, short run: within 4% of 1013
    info = seqlab("info", "--checkpoint", str(tmp_path / "runs" / "model" / "model"))
    assert "model:          seq2seq" in info.stdout
    assert "horizon: 4" in info.stdout
