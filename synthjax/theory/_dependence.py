"""Dependence-aware first-order theory for fitted generators, and the plug-in size it gives (SPEC §11; this
project's extension of Ma & Zhang, arXiv 2601.16120, §3).

A fitted generator Q̂ = G(X1) repeats the noise of the real minority sample X1, so its ñ synthetic points do not
average that noise away. Expanding the estimating equation at θ*, U = Σ s(x0) + Σ s(x1) + Σ s(x̃) and
θ̂ − θ* ≈ −A⁻¹U with E[UUᵀ] = bbᵀ + S_dep, S_dep = n0Σ0 + n1Σ1 + ñE[Σ_Q̂] + ñ²V_ψ + ñ(C + Cᵀ):
``generator_dependence`` estimates E[m_Q̂], E[H_Q̂], E[Σ_Q̂], V_ψ = Cov(m_Q̂) and C = E[ξ ψ̂ᵀ] by Monte Carlo over
fresh real samples of a DGP and generator fits (scores at θ only: no learner fit), exactly given each fit where
the generator's law is a finite set of atoms (``Synthesizer.conditional_law``: random oversampling, SMOTE by
Gauss–Legendre quadrature over the step), else from a pool of M draws with the pool's own noise E[Σ_Q̂]/M removed
from V_ψ; ``oversampling_dependence`` is random oversampling in closed form; ``plugin_size`` estimates the same
quantities from one data set (balanced pilot fit, bootstrap of X1) and minimises the prediction over γ.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import InvalidParameterError, check_int
from ..learn import Learner, check_learner
from ..metrics import balanced_bayes_risk, balanced_risk
from ._diagnostics import balanced_fit, bound_learner
from ._moments import GeneratorDependence, independent, learner_moments, parameter_vector
from ._predict import (ScoreGeometry, excess_at, first_order_risk, generator_moments, geometry_from,
                       marginal_generator_law, population_root, sandwich, sandwich_variance, score_geometry)
from ._tuners import FULL_GRID, TunedFit, augmented_fits


def _check_inputs(synthesizer, learner, X1, X0, pool, owner, count_name, count):
    """Edge checks: counts ≥ 2, a per-point loss, and a generator that draws label-1 rows of the data's width."""
    check_int(count, count_name, owner, 2)
    check_int(pool, "pool", owner, 2)
    if not isinstance(learner, Learner):
        check_learner(learner, owner)
    out = jax.eval_shape(lambda k, X1, X0: synthesizer.sample(k, synthesizer.fit(k, X1, X0), pool),
                         jax.random.key(0), X1, X0)
    if out.X.ndim != 2 or out.X.shape[1] != X1.shape[1]:
        raise InvalidParameterError(f"The 'synthesizer' parameter of {owner} must draw rows of width d = "
                                    f"{X1.shape[1]} (the data's). Got {synthesizer.name} drawing shape "
                                    f"{out.X.shape} instead.")
    if out.y is not None:
        raise InvalidParameterError(f"The 'synthesizer' parameter of {owner} must draw label-1 rows; "
                                    f"{synthesizer.name} draws soft labels.")


def reads_majority(synthesizer, X1) -> bool:
    """Whether the generator's law depends on the majority sample: its ``fit``/``sample`` refuse X_maj = None
    (Borderline-SMOTE, ADASYN). Such a generator's ψ̂ correlates with the majority's score sum too."""
    try:
        jax.eval_shape(lambda k, X1: synthesizer.sample(k, synthesizer.fit(k, X1, None), 2), jax.random.key(0), X1)
    except (InvalidParameterError, TypeError, AttributeError):
        return True
    return False


