"""Ma & Zhang's logistic local-symmetry example (SPEC §9.4): X = T e1 + W, P(Y = 1 | X) = σ(c x1)."""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import InvalidParameterError, check_float, check_int
from ._core import DGP, class_samplers, minimise_population_risk
from ._gaussian import memoised_theta_star
from ._laws import MixtureLaw
from ._metrics import mixture_oracles


def expit(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, float)))


class TwoPointParams(NamedTuple):
    alpha: float          #: P(T = −a)
    prevalence: float     #: π1 = P(Y = 1)
    weights: jax.Array    #: (2, 4) P(component | class); components (t, s) ∈ {−a, b} × {−1, +1}
    means: jax.Array      #: (4, d) t e1 + s m
    chol: jax.Array       #: (d, d) diag(0, σ_w, …, σ_w)


def _two_point_class(arrays, key, label: int, n: int):
    """n draws of class ``label`` from ``arrays = (weights (2, 4), means (4, d), sd (d,))``: a component
    k ~ weights[label], then means[k] + sd ⊙ Z."""
    weights, means, sd = arrays
    kc, kz = jax.random.split(key)
    comp = jax.random.choice(kc, means.shape[0], (n,), p=weights[label])
    return means[comp] + jax.random.normal(kz, (n, means.shape[1]), means.dtype) * sd[None, :]


_sample_class, _sample = class_samplers(_two_point_class)


def symmetry_alpha(a: float, b: float, c: float) -> float:
    """α = bσ(cb)(1−σ(cb)) / (aσ(ca)(1−σ(ca)) + bσ(cb)(1−σ(cb))): the P(T = −a) that makes the class score
    means of the no-intercept logistic loss cancel at θ = c e1 (local symmetry, g_φ = 0)."""
    def curvature(t):
        return t * expit(c * t) * (1 - expit(c * t))
    return float(curvature(b) / (curvature(a) + curvature(b)))


def two_point_logistic(d: int = 20, a: float = 5.0, b: float = 1.0, c: float = 1.0, sigma_w: float = 1.0,
                       shift: float = 2.5, n_shifted: int = 3, mc_size: int = 2 ** 16, dtype=None,
                       name: str | None = None) -> DGP:
    """SPEC §9.4: T ∈ {−a, b} with P(T = −a) = ``symmetry_alpha(a, b, c)``; W has first coordinate 0 and
    coordinates 2…d equal to N(0, σ_w²) + s·m (s = ±1 equiprobable, m = ``shift`` on the first ``n_shifted``
    of them); X = T e1 + W; Y = 1 with probability σ(c x1). Class 1 (the minority for a > b) is Y = 1,
    class 0 is Y = −1.

    Each class law is a mixture of the four Gaussians N(t e1 + s m, diag(0, σ_w², …)) with weights
    P(T = t | Y)·½, so risks and score moments are exact (``MixtureLaw``), and the class-conditional draws
    are exact (the official notebook draws them by rejection from the joint law: the same law). The
    Bayes log-likelihood ratio is c x1 − log(π1/π0). Ranking metrics use ``mc_size`` fixed draws per class.
    """
    check_int(d, "d", "two_point_logistic", 2)
    for value, label in ((a, "a"), (b, "b"), (c, "c"), (sigma_w, "sigma_w")):
        check_float(value, label, "two_point_logistic", lo=0.0, lo_open=True)
    check_int(n_shifted, "n_shifted", "two_point_logistic", 0, d - 1)
    alpha = symmetry_alpha(a, b, c)
    p_pos = np.array([expit(-c * a), expit(c * b)])                 # P(Y = 1 | T = −a), P(Y = 1 | T = b)
    joint = np.array([alpha, 1 - alpha])[None, :] * np.stack([1 - p_pos, p_pos])   # (class, t)
    prevalence = float(joint[1].sum())
    t_given_y = joint / joint.sum(axis=1, keepdims=True)
    if not 0 < prevalence < 1:
        raise InvalidParameterError(f"two_point_logistic(a={a}, b={b}, c={c}) leaves a class with probability 0.")
    m = np.zeros(d)
    m[1:1 + n_shifted] = shift
    ts, ss = np.repeat([-a, b], 2), np.tile([-1.0, 1.0], 2)
    means = ts[:, None] * np.eye(d)[0][None, :] + ss[:, None] * m[None, :]
    weights = np.repeat(t_given_y, 2, axis=1) / 2
    dtype = jnp.zeros(()).dtype if dtype is None else jnp.dtype(dtype)
    sd = np.r_[0.0, np.full(d - 1, sigma_w)]
    p = TwoPointParams(alpha, prevalence, jnp.asarray(weights, dtype), jnp.asarray(means, dtype),
                       jnp.asarray(np.diag(sd), dtype))
    laws = tuple(MixtureLaw(p.weights[y], p.means, jnp.broadcast_to(p.chol, (4, d, d))) for y in (0, 1))

    def bayes_score(X):
        return c * X[:, 0] - np.log(prevalence / (1 - prevalence))

    arrays = (p.weights, p.means, jnp.asarray(sd, dtype))
    sample, sample_class, bayes_score = partial(_sample, arrays), partial(_sample_class, arrays), jax.jit(bayes_score)

    population_risk, population_metrics, bayes_metrics = mixture_oracles(laws, sample_class, bayes_score,
                                                                         20261130, mc_size)

    @memoised_theta_star
    def theta_star(learner):
        start = np.r_[c * np.eye(d)[0], np.zeros(int(learner.intercept))]
        return minimise_population_risk(laws, learner, d, dtype, start)

    name = name or f"two_point_logistic(d={d}, a={a:g}, b={b:g}, c={c:g})"
    return DGP(name, d, p, sample, sample_class, bayes_score, population_risk, theta_star,
               lambda params: population_metrics(params)["auroc"], lambda label: laws[label], population_metrics,
               bayes_metrics)
