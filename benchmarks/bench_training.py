"""Training-step and forward-pass speed of SequenceModel against raw nn.LSTM + Linear.

For each size (input, hidden, layers, time, batch) it times, in one run and interleaved:
  - ours: SequenceModel.training_loss + backward + global-norm clipping + Adam step
    (exactly what Trainer does per batch), and a no-grad forward;
  - raw: nn.LSTM(batch_first=True) + nn.Linear with the same weights and the same steps;
  - a GEMM of the LSTM's gate-matmul shape, as the machine's FLOP/s reference.
Variable lengths (lengths uniform in 1..time): ours (padded fast path in training) against
the same model forced through packed sequences, the path it used before, per training step.
Writes results.json and results.md to --out. Run: make bench
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from seqlab import Batch, ModelConfig, SequenceModel
from seqlab._io import atomic_write_bytes

SIZES = [(1, 64, 2, 96, 32), (7, 128, 2, 96, 64), (32, 256, 1, 100, 64)]
LENGTH_SIZES = [(1, 32, 1, 40, 64), (7, 128, 2, 96, 64)]  # the bit counter's, and a larger one


class Raw(nn.Module):
    def __init__(self, f: int, d: int, layers: int) -> None:
        super().__init__()
        self.rnn = nn.LSTM(f, d, layers, batch_first=True)
        self.linear = nn.Linear(d, f)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        y: torch.Tensor = self.linear(out)
        return y


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _time_pair(
    fns: dict[str, Callable[[], object]], device: torch.device, repeats: int
) -> dict[str, float]:
    """Median seconds per call of each function, calls interleaved to share the noise."""
    for fn in fns.values():
        for _ in range(3):
            fn()
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            _sync(device)
            t0 = time.perf_counter()
            fn()
            _sync(device)
            samples[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in samples.items()}


def _train_step(
    model: nn.Module, opt: torch.optim.Optimizer, loss_fn: Callable[[], torch.Tensor]
) -> None:
    loss = loss_fn()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


def _setup(
    size: tuple[int, int, int, int, int], device: torch.device
) -> tuple[SequenceModel, torch.Tensor, torch.Tensor]:
    """A seeded SequenceModel of ``size`` and random inputs and targets (B, T, F)."""
    f, d, layers, t, b = size
    torch.manual_seed(0)
    model = SequenceModel(
        ModelConfig(input_size=f, hidden_size=d, num_layers=layers, output_size=f)
    ).to(device)
    return model, torch.randn(b, t, f, device=device), torch.randn(b, t, f, device=device)


def bench_size(
    size: tuple[int, int, int, int, int], device: torch.device, repeats: int
) -> dict[str, object]:
    f, d, layers, t, b = size
    ours, x, y = _setup(size, device)
    raw = Raw(f, d, layers).to(device)
    raw.rnn.load_state_dict(ours.backbone.rnn.state_dict())
    raw.linear.load_state_dict(ours.head.linear.state_dict())
    batch = Batch(x, y)
    opt_ours = torch.optim.Adam(ours.parameters(), 1e-3)
    opt_raw = torch.optim.Adam(raw.parameters(), 1e-3)
    train = _time_pair(
        {
            "ours": lambda: _train_step(ours, opt_ours, lambda: ours.training_loss(batch)[0]),
            "raw": lambda: _train_step(raw, opt_raw, lambda: nn.functional.mse_loss(raw(x), y)),
        },
        device,
        repeats,
    )
    with torch.no_grad():
        fwd = _time_pair({"ours": lambda: ours(x), "raw": lambda: raw(x)}, device, repeats)
    a, w = torch.randn(b * t, d, device=device), torch.randn(d, 4 * d, device=device)
    gemm = _time_pair({"gemm": lambda: a @ w}, device, repeats)["gemm"]
    gemm_flops = 2 * b * t * d * 4 * d / gemm
    lstm_flops = sum(2 * b * t * ((f if i == 0 else d) + d) * 4 * d for i in range(layers))
    return {
        "size": {"input": f, "hidden": d, "layers": layers, "time": t, "batch": b},
        "train_step_s": train,
        "train_ratio_ours_over_raw": train["ours"] / train["raw"],
        "forward_s": fwd,
        "forward_ratio_ours_over_raw": fwd["ours"] / fwd["raw"],
        "gemm_gflops": gemm_flops / 1e9,
        "forward_gflops_ours": lstm_flops / fwd["ours"] / 1e9,
        "forward_fraction_of_gemm": lstm_flops / fwd["ours"] / gemm_flops,
    }


def bench_lengths(
    size: tuple[int, int, int, int, int], device: torch.device, repeats: int
) -> dict[str, object]:
    """Training steps on a variable-length batch: the padded path against packed sequences."""
    f, d, layers, t, b = size
    model, x, y = _setup(size, device)
    batch = Batch(x, y, torch.randint(1, t + 1, (b,)))
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    backbone = model.backbone
    padded = backbone._padded

    def packed_loss() -> torch.Tensor:
        backbone._padded = backbone._packed  # type: ignore[method-assign]
        try:
            return model.training_loss(batch)[0]
        finally:
            backbone._padded = padded  # type: ignore[method-assign]

    times = _time_pair(
        {
            "padded": lambda: _train_step(model, opt, lambda: model.training_loss(batch)[0]),
            "packed": lambda: _train_step(model, opt, packed_loss),
        },
        device,
        repeats,
    )
    return {
        "size": {"input": f, "hidden": d, "layers": layers, "time": t, "batch": b},
        "train_step_s": times,
        "speedup_padded_over_packed": times["packed"] / times["padded"],
    }


def _size_cell(s: dict[str, int]) -> str:
    """The table's first cell: input, hidden, layers, time, batch."""
    return f"| {s['input']}, {s['hidden']}, {s['layers']}, {s['time']}, {s['batch']} "


