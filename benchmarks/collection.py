"""The benchmark-collection protocol (SPEC §12, ``sims/collection.py``) per split: synthjax vs a scikit-learn +
imbalanced-learn loop, on five tables of different sizes (issue #32).

Workload per stratified 80/20 split (balanced test set, imputation and standardisation on the training rows,
logistic regression C = 1): no augmentation, balanced reweighting, and for each of SMOTE, Borderline-SMOTE 1,
ADASYN (imbalanced-learn, k = min(10, n1 − 1)) and minority jitter (NumPy): balancing, VTSS (5-fold CV over
γ ∈ 0.5:0.05:1.5), TG-VTSS (Wald test, GQS with K = 3, 5-fold CV over the regime's candidates, refit) and the
41-point γ sweep scored on the test set — every step of the study, generator by generator, as a user writes it.
synthjax: the study's own bucket replicate (every table padded to its bucket), vmapped over splits, one compiled
program per bucket.

    python benchmarks/collection.py [--tables glass1 ecoli1 vehicle0 yeast1 page_blocks0] [--reps 8] [--loop-reps 2]

Prints medians per split; the ratio is taken within this one run, table by table.
"""
from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from synthjax import data
from synthjax.cli import load_study_module
from synthjax.runner import replicate_chunk

from _loop_tg_vtss import GRID, balanced_log_loss, loop_tg_vtss, prepared_split

STUDY = load_study_module(str(Path(__file__).resolve().parents[1] / "sims" / "collection.py"))
TABLES = ("glass1", "ecoli1", "vehicle0", "yeast1", "page_blocks0")
CHUNKS = {}          # bucket -> compiled replicate chunk: the tables of a bucket share it, as in the study


def samplers(k: int, rng):
    """name -> generate(A1, A0, m): m synthetic minority rows (imbalanced-learn; jitter in NumPy)."""
    from imblearn.over_sampling import ADASYN, SMOTE, BorderlineSMOTE

    def imblearn(make):
        def generate(A1, A0, m):
            if m <= 0:
                return np.empty((0, A1.shape[1]))
            A, labels = np.r_[A0, A1], np.r_[np.zeros(len(A0)), np.ones(len(A1))]
            strategy, seed = {1: len(A1) + m}, int(rng.integers(1 << 30))
            try:
                out, _ = make(strategy, min(k, len(A1) - 1), seed).fit_resample(A, labels)
            except (RuntimeError, ValueError):       # no danger set / no majority neighbour: SMOTE, as the engine
                out, _ = SMOTE(sampling_strategy=strategy, k_neighbors=min(k, len(A1) - 1),
                               random_state=seed).fit_resample(A, labels)
            return out[len(A):][:m]
        return generate

    def jitter(A1, A0, m):
        return A1[rng.integers(len(A1), size=m)] + rng.standard_normal((m, A1.shape[1])) * A1.std(0, ddof=1)

    return {"SMOTE": imblearn(lambda s, kk, r: SMOTE(sampling_strategy=s, k_neighbors=kk, random_state=r)),
            "Borderline-SMOTE": imblearn(lambda s, kk, r: BorderlineSMOTE(sampling_strategy=s, k_neighbors=kk,
                                                                          m_neighbors=10, random_state=r)),
            "ADASYN": imblearn(lambda s, kk, r: ADASYN(sampling_strategy=s, n_neighbors=kk, random_state=r)),
            "jitter": jitter}


def vtss(Z0, Z1, fit, generate, seed, folds=5):
    """VTSS: γ ∈ 0.5:0.05:1.5 by ``folds``-fold CV on the balanced log-loss, nested prefixes of one pool per fold."""
    from sklearn.model_selection import KFold
    losses = np.zeros(len(STUDY.VTSS_GRID))
    splits = zip(KFold(folds, shuffle=True, random_state=seed).split(Z0), KFold(folds, shuffle=True, random_state=seed).split(Z1))
    for (t0, h0), (t1, h1) in splits:
        gap = len(t0) - len(t1)
        pool = generate(Z1[t1], Z0[t0], int(round(STUDY.VTSS_GRID[-1] * gap)))
        yv = np.r_[np.zeros(len(h0)), np.ones(len(h1))]
        for i, gamma in enumerate(STUDY.VTSS_GRID):
            clf = fit(Z0[t0], Z1[t1], pool[: int(round(gamma * gap))])
            losses[i] += balanced_log_loss(clf.predict_proba(np.r_[Z0[h0], Z1[h1]])[:, 1], yv)
    return STUDY.VTSS_GRID[np.argmin(losses)]


