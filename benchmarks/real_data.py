"""The real-data protocol (SPEC §9.5, ``sims/real_data.py``) per split: synthjax vs a scikit-learn +
imbalanced-learn loop (issue #15).

Workload per stratified 80/20 split of a bundled table: mean imputation and standardisation on the training rows,
the balanced test subsample, no augmentation, balanced reweighting, TG-VTSS with SMOTE (k = min(10, n1 − 1);
Wald test, GQS with K = 3, 5-fold CV over the regime's candidates, refit) and the 41-point γ sweep scored on the
test set; logistic regression with C = 1. The loop is what a user writes today: ``train_test_split``,
``SimpleImputer`` + ``StandardScaler``, imbalanced-learn's ``SMOTE``, ``LogisticRegression`` (lbfgs) refitted per
fold × candidate. synthjax: the study's replicate (``protocol``) vmapped over splits, one compiled program.

    python benchmarks/real_data.py [--table breast-cancer --ratio 10] [--reps 8] [--loop-reps 3]

Prints medians; the ratio is taken within this one run.
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

STUDY = load_study_module(str(Path(__file__).resolve().parents[1] / "sims" / "real_data.py"))


def loop_split(X, y, seed):
    """One split of the protocol as a scikit-learn / imbalanced-learn loop; returns TG-VTSS's γ."""
    from imblearn.over_sampling import SMOTE
    Z0, Z1, Zt, yt, fit = prepared_split(X, y, seed, STUDY.TEST_FRACTION)
    rng = np.random.default_rng(seed)
    k = min(STUDY.K_MAX, len(Z1) - 1)

    def smote(A1, A0, m):
        if m <= 0:
            return np.empty((0, A1.shape[1]))
        A = np.r_[A0, A1]
        labels = np.r_[np.zeros(len(A0)), np.ones(len(A1))]
        out, _ = SMOTE(sampling_strategy={1: len(A1) + m}, k_neighbors=min(k, len(A1) - 1),
                       random_state=int(rng.integers(1 << 30))).fit_resample(A, labels)
        return out[len(A):]

    losses = [balanced_log_loss(fit(Z0, Z1).predict_proba(Zt)[:, 1], yt),
              balanced_log_loss(fit(Z0, Z1, balanced=True).predict_proba(Zt)[:, 1], yt)]
    gamma = loop_tg_vtss(Z0, Z1, fit, lambda A: A, smote, seed, folds=5, gqs_folds=3, tau=10.0)
    gap = len(Z0) - len(Z1)
    pool = smote(Z1, Z0, int(round(2 * gap)))
    losses += [balanced_log_loss(fit(Z0, Z1, pool[: int(round(g * gap))]).predict_proba(Zt)[:, 1], yt) for g in GRID]
    return gamma


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default="breast-cancer", choices=sorted(data.BUNDLED))
    parser.add_argument("--ratio", type=float, default=10)
    parser.add_argument("--reps", type=int, default=8, help="synthjax splits per timed call")
    parser.add_argument("--loop-reps", type=int, default=3, help="splits timed with the loop")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    table = data.load(args.table, ratio=args.ratio)
    STUDY.GENERATORS = ("SMOTE",)
    replicate, _ = STUDY.protocol(table, cv_repeats=1)
    chunk = replicate_chunk(replicate)
    ids = jnp.arange(args.reps, dtype=jnp.uint32)
    t = time.perf_counter()
    jax.block_until_ready(chunk(jnp.uint32(0), jnp.uint32(0), ids))
    compile_and_first = time.perf_counter() - t
    ours = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        out = jax.block_until_ready(chunk(jnp.uint32(0), jnp.uint32(0), ids))
        ours.append((time.perf_counter() - t) / args.reps)
    loop, loop_gammas = [], []
    for r in range(args.loop_reps):
        t = time.perf_counter()
        loop_gammas.append(float(loop_split(table.X, table.y, r)))
        loop.append(time.perf_counter() - t)
    ours_s, loop_s = float(np.median(ours)), float(np.median(loop))
    print(f"machine: {platform.processor() or platform.machine()}, {jax.devices()[0].platform}, jax {jax.__version__}, "
          f"{jnp.zeros(()).dtype}; table {args.table} 1:{args.ratio:g} (n0, n1 = {table.counts})")
    print(f"loop (scikit-learn + imbalanced-learn, {args.loop_reps} splits): {loop_s:.2f} s per split (TG-VTSS γ "
          f"{loop_gammas})")
    print(f"synthjax ({args.reps} splits per call, median of {args.repeats}): {ours_s:.3f} s per split (first call incl. "
          f"compilation {compile_and_first:.1f} s; TG-VTSS γ {np.round(np.asarray(out['extra']['SMOTE']['gamma']), 2).tolist()})")
    print(f"ratio loop / synthjax: {loop_s / ours_s:.1f}x")


if __name__ == "__main__":
    main()
