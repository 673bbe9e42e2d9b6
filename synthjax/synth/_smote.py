"""SMOTE with imbalanced-learn's law (Chawla et al. 2002)."""
from __future__ import annotations

import jax.numpy as jnp

from .._validate import check_int
from ._core import Synthesizer, SynthSample, check_fit_inputs, check_size
from ._interpolation import InterpolationState, interpolate, segment_law
from ._neighbours import check_neighbours, minority_neighbours


def smote(k: int = 5) -> Synthesizer:
    """SMOTE: x̃ = x_b + u (x_nb − x_b).

    b ~ U{0, …, n1 − 1} (base), nb uniform among the k nearest other minority points of x_b,
    u ~ U(0, 1); the same law as imbalanced-learn's ``SMOTE`` (which draws one integer in
    [0, n1·k) and splits it into base and neighbour column: base and column independent and uniform).
    k must be ≤ n1 − 1 (checked at ``fit``; use ``k = min(5, n1 − 1)`` for tiny minorities).
    Provenance: base, neighbour (indices into X_min), step. State: ``InterpolationState``.

    Reference: Chawla, Bowyer, Hall & Kegelmeyer (2002), JAIR 16:321–357.
    """
    check_int(k, "k", "smote", 1)

    def fit(key, X_min, X_maj=None, hyper=None):
        check_fit_inputs(X_min, X_maj, "smote")
        n1 = X_min.shape[0]
        check_neighbours(k, n1, "k", "smote")
        return InterpolationState(X_min, X_min, minority_neighbours(X_min, k),
                                  jnp.full(n1, 1 / n1, X_min.dtype), jnp.asarray(n1))

    def sample(key, state, m):
        check_size(m, "smote.sample")
        return SynthSample(*interpolate(key, state, m))

    return Synthesizer("smote", fit, sample, conditional_law=segment_law)
