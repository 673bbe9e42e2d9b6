"""The DGP interface: a sampler plus its oracle quantities."""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._newton import autodiff_newton_step, newton_minimise
from ..learn import LinearParams, split_params
from ._laws import balanced_law_risk


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
    name: str                   #: a label
    d: int                      #: the feature dimension
    params: Any                 #: the law's parameters (a pytree, e.g. ``GaussianParams``)
    sample: Callable            #: sample(key, n0, n1) -> (X0 (n0, d), X1 (n1, d))
    sample_class: Callable      #: sample_class(key, label, n) -> (n, d) draws from P0 or P1
    bayes_score: Callable       #: bayes_score(X) -> (n,) log p1(x)/p0(x)
    population_risk: Callable   #: population_risk(loss, params) -> balanced risk of a linear score (exact or quadrature)
    theta_star: Callable        #: theta_star(learner) -> LinearParams minimising the balanced population risk
    population_auroc: Callable  #: population_auroc(params) -> P(s(X1) > s(X0)) of a linear score
    class_law: Callable         #: class_law(label) -> the law of X given the class, for the theory engine
    population_metrics: Callable  #: population_metrics(params, prevalence) -> AUROC, AUPRC, best BA and F1 of a linear score
    bayes_metrics: Callable     #: bayes_metrics(prevalence) -> the same metrics of the Bayes score


def bound_arrays(fn):
    """(function, arrays): ``partial(f, *arrays)`` — a built-in DGP's sampler or oracle, which binds the DGP's arrays
    to its family's function — splits into f and the arrays, which compiled programs then take as arguments (one
    program per family and shape, whatever the values: ``runner._kernel``, ``synth.oracle``); any other callable is
    itself with no arrays (what it closes over is compiled into each program)."""
    if isinstance(fn, partial) and not fn.keywords:
        return fn.func, fn.args
    return fn, ()


def class_samplers(sample_class):
    """A family's samplers from ``sample_class(arrays, key, label, n) -> (n, d)``: (``sample_class``, ``sample``), both
    jitted with the class label and sizes static and the family's arrays as their first argument,
    ``sample(arrays, key, n0, n1) -> (X0, X1)`` drawing the classes from ``split(key)``. A DGP binds its arrays
    (``partial(sample, arrays)``), so every instance of a family with arrays of one shape shares one compiled draw,
    eagerly and in the runner's programs, which pass the bound arrays as arguments (``runner._kernel``)."""
    sample_class = jax.jit(sample_class, static_argnums=(2, 3))

    @partial(jax.jit, static_argnums=(2, 3))
    def sample(arrays, key, n0, n1):
        k0, k1 = jax.random.split(key)
        return sample_class(arrays, k0, 0, n0), sample_class(arrays, k1, 1, n1)
    return sample_class, sample


#: ``balanced_law_risk`` jitted with the loss static: the class laws are arguments, so every DGP whose laws have one
#: structure and shape shares one compiled program (a DGP's arrays as constants would compile one per instance).
_population_risk = jax.jit(balanced_law_risk, static_argnums=1)


@partial(jax.jit, static_argnames=("loss", "intercept", "max_iter"))
def _theta_star(laws, theta0, *, loss, intercept, max_iter):
    """θ* = argmin_θ ``balanced_law_risk(laws, loss, θ)`` by damped Newton from θ0, and the gradient there."""
    def risk(theta):
        return balanced_law_risk(laws, loss, split_params(theta, intercept))
    theta = newton_minimise(risk, autodiff_newton_step(risk), theta0, max_iter)[1]
    return theta, jax.grad(risk)(theta)


def law_population_risk(laws):
    """A DGP's ``population_risk(loss, params)`` from its class laws (``balanced_law_risk``): eagerly, one compiled
    program per law structure, shape and loss, shared by every DGP instance; inside a jitted program it inlines."""
    return partial(_population_risk, laws)


def minimise_population_risk(laws, learner, d: int, dtype, start=None, max_iter: int = 100) -> LinearParams:
    """θ* = argmin of the balanced population risk under the class laws (``balanced_law_risk``, smooth and convex)
    for the learner's loss, by damped Newton (``synthjax._newton``) from ``start`` (default 0): one compiled solve per
    law structure, shape and loss, whatever the laws' values. Raises RuntimeError if the gradient is not driven to
    ~√eps, e.g. when the population classes are separable by the learner."""
    theta0 = jnp.zeros(d + int(learner.intercept), dtype) if start is None else jnp.asarray(start, dtype)
    theta, g = _theta_star(laws, theta0, loss=learner.loss, intercept=learner.intercept, max_iter=max_iter)
    bound = np.sqrt(float(jnp.finfo(dtype).eps)) * (1 + float(jnp.max(jnp.abs(theta))))
    if not bool(jnp.all(jnp.isfinite(theta))) or float(jnp.max(jnp.abs(g))) > bound:
        raise RuntimeError(f"θ* did not converge for {learner.name}: gradient norm {float(jnp.linalg.norm(g)):.3g}.")
    return split_params(theta, learner.intercept)
