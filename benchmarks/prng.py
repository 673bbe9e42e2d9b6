"""JAX's random-bit generators on the spine's data draw (issue #33, item 3): threefry2x32 (JAX's default), rbg and
unsafe_rbg, each drawing R replicates of the quickstart's real data (n0 = 2000, n1 = 100, d = 10 Gaussian classes,
21,000 normals per replicate) in one jitted vmap, as the runner does.

    python benchmarks/prng.py [--reps 2000] [--repeats 5]

Prints the median time per replicate of each generator and its ratio to threefry2x32, in one run. The three draw
different streams: ``synthjax run --prng rbg`` switches a study's generator (recorded in the manifest, and a run
store refuses to resume under another one). threefry2x32 stays the default: it is JAX's default, its streams are
the same on every backend, and it is the generator this project's statistical checks ran on; rbg and unsafe_rbg draw
their bits with XLA's RngBitGenerator and its platform-specific default algorithm (``jax.lax.rng_bit_generator``),
so the same seed gives other numbers on a GPU than on a CPU, and unsafe_rbg's split and fold_in are, by its name,
not the robust ones (the jax.random docs, "Advanced RNG configuration").
"""
from __future__ import annotations

import argparse
import platform

import jax
import numpy as np
from _timing import median_time

from synthjax import dgp

IMPLS = ("threefry2x32", "rbg", "unsafe_rbg")


def draw_seconds(impl: str, reps: int, repeats: int) -> float:
    """Median seconds per replicate of the vmapped draw under ``impl`` (compiled before timing)."""
    jax.config.update("jax_default_prng_impl", impl)
    jax.clear_caches()          # JAX's trace cache ignores this flag: a function traced under threefry would stay so
    truth = dgp.gaussian(np.zeros(10), np.ones(10) / np.sqrt(10))
    draw = jax.jit(jax.vmap(lambda k: truth.sample(k, 2000, 100)))
    keys = jax.random.split(jax.random.key(0), reps)
    assert keys.dtype == jax.random.key(0, impl=impl).dtype
    print(f"{impl:>13}: first normal of the draw {float(draw(keys)[0][0, 0, 0]):+.6f}")
    return median_time(lambda: jax.block_until_ready(draw(keys)), repeats) / reps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {jax.devices()[0].platform}, jax {jax.__version__}")
    times = {impl: draw_seconds(impl, args.reps, args.repeats) for impl in IMPLS}
    for impl, t in times.items():
        print(f"{impl:>13}: {t * 1e3:.3f} ms per replicate ({21_000 / (t * 1e9) * 1e3:.1f} M normals/s)  "
              f"threefry2x32 / this = {times['threefry2x32'] / t:.2f}x")


if __name__ == "__main__":
    main()
