"""Where does first-order theory hold? Simulated excess risk against the marginal (SPEC §5) and the
dependence-aware (SPEC §11) predictions over the minority size, the synthetic size and the generator.

Design: d = 5 Gaussian classes N(0, I) vs N(𝟙/√5, I) (logistic regression well specified); n1 ∈ {25, 50, 100, 250,
500} with n0 = 20 n1; γ ∈ {0, 0.25, …, 2}; generators the oracle (fresh draws from P1), random oversampling, SMOTE
(k = 5), the Gaussian fit (shrinkage 0.1) and jitter (bootstrap + N(0, 0.25² I)); ridge logistic regression
(λ = 1e−4); 100 replicates (quick) / 400 (--full). Excess risk exact (Gaussian scores). Predictions (``annotate``):
``excess_risk_theory`` = R(θ(ñ)) − R(θ*) + ½tr(HA⁻¹S_depA⁻¹) at the population root (``theory.dependent_excess_curve``,
256 real samples and fits per generator and cell) and ``excess_risk_theory_marginal`` = ½bᵀA⁻¹HA⁻¹b + ½tr(HA⁻¹SA⁻¹)
at θ* with the generator's marginal law. The figures show simulated / predicted with 95% bands; the findings say
where each prediction is within ±20%.

Not here yet: the random-Fourier-feature learner (the theory's moments for it need a sample-based geometry at the
random-feature θ*; the exact ``score_geometry`` is for linear scores of the DGP's laws).

    synthjax run sims/theory_accuracy.py [--full]
"""
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from synthjax import dgp as D
from synthjax import learn, plot, synth, theory
from synthjax.runner import Study

D_FEATURES = 5
N1S = (25, 50, 100, 250, 500)
RATIO = 20
GAMMA = tuple(np.round(np.arange(0, 2.0001, 0.25), 2))
TRUTH = D.gaussian(np.zeros(D_FEATURES), np.ones(D_FEATURES) / np.sqrt(D_FEATURES), name="gaussian(d=5, delta=1)")
LEARNER = learn.logistic(ridge=1e-4)
DEPENDENCE_REPLICATES = 256
BAND = 0.2
PRINT_COLUMNS = ["generator", "n1", "gamma", "excess_risk", "excess_risk_mcse", "excess_risk_theory",
                 "excess_risk_theory_marginal"]
THEORY_COLUMNS = ["excess_risk_theory", "excess_risk_theory_marginal"]


def generators():
    return {"oracle": synth.oracle(TRUTH), "random oversampling": synth.random_oversampling(),
            "SMOTE (k=5)": synth.smote(5), "Gaussian fit (s=0.1)": synth.gaussian_fit(0.1),
            "jitter (σ=0.25)": synth.jitter(0.25)}


def study(reps=None, seed=0, full=False) -> Study:
    return Study("theory_accuracy", TRUTH, generators(), LEARNER, GAMMA, tuple((RATIO * n1, n1) for n1 in N1S),
                 reps=reps or (400 if full else 100), seed=seed)


def predictions(n0: int, n1: int, sizes):
    """{generator: (dependence-aware, marginal)} at the sizes of one cell: one compiled program per cell."""
    TRUTH.theta_star(LEARNER)               # memoised per process: outside the compiled program below
    gens = generators()

    @jax.jit
    def predict(sizes):
        geo = theory.score_geometry(TRUTH, LEARNER)
        out = {}
        for i, (name, generator) in enumerate(gens.items()):
            key = jax.random.key(i)
            exact = name == "oracle"
            law = TRUTH.class_law(1) if exact else theory.marginal_generator_law(key, generator, TRUTH, n0, n1)
            dependent = theory.dependent_excess_curve(key, TRUTH, LEARNER, n0, n1, sizes, None if exact else generator,
                                                      law, replicates=DEPENDENCE_REPLICATES)
            marginal = theory.first_order_risk(geo, theory.generator_moments(geo, law, LEARNER), n0, n1, sizes)
            out[name] = (dependent.total, marginal.total)
        return out
    return jax.tree.map(np.asarray, predict(jnp.asarray(sizes, jnp.zeros(()).dtype)))


