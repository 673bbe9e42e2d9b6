"""TG-VTSS with a nonlinear learner: synthjax vs the same algorithm as a NumPy / scikit-learn loop (issue #12).

Workload: SPEC §9.2 at the paper's size (n0 = 4000, n1 = 200, d = 5, ring minority; jitter σ = 1; logistic
regression with C = 2 on 100 random Fourier RBF features, γ = 1/(d Var X)); one TG-VTSS decision per data set:
balanced pilot fit, Wald test, 5-fold generator quality score, 5-fold CV over the regime's candidate sizes,
final refit. The loop is what a user writes today: ``RBFSampler`` + ``LogisticRegression`` (lbfgs), NumPy
moments, one refit per fold × candidate. synthjax: ``theory.tg_vtss`` vmapped over data sets, every candidate of
a fold in one batched Newton solve. Both get the same data sets; data drawing is not timed.

    python benchmarks/tg_vtss_nonlinear.py [--reps 8] [--loop-reps 2]

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

from synthjax import learn, theory
from synthjax import cpu_options_for_every_program
from synthjax.cli import load_study_module

from _loop_tg_vtss import loop_tg_vtss

cpu_options_for_every_program()                 # as `synthjax run` does, before the first array

STUDY = load_study_module(str(Path(__file__).resolve().parents[1] / "sims" / "end_to_end_nonlinear.py"))
FOLDS, TAU = 5, 10.0


# ------------------------------------------------------------------ the reference loop
def loop_decision(X0, X1, seed):
    """TG-VTSS as a NumPy / scikit-learn loop on RBFSampler features with bootstrap jitter; the chosen γ."""
    from sklearn.kernel_approximation import RBFSampler
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(seed)
    rbf = RBFSampler(gamma="scale", n_components=100, random_state=seed).fit(np.r_[X0, X1])

    def fit(A0, A1, extra=None, balanced=False):
        X = np.r_[A0, A1] if extra is None else np.r_[A0, A1, extra]
        y = np.r_[np.zeros(len(A0)), np.ones(len(X) - len(A0))]
        clf = LogisticRegression(C=2.0, max_iter=2000, class_weight="balanced" if balanced else None)
        return clf.fit(rbf.transform(X), y)

    def jitter(A1, _A0, m):
        return A1[rng.integers(0, len(A1), m)] + rng.standard_normal((m, A1.shape[1]))

    return loop_tg_vtss(X0, X1, fit, rbf.transform, jitter, seed, folds=FOLDS, gqs_folds=FOLDS, tau=TAU)


# ------------------------------------------------------------------ synthjax
@jax.jit
def _one_decision(key, a, b):
    model = learn.bind(STUDY.LEARNER, jax.random.fold_in(key, 1), jnp.concatenate([a, b]))
    return theory.tg_vtss(key, STUDY.GENERATOR, model, a, b, gqs_folds=5, folds=FOLDS).fit.gamma


def synthjax_decisions(keys, X0, X1):
    """One compiled decision per data set, as the study runs them: on this 2-core CPU a vmapped batch of 4 decisions
    took 7.5 s per decision against 4.4 s one at a time (2026-11-25; each decision already batches 5 folds × 41 candidates)."""
    return jnp.stack([_one_decision(k, a, b) for k, a, b in zip(keys, X0, X1)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2, help="synthjax data sets per timed call")
    parser.add_argument("--loop-reps", type=int, default=2, help="data sets timed with the loop")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    keys = jax.random.split(jax.random.key(0), args.reps)
    X0 = jax.vmap(lambda k: STUDY.sample_class(jax.random.fold_in(k, 0), 0, STUDY.N0))(keys)
    X1 = jax.vmap(lambda k: STUDY.sample_class(jax.random.fold_in(k, 1), 1, STUDY.N1))(keys)
    t = time.perf_counter()
    jax.block_until_ready(synthjax_decisions(keys, X0, X1))
    compile_and_first = time.perf_counter() - t
    ours = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        gammas = np.asarray(jax.block_until_ready(synthjax_decisions(keys, X0, X1)))
        ours.append((time.perf_counter() - t) / args.reps)
    loop, loop_gammas = [], []
    for r in range(args.loop_reps):
        t = time.perf_counter()
        loop_gammas.append(loop_decision(np.asarray(X0[r], np.float64), np.asarray(X1[r], np.float64), r))
        loop.append(time.perf_counter() - t)
    ours_s, loop_s = float(np.median(ours)), float(np.median(loop))
    print(f"machine: {platform.processor() or platform.machine()}, {jax.devices()[0].platform}, jax {jax.__version__}, "
          f"{jnp.zeros(()).dtype}")
    print(f"loop (RBFSampler + LogisticRegression, {args.loop_reps} data sets): {loop_s:.2f} s per TG-VTSS decision "
          f"(chosen γ {loop_gammas})")
    print(f"synthjax ({args.reps} data sets per call, median of {args.repeats}): {ours_s:.3f} s per decision "
          f"(first call incl. compilation {compile_and_first:.1f} s; chosen γ {np.round(gammas, 2).tolist()})")
    print(f"ratio loop / synthjax: {loop_s / ours_s:.1f}x")


if __name__ == "__main__":
    main()
