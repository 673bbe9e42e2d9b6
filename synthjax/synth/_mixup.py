"""Mixup family: mixup (Zhang et al. 2018), structure-preserving mixup (Lee, Im & Kim 2025), MAMix.

Pairs (i, j) are drawn uniformly with replacement from the stacked training data [X_min; X_maj]
(labels 1 and 0); in law this matches pairing a shuffled batch with a permutation of itself.
Provenance: base = i, neighbour = j (indices into [X_min; X_maj]), step = the weight on x_j, so
x̃ = x_i + step (x_j − x_i). Soft labels are returned in ``SynthSample.y``.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .._validate import check_choice, check_float
from ._core import Provenance, Synthesizer, SynthSample, check_fit_inputs, check_size


class MixupHyper(NamedTuple):
    alpha: jax.Array


class MixState(NamedTuple):
    X: jax.Array       #: (N, d) stacked [X_min; X_maj] (or X_min alone)
    y: jax.Array       #: (N,) labels 1 (minority) / 0 (majority)
    n1: jax.Array      #: () minority size
    alpha: jax.Array   #: () Beta parameter


def preserving_epsilon(alpha):
    """ε = (√(2α + 1) − 1)/2: with λ = −ε + (1 + 2ε)B, B ~ Beta(α, α), E[λ] = E[λ²] = ½."""
    return (jnp.sqrt(2 * alpha + 1) - 1) / 2


def variance_factor(alpha, preserving: bool = False):
    """Cov x̃ / Σ for x̃ = λx_i + (1 − λ)x_j with x_i, x_j i.i.d.: E[λ²] + E[(1 − λ)²] = 1 − 2E[λ(1 − λ)].
    For λ ~ Beta(α, α) this is (α + 1)/(2α + 1); the preserving weight gives 1."""
    return jnp.ones_like(alpha) if preserving else (alpha + 1) / (2 * alpha + 1)


def _mix_factory(name, alpha, within, weights, labels):
    """Shared fit/sample for mixup-type laws: ``weights(key, m, state) -> (w_i, w_j)`` feature weights;
    ``labels(w_j, y_i, y_j, state) -> soft label``."""
    check_float(alpha, "alpha", name, lo=0.0, lo_open=True)
    check_choice(within, "within", name, ("all", "minority"))
    default = MixupHyper(jnp.asarray(alpha))

    def fit(key, X_min, X_maj=None, hyper=None):
        check_fit_inputs(X_min, X_maj, name)
        a = jnp.asarray((default if hyper is None else hyper).alpha, X_min.dtype)
        n1 = X_min.shape[0]
        if within == "minority" or X_maj is None:
            return MixState(X_min, jnp.ones(n1, X_min.dtype), jnp.asarray(n1), a)
        X = jnp.concatenate([X_min, X_maj.astype(X_min.dtype)])
        y = jnp.concatenate([jnp.ones(n1, X_min.dtype), jnp.zeros(X_maj.shape[0], X_min.dtype)])
        return MixState(X, y, jnp.asarray(n1), a)

    def sample(key, state, m):
        check_size(m, f"{name}.sample")
        ki, kj, kw = jax.random.split(key, 3)
        i = jax.random.randint(ki, (m,), 0, state.X.shape[0])
        j = jax.random.randint(kj, (m,), 0, state.X.shape[0])
        w_j = weights(kw, m, state)
        x = state.X[i] + w_j[:, None] * (state.X[j] - state.X[i])
        return SynthSample(x, Provenance(i, j, w_j), labels(w_j, state.y[i], state.y[j], state))

    return Synthesizer(name, fit, sample, default)


def _linear_labels(w_j, y_i, y_j, state):
    return y_i + jnp.clip(w_j, 0, 1) * (y_j - y_i)


def mixup(alpha: float = 1.0, within: str = "all") -> Synthesizer:
    """Mixup: x̃ = λx_i + (1 − λ)x_j, ỹ = λy_i + (1 − λ)y_j, λ ~ Beta(α, α) (Zhang et al., ICLR 2018).

    ``within="all"`` pairs points of both classes (soft labels); ``"minority"`` pairs minority points
    only (labels 1). Standard mixup shrinks the covariance by ``variance_factor(α)`` = (α+1)/(2α+1).
    ``alpha`` is dynamic (``MixupHyper``).
    """
    def weights(key, m, state):
        return jax.random.beta(key, state.alpha, state.alpha, (m,), state.X.dtype)
    return _mix_factory("mixup", alpha, within, weights, _linear_labels)


def preserving_mixup(alpha: float = 1.0, within: str = "all") -> Synthesizer:
    """Structure-preserving mixup (Lee, Im & Kim, AISTATS 2025): the mixing weight is
    λ = −ε + (1 + 2ε)B, B ~ Beta(α, α), ε = (√(2α + 1) − 1)/2, one λ per point shared by all
    coordinates. Then E[λ] = E[λ²] = ½, so for i.i.d. pairs the mean and covariance are preserved
    (``variance_factor`` = 1) and repeated synthesis does not shrink the variance. λ may leave [0, 1];
    the label uses λ clipped to [0, 1] so soft labels stay in [0, 1] (our choice; features use λ itself).
    """
    def weights(key, m, state):
        eps = preserving_epsilon(state.alpha)
        return -eps + (1 + 2 * eps) * jax.random.beta(key, state.alpha, state.alpha, (m,), state.X.dtype)
    return _mix_factory("preserving_mixup", alpha, within, weights, _linear_labels)


def mamix_label_weight(lam_x, n_i, n_j, omega: float = 0.25):
    """MAMix's weight λ_y on the label of x_i for x̃ = (1 − λ_x) x_i + λ_x x_j from classes of sizes n_i, n_j:
    class factors k = n^(−ω), λ_mid = k_i/(k_i + k_j); λ_y = 1 − ½ λ_x/λ_mid if λ_x < λ_mid, else
    ½ (1 − λ_x)/(1 − λ_mid). Equal class sizes give λ_y = 1 − λ_x (mixup's labels); otherwise the label
    moves toward the rarer class."""
    k_i, k_j = n_i ** -omega, n_j ** -omega
    mid = k_i / (k_i + k_j)
    return jnp.where(lam_x < mid, 1 - 0.5 * lam_x / mid, 0.5 * (1 - lam_x) / (1 - mid))


def mamix(alpha: float = 1.0, omega: float = 0.25) -> Synthesizer:
    """MAMix (Cheng et al., imbalanced-DL code): λx ~ Beta(α, α) (α = 1 there), x̃ = (1 − λx)x_i + λx x_j;
    class factors k_c = n_c^(−ω), λ_mid = k_{y_i}/(k_{y_i} + k_{y_j});
    λy = 1 − ½ λx/λ_mid if λx < λ_mid, else ½ (1 − λx)/(1 − λ_mid); soft label ỹ = λy y_i + (1 − λy) y_j
    (the loss λy CE(f(x̃), y_i) + (1 − λy) CE(f(x̃), y_j) is the cross-entropy with ỹ). With equal class
    sizes λ_mid = ½ and λy = 1 − λx: mixup labels.
    """
    check_float(omega, "omega", "mamix", lo=0.0)

    def weights(key, m, state):
        return jax.random.beta(key, state.alpha, state.alpha, (m,), state.X.dtype)

    def labels(lam_x, y_i, y_j, state):
        n = jnp.asarray([state.X.shape[0] - state.n1, state.n1], state.X.dtype)   # class sizes n0, n1
        lam_y = mamix_label_weight(lam_x, n[y_i.astype(jnp.int32)], n[y_j.astype(jnp.int32)], omega)
        return lam_y * y_i + (1 - lam_y) * y_j

    return _mix_factory("mamix", alpha, "all", weights, labels)
