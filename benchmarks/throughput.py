"""Throughput: synthjax vs the Python loop users write today (imbalanced-learn SMOTE + scikit-learn).

Workload (issue #2): n0 = 2000, n1 = 100, d = 10 Gaussian classes N(0, I) vs N(1/√d · 1, I), SMOTE
(k = 5), ridge logistic regression (λ = 1e−4 in synthjax's mean form = C = 1/(λ n) in sklearn),
balanced excess risk in closed form (Gauss–Legendre over the Gaussian score law, numpy for the loop).
  (a) one size per replicate: SMOTE to balance (γ = 1);
  (b) a 41-point grid γ ∈ {0, 0.05, …, 2}: the loop refits every size; synthjax shares the data
      and the synthetic pool across sizes and fits all sizes in one batched Newton solve.
Also: the Newton kernel's achieved FLOP/s against this machine's large-matmul rate.

    python benchmarks/throughput.py [--reps 2000] [--loop-reps 40] [--dtype float32]

Prints medians over repeats; ratios are taken within this one run.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource

import numpy as np
from _timing import median_time

N0, N1, D, RIDGE = 2000, 100, 10, 1e-4
GRID = np.round(np.arange(41) * 0.05, 2)


# ------------------------------------------------------------------ the reference loop
def reference_replicate(rng, gammas, theta_star_risk):
    """What users write: draw data, SMOTE to each size with imbalanced-learn, fit sklearn, evaluate."""
    from imblearn.over_sampling import SMOTE
    from sklearn.linear_model import LogisticRegression
    mu1 = np.ones(D) / np.sqrt(D)
    X0 = rng.standard_normal((N0, D))
    X1 = mu1 + rng.standard_normal((N1, D))
    X, y = np.r_[X0, X1], np.r_[np.zeros(N0), np.ones(N1)]
    out = []
    for g in gammas:
        n_syn = int(round(g * (N0 - N1)))
        if n_syn > 0:
            Xr, yr = SMOTE(sampling_strategy={1: N1 + n_syn}, k_neighbors=5,
                           random_state=int(rng.integers(2**31))).fit_resample(X, y)
        else:
            Xr, yr = X, y
        clf = LogisticRegression(C=1 / (RIDGE * len(yr)), max_iter=1000).fit(Xr, yr)
        out.append(balanced_logistic_risk_numpy(clf.coef_[0], clf.intercept_[0], mu1) - theta_star_risk)
    return out


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(128)


def balanced_logistic_risk_numpy(coef, b, mu1):
    """½E0 softplus(s) + ½E1 softplus(−s) for s = coefᵀx + b, x ~ N(μ_c, I), by quadrature (numpy)."""
    sd = np.linalg.norm(coef)
    risk = 0.0
    for m, sign in ((b, 1.0), (mu1 @ coef + b, -1.0)):
        z0 = np.clip(-m / sd, -12, 12)
        for a, c in ((-12.0, z0), (z0, 12.0)):
            z = 0.5 * (c - a) * _NODES + 0.5 * (a + c)
            risk += 0.5 * 0.5 * (c - a) * (np.logaddexp(0, sign * (m + sd * z)) * np.exp(-0.5 * z * z)) @ _WEIGHTS
    return risk / np.sqrt(2 * np.pi)


# ------------------------------------------------------------------ synthjax
def synthjax_study(gammas, reps, chunk):
    from synthjax import dgp, learn, synth
    from synthjax.runner import Study
    truth = dgp.gaussian(np.zeros(D), np.ones(D) / np.sqrt(D))
    return Study("throughput", truth, {"smote": synth.smote(5)}, learn.logistic(ridge=RIDGE),
                 gamma=tuple(gammas), sizes=((N0, N1),), reps=reps, chunk_size=chunk, metrics=False)


def time_synthjax(gammas, reps, chunk, repeats):
    """Median seconds per replicate of the compiled cell (compile time reported apart)."""
    import jax.numpy as jnp
    from synthjax.runner import CompiledCell, cell_arguments, cell_chunk
    study = synthjax_study(gammas, reps, chunk)
    truth, lrn = study.dgp, study.learner
    risk_star = truth.population_risk(lrn.loss, truth.theta_star(lrn))
    fn, sizes, batch = cell_chunk(study, "smote", N0, N1)
    dyn = (cell_arguments(study), (), jnp.asarray(sizes, jnp.int32), risk_star, lrn.hyper, ())
    cell = CompiledCell(fn, 0, 0, chunk, batch, dyn)
    compile_s = cell.compile_s

    def go():
        for b in range(-(-reps // chunk)):
            cell.block(b, reps)

    go()
    per_rep = median_time(go, repeats) / reps
    return per_rep, compile_s, float(np.mean(cell.block(0, reps)["iterations"]))


def newton_kernel_rate(reps, n_real, pool, dtype):
    """FLOP/s of the logistic Newton kernel alone — one size per data set (``fit``) and the 41-size
    grid sharing one design matrix (``fit_path``) — and of a large matmul, on this machine.

    FLOPs are the kernel's own count: n·q to form the pair products Z once (q = p(p+1)/2), then per
    Newton step and size 2·n·q (Hessian d @ Z) + 4·n·p (scores and gradient), plus the final gradient.
    """
    import jax
    import jax.numpy as jnp
    from synthjax import learn
    rng = np.random.default_rng(0)
    n = n_real + pool
    X = jnp.asarray(rng.standard_normal((reps, n, D)), dtype)
    y = jnp.asarray(X[..., 0] + rng.logistic(size=(reps, n)) > 2.0, dtype)   # ~1:10 imbalance
    sizes = np.rint(GRID * pool / GRID.max())
    W = jnp.asarray(np.c_[np.ones((len(GRID), n_real)), np.arange(pool)[None, :] < sizes[:, None]], dtype)
    lrn = learn.logistic(ridge=RIDGE)
    p = D + 1
    q = p * (p + 1) // 2
    out = {}
    for name, fn, S in [("one size", lambda X, y: lrn.fit(X, y), 1),
                        ("41-size grid", lambda X, y: lrn.fit_path(X, y, W), len(GRID))]:
        f = jax.jit(lambda X, y: jax.lax.map(lambda a: fn(*a), (X, y), batch_size=8 if S == 1 else 1))
        _, info = jax.block_until_ready(f(X, y))
        secs = median_time(lambda: jax.block_until_ready(f(X, y)), 3)
        steps = float(np.sum(np.asarray(info.iterations))) / reps   # Newton steps per data set, all sizes
        flops = reps * (n * q + steps * (2 * n * q + 4 * n * p) + S * 4 * n * p)
        out[name] = (flops / secs, steps / S)
    A = jnp.asarray(rng.standard_normal((2048, 2048)), dtype)
    mm = jax.jit(lambda a: a @ a)
    jax.block_until_ready(mm(A))
    return out, 2 * 2048 ** 3 / median_time(lambda: jax.block_until_ready(mm(A)), 5)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2000, help="synthjax replicates per timing (a)")
    ap.add_argument("--grid-reps", type=int, default=256, help="synthjax replicates per timing (b)")
    ap.add_argument("--loop-reps", type=int, default=40, help="reference-loop replicates (a); (b) uses a quarter")
    ap.add_argument("--chunk", type=int, default=256)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    args = ap.parse_args()
    import jax
    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import sklearn

    rng = np.random.default_rng(0)
    from synthjax import dgp, learn
    truth = dgp.gaussian(np.zeros(D), np.ones(D) / np.sqrt(D))
    risk_star = float(truth.population_risk(learn.logistic().loss, truth.theta_star(learn.logistic())))

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; jax {jax.__version__} "
          f"({jax.devices()[0].platform}), scikit-learn {sklearn.__version__}; dtype {args.dtype}")
    ref_a = median_time(lambda: reference_replicate(rng, [1.0], risk_star), args.loop_reps)
    ours_a, compile_a, it_a = time_synthjax([1.0], args.reps, args.chunk, 5)
    print(f"(a) one size:  loop {ref_a * 1e3:8.2f} ms/rep | synthjax {ours_a * 1e3:7.3f} ms/rep "
          f"(compile {compile_a:.1f} s, {it_a:.1f} Newton steps) | ratio {ref_a / ours_a:6.1f}x")
    ref_b = median_time(lambda: reference_replicate(rng, GRID, risk_star), max(3, args.loop_reps // 4))
    ours_b, compile_b, it_b = time_synthjax(GRID, args.grid_reps, min(args.chunk, args.grid_reps), 3)
    print(f"(b) 41 sizes:  loop {ref_b * 1e3:8.2f} ms/rep | synthjax {ours_b * 1e3:7.3f} ms/rep "
          f"(compile {compile_b:.1f} s, {it_b:.1f} Newton steps) | ratio {ref_b / ours_b:6.1f}x")
    rates, mm_rate = newton_kernel_rate(64, N0 + N1, 2 * (N0 - N1), jnp.dtype(args.dtype))
    for name, (rate, steps) in rates.items():
        print(f"Newton kernel, {name:12s}: {rate / 1e9:6.1f} GFLOP/s = {100 * rate / mm_rate:4.1f}% of the "
              f"{mm_rate / 1e9:.0f} GFLOP/s matmul rate ({steps:.1f} steps per fit)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
