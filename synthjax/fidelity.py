"""Fidelity of a generator: distances between a synthetic sample Y and fresh true draws X.

- ``sliced_wasserstein``: SW₁(X, Y) = E_θ W₁(θᵀX, θᵀY) over directions θ uniform on the sphere
  (Rabin et al. 2011), a Monte-Carlo average over ``n_projections`` directions; each 1-D W₁ is exact for
  the two empirical laws (∫|F − G|, any sample sizes).
- ``energy_distance``: 2E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ (Székely & Rizzo 2013), within-sample terms as
  U-statistics (pairs i ≠ j); 0 iff the laws agree; O(nm) memory.
- ``mmd``: unbiased MMD² with the Gaussian kernel exp(−‖x − y‖²/(2h²)) (Gretton et al. 2012); h is the
  median pairwise distance of the pooled sample unless given.
- ``classifier_two_sample_auc``: train an MLP to tell X from Y on half of each, report its AUROC on the
  other half (Lopez-Paz & Oquab 2017): 0.5 = indistinguishable, 1 = fully separable.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from . import metrics as M
from ._validate import check_int, check_matrix


def _pairwise_distance(A, B):
    sq = jnp.sum(A * A, 1)[:, None] + jnp.sum(B * B, 1)[None, :] - 2.0 * A @ B.T
    return jnp.sqrt(jnp.maximum(sq, 0.0))


def _check_pair(X, Y, owner: str):
    check_matrix(X, "X", owner, min_rows=2)
    check_matrix(Y, "Y", owner, min_rows=2, d=X.shape[1])


def wasserstein_1d(a, b):
    """Exact W₁ between the empirical laws of a (n,) and b (m,): ``∫ |F_a(t) − F_b(t)| dt``."""
    a, b = jnp.sort(a), jnp.sort(b)
    grid = jnp.sort(jnp.concatenate([a, b]))
    Fa = jnp.searchsorted(a, grid[:-1], side="right").astype(grid.dtype) / a.shape[0]
    Fb = jnp.searchsorted(b, grid[:-1], side="right").astype(grid.dtype) / b.shape[0]
    return jnp.sum(jnp.abs(Fa - Fb) * jnp.diff(grid))


def sliced_wasserstein(key, X, Y, n_projections: int = 256):
    """SW₁(X, Y) over ``n_projections`` random directions (see the module docstring)."""
    check_int(n_projections, "n_projections", "sliced_wasserstein", 1)
    theta = jax.random.normal(key, (n_projections, X.shape[1]), X.dtype)
    theta = theta / jnp.linalg.norm(theta, axis=1, keepdims=True)
    return jnp.mean(jax.vmap(lambda t: wasserstein_1d(X @ t, Y @ t))(theta))


def _within_mean(K):
    n = K.shape[0]
    return (jnp.sum(K) - jnp.trace(K)) / (n * (n - 1))


def energy_distance(X, Y):
    """Energy distance 2E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ (U-statistics within samples)."""
    _check_pair(X, Y, "energy_distance")
    return (2.0 * jnp.mean(_pairwise_distance(X, Y)) - _within_mean(_pairwise_distance(X, X))
            - _within_mean(_pairwise_distance(Y, Y)))


def mmd(X, Y, bandwidth=None):
    """Unbiased MMD² with a Gaussian kernel of bandwidth h (median heuristic when None)."""
    _check_pair(X, Y, "mmd")
    Dxy, Dxx, Dyy = _pairwise_distance(X, Y), _pairwise_distance(X, X), _pairwise_distance(Y, Y)
    if bandwidth is None:
        bandwidth = jnp.median(jnp.concatenate([Dxy.ravel(), Dxx.ravel(), Dyy.ravel()]))
    k = lambda D: jnp.exp(-D ** 2 / (2.0 * bandwidth ** 2))  # noqa: E731
    return _within_mean(k(Dxx)) + _within_mean(k(Dyy)) - 2.0 * jnp.mean(k(Dxy))


def classifier_two_sample_auc(key, X, Y, hidden=(64, 64), steps: int = 1000):
    """Held-out AUROC of an MLP trained to tell Y (label 1) from X (label 0), each split in halves."""
    from .learn import mlp
    _check_pair(X, Y, "classifier_two_sample_auc")
    k_x, k_y, k_fit = jax.random.split(key, 3)
    X, Y = jax.random.permutation(k_x, X), jax.random.permutation(k_y, Y)
    hx, hy = X.shape[0] // 2, Y.shape[0] // 2
    train = jnp.concatenate([X[:hx], Y[:hy]])
    labels = jnp.concatenate([jnp.zeros(hx, X.dtype), jnp.ones(hy, X.dtype)])
    test = jnp.concatenate([X[hx:], Y[hy:]])
    test_labels = jnp.concatenate([jnp.zeros(X.shape[0] - hx, X.dtype), jnp.ones(Y.shape[0] - hy, X.dtype)])
    w = jnp.where(labels == 1, hx / hy, 1.0)                      # balanced classes
    learner = mlp(hidden, steps=steps, patience=0)
    params, _ = learner.train(k_fit, train, labels, w)
    return M.auroc(learner.score(params, test), test_labels)
