from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seqlab
from seqlab import CheckpointError, DataError, ModelConfig, Seq2SeqConfig, SequenceModel
from seqlab.checkpoint import Checkpoint
from seqlab.cli_stream import serve
from seqlab.data.scaling import StandardScaler
from seqlab.data.tasks import bit_sequences
from seqlab.models.seq2seq import Seq2Seq
from seqlab.streaming import SMALL_BATCH, Stream


def _checkpoint(cell: str = "lstm", **kwargs: object) -> Checkpoint:
    seqlab.set_seed(0)
    config = ModelConfig(cell=cell, hidden_size=16, num_layers=2, **kwargs)  # type: ignore[arg-type]
    x_scaler = StandardScaler().fit(np.array([[0.0], [2.0]]))
    y_scaler = (
        StandardScaler().fit(np.array([[1.0], [5.0]])) if config.task == "regression" else None
    )
    return Checkpoint(SequenceModel(config), x_scaler=x_scaler, y_scaler=y_scaler)


CHECKPOINTS = {cell: _checkpoint(cell) for cell in ("lstm", "gru")}


def _state_array(state: object) -> np.ndarray:
    tensors = state if isinstance(state, tuple) else (state,)
    return np.concatenate([t.detach().numpy().reshape(-1) for t in tensors])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cell=st.sampled_from(["lstm", "gru"]),
    values=st.lists(st.floats(-3, 3, allow_nan=False, width=32), min_size=1, max_size=40),
    cuts=st.lists(st.integers(1, 12), max_size=40),
)
def test_any_split_into_chunks_equals_one_call(
    cell: str, values: list[float], cuts: list[int]
) -> None:
    ckpt = CHECKPOINTS[cell]
    x = np.asarray(values, np.float32)[:, None]
    whole = ckpt.predict(x[None])
    assert whole.values is not None
    stream = Stream(ckpt)
    outs, start = [], 0
    for n in [*cuts, len(x)]:  # chunk sizes; the last one takes what is left
        if start >= len(x):
            break
        outs.append(stream.update("s", x[start : start + n]))
        start += n
    np.testing.assert_allclose(np.concatenate(outs), whole.values[0], atol=1e-5)
    np.testing.assert_allclose(
        _state_array(stream.state("s")), _state_array(whole.state), atol=1e-5
    )


def test_one_step_at_a_time_and_many_series_batched() -> None:
    ckpt = CHECKPOINTS["lstm"]
    rng = np.random.default_rng(0)
    n = SMALL_BATCH + 36  # more than the NumPy path takes: the fused kernel runs
    xs = rng.normal(size=(n, 6, 1)).astype(np.float32)
    expected = ckpt.predict(xs).values
    assert expected is not None
    stream = Stream(ckpt)
    for t in range(6):
        outs = stream.update_many({f"s{i}": xs[i, t : t + 1] for i in range(n)})
        got = np.stack([outs[f"s{i}"][0] for i in range(n)])
        np.testing.assert_allclose(got, expected[:, t], atol=1e-5)
    few = Stream(ckpt)  # a few series: the NumPy path
    for t in range(6):
        outs = few.update_many({f"s{i}": xs[i, t : t + 1] for i in range(3)})
    np.testing.assert_allclose(outs["s2"][0], expected[2, 5], atol=1e-5)


def test_chunks_of_different_lengths_in_one_call() -> None:
    ckpt = CHECKPOINTS["gru"]
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(5, 1)).astype(np.float32), rng.normal(size=(12, 1)).astype(np.float32)
    stream = Stream(ckpt)
    outs = stream.update_many({"a": a, "b": b})
    np.testing.assert_allclose(outs["a"], ckpt.predict(a[None]).values[0], atol=1e-5)  # type: ignore[index]
    np.testing.assert_allclose(outs["b"], ckpt.predict(b[None]).values[0], atol=1e-5)  # type: ignore[index]


def test_a_stream_from_a_model_or_a_checkpoint_path(tmp_path: Path) -> None:
    seqlab.set_seed(0)
    model = SequenceModel(ModelConfig(hidden_size=4))
    seqlab.save(tmp_path / "m", model)
    a = Stream(model).update("s", [1.0, 2.0])
    b = Stream.from_checkpoint(tmp_path / "m").update("s", [1.0, 2.0])
    np.testing.assert_array_equal(a, b)


