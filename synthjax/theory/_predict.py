"""First-order theory of augmented ERM and its predictions (Ma & Zhang, arXiv 2601.16120, §3–§4).

Notation (SPEC §5): class score means m0 = ∇R0(θ*), m1 = ∇R1(θ*) (m0 + m1 = 0 at the balanced θ*),
class Hessians H0, H1, H = ½(H0 + H1), G = H0 − H1, score covariances Σ0, Σ1; for a generator Q its
score mean m_Q (label 1), Hessian H_Q and covariance Σ_Q. Majority–minority shift g_φ = m0 − m1;
generator mismatch g_ψ = m_Q − m1.
"""
from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .._newton import autodiff_newton_step, newton_minimise
from ..dgp import SampleLaw, law_risk
from ..learn import LinearParams, split_params
from ._moments import GeneratorDependence, ScoreMoments, independent, law_moments


class ScoreGeometry(NamedTuple):
    """The population score geometry at θ (usually θ*)."""
    theta: LinearParams         #: θ, where the moments are taken
    P0: ScoreMoments        #: majority (label 0) under P0
    P1: ScoreMoments        #: minority (label 1) under P1
    H: jax.Array            #: ½(H0 + H1)
    G: jax.Array            #: H0 − H1
    g_phi: jax.Array        #: m0 − m1


def score_geometry(dgp, learner, theta: LinearParams | None = None) -> ScoreGeometry:
    """Class score moments at θ (default θ*), exact for Gaussian class laws (``law_moments``)."""
    theta = dgp.theta_star(learner) if theta is None else theta
    P0 = law_moments(dgp.class_law(0), learner.loss, theta, 0, learner.intercept)
    P1 = law_moments(dgp.class_law(1), learner.loss, theta, 1, learner.intercept)
    return geometry_from(theta, P0, P1)


def geometry_from(theta, P0: ScoreMoments, P1: ScoreMoments) -> ScoreGeometry:
    """The geometry at θ from the two classes' score moments: H = ½(H0 + H1), G = H0 − H1, g_φ = m0 − m1."""
    return ScoreGeometry(theta, P0, P1, 0.5 * (P0.hessian + P1.hessian), P0.hessian - P1.hessian, P0.mean - P1.mean)


def generator_moments(geometry: ScoreGeometry, law, learner) -> ScoreMoments:
    """Score moments of a generator law Q (label 1) at the geometry's θ."""
    return law_moments(law, learner.loss, geometry.theta, 1, learner.intercept)


def mismatch(geometry: ScoreGeometry, Q: ScoreMoments):
    """g_ψ = E_Q s(θ; X̃, 1) − E_{P1} s(θ; X, 1)."""
    return Q.mean - geometry.P1.mean


class FirstOrderRisk(NamedTuple):
    bias: jax.Array       #: ½ bᵀA⁻¹HA⁻¹b
    variance: jax.Array   #: ½ tr(H A⁻¹ S A⁻¹)
    total: jax.Array            #: bias + variance


def first_order_risk(geometry: ScoreGeometry, Q, n0, n1, n_syn) -> FirstOrderRisk:
    """E[R(θ̂) − R(θ*)] ≈ ½ bᵀA⁻¹HA⁻¹b + ½ tr(H A⁻¹ S A⁻¹) for augmented ERM with ñ synthetic points.

    b(ñ) = ((n0 − n1 − ñ)/2) g_φ + ñ g_ψ, A = n0H0 + n1H1 + ñH_Q. With Q the ``ScoreMoments`` of a law of fresh
    draws, S = n0Σ0 + n1Σ1 + ñΣ_Q (SPEC §5, the **marginal** prediction: for a fitted generator, Q its marginal
    law, ignoring that the synthetic points reuse the real minority sample). With Q a ``GeneratorDependence``
    (``generator_dependence``), the **dependence-aware** prediction of SPEC §11:
    S_dep = n0Σ0 + n1Σ1 + ñE[Σ_Q̂] + ñ²V_ψ + ñ(C + Cᵀ); ``Q.marginal()`` gives the marginal one from the same
    moments. The expansion is at the balanced θ* and ignores the ridge penalty. ``n_syn`` may be an array.
    """
    dep = Q if isinstance(Q, GeneratorDependence) else independent(Q)
    g_phi, g_psi = geometry.g_phi, mismatch(geometry, dep)
    n0, n1 = jnp.asarray(n0, g_phi.dtype), jnp.asarray(n1, g_phi.dtype)

    def one(n):
        b = 0.5 * (n0 - n1 - n) * g_phi + n * g_psi
        A, variance = sandwich_variance(geometry, dep, n0, n1, n)
        Ainv_b = jnp.linalg.solve(A, b)
        bias = 0.5 * Ainv_b @ geometry.H @ Ainv_b
        return FirstOrderRisk(bias, variance, bias + variance)

    n_syn = jnp.asarray(n_syn, g_phi.dtype)
    return jax.vmap(one)(n_syn.reshape(-1)) if n_syn.ndim else one(n_syn)


