"""SMOTE-family synthesizers that look at the majority: Borderline-SMOTE 1/2, ADASYN, soft-label SMOTE.

Index convention (provenance and neighbour tables): ``base`` indexes X_min; ``neighbour`` indexes
the stacked data [X_min; X_maj], so an index < n1 is a minority point and n1 + j is X_maj[j].
"""
from __future__ import annotations

import warnings
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import InvalidParameterError, check_choice, check_int
from ._core import Provenance, Synthesizer, SynthSample, check_fit_inputs, check_size, valid_uniform
from ._neighbours import check_neighbours, knn, minority_neighbours


class InterpolationState(NamedTuple):
    X_min: jax.Array       #: (n1, d)
    X_nbr: jax.Array       #: (n1 + n0, d) stacked [X_min; X_maj] (or X_min alone)
    nn: jax.Array          #: (n1, k) neighbour indices into X_nbr
    base_p: jax.Array      #: (n1,) base-point probabilities
    n_eligible: jax.Array  #: () number of minority points with positive base probability
    n_neighbours: Any = None   #: () neighbours in use, ≤ nn.shape[1] (padded data — min(k, valid rows − 1)); None: all


@partial(jax.jit, static_argnames=("m", "majority_step"))
def interpolate(key, state: InterpolationState, m: int, majority_step: float | None = None):
    """x̃ = x_b + s (x_nb − x_b): b ~ base_p, nb uniform among the k neighbours of b, s = u ~ U(0, 1).

    With ``majority_step`` (Borderline-SMOTE 2, imbalanced-learn's law), a step toward a majority
    neighbour is s = u·v with v ~ U(0, majority_step). Returns (X, Provenance). Jitted (m and majority_step static).
    """
    kb, kc, ku, kv = jax.random.split(key, 4)
    n1, k = state.nn.shape
    base = jax.random.choice(kb, n1, (m,), p=state.base_p)
    k_used = k if state.n_neighbours is None else state.n_neighbours      # the same stream when equal
    nbr = state.nn[base, jax.random.randint(kc, (m,), 0, k_used)]
    step = jax.random.uniform(ku, (m,), state.X_min.dtype)
    if majority_step is not None:
        shrink = jax.random.uniform(kv, (m,), state.X_min.dtype, 0.0, majority_step)
        step = jnp.where(nbr >= n1, step * shrink, step)
    xb = state.X_min[base]
    return xb + step[:, None] * (state.X_nbr[nbr] - xb), Provenance(base, nbr, step)


#: Gauss–Legendre nodes of ``segment_law`` in the step u ∈ [0, 1].
SEGMENT_NODES = 8


def segment_law(state: InterpolationState, nodes: int = SEGMENT_NODES):
    """(X (n1·k·nodes, d), w): ``interpolate``'s law given the fit (no majority step) as weighted atoms, the points
    x_b + u_q (x_nb − x_b) at the Gauss–Legendre nodes u_q of [0, 1] with weight base_p[b] · (1/k) · w_q. An
    expectation over this law integrates E[f(x̃) | fit] = Σ_b base_p[b] (1/k) Σ_nb ∫₀¹ f(x_b + u (x_nb − x_b)) du
    exactly for f polynomial of degree < 2·nodes in u, and to quadrature rounding for smooth f (a score along a
    segment). ``Synthesizer.conditional_law`` of SMOTE, ADASYN and Borderline-SMOTE 1."""
    u, wq = np.polynomial.legendre.leggauss(nodes)
    dtype = state.X_min.dtype
    u, wq = jnp.asarray((u + 1) / 2, dtype), jnp.asarray(wq / 2, dtype)
    n1, k = state.nn.shape
    xb = state.X_min[:, None, None, :]
    X = xb + u[None, None, :, None] * (state.X_nbr[state.nn][:, :, None, :] - xb)
    k_used = k if state.n_neighbours is None else state.n_neighbours
    used = (jnp.arange(k) < k_used).astype(dtype) / k_used
    w = state.base_p[:, None, None] * used[None, :, None] * wq[None, None, :]
    return X.reshape(-1, X.shape[-1]), jnp.broadcast_to(w, (n1, k, nodes)).reshape(-1)


def _stack(X_min, X_maj, owner):
    if X_maj is None:
        raise InvalidParameterError(f"The 'X_maj' parameter of {owner}.fit must be the majority sample (n0, d). Got None instead.")
    return jnp.concatenate([X_min, X_maj.astype(X_min.dtype)])


