"""Scaling of the grid runner: replicates per second against R and against the number of devices,
and the cost of durable shards and resume bookkeeping.

Workload: the spine's (a) — n0 = 2000, n1 = 100, d = 10 Gaussian classes, SMOTE (k = 5) to balance
(γ = 1), ridge logistic regression (λ = 1e−4), exact balanced excess risk; population metrics off.
Every measurement runs in a fresh process (so its peak resident memory is its own):
  1. rate vs R ∈ {10², 10³, 10⁴, 10⁵} with shards on disk and --max-memory 4GiB: rate = R / (wall − compile);
  2. rate vs forced CPU devices (XLA_FLAGS=--xla_force_host_platform_device_count=N), R = 10⁴;
  3. shard overhead: the time spent in the run store (writing shards, streaming them into one Parquet
     file, accumulating the summary) at R = 10⁴, and in a resume that finds every shard done — as
     fractions of the compute time of the same run.

    python benchmarks/scaling.py [--max-reps 100000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def workload(reps: int):
    import numpy as np

    from synthjax import dgp, learn, synth
    from synthjax.runner import Study
    d = 10
    truth = dgp.gaussian(np.zeros(d), np.ones(d) / np.sqrt(d))
    return Study("scaling", truth, {"smote": synth.smote(5)}, learn.logistic(ridge=1e-4), gamma=(1.0,),
                 sizes=((2000, 100),), reps=reps, metrics=False)


def timed(cls, names, spent: dict):
    """Wrap methods of ``cls`` so that their wall time accumulates in ``spent['s']``."""
    for name in names:
        method = getattr(cls, name)

        def wrapper(*args, _method=method, **kwargs):
            t = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                spent["s"] += time.perf_counter() - t
        setattr(cls, name, wrapper)


def one(reps: int, out: str | None, max_memory: str | None) -> dict:
    """Run the workload once in this process; timings, block size, peak memory and the time spent in the
    store's bookkeeping (RunStore: constructor checks, has, write, collect — which streams the shards
    and accumulates the summary — and status)."""
    from synthjax.runner import RunStore, run
    spent = {"s": 0.0}
    timed(RunStore, ["__init__", "has", "write", "collect", "status", "errors", "clear_error"], spent)
    study = workload(reps)
    t0 = time.perf_counter()
    study.dgp.population_risk(study.learner.loss, study.dgp.theta_star(study.learner)).block_until_ready()
    oracle = time.perf_counter() - t0            # θ* (memoised): computed by any run, reported apart
    t0 = time.perf_counter()
    res = run(study, out=out, max_memory=max_memory)
    wall = time.perf_counter() - t0
    m = res.manifest
    return dict(reps=reps, wall_s=wall, oracle_s=oracle, store_s=spent["s"], compile_s=m["compile_s"], cell_s=sum(t["total_s"] for t in m["timings"]), block_size=m["block_size"], peak_rss=m["peak_rss"],
                devices=len(m["machine"]["devices"]), rows=int(res.summary.reps.sum()))


def in_subprocess(reps: int, disk: bool, max_memory: str | None = None, devices: int = 1, out: str | None = None) -> dict:
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    cmd = [sys.executable, __file__, "--one", str(reps)]
    if disk:
        cmd += ["--out", out or tempfile.mkdtemp(prefix="synthjax-scaling-")]
    if max_memory:
        cmd += ["--max-memory", max_memory]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-reps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--max-memory", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.out, args.max_memory)))
        return
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores; JAX CPU")
    print("\n1. rate against R (shards on disk, --max-memory 4GiB)")
    print("   (rep/s: replicates over the cell's compute time; end-to-end: over the whole wall time, which adds\n"
          "    process start, imports, θ* and the one compile)")
    print(f"{'R':>8} {'wall s':>8} {'compile s':>9} {'rep/s':>8} {'end-to-end':>10} {'block':>6} {'peak GiB':>8}")
    r = 100
    while r <= args.max_reps:
        m = in_subprocess(r, disk=True, max_memory="4GiB")
        print(f"{r:>8} {m['wall_s'] + m['oracle_s']:>8.1f} {m['compile_s']:>9.1f} {r / (m['cell_s'] - m['compile_s']):>8.0f} "
              f"{r / (m['wall_s'] + m['oracle_s']):>10.0f} {m['block_size']:>6} {m['peak_rss'] / 2 ** 30:>8.2f}", flush=True)
        r *= 10
    reps = min(10_000, args.max_reps)
    print(f"\n2. rate against forced CPU devices (R = {reps}, in memory; median of {args.repeats})")
    for n in (1, 2, 4):
        runs = [in_subprocess(reps, disk=False, devices=n) for _ in range(args.repeats)]
        assert all(m["devices"] == n for m in runs)
        rate = statistics.median(reps / (m["cell_s"] - m["compile_s"]) for m in runs)
        print(f"  {n} device(s): {rate:.0f} replicates/s", flush=True)
    print(f"\n3. shard overhead (R = {reps}, default 256-replicate shards; median of {args.repeats})")
    disk, resume = [], []
    for _ in range(args.repeats):
        out = tempfile.mkdtemp(prefix="synthjax-scaling-")
        disk.append(in_subprocess(reps, disk=True, out=out))
        resume.append(in_subprocess(reps, disk=True, out=out))       # every shard done: bookkeeping only
    compute = statistics.median(m["cell_s"] - m["compile_s"] for m in disk)
    store = statistics.median(m["store_s"] for m in disk)
    redo = statistics.median(m["store_s"] for m in resume)
    shards = -(-reps // 256)
    print(f"  compute {compute:.2f} s; writing {shards} shards, streaming them to results.parquet and the summary "
          f"{store:.2f} s = {100 * store / compute:.1f}% of compute")
    print(f"  resume with every shard done: bookkeeping {redo:.2f} s = {100 * redo / compute:.1f}% of compute (no compile; "
          f"θ*, {statistics.median(m['oracle_s'] for m in resume):.2f} s, comes on top as in any run)")
    assert all(m["rows"] == reps for m in disk + resume)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
