"""Two Gaussian classes N(μ0, Σ0) vs N(μ1, Σ1), with exact oracles for linear scores."""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import InvalidParameterError, check_float, check_int
from .._memo import OwnedCache
from ..learn import LinearParams
from ._core import DGP, class_samplers, law_population_risk, minimise_population_risk
from ._laws import GaussianLaw
from ._metrics import gaussian_law_metrics, sample_metrics

class GaussianParams(NamedTuple):
    mu0: jax.Array    #: (d,)
    mu1: jax.Array    #: (d,)
    chol0: jax.Array  #: (d, d) lower Cholesky factor of Σ0
    chol1: jax.Array  #: (d, d) lower Cholesky factor of Σ1


def _gaussian_class(p: GaussianParams, key, label: int, n: int):
    """n draws of class ``label``: μ + Z Lᵀ, Z ~ N(0, I)."""
    mu, chol = (p.mu0, p.chol0) if label == 0 else (p.mu1, p.chol1)
    return mu[None, :] + jax.random.normal(key, (n, mu.shape[0]), mu.dtype) @ chol.T


_sample_class, _sample = class_samplers(_gaussian_class)


def _log_density(X, mu, chol):
    z = jax.scipy.linalg.solve_triangular(chol, (X - mu[None, :]).T, lower=True)
    return -0.5 * jnp.sum(z ** 2, axis=0) - jnp.sum(jnp.log(jnp.diag(chol)))


def _as_matrix(cov, d, name):
    if cov is None:
        return np.eye(d)
    cov = np.asarray(cov, dtype=float)
    if cov.ndim == 0:
        cov = float(cov) * np.eye(d)
    elif cov.ndim == 1:
        cov = np.diag(cov)
    if cov.shape != (d, d) or not np.all(np.isfinite(cov)):
        raise InvalidParameterError(
            f"The '{name}' parameter of gaussian must be a scalar, a length-{d} vector or a ({d}, {d}) "
            f"finite matrix. Got shape {cov.shape} instead.")
    if not np.allclose(cov, cov.T) or np.linalg.eigvalsh(cov).min() <= 0:
        raise InvalidParameterError(
            f"The '{name}' parameter of gaussian must be symmetric positive definite. Got a matrix with "
            f"smallest eigenvalue {np.linalg.eigvalsh((cov + cov.T) / 2).min():.3g} instead.")
    return cov


