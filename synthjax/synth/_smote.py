"""SMOTE with imbalanced-learn's law (Chawla et al. 2002)."""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .._validate import InvalidParameterError, check_int
from ._core import Provenance, Synthesizer, SynthSample, check_fit_inputs, check_size


class SmoteState(NamedTuple):
    X_min: jax.Array   # (n1, d)
    nn: jax.Array      # (n1, k) indices of each point's k nearest other minority points


def minority_neighbours(X_min, k: int):
    """(n1, k) indices of the k nearest *other* rows of X_min (Euclidean), nearest first.

    Squared distances ‖a‖² + ‖b‖² − 2aᵀb (one matrix multiply), the diagonal excluded.
    """
    sq = jnp.sum(X_min * X_min, axis=1)
    D = sq[:, None] + sq[None, :] - 2 * X_min @ X_min.T
    D = jnp.where(jnp.eye(X_min.shape[0], dtype=bool), jnp.inf, D)
    return jax.lax.top_k(-D, k)[1]


def smote(k: int = 5) -> Synthesizer:
    """SMOTE: x̃ = x_b + u (x_nb − x_b).

    b ~ U{0, …, n1 − 1} (base), nb uniform among the k nearest other minority points of x_b,
    u ~ U(0, 1); the same law as imbalanced-learn's ``SMOTE`` (it draws one integer in
    [0, n1·k) and splits it into base and neighbour column). k must be ≤ n1 − 1 (checked at
    ``fit``; use ``k = min(5, n1 − 1)`` for tiny minorities). Provenance: base, neighbour, step.

    Reference: Chawla, Bowyer, Hall & Kegelmeyer (2002), JAIR 16:321–357.
    """
    check_int(k, "k", "smote", 1)

    def fit(key, X_min, X_maj=None, hyper=None):
        check_fit_inputs(X_min, X_maj, "smote")
        n1 = X_min.shape[0]
        if k > n1 - 1:
            raise InvalidParameterError(
                f"The 'k' parameter of smote must be an int in [1, n_min - 1] = [1, {n1 - 1}]. Got {k} instead.")
        return SmoteState(X_min, minority_neighbours(X_min, k))

    def sample(key, state, m):
        check_size(m, "smote.sample")
        ki, ku = jax.random.split(key)
        n1 = state.X_min.shape[0]
        flat = jax.random.randint(ki, (m,), 0, n1 * k)
        base = flat // k
        nbr = state.nn[base, flat % k]
        step = jax.random.uniform(ku, (m,), state.X_min.dtype)
        xb = state.X_min[base]
        return SynthSample(xb + step[:, None] * (state.X_min[nbr] - xb), Provenance(base, nbr, step))

    return Synthesizer("smote", fit, sample)