def loop_split(X, y, seed):
    """One split of the collection protocol as a scikit-learn / imbalanced-learn loop."""
    Z0, Z1, Zt, yt, fit = prepared_split(X, y, seed, STUDY.TEST_FRACTION)
    rng = np.random.default_rng(seed)
    gap = len(Z0) - len(Z1)

    def test_loss(extra=None, balanced=False):
        return balanced_log_loss(fit(Z0, Z1, extra, balanced).predict_proba(Zt)[:, 1], yt)

    losses = [test_loss(), test_loss(balanced=True)]
    for generate in samplers(STUDY.K_MAX, rng).values():
        pool = generate(Z1, Z0, int(round(2 * gap)))
        losses.append(test_loss(pool[:gap]))
        for gamma in (vtss(Z0, Z1, fit, generate, seed),
                      loop_tg_vtss(Z0, Z1, fit, lambda A: A, generate, seed, folds=5, gqs_folds=3, tau=10.0)):
            losses.append(test_loss(generate(Z1, Z0, int(round(gamma * gap)))))
        losses += [test_loss(pool[: int(round(g * gap))]) for g in GRID]
    return losses


def ours_per_split(name: str, bucket: data.Bucket, reps: int, repeats: int):
    """(median seconds per split, first call's seconds: with the bucket's compilation for its first table) of the
    study's bucket replicate."""
    arrays = tuple(jnp.asarray(a, jnp.zeros(()).dtype) for a in data.pad_table(data.collection_table(name), bucket))
    chunk = CHUNKS.setdefault(bucket, replicate_chunk(STUDY.bucket_replicate(bucket, 1)))   # one per bucket
    ids = jnp.arange(reps, dtype=jnp.uint32)
    t = time.perf_counter()
    jax.block_until_ready(chunk(jnp.uint32(0), jnp.uint32(data.table_id(name)), ids, *arrays))
    first = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(chunk(jnp.uint32(0), jnp.uint32(data.table_id(name)), ids, *arrays))
        times.append((time.perf_counter() - t) / reps)
    return float(np.median(times)), first


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=list(TABLES))
    parser.add_argument("--reps", type=int, default=8, help="synthjax splits per timed call")
    parser.add_argument("--loop-reps", type=int, default=2, help="splits timed with the loop")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    index = data.collection(args.tables).tables
    print(f"machine: {platform.processor() or platform.machine()}, {jax.devices()[0].platform}, jax {jax.__version__}, "
          f"{jnp.zeros(()).dtype}; buckets of these tables: {sorted(set(index.bucket))}")
    print(f"{'table':>14} {'n0':>5} {'n1':>4} {'d':>3}  {'loop s/split':>12}  {'synthjax s/split':>16}  "
          f"{'first call s':>12}  {'ratio':>6}")
    ratios = []
    for row in index.itertuples():
        table = data.collection_table(row.name)
        loop = []
        for r in range(args.loop_reps):
            t = time.perf_counter()
            loop_split(table.X, table.y, r)
            loop.append(time.perf_counter() - t)
        ours, first = ours_per_split(row.name, data.parse_bucket(row.bucket), args.reps, args.repeats)
        ratios.append(float(np.median(loop)) / ours)
        print(f"{row.name:>14} {row.n0:>5} {row.n1:>4} {row.d:>3}  {np.median(loop):>12.2f}  {ours:>16.3f}  "
              f"{first:>12.1f}  {ratios[-1]:>5.1f}x")
    print(f"ratio loop / synthjax per split: median {np.median(ratios):.1f}x, range {min(ratios):.1f}-{max(ratios):.1f}x "
          f"(synthjax excluding its one compilation per bucket; the first-call column includes it)")


if __name__ == "__main__":
    main()
