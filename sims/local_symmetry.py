"""Ma & Zhang (arXiv 2601.16120) §8.3 and SPEC §9.4: under local symmetry realistic generators do not help.

Design (official code): X0 = −μ + ξ, X1 = μ + ξ, μ = e1, d = 20; least squares with targets ∓1 and no
intercept (ridge 1e−6); ξ uniform on the cube [−√3, √3]^d, Rademacher, or uniform on the sphere of
radius √d (all standardised); n1 = 100, n0 = 2000; γ ∈ linspace(0, 4, 20); generators oracle, SMOTE
(k = 5), Gaussian fit (s = 0.1) and semi-oracle (x̄1 + fresh noise); 100 replicates (quick: 40).
Excess risk is exact (quadratic loss: it needs the first two moments of each class only).

Logistic example (SPEC §9.4, official `Local-Symmetry.ipynb`): X = T e1 + W, T ∈ {−5, 1} with
P(T = −5) = α = 0.855384, W = (0, N(0, I₁₉) + s·(2.5, 2.5, 2.5, 0, …)), s = ±1, P(Y = 1 | X) = σ(x1), d = 20;
no-intercept logistic regression (C = 1e6, as the notebook's scikit-learn fit); γ ∈ {0, 0.1, …, 2};
SMOTE (k = 5), Gaussian fit (MLE covariance + 1e−6 I) and the oracle (exact class-conditional draws).
The notebook draws n = 5000 with random class counts; here the counts are fixed at their expectations
(n1 = 557, n0 = 4443; the Study runner needs static shapes). Its population g_φ is checked to vanish.

Claim: under local symmetry (g_φ = 0) balancing brings no bias reduction, so realistic generators do
not help (and often hurt) while the oracle improves monotonically with γ.

    synthjax run sims/local_symmetry.py [--full]
"""
import time

import numpy as np
import pandas as pd

from synthjax import dgp, learn, plot, synth, theory
from synthjax.runner import Study, custom_results, run as run_study

NOISES = ("uniform", "rademacher", "sphere")
GAMMA = tuple(np.round(np.linspace(0, 4, 20), 4))
LOGISTIC_GAMMA = tuple(np.round(np.arange(21) / 10, 2))
D = 20
N_LOGISTIC = 5000
PUBLISHED_ALPHA = 0.855384
LOGISTIC = "logistic two-point (§9.4)"
PRINT_COLUMNS = ["design", "generator", "gamma", "excess_risk", "excess_risk_mcse"]


def study_for(noise, reps, seed):
    mu = np.eye(D)[0]
    truth = dgp.location_scale(-mu, mu, noise=noise, mc_size=2 ** 16)
    gens = {"oracle": synth.oracle(truth), "SMOTE (k=5)": synth.smote(5), "Gaussian fit (s=0.1)": synth.gaussian_fit(0.1),
            "semi-oracle": synth.semi_oracle(truth)}
    learner = learn.least_squares(ridge=1e-6, intercept=False, targets=(-1.0, 1.0))
    return Study(f"local_symmetry_{noise}", truth, gens, learner, GAMMA, ((2000, 100),), reps=reps, seed=seed,
                 metrics=False)


def logistic_study(reps, seed):
    """SPEC §9.4 with the class counts fixed at their expectations under n = ``N_LOGISTIC``."""
    truth = dgp.two_point_logistic(D)
    n1 = int(round(N_LOGISTIC * truth.params.prevalence))
    gens = {"oracle": synth.oracle(truth), "SMOTE (k=5)": synth.smote(5), "Gaussian fit": synth.gaussian_fit(0.0)}
    learner = learn.logistic(C=1e6, intercept=False)
    return Study("local_symmetry_logistic", truth, gens, learner, LOGISTIC_GAMMA, ((N_LOGISTIC - n1, n1),),
                 reps=reps, seed=seed, metrics=False)


def score_shift(study):
    """‖g_φ‖ = ‖m0 − m1‖ at θ* from the exact class laws, and the per-point score scale √tr Σ1 beside it."""
    truth, learner = study.dgp, study.learner
    theta = truth.theta_star(learner)
    m0, m1 = (theory.law_moments(truth.class_law(c), learner.loss, theta, c, learner.intercept) for c in (0, 1))
    return float(np.linalg.norm(m0.mean - m1.mean)), float(np.sqrt(np.trace(m1.cov)))


