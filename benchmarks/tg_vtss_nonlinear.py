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
import scipy.stats

from synthjax import learn, theory
from synthjax.cli import load_study_module

STUDY = load_study_module(str(Path(__file__).resolve().parents[1] / "sims" / "end_to_end_nonlinear.py"))
FOLDS, TAU, GRID = 5, 10.0, np.round(np.arange(0, 2.0001, 0.05), 2)


# ------------------------------------------------------------------ the reference loop
def _moments(clf, Phi, label):
    """Score mean, covariance and Hessian of the logistic loss at the fitted (coef, intercept), on features Phi."""
    Z = np.c_[Phi, np.ones(len(Phi))]
    p = 1 / (1 + np.exp(-(Z @ np.r_[clf.coef_[0], clf.intercept_])))
    S = (p - label)[:, None] * Z
    return S.mean(0), np.cov(S.T), (Z * (p * (1 - p))[:, None]).T @ Z / len(Z)


def _inv(M):
    return np.linalg.inv(M + 1e-8 * np.trace(M) / len(M) * np.eye(len(M)))


def loop_tg_vtss(X0, X1, seed):
    """TG-VTSS as a NumPy / scikit-learn loop (SPEC §5), returning the chosen γ."""
    from sklearn.kernel_approximation import RBFSampler
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold
    rng = np.random.default_rng(seed)
    n0, n1 = len(X0), len(X1)
    rbf = RBFSampler(gamma="scale", n_components=100, random_state=seed).fit(np.r_[X0, X1])

    def fit(A0, A1, extra=None, balanced=False):
        X = np.r_[A0, A1] if extra is None else np.r_[A0, A1, extra]
        y = np.r_[np.zeros(len(A0)), np.ones(len(X) - len(A0))]
        clf = LogisticRegression(C=2.0, max_iter=2000, class_weight="balanced" if balanced else None)
        return clf.fit(rbf.transform(X), y)

    def jitter(A1, m):
        return A1[rng.integers(0, len(A1), m)] + rng.standard_normal((m, A1.shape[1]))

    pilot = fit(X0, X1, balanced=True)
    (m0, S0, H0), (m1, S1, H1) = _moments(pilot, rbf.transform(X0), 0), _moments(pilot, rbf.transform(X1), 1)
    Hi, eye = _inv((H0 + H1) / 2), np.eye(len(m0))
    A0, A1 = eye - (H0 - H1) @ Hi / 2, -eye - (H0 - H1) @ Hi / 2
    g = m0 - m1
    T = g @ _inv(A0 @ S0 @ A0.T / n0 + A1 @ S1 @ A1.T / n1) @ g
    folds0, folds1 = list(KFold(FOLDS, shuffle=True, random_state=seed).split(X0)), \
        list(KFold(FOLDS, shuffle=True, random_state=seed).split(X1))
    parts = []
    for (t0, h0), (t1, h1) in zip(folds0, folds1):
        p = fit(X0[t0], X1[t1], balanced=True)
        pool = jitter(X1[t1], n0 - n1)
        (_, s0, k0), (ma, s1, k1), (ms, ss, _) = (_moments(p, rbf.transform(A), lab) for A, lab in
                                                  ((X0[h0], 0), (X1[h1], 1), (pool, 1)))
        parts.append((ms - ma, (k0 + k1) / 2, s0, s1, ss))
    delta, H, S0, S1, Ss = (np.mean(a, axis=0) for a in zip(*parts))
    Hi = _inv(H)
    gqs = (n0 - n1) ** 2 / (2 * n0) * delta @ Hi @ delta / np.trace(Hi @ (S0 / 2 + n1 / (2 * n0) * S1 + (n0 - n1) / (2 * n0) * Ss))
    symmetric = T <= scipy.stats.chi2.ppf(0.95, len(g))
    candidates = GRID[GRID <= 0.2] if symmetric else GRID if gqs > TAU else GRID[(GRID >= 0.8) & (GRID <= 1.2)]
    losses = np.zeros(len(candidates))
    for (t0, h0), (t1, h1) in zip(folds0, folds1):
        Phi_v = rbf.transform(np.r_[X0[h0], X1[h1]])
        yv = np.r_[np.zeros(len(h0)), np.ones(len(h1))]
        pool = jitter(X1[t1], int(round(2 * (len(t0) - len(t1)))))
        for i, gamma in enumerate(candidates):
            clf = fit(X0[t0], X1[t1], pool[: int(round(gamma * (len(t0) - len(t1))))])
            prob = np.clip(clf.predict_proba(Phi_v)[:, 1], 1e-12, 1 - 1e-12)
            losses[i] += -(np.log(1 - prob[yv == 0]).mean() + np.log(prob[yv == 1]).mean()) / 2
    best = candidates[np.argmin(losses)]
    fit(X0, X1, jitter(X1, int(round(best * (n0 - n1)))))
    return best


# ------------------------------------------------------------------ synthjax
@jax.jit
def _one_decision(key, a, b):
    model = learn.bind(STUDY.LEARNER, jax.random.fold_in(key, 1), jnp.concatenate([a, b]))
    return theory.tg_vtss(key, STUDY.GENERATOR, model, a, b, gqs_folds=5, folds=FOLDS).fit.gamma


def synthjax_decisions(keys, X0, X1):
    """One compiled decision per data set, as the study runs them (batch 1: a vmapped batch of whole TG-VTSS
    decisions stalled in XLA's CPU runtime on this machine, see the closing note of issue #12)."""
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
        loop_gammas.append(loop_tg_vtss(np.asarray(X0[r], np.float64), np.asarray(X1[r], np.float64), r))
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
