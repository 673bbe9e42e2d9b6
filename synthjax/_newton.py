"""Damped Newton minimisation stopped at convergence: the one Newton loop of synthjax (logistic and softmax
fits, the population roots of the theory, θ* of the Gaussian DGPs).

Each iteration takes the Newton step Δ = H⁻¹∇f(θ) (given by the caller, who knows its Hessian's structure),
halves it while the objective would rise by more than √eps (1 + |f|), and applies it. The loop stops when
‖Δ‖∞ ≤ √eps (1 + ‖θ‖∞) — the full step, after applying it: Newton converges quadratically, so the error is
then O(eps) — or when a step is not finite (θ is kept), or after ``max_iter`` steps. jit- and vmap-safe;
under vmap the loop runs until every member has stopped.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ._status import MAX_ITER, NONFINITE, OK


def spd_factor(H):
    """The Cholesky factor of H + 10 eps (tr H / p) I (``jax.scipy.linalg.cho_factor``): the relative jitter
    keeps a near-singular H (λ = 0 on separable data) factorable, so steps stay finite."""
    p = H.shape[0]
    jitter = 10 * jnp.finfo(H.dtype).eps * (jnp.trace(H) / p + jnp.finfo(H.dtype).tiny)
    return jax.scipy.linalg.cho_factor(H + jitter * jnp.eye(p, dtype=H.dtype))


def solve_spd(H, g):
    """H⁻¹g by Cholesky (``spd_factor``)."""
    return jax.scipy.linalg.cho_solve(spd_factor(H), g)


def preconditioned_cg(hvp: Callable, g, factor, forcing: bool = False):
    """H⁻¹g by conjugate gradients on θ ↦ Hθ (``hvp``), preconditioned by a nearby SPD matrix's Cholesky
    ``factor`` (``spd_factor``), to relative residual √eps (``jax.scipy.sparse.linalg.cg``; at most p
    iterations). With the factor of the same H it is one exact solve; with that of a Hessian at a nearby θ, a
    few matrix–vector products replace forming and factoring H (Nocedal & Wright 2006, §7.1). Starts from the
    preconditioned step (exact when the factor is H's). ``forcing``: stop at relative residual η = min(½, √‖g‖)
    instead (not below √eps), the inexact Newton step of Eisenstat & Walker (1996): loose far from the minimum,
    tight near it, so the Newton loop keeps its superlinear convergence and its stopping rule."""
    tol = float(np.sqrt(jnp.finfo(g.dtype).eps))
    if forcing:
        tol = jnp.clip(jnp.sqrt(jnp.linalg.norm(g)), tol, 0.5)
    precondition = partial(jax.scipy.linalg.cho_solve, factor)
    return jax.scipy.sparse.linalg.cg(hvp, g, precondition(g), tol=tol, maxiter=g.shape[0], M=precondition)[0]


def damped(objective, theta, image, step, step_image, certified=False, halvings: int = 20):
    """Newton damping by step halving: the factor t = 2^−k of the first k ≤ ``halvings`` at which the objective does
    not increase by more than √eps (1 + |f|) from (θ, image) to (θ − tΔ, image − tLΔ) (a full Newton step on a nearly
    separable logistic problem can overshoot and cycle; the slack keeps rounding noise near the optimum from
    shortening a good step). A full step ``certified`` to decrease f (``newton_minimise``'s ``certify``) is taken
    without evaluating f: under ``vmap`` the objective is then evaluated only while some member of the batch is not
    certified."""
    def halve(state):
        k, t, _ = state
        at = jax.tree_util.tree_map(lambda a, d: jnp.stack([a, a - t * d]), (theta, image), (step, step_image))
        f0, f = jax.vmap(objective)(*at)                   # f(θ) here, not hoisted out of the loop
        ok = f <= f0 + jnp.sqrt(jnp.finfo(f0.dtype).eps) * (1 + jnp.abs(f0))
        return k + (~ok).astype(k.dtype), jnp.where(ok, t, t / 2), ok

    state = (jnp.zeros((), jnp.int32), jnp.ones((), theta.dtype), jnp.asarray(certified))
    return jax.lax.while_loop(lambda s: (s[0] < halvings) & ~s[2], halve, state)[1]


def autodiff_newton_step(objective: Callable) -> Callable:
    """θ ↦ H⁻¹∇f(θ) with ∇f by reverse mode and H = its forward-mode Jacobian, in one pass (the gradient is the
    auxiliary output of the Hessian's trace, not traced twice)."""
    def step(theta):
        H, g = jax.jacfwd(lambda t: (jax.grad(objective)(t),) * 2, has_aux=True)(theta)
        return jnp.linalg.solve(H, g)
    return step


def _no_image(theta):
    return ()


def _theta_only(f):
    """f(θ) as f(θ, image) for a loop without ``images``."""
    return None if f is None else (lambda theta, _: f(theta))


def newton_minimise(objective: Callable, newton_step: Callable, theta0, max_iter: int, certify: Callable | None = None,
                    images: Callable | None = None):
    """Minimise a smooth convex ``objective`` from ``theta0``; ``newton_step`` returns H⁻¹∇f; ``certify`` (optional) is
    True where the full Newton step Δ is known to decrease f, so ``damped`` need not evaluate f.

    ``images`` (optional): a linear map L (θ ↦ Xθ, the scores of a linear model). The loop then carries L(θ) beside
    θ and updates it by the step's image, L(θ − tΔ) = L(θ) − tLΔ, so the caller's functions take it instead of
    recomputing it: ``objective(θ, Lθ)``, ``newton_step(θ, Lθ)``, ``certify(Δ, LΔ)`` — one product with X per step
    (the step's image) instead of two or four (scores, certificate, both damping points). Without it they take θ
    alone (``certify(Δ)``).

    Returns (iterations, θ, status, Lθ) with status OK (converged), MAX_ITER or NONFINITE (``synthjax._status``) and
    Lθ = () without ``images``.
    """
    tol = jnp.sqrt(jnp.finfo(theta0.dtype).eps)
    if images is None:
        images, objective, newton_step, certify = _no_image, _theta_only(objective), _theta_only(newton_step), \
            _theta_only(certify)

    def body(state):
        it, theta, image, _, _ = state
        full = newton_step(theta, image)
        full_image = images(full)
        t = damped(objective, theta, image, full, full_image, False if certify is None else certify(full, full_image))
        finite = jnp.all(jnp.isfinite(t * full))
        new = jnp.where(finite, theta - t * full, theta)
        new_image = jax.tree_util.tree_map(lambda a, d: jnp.where(finite, a - t * d, a), image, full_image)
        small = jnp.max(jnp.abs(full)) <= tol * (1 + jnp.max(jnp.abs(new)))     # the Newton step, not the halved one
        status = jnp.where(finite, jnp.where(small, OK, MAX_ITER), NONFINITE).astype(jnp.int32)
        return it + 1, new, new_image, ~finite | small, status

    state = (jnp.zeros((), jnp.int32), theta0, images(theta0), jnp.zeros((), bool), jnp.full((), MAX_ITER, jnp.int32))
    it, theta, image, _, status = jax.lax.while_loop(lambda s: (s[0] < max_iter) & ~s[3], body, state)
    return it, theta, status, image
