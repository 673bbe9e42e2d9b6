"""Ma & Zhang (arXiv 2601.16120) §8.5: TG-VTSS end to end with SMOTE and logistic regression.

Design (official code): d = 5, n1 = 200, n0 = 4000; P0 = N(0, I); P1 = ½N(2e1 + 1.75e2, I) +
½N(2e1 − 1.75e2, I) (a mixture: the linear logistic model is misspecified); SMOTE (k = 5); logistic
regression with a negligible ridge (λ = 1e−8, the paper's C = 1e6); TG-VTSS as the official notebook runs
it (SPEC §9.1): the diagnostics (Wald test, GQS with K = 5 folds) on the 80% fit split (3200 + 160 rows), the
size chosen on the 20% stratified hold-out, then a refit on all rows; γ ∈ 0:0.05:2; 100 replicates (quick:
30). Published (the notebook's executed output): "realistic generator" in 83% of replicates, with theory
targets near balancing — so TG-VTSS ≈ balancing is the expected outcome here, not a failure. Compared:
TG-VTSS, balancing (γ = 1) and no augmentation (γ = 0); and the full γ sweep (every size, the same
data). The test balanced log-loss is the population balanced risk, exact (mixture of Gaussian
integrals).

    synthjax run sims/end_to_end.py [--full]
"""
import time

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from synthjax import dgp, learn, plot, synth, theory
from synthjax.metrics import mcse
from synthjax.runner import Study, custom_results, map_replicates, run as run_study

E = np.eye(5)
N0, N1 = 4000, 200
LEARNER = learn.logistic(ridge=1e-8)
GAMMA = tuple(np.round(np.arange(0, 2.0001, 0.05), 2))
RULES = ("TG-VTSS", "balancing", "no augmentation")
PRINT_COLUMNS = ["rule", "gamma", "risk", "risk_mcse", "excess_risk", "excess_risk_mcse", "n_failed"]


def truth():
    return dgp.gaussian_mixture(np.zeros(5), [2 * E[0] + 1.75 * E[1], 2 * E[0] - 1.75 * E[1]], name="mixture minority (§8.5)")


def run(reps=None, seed=0, full=False):
    t0 = time.perf_counter()
    reps = reps or (100 if full else 30)
    law = truth()
    gen = synth.smote(5)
    risk = lambda p: law.population_risk(LEARNER.loss, p)
    risk_star = risk(law.theta_star(LEARNER))

    def replicate(key):
        X0, X1 = law.sample(jax.random.fold_in(key, 0), N0, N1)
        keys = jax.random.split(jax.random.fold_in(key, 1), 3)
        tuned = theory.tg_vtss(keys[0], gen, LEARNER, X0, X1, gqs_folds=5, folds=None, holdout=0.2,
                               diagnose_on_fit_split=True)
        base = theory.balancing(keys[1], gen, LEARNER, X0, X1)
        none = theory.select_size(keys[2], gen, LEARNER, X0, X1, jnp.zeros(1), folds=None)
        fits = (tuned.fit, base, none)
        return dict(risk=jnp.stack([risk(f.params) for f in fits]), gamma=jnp.stack([f.gamma for f in fits]),
                    status=jnp.stack([f.info.status for f in fits]), regime=tuned.regime, gqs=tuned.gqs,
                    T=tuned.statistic, gamma_theory=tuned.gamma_theory)

    res, compile_s = map_replicates(replicate, seed, 0, reps, batch=4)
    per_rep = pd.DataFrame({"rep": np.repeat(np.arange(reps), 3), "rule": np.tile(RULES, reps),
                            "gamma": res["gamma"].reshape(-1), "risk": res["risk"].reshape(-1),
                            "status": res["status"].reshape(-1),
                            "regime": np.repeat(res["regime"], 3), "gqs": np.repeat(res["gqs"], 3)})
    per_rep["excess_risk"] = per_rep.risk - float(risk_star)
    rows = []
    for rule, g in per_rep.groupby("rule", sort=False):
        rows.append(dict(rule=rule, gamma=g.gamma.mean(), risk=g.risk.mean(), risk_mcse=float(mcse(g.risk)),
                         excess_risk=g.excess_risk.mean(), excess_risk_mcse=float(mcse(g.excess_risk)),
                         n_failed=int((g.status != 0).sum()), share_biased=float(np.mean(res["regime"] == theory.BIASED)),
                         share_realistic=float(np.mean(res["regime"] == theory.REALISTIC)),
                         median_gamma_theory=float(np.nanmedian(res["gamma_theory"])),
                         share_symmetric=float(np.mean(res["regime"] == theory.SYMMETRIC)),
                         median_gqs=float(np.median(res["gqs"])), median_T=float(np.median(res["T"]))))
    sweep = run_study(Study("end_to_end_sweep", law, {"SMOTE (k=5)": gen}, LEARNER, GAMMA, ((N0, N1),),
                            reps=reps, seed=seed, metrics=False))
    summary = pd.concat([pd.DataFrame(rows).assign(part="rules"),
                         sweep.summary.assign(part="sweep", rule="γ sweep",
                                              risk_mcse=sweep.summary.risk_mcse)], ignore_index=True)
    design = dict(design="Ma & Zhang §8.5", d=5, n0=N0, n1=N1, gamma=list(GAMMA), learner="logistic(ridge=1e-8)",
                  generator="SMOTE(k=5)", validation="20% stratified hold-out", gqs_folds=5,
                  diagnostics="on the 80% fit split (official protocol)")
    return custom_results("end_to_end", per_rep, summary, design, seed, reps, time.perf_counter() - t0,
                          compile_s + sweep.manifest["compile_s"])