def to_markdown(results: dict[str, object]) -> str:
    lines = [
        f"# Training-step benchmark ({results['device']}, torch {results['torch']}, "
        f"{results['threads']} threads)",
        "",
        "| input, hidden, layers, time, batch | train step ours (ms) | raw (ms) | ours/raw "
        "| forward ours (ms) | raw (ms) | ours/raw | GEMM GFLOP/s | forward % of GEMM |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["sizes"]:  # type: ignore[attr-defined]
        lines.append(
            _size_cell(r["size"])
            + f"| {r['train_step_s']['ours'] * 1e3:.2f} | {r['train_step_s']['raw'] * 1e3:.2f} "
            f"| {r['train_ratio_ours_over_raw']:.3f} "
            f"| {r['forward_s']['ours'] * 1e3:.2f} | {r['forward_s']['raw'] * 1e3:.2f} "
            f"| {r['forward_ratio_ours_over_raw']:.3f} | {r['gemm_gflops']:.1f} "
            f"| {100 * r['forward_fraction_of_gemm']:.1f} |"
        )
    lines += ["", "Ratios are medians of interleaved calls in one run; below 1.10 meets the goal."]
    lines += [
        "",
        "Variable lengths (uniform in 1..time), training step:",
        "",
        "| input, hidden, layers, time, batch | padded (ms) | packed (ms) | speed-up |",
        "|---|---|---|---|",
    ]
    for r in results["lengths"]:  # type: ignore[attr-defined]
        lines.append(
            _size_cell(r["size"]) + f"| {r['train_step_s']['padded'] * 1e3:.2f} "
            f"| {r['train_step_s']['packed'] * 1e3:.2f} "
            f"| {r['speedup_padded_over_packed']:.2f}x |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results", help="folder for results.json/.md")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    device = torch.device(args.device)
    results = {
        "device": torch.cuda.get_device_name()
        if device.type == "cuda"
        else platform.processor() or "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "sizes": [bench_size(s, device, args.repeats) for s in SIZES],
        "lengths": [bench_lengths(s, device, args.repeats) for s in LENGTH_SIZES],
    }
    out = Path(args.out)
    atomic_write_bytes(out / "results.json", json.dumps(results, indent=2).encode())
    markdown = to_markdown(results)
    atomic_write_bytes(out / "results.md", markdown.encode())
    print(markdown)


if __name__ == "__main__":
    main()
