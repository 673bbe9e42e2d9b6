"""Where does first-order theory hold? Simulated excess risk against the marginal (SPEC §5) and the
dependence-aware (SPEC §11) predictions over the minority size, the synthetic size, the generator and the learner.

Design: d = 5 Gaussian classes N(0, I) vs N(𝟙/√5, I); n1 ∈ {25, 50, 100, 250, 500} with n0 = 20 n1; γ ∈ {0, 0.25,
…, 2}; generators the oracle (fresh draws from P1), random oversampling, SMOTE (k = 5), the Gaussian fit (shrinkage
0.1) and jitter (bootstrap + N(0, 0.25² I)); 100 replicates (quick) / 400 (--full). Two learners:
- ridge logistic regression (λ = 1e−4; well specified), excess risk exact (Gaussian scores). Predictions:
  dependence-aware R(θ(ñ)) − R(θ*) + ½tr(HA⁻¹S_depA⁻¹) at the population root (``theory.dependent_excess_curve``,
  256 real samples and fits per generator and cell) and marginal ½bᵀA⁻¹HA⁻¹b + ½tr(HA⁻¹SA⁻¹) at θ* with the
  generator's marginal law;
- logistic regression on D = 20 random Fourier features (bandwidth fixed at 1/d, so the features' law does not
  depend on the data; C = 2, scikit-learn's penalty), excess risk over the balanced Bayes risk on the study's
  evaluation sample (20,000 per class). Its class moments have no closed form: the same two predictions from
  samples of 100,000 rows per class (``theory.sampled_excess_curve``, the penalty's Hessian 1/C in A), averaged
  over 8 draws of the features. Both include the random-feature class's approximation error R(θ_Φ) − R_Bayes.
The figures show simulated / predicted with 95% bands; the findings say where each prediction is within ±20%.

    synthjax run sims/theory_accuracy.py [--full]
"""
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from synthjax import dgp as D
from synthjax import learn, plot, synth, theory
from synthjax.runner import Program, Study, custom_results, run as run_study

D_FEATURES = 5
N1S = (25, 50, 100, 250, 500)
RATIO = 20
GAMMA = tuple(np.round(np.arange(0, 2.0001, 0.25), 2))
TRUTH = D.gaussian(np.zeros(D_FEATURES), np.ones(D_FEATURES) / np.sqrt(D_FEATURES), name="gaussian(d=5, delta=1)")
RFF_C = 2.0
LEARNERS = {"ridge logistic": learn.logistic(ridge=1e-4),
            "RFF logistic (D=20)": learn.random_fourier_logistic(20, bandwidth=1 / D_FEATURES, C=RFF_C)}
DEPENDENCE_REPLICATES = 256
FEATURE_DRAWS = 8            # random-feature maps the RFF prediction averages over
POPULATION = 100_000         # rows per class standing for the laws in the RFF prediction
BAND = 0.2
PRINT_COLUMNS = ["learner", "generator", "n1", "gamma", "excess_risk", "excess_risk_mcse", "excess_risk_theory",
                 "excess_risk_theory_marginal"]
PRINT_ROWS = "gamma in (0.0, 1.0, 2.0)"
THEORY_COLUMNS = ["excess_risk_theory", "excess_risk_theory_marginal"]


def generators():
    return {"oracle": synth.oracle(TRUTH), "random oversampling": synth.random_oversampling(),
            "SMOTE (k=5)": synth.smote(5), "Gaussian fit (s=0.1)": synth.gaussian_fit(0.1),
            "jitter (σ=0.25)": synth.jitter(0.25)}


def study_for(label, reps, seed) -> Study:
    tag = "linear" if label == "ridge logistic" else "rff"
    return Study(f"theory_accuracy_{tag}", TRUTH, generators(), LEARNERS[label], GAMMA,
                 tuple((RATIO * n1, n1) for n1 in N1S), reps=reps, seed=seed)