def figures(results, out):
    summary, per_rep = results.summary, results.table
    reps = results.manifest["study"]["reps"]
    design = results.manifest["study"]
    caption = (f"P0 = N(0, I), P1 = ½N(2e1 ± 1.75e2, I), d = 5, n0 = {design['n0']}, n1 = {design['n1']}; SMOTE (k = 5); logistic; "
               f"{reps} reps; bands ±1.96 MCSE; seed {results.manifest['study']['seed']}")
    sweep = summary[summary.part == "sweep"]
    rules = summary[summary.part == "rules"].set_index("rule")
    for rule in RULES:
        sweep = sweep.assign(**{rule: rules.loc[rule, "risk"]})
    paths = [out / "sweep.png", out / "chosen_sizes.png"]
    plot.curves(sweep, "gamma", "risk", "rule", se="risk_mcse",
                predicted={f"{r} (mean)": r for r in RULES[:2]},
                title="End-to-end: test balanced log-loss vs γ, and the rules' means",
                ylabel="test balanced log-loss (population)", caption_text=caption, path=paths[0])
    plot.histogram(per_rep[per_rep.rule == "TG-VTSS"], "gamma", "rule", bins=np.arange(-0.025, 2.05, 0.05),
                   title="Synthetic sizes chosen by TG-VTSS", caption_text=caption, path=paths[1])
    best = sweep.loc[sweep.risk.idxmin()]
    t, b, n = (rules.loc[r] for r in RULES)
    diff = per_rep.pivot(index="rep", columns="rule", values="risk")
    gain = diff["balancing"] - diff["TG-VTSS"]
    observed = (f"test balanced log-loss: TG-VTSS {plot.pm(t.risk, t.risk_mcse)} (mean γ {t.gamma:.2f}), balancing "
                f"{plot.pm(b.risk, b.risk_mcse)}, none {plot.pm(n.risk, n.risk_mcse)}; paired gain over balancing "
                f"{plot.pm(gain.mean(), float(mcse(gain)))}; sweep minimum {best.risk:.4g} at γ = {best.gamma:g}; "
                f"TG-VTSS regimes: {t.share_realistic:.0%} realistic (published 83%), {t.share_biased:.0%} biased, "
                f"{t.share_symmetric:.0%} symmetric (median GQS {t.median_gqs:.3g}, median Wald T {t.median_T:.3g}, "
                f"median γ_theory {t.median_gamma_theory:.3g}).")
    reps = len(diff)
    realistic_ok = abs(t.share_realistic - 0.83) <= 2 * np.sqrt(0.83 * 0.17 / reps) + 1 / reps
    near = abs(gain.mean()) <= 2 * float(mcse(gain)) + 0.002 and t.risk < n.risk
    verdict = ("agrees" if realistic_ok and near else "partly agrees" if near or realistic_ok else "does not agree")
    plot.write_findings(out, "Ma & Zhang §8.5 / SPEC §9.1: TG-VTSS end to end (official protocol)",
                        "With SMOTE close to realistic here, the official run diagnoses 'realistic generator' in 83% of "
                        "replicates and its theory targets sit near balancing, so TG-VTSS ≈ balancing (and far better "
                        "than no augmentation) is the expected outcome in this configuration.", observed,
                        f"{verdict}: share diagnosed realistic {'within' if realistic_ok else 'outside'} binomial error of "
                        f"83%; TG-VTSS {'within' if near else 'not within'} 2 MCSE (+0.002) of balancing and "
                        f"{'better' if t.risk < n.risk else 'not better'} than no augmentation.", caption)
    return paths