def _fit_moments(synthesizer, learner, theta, key, X1, X0, pool, synth_hyper=None):
    """Score moments at θ of one draw of the generator fitted to (X1, X0): exact over its conditional law's atoms
    where it has one, else the sample moments of a pool of ``pool`` draws."""
    k_fit, k_draw = jax.random.split(key)
    state = synthesizer.fit(k_fit, X1, X0, synth_hyper)
    if synthesizer.conditional_law is not None:
        X, w = synthesizer.conditional_law(state)
        return learner_moments(learner, theta, X, 1, w, owner="generator_dependence", ddof=0)
    return learner_moments(learner, theta, synthesizer.sample(k_draw, state, pool).X, 1,
                           owner="generator_dependence")


def _spread(means, within, xi, pool_noise: bool, pool: int):
    """(V_ψ, C) from R fits' mean scores m̂_r: V_ψ = Cov_r(m̂_r) − E[Σ_Q̂]/M (``within``) when m̂_r is a pool's mean,
    C = Cov_r(ξ_r, m̂_r)."""
    R = means.shape[0]
    centred = means - jnp.mean(means, axis=0)[None, :]
    V = centred.T @ centred / (R - 1) - (within / pool if pool_noise else 0)
    C = (xi - jnp.mean(xi, axis=0)[None, :]).T @ centred / (R - 1)
    return V, C


def generator_dependence(key, synthesizer, dgp, learner, geometry: ScoreGeometry, n0: int, n1: int,
                         replicates: int = 512, pool: int = 4096, batch_size: int = 16) -> GeneratorDependence:
    """The fitted generator's score moments over real samples (SPEC §11), for any learner with a per-point loss.

    For r = 1…R: (X0, X1) ~ P0^n0 × P1^n1 from ``dgp``, the generator fitted to them, and at θ = ``geometry.theta``
    the conditional moments m̂_r, Ĥ_r, Σ̂_r of one synthetic draw (exact over ``synthesizer.conditional_law``'s
    atoms, else from ``pool`` draws) and the real score sums ξ_r = Σ s(x1_i) (+ Σ s(x0_i) for a generator that
    ``reads_majority``). Jit- and vmap-safe given its static arguments; replicates run ``batch_size`` at a time.

    Returns a ``GeneratorDependence``; ``first_order_risk(geometry, it, …)`` is the dependence-aware prediction
    and ``first_order_risk(geometry, it.marginal(), …)`` the marginal (SPEC §5) one from the same draws.
    Raises InvalidParameterError for replicates or pool < 2, a learner without a per-point loss, or a
    generator that draws rows of another width or soft labels.
    """
    n0, n1 = int(n0), int(n1)
    X0s, X1s = jax.eval_shape(lambda k: dgp.sample(k, n0, n1), jax.random.key(0))
    _check_inputs(synthesizer, learner, X1s, X0s, pool, "generator_dependence", "replicates", replicates)
    with_majority = reads_majority(synthesizer, X1s)
    theta = geometry.theta

    def one(k):
        k_data, k_gen = jax.random.split(k)
        X0, X1 = dgp.sample(k_data, n0, n1)
        fit = _fit_moments(synthesizer, learner, theta, k_gen, X1, X0, pool)
        real1 = learner_moments(learner, theta, X1, 1).mean
        xi = n1 * real1 + (n0 * learner_moments(learner, theta, X0, 0).mean if with_majority else 0)
        return fit, real1, xi

    fits, real1, xi = jax.lax.map(one, jax.random.split(key, replicates), batch_size=batch_size)
    diff = fits.mean - real1            # control variate: E[m_Q̂] = m1 + E[m̂ − s̄1], since E s̄1 = m1
    within = jnp.mean(fits.cov, axis=0)
    return GeneratorDependence(geometry.P1.mean + jnp.mean(diff, axis=0), jnp.mean(fits.hessian, axis=0), within,
                               *_spread(fits.mean, within, xi, synthesizer.conditional_law is None, pool),
                               jnp.std(diff, axis=0, ddof=1) / np.sqrt(replicates))


