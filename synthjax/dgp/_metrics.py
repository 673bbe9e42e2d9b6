"""Population ranking metrics of a score under two class laws (prevalence π of the positive class).

For a linear score under Gaussian classes, s | c ~ N(m_c, σ_c²), so TPR(t) = Φ((m1 − t)/σ1) and
FPR(t) = Φ((m0 − t)/σ0): AUROC = Φ((m1 − m0)/√(σ0² + σ1²)); AP = E_{S~P1}[π TPR(S)/(π TPR(S) +
(1 − π) FPR(S))] (a 1-D Gaussian integral; its integrand in log Φ, so its derivatives are finite in the tails);
best-threshold balanced accuracy at a root of the quadratic φ((m1 − t)/σ1)/σ1 = φ((m0 − t)/σ0)/σ0 (closed form); best-threshold F1 =
sup_t 2πTPR/(πTPR + (1 − π)FPR + π) by a 129-point grid and golden-section refinement. For scores
without a Gaussian law, the same metrics come from fixed class samples (``sample_metrics``).
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
from jax.scipy.special import log_ndtr
from jax.scipy.stats import norm

from .. import metrics as M
from ._core import law_population_risk
from ._laws import gaussian_expectation, score_law

#: the population metrics every DGP gives for a linear score and for its Bayes score
METRIC_NAMES = ("auroc", "auprc", "best_ba", "best_f1")


@jax.jit
def gaussian_score_metrics(m0, s0, m1, s1, prevalence=0.5) -> dict:
    """AUROC, AP, best balanced accuracy and best F1 of a score with class laws N(m0, s0²), N(m1, s1²). Jitted:
    an eager call (the run's Bayes metrics) is one compiled program, not one per operation. Φ is evaluated at four
    places only (``rates``: TPR and FPR of a vector of thresholds in one call), since each is a few hundred
    instructions in every program that computes the metrics."""
    pi = jnp.asarray(prevalence, jnp.result_type(m0))

    def rates(t, *z):
        """(TPR, FPR) at the thresholds t, Φ((m1 − t)/σ1) and Φ((m0 − t)/σ0), and Φ(z): one evaluation of Φ."""
        n = t.shape[0]
        phi = norm.cdf(jnp.concatenate([(m1 - t) / s1, (m0 - t) / s0, *z]))
        return phi[:n], phi[n:2 * n], phi[2 * n:]

    def f1_of(tpr, fpr):
        return 2 * pi * tpr / (pi * tpr + (1 - pi) * fpr + pi)

    def f1(t):
        return f1_of(*rates(t)[:2])

    def precision(t):
        """π TPR/(π TPR + (1 − π) FPR) = σ(log π/(1 − π) + log TPR − log FPR): in log Φ, so the precision and its
        derivatives stay finite where both rates underflow (the quadrature's far nodes; the quotient's second
        derivative divides by TPR², 0 in float32 below Φ(−9.4))."""
        n = t.shape[0]
        log_rates = log_ndtr(jnp.concatenate([(m1 - t) / s1, (m0 - t) / s0]))
        return jax.nn.sigmoid(jnp.log(pi / (1 - pi)) + log_rates[:n] - log_rates[n:])

    auprc = gaussian_expectation(precision, m1, s1)

    # balanced accuracy: stationary points solve a t² + b t + c = 0 (log-density equality)
    a = 0.5 / s0 ** 2 - 0.5 / s1 ** 2
    b = m1 / s1 ** 2 - m0 / s0 ** 2
    c = 0.5 * m0 ** 2 / s0 ** 2 - 0.5 * m1 ** 2 / s1 ** 2 + jnp.log(s0 / s1)
    disc = jnp.maximum(b ** 2 - 4 * a * c, 0)
    small = jnp.abs(a) < 1e-12 * (jnp.abs(b) + 1e-30)
    linear_root = -c / jnp.where(b == 0, 1, b)
    safe_a = jnp.where(small, 1, a)
    roots = jnp.stack([jnp.where(small, linear_root, (-b + jnp.sqrt(disc)) / (2 * safe_a)),
                       jnp.where(small, linear_root, (-b - jnp.sqrt(disc)) / (2 * safe_a))])

    # F1: a 129-point grid, then golden-section search between the best point's neighbours; the grid's and the
    # balanced accuracy's rates and the AUROC Φ((m1 − m0)/√(σ0² + σ1²)) are one evaluation of Φ
    lo, hi = jnp.minimum(m0 - 8 * s0, m1 - 8 * s1), jnp.maximum(m0 + 8 * s0, m1 + 8 * s1)
    t = jnp.linspace(lo, hi, 129)
    tpr, fpr, auroc = rates(jnp.concatenate([t, roots]), ((m1 - m0) / jnp.sqrt(s0 ** 2 + s1 ** 2))[None])
    auroc = auroc[0]
    grid_f1 = f1_of(tpr[:129], fpr[:129])
    ba = jnp.max(jnp.concatenate([0.5 * (tpr[129:] + 1 - fpr[129:]), jnp.full(1, 0.5, roots.dtype)]))
    i = jnp.clip(jnp.argmax(grid_f1), 1, t.shape[0] - 2)
    golden = 0.5 * (jnp.sqrt(5.0) - 1)

    def shrink(bracket, _):
        a_, b_ = bracket
        c_, d_ = b_ - golden * (b_ - a_), a_ + golden * (b_ - a_)
        f_c, f_d = f1(jnp.stack([c_, d_]))
        return jnp.where(f_c >= f_d, jnp.stack([a_, d_]), jnp.stack([c_, b_])), None
    bracket, _ = jax.lax.scan(shrink, jnp.stack([t[i - 1], t[i + 1]]), None, length=40)
    best_f1 = jnp.maximum(jnp.max(grid_f1), f1(0.5 * (bracket[0:1] + bracket[1:2]))[0])
    return dict(auroc=auroc, auprc=auprc, best_ba=ba, best_f1=best_f1)


@jax.jit
def sample_metrics(s0, s1, prevalence=0.5) -> dict:
    """The four metrics from class samples of a score, AUPRC and F1 at the population prevalence π of
    class 1 (whatever the two sample sizes): precision π TPR/(π TPR + (1 − π) FPR). Jitted, as above."""
    s = jnp.concatenate([s0, s1])
    y = jnp.concatenate([jnp.zeros(s0.shape[0], s.dtype), jnp.ones(s1.shape[0], s.dtype)])
    return dict(auroc=M.auroc(s, y), auprc=M.auprc(s, y, prevalence), best_ba=M.best_threshold_balanced_accuracy(s, y),
                best_f1=M.best_threshold_f1(s, y, prevalence))


@jax.jit
def gaussian_law_metrics(laws, params, prevalence=0.5) -> dict:
    """``gaussian_score_metrics`` of the linear score under two Gaussian class laws (``score_law``); the laws are
    arguments, so every Gaussian DGP of one dimension shares the compiled program."""
    (m0, sd0), (m1, sd1) = score_law(laws[0], params), score_law(laws[1], params)
    return gaussian_score_metrics(m0, sd0, m1, sd1, prevalence)


@jax.jit
def fixed_sample_metrics(samples, params, prevalence=0.5) -> dict:
    """``sample_metrics`` of the linear score on fixed class samples ``samples = (X0, X1)`` (arguments: one compiled
    program per sample shape, shared by DGP instances)."""
    s0, s1 = (X @ params.coef + params.intercept for X in samples)
    return sample_metrics(s0, s1, prevalence)


def mixture_oracles(laws, sample_class, bayes_score, seed: int, mc_size: int):
    """(population_risk, population_metrics, bayes_metrics) of a DGP whose class laws have exact risks
    (``law_population_risk``) but whose ranking metrics need draws: metrics of the linear score (or of the Bayes
    score) on ``mc_size`` fixed draws per class from ``sample_class``, keyed by ``seed``, at any prevalence."""
    fixed = jax.random.split(jax.random.key(seed), 2)
    fixed_samples = (sample_class(fixed[0], 0, mc_size), sample_class(fixed[1], 1, mc_size))

    def bayes_metrics(prevalence=0.5):
        return sample_metrics(bayes_score(fixed_samples[0]), bayes_score(fixed_samples[1]), prevalence)

    return law_population_risk(laws), partial(fixed_sample_metrics, fixed_samples), bayes_metrics