def run(reps=None, seed=0, full=False):
    t0 = time.perf_counter()
    reps = reps or (100 if full else 40)
    tables, summaries, compile_s = [], [], 0.0
    studies = {f"mean shift, {noise} noise": study_for(noise, reps, seed) for noise in NOISES}
    studies[LOGISTIC] = logistic_study(reps, seed)
    for label, study in studies.items():
        res = run_study(study)
        tables.append(res.table.assign(design=label))
        summaries.append(res.summary.assign(design=label))
        compile_s += res.manifest["compile_s"]
    logistic = studies[LOGISTIC]
    g_phi, score_sd = score_shift(logistic)
    design = dict(design="Ma & Zhang §8.3 and SPEC §9.4", d=D, mean_shift=dict(n0=2000, n1=100, noises=list(NOISES),
                  gamma=list(GAMMA), learner="least_squares(ridge=1e-6, no intercept, targets ∓1)"),
                  logistic=dict(sizes=list(logistic.sizes[0]), gamma=list(LOGISTIC_GAMMA), a=5, b=1, c=1, sigma_w=1,
                                alpha=logistic.dgp.params.alpha, published_alpha=PUBLISHED_ALPHA,
                                g_phi_norm=g_phi, score_sd=score_sd, learner="logistic(C=1e6, no intercept)"))
    return custom_results("local_symmetry", pd.concat(tables), pd.concat(summaries), design, seed, reps,
                          time.perf_counter() - t0, compile_s)


def figures(results, out):
    summary, manifest = results.summary, results.manifest
    reps, seed = manifest["study"]["reps"], manifest["study"]["seed"]
    logistic = manifest["study"]["logistic"]
    n0, n1 = logistic["sizes"]
    captions = {"mean shift": f"X0 = −e1 + ξ, X1 = e1 + ξ, d = {D}, n0 = 2000, n1 = 100; LS (targets ∓1); {reps} reps; "
                              f"bands ±1.96 MCSE; seed {seed}",
                "logistic": f"X = T e1 + W, α = {logistic['alpha']:.6f}, d = {D}, n0 = {n0}, n1 = {n1}; no-intercept "
                            f"logistic (C = 1e6); {reps} reps; bands ±1.96 MCSE; seed {seed}"}
    paths, lines, verdicts = [], [], []
    for index, (label, part) in enumerate(summary.groupby("design", sort=False)):
        caption = captions["logistic" if label == LOGISTIC else "mean shift"]
        path = out / f"excess_{index}.png"
        plot.curves(part, "gamma", "excess_risk", "generator", se="excess_risk_mcse", log_y=True,
                    title=f"Local symmetry ({label}): excess risk vs γ", caption_text=caption, path=path)
        paths.append(path)
        for gen, g in part.groupby("generator", sort=False):
            g = g.sort_values("gamma")
            first, last, best = g.iloc[0], g.iloc[-1], g.loc[g.excess_risk.idxmin()]
            lines.append(f"{label}/{gen}: γ=0 {plot.pm(first.excess_risk, first.excess_risk_mcse)}, "
                         f"γ={last.gamma:g} {plot.pm(last.excess_risk, last.excess_risk_mcse)}, min at γ={best.gamma:.2f}")
            if gen == "oracle":
                verdicts.append(bool(np.all(np.diff(g.excess_risk.to_numpy()) < 2 * g.excess_risk_mcse.to_numpy()[1:])))
            else:   # no real gain: the best size is no better than γ = 0 by more than 10% (or 2 SE)
                verdicts.append(bool(best.excess_risk > first.excess_risk - max(0.1 * first.excess_risk,
                                                                                  2 * first.excess_risk_mcse)))
    alpha_ok = abs(logistic["alpha"] - PUBLISHED_ALPHA) < 5e-7
    symmetric = logistic["g_phi_norm"] < 1e-5 * logistic["score_sd"]     # float32 rounding of exact integrals
    check = (f"Logistic example: α = {logistic['alpha']:.6f} (published {PUBLISHED_ALPHA}: "
             f"{'agrees' if alpha_ok else 'DIFFERS'}); exact ‖g_φ‖ at θ* = {logistic['g_phi_norm']:.1e} "
             f"({'vanishes' if symmetric else 'does NOT vanish'} beside the score scale √tr Σ1 = {logistic['score_sd']:.2f}).")
    plot.write_findings(out, "Ma & Zhang §8.3 and SPEC §9.4: local symmetry",
                        "Under local symmetry realistic generators (SMOTE, Gaussian fit, semi-oracle) do not help and "
                        "often hurt, while the oracle improves monotonically with the synthetic size.",
                        check + " " + "; ".join(lines),
                        ("agrees" if all(verdicts) and alpha_ok and symmetric else "partly")
                        + f" ({sum(verdicts)} of {len(verdicts)} generator × design curves behave as claimed).",
                        "; ".join(captions.values()))
    return paths