class DependentRisk(NamedTuple):
    """The root-centred prediction of E[R(θ̂) − R(θ*)] at each ñ (``dependent_excess_curve``)."""
    population: jax.Array   #: R(θ(ñ)) − R(θ*) — the augmented population fit's excess risk (the bias, exact)
    variance: jax.Array     #: ½ tr(H A⁻¹ S_dep A⁻¹) with every moment at θ(ñ)
    total: jax.Array            #: population + variance


def dependent_excess_curve(key, dgp, learner, n0: int, n1: int, n_syn, synthesizer=None, Q_law=None,
                           replicates: int = 512, pool: int = 1024) -> DependentRisk:
    """The dependence-aware prediction over a grid of ñ, expanded at the population root θ(ñ) (SPEC §11):

        E[R(θ̂) − R(θ*)] ≈ [R(θ(ñ)) − R(θ*)] + ½ tr(H A⁻¹ S_dep A⁻¹),   H, A, S_dep at θ(ñ),

    θ(ñ) the root of n0∇R0 + n1∇R1 + ñ∇R_Q (``population_root``, Q the generator's marginal law,
    ``marginal_generator_law`` unless ``Q_law`` is given), where the estimating equation has mean zero. Expanding at
    θ* instead (``first_order_risk``) treats the O(1) bias linearly and evaluates the scores where the fit is not:
    at the quickstart design the score covariances at θ(ñ) differ by ±30% from those at θ* at γ = 0.5 and 1.5.
    ``synthesizer=None`` means fresh draws from ``Q_law`` (V_ψ = C = 0: the oracle). The dependence moments at every
    θ(ñ) share one set of generator fits (``generator_dependence`` vmapped over θ). Linear learners (exact class
    moments, ``score_geometry``).
    """
    n_syn, roots, geometries, deps, counts = _root_expansion(key, dgp, learner, n0, n1, n_syn, synthesizer, Q_law,
                                                             replicates, pool, "dependent_excess_curve")
    variance = jax.vmap(lambda g, d, n: sandwich_variance(g, d, *counts, n)[1])(geometries, deps, n_syn)
    population = excess_at(dgp, learner, roots)
    return DependentRisk(population, variance, population + variance)


def sampled_geometry(model, theta, X0, X1, owner: str = "sampled_geometry") -> ScoreGeometry:
    """The score geometry at θ from class samples X0 ~ P0, X1 ~ P1 (``learner_moments``): for a model whose class
    moments have no closed form (random features, networks), with samples large enough to stand for the laws, or
    the in-sample geometry of one data set (``plugin_size``)."""
    M0, M1 = (learner_moments(model, theta, X, label, owner=owner) for X, label in ((X0, 0), (X1, 1)))
    return geometry_from(theta, M0, M1)


class SampledRisk(NamedTuple):
    """``sampled_excess_curve``'s two predictions of E[R(θ̂)] − R_Bayes at each ñ."""
    dependent: DependentRisk    #: dependence-aware, expanded at the population root θ_M(ñ) (SPEC §11)
    marginal: DependentRisk     #: SPEC §5's, at the balanced fit θ*_M with the marginal moments (population: R(θ*_M) −
    #: R_Bayes + the bias term)


