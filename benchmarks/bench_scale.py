"""Scale: memory and speed of a global model's windows as the number of series grows.

    python benchmarks/bench_scale.py --series 100 1000 10000 --out benchmarks/results/scale
                                                                     (make bench-scale)

Synthetic hourly series of 1,000 points (daily and weekly seasons, trend, noise), lookback
168, horizon 24, the Forecaster's own preparation (split, scaling) and training windows
(:class:`~seqlab.data.indexed.WindowData`: each series kept once, windows as origins). Each
N runs in a fresh process, so that its peak resident memory (``peak_rss_mb``, from the
kernel's ``ru_maxrss``) is its own. ``build_seconds`` is the time from the series in memory
to the training windows; ``seconds_per_epoch`` is estimated from ``--batches`` training
steps of the default segment-recurrent network (batch 512), scaled to one pass over every
window (an epoch over 10,000 series is millions of windows). For comparison the same N is
also measured with dense windows (an (N, L, F) copy, as before windows by index) where it
fits in ``--dense-limit`` series.

``--processes 2`` adds the data-parallel rows: the same training steps under torchrun with
2 processes (gloo, 1 thread each) against 1 process with 2 threads and 1 process with 1
thread, as windows per second, all with the same global batch.

Writes ``OUT/scale.json``: ``{"rows": [{"series", "windows", "peak_rss_mb", "build_seconds",
"seconds_per_epoch", "device", "layout", ...}]}``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

LOOKBACK, HORIZON, POINTS, BATCH = 168, 24, 1000, 512


def synthetic(n: int, seed: int = 0) -> dict[str, Any]:
    from seqlab import Series

    rng = np.random.default_rng(seed)
    t = np.arange(POINTS)
    out = {}
    for k in range(n):
        level = rng.uniform(10, 1000)
        daily = np.sin(2 * np.pi * (t + rng.integers(24)) / 24)
        weekly = 0.3 * np.sin(2 * np.pi * t / 168)
        values = level * (1 + 0.3 * daily + weekly + 1e-4 * rng.normal() * t)
        values += rng.normal(0, 0.05 * level, POINTS)
        out[f"s{k}"] = Series(values[:, None].astype(np.float32), ("y",), None, "h")
    return out


def _config() -> Any:
    from seqlab import ForecastConfig

    return ForecastConfig.of(
        model="segment", lookback=LOOKBACK, horizon=HORIZON, val_rows=HORIZON, test_rows=0,
        batch_size=BATCH, hidden_size=64, num_layers=1, deseasonalize=False,
    )  # fmt: skip


def child(n: int, layout: str, batches: int, threads: int) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    import torch

    from seqlab.data.batches import SequenceData
    from seqlab.forecasting.prepare import datasets, prepare

    torch.set_num_threads(threads)
    named = synthetic(n)
    start = time.perf_counter()
    prepared = prepare(named, _config())
    train, _ = datasets(prepared, _config(), LOOKBACK)
    if layout == "dense":  # the layout before windows by index: every window copied
        batch = train.gather(train.origins)
        train = SequenceData(batch.x, batch.y)  # type: ignore[assignment]
    build = time.perf_counter() - start
    model = _network(prepared)
    seconds, steps = _steps(model, train, batches)
    per_step = seconds / max(steps, 1)
    return {
        "series": n,
        "windows": len(train),
        "layout": layout,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "build_seconds": round(build, 2),
        "seconds_per_epoch": round(per_step * -(-len(train) // BATCH), 1),
        "steps_timed": steps,
        "windows_per_second": round(BATCH / per_step, 1),
        "device": "cpu",
        "threads": threads,
    }


def _network(prepared: Any) -> Any:
    """The segment network of :func:`_config` over the ``prepared`` series."""
    from seqlab.forecasting.kinds import NetworkSpec, network_config
    from seqlab.models.segment import SegmentRNN

    c, period = _config(), prepared.period
    skip = c.repeats_season(c.segment_length(LOOKBACK, period), period)
    return SegmentRNN(network_config(prepared, c, NetworkSpec("segment", LOOKBACK, skip)))


def _steps(
    model: Any, train: Any, batches: int, loss: Any = None, shard: tuple[int, int] = (0, 1)
) -> tuple[float, int]:
    """Seconds for ``batches`` Adam steps (after one warm-up step) of ``loss`` (default: the
    model's training loss) over this process's share of each batch."""
    import torch

    loss = loss or model.training_loss
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    steps, start = -1, 0.0
    for batch in train.batches(BATCH, shuffle=True, generator=gen, shard=shard):
        value, _ = loss(batch)
        opt.zero_grad()
        value.backward()
        opt.step()
        steps += 1
        if steps == 0:
            start = time.perf_counter()
        if steps == batches:
            break
    return time.perf_counter() - start, steps


def run_child(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, *args]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    row: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return row


def ddp_child(n: int, batches: int) -> None:
    """Under torchrun: the same timed steps with DistributedDataParallel; rank 0 prints."""
    import torch

    import seqlab.distributed as distributed
    from seqlab.forecasting.prepare import datasets, prepare

    torch.set_num_threads(1)
    distributed.join(torch.device("cpu"))
    rank, world = distributed.world()
    prepared = prepare(synthetic(n), _config())
    train, _ = datasets(prepared, _config(), LOOKBACK)
    from torch.nn.parallel import DistributedDataParallel

    model = _network(prepared)
    ddp = DistributedDataParallel(distributed.LossModule(model))
    seconds, steps = _steps(model, train, batches, loss=ddp, shard=(rank, world))
    if rank == 0:
        row = {"series": n, "layout": "indexed", "processes": world, "threads": 1,
               "windows_per_second": round(steps * BATCH / seconds, 1), "device": "cpu",
               "backend": distributed.backend()}  # fmt: skip
        print(json.dumps(row))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--series", type=int, nargs="+", default=[100, 1000, 10000])
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/scale"))
    p.add_argument("--batches", type=int, default=20, help="timed training steps per row")
    p.add_argument("--dense-limit", type=int, default=1000, help="largest N also run dense")
    p.add_argument("--processes", type=int, nargs="*", default=[2])
    p.add_argument("--child", nargs=4, metavar=("N", "LAYOUT", "BATCHES", "THREADS"))
    p.add_argument("--ddp-child", nargs=2, type=int, metavar=("N", "BATCHES"))
    args = p.parse_args(argv)
    if args.child:
        n, layout, batches, threads = args.child
        print(json.dumps(child(int(n), layout, int(batches), int(threads))))
        return
    if args.ddp_child:
        ddp_child(*args.ddp_child)
        return
    rows = []
    for n in args.series:
        layouts = ["indexed", "dense"] if n <= args.dense_limit else ["indexed"]
        for layout in layouts:
            row = run_child(["--child", str(n), layout, str(args.batches), "2"])
            print(json.dumps(row), flush=True)
            rows.append(row)
    for procs in args.processes or ():
        n = min(args.series)
        single = run_child(["--child", str(n), "indexed", str(args.batches), "1"])
        single = {**single, "processes": 1}  # the per-process baseline: one thread
        one = run_child(["--child", str(n), "indexed", str(args.batches), str(procs)])
        one = {**one, "processes": 1}  # every core to one process's threads
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        launch = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                  "--nproc_per_node", str(procs), __file__, "--ddp-child", str(n),
                  str(args.batches)]  # fmt: skip
        done = subprocess.run(launch, capture_output=True, text=True, env=env, check=False)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        many = json.loads(lines[-1]) if lines else {"error": done.stderr[-500:]}
        if all("windows_per_second" in r for r in (many, one, single)):
            many["speedup_vs_1_process"] = round(
                many["windows_per_second"] / one["windows_per_second"], 2
            )
            many["speedup_vs_1_process_1_thread"] = round(
                many["windows_per_second"] / single["windows_per_second"], 2
            )
        for row in (single, one, many):
            print(json.dumps(row), flush=True)
            rows.append({**row, "kind": "data parallel"})
    args.out.mkdir(parents=True, exist_ok=True)
    from seqlab._io import atomic_write_bytes

    atomic_write_bytes(args.out / "scale.json", json.dumps({"rows": rows}, indent=2).encode())


if __name__ == "__main__":
    main()
