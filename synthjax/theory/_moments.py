"""Score-space moments of a learner's per-point loss (Ma & Zhang, arXiv 2601.16120, §3).

For a linear-score learner with per-point loss L(s, y), s = θᵀx̃ (x̃ = (x, 1) with an intercept), the
score is ∇_θ ℓ = L'(s, y) x̃ and the per-point Hessian L''(s, y) x̃x̃ᵀ. Under a Gaussian law x ~ N(μ, Σ)
the score s is N(m, v) and x | s is Gaussian with mean a + c s (c = Σw/v, a = μ − c m) and covariance
C = Σ − Σwwᵀ Σ/v, so every moment is a combination of the 1-D integrals E[f(s)], E[f(s)s], E[f(s)s²]
(``gaussian_expectation``): exact up to quadrature rounding. Under a ``SampleLaw`` (and a
``LocationScaleLaw``, through its fixed sample) the moments are sample moments of the per-point
scores, with their Monte-Carlo standard errors.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..dgp import LocationScaleLaw, MixtureLaw, SampleLaw, gaussian_expectation, score_law
from ..learn import LinearParams
from ..learn._linear import _augment


class ScoreMoments(NamedTuple):
    """Moments of the per-point score under one law and label, at one θ (p = d + intercept).

    mean: (p,) E ∇ℓ; hessian: (p, p) E ∇²ℓ; cov: (p, p) Cov ∇ℓ; mean_se: (p,) Monte-Carlo SE of
    ``mean`` (zeros when exact).
    """
    mean: jax.Array
    hessian: jax.Array
    cov: jax.Array
    mean_se: jax.Array


def _derivatives(loss, label):
    d1 = jax.grad(lambda s: loss(s, label))
    d2 = jax.grad(d1)
    return jax.vmap(d1), jax.vmap(d2)


def law_moments(law, loss, params: LinearParams, label, intercept: bool) -> ScoreMoments:
    """Score moments of ℓ(θ; x, label) under ``law`` (exact for ``GaussianLaw``, sample for ``SampleLaw``)."""
    if isinstance(law, LocationScaleLaw):
        law = SampleLaw(law.sample)       # score covariances need moments beyond the second
    if isinstance(law, MixtureLaw):       # exact: mix the components' first and second moments
        parts = [law_moments(c, loss, params, label, intercept) for c in law.components()]
        mean = sum(w * p.mean for w, p in zip(law.weights, parts))
        second = sum(w * (p.cov + jnp.outer(p.mean, p.mean)) for w, p in zip(law.weights, parts))
        hessian = sum(w * p.hessian for w, p in zip(law.weights, parts))
        return ScoreMoments(mean, hessian, second - jnp.outer(mean, mean), jnp.zeros_like(mean))
    if isinstance(law, SampleLaw):
        return sample_moments(loss, params, law.X, label, intercept)
    d1, d2 = _derivatives(loss, jnp.asarray(label, params.coef.dtype))
    m, sd = score_law(law, params)
    Sigma = law.chol @ law.chol.T
    Sw = Sigma @ params.coef
    v = sd ** 2
    safe_v = jnp.where(v > 0, v, 1)
    c = jnp.where(v > 0, Sw / safe_v, 0)
    a = law.mu - c * m
    C = Sigma - jnp.where(v > 0, jnp.outer(Sw, Sw) / safe_v, 0)

    def first_second(f):
        """E[f x̃] and E[f x̃x̃ᵀ] from E f, E f s, E f s²."""
        e0, e1, e2 = gaussian_expectation(lambda s: jnp.stack([f(s), f(s) * s, f(s) * s * s], -1), m, sd)
        ex = e0 * a + e1 * c
        exx = e0 * (C + jnp.outer(a, a)) + e1 * (jnp.outer(a, c) + jnp.outer(c, a)) + e2 * jnp.outer(c, c)
        if intercept:
            ex, exx = (jnp.concatenate([ex, e0[None]]),
                       jnp.block([[exx, ex[:, None]], [ex[None, :], e0[None, None]]]))
        return ex, exx

    mean, _ = first_second(d1)
    _, hessian = first_second(d2)
    _, second = first_second(lambda s: d1(s) ** 2)
    return ScoreMoments(mean, hessian, second - jnp.outer(mean, mean), jnp.zeros_like(mean))


def sample_moments(loss, params: LinearParams, X, label, intercept: bool, w=None) -> ScoreMoments:
    """Empirical score moments of the rows of X (all with the given label) at θ, optionally weighted
    by w ≥ 0 (weights 0 drop rows: fold masks keep shapes static). mean_se = SD/√(effective n)."""
    dtype = params.coef.dtype
    w = jnp.ones(X.shape[0], dtype) if w is None else w.astype(dtype)
    Xa = _augment(X.astype(dtype), intercept)
    s = X.astype(dtype) @ params.coef + params.intercept
    d1, d2 = _derivatives(loss, jnp.asarray(label, dtype))
    scores = d1(s)[:, None] * Xa
    total = jnp.sum(w)
    mean = w @ scores / total
    centred = scores - mean[None, :]
    cov = (centred * w[:, None]).T @ centred / (total - 1)
    hessian = (Xa * (w * d2(s))[:, None]).T @ Xa / total
    return ScoreMoments(mean, hessian, cov, jnp.sqrt(jnp.diag(cov) / total))
