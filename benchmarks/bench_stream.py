"""Streaming latency: one update of one value, for one series and for 1,000 series at once.

Hidden 64, 2 layers, one input feature. In one run, interleaved:
  - Stream.update / Stream.update_many (seqlab, PyTorch eager model underneath);
  - onnxruntime on the exported model (state as explicit input/output);
  - raw nn.LSTM(batch_first=True) called with its state, and two nn.LSTMCell (reference).
Writes stream.json and stream.md to --out. Run: make bench
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from seqlab import Checkpoint, ModelConfig, SequenceModel, Stream, export_onnx
from seqlab._io import atomic_write_bytes

HIDDEN, LAYERS = 64, 2


def per_call(fns: dict[str, Callable[[], object]], inner: int, samples: int) -> dict[str, float]:
    """Median seconds per call; each sample times ``inner`` calls; functions interleaved."""
    for fn in fns.values():
        for _ in range(inner):
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(samples):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            times[name].append((time.perf_counter() - t0) / inner)
    return {k: statistics.median(v) for k, v in times.items()}


def contenders(
    cell: str, batch: int, onnx_path: Path, model: SequenceModel
) -> dict[str, Callable[[], object]]:
    ckpt = Checkpoint(model)
    stream = Stream(ckpt)
    ids = [f"s{i}" for i in range(batch)]
    one = np.ones((1, 1), np.float32)
    values = {i: one for i in ids}
    options = ort.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy threads
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    feeds = {
        "x": np.ones((batch, 1, 1), np.float32),
        "h": np.zeros((LAYERS, batch, HIDDEN), np.float32),
    }
    if cell == "lstm":
        feeds["c"] = np.zeros((LAYERS, batch, HIDDEN), np.float32)
    rnn = model.backbone.rnn
    x = torch.ones(batch, 1, 1)
    h0 = torch.zeros(LAYERS, batch, HIDDEN)
    state = (h0, h0.clone()) if cell == "lstm" else h0
    fns: dict[str, Callable[[], object]] = {
        "seqlab Stream.update" if batch == 1 else "seqlab Stream.update_many": (
            (lambda: stream.update("s0", one))
            if batch == 1
            else (lambda: stream.update_many(values))
        ),
        "onnxruntime": lambda: session.run(None, feeds),
        "raw nn.LSTM" if cell == "lstm" else "raw nn.GRU": lambda: rnn(x, state),
    }
    if batch > 1:
        block = np.ones((batch, 1, 1), np.float32)
        fns["seqlab Stream.update_array"] = lambda: stream.update_array(ids, block)
    if cell == "lstm":
        cells = [nn.LSTMCell(1, HIDDEN), nn.LSTMCell(HIDDEN, HIDDEN)]
        hc = [(torch.zeros(batch, HIDDEN), torch.zeros(batch, HIDDEN)) for _ in cells]

        def two_cells() -> object:
            inp = x[:, 0]
            for cell_k, s in zip(cells, hc, strict=True):
                inp, _ = cell_k(inp, s)
            return inp

        fns["two nn.LSTMCell"] = two_cells
    return fns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for cell in ("lstm", "gru"):
            torch.manual_seed(0)
            model = SequenceModel(
                ModelConfig(cell=cell, hidden_size=HIDDEN, num_layers=LAYERS)
            ).eval()  # type: ignore[arg-type]
            onnx_path = export_onnx(Checkpoint(model), Path(tmp) / f"{cell}.onnx")
            for batch, inner in ((1, 200), (1000, 5)):
                with torch.no_grad():
                    times = per_call(contenders(cell, batch, onnx_path, model), inner, args.samples)
                raw = times["raw nn.LSTM" if cell == "lstm" else "raw nn.GRU"]
                for name, seconds in times.items():
                    rows.append(
                        {
                            "cell": cell,
                            "series": batch,
                            "contender": name,
                            "us_per_update": seconds * 1e6,
                            "series_steps_per_s": batch / seconds,
                            "vs_raw": seconds / raw,
                        }
                    )
    results = {
        "torch": torch.__version__,
        "onnxruntime": ort.__version__,
        "threads": torch.get_num_threads(),
        "hidden": HIDDEN,
        "layers": LAYERS,
        "rows": rows,
    }
    lines = [
        f"# Streaming latency (hidden {HIDDEN}, {LAYERS} layers; torch {torch.__version__}, "
        f"onnxruntime {ort.__version__}, {torch.get_num_threads()} threads)",
        "",
        "| cell | series per call | contender | µs per call | series-steps / s | time vs raw |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['cell']} | {r['series']} | {r['contender']} | {r['us_per_update']:.1f} "
            f"| {r['series_steps_per_s']:,.0f} | {r['vs_raw']:.2f} |"
        )
    lines += [
        "",
        "Goals: one series under 50 µs per update; 1,000 series at >= 250,000 series-steps/s.",
    ]
    out = Path(args.out)
    atomic_write_bytes(out / "stream.json", json.dumps(results, indent=2).encode())
    atomic_write_bytes(out / "stream.md", ("\n".join(lines) + "\n").encode())
    print("\n".join(lines))


if __name__ == "__main__":
    main()
