from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

import seqlab
from seqlab import ModelConfig, Seq2Seq, Seq2SeqConfig, SequenceModel
from seqlab.checkpoint import Checkpoint
from seqlab.export import export_onnx

MODELS = {
    "lstm-per_step": lambda: SequenceModel(
        ModelConfig(cell="lstm", input_size=2, hidden_size=8, num_layers=2)
    ),
    "gru-per_step": lambda: SequenceModel(
        ModelConfig(cell="gru", input_size=2, hidden_size=8, num_layers=2)
    ),
    "lstm-last-classification": lambda: SequenceModel(
        ModelConfig(input_size=2, hidden_size=8, head="last", task="classification", num_classes=3)
    ),
    "lstm-seq2seq": lambda: Seq2Seq(
        Seq2SeqConfig(horizon=4, input_size=2, hidden_size=8, num_layers=2)
    ),
    "gru-seq2seq-future": lambda: Seq2Seq(
        Seq2SeqConfig(horizon=3, cell="gru", input_size=2, hidden_size=8, future_size=1)
    ),
    "lstm-direct": lambda: Seq2Seq(
        Seq2SeqConfig(horizon=4, input_size=2, hidden_size=8, mode="direct")
    ),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_onnx_matches_pytorch_with_explicit_state(name: str, tmp_path: Path) -> None:
    seqlab.set_seed(0)
    model = MODELS[name]().eval()
    path = export_onnx(Checkpoint(model), tmp_path / "m.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    config = model.config
    g = torch.Generator().manual_seed(1)
    for batch, time in [(3, 7), (1, 1), (5, 12)]:  # batch and time are dynamic
        x = torch.randn(batch, time, 2, generator=g)
        h = torch.randn(config.num_layers, batch, 8, generator=g)
        c = torch.randn(config.num_layers, batch, 8, generator=g)
        state = (h, c) if config.cell == "lstm" else h
        feeds = {"x": x.numpy(), "h": h.numpy()} | (
            {"c": c.numpy()} if config.cell == "lstm" else {}
        )
        kwargs = {}
        if getattr(config, "future_size", 0):
            future = torch.randn(batch, config.horizon, config.future_size, generator=g)
            feeds["future"], kwargs = future.numpy(), {"future": future}
        with torch.no_grad():
            y, new_state = model(x, state, **kwargs)
        outs = session.run(None, feeds)
        np.testing.assert_allclose(outs[0], y.numpy(), atol=1e-4)
        expected_states = new_state if isinstance(new_state, tuple) else (new_state,)
        for got, want in zip(outs[1:], expected_states, strict=True):
            np.testing.assert_allclose(got, want.numpy(), atol=1e-4)


def test_cli_export_writes_model_and_sidecar(tmp_path: Path) -> None:
    seqlab.set_seed(0)
    seqlab.save(tmp_path / "ckpt", SequenceModel(ModelConfig(hidden_size=4)))
    cmd = [
        sys.executable,
        "-m",
        "seqlab",
        "export",
        "--checkpoint",
        str(tmp_path / "ckpt"),
        "--format",
        "onnx",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ckpt" / "model.onnx").is_file()
    sidecar = (tmp_path / "ckpt" / "model.onnx.json").read_text()
    assert '"inputs": [\n    "x",\n    "h",\n    "c"\n  ]' in sidecar
    ort.InferenceSession(str(tmp_path / "ckpt" / "model.onnx"), providers=["CPUExecutionProvider"])


def test_stream_and_onnx_agree_step_by_step(tmp_path: Path) -> None:
    seqlab.set_seed(0)
    model = SequenceModel(ModelConfig(hidden_size=8, num_layers=2))
    ckpt = Checkpoint(model)
    session = ort.InferenceSession(
        str(export_onnx(ckpt, tmp_path / "m.onnx")), providers=["CPUExecutionProvider"]
    )
    stream = seqlab.Stream(ckpt)
    h = np.zeros((2, 1, 8), np.float32)
    c = np.zeros((2, 1, 8), np.float32)
    for v in [0.5, -1.0, 2.0, 0.0]:
        y, h, c = session.run(None, {"x": np.full((1, 1, 1), v, np.float32), "h": h, "c": c})
        np.testing.assert_allclose(stream.update("s", [v])[0], y[0, 0], atol=1e-5)