def test_series_come_and_go() -> None:
    stream = Stream(CHECKPOINTS["lstm"])
    first = stream.update("a", [1.0, 0.0])
    stream.update("b", [1.0])
    assert stream.series == ["a", "b"]
    stream.drop("b")
    assert "b" not in stream
    stream.reset("a")
    np.testing.assert_array_equal(stream.update("a", [1.0, 0.0]), first)
    with pytest.raises(KeyError, match="no series 'zzz'"):
        stream.drop("zzz")
    with pytest.raises(DataError, match=r"expected observations of shape \(steps, 1\)"):
        stream.update("a", np.zeros((2, 3)))


def test_last_head_and_classification_outputs() -> None:
    last = _checkpoint(head="last")
    out = Stream(last).update("s", [1.0, 2.0, 3.0])
    np.testing.assert_allclose(
        out, last.predict(np.array([[[1.0], [2.0], [3.0]]])).values[0], atol=1e-5
    )  # type: ignore[index]
    probs = Stream(_checkpoint(task="classification", num_classes=3)).update("s", [1.0, 0.0])
    assert probs.shape == (2, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)


def test_forecast_leaves_the_state_alone() -> None:
    ckpt = CHECKPOINTS["lstm"]
    stream = Stream(ckpt)
    stream.update("s", [0.5, 1.5])
    before = _state_array(stream.state("s"))
    fc = stream.forecast("s", 4)
    assert fc.shape == (4, 1)
    np.testing.assert_array_equal(_state_array(stream.state("s")), before)
    # the last step's output is the first forecast; each forecast is fed back as the next input
    manual = Stream(ckpt)
    np.testing.assert_array_equal(manual.update("s", [0.5, 1.5])[-1], fc[0])
    for k in range(1, 4):
        np.testing.assert_allclose(manual.update("s", fc[k - 1][None])[0], fc[k], atol=1e-5)


@pytest.mark.parametrize(
    "variant", [{}, {"mode": "direct"}, {"cell": "gru", "decoder": "unconditioned"}]
)
def test_seq2seq_stream_forecasts_from_the_encoder_state(variant: dict[str, object]) -> None:
    seqlab.set_seed(0)
    config = replace(Seq2SeqConfig(horizon=3, hidden_size=8, num_layers=2), **variant)  # type: ignore[arg-type]
    ckpt = Checkpoint(Seq2Seq(config))
    x = np.random.default_rng(0).normal(size=(1, 7, 1)).astype(np.float32)
    stream = Stream(ckpt)
    stream.update("s", x[0, :3])
    out = stream.update("s", x[0, 3:])
    np.testing.assert_allclose(out, ckpt.predict(x).values[0], atol=1e-5)  # type: ignore[index]
    assert stream.forecast("s", 2).shape == (2, 1)


