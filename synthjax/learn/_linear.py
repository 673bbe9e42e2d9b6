"""Weighted ridge logistic regression (Newton) and weighted ridge least squares (closed form).

Both minimise the weighted-mean objective

    L(θ) = Σ_i w_i ℓ(s_i, y_i) / Σ_i w_i + (λ/2) ‖coef‖²,     s_i = coefᵀx_i + intercept,

with the intercept unpenalised. Labels y may be soft (y ∈ [0, 1]). This is synthjax's one ridge
convention (every learner, the MLP's ``weight_decay`` included). With weights w (unit: Σw = n) it maps
to scikit-learn as follows (multiply scikit-learn's objective by 1/Σw, resp. 2/Σw, to see it):

    logistic(ridge=λ)       ⇔  LogisticRegression(C = 1/(λ Σw))      (C Σ w ℓ + ½‖coef‖²)
    least_squares(ridge=λ)  ⇔  Ridge(alpha = λ Σw / 2)               (Σ w (t − s)² + α‖coef‖²)

Kernel design: the weighted Gram matrix Σ_i d_i x_i x_iᵀ is computed as ``d @ Z`` with
``Z[i] = upper-triangle(x_i x_iᵀ)`` formed once per data set. Under ``vmap`` over weight vectors
(a grid of synthetic sizes sharing one design matrix) that is one matrix multiply of shape
(sizes × n) @ (n × p(p+1)/2) instead of many skinny (p × n) @ (n × p) products.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._newton import newton_minimise, preconditioned_cg, solve_spd, spd_factor
from .._status import NONFINITE, OK
from .._validate import InvalidParameterError, check_float, check_int, check_matrix, check_vector



class LinearParams(NamedTuple):
    coef: jax.Array        #: (d,)
    intercept: jax.Array   #: () — 0 when the learner has no intercept


class FitInfo(NamedTuple):
    iterations: jax.Array  #: () int32
    grad_norm: jax.Array   #: () Euclidean norm of the objective's gradient at the returned θ
    converged: jax.Array   #: () bool
    status: jax.Array      #: () int32 — OK, MAX_ITER or NONFINITE


class RidgeHyper(NamedTuple):
    ridge: jax.Array       #: λ ≥ 0, dynamic — a new value does not recompile


class Learner(NamedTuple):
    """A learner: ``fit(X, y, w=None, hyper=None) -> (LinearParams, FitInfo)``, ``score(params, X)``,
    the per-point ``loss(s, y)`` whose weighted mean it minimises (used by oracles and theory), and
    ``fit_path(X, y, W (S, n), hyper=None)``: S fits sharing one design matrix (a size grid), with
    leading axis S on every output; it equals ``vmap(fit)`` up to the solver tolerance."""
    name: str                   #: a label
    fit: Callable               #: fit(X, y, w=None, hyper=None) -> (LinearParams, FitInfo)
    score: Callable             #: score(params, X) -> (n,) linear scores
    loss: Callable              #: the per-point loss(s, y) whose weighted mean ``fit`` minimises
    intercept: bool             #: whether the score has an (unpenalised) intercept
    hyper: RidgeHyper           #: ``RidgeHyper`` — the dynamic penalty
    fit_path: Callable          #: fit_path(X, y, W (S, n), hyper=None) — S fits sharing one design matrix


def linear_score(params: LinearParams, X):
    """Decision function s = X coef + intercept, shape (n,)."""
    return X @ params.coef + params.intercept


def _augment(X, intercept: bool):
    return jnp.concatenate([X, jnp.ones((X.shape[0], 1), X.dtype)], axis=1) if intercept else X


def _pair_products(Xa):
    """Z (n, p(p+1)/2): the upper triangle of each row's outer product x xᵀ, row-major order
    (static slices, no gather)."""
    p = Xa.shape[1]
    return jnp.concatenate([Xa[:, i:i + 1] * Xa[:, i:] for i in range(p)], axis=1)


#: Largest number of parameters for which the Gram matrix goes through pair products; above it the
#: n × p(p+1)/2 pair-product table costs more memory than the direct (Xa · d)ᵀ Xa product saves.
PAIR_PRODUCTS_MAX_P = 24


def _gram_table(Xa):
    """What ``_gram`` needs: the pair products for small p, the design matrix itself for large p."""
    return _pair_products(Xa) if Xa.shape[1] <= PAIR_PRODUCTS_MAX_P else Xa


def _gram(Z, d, p: int):
    """Σ_i d_i x_i x_iᵀ, shape (p, p), from ``_gram_table``'s pair products (or design matrix)."""
    if Z.shape[1] == p and p > PAIR_PRODUCTS_MAX_P:
        return (Z * d[:, None]).T @ Z
    r, c = np.triu_indices(p)
    upper = jnp.zeros((p, p), Z.dtype).at[r, c].set(d @ Z)
    return upper + upper.T - jnp.diag(jnp.diag(upper))


