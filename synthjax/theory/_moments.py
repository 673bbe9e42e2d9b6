"""Score-space moments of a learner's per-point loss (Ma & Zhang, arXiv 2601.16120, §3).

For a linear-score learner with per-point loss L(s, y), s = θᵀx̃ (x̃ = (x, 1) with an intercept), the
score is ∇_θ ℓ = L'(s, y) x̃ and the per-point Hessian L''(s, y) x̃x̃ᵀ. Under a Gaussian law x ~ N(μ, Σ)
the score s is N(m, v) and x | s is Gaussian with mean a + c s (c = Σw/v, a = μ − c m) and covariance
C = Σ − Σwwᵀ Σ/v, so every moment is a combination of the 1-D integrals E[f(s)], E[f(s)s], E[f(s)s²]
(``gaussian_expectation``): exact up to quadrature rounding. Under a ``SampleLaw`` (and a
``LocationScaleLaw``, through its fixed sample) the moments are sample moments of the per-point
scores, with their Monte-Carlo standard errors.

Any other learner (the learner contract: ``score(params, X)`` and a per-point ``loss(s, y)``; params any
pytree) gets its sample moments by automatic differentiation (``autodiff_moments``): per-point scores
``vmap(grad)`` of ℓ(θ; x, y) = loss(score(θ, x), y) over the flattened parameters and the Hessian by
``jax.hessian`` of the weighted mean loss; ``learner_moments`` picks the linear fast path or this one.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from jax.flatten_util import ravel_pytree

from ..dgp import LocationScaleLaw, MixtureLaw, SampleLaw, gaussian_expectation, score_law
from ..learn import Learner, LinearParams, check_learner
from ..learn._linear import _augment


class ScoreMoments(NamedTuple):
    """Moments of the per-point score under one law and label, at one θ (p = d + intercept).

    mean: (p,) E ∇ℓ; hessian: (p, p) E ∇²ℓ; cov: (p, p) Cov ∇ℓ; mean_se: (p,) Monte-Carlo SE of
    ``mean`` (zeros when exact).
    """
    mean: jax.Array             #: (p,) E ∇ℓ
    hessian: jax.Array          #: (p, p) E ∇²ℓ
    cov: jax.Array              #: (p, p) Cov ∇ℓ
    mean_se: jax.Array          #: (p,) Monte-Carlo SE of ``mean`` (zeros when exact)


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


def sample_moments(loss, params: LinearParams, X, label, intercept: bool, w=None, ddof: int = 1) -> ScoreMoments:
    """Empirical score moments of the rows of X (all with the given label) at θ, optionally weighted
    by w ≥ 0 (weights 0 drop rows: fold masks keep shapes static). mean_se = SD/√(effective n).
    The covariance divides by Σw − ddof: ddof = 1 for a sample, ddof = 0 for the moments of the discrete law
    whose atoms are the rows with probabilities w (Σw = 1)."""
    dtype = params.coef.dtype
    w = jnp.ones(X.shape[0], dtype) if w is None else w.astype(dtype)
    Xa = _augment(X.astype(dtype), intercept)
    s = X.astype(dtype) @ params.coef + params.intercept
    d1, d2 = _derivatives(loss, jnp.asarray(label, dtype))
    slope = d1(s)
    total = jnp.sum(w)
    mean = (w * slope) @ Xa / total            # not through the (n, p) scores: a bootstrap needs the mean alone
    centred = slope[:, None] * Xa - mean[None, :]
    cov = (centred * w[:, None]).T @ centred / (total - ddof)
    hessian = (Xa * (w * d2(s))[:, None]).T @ Xa / total
    return ScoreMoments(mean, hessian, cov, jnp.sqrt(jnp.diag(cov) / total))


def parameter_vector(learner, params):
    """(θ, unravel): the learner's trainable parameters as one vector and the map back to ``params``.
    Linear parameters (the linear learners, and models linear in random features): (coef, intercept) with an
    intercept, coef alone without (its intercept is fixed at 0); any other learner: every leaf of the params
    pytree (``jax.flatten_util.ravel_pytree``), or the part ``learner.theory_parameters`` selects."""
    split = getattr(learner, "theory_parameters", None)
    if split is not None:
        part, rebuild = split(params)
        theta, unravel = ravel_pytree(part)
        return theta, lambda t: rebuild(unravel(t))
    if isinstance(params, LinearParams):
        if getattr(learner, "intercept", True):
            return (jnp.concatenate([params.coef, params.intercept[None]]),
                    lambda t: LinearParams(t[:-1], t[-1]))
        return params.coef, lambda t: LinearParams(t, jnp.zeros((), t.dtype))
    return ravel_pytree(params)


def autodiff_moments(learner, params, X, label, w=None, ddof: int = 1) -> ScoreMoments:
    """Empirical score moments of the rows of X (label ``label``, weights w ≥ 0) at θ for any learner with
    ``score(params, X)`` and a per-point ``loss(s, y)``: scores ∇_θ ℓ(θ; x_i, y) by ``vmap(grad)``, the
    Hessian of the weighted mean loss by ``jax.hessian`` (p × p; fine for p up to a few thousand).
    Equals ``sample_moments`` for the linear learners (tested to 1e−10 in float64)."""
    theta, unravel = parameter_vector(learner, params)
    dtype = theta.dtype
    w = jnp.ones(X.shape[0], dtype) if w is None else w.astype(dtype)
    X = X.astype(dtype)
    y = jnp.asarray(label, dtype)

    def point_loss(t, x):
        return learner.loss(learner.score(unravel(t), x[None, :])[0], y)

    scores = jax.vmap(jax.grad(point_loss), (None, 0))(theta, X)
    total = jnp.sum(w)
    mean = w @ scores / total
    centred = scores - mean[None, :]
    cov = (centred * w[:, None]).T @ centred / (total - ddof)
    hessian = jax.hessian(lambda t: w @ jax.vmap(point_loss, (None, 0))(t, X) / total)(theta)
    return ScoreMoments(mean, hessian, cov, jnp.sqrt(jnp.diag(cov) / total))


def learner_moments(learner, params, X, label, w=None, owner: str = "theory", ddof: int = 1) -> ScoreMoments:
    """Sample score moments through the learner contract: the closed-form path for the linear learners and
    for models linear in a fixed feature map (on Φ(X)), automatic differentiation for any other learner
    exposing ``score`` and a per-point ``loss``."""
    if isinstance(learner, Learner):
        return sample_moments(learner.loss, params, X, label, learner.intercept, w, ddof)
    check_learner(learner, owner)
    if getattr(learner, "features", None) is not None:
        return sample_moments(learner.loss, params, learner.features(X), label, learner.intercept, w, ddof)
    return autodiff_moments(learner, params, X, label, w, ddof)


class GeneratorDependence(NamedTuple):
    """Score moments of a fitted generator Q̂ = G(X1) (label 1) at θ, over the real samples it is fitted to
    (SPEC §11): the dependence-aware first-order theory's input, in place of the marginal law's ``ScoreMoments``.

    mean: (p,) E[m_Q̂], m_Q̂ = E_Q̂ s(θ; X̃, 1); hessian: (p, p) E[H_Q̂]; within: (p, p) E[Σ_Q̂], the covariance of
    one draw given the fit; V_psi: (p, p) Cov(m_Q̂); C: (p, p) E[ξ ψ̂ᵀ], ξ the real samples' centred score sum
    (ξ1 = Σ_i s(x1_i) − n1 m1, plus the majority's ξ0 for a generator that reads X_maj), ψ̂ = m_Q̂ − E[m_Q̂];
    mean_se: (p,) Monte-Carlo SE of ``mean`` (zeros when exact). The marginal law Q has mean E[m_Q̂] and
    covariance E[Σ_Q̂] + V_ψ (``marginal``); for a generator that does not depend on the data (the oracle)
    V_ψ = C = 0 (``independent``).
    """
    mean: jax.Array             #: (p,) E[m_Q̂]
    hessian: jax.Array          #: (p, p) E[H_Q̂]
    within: jax.Array           #: (p, p) E[Σ_Q̂], the covariance of one draw given the fit
    V_psi: jax.Array            #: (p, p) Cov(m_Q̂)
    C: jax.Array                #: (p, p) E[ξ ψ̂ᵀ], the real samples' score sum against the fit's mean score
    mean_se: jax.Array          #: (p,) Monte-Carlo SE of ``mean`` (zeros when exact)

    def marginal(self) -> ScoreMoments:
        """The moments of the marginal law Q of one synthetic point (what SPEC §5's prediction uses)."""
        return ScoreMoments(self.mean, self.hessian, self.within + self.V_psi, self.mean_se)


def independent(Q: ScoreMoments) -> GeneratorDependence:
    """A law whose draws do not depend on the real sample (fresh draws from Q): V_ψ = C = 0."""
    zero = jnp.zeros_like(Q.cov)
    return GeneratorDependence(Q.mean, Q.hessian, Q.cov, zero, zero, Q.mean_se)
