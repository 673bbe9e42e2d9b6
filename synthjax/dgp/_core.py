"""The DGP interface: a sampler plus its oracle quantities."""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax


class DGP(NamedTuple):
    """A two-class data-generating process (class 0 = majority, class 1 = minority).

    Attributes:
      name: a label.
      d: the feature dimension.
      params: the law's parameters (a pytree; e.g. ``GaussianParams``).
      sample: ``sample(key, n0, n1) -> (X0 (n0, d), X1 (n1, d))``.
      sample_class: ``sample_class(key, label, n) -> (n, d)``, draws from P0 (label 0) or P1 (label 1).
      bayes_score: ``bayes_score(X) -> (n,)``, the log-likelihood ratio log p1(x)/p0(x).
      population_risk: ``population_risk(loss, params) -> ()``, the balanced risk ½E_{P0} ℓ(s, 0) + ½E_{P1} ℓ(s, 1)
        of the linear score s = coefᵀx + intercept (``LinearParams``), exact or by quadrature.
      theta_star: ``theta_star(learner) -> LinearParams``, the argmin of the balanced population risk for the
        learner's loss (with an intercept iff the learner has one).
      population_auroc: ``population_auroc(params) -> ()``, P(s(X1) > s(X0)) for the linear score, exact.
      class_law: ``class_law(label)``, the law of X given the class (``GaussianLaw`` or ``SampleLaw``), used by
        the theory engine for score moments.
      population_metrics: ``population_metrics(params, prevalence=0.5) -> dict`` of AUROC, AUPRC (average
        precision at the prevalence), best-threshold balanced accuracy and F1 of the linear score (``METRIC_NAMES``).
      bayes_metrics: ``bayes_metrics(prevalence=0.5)``, the same for the Bayes score (metric regret = Bayes −
        fitted).
    """
    name: str
    d: int
    params: Any
    sample: Callable
    sample_class: Callable
    bayes_score: Callable
    population_risk: Callable
    theta_star: Callable
    population_auroc: Callable
    class_law: Callable
    population_metrics: Callable
    bayes_metrics: Callable


def jitted_samplers(sample, sample_class, bayes_score):
    """A DGP factory's ``sample``, ``sample_class`` and ``bayes_score``, jitted (sizes and class label static): an eager
    draw or Bayes score is one compiled program instead of one per operation; inside a jitted program they inline."""
    return (jax.jit(sample, static_argnums=(1, 2)), jax.jit(sample_class, static_argnums=(1, 2)),
            jax.jit(bayes_score))


def jitted_oracles(population_risk, population_metrics):
    """A DGP factory's ``population_risk`` (the loss static) and ``population_metrics``, jitted: an eager call is one
    compiled program instead of one per operation; inside a jitted program they inline."""
    return jax.jit(population_risk, static_argnums=0), jax.jit(population_metrics)