def sandwich(geometry: ScoreGeometry, dep: GeneratorDependence, n0, n1, n, penalty=None):
    """(A, S): A = n0H0 + n1H1 + ñH_Q (+ diag(``penalty``), the Hessian of the fit's penalty on the summed loss,
    e.g. 1/C on each coefficient for scikit-learn's C) and S = n0Σ0 + n1Σ1 + ñE[Σ_Q̂] + ñ²V_ψ + ñ(C + Cᵀ) at the
    geometry's θ (SPEC §11; V_ψ = C = 0 gives SPEC §5's S): θ̂ − θ ≈ −A⁻¹(b + ξ), Cov ξ = S."""
    P0, P1 = geometry.P0, geometry.P1
    A = n0 * P0.hessian + n1 * P1.hessian + n * dep.hessian
    A = A if penalty is None else A + jnp.diag(penalty)
    S = n0 * P0.cov + n1 * P1.cov + n * dep.within + n * n * dep.V_psi + n * (dep.C + dep.C.T)
    return A, S


def sandwich_variance(geometry: ScoreGeometry, dep: GeneratorDependence, n0, n1, n, penalty=None):
    """(A, ½ tr(H A⁻¹ S A⁻¹)) with A, S from ``sandwich``."""
    A, S = sandwich(geometry, dep, n0, n1, n, penalty)
    Ainv = jnp.linalg.inv(A)
    return A, 0.5 * jnp.trace(geometry.H @ Ainv @ S @ Ainv)


def predicted_best_size(geometry: ScoreGeometry, Q, n0, n1, gamma):
    """(γ_opt, ñ_opt, curve): the minimiser of ``first_order_risk`` over the γ grid (ñ = round(γ (n0 − n1)))
    and the predicted curve (``FirstOrderRisk`` over the grid). Q marginal or dependence-aware, as there."""
    gamma = jnp.asarray(gamma, geometry.g_phi.dtype)
    sizes = jnp.round(gamma * (n0 - n1))
    curve = first_order_risk(geometry, Q, n0, n1, sizes)
    best = jnp.nanargmin(curve.total)
    return gamma[best], sizes[best], curve


def theory_target_size(g_phi, g_psi, n0, n1):
    """ñ_theory = (n0 − n1) / (1 − 2 (‖g_ψ‖/‖g_φ‖) cos∠(g_φ, g_ψ)) = (n0 − n1)/(1 − 2 g_φᵀg_ψ/‖g_φ‖²).

    The size whose bias b(ñ) is orthogonal-free when g_ψ ∥ g_φ (it cancels the O(1) bias). Defined
    when the denominator is positive, else NaN. Aligned mismatch (g_φᵀg_ψ > 0) → more than balancing;
    anti-aligned → less.
    """
    denom = 1 - 2 * (g_phi @ g_psi) / (g_phi @ g_phi)
    return jnp.where(denom > 0, (n0 - n1) / jnp.where(denom > 0, denom, 1), jnp.nan)


def population_root(dgp, learner, n0, n1, n_syn, Q_law, max_iter: int = 30) -> LinearParams:
    """θ(ñ): the root of n0∇R0(θ) + n1∇R1(θ) + ñ∇R_Q(θ) (+ the learner's ridge, mean form) = 0.

    Solved by Newton's method on the convex population objective
    [n0 R0(θ) + n1 R1(θ) + ñ R_Q(θ)]/(n0 + n1 + ñ) + (λ/2)‖coef‖², exact for Gaussian laws (risks by
    quadrature) or on a ``SampleLaw`` for Q, from θ*, by ``synthjax._newton`` (damped; stopped when a step is
    below √eps (1 + ‖θ‖∞), so the error is O(eps)) or after ``max_iter`` steps. n0, n1 and n_syn broadcast against each other;
    the whole grid is one compiled, vmapped solve (leading axis = the broadcast shape, flattened), whose laws, start
    and ridge are arguments: one program per law structure, shape and loss, shared by every DGP and call.
    """
    start = dgp.theta_star(learner)
    dtype = start.coef.dtype
    t0 = jnp.concatenate([start.coef, start.intercept[None]]) if learner.intercept else start.coef
    weights = jnp.stack([jnp.ravel(a) for a in jnp.broadcast_arrays(*(jnp.asarray(v, dtype) for v in (n0, n1, n_syn)))], 1)
    laws = (dgp.class_law(0), dgp.class_law(1), Q_law)
    return _population_roots(laws, t0, weights, jnp.asarray(learner.hyper.ridge, dtype), loss=learner.loss,
                             intercept=learner.intercept, max_iter=max_iter)