def gaussian(mu0, mu1, cov0=None, cov1=None, dtype=None, name: str = "gaussian") -> DGP:
    """Two Gaussian classes: X | y=0 ~ N(μ0, Σ0) (majority), X | y=1 ~ N(μ1, Σ1) (minority).

    With Σ0 = Σ1 the log-likelihood ratio is linear, so logistic regression with an intercept is
    well specified and θ* = (Σ⁻¹(μ1 − μ0), −½(μ1ᵀΣ⁻¹μ1 − μ0ᵀΣ⁻¹μ0)); with Σ0 ≠ Σ1 it is
    misspecified. A linear score is Gaussian given the class, so the balanced population risk of any
    linear score is a 1-D Gaussian integral per class (Gauss–Hermite, ``gaussian_expectation``) and
    its AUROC is Φ((m1 − m0)/√(v0 + v1)). ``class_law(c)`` returns ``GaussianLaw(μ_c, L_c)``.

    Args:
      mu0, mu1: class means, shape (d,).
      cov0, cov1: covariances: None (identity), a scalar (times I), a (d,) diagonal or a (d, d) SPD matrix.
      dtype: float dtype of samples and oracles (default: JAX's default float).

    Example:
      >>> dgp = gaussian(jnp.zeros(10), 0.8 * jnp.ones(10) / jnp.sqrt(10))
      >>> X0, X1 = dgp.sample(key, 2000, 100)
    """
    mu0 = np.asarray(mu0, dtype=float)
    mu1 = np.asarray(mu1, dtype=float)
    if mu0.ndim != 1 or mu0.shape != mu1.shape or mu0.size < 1:
        raise InvalidParameterError(
            f"The 'mu0' and 'mu1' parameters of gaussian must be 1-D arrays of the same length >= 1. "
            f"Got shapes {mu0.shape} and {mu1.shape} instead.")
    if not (np.all(np.isfinite(mu0)) and np.all(np.isfinite(mu1))):
        raise InvalidParameterError("The 'mu0' and 'mu1' parameters of gaussian must be finite. Got NaN or inf instead.")
    d = mu0.size
    cov0, cov1 = _as_matrix(cov0, d, "cov0"), _as_matrix(cov1, d, "cov1")
    dtype = jnp.zeros(()).dtype if dtype is None else jnp.dtype(dtype)
    p = GaussianParams(*(jnp.asarray(a, dtype) for a in (mu0, mu1, np.linalg.cholesky(cov0), np.linalg.cholesky(cov1))))

    def bayes_score(X):
        return _log_density(X, p.mu1, p.chol1) - _log_density(X, p.mu0, p.chol0)

    sample, sample_class, bayes_score = partial(_sample, p), partial(_sample_class, p), jax.jit(bayes_score)

    laws = (GaussianLaw(p.mu0, p.chol0), GaussianLaw(p.mu1, p.chol1))

    def class_law(label):
        return laws[label]

    population_risk, population_metrics = law_population_risk(laws), partial(gaussian_law_metrics, laws)

    def population_auroc(params):
        return population_metrics(params)["auroc"]

    fixed = jax.random.split(jax.random.key(20261122), 2)
    n_mc = 2 ** 18

    def bayes_metrics(prevalence=0.5):
        """Metrics of the Bayes score: exact when it is linear (Σ0 = Σ1); otherwise the quadratic
        log-likelihood ratio on fixed samples of 2¹⁸ points per class (SE ≲ 1e-3), at prevalence π."""
        if np.allclose(cov0, cov1):
            prec = np.linalg.inv(cov0)
            llr = LinearParams(jnp.asarray(prec @ (mu1 - mu0), dtype),
                               jnp.asarray(-0.5 * (mu1 @ prec @ mu1 - mu0 @ prec @ mu0), dtype))
            return population_metrics(llr, prevalence)
        return sample_metrics(bayes_score(sample_class(fixed[0], 0, n_mc)), bayes_score(sample_class(fixed[1], 1, n_mc)),
                              prevalence)

    @memoised_theta_star
    def theta_star(learner):
        return minimise_population_risk(laws, learner, d, dtype, lda_start(mu0, mu1, cov0, cov1, learner))

    return DGP(name, d, p, sample, sample_class, bayes_score, population_risk, theta_star, population_auroc,
               class_law, population_metrics, bayes_metrics)


def mean_shift(d: int = 2, delta: float = 1.0, dtype=None) -> DGP:
    """P0 = N(0, I_d), P1 = N(δ e1, I_d): the aligned designs of Ma & Zhang (SPEC §8.1–8.2, δ = 1)."""
    check_int(d, "d", "mean_shift", 1)
    check_float(delta, "delta", "mean_shift")
    mu1 = np.zeros(d)
    mu1[0] = delta
    return gaussian(np.zeros(d), mu1, dtype=dtype, name=f"mean_shift(d={d}, delta={delta:g})")


def lda_start(mu0, mu1, cov0, cov1, learner):
    """The LDA direction Σ̄⁻¹(μ1 − μ0) (Σ̄ = ½(Σ0 + Σ1)) with the Bayes intercept of the pooled Gaussian
    fit: θ* itself for logistic regression when Σ0 = Σ1, and a good starting point otherwise."""
    prec = np.linalg.inv(0.5 * (cov0 + cov1))
    start = prec @ (mu1 - mu0)
    return np.r_[start, -0.5 * (mu1 @ prec @ mu1 - mu0 @ prec @ mu0)] if learner.intercept else start


#: θ* solutions kept per DGP (most recently used losses); a study uses one or two.
THETA_STAR_KEEP = 8


def memoised_theta_star(theta_star):
    """Cache θ* per learner loss (θ* depends on the loss and the intercept only, not on the ridge), the
    ``THETA_STAR_KEEP`` most recently used (a process that makes many losses, one lambda per call, stays bounded).
    The cache is a function attribute, not a closure cell, so design fingerprints ignore it."""
    def cached(learner):
        return cached.cache.get((id(learner.loss), learner.intercept), (learner.loss,),
                                lambda: theta_star(learner))
    cached.cache = OwnedCache(THETA_STAR_KEEP)
    return cached
