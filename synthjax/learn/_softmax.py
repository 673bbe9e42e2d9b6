"""Weighted ridge multinomial (softmax) logistic regression for K classes, by Newton's method.

Minimises  L(W, b) = Σ_i w_i ℓ(s_i, y_i) / Σ_i w_i + (λ/2) ‖W‖²_F,   s_i = Wᵀx_i + b ∈ R^K,
ℓ(s, y) = logsumexp(s) − yᵀs for a one-hot or soft label y (a point of the simplex): scikit-learn's
``LogisticRegression(C=1/(λ Σw))`` (multinomial, intercepts unpenalised), or with ``C`` the penalty
λ = 1/(C Σw) of every fit. The softmax is unchanged by adding one constant to every intercept; Newton
steps are kept in the subspace Σ_k b_k = 0 (a rank-one term in the Hessian), the minimiser scikit-learn's
lbfgs reaches from zero. The Hessian Σ_i v_i (diag π_i − π_iπ_iᵀ) ⊗ x_ix_iᵀ has (K p)² entries (p = d + 1).
Reference: Böhning (1992), multinomial logistic regression algorithm, Ann. Inst. Statist. Math. 44.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from .._newton import newton_minimise, solve_spd
from .._status import OK
from .._validate import InvalidParameterError, check_float, check_int, check_matrix
from ._contract import vmap_path
from ._linear import FitInfo, RidgeHyper, _ridge


class SoftmaxParams(NamedTuple):
    coef: jax.Array        #: (d, K)
    intercept: jax.Array   #: (K,)


class SoftmaxLearner(NamedTuple):
    """``fit(X, Y, w=None, hyper=None) -> (SoftmaxParams, FitInfo)`` with Y (n, K) one-hot or soft labels (or
    (n,) integer labels), ``score(params, X) -> (n, K)`` logits, the per-point ``loss(s (K,), y (K,))``."""
    name: str                   #: a label
    fit: Callable               #: fit(X, Y, w=None, hyper=None) -> (SoftmaxParams, FitInfo)
    score: Callable             #: score(params, X) -> (n, K) logits
    loss: Callable              #: the per-point loss(s (K,), y (K,))
    n_classes: int              #: K
    hyper: RidgeHyper           #: ``RidgeHyper``
    fit_path: Callable          #: S fits sharing one design matrix (a size grid)


def softmax_score(params: SoftmaxParams, X):
    """Logits s = X W + b, shape (n, K)."""
    return X @ params.coef + params.intercept[None, :]


def softmax_loss(s, y):
    """ℓ(s, y) = logsumexp(s) − yᵀs: the cross-entropy of softmax(s) against the label distribution y."""
    return jax.nn.logsumexp(s, axis=-1) - jnp.sum(y * s, axis=-1)


def one_hot_labels(y, n_classes: int, dtype, owner: str = "softmax.fit"):
    """(n, K) label distributions from (n,) integer labels or (n, K) rows on the simplex."""
    y = jnp.asarray(y)
    if y.ndim == 1:
        return jax.nn.one_hot(y, n_classes, dtype=dtype)
    if y.ndim != 2 or y.shape[1] != n_classes:
        raise InvalidParameterError(f"The 'y' parameter of {owner} must be (n,) integer labels or (n, {n_classes}) "
                                    f"label distributions. Got shape {y.shape} instead.")
    return y.astype(dtype)


def softmax(n_classes: int, ridge: float = 0.0, C: float | None = None, max_iter: int = 50) -> SoftmaxLearner:
    """Multinomial logistic regression for ``n_classes`` ≥ 2 classes by damped Newton (module docstring).

    Args:
      n_classes: K (static: it fixes the parameter count).
      ridge: λ ≥ 0 of the weighted-mean objective (dynamic); or ``C``: scikit-learn's inverse penalty.
      max_iter: Newton step limit; a step is halved (up to 20 times) until the objective does not increase.

    Example:
      >>> params, info = softmax(10, C=1.0).fit(X, labels)
      >>> probabilities = jax.nn.softmax(softmax_score(params, X))
    """
    owner = "softmax"
    check_int(n_classes, "n_classes", owner, 2)
    check_float(ridge, "ridge", owner, lo=0.0)
    check_int(max_iter, "max_iter", owner, 1)
    per_point = C is not None
    if per_point:
        check_float(C, "C", owner, lo=0.0, lo_open=True)
        if ridge:
            raise InvalidParameterError(f"The 'ridge' parameter of softmax must be 0 when C is given (one penalty). "
                                        f"Got ridge={ridge!r} with C={C!r} instead.")
    K = n_classes
    default_hyper = RidgeHyper(jnp.asarray(1.0 / C if per_point else ridge))

    def fit(X, y, w=None, hyper=None):
        check_matrix(X, "X", "softmax.fit")
        hyper = default_hyper if hyper is None else hyper
        n, d = X.shape
        p = d + 1
        Xa = jnp.concatenate([X, jnp.ones((n, 1), X.dtype)], axis=1)
        Y = one_hot_labels(y, K, X.dtype)
        w = jnp.ones(n, X.dtype) if w is None else jnp.asarray(w, X.dtype)
        v = w / jnp.sum(w)
        lam = _ridge(hyper, w, per_point) * jnp.tile(jnp.r_[jnp.ones(d, X.dtype), jnp.zeros(1, X.dtype)], K)
        u = jnp.tile(jnp.r_[jnp.zeros(d, X.dtype), jnp.ones(1, X.dtype)], K) / jnp.sqrt(K)   # Σ_k b_k direction

        def unpack(theta):                       # theta[k p + j] = coefficient j (intercept last) of class k
            T = theta.reshape(K, p).T
            return SoftmaxParams(T[:d], T[d])

        def scores(theta):                       # (n, K): the Newton loop's images of θ (``newton_minimise``)
            return Xa @ theta.reshape(K, p).T

        def objective(theta, s):
            return jnp.sum(v * softmax_loss(s, Y)) + 0.5 * jnp.sum(lam * theta ** 2)

        def gradient_hessian(theta, s):
            P = jax.nn.softmax(s, axis=1)
            g = ((P - Y) * v[:, None]).T @ Xa                              # (K, p)
            A = v[:, None, None] * (jax.vmap(jnp.diag)(P) - P[:, :, None] * P[:, None, :])   # (n, K, K)
            H = jnp.einsum("ikl,ij,im->kjlm", A, Xa, Xa).reshape(K * p, K * p)
            return g.reshape(-1) + lam * theta, H + jnp.diag(lam) + jnp.outer(u, u)

        def newton_step(theta, s):
            g, H = gradient_hessian(theta, s)
            step = solve_spd(H, g)
            return step - (u @ step) * u

        it, theta, status, s = newton_minimise(objective, newton_step, jnp.zeros(K * p, X.dtype), max_iter,
                                               images=scores)
        g, _ = gradient_hessian(theta, s)
        return unpack(theta), FitInfo(it, jnp.linalg.norm(g), status == OK, status)

    penalty = f"C={C:g}" if per_point else f"ridge={ridge:g}"
    return SoftmaxLearner(f"softmax(K={K}, {penalty})", fit, softmax_score, softmax_loss, K, default_hyper,
                          vmap_path(fit))
