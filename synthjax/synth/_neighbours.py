"""Exact k-nearest-neighbour search (Euclidean), dense or blocked, jit/vmap-safe."""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from .._validate import InvalidParameterError

#: Above this many distance cells (nq × n_ref) the search is blocked over query rows.
DENSE_CELLS = 2 ** 22
#: Candidates beyond k re-ranked by exact distances (see ``knn``).
EXTRA_CANDIDATES = 3


@partial(jax.jit, static_argnames=("k", "block"))
def knn(query, ref, k: int, self_index=None, block: int = 256, groups=None, ref_mask=None):
    """(nq, k) indices of the k nearest rows of ``ref`` for each row of ``query``, nearest first.

    Two passes, so the answer is exact on un-centred data in float32 without giving up the GEMM:
    (1) candidates: after centring both sets at the mean of ``ref`` (which removes a shared offset
    such as 1000 + N(0, 1) features, where ‖q‖² + ‖r‖² − 2qᵀr cancels catastrophically), the
    squared distances by one matrix multiply per block give the k + 3 nearest candidates;
    (2) re-ranking: the candidates' distances ‖q − r‖² are recomputed from the differences
    (no cancellation: q − r is exact for close points) and the k nearest returned. ``self_index``
    (nq,) marks, for each query row, its own row in ``ref`` (excluded, as scikit-learn's
    ``kneighbors()`` on the fitted data drops the point itself). ``groups`` = (query groups (nq,), ref groups
    (n_ref,)) keeps each query row's search within its own group (a row with fewer than k others in its group gets
    those first, then arbitrary rows at infinite distance). ``ref_mask`` (n_ref,): rows of ``ref`` that exist (0/False
    = padding, never a neighbour; a row with fewer than k valid others gets those first, then padded rows). Dense when nq·n_ref ≤ 2²² cells;
    otherwise the query rows are processed in blocks of ``block`` under ``lax.map`` so memory stays
    O(block · n_ref). Jitted (k and block static): an eager call is one compiled program, not one per operation.
    """
    centre = jnp.mean(ref, axis=0)
    ref_c = ref - centre[None, :]
    sq_ref = jnp.sum(ref_c * ref_c, axis=1)
    own = jnp.full(query.shape[0], -1) if self_index is None else jnp.asarray(self_index)
    grouped = groups is not None
    group_q, group_ref = ((jnp.asarray(groups[0]), jnp.asarray(groups[1])) if grouped
                          else (jnp.zeros(query.shape[0]), None))      # (unused without groups)
    n_cand = min(ref.shape[0], k + EXTRA_CANDIDATES)
    rows = jnp.arange(ref.shape[0])
    padded = jnp.zeros(ref.shape[0], bool) if ref_mask is None else ~jnp.asarray(ref_mask, bool)

    def nearest(q, own_q, group):
        q_c = q - centre[None, :]
        D = jnp.sum(q_c * q_c, axis=1)[:, None] + sq_ref[None, :] - 2 * q_c @ ref_c.T
        excluded = (rows[None, :] == own_q[:, None]) | padded[None, :]
        if grouped:
            excluded = excluded | (group_ref[None, :] != group[:, None])
        cand = jax.lax.top_k(-jnp.where(excluded, jnp.inf, D), n_cand)[1]    # (nq, k + 3)
        exact = jnp.sum((q[:, None, :] - ref[cand]) ** 2, axis=2)
        outside = (cand == own_q[:, None].astype(cand.dtype)) | padded[cand]
        if grouped:
            outside = outside | (group_ref[cand] != group[:, None])
        exact = jnp.where(outside, jnp.inf, exact)
        return jnp.take_along_axis(cand, jax.lax.top_k(-exact, k)[1], axis=1)

    nq = query.shape[0]
    if nq * ref.shape[0] <= DENSE_CELLS or nq <= block:
        return nearest(query, own, group_q)
    pad = -nq % block
    qb = jnp.pad(query, ((0, pad), (0, 0))).reshape(-1, block, query.shape[1])
    ob = jnp.pad(own, (0, pad), constant_values=-1).reshape(-1, block)
    gb = jnp.pad(group_q, (0, pad)).reshape(-1, block)
    return jax.lax.map(lambda a: nearest(*a), (qb, ob, gb)).reshape(-1, k)[:nq]


def minority_neighbours(X_min, k: int, mask=None):
    """(n1, k) indices of the k nearest *other* rows of X_min (Euclidean), nearest first; with a row ``mask``, among
    the valid rows only."""
    return knn(X_min, X_min, k, self_index=jnp.arange(X_min.shape[0]), ref_mask=mask)


def check_neighbours(k: int, n: int, name: str, owner: str) -> None:
    """Raise unless a neighbour count k fits a reference set of n points (k ≤ n − 1, self excluded)."""
    if k > n - 1:
        raise InvalidParameterError(
            f"The '{name}' parameter of {owner} must be an int in [1, n - 1] = [1, {n - 1}] for this data. "
            f"Got {k} instead.")