def _fallback(weights, owner: str, what: str, mask=None):
    """Normalise base weights; when all are 0, fall back to uniform over the (valid) rows (plain SMOTE) and,
    outside of jit, warn. ``n_eligible`` = 0 records the fallback in the state."""
    total = jnp.sum(weights)
    n_eligible = jnp.sum(weights > 0)
    if not isinstance(total, jax.core.Tracer) and float(total) == 0:
        warnings.warn(f"{owner}: {what}; falling back to uniform base points (plain SMOTE).", stacklevel=3)
    uniform = jnp.full_like(weights, 1 / weights.shape[0]) if mask is None else valid_uniform(mask, weights.dtype)[0]
    return jnp.where(total > 0, weights / jnp.where(total > 0, total, 1), uniform), n_eligible


def neighbour_count(k: int, n_ref: int, ref_mask=None):
    """(static search width, neighbours in use) for k neighbours among n_ref reference rows, the query's own row
    excluded: (k, None) on unpadded data; with a row mask, (min(k, n_ref − 1), min(k, valid rows − 1)) — the
    protocol's k = min(k, n1 − 1) on the valid rows, the same for a table alone and padded into a bucket."""
    if ref_mask is None:
        return k, None
    return min(k, n_ref - 1), jnp.minimum(k, jnp.sum(jnp.asarray(ref_mask).astype(bool)) - 1)


def _majority_neighbours(X_min, X_maj, k: int, owner: str, mask_min=None, mask_maj=None):
    """((n1, width) bool: is the neighbour a (valid) majority row among the first k in use, k in use) over the k
    nearest other rows of the full data [X_min; X_maj]."""
    n1 = X_min.shape[0]
    X_all = _stack(X_min, X_maj, owner)
    ref_mask = None if mask_min is None else jnp.concatenate([mask_min, mask_maj]) > 0
    width, k_used = neighbour_count(k, X_all.shape[0], ref_mask)
    nn = knn(X_min, X_all, width, self_index=jnp.arange(n1), ref_mask=ref_mask)
    if ref_mask is None:
        return nn >= n1, k
    return (nn >= n1) & ref_mask[nn] & (jnp.arange(width) < k_used)[None, :], k_used


def danger_set(X_min, X_maj, m_neighbors: int = 10, mask_min=None, mask_maj=None):
    """Borderline-SMOTE's danger set: minority points with m/2 ≤ m' < m, m' = number of majority
    points among their m nearest neighbours in the full data (the point itself excluded).
    Returns a (n1,) bool mask (equals imbalanced-learn's ``_in_danger_noise(kind="danger")``); with row masks,
    among the valid rows (m = min(m, valid rows − 1)) and only valid minority rows are in danger."""
    is_maj, m_used = _majority_neighbours(X_min, X_maj, m_neighbors, "borderline_smote", mask_min, mask_maj)
    n_maj = jnp.sum(is_maj, axis=1)
    danger = (2 * n_maj >= m_used) & (n_maj < m_used)
    return danger if mask_min is None else danger & (mask_min > 0)


def borderline_smote(kind: int = 1, k: int = 5, m_neighbors: int = 10) -> Synthesizer:
    """Borderline-SMOTE (Han, Wang & Mao 2005), imbalanced-learn's law.

    Base points are drawn uniformly from the danger set (``danger_set``). Kind 1: the neighbour is one
    of the k nearest other minority points, step u ~ U(0, 1). Kind 2: the neighbour is one of the k
    nearest points of the full data; toward a majority neighbour the step is u·v with v ~ U(0, ½)
    (imbalanced-learn 0.14; the paper's text uses a single U(0, ½)). If the danger set is empty,
    imbalanced-learn silently adds nothing; here the base points fall back to all minority points
    (plain SMOTE), ``state.n_eligible`` is 0, and an eager ``fit`` warns.
    """
    check_choice(kind, "kind", "borderline_smote", (1, 2))
    check_int(k, "k", "borderline_smote", 1)
    check_int(m_neighbors, "m_neighbors", "borderline_smote", 1)
    owner = f"borderline_smote{kind}"

    def fit(key, X_min, X_maj=None, hyper=None, mask_min=None, mask_maj=None):
        check_fit_inputs(X_min, X_maj, owner)
        X_all = _stack(X_min, X_maj, owner)
        n1 = X_min.shape[0]
        X_nbr = X_min if kind == 1 else X_all
        if mask_min is None:
            check_neighbours(m_neighbors, X_all.shape[0], "m_neighbors", owner)
            check_neighbours(k, X_nbr.shape[0], "k", owner)
            nbr_mask = None
        else:
            nbr_mask = mask_min if kind == 1 else jnp.concatenate([mask_min, mask_maj])
        danger = danger_set(X_min, X_maj, m_neighbors, mask_min, mask_maj)
        base_p, n_eligible = _fallback(danger.astype(X_min.dtype), owner, "no minority point is in danger", mask_min)
        width, k_used = neighbour_count(k, X_nbr.shape[0], nbr_mask)
        nn = knn(X_min, X_nbr, width, self_index=jnp.arange(n1), ref_mask=nbr_mask)
        return InterpolationState(X_min, X_nbr, nn, base_p, n_eligible, k_used)

    def sample(key, state, m):
        check_size(m, f"{owner}.sample")
        X, prov = interpolate(key, state, m, majority_step=0.5 if kind == 2 else None)
        return SynthSample(X, prov)

    return Synthesizer(owner, fit, sample, conditional_law=segment_law if kind == 1 else None)


