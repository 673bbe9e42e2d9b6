"""SMOTE with imbalanced-learn's law (Chawla et al. 2002)."""
from __future__ import annotations

import jax.numpy as jnp

from .._validate import check_int
from ._core import Synthesizer, SynthSample, check_fit_inputs, check_size, valid_uniform
from ._interpolation import InterpolationState, interpolate, neighbour_count, segment_law
from ._neighbours import check_neighbours, minority_neighbours


def smote(k: int = 5) -> Synthesizer:
    """SMOTE: x̃ = x_b + u (x_nb − x_b).

    b ~ U{0, …, n1 − 1} (base), nb uniform among the k nearest other minority points of x_b,
    u ~ U(0, 1); the same law as imbalanced-learn's ``SMOTE`` (which draws one integer in
    [0, n1·k) and splits it into base and neighbour column: base and column independent and uniform).
    k must be ≤ n1 − 1 (checked at ``fit``; use ``k = min(5, n1 − 1)`` for tiny minorities); on padded data (row
    masks) k = min(k, valid rows − 1) is applied per fit.
    Provenance: base, neighbour (indices into X_min), step. State: ``InterpolationState``.

    Reference: Chawla, Bowyer, Hall & Kegelmeyer (2002), JAIR 16:321–357.
    """
    check_int(k, "k", "smote", 1)

    def fit(key, X_min, X_maj=None, hyper=None, mask_min=None, mask_maj=None):
        check_fit_inputs(X_min, X_maj, "smote")
        n1 = X_min.shape[0]
        if mask_min is None:
            check_neighbours(k, n1, "k", "smote")
            return InterpolationState(X_min, X_min, minority_neighbours(X_min, k),
                                      jnp.full(n1, 1 / n1, X_min.dtype), jnp.asarray(n1))
        base_p, n_valid = valid_uniform(mask_min, X_min.dtype)
        width, k_used = neighbour_count(k, n1, mask_min)
        return InterpolationState(X_min, X_min, minority_neighbours(X_min, width, mask_min), base_p, n_valid, k_used)

    def sample(key, state, m):
        check_size(m, "smote.sample")
        return SynthSample(*interpolate(key, state, m))

    return Synthesizer("smote", fit, sample, conditional_law=segment_law)