def sampled_excess_curve(key, dgp, model, n0: int, n1: int, n_syn, evaluation, synthesizer=None, penalty=None,
                         population: int = 100_000, replicates: int = 256, pool: int = 1024) -> SampledRisk:
    """``dependent_excess_curve`` for a drawn model without closed-form class moments (random features, networks):
    the class laws replaced by samples of ``population`` rows each, excess risk over the balanced Bayes risk on
    ``evaluation`` = (X, labels) (the runner's evaluation sample for such a learner, shared with the simulation).

    θ_M(ñ) is the model's own fit (``fit_path``, its penalty included) to the P0 and P1 samples and to a sample of the
    generator's marginal law (``marginal_generator_law``; fresh P1 draws when ``synthesizer`` is None, the oracle),
    weighted n0, n1 and ñ in total; the moments at θ_M are the samples' (``sampled_geometry``) and the generator's
    dependence moments ``generator_dependence``'s. Then

        E[R(θ̂)] − R_Bayes ≈ R(θ_M) − R_Bayes − ½tr(H A⁻¹ S_M A⁻¹) + ½tr(H A⁻¹ S_dep A⁻¹),

    A = n0H0 + n1H1 + ñH_Q + diag(``penalty``) (the fit's penalty Hessian on the summed loss, (p,)), S_M =
    n0²Σ0/M + n1²Σ1/M + ñ²Σ_Q/M_Q the samples' own first-order error in θ_M (removed). The marginal prediction
    (SPEC §5, ``first_order_risk``) is expanded at the balanced fit θ*_M (one row of weight 1 per sample row) and
    carries its approximation error R(θ*_M) − R_Bayes. Jit-safe given its static arguments.
    """
    check_int(population, "population", "sampled_excess_curve", 2)
    k_pop, k_law, k_dep = jax.random.split(key, 3)
    X0, X1 = dgp.sample(k_pop, population, population)
    if synthesizer is None:
        XQ = dgp.sample_class(jax.random.fold_in(k_pop, 1), 1, population)
    else:
        XQ = marginal_generator_law(k_law, synthesizer, dgp, n0, n1).X
    dtype = X0.dtype
    n_syn = jnp.ravel(jnp.asarray(n_syn, dtype))
    counts = tuple(jnp.asarray(v, dtype) for v in (n0, n1))
    X = jnp.concatenate([X0, X1, XQ])
    y = jnp.concatenate([jnp.zeros(population, dtype), jnp.ones(population + XQ.shape[0], dtype)])
    rows = (population, population, XQ.shape[0])
    per_row = jnp.stack([jnp.full_like(n_syn, counts[0] / population), jnp.full_like(n_syn, counts[1] / population),
                         n_syn / rows[2]], axis=1)                  # (S, 3): each part's weight per row, at each ñ
    per_row = jnp.concatenate([per_row, jnp.asarray([[1, 1, 0]], dtype)])   # + the balanced fit: 1 per P0, P1 row
    roots = model.fit_path(X, y, jnp.repeat(per_row, np.asarray(rows), axis=1, total_repeat_length=sum(rows)))[0]
    E, labels = evaluation
    risk_bayes = balanced_bayes_risk(model.loss, dgp.bayes_score(E))
    excess = jax.vmap(lambda p: balanced_risk(model.loss, model.score(p, E), labels))(roots) - risk_bayes

    def at(theta):
        geometry = sampled_geometry(model, theta, X0, X1)
        if synthesizer is None:
            return geometry, independent(learner_moments(model, theta, XQ, 1))
        return geometry, generator_dependence(k_dep, synthesizer, dgp, model, geometry, n0, n1, replicates, pool)

    geometries, deps = jax.vmap(at)(roots)
    p = geometries.P0.mean.shape[-1]
    if penalty is not None and jnp.shape(penalty) != (p,):
        raise InvalidParameterError(f"The 'penalty' parameter of sampled_excess_curve must have shape ({p},) (one "
                                    f"entry per parameter). Got shape {jnp.shape(penalty)} instead.")

    def variance(geometry, dep, n):
        A, S = sandwich(geometry, dep, *counts, n, penalty)
        S_M = (counts[0] ** 2 * geometry.P0.cov + counts[1] ** 2 * geometry.P1.cov) / population \
            + n ** 2 * (dep.within + dep.V_psi) / rows[2]
        Ainv = jnp.linalg.inv(A)
        return tuple(0.5 * jnp.trace(geometry.H @ Ainv @ M @ Ainv) for M in (S, S_M))

    var, sample_error = jax.vmap(variance)(*jax.tree.map(lambda a: a[:-1], (geometries, deps)), n_syn)
    population_part = excess[:-1] - sample_error
    star, dep_star = jax.tree.map(lambda a: a[-1], (geometries, deps))
    marginal = first_order_risk(star, dep_star.marginal(), *counts, n_syn)
    return SampledRisk(DependentRisk(population_part, var, population_part + var),
                       DependentRisk(excess[-1] + marginal.bias, marginal.variance, excess[-1] + marginal.total))


