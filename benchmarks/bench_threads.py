"""Threads: the same training run with seqlab's default (the idle cores, by the load
average), with every core (PyTorch's default) and with one thread, on an idle machine and with
every core kept busy by other processes (the shared-machine case).

    python benchmarks/bench_threads.py --out benchmarks/results        (make bench-threads)

Each configuration runs ``seqlab forecast`` on the built-in Niño SST data for a fixed number of
epochs (no early stopping) in a fresh process and times it; the load is one busy-looping
process per available core. Then, on the idle machine, the time of one training step of the
segment model at three sizes with 1 thread and with every core. Writes OUT/threads.json and
OUT/threads.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from seqlab._io import atomic_write_bytes
from seqlab._threads import available_cores


def _spin(stop: Any) -> None:
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1_000_003


def _run(threads: int | None, epochs: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "seqlab"]
        cmd += [] if threads is None else ["--threads", str(threads)]
        cmd += ["forecast", "--epochs", str(epochs), "--patience", "1000", "--model", "seq2seq",
                "--select", "model", "--quiet", "--out", out]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        return time.perf_counter() - start


STEP = """
import sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
from seqlab.config import SegmentConfig
from seqlab.models import SegmentRNN
hidden, batch = int(sys.argv[2]), int(sys.argv[3])
m = SegmentRNN(SegmentConfig(lookback=336, horizon=48, segment=24, hidden_size=hidden))
opt = torch.optim.Adam(m.parameters())
x, y = torch.randn(batch, 336, 1), torch.randn(batch, 48, 1)
def step():
    loss = (m(x)[0] - y).abs().mean(); opt.zero_grad(); loss.backward(); opt.step()
for _ in range(3):
    step()
t = time.perf_counter()
for _ in range(20):
    step()
print((time.perf_counter() - t) / 20 * 1000)
"""


def _step_ms(threads: int, hidden: int, batch: int) -> float:
    """Milliseconds per training step of a segment model (idle machine)."""
    args = [sys.executable, "-c", STEP, str(threads), str(hidden), str(batch)]
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return float(done.stdout.strip())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = p.parse_args(argv)
    cores = available_cores()
    rows = []
    for load in (False, True):
        stop = mp.Event()
        hogs = [mp.Process(target=_spin, args=(stop,)) for _ in range(cores if load else 0)]
        for h in hogs:
            h.start()
        deadline = time.monotonic() + 120  # a machine that has been busy for a while
        while load and os.getloadavg()[0] < cores - 0.5 and time.monotonic() < deadline:
            time.sleep(2)
        try:
            for threads in (None, cores, 1):
                seconds = _run(threads, args.epochs)
                name = "seqlab default (idle cores)" if threads is None else str(threads)
                rows.append({"load": load, "threads": name, "seconds": round(seconds, 1)})
                print(rows[-1], flush=True)
        finally:
            stop.set()
            for h in hogs:
                h.join()
    steps = [
        {
            "hidden": hidden,
            "batch": batch,
            "threads": threads,
            "ms_per_step": round(_step_ms(threads, hidden, batch), 2),
        }
        for hidden, batch in ((64, 32), (128, 512), (256, 256))
        for threads in sorted({1, cores})
    ]
    result = {"cores": cores, "epochs": args.epochs, "omp": os.environ.get("OMP_NUM_THREADS"),
              "rows": rows, "train_steps": steps}  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(args.out / "threads.json", json.dumps(result, indent=2).encode() + b"\n")
    lines = ["| machine | threads | seconds |", "|---|---|---|"]
    lines += [f"| {'busy (' + str(cores) + ' spinning processes)' if r['load'] else 'idle'} | "
              f"{r['threads']} | {r['seconds']} |" for r in rows]  # fmt: skip
    lines += ["", "| segment model hidden, batch | threads | ms per training step (idle) |"]
    lines += ["|---|---|---|"]
    lines += [f"| {r['hidden']}, {r['batch']} | {r['threads']} | {r['ms_per_step']} |"
              for r in steps]  # fmt: skip
    atomic_write_bytes(args.out / "threads.md", ("\n".join(lines) + "\n").encode())
    print("\n".join(lines))
    return result


if __name__ == "__main__":
    main()