def _penalty(p: int, intercept: bool, dtype):
    return jnp.asarray([1.0] * (p - 1) + [0.0] if intercept else [1.0] * p, dtype)


def _check_fit(X, y, w, owner):
    """The edge checks of a fit (values only where they are concrete, i.e. outside jit)."""
    check_matrix(X, "X", owner)
    check_vector(y, "y", owner, n=X.shape[0], lo=0.0, hi=1.0)
    if w is not None:
        check_vector(w, "w", owner, n=X.shape[0], lo=0.0)


def _prepare(X, y, w, intercept):
    """(Xa, y, w, v = w / Σw): the design with its intercept column (the inputs checked before, ``_check_fit``)."""
    Xa = _augment(X, intercept)
    w = jnp.ones(X.shape[0], X.dtype) if w is None else jnp.asarray(w, X.dtype)
    return Xa, jnp.asarray(y, X.dtype), w, w / jnp.sum(w)


def split_params(theta, intercept: bool) -> LinearParams:
    """θ = (coef, intercept) as ``LinearParams``: the last entry is the intercept when ``intercept``, else 0."""
    return LinearParams(theta[:-1], theta[-1]) if intercept else LinearParams(theta, jnp.zeros((), theta.dtype))


def _ridge(hyper, w, per_point: bool):
    """λ of the weighted-mean objective: ``hyper.ridge``, or 1/(C Σw) with ``hyper.ridge`` = 1/C when the
    learner was given scikit-learn's C (``per_point``: the penalty is C's, fixed per unit of total weight)."""
    ridge = jnp.asarray(hyper.ridge, w.dtype)
    return ridge / jnp.sum(w) if per_point else ridge


def _logistic_fit(X, y, w=None, hyper=None, init=None, *, intercept, max_iter, default_hyper, per_point=False,
                  lagged_hessian=False, factor=None):
    """Newton's method on the weighted-mean objective (``logistic``). ``lagged_hessian``: form and factor the
    Hessian once, at the starting point, and take every Newton step by conjugate gradients preconditioned with
    that factor on Hessian–vector products Xᵀ(d ⊙ Xu) (``preconditioned_cg``, inexact Newton): for a warm start (a
    γ grid started from its pilot fit) a few products of cost 4np replace a Gram matrix of cost 2np² per step (p = 101
    random features: 5 folds × 50 sizes of one TG-VTSS decision 5.4 → 1.9 s). ``factor``: a given preconditioner
    (``_anchor_factors``) instead of the starting Hessian's."""
    _check_fit(X, y, w, "logistic.fit")
    chol, lower = (None, False) if factor is None else factor
    return _logistic_newton(X, y, w, default_hyper if hyper is None else hyper, init, chol, intercept=intercept,
                            max_iter=max_iter, per_point=per_point, lagged_hessian=lagged_hessian, lower=lower)