def _root_expansion(key, dgp, learner, n0, n1, n_syn, synthesizer, Q_law, replicates, pool, owner):
    """(ñ, θ(ñ), geometries, dependence moments, (n0, n1)) at every population root: the root-centred predictions'
    common part (the dependence moments at every root share one set of generator fits)."""
    k_law, k_dep = jax.random.split(key)
    if synthesizer is None and Q_law is None:
        raise InvalidParameterError(f"{owner} needs a 'synthesizer' or a 'Q_law' (fresh draws). Got neither.")
    if Q_law is None:
        Q_law = marginal_generator_law(k_law, synthesizer, dgp, n0, n1)
    n_syn = jnp.ravel(jnp.asarray(n_syn, jnp.zeros(()).dtype))
    roots = population_root(dgp, learner, n0, n1, n_syn, Q_law)

    def at(theta):
        geometry = score_geometry(dgp, learner, theta)
        if synthesizer is None:
            return geometry, independent(generator_moments(geometry, Q_law, learner))
        return geometry, generator_dependence(k_dep, synthesizer, dgp, learner, geometry, n0, n1, replicates, pool)

    geometries, deps = jax.vmap(at)(roots)
    return n_syn, roots, geometries, deps, tuple(jnp.asarray(v, n_syn.dtype) for v in (n0, n1))


def _metric_derivatives(dgp, learner, params, prevalence):
    """(names, M(θ), ∇M(θ), ∇²M(θ)) of the population metrics at ``params`` (forward-mode autodiff)."""
    theta, unravel = parameter_vector(learner, params)
    names = tuple(dgp.bayes_metrics(prevalence))

    def metrics(t):
        values = dgp.population_metrics(unravel(t), prevalence)
        return jnp.stack([values[k] for k in names])
    return names, metrics(theta), jax.jacfwd(metrics)(theta), jax.jacfwd(jax.jacfwd(metrics))(theta)


def dependent_metric_regret(key, dgp, learner, n0: int, n1: int, n_syn, synthesizer=None, Q_law=None,
                            prevalence: float = 0.5, replicates: int = 512, pool: int = 1024) -> dict:
    """Predicted metric regret expanded at the population root θ(ñ), as ``dependent_excess_curve`` for the risk:

        E[M(θ̂)] ≈ M(θ(ñ)) + ½ tr(∇²M(θ(ñ)) A⁻¹ S_dep A⁻¹),   A, S_dep at θ(ñ),   regret = M_Bayes − E[M(θ̂)],

    so a generator's O(1) bias enters through M(θ(ñ)) exactly instead of linearly (``metric_regret_prediction``).
    Returns {metric: (S,) predicted regret}."""
    n_syn, roots, geometries, deps, counts = _root_expansion(key, dgp, learner, n0, n1, n_syn, synthesizer, Q_law,
                                                             replicates, pool, "dependent_metric_regret")
    bayes = dgp.bayes_metrics(prevalence)

    def one(params, geometry, dep, n):
        names, value, _, hess = _metric_derivatives(dgp, learner, params, prevalence)
        A, S = sandwich(geometry, dep, *counts, n)
        Ainv = jnp.linalg.inv(A)
        return jnp.stack([bayes[k] for k in names]) - value - 0.5 * jnp.einsum("mij,ij->m", hess, Ainv @ S @ Ainv.T)
    regrets = jax.vmap(one)(roots, geometries, deps, n_syn)
    return {k: regrets[:, i] for i, k in enumerate(tuple(bayes))}


