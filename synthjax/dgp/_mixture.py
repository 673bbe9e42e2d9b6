"""A Gaussian majority against a Gaussian-mixture minority (misspecified for a linear score)."""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import InvalidParameterError
from ._core import DGP, class_samplers, minimise_population_risk
from ._gaussian import _as_matrix, _log_density, lda_start, memoised_theta_star
from ._laws import GaussianLaw, MixtureLaw
from ._metrics import mixture_oracles


class MixtureParams(NamedTuple):
    mu0: jax.Array       #: (d,)
    chol0: jax.Array     #: (d, d)
    weights: jax.Array   #: (K,)
    means: jax.Array     #: (K, d)
    chol1: jax.Array     #: (d, d) common component covariance factor
    mu1: jax.Array       #: (d,) the minority mean Σ w_k μ_k


def _mixture_class(p: MixtureParams, key, label: int, n: int):
    """n draws of class ``label``: N(μ0, Σ0) for 0; for 1 a component k ~ w, then μ_k + Z L1ᵀ."""
    d, dtype = p.mu0.shape[0], p.mu0.dtype
    if label == 0:
        return p.mu0[None, :] + jax.random.normal(key, (n, d), dtype) @ p.chol0.T
    kc, kz = jax.random.split(key)
    comp = jax.random.choice(kc, p.weights.shape[0], (n,), p=p.weights)
    return p.means[comp] + jax.random.normal(kz, (n, d), dtype) @ p.chol1.T


_sample_class, _sample = class_samplers(_mixture_class)


def gaussian_mixture(mu0, means, weights=None, cov0=None, cov1=None, dtype=None, mc_size: int = 2 ** 16,
                     name: str = "gaussian_mixture") -> DGP:
    """X | y=0 ~ N(μ0, Σ0); X | y=1 ~ Σ_k w_k N(μ_k, Σ1) (SPEC §8.5: ½N(2e1 + 1.75e2, I) + ½N(2e1 − 1.75e2, I)).

    Oracles: risks and score moments are exact (weighted sums of the components' Gaussian integrals);
    the Bayes score is log Σ_k w_k N(x; μ_k, Σ1) − log N(x; μ0, Σ0); ranking metrics use fixed samples of
    ``mc_size`` points per class (any prevalence).
    """
    mu0 = np.asarray(mu0, float)
    means = np.atleast_2d(np.asarray(means, float))
    d, K = mu0.size, means.shape[0]
    if means.shape[1] != d:
        raise InvalidParameterError(f"The 'means' parameter of gaussian_mixture must have shape (K, {d}). "
                                    f"Got {means.shape} instead.")
    weights = np.full(K, 1.0 / K) if weights is None else np.asarray(weights, float)
    if weights.shape != (K,) or np.any(weights < 0) or not np.isclose(weights.sum(), 1):
        raise InvalidParameterError(f"The 'weights' parameter of gaussian_mixture must be {K} non-negative numbers "
                                    f"summing to 1. Got {weights!r} instead.")
    cov0, cov1 = _as_matrix(cov0, d, "cov0"), _as_matrix(cov1, d, "cov1")
    dtype = jnp.zeros(()).dtype if dtype is None else jnp.dtype(dtype)
    L0, L1 = np.linalg.cholesky(cov0), np.linalg.cholesky(cov1)
    p = MixtureParams(*(jnp.asarray(a, dtype) for a in (mu0, L0, weights, means, L1, weights @ means)))
    laws = (GaussianLaw(p.mu0, p.chol0), MixtureLaw(p.weights, p.means, jnp.broadcast_to(p.chol1, (K, d, d))))

    def bayes_score(X):
        comps = jnp.stack([_log_density(X, p.means[k], p.chol1) for k in range(K)], axis=1)
        return jax.scipy.special.logsumexp(comps, axis=1, b=p.weights[None, :]) - _log_density(X, p.mu0, p.chol0)

    sample, sample_class, bayes_score = partial(_sample, p), partial(_sample_class, p), jax.jit(bayes_score)

    population_risk, population_metrics, bayes_metrics = mixture_oracles(laws, sample_class, bayes_score,
                                                                         20261122, mc_size)

    mix_cov = cov1 + (means - weights @ means).T @ np.diag(weights) @ (means - weights @ means)

    @memoised_theta_star
    def theta_star(learner):
        return minimise_population_risk(laws, learner, d, dtype,
                                        lda_start(mu0, weights @ means, cov0, mix_cov, learner))

    return DGP(name, d, p, sample, sample_class, bayes_score, population_risk, theta_star,
               lambda params: population_metrics(params)["auroc"], lambda label: laws[label], population_metrics,
               bayes_metrics)