@partial(jax.jit, static_argnames=("intercept", "max_iter", "per_point", "lagged_hessian", "lower"))
def _logistic_newton(X, y, w, hyper, init, chol, *, intercept, max_iter, per_point, lagged_hessian, lower):
    """``_logistic_fit``'s Newton iteration, jitted (an eager fit is one compiled program, not one per operation);
    ``chol``, ``lower``: the given preconditioner's factor, or None."""
    factor = None if chol is None else (chol, lower)
    Xa, y, w, v = _prepare(X, y, w, intercept)
    p = Xa.shape[1]
    Z = _gram_table(Xa)
    lam = _ridge(hyper, w, per_point) * _penalty(p, intercept, X.dtype)

    # The Newton loop carries the scores s = Xa θ (``newton_minimise``'s images): one sigmoid per step serves the
    # gradient and the Hessian weights, and the step's image XaΔ serves the certificate, the damping and the next
    # scores.
    def gradient(theta, scores):
        prob = jax.nn.sigmoid(scores)
        return Xa.T @ (v * (prob - y)) + lam * theta, prob

    def objective(theta, scores):
        return jnp.sum(v * _logistic_loss(scores, y)) + 0.5 * jnp.sum(lam * theta ** 2)

    def hessian(prob):
        return _gram(Z, v * prob * (1 - prob), p) + jnp.diag(lam)

    if init is not None:
        theta0 = jnp.asarray(init, X.dtype)
    else:
        ybar = jnp.clip(jnp.sum(v * y), 1e-3, 1 - 1e-3)
        theta0 = jnp.zeros(p, X.dtype)
        if intercept:
            theta0 = theta0.at[-1].set(jnp.log(ybar) - jnp.log1p(-ybar))

    if lagged_hessian and factor is None:
        factor = spd_factor(hessian(jax.nn.sigmoid(Xa @ theta0)))

    def newton_step(theta, scores):
        g, prob = gradient(theta, scores)
        if factor is None:
            return solve_spd(hessian(prob), g)
        d = v * prob * (1 - prob)
        return preconditioned_cg(lambda u: Xa.T @ (d * (Xa @ u)) + lam * u, g, factor, forcing=True)

    it, theta, status, scores = newton_minimise(objective, newton_step, theta0, max_iter, full_step_decreases,
                                                images=lambda u: u @ Xa.T)
    g, _ = gradient(theta, scores)
    info = FitInfo(it, jnp.linalg.norm(g), status == OK, status)
    return split_params(theta, intercept), info


#: A size grid with many parameters forms one starting Hessian per this many sizes (``_anchor_factors``).
ANCHOR_STRIDE = 4