def metric_regret_prediction(dgp, learner, geometry: ScoreGeometry, Q, n0: int, n1: int, n_syn,
                             prevalence: float = 0.5) -> dict:
    """Predicted regret E[M* − M(θ̂)] of each population metric (AUROC, AUPRC, best-threshold BA and F1; Ma, Lyu &
    Zhang, arXiv 2606.26053) at the sizes ``n_syn``, from the same first-order covariance as the risk:

        E[M(θ̂)] ≈ M(θ*) − ∇M(θ*)ᵀA⁻¹b + ½ tr(∇²M(θ*) A⁻¹(bbᵀ + S)A⁻¹),   θ̂ − θ* ≈ −A⁻¹(b + ξ),

    regret = M_Bayes − E[M(θ̂)]. ∇M and ∇²M by forward-mode autodiff of ``dgp.population_metrics`` (exact for linear
    scores of Gaussian classes); A, b, S as in ``first_order_risk`` — S marginal (Q ``ScoreMoments``) or
    dependence-aware (Q ``GeneratorDependence``). Well specified, θ* maximises every ranking metric (∇M = 0) and the
    regret is the variance term alone, O(1/n); misspecified, M_Bayes − M(θ*) > 0 is a floor no n removes.
    Returns {metric: (S,) predicted regret}."""
    dep = Q if isinstance(Q, GeneratorDependence) else independent(Q)
    bayes = dgp.bayes_metrics(prevalence)
    names, value, grad, hess = _metric_derivatives(dgp, learner, geometry.theta, prevalence)
    g_phi, g_psi = geometry.g_phi, dep.mean - geometry.P1.mean
    counts = tuple(jnp.asarray(v, g_phi.dtype) for v in (n0, n1))

    def one(n):
        b = 0.5 * (counts[0] - counts[1] - n) * g_phi + n * g_psi
        A, S = sandwich(geometry, dep, *counts, n)
        Ainv = jnp.linalg.inv(A)
        shift = -Ainv @ b
        second = Ainv @ (jnp.outer(b, b) + S) @ Ainv.T
        expected = value + grad @ shift + 0.5 * jnp.einsum("mij,ij->m", hess, second)
        return jnp.stack([bayes[k] for k in names]) - expected
    regrets = jax.vmap(one)(jnp.ravel(jnp.asarray(n_syn, g_phi.dtype)))
    return {k: regrets[:, i] for i, k in enumerate(names)}


def oversampling_dependence(geometry: ScoreGeometry, n1: int) -> GeneratorDependence:
    """Random oversampling in closed form (SPEC §11): m_Q̂ = s̄1, so ψ̂ = ξ1/n1, V_ψ = Σ1/n1, C = Σ1,
    E[Σ_Q̂] = (1 − 1/n1)Σ1, E[m_Q̂] = m1, H_Q = H1."""
    P1 = geometry.P1
    return GeneratorDependence(P1.mean, P1.hessian, (1 - 1 / n1) * P1.cov, P1.cov / n1, P1.cov,
                               jnp.zeros_like(P1.mean))