def linear_predictions(study, n0: int, n1: int, sizes):
    """{generator: (dependence-aware, marginal)} at the sizes of one cell, ridge logistic: one compiled program."""
    learner = study.learner
    TRUTH.theta_star(learner)               # memoised per process: outside the compiled program below
    gens = generators()

    @Program
    def predict(sizes):
        geo = theory.score_geometry(TRUTH, learner)
        out = {}
        for i, (name, generator) in enumerate(gens.items()):
            key = jax.random.key(i)
            exact = name == "oracle"
            law = TRUTH.class_law(1) if exact else theory.marginal_generator_law(key, generator, TRUTH, n0, n1)
            dependent = theory.dependent_excess_curve(key, TRUTH, learner, n0, n1, sizes, None if exact else generator,
                                                      law, replicates=DEPENDENCE_REPLICATES)
            marginal = theory.first_order_risk(geo, theory.generator_moments(geo, law, learner), n0, n1, sizes)
            out[name] = (dependent.total, marginal.total)
        return out
    return jax.tree.map(np.asarray, predict(jnp.asarray(sizes, jnp.zeros(()).dtype)))


def rff_predictions(study, n0: int, n1: int, sizes):
    """{generator: (dependence-aware, marginal)} at the sizes of one cell for the random-feature learner: the sampled
    predictions averaged over ``FEATURE_DRAWS`` feature maps (one compiled program per cell)."""
    learner, evaluation = study.learner, study.evaluation_sample()
    penalty = jnp.r_[jnp.full(learner.n_features, 1 / RFF_C), 0.0].astype(evaluation[0].dtype)
    gens = generators()

    @Program
    def predict(sizes):
        def one_map(k):
            model = learner.draw(k, evaluation[0])
            out = {}
            for i, (name, generator) in enumerate(gens.items()):
                curve = theory.sampled_excess_curve(jax.random.key(i), TRUTH, model, n0, n1, sizes, evaluation,
                                                    None if name == "oracle" else generator, penalty, POPULATION,
                                                    DEPENDENCE_REPLICATES)
                out[name] = (curve.dependent.total, curve.marginal.total)
            return out
        maps = jax.lax.map(one_map, jax.random.split(jax.random.key(7), FEATURE_DRAWS))
        return jax.tree.map(lambda a: jnp.mean(a, axis=0), maps)
    return jax.tree.map(np.asarray, predict(jnp.asarray(sizes, evaluation[0].dtype)))


def annotate(summary, study):
    """Both predictions beside every simulated mean of one learner's summary."""
    predict = linear_predictions if isinstance(study.learner, learn.Learner) else rff_predictions
    out = []
    for (n0, n1), cell in summary.groupby(["n0", "n1"]):
        sizes = np.unique(cell.n_syn)
        curves = predict(study, int(n0), int(n1), sizes)
        for name, rows in cell.groupby("generator", sort=False):
            at = np.searchsorted(sizes, rows.n_syn.to_numpy())
            dependent, marginal = curves[name]
            out.append(rows.assign(excess_risk_theory=dependent[at], excess_risk_theory_marginal=marginal[at]))
    return summary.drop(columns=THEORY_COLUMNS, errors="ignore").join(pd.concat(out)[THEORY_COLUMNS])


def run(reps=None, seed=0, full=False, out=None):
    """The grid per learner; with ``out``, each one's finished blocks of replicates are kept in
    ``out/<its name>/`` and a rerun resumes."""
    t0 = time.perf_counter()
    reps = reps or (400 if full else 100)
    tables, summaries, compile_s = [], [], 0.0
    for label in LEARNERS:
        study = study_for(label, reps, seed)
        res = run_study(study, out=None if out is None else Path(out) / study.name)
        tables.append(res.table.assign(learner=label))
        summaries.append(annotate(res.summary, study).assign(learner=label))
        compile_s += res.manifest["compile_s"]
    design = dict(design="SPEC §5 / §11 accuracy map", d=D_FEATURES, ratio=RATIO, n1=list(N1S), gamma=list(GAMMA),
                  learners=list(LEARNERS), generators=list(generators()), dependence_replicates=DEPENDENCE_REPLICATES,
                  feature_draws=FEATURE_DRAWS, population=POPULATION)
    return custom_results("theory_accuracy", pd.concat(tables), pd.concat(summaries), design, seed, reps,
                          time.perf_counter() - t0, compile_s)


def ratios(summary) -> pd.DataFrame:
    """Long frame: simulated / predicted (and its MCSE) per learner, generator, n1, γ > 0 and prediction."""
    rows = summary[summary.gamma > 0]
    parts = [rows.assign(prediction=label, ratio=rows.excess_risk / rows[col],
                         ratio_mcse=rows.excess_risk_mcse / rows[col])
             for label, col in (("dependence-aware", "excess_risk_theory"), ("marginal", "excess_risk_theory_marginal"))]
    return pd.concat(parts, ignore_index=True)[["learner", "prediction", "generator", "n1", "gamma", "ratio",
                                                "ratio_mcse"]]


