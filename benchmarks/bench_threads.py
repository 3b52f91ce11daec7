"""Threads: ``Forecaster.fit`` (the library) idle, beside one busy single-threaded process and
beside a 2-thread PyTorch job, under seqlab's thread rule and with every core fixed by hand,
as ratios to the idle time of each; then the same training run through the CLI with seqlab's
default, with every core (PyTorch's default) and with one thread, on an idle machine and with
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


FIT = """
import sys, time
from seqlab import ForecastConfig, Forecaster, set_threads
from seqlab.data.builtin import load_dataset
if sys.argv[1] != "policy":
    set_threads(int(sys.argv[1]))
series = load_dataset("nino_sst")
config = ForecastConfig.of(model="seq2seq", epochs=int(sys.argv[2]), patience=None, select="model")
start = time.perf_counter()
Forecaster(config).fit(series)
print(time.perf_counter() - start)
"""

JOB = """
import time, torch
torch.set_num_threads(2)
a = torch.randn(384, 384)
end = time.time() + 900
while time.time() < end:
    a = torch.tanh(a @ a.T / 384)
"""


def _fit(threads: str, epochs: int, limit: float) -> float | None:
    """Seconds of one ``Forecaster.fit`` in a fresh process (None: over ``limit``)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    args = [sys.executable, "-c", FIT, threads, str(epochs)]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=limit, env=env)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return float(done.stdout.strip().splitlines()[-1])


def library_rows(epochs: int, cores: int) -> list[dict[str, Any]]:
    """``Forecaster.fit`` (the library, no CLI) idle, beside one busy single-threaded process
    and beside a 2-thread PyTorch job: seqlab's rule against every core fixed by hand (what
    the library did before it had a rule), each timed in a fresh process; ratios to idle."""
    rows: list[dict[str, Any]] = []
    idle: dict[str, float] = {}
    loads = (
        ("idle", None),
        ("one busy single-threaded process", "spin"),
        ("a 2-thread job", "job"),
    )
    for name, load in loads:
        hog = None
        if load == "spin":
            hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        elif load == "job":
            hog = subprocess.Popen([sys.executable, "-c", JOB])
        try:
            if hog is not None:
                time.sleep(3)  # the load is running before the fit starts
            for threads in ("policy", str(cores)):
                limit = 20 * idle[threads] if threads in idle else 600
                seconds = _fit(threads, epochs, limit)
                if load is None and seconds is not None:
                    idle[threads] = seconds
                ratio = None if seconds is None else seconds / idle[threads]
                label = "seqlab's rule" if threads == "policy" else f"{threads} threads fixed"
                rows.append(
                    {
                        "load": name,
                        "threads": label,
                        "seconds": None if seconds is None else round(seconds, 1),
                        "ratio_to_idle": None if ratio is None else round(ratio, 2),
                    }
                )
                print(rows[-1], flush=True)
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    p.add_argument("--library-only", action="store_true", help="only the Forecaster.fit rows")
    args = p.parse_args(argv)
    cores = available_cores()
    library = library_rows(args.epochs, cores)
    if args.library_only:
        _write(args.out, {"cores": cores, "epochs": args.epochs, "library": library}, library)
        return {"library": library}
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
              "rows": rows, "train_steps": steps, "library": library}  # fmt: skip
    lines = ["| machine | threads | seconds |", "|---|---|---|"]
    lines += [f"| {'busy (' + str(cores) + ' spinning processes)' if r['load'] else 'idle'} | "
              f"{r['threads']} | {r['seconds']} |" for r in rows]  # fmt: skip
    lines += ["", "| segment model hidden, batch | threads | ms per training step (idle) |"]
    lines += ["|---|---|---|"]
    lines += [f"| {r['hidden']}, {r['batch']} | {r['threads']} | {r['ms_per_step']} |"
              for r in steps]  # fmt: skip
    _write(args.out, result, library, tuple(lines))
    return result


def _write(
    out: Path, result: dict[str, Any], library: list[dict[str, Any]], lines: tuple[str, ...] = ()
) -> None:
    """threads.json and threads.md (the Forecaster.fit table first)."""
    table = ["| Forecaster.fit beside | threads | seconds | ratio to idle |", "|---|---|---|---|"]
    table += [f"| {r['load']} | {r['threads']} | {r['seconds'] or '> 20x idle'} | "
              f"{r['ratio_to_idle'] or '> 20'} |" for r in library]  # fmt: skip
    text = "\n".join([*table, "", *lines]) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / "threads.json", json.dumps(result, indent=2).encode() + b"\n")
    atomic_write_bytes(out / "threads.md", text.encode())
    print(text)


if __name__ == "__main__":
    main()