def adasyn_weights(X_min, X_maj, k: int = 5, mask_min=None, mask_maj=None):
    """ADASYN's base-point weights r_i = (# majority among the k nearest neighbours of x_i in the full
    data) / k, before normalisation (He, Bai, Garcia & Li 2008; imbalanced-learn's ``ratio_nn``); with row masks,
    over the valid rows (k = min(k, valid rows − 1)), 0 at padded minority rows."""
    is_maj, k_used = _majority_neighbours(X_min, X_maj, k, "adasyn", mask_min, mask_maj)
    if mask_min is None:
        return jnp.mean(is_maj.astype(X_min.dtype), axis=1)
    return jnp.sum(is_maj, axis=1).astype(X_min.dtype) / k_used.astype(X_min.dtype) * (mask_min > 0).astype(X_min.dtype)


def adasyn(k: int = 5) -> Synthesizer:
    """ADASYN: base point i drawn with probability r_i / Σ r (``adasyn_weights``), then a SMOTE step
    toward one of its k nearest other minority points. Returns exactly m points: bases are drawn by
    the weights (imbalanced-learn rounds per-point counts, so its total can differ from m). If no
    minority point has a majority neighbour (Σ r = 0, where imbalanced-learn raises), bases fall back
    to uniform (plain SMOTE), ``state.n_eligible`` is 0, and an eager ``fit`` warns.
    """
    check_int(k, "k", "adasyn", 1)

    def fit(key, X_min, X_maj=None, hyper=None, mask_min=None, mask_maj=None):
        check_fit_inputs(X_min, X_maj, "adasyn")
        n1 = X_min.shape[0]
        if mask_min is None:
            check_neighbours(k, n1, "k", "adasyn")
        base_p, n_eligible = _fallback(adasyn_weights(X_min, X_maj, k, mask_min, mask_maj), "adasyn",
                                       "no minority point has a majority neighbour", mask_min)
        width, k_used = neighbour_count(k, n1, mask_min)
        return InterpolationState(X_min, X_min, minority_neighbours(X_min, width, mask_min), base_p, n_eligible,
                                  k_used)

    def sample(key, state, m):
        check_size(m, "adasyn.sample")
        return SynthSample(*interpolate(key, state, m))

    return Synthesizer("adasyn", fit, sample, conditional_law=segment_law)


def soft_smote(k: int = 5) -> Synthesizer:
    """Soft-label SMOTE: the neighbour may come from either class, and the label is mixed by the step.

    Base b uniform over the minority; neighbour nb uniform among the k nearest other points of the
    full data [X_min; X_maj]; u ~ U(0, 1); x̃ = x_b + u (x_nb − x_b); soft label ỹ = (1 − u)·1 + u·y_nb,
    i.e. 1 − u when the neighbour is a majority point and 1 otherwise. Returns ``SynthSample.y``.
    """
    check_int(k, "k", "soft_smote", 1)

    def fit(key, X_min, X_maj=None, hyper=None):
        check_fit_inputs(X_min, X_maj, "soft_smote")
        X_all = _stack(X_min, X_maj, "soft_smote")
        n1 = X_min.shape[0]
        check_neighbours(k, X_all.shape[0], "k", "soft_smote")
        uniform = jnp.full(n1, 1 / n1, X_min.dtype)
        return InterpolationState(X_min, X_all, knn(X_min, X_all, k, self_index=jnp.arange(n1)), uniform,
                                  jnp.asarray(n1))

    def sample(key, state, m):
        check_size(m, "soft_smote.sample")
        X, prov = interpolate(key, state, m)
        y = jnp.where(prov.neighbour >= state.X_min.shape[0], 1 - prov.step, jnp.ones_like(prov.step))
        return SynthSample(X, prov, y)

    return Synthesizer("soft_smote", fit, sample)