@partial(jax.jit, static_argnames=("loss", "intercept", "max_iter"))
def _population_roots(laws, t0, weights, ridge, *, loss, intercept, max_iter):
    """``population_root``'s solve for each row (n0, n1, ñ) of ``weights``, laws = (P0, P1, Q)."""
    def objective(t, w):
        p = split_params(t, intercept)
        risks = jnp.stack([law_risk(law, loss, p, label) for law, label in zip(laws, (0, 1, 1))])
        return w @ risks / jnp.sum(w) + 0.5 * ridge * jnp.sum(p.coef ** 2)

    def solve(w):
        def weighted(t):
            return objective(t, w)
        return split_params(newton_minimise(weighted, autodiff_newton_step(weighted), t0, max_iter)[1], intercept)
    return jax.vmap(solve)(weights)


def marginal_generator_law(key, synthesizer, dgp, n0: int, n1: int, samples: int = 256, per_sample: int = 256):
    """The marginal law of one synthetic point, E over real samples of the generator's law, as a
    ``SampleLaw`` of ``samples × per_sample`` draws: each block of ``per_sample`` points comes from the
    generator fitted to its own independent real data set (n0, n1) of the DGP. This is the Q of the
    first-order theory for a fitted generator (SPEC §5), which ignores the dependence of the synthetic
    points on the real minority sample they augment — for random oversampling or SMOTE that dependence
    is what the simulated bias floor adds on top of the prediction."""
    def block(k):
        k_data, k_fit, k_draw = jax.random.split(k, 3)
        X0, X1 = dgp.sample(k_data, n0, n1)
        return synthesizer.sample(k_draw, synthesizer.fit(k_fit, X1, X0), per_sample).X
    X = jax.jit(jax.vmap(block))(jax.random.split(key, samples))
    return SampleLaw(X.reshape(-1, X.shape[-1]))


def population_excess_curve(dgp, learner, n0, n1, n_syn, Q_law):
    """R(θ(ñ)) − R(θ*) over a grid (n0, n1, ñ broadcast): the augmented population fit's balanced
    excess risk."""
    return excess_at(dgp, learner, population_root(dgp, learner, n0, n1, n_syn, Q_law))


def excess_at(dgp, learner, params):
    """R(θ) − R(θ*) for each θ of ``params`` (leading axis)."""
    risk_star = dgp.population_risk(learner.loss, dgp.theta_star(learner))
    return jax.vmap(lambda p: dgp.population_risk(learner.loss, p))(params) - risk_star


def augmentation_weights(n0, n1, n_syn):
    """The two things augmentation changes (SPEC §6): the effective minority class weight
    (n1 + ñ)/(n0 + n1 + ñ), and the share ñ/(n1 + ñ) of Q in the minority input law (n1P1 + ñQ)/(n1 + ñ)."""
    n0, n1, n_syn = (jnp.asarray(v, jnp.zeros(()).dtype) for v in (n0, n1, n_syn))
    return (n1 + n_syn) / (n0 + n1 + n_syn), n_syn / (n1 + n_syn)


def metric_regret_curve(dgp, learner, n0, n1, n_syn, Q_law, prevalence: float = 0.5) -> dict:
    """Population metric regret M(s*) − M(θ(ñ)) of the augmented population fit over a grid of ñ, for
    AUROC, AUPRC, best-threshold balanced accuracy and F1 (``DGP.population_metrics``; s* the Bayes
    score). Under a well-specified score model with Q = P1 augmentation only moves the intercept, so
    every regret stays at its ñ = 0 value (0 when the model is well specified); under
    misspecification the projection, and the regret, move with ñ (SPEC §6)."""
    roots = population_root(dgp, learner, n0, n1, n_syn, Q_law)
    fitted = jax.vmap(lambda p: dgp.population_metrics(p, prevalence))(roots)
    bayes = dgp.bayes_metrics(prevalence)
    return {k: bayes[k] - v for k, v in fitted.items()}