def plugin_size(key, synthesizer, learner, X0, X1, gammas=FULL_GRID, bootstrap: int = 32, pool: int = 512,
                gamma_max: float = 2.0, hyper=None, synth_hyper=None) -> TunedFit:
    """The plug-in size from data alone (SPEC §11): ñ_plug = argmin over γ of the dependence-aware prediction.

    θ* → the balanced pilot fit θ̂ (``balanced_fit``); Σ0, Σ1, H0, H1, g_φ its in-sample score moments; g_ψ =
    m_Q̂(X1) − m̂1, E[Σ_Q̂] and E[H_Q̂] from the generator fitted to the real X1; V_ψ and C = E[ξ1 ψ̂ᵀ] from B
    bootstrap resamples X1* of X1 (``bootstrap_dependence``). No validation fit:
    the only fits are the pilot and the final one with the chosen size (``augmented_fits``). Runs inside a vmapped
    replicate, for any learner with a per-point loss (drawn once from ``key`` if it has random parts).
    ``losses`` holds the predicted excess risk per candidate γ.
    """
    _check_inputs(synthesizer, learner, X1, X0, pool, "plugin_size", "bootstrap", bootstrap)
    gammas = jnp.asarray(gammas, X0.dtype)
    n0, n1 = X0.shape[0], X1.shape[0]
    learner = bound_learner(learner, key, X0, X1)
    k_boot, k_final = jax.random.split(key)
    theta, _ = balanced_fit(learner, X0, X1, hyper=hyper)
    geometry = sampled_geometry(learner, theta, X0, X1, owner="plugin_size")
    dep = _bootstrap(k_boot, synthesizer, learner, theta, X0, X1, bootstrap, pool, synth_hyper)
    predicted = first_order_risk(geometry, dep, n0, n1, jnp.round(gammas * (n0 - n1))).total
    best = jnp.argmin(jnp.where(jnp.isfinite(predicted), predicted, jnp.inf))
    (params, info), sizes = augmented_fits(k_final, synthesizer, learner, X0, X1, gammas[best][None], gamma_max,
                                           hyper, synth_hyper)
    first = jax.tree_util.tree_map(lambda a: a[0], (params, info))
    return TunedFit(gammas[best], sizes[0], first[0], first[1], predicted)


def bootstrap_dependence(key, synthesizer, learner, theta, X0, X1, bootstrap: int = 32, pool: int = 512,
                         synth_hyper=None) -> GeneratorDependence:
    """The generator's dependence moments from one data set (SPEC §11, "from data alone"): V_ψ and C = E[ξ1 ψ̂ᵀ] over
    B bootstrap resamples X1* of X1 (the generator refitted to each, m_Q̂ and ξ1 recomputed; the majority X0 stays
    fixed), and E[m_Q̂], E[H_Q̂], E[Σ_Q̂] from the generator fitted to X1 itself (plug-in estimates; the resamples
    need only their mean scores, and their ties would shrink SMOTE's segments). For random oversampling
    V_ψ → Σ̂1/n1 and C → Σ̂1 (Σ̂1 the in-sample score covariance, ddof 0) as B grows."""
    _check_inputs(synthesizer, learner, X1, X0, pool, "bootstrap_dependence", "bootstrap", bootstrap)
    return _bootstrap(key, synthesizer, learner, theta, X0, X1, bootstrap, pool, synth_hyper)


#: Resamples refitted at once in ``plugin_size``'s bootstrap: all B = 32 side by side inside a vmapped batch of
#: replicates spill the caches (quickstart design, 8 replicates per batch, the runner's compiler options: 12.6 ms per
#: decision vmapped, 7.5 ms in groups of 4 or 8, 8.3 ms in groups of 16).
BOOTSTRAP_BATCH = 8


def _bootstrap(key, synthesizer, learner, theta, X0, X1, bootstrap, pool, synth_hyper):
    """``bootstrap_dependence`` without its edge checks (``plugin_size`` makes them under its own name). mean_se is
    the bootstrap SD of m̂* − s̄1*: the standard error of g_ψ from this one data set."""
    n1 = X1.shape[0]
    k_real, k_boot = jax.random.split(key)
    real = _fit_moments(synthesizer, learner, theta, k_real, X1, X0, pool, synth_hyper)

    def one(k):
        k_index, k_gen = jax.random.split(k)
        Xb = X1[jax.random.randint(k_index, (n1,), 0, n1)]
        mean1 = learner_moments(learner, theta, Xb, 1, owner="bootstrap_dependence").mean
        return _fit_moments(synthesizer, learner, theta, k_gen, Xb, X0, pool, synth_hyper).mean, mean1

    means, real1 = jax.lax.map(one, jax.random.split(k_boot, bootstrap), batch_size=BOOTSTRAP_BATCH)
    return GeneratorDependence(real.mean, real.hessian, real.cov,
                               *_spread(means, real.cov, n1 * real1, synthesizer.conditional_law is None, pool),
                               jnp.std(means - real1, axis=0, ddof=1))