def _anchor_factors(X, W, init, hyper, intercept, per_point, default_hyper):
    """Preconditioners of a many-parameter size grid (S fits, weight rows W, starts ``init``): the Cholesky factor
    of the starting Hessian of one fit in ``ANCHOR_STRIDE`` (the anchors: every fourth row in order of total weight,
    which on nested masks is the size order), and for every fit the factor of the anchor nearest in total weight.
    Neighbouring sizes of a γ grid differ by a few percent of their rows, so a neighbour's Hessian preconditions
    conjugate gradients almost as well as the fit's own, at a quarter of the Gram matrices (cost 2np² each; one CV
    fold of a TG-VTSS decision, 50 sizes × 9,440 rows × 101 parameters: 233 ms with every size's own factor, 177,
    149, 155 and 189 ms with one anchor per 2, 4, 8 and 50 sizes)."""
    hyper = default_hyper if hyper is None else hyper
    Xa = _augment(X, intercept)
    p = Xa.shape[1]
    totals = jnp.sum(W, axis=1)
    anchors = jnp.argsort(totals)[min(ANCHOR_STRIDE // 2, W.shape[0] - 1)::ANCHOR_STRIDE]
    nearest = jnp.argmin(jnp.abs(totals[:, None] - totals[anchors][None, :]), axis=1)     # a position in anchors

    def factor(w, theta0):
        v = w / jnp.sum(w)
        prob = jax.nn.sigmoid(Xa @ theta0)
        lam = _ridge(hyper, w, per_point) * _penalty(p, intercept, X.dtype)
        return spd_factor(_gram(Xa, v * prob * (1 - prob), p) + jnp.diag(lam))[0]

    return jax.vmap(factor)(W[anchors], init[anchors])[nearest], False       # spd_factor's upper Cholesky factor


#: Largest M = max_i |x_iᵀΔ| at which ``full_step_decreases`` certifies a full Newton step: the bound's factor
#: (e^M − 1 − M)/M² is 0.98 < 1 there (it reaches 1 at M ≈ 1.793), so f falls by at least 2% of the decrement λ².
CERTIFIED_MAX_M = 1.75


def full_step_decreases(step, step_image):
    """True when the full Newton step θ − Δ of a (weighted, ridge) logistic objective is certain to decrease it: the
    logistic loss has |ℓ‴| ≤ ℓ″ (σ″ = σ′(1 − 2σ)), so along θ − tΔ the curvature grows at most by the factor e^{tM},
    M = max_i |x_iᵀΔ|, and f(θ − Δ) − f(θ) ≤ λ²[(e^M − 1 − M)/M² − 1] < 0 for M ≤ ``CERTIFIED_MAX_M`` (λ² = gᵀΔ ≥ ΔᵀHΔ,
    the Newton decrement; Bach 2010, generalised self-concordance). Lets the damping skip its objective evaluations;
    a certified step is one the damping would accept, so the fit is the same. ``step_image``: XaΔ."""
    return jnp.max(jnp.abs(step_image)) <= CERTIFIED_MAX_M


def _logistic_loss(s, y):
    """ℓ(s, y) = softplus(s) − y s = −y log σ(s) − (1 − y) log(1 − σ(s)), for y ∈ [0, 1]."""
    return jax.nn.softplus(s) - y * s


def logistic(ridge: float = 0.0, intercept: bool = True, max_iter: int = 50, C: float | None = None) -> Learner:
    """Weighted ridge logistic regression by Newton's method.

    Minimises Σ w_i [softplus(s_i) − y_i s_i] / Σ w_i + (ridge/2)‖coef‖² — scikit-learn's
    ``LogisticRegression(C=1/(ridge · Σw))`` (module docstring). Given ``C`` instead, the penalty is
    scikit-learn's for every fit: λ = 1/(C Σw), so it shrinks as (synthetic) points are added, exactly as
    ``LogisticRegression(C=C)`` refitted on each augmented set does (``hyper.ridge`` then holds 1/C). Newton steps solve with a
    Cholesky factor and are halved (up to 20 times) until the objective does not increase; the loop stops when ‖Δθ‖∞ ≤ √eps (1 + ‖θ‖∞) (the step is applied, so the
    error is then O(eps)), or after ``max_iter`` steps (status MAX_ITER: e.g. separable data with
    ridge = 0, where θ stays finite but does not converge). vmap-safe; under vmap the loop runs
    until every member has stopped.

    Args:
      ridge: λ ≥ 0 (dynamic; pass a new ``RidgeHyper`` to ``fit`` to sweep it without recompiling).
      intercept: fit an unpenalised intercept.
      max_iter: Newton step limit (static).

    Example:
      >>> params, info = logistic(ridge=1e-4).fit(X, y)

    References: Hastie, Tibshirani & Friedman (2009), ESL §4.4.1 (IRLS / Newton).
    """
    check_float(ridge, "ridge", "logistic", lo=0.0)
    check_int(max_iter, "max_iter", "logistic", 1)
    per_point = C is not None
    if per_point:
        check_float(C, "C", "logistic", lo=0.0, lo_open=True)
        if ridge:
            raise InvalidParameterError(f"The 'ridge' parameter of logistic must be 0 when C is given (one penalty). "
                                        f"Got ridge={ridge!r} with C={C!r} instead.")
    default_hyper = RidgeHyper(jnp.asarray(1.0 / C if per_point else ridge))

    solve = partial(_logistic_fit, intercept=intercept, max_iter=max_iter, default_hyper=default_hyper,
                    per_point=per_point)

    def fit(X, y, w=None, hyper=None, init=None):
        return solve(X, y, w, hyper, init)

    def fit_path(X, y, W, hyper=None):
        """Warm-started grid: fit the middle weight vector first, then start every other fit from
        its coefficients with the intercept moved by the change in weighted class log-odds (the
        prior-shift correction of a logistic model). Saves about a third of the Newton steps on a
        γ grid; the answers are the same minimisers. With many parameters (p > ``PAIR_PRODUCTS_MAX_P``) every
        fit of the grid takes lagged-Hessian steps (``_logistic_fit``) preconditioned by the starting Hessian of
        a nearby size (``_anchor_factors``)."""
        if W.shape[0] == 1:
            return jax.vmap(fit, (None, None, 0, None))(X, y, W, hyper)
        pilot, _ = fit(X, y, W[W.shape[0] // 2], hyper)
        theta = jnp.concatenate([pilot.coef, pilot.intercept[None]]) if intercept else pilot.coef
        init = jnp.broadcast_to(theta, (W.shape[0], theta.shape[0]))
        if intercept:
            yy = jnp.asarray(y, X.dtype)
            log_odds = jnp.log(W @ yy) - jnp.log(W @ (1 - yy))
            init = init.at[:, -1].add(log_odds - log_odds[W.shape[0] // 2])
        if X.shape[1] + intercept <= PAIR_PRODUCTS_MAX_P:
            return jax.vmap(lambda w, start: solve(X, y, w, hyper, start))(W, init)
        chol, lower = _anchor_factors(X, W, init, hyper, intercept, per_point, default_hyper)
        return jax.vmap(lambda w, start, c: solve(X, y, w, hyper, start, lagged_hessian=True, factor=(c, lower)))(
            W, init, chol)

    name = "logistic" if not per_point else f"logistic(C={C:g})"
    return Learner(name, fit, linear_score, _logistic_loss, intercept, default_hyper, fit_path)


def least_squares(ridge: float = 0.0, intercept: bool = True, targets: tuple[float, float] = (0.0, 1.0)) -> Learner:
    """Weighted ridge least squares, closed form.

    Minimises Σ w_i (t(y_i) − s_i)² / Σ w_i + (ridge/2)‖coef‖² with t(y) = t0 + (t1 − t0) y, so
    labels y ∈ {0, 1} (or soft) are coded as the targets (t0, t1): (0, 1), (−1, 1) or (−½, ½) as a
    design demands. The Ma & Zhang linear studies use ``least_squares(ridge=1e-6, intercept=False)``.
    scikit-learn: ``Ridge(alpha=ridge · Σw / 2)`` on the coded targets (module docstring).

    Returns (LinearParams, FitInfo) with iterations = 1 and status NONFINITE if the solve failed.
    """
    check_float(ridge, "ridge", "least_squares", lo=0.0)
    if len(targets) != 2 or targets[0] == targets[1]:
        raise ValueError(f"The 'targets' parameter of least_squares must be two distinct numbers. Got {targets!r} instead.")
    t0, t1 = float(targets[0]), float(targets[1])
    default_hyper = RidgeHyper(jnp.asarray(ridge))

    def target(y):
        return t0 + (t1 - t0) * y

    def loss(s, y):
        return (target(y) - s) ** 2
    loss.quadratic = True   # lets oracles use exact second-moment formulas under non-Gaussian laws

    def fit(X, y, w=None, hyper=None):
        _check_fit(X, y, w, "least_squares.fit")
        return solve(X, y, w, default_hyper if hyper is None else hyper)

    @jax.jit
    def solve(X, y, w, hyper):
        Xa, y, w, v = _prepare(X, y, w, intercept)
        p = Xa.shape[1]
        lam = jnp.asarray(hyper.ridge, X.dtype) * _penalty(p, intercept, X.dtype)
        # ∇L = 2 Xaᵀ v (s − t) + λθ = 0  ⇔  (2 Xaᵀ V Xa + Λ) θ = 2 Xaᵀ V t
        H = 2 * _gram(_gram_table(Xa), v, p) + jnp.diag(lam)
        theta = solve_spd(H, 2 * Xa.T @ (v * target(y)))
        g = 2 * Xa.T @ (v * (Xa @ theta - target(y))) + lam * theta
        finite = jnp.all(jnp.isfinite(theta))
        status = jnp.where(finite, OK, NONFINITE).astype(jnp.int32)
        return split_params(theta, intercept), FitInfo(jnp.ones((), jnp.int32), jnp.linalg.norm(g), finite, status)

    def fit_path(X, y, W, hyper=None):
        return jax.vmap(fit, (None, None, 0, None))(X, y, W, hyper)

    return Learner("least_squares", fit, linear_score, loss, intercept, default_hyper, fit_path)
