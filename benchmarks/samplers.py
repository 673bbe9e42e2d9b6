"""Sampler throughput: synthjax (vmapped over replicates) vs imbalanced-learn (a Python loop).

For each method both libraries have — random oversampling, SMOTE, Borderline-SMOTE-1, ADASYN — time
generating ñ = n0 − n1 synthetic points (balancing) on Gaussian data, d = 20, n0 = 10·n1, for
n1 ∈ {100, 1000, 10000}. synthjax runs R replicates in one compiled call (lax.map over vmapped
batches sized to memory); imbalanced-learn runs a loop (fewer replicates at large n1, timed per
replicate). Data generation is excluded from both. Prints per-replicate medians and ratios.

    python benchmarks/samplers.py [--reps 100] [--n1 100 1000 10000]
    python benchmarks/samplers.py --adapter     # synthjax.sklearn samplers called one data set at a time

``--adapter`` times what a scikit-learn user runs: ``fit_resample`` of ``synthjax.sklearn`` and of imbalanced-learn
on one data set (n1 = 100, n0 = 1000, d = 20), called repeatedly with new seeds (the first call compiles; its time
is printed apart).

Neighbour search in synthjax is exact and dense (O(n_query · n_ref · d) in one matrix multiply) up to
2²² distance cells (a 16 MB float32 block); beyond that it is blocked over 256 query rows under
``lax.map``, so memory stays O(256 · n_ref).
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from _timing import median_time

D = 20


def datasets(R, n0, n1, seed=0):
    rng = np.random.default_rng(seed)
    X_min = (rng.standard_normal((R, n1, D)) + 0.5).astype(np.float32)
    X_maj = rng.standard_normal((R, n0, D)).astype(np.float32)
    return X_min, X_maj


def ours(name, X_min, X_maj, m):
    import jax
    import jax.numpy as jnp
    from synthjax import synth
    method = {"ros": synth.random_oversampling(), "smote": synth.smote(5),
              "borderline1": synth.borderline_smote(1), "adasyn": synth.adasyn(5)}[name]
    R, n1, _ = X_min.shape
    n0 = X_maj.shape[1]

    def one(key, a, b):
        k1, k2 = jax.random.split(key)
        return method.sample(k2, method.fit(k1, a, b), m).X

    batch = max(1, min(R, 2 ** 23 // (n1 * (n0 + n1) + m * D)))
    keys = jax.random.split(jax.random.key(0), R)
    fn = jax.jit(lambda k, a, b: jax.lax.map(lambda t: one(*t), (k, a, b), batch_size=batch))
    args = (keys, jnp.asarray(X_min), jnp.asarray(X_maj))
    t = time.perf_counter()
    compiled = fn.lower(*args).compile()
    compile_s = time.perf_counter() - t
    jax.block_until_ready(compiled(*args))
    return median_time(lambda: jax.block_until_ready(compiled(*args)), 3) / R, compile_s


def reference(name, X_min, X_maj, reps):
    from imblearn.over_sampling import ADASYN, SMOTE, BorderlineSMOTE, RandomOverSampler
    make = {"ros": lambda: RandomOverSampler(random_state=0), "smote": lambda: SMOTE(random_state=0),
            "borderline1": lambda: BorderlineSMOTE(random_state=0), "adasyn": lambda: ADASYN(random_state=0)}[name]
    times = []
    for r in range(reps):
        X = np.r_[X_maj[r], X_min[r]]
        y = np.r_[np.zeros(len(X_maj[r])), np.ones(len(X_min[r]))]
        t = time.perf_counter()
        make().fit_resample(X, y)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def adapter(names, calls: int = 30):
    """Per-call medians of ``fit_resample`` (new random_state each call), synthjax.sklearn vs imbalanced-learn."""
    from imblearn import over_sampling as imb
    from synthjax import sklearn as sk
    X_min, X_maj = datasets(1, 1000, 100)
    X, y = np.r_[X_maj[0], X_min[0]], np.r_[np.zeros(1000, int), np.ones(100, int)]
    pairs = {"ros": (sk.RandomOverSampler, imb.RandomOverSampler), "smote": (sk.SMOTE, imb.SMOTE),
             "borderline1": (sk.BorderlineSMOTE, imb.BorderlineSMOTE), "adasyn": (sk.ADASYN, imb.ADASYN)}
    print(f"{'method':>12s} {'first call s':>12s} {'imblearn ms':>12s} {'synthjax ms':>12s} {'ratio':>7s}")
    for name in names:
        ours, ref = pairs[name]
        t = time.perf_counter()
        ours(random_state=0).fit_resample(X, y)
        first = time.perf_counter() - t
        seeds = iter(range(1, 2 * calls + 1))
        mine = median_time(lambda: ours(random_state=next(seeds)).fit_resample(X, y), calls)
        theirs = median_time(lambda: ref(random_state=next(seeds)).fit_resample(X, y), calls)
        print(f"{name:>12s} {first:12.2f} {theirs * 1e3:12.2f} {mine * 1e3:12.2f} {theirs / mine:6.2f}x", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adapter", action="store_true", help="time synthjax.sklearn's fit_resample, one data set per call")
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--n1", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--methods", nargs="+", default=["ros", "smote", "borderline1", "adasyn"])
    args = ap.parse_args()
    import jax
    import imblearn
    print(f"jax {jax.__version__} ({jax.devices()[0].platform}), imbalanced-learn {imblearn.__version__}; "
          f"d = {D}, n0 = 10·n1, ñ = n0 − n1, synthjax R = {args.reps}; float32")
    if args.adapter:
        return adapter(args.methods)
    print(f"{'method':>12s} {'n1':>6s} {'imblearn ms/rep':>16s} {'synthjax ms/rep':>16s} {'ratio':>7s} {'compile s':>9s}")
    for n1 in args.n1:
        n0 = 10 * n1
        X_min, X_maj = datasets(args.reps, n0, n1)
        loop_reps = min(args.reps, {100: 30, 1000: 10}.get(n1, 3))
        for name in args.methods:
            ref = reference(name, X_min, X_maj, loop_reps)
            mine, compile_s = ours(name, X_min, X_maj, n0 - n1)
            print(f"{name:>12s} {n1:6d} {ref * 1e3:16.2f} {mine * 1e3:16.3f} {ref / mine:6.1f}x {compile_s:9.1f}", flush=True)


if __name__ == "__main__":
    main()
