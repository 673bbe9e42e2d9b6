"""Two classes sharing a standardised noise law: X | y=c = μ_c + s_c ⊙ U (Ma & Zhang's linear designs)."""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import InvalidParameterError, check_choice, check_int
from ._core import DGP, class_samplers, law_population_risk, minimise_population_risk
from ._gaussian import gaussian, lda_start, memoised_theta_star
from ._laws import LocationScaleLaw
from ._metrics import fixed_sample_metrics, sample_metrics

#: the standardised noise laws of ``location_scale`` (zero mean, identity covariance)
NOISES = ("gaussian", "uniform", "rademacher", "sphere")


class LocationScaleParams(NamedTuple):
    mu0: jax.Array              #: (d,) majority location
    mu1: jax.Array              #: (d,) minority location
    scale0: jax.Array           #: majority scale
    scale1: jax.Array           #: minority scale
    noise: str                  #: the standardised noise law ("uniform_cube", "rademacher" or "uniform_sphere")


def standard_noise(key, noise: str, n: int, d: int, dtype):
    """(n, d) draws of U with E U = 0, Cov U = I: N(0, I); U[−√3, √3]^d; Rademacher ±1; or uniform on the
    sphere of radius √d."""
    if noise == "gaussian":
        return jax.random.normal(key, (n, d), dtype)
    if noise == "uniform":
        return jax.random.uniform(key, (n, d), dtype, -np.sqrt(3.0), np.sqrt(3.0))
    if noise == "rademacher":
        return jax.random.rademacher(key, (n, d), dtype)
    z = jax.random.normal(key, (n, d), dtype)
    return np.sqrt(d) * z / jnp.linalg.norm(z, axis=1, keepdims=True)


def _location_scale_class(noise: str, arrays, key, label: int, n: int):
    """n draws of class ``label`` from ``arrays = ((μ0, μ1), (s0, s1))``: μ + s ⊙ U, U ~ ``standard_noise``."""
    mus, scales = arrays
    mu = mus[label]
    return mu[None, :] + scales[label][None, :] * standard_noise(key, noise, n, mu.shape[0], mu.dtype)


#: (sample_class, sample) per noise law (``class_samplers``).
_SAMPLERS = {noise: class_samplers(partial(_location_scale_class, noise)) for noise in NOISES}


def location_scale(mu0, mu1, scale0=1.0, scale1=1.0, noise: str = "uniform", mc_size: int = 2 ** 20,
                   dtype=None, name: str | None = None) -> DGP:
    """X | y=0 = μ0 + s0 ⊙ U0, X | y=1 = μ1 + s1 ⊙ U1, U standardised (``standard_noise``).

    SPEC §8.3 (mean shift with cube, Rademacher or sphere noise) and §8.4 (X0 = −e1 + U0 ⊙ (2, 1, …, 1),
    X1 = b e1 + U1, uniform). Oracles: population risk and θ* are exact for losses quadratic in the
    score (least squares: they need the first two moments only); for other losses, and for the score
    covariances of the theory engine, the class laws carry a fixed Monte-Carlo sample of ``mc_size``
    draws (``LocationScaleLaw``). The Bayes score is available for Gaussian and uniform noise (the
    latter is ±inf outside one support and NaN outside both); Rademacher and sphere laws have no
    density and raise. ``noise="gaussian"`` is ``gaussian(μ0, μ1, diag(s0²), diag(s1²))``.
    """
    check_choice(noise, "noise", "location_scale", NOISES)
    check_int(mc_size, "mc_size", "location_scale", 2)
    mu0, mu1 = np.asarray(mu0, float), np.asarray(mu1, float)
    if mu0.ndim != 1 or mu0.shape != mu1.shape:
        raise InvalidParameterError(f"The 'mu0' and 'mu1' parameters of location_scale must be 1-D arrays of the same "
                                    f"length. Got shapes {mu0.shape} and {mu1.shape} instead.")
    d = mu0.size
    s0, s1 = (np.broadcast_to(np.asarray(s, float), (d,)) for s in (scale0, scale1))
    if np.any(s0 <= 0) or np.any(s1 <= 0):
        raise InvalidParameterError("The 'scale0' and 'scale1' parameters of location_scale must be > 0. "
                                    f"Got {scale0!r} and {scale1!r} instead.")
    name = name or f"location_scale({noise}, d={d})"
    if noise == "gaussian":
        return gaussian(mu0, mu1, s0 ** 2, s1 ** 2, dtype=dtype, name=name)
    dtype = jnp.zeros(()).dtype if dtype is None else jnp.dtype(dtype)
    mus = (jnp.asarray(mu0, dtype), jnp.asarray(mu1, dtype))
    scales = (jnp.asarray(s0, dtype), jnp.asarray(s1, dtype))
    fixed = jax.random.split(jax.random.key(20260131), 2)
    laws = tuple(LocationScaleLaw(mus[c], scales[c],
                                  mus[c][None, :] + scales[c][None, :] * standard_noise(fixed[c], noise, mc_size, d, dtype))
                 for c in (0, 1))

    def bayes_score(X):
        if noise != "uniform":
            raise InvalidParameterError(f"location_scale({noise!r}) has no density, so no Bayes score; "
                                        "use noise='gaussian' or 'uniform'.")
        def log_density(c):
            inside = jnp.all(jnp.abs(X - mus[c][None, :]) <= np.sqrt(3.0) * scales[c][None, :], axis=1)
            return jnp.where(inside, -jnp.sum(jnp.log(2 * np.sqrt(3.0) * scales[c])), -jnp.inf)
        return log_density(1) - log_density(0)

    sample_class, sample = (partial(f, (mus, scales)) for f in _SAMPLERS[noise])
    bayes_score = jax.jit(bayes_score)

    n_mc = min(mc_size, 2 ** 16)
    population_risk = law_population_risk(laws)
    # ranking metrics: Monte Carlo on the first 2¹⁶ fixed draws of each class (SE below 2e-3), at prevalence π
    population_metrics = partial(fixed_sample_metrics, tuple(laws[c].sample[:n_mc] for c in (0, 1)))

    def population_auroc(params):
        return population_metrics(params)["auroc"]

    def bayes_metrics(prevalence=0.5):
        return sample_metrics(bayes_score(laws[0].sample[:n_mc]), bayes_score(laws[1].sample[:n_mc]), prevalence)

    @memoised_theta_star
    def theta_star(learner):
        return minimise_population_risk(laws, learner, d, dtype,
                                        lda_start(mu0, mu1, np.diag(s0 ** 2), np.diag(s1 ** 2), learner))

    params = LocationScaleParams(mus[0], mus[1], scales[0], scales[1], noise)
    return DGP(name, d, params, sample, sample_class, bayes_score, population_risk, theta_star, population_auroc,
               lambda label: laws[label], population_metrics, bayes_metrics)
