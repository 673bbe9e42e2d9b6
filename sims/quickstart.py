"""Quickstart: how the balanced excess risk of logistic regression moves with the synthetic size.

Design: d = 10 Gaussian classes N(0, I) vs N(δ 1/√d, I) with δ = 1 (well-specified logistic);
n0 = 2000, n1 = 100; generators random oversampling, SMOTE (k = 5), Gaussian fit (shrinkage 0.1)
and the oracle (fresh draws from P1); ridge logistic regression (λ = 1e−4); γ ∈ {0, 0.1, …, 2};
200 replicates. Excess risk is exact (a linear score of Gaussian classes is Gaussian given the class).

    synthjax run sims/quickstart.py [--reps 200] [--dtype float64]
"""
import numpy as np

from synthjax import dgp as D
from synthjax import learn, synth
from synthjax.runner import Study


def study(reps=None, seed=0, full=False) -> Study:
    d = 10
    truth = D.gaussian(np.zeros(d), np.ones(d) / np.sqrt(d), name="gaussian(d=10, delta=1)")
    generators = {"random oversampling": synth.random_oversampling(), "SMOTE (k=5)": synth.smote(5),
                  "Gaussian fit (s=0.1)": synth.gaussian_fit(0.1), "oracle": synth.oracle(truth)}
    return Study("quickstart", truth, generators, learn.logistic(ridge=1e-4),
                 gamma=tuple(np.round(np.linspace(0, 2, 21), 2)), sizes=((2000, 100),),
                 reps=reps or 200, seed=seed)


def figures(results, out_dir):
    """Balanced excess risk against γ (log scale), one line per generator, 95% MC bands."""
    from synthjax import plot
    path = out_dir / "excess_risk.png"
    plot.size_curve(results.summary, log_y=True, caption_text=plot.caption(results.manifest), path=path,
                    title="Balanced excess risk vs synthetic size")
    return [path]
