"""A Bayesian parametric generator: conjugate Normal–inverse-Wishart posterior (numpyro)."""
from __future__ import annotations

import contextlib
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .._validate import check_choice, check_float
from ._core import Provenance, Synthesizer, SynthSample, check_fit_inputs, check_size


@contextlib.contextmanager
def _numpyro_promotion():
    """numpyro's samplers rely on NumPy-style rank and dtype promotion; allow it while they trace,
    whatever the caller set (our own tests run with strict promotion)."""
    with jax.numpy_rank_promotion("allow"), jax.numpy_dtype_promotion("standard"):
        yield


class NIWHyper(NamedTuple):
    kappa0: jax.Array   #: prior pseudo-count on the mean
    psi0: jax.Array     #: prior scale — Ψ0 = psi0 · I


class NIWPosterior(NamedTuple):
    """Posterior NIW(μn, κn, νn, Ψn) of the minority mean and covariance."""
    mu: jax.Array       #: (d,)
    kappa: jax.Array    #: ()
    nu: jax.Array       #: ()
    psi: jax.Array      #: (d, d)


def niw_posterior(X, mu0, kappa0, nu0, psi0) -> NIWPosterior:
    """Conjugate update (Murphy 2007, §9): κn = κ0 + n, νn = ν0 + n, μn = (κ0 μ0 + n x̄)/κn,
    Ψn = Ψ0 + S + (κ0 n/κn)(x̄ − μ0)(x̄ − μ0)ᵀ with S = Σ (x − x̄)(x − x̄)ᵀ."""
    n = X.shape[0]
    xbar = jnp.mean(X, axis=0)
    C = X - xbar[None, :]
    kn, nn = kappa0 + n, nu0 + n
    diff = xbar - mu0
    psi = psi0 + C.T @ C + (kappa0 * n / kn) * jnp.outer(diff, diff)
    return NIWPosterior((kappa0 * mu0 + n * xbar) / kn, kn, nn, psi)


def predictive_moments(post: NIWPosterior):
    """Mean μn and covariance Ψn (κn + 1)/(κn (νn − d − 1)) of the posterior predictive (νn > d + 1)."""
    d = post.mu.shape[0]
    return post.mu, post.psi * (post.kappa + 1) / (post.kappa * (post.nu - d - 1))


def bayesian_gaussian(kappa0: float = 0.01, psi0: float = 1.0, nu0: float | None = None,
                      mode: str = "predictive") -> Synthesizer:
    """Normal–inverse-Wishart posterior on the minority (μ, Σ); synthetic points from the posterior.

    Prior: Σ ~ IW(ν0, Ψ0 = psi0·I), μ | Σ ~ N(μ0, Σ/κ0), with μ0 = 0 and ν0 = d + 2 by default
    (the smallest integer with a finite prior mean of Σ). ``mode="predictive"``: each synthetic point
    is an independent draw from the posterior predictive, the multivariate t with νn − d + 1 degrees
    of freedom, location μn and scale Ψn (κn + 1)/(κn (νn − d + 1)) (numpyro ``MultivariateStudentT``).
    ``mode="posterior"``: one (μ, Σ) is drawn from the posterior per ``sample`` call (numpyro
    ``InverseWishart``) and the m points are i.i.d. N(μ, Σ) given it, which keeps parameter uncertainty
    shared across a synthetic sample. ``kappa0`` and ``psi0`` are dynamic (``NIWHyper``).

    Reference: Gelman et al., Bayesian Data Analysis (3rd ed.), §3.6; Murphy (2007), "Conjugate
    Bayesian analysis of the Gaussian distribution".
    """
    check_float(kappa0, "kappa0", "bayesian_gaussian", lo=0.0, lo_open=True)
    check_float(psi0, "psi0", "bayesian_gaussian", lo=0.0, lo_open=True)
    check_choice(mode, "mode", "bayesian_gaussian", ("predictive", "posterior"))
    default = NIWHyper(jnp.asarray(kappa0), jnp.asarray(psi0))

    def fit(key, X_min, X_maj=None, hyper=None):
        check_fit_inputs(X_min, X_maj, "bayesian_gaussian")
        h = default if hyper is None else hyper
        d = X_min.shape[1]
        nu0_ = d + 2.0 if nu0 is None else check_float(nu0, "nu0", "bayesian_gaussian", lo=d - 1, lo_open=True)
        dtype = X_min.dtype
        return niw_posterior(X_min, jnp.zeros(d, dtype), jnp.asarray(h.kappa0, dtype), jnp.asarray(nu0_, dtype),
                             jnp.asarray(h.psi0, dtype) * jnp.eye(d, dtype=dtype))

    def sample(key, post, m):
        check_size(m, "bayesian_gaussian.sample")
        with _numpyro_promotion():
            return _sample(key, post, m)

    def _sample(key, post, m):
        import numpyro.distributions as dist      # here, not at import: numpyro takes 0.25 s to import
        d = post.mu.shape[0]
        if mode == "predictive":
            df = post.nu - d + 1
            scale = post.psi * (post.kappa + 1) / (post.kappa * df)
            X = dist.MultivariateStudentT(df, post.mu, jnp.linalg.cholesky(scale)).sample(key, (m,))
        else:
            ks, km, kx = jax.random.split(key, 3)
            Sigma = dist.InverseWishart(post.nu, scale_matrix=post.psi).sample(ks)
            L = jnp.linalg.cholesky(Sigma)
            mu = post.mu + L @ jax.random.normal(km, (d,), post.mu.dtype) / jnp.sqrt(post.kappa)
            X = mu[None, :] + jax.random.normal(kx, (m, d), post.mu.dtype) @ L.T
        return SynthSample(X.astype(post.mu.dtype), Provenance())
    _sample = jax.jit(_sample, static_argnums=2)     # an eager call: one compiled program, not one per operation

    return Synthesizer(f"bayesian_gaussian_{mode}", fit, sample, default)