def annotate(summary):
    """Both predictions beside every simulated mean (design columns only: ``synthjax run`` computes them while the
    replicates run)."""
    out = []
    for (n0, n1), cell in summary.groupby(["n0", "n1"]):
        sizes = np.unique(cell.n_syn)
        curves = predictions(int(n0), int(n1), sizes)
        for name, rows in cell.groupby("generator", sort=False):
            at = np.searchsorted(sizes, rows.n_syn.to_numpy())
            dependent, marginal = curves[name]
            out.append(rows.assign(excess_risk_theory=dependent[at], excess_risk_theory_marginal=marginal[at]))
    return summary.drop(columns=THEORY_COLUMNS, errors="ignore").join(pd.concat(out)[THEORY_COLUMNS])


def ratios(summary) -> pd.DataFrame:
    """Long frame: simulated / predicted (and its MCSE) per generator, n1, γ > 0 and prediction."""
    rows = summary[summary.gamma > 0]
    parts = [rows.assign(prediction=label, ratio=rows.excess_risk / rows[col],
                         ratio_mcse=rows.excess_risk_mcse / rows[col])
             for label, col in (("dependence-aware", "excess_risk_theory"), ("marginal", "excess_risk_theory_marginal"))]
    return pd.concat(parts, ignore_index=True)[["prediction", "generator", "n1", "gamma", "ratio", "ratio_mcse"]]


def accuracy_table(frame) -> pd.DataFrame:
    """Per prediction × generator × n1: the worst |ratio − 1| over γ > 0 and whether every γ is within ±BAND."""
    worst = frame.assign(error=(frame.ratio - 1).abs()).groupby(["prediction", "generator", "n1"], sort=False)
    return worst.agg(worst_ratio=("ratio", lambda r: r.iloc[int(np.argmax(np.abs(r.to_numpy() - 1)))]),
                     within=("error", lambda e: bool((e <= BAND).all()))).reset_index()


def figures(results, out_dir):
    if "excess_risk_theory" not in results.summary:
        results.summary = annotate(results.summary)
    frame = ratios(results.summary)
    frame.to_csv(out_dir / "ratios.csv", index=False)
    table = accuracy_table(frame)
    caption = plot.caption(results.manifest)
    paths = []
    frame = frame.assign(minority="n1 = " + frame.n1.astype(str))
    for label in ("dependence-aware", "marginal"):
        path = out_dir / f"ratio_{label.split('-')[0]}.png"
        plot.curve_panels(frame[frame.prediction == label], "generator", "gamma", "ratio", "minority", "ratio_mcse",
                          reference=1.0, band=BAND, title=f"simulated / {label} prediction (grey: ±20%)",
                          ylabel="simulated / predicted excess risk", caption_text=caption, path=path)
        paths.append(path)
    table.to_csv(out_dir / "accuracy.csv", index=False)

    def held(label):
        part = table[table.prediction == label]
        return "; ".join(f"{g}: " + ", ".join(f"n1={r.n1} {'✓' if r.within else '✗'} ({r.worst_ratio:.2f})"
                                             for r in rows.itertuples())
                         for g, rows in part.groupby("generator", sort=False))
    dep = table[table.prediction == "dependence-aware"]
    fitted = dep[dep.generator != "oracle"]
    large = fitted[fitted.n1 >= 100]
    observed = (f"Within ±20% at every γ > 0 (✓), with the worst simulated / predicted ratio over γ in brackets. "
                f"Dependence-aware: {held('dependence-aware')}. Marginal: {held('marginal')}.")
    verdict = (f"The dependence-aware prediction holds (±20%) in {int(dep.within.sum())} of {len(dep)} "
               f"(generator, n1) cells, {int(large.within.sum())} of {len(large)} fitted-generator cells with n1 ≥ 100; "
               f"the marginal one in {int(table[table.prediction == 'marginal'].within.sum())} of {len(dep)}. "
               + (f"The dependence-aware prediction misses ±20% at n1 ∈ {sorted(set(fitted[~fitted.within].n1))}: "
                  f"there the O(1/n) terms the expansion drops (the curvature of R between θ(ñ) and θ̂, the fit's own "
                  f"O(1/n) bias, higher moments of the generator's fit) are not small beside the first-order variance."
                  if (~fitted.within).any() else "It holds at every n1 of this run."))
    plot.write_findings(out_dir, "Where first-order theory holds",
                        "The marginal first-order prediction (SPEC §5) holds for fresh draws (the oracle) but not for "
                        "generators fitted to the real minority sample; the dependence-aware one (SPEC §11) holds for "
                        "both once n1 is moderate.", observed, verdict, caption)
    return paths