def test_state_files_round_trip_and_belong_to_their_model(tmp_path: Path) -> None:
    stream = Stream(CHECKPOINTS["lstm"])
    stream.update_many({"a": [1.0, 2.0], "b": [0.0]})
    stream.save_state(tmp_path / "state.safetensors")
    again = Stream(CHECKPOINTS["lstm"])
    again.load_state(tmp_path / "state.safetensors")
    assert again.series == ["a", "b"]
    np.testing.assert_array_equal(again.update("a", [3.0]), stream.update("a", [3.0]))
    other = Stream(CHECKPOINTS["gru"])
    with pytest.raises(CheckpointError, match="holds the state of another model"):
        other.load_state(tmp_path / "state.safetensors")
    (tmp_path / "bad").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(CheckpointError, match="not a valid stream state file"):
        again.load_state(tmp_path / "bad")
    with pytest.raises(CheckpointError, match="not found"):
        again.load_state(tmp_path / "missing")


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A per-step running-sum model (scenario 4), saved to disk."""
    data = bit_sequences(2000, 16, np.random.default_rng(0), per_step=True, min_length=1)
    y_scaler = StandardScaler()
    y_scaler.offset_, y_scaler.scale_ = np.zeros(1), np.array([10.0])
    seqlab.set_seed(0)
    model = SequenceModel(ModelConfig(hidden_size=32))
    train = seqlab.SequenceData.from_arrays(data.x, y_scaler.transform(data.y), data.lengths)
    seqlab.Trainer(
        seqlab.TrainConfig(epochs=25, batch_size=64, lr=1e-2, schedule="cosine", progress=False)
    ).fit(model, train)
    path = tmp_path_factory.mktemp("counter") / "model"
    return seqlab.save(path, model, y_scaler=y_scaler, data={"inputs": ["x"], "targets": ["count"]})


def test_scenario4_continuation_across_processes(counter: Path, tmp_path: Path) -> None:
    stream = Stream.from_checkpoint(counter)
    np.testing.assert_allclose(stream.update("bits", [1, 1, 1])[:, 0], [1, 2, 3], atol=0.1)
    np.testing.assert_allclose(stream.update("bits", [1, 0, 1])[:, 0], [4, 4, 5], atol=0.1)
    stream.save_state(tmp_path / "state")
    code = (
        "import sys; from seqlab.streaming import Stream\n"
        f"s = Stream.from_checkpoint({str(counter)!r}); s.load_state({str(tmp_path / 'state')!r})\n"
        "print(','.join(f'{v:.4f}' for v in s.update('bits', [0, 1, 0, 1, 1])[:, 0]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    got = [float(v) for v in done.stdout.strip().split(",")]
    np.testing.assert_allclose(got, [5, 6, 6, 7, 8], atol=0.1)


def _read_line(proc: subprocess.Popen[str], timeout: float = 20.0) -> str:
    assert proc.stdout is not None
    start = time.monotonic()
    line = proc.stdout.readline()  # blocks until the child flushes a whole line
    assert time.monotonic() - start < timeout
    return line.strip()


def test_cli_stream_through_a_pipe_with_state_and_sigterm(counter: Path, tmp_path: Path) -> None:
    state = tmp_path / "cli.state"
    cmd = [
        sys.executable,
        "-m",
        "seqlab",
        "stream",
        "--checkpoint",
        str(counter),
        "--state",
        str(state),
    ]
    with subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdin is not None
        proc.stdin.write("sequence,x\n")
        proc.stdin.flush()
        assert _read_line(proc) == "sequence,count"
        answers = []
        for sid, bit in [("a", 1), ("b", 0), ("a", 1), ("a", 1), ("b", 1)]:
            proc.stdin.write(f"{sid},{bit}\n")
            proc.stdin.flush()  # one line in, one line out, before the next is written
            answers.append(_read_line(proc))
        assert [a.split(",")[0] for a in answers] == ["a", "b", "a", "a", "b"]
        np.testing.assert_allclose(
            [float(a.split(",")[1]) for a in answers], [1, 0, 2, 3, 1], atol=0.1
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 143
    assert state.is_file()
    # a new process resumes both series from the saved state
    done = subprocess.run(
        cmd, input="sequence,x\na,1\nb,1\n", capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    np.testing.assert_allclose([float(line.split(",")[1]) for line in lines[1:]], [4, 2], atol=0.1)
    assert os.listdir(tmp_path) == ["cli.state"]  # no temporary files left behind


def _serve(stream: Stream, data: bytes, **kwargs: Any) -> tuple[list[str], list[str], int]:
    out, err = io.StringIO(), io.StringIO()
    skipped = serve(stream, io.BytesIO(data), out, err, **kwargs)
    return out.getvalue().splitlines(), err.getvalue().splitlines(), skipped


def test_a_stream_skips_bad_lines_reports_each_and_serves_the_rest(counter: Path) -> None:
    good = b"sequence,x\na,1\nb,0\na,1\nb,1\na,1\n"
    expected, _, _ = _serve(Stream.from_checkpoint(counter), good)
    bad = (
        b"sequence,x\na,1\n"
        b"a,oops\n"  # 3: text
        b"b,0\n"
        b"a,nan\n"  # 5: NaN
        b"a,1,2\n"  # 6: too many fields
        b"a,\xff\xfe\n"  # 7: not UTF-8
        b"b,1" + b"0" * 5000 + b"\n"  # 8: longer than the limit
        b"\n"  # 9: blank, ignored
        b"a,1\nb,1\na,inf\na,1\n"  # 12: infinity
    )
    lines, err, skipped = _serve(Stream.from_checkpoint(counter), bad, max_line_bytes=1000)
    assert lines == expected  # the same answers as without the bad lines: no state changed
    assert skipped == 6
    assert err == [
        "seqlab stream: skipped line 3: non-numeric input in 'a,oops'",
        "seqlab stream: skipped line 5: NaN or infinite input in 'a,nan'",
        "seqlab stream: skipped line 6: expected 2 fields, got 3",
        "seqlab stream: skipped line 7: not UTF-8 text",
        "seqlab stream: skipped line 8: longer than 1,000 bytes",
        "seqlab stream: skipped line 12: NaN or infinite input in 'a,inf'",
    ]


def test_a_strict_stream_stops_at_the_first_bad_line(counter: Path) -> None:
    with pytest.raises(DataError, match="line 3: non-numeric input"):
        _serve(Stream.from_checkpoint(counter), b"sequence,x\na,1\na,oops\na,1\n", strict=True)
    with pytest.raises(DataError, match="the header longer than 10 bytes"):
        _serve(Stream.from_checkpoint(counter), b"sequence,x,y,z\na,1\n", max_line_bytes=10)


def test_max_series_evicts_the_least_recently_used(counter: Path) -> None:
    bounded = Stream.from_checkpoint(counter, max_series=2)
    free = Stream.from_checkpoint(counter)
    for sid, bit in [("a", 1), ("b", 1), ("a", 1), ("c", 0), ("a", 1), ("c", 1)]:
        np.testing.assert_allclose(bounded.update(sid, [bit]), free.update(sid, [bit]), atol=1e-6)
    assert sorted(bounded.series) == ["a", "c"] and bounded.evicted == 1  # b: used longest ago
    many = bounded.update_many({"d": [1], "e": [1]})  # a batch larger than the room left
    assert sorted(many) == ["d", "e"] and sorted(bounded.series) == ["d", "e"]
    assert bounded.evicted == 3
    np.testing.assert_allclose(
        bounded.update("b", [1]), Stream.from_checkpoint(counter).update("b", [1]), atol=1e-6
    )  # b starts again from zeros
    with pytest.raises(ValueError, match="`max_series` must be a positive integer, got 0"):
        Stream.from_checkpoint(counter, max_series=0)


def test_cli_stream_exit_status_says_whether_lines_were_skipped(counter: Path) -> None:
    cmd = [sys.executable, "-m", "seqlab", "stream", "--checkpoint", str(counter)]
    done = subprocess.run(
        cmd, input="sequence,x\na,1\na,oops\na,1\n", capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert len(done.stdout.strip().splitlines()) == 3  # header + the two good lines
    assert done.stderr.splitlines() == [
        "seqlab stream: skipped line 3: non-numeric input in 'a,oops'",
        "seqlab stream: 1 bad line(s) skipped",
    ]
    done = subprocess.run(
        [*cmd, "--strict"],
        input="sequence,x\na,oops\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "seqlab stream: error: line 2: non-numeric input in 'a,oops'"
    torch.manual_seed(0)  # keeps hypothesis' global RNG untouched by this module


def test_one_vocabulary_with_predict_and_labels_carried_through(tmp_path: Path) -> None:
    """Issue 16: stream grouped by `series`, predict by `sequence`; stream left out the label."""
    from cli_run import seqlab as run

    seqlab.set_seed(0)
    model = SequenceModel(ModelConfig(hidden_size=4, task="classification", num_classes=3))
    path = seqlab.save(tmp_path / "clf", model, data={"inputs": ["x"], "sequence_col": "shop"})
    rows = "shop,x\na,1\nb,0\na,1\n"
    (tmp_path / "in.csv").write_text(rows)
    predicted = run("predict", "--checkpoint", str(path), "--input", str(tmp_path / "in.csv"))
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stdout.splitlines()[0] == "shop,step,label,prob_0,prob_1,prob_2"
    streamed = run("stream", "--checkpoint", str(path), stdin=rows)
    assert streamed.returncode == 0, streamed.stderr
    lines = streamed.stdout.splitlines()
    assert lines[0] == "shop,label,prob_0,prob_1,prob_2"
    by_predict = {
        (r.split(",")[0], r.split(",")[1]): r.split(",")[2]
        for r in predicted.stdout.splitlines()[1:]
    }
    assert lines[1].split(",")[1] == by_predict[("a", "0")]  # the same label for a's first step
    named = run("stream", "--checkpoint", str(path), "--id-col", "shop", stdin=rows)
    assert named.stdout == streamed.stdout  # the flag states what the default already is
