"""Training many small diffusion models at once: vmap over replicates vs one model after another.

Workloads: "codsa", the tabular denoiser of the CoDSA studies (MLP 3 × 128 on [x, one-hot class, 32-d
time embedding], mini-batches of 256), and "small" (MLP 2 × 32, mini-batches of 64); both T = 1000,
linear β 1e−4 → 0.02, ε-prediction, Adam 1e−3, on n = 1000 rows of d = 10 features with 2 classes; ``--steps`` training steps per model. Throughput = denoiser training steps per
second summed over the R models, after compilation (median of ``--repeats``), for R = 1, 8, 32 models
trained at once by ``jax.vmap`` of the whole training loop against the same R models trained one
after another by the same compiled single-model loop. Each R runs in a fresh process so its peak
resident memory is its own.

    python benchmarks/diffusion.py [--steps 200] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

N, D = 1000, 10


WORKLOADS = {"codsa": dict(hidden=(128, 128, 128), batch_size=256), "small": dict(hidden=(32, 32), batch_size=64)}


def one(R: int, steps: int, repeats: int, workload: str) -> dict:
    import jax
    import jax.numpy as jnp

    from _timing import median_time
    from synthjax.runner import peak_rss
    from synthjax.synth import diffusion as DF
    config = DF.DiffusionConfig(train_steps=steps, **WORKLOADS[workload])
    keys = jax.random.split(jax.random.key(0), R)
    X = jax.random.normal(jax.random.key(1), (R, N, D))
    cond = (jnp.arange(N) % 2).astype(jnp.int32)
    train = lambda k, x: DF.fit(k, x, cond, 2, config, 1e-3).info.loss  # noqa: E731
    single = jax.jit(train)
    batched = jax.jit(jax.vmap(train))
    jax.block_until_ready(single(keys[0], X[0]))
    jax.block_until_ready(batched(keys, X))                            # compile both first
    seq = median_time(lambda: [jax.block_until_ready(single(keys[r], X[r])) for r in range(R)], repeats)
    vec = median_time(lambda: jax.block_until_ready(batched(keys, X)), repeats)
    stats = jax.devices()[0].memory_stats() or {}                      # accelerators: device memory peak
    return dict(R=R, sequential=R * steps / seq, vmapped=R * steps / vec, peak_rss=peak_rss(),
                device_peak=stats.get("peak_bytes_in_use"), devices=[str(d) for d in jax.devices()])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--workload", default="codsa", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.steps, args.repeats, args.workload)))
        return
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores")
    print(f"{'workload':>9} {'R':>4} {'sequential steps/s':>19} {'vmapped steps/s':>16} {'ratio':>6} {'peak GiB':>9}")
    for workload in WORKLOADS:
        for R in (1, 8, 32):
            done = subprocess.run([sys.executable, __file__, "--one", str(R), "--steps", str(args.steps), "--repeats",
                                   str(args.repeats), "--workload", workload], capture_output=True, text=True, check=True)
            m = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{workload:>9} {R:>4} {m['sequential']:>19.0f} {m['vmapped']:>16.0f} "
                  f"{m['vmapped'] / m['sequential']:>6.1f} {m['peak_rss'] / 2 ** 30:>9.2f}   ({', '.join(m['devices'])}"
                  + (f"; device peak {m['device_peak'] / 2 ** 30:.2f} GiB)" if m["device_peak"] else ")"), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