def accuracy_table(frame) -> pd.DataFrame:
    """Per learner × prediction × generator × n1: the worst |ratio − 1| over γ > 0 and whether every γ is within
    ±BAND."""
    worst = frame.assign(error=(frame.ratio - 1).abs()).groupby(["learner", "prediction", "generator", "n1"],
                                                                sort=False)
    return worst.agg(worst_ratio=("ratio", lambda r: r.iloc[int(np.argmax(np.abs(r.to_numpy() - 1)))]),
                     within=("error", lambda e: bool((e <= BAND).all()))).reset_index()


def _held(table, learner, label):
    part = table[(table.learner == learner) & (table.prediction == label)]
    return "; ".join(f"{g}: " + ", ".join(f"n1={r.n1} {'✓' if r.within else '✗'} ({r.worst_ratio:.2f})"
                                         for r in rows.itertuples())
                     for g, rows in part.groupby("generator", sort=False))


def _verdict(table, learner):
    mine = table[table.learner == learner]
    dep = mine[mine.prediction == "dependence-aware"]
    fitted = dep[dep.generator != "oracle"]
    large = fitted[fitted.n1 >= 100]
    marginal = mine[mine.prediction == "marginal"]
    return (f"{learner}: the dependence-aware prediction holds (±20%) in {int(dep.within.sum())} of {len(dep)} "
            f"(generator, n1) cells, {int(large.within.sum())} of {len(large)} fitted-generator cells with n1 ≥ 100; "
            f"the marginal one in {int(marginal.within.sum())} of {len(marginal)}. "
            + (f"The dependence-aware prediction misses ±20% at n1 ∈ {sorted(set(fitted[~fitted.within].n1))}: "
               f"there the O(1/n) terms the expansion drops (the curvature of R between θ(ñ) and θ̂, the fit's own "
               f"O(1/n) bias, higher moments of the generator's fit) are not small beside the first-order variance."
               if (~fitted.within).any() else "It holds at every n1 of this run."))


def figures(results, out_dir):
    frame = ratios(results.summary)
    frame.to_csv(out_dir / "ratios.csv", index=False)
    table = accuracy_table(frame)
    table.to_csv(out_dir / "accuracy.csv", index=False)
    s = results.manifest["study"]
    caption = (f"P0 = N(0, I), P1 = N(𝟙/√5, I), d = {D_FEATURES}, n0 = {RATIO} n1, n1 ∈ {s['n1']}; learners "
               f"{', '.join(s['learners'])}; R = {s['reps']} reps; seed {s['seed']}; {results.manifest.get('dtype', '')}; "
               f"bands: ratio ± 1.96 MCSE")
    paths = []
    frame = frame.assign(minority="n1 = " + frame.n1.astype(str))
    for learner in dict.fromkeys(frame.learner):
        tag = "linear" if learner == "ridge logistic" else "rff"
        for label in ("dependence-aware", "marginal"):
            path = out_dir / f"ratio_{label.split('-')[0]}_{tag}.png"
            part = frame[(frame.learner == learner) & (frame.prediction == label)]
            plot.curve_panels(part, "generator", "gamma", "ratio", "minority", "ratio_mcse", reference=1.0, band=BAND,
                              title=f"{learner}: simulated / {label} prediction (grey: ±20%)",
                              ylabel="simulated / predicted excess risk", caption_text=caption, path=path)
            paths.append(path)
    learners = list(dict.fromkeys(table.learner))
    observed = ("Within ±20% at every γ > 0 (✓), with the worst simulated / predicted ratio over γ in brackets. "
                + " ".join(f"{lr}, dependence-aware: {_held(table, lr, 'dependence-aware')}. {lr}, marginal: "
                           f"{_held(table, lr, 'marginal')}." for lr in learners))
    plot.write_findings(out_dir, "Where first-order theory holds",
                        "The marginal first-order prediction (SPEC §5) holds for fresh draws (the oracle) but not for "
                        "generators fitted to the real minority sample; the dependence-aware one (SPEC §11) holds for "
                        "both once n1 is moderate, for a linear model and for one linear in random features.",
                        observed, " ".join(_verdict(table, lr) for lr in learners), caption)
    return paths
