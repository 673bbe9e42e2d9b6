"""Logistic regression on random Fourier features of the RBF kernel (Rahimi & Recht 2007).

Φ(x) = √(2/D) cos(Ωᵀx + b), Ω (d, D) with entries √(2γ) N(0, 1), b ~ U[0, 2π)^D, so that
E Φ(x)ᵀΦ(x') = exp(−γ‖x − x'‖²) — scikit-learn's ``RBFSampler(gamma=γ, n_components=D)``, whose
``gamma='scale'`` is the default bandwidth here: γ = 1/(d · Var X) over all entries of the real training rows.
The features are drawn once per replicate (``draw``: the key and the real rows fix Ω, b and γ), then the
model is ``learn.logistic`` on Φ(X), fitted by Newton — linear in Φ, so the theory's moments are exact
linear ones on Φ(X) (SPEC §9.2–9.3).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from .._validate import check_float, check_int, check_matrix
from ._contract import Model
from ._linear import RidgeHyper, linear_score, logistic


class FeatureMap(NamedTuple):
    omega: jax.Array     #: (d, D)
    offset: jax.Array    #: (D,)

    def __call__(self, X):
        return jnp.sqrt(2.0 / self.omega.shape[1]) * jnp.cos(X @ self.omega + self.offset[None, :])


class RandomFeatureLearner(NamedTuple):
    """``draw(key, X) -> Model``: logistic regression on D random Fourier features drawn from key."""
    name: str                   #: a label
    draw: Callable              #: draw(key, X) -> Model with its random features fixed
    loss: Callable              #: the per-point loss(s, y)
    hyper: RidgeHyper           #: ``RidgeHyper`` of the logistic fit on the features
    n_features: int             #: D, the number of random Fourier features
    bandwidth: float | None     #: the RBF bandwidth (None — the median heuristic on X)


def rbf_bandwidth(X):
    """scikit-learn's ``gamma='scale'``: 1/(d · Var X) over all entries of X (1 when X is constant)."""
    var = jnp.var(X)
    return jnp.where(var > 0, 1.0 / (X.shape[1] * jnp.where(var > 0, var, 1.0)), 1.0)


def rbf_features(key, X, n_features: int, bandwidth=None) -> FeatureMap:
    """Draw the RBF random-feature map for data like X (bandwidth None: ``rbf_bandwidth(X)``)."""
    d = X.shape[1]
    gamma = rbf_bandwidth(X) if bandwidth is None else jnp.asarray(bandwidth, X.dtype)
    k_omega, k_offset = jax.random.split(key)
    omega = jnp.sqrt(2 * gamma) * jax.random.normal(k_omega, (d, n_features), X.dtype)
    offset = jax.random.uniform(k_offset, (n_features,), X.dtype, 0.0, 2 * jnp.pi)
    return FeatureMap(omega, offset)


def random_fourier_logistic(n_features: int = 100, bandwidth: float | None = None, C: float | None = None,
                            ridge: float = 0.0, max_iter: int = 50) -> RandomFeatureLearner:
    """Logistic regression on ``n_features`` random Fourier RBF features (module docstring).

    Args:
      n_features: D ≥ 1 (static: it fixes the parameter count D + 1).
      bandwidth: γ > 0 of exp(−γ‖x − x'‖²); None = 1/(d · Var X) of the replicate's real rows.
      C: scikit-learn's inverse penalty (λ = 1/(C Σw), ``learn.logistic(C=...)``); or ``ridge`` = λ of the
        weighted-mean objective. The official nonlinear study uses C = 2.
      max_iter: Newton step limit.

    Example:
      >>> model = random_fourier_logistic(100, C=2.0).draw(key, X)
      >>> params, info = model.fit(X, y)

    scikit-learn equivalent: ``make_pipeline(RBFSampler(gamma=γ, n_components=D), LogisticRegression(C=C))`` with the
    sampler's ``random_weights_`` = Ω and ``random_offset_`` = b (tested to 1e−6 in float64).
    """
    owner = "random_fourier_logistic"
    check_int(n_features, "n_features", owner, 1)
    if bandwidth is not None:
        check_float(bandwidth, "bandwidth", owner, lo=0.0, lo_open=True)
    base = logistic(ridge=ridge, C=C, max_iter=max_iter)

    def draw(key, X):
        check_matrix(X, "X", f"{owner}.draw")
        phi = rbf_features(key, X, n_features, bandwidth)

        def fit(X, y, w=None, hyper=None):
            return base.fit(phi(X), y, w, hyper)

        def fit_path(X, y, W, hyper=None):
            return base.fit_path(phi(X), y, W, hyper)

        return Model(name, fit, lambda params, X: linear_score(params, phi(X)), base.loss, base.hyper, fit_path,
                     intercept=True, features=phi)

    penalty = f"C={C:g}" if C is not None else f"ridge={ridge:g}"
    name = f"rff-logistic(D={n_features}, {penalty}, γ={'scale' if bandwidth is None else f'{bandwidth:g}'})"
    return RandomFeatureLearner(name, draw, base.loss, base.hyper, n_features, bandwidth)
