"""Stratified splits, folds and train-only preprocessing as pure keyed functions (R splits = one ``vmap``).

Class sizes are read from the concrete label vector, so every index array has a static shape: a split
is a permutation of each class's rows cut at fixed counts, and ``jax.vmap`` over keys gives R splits.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import InvalidParameterError, check_float, check_int


class Split(NamedTuple):
    """Row indices of one split, by class (0 = rest, 1 = minority)."""
    train0: jax.Array           #: training rows of class 0 (the rest)
    train1: jax.Array           #: training rows of class 1 (the minority)
    test0: jax.Array            #: test rows of class 0
    test1: jax.Array            #: test rows of class 1


def _class_rows(y, owner):
    y = np.asarray(y)
    if y.ndim != 1 or not np.isin(y, (0, 1)).all():
        raise InvalidParameterError(f"The 'y' parameter of {owner} must be a 1-D array of 0/1 labels "
                                    "(1 = minority; see data.Table).")
    return np.flatnonzero(y == 0), np.flatnonzero(y == 1)


def split_sizes(y, test_fraction: float = 0.2, balanced_test: bool = False) -> tuple[int, int, int, int]:
    """(train n0, train n1, test n0, test n1) of ``stratified_split``: each class puts round(f·n_c) rows in
    the test set; a balanced test keeps as many majority as minority test rows."""
    owner = "data.stratified_split"
    check_float(test_fraction, "test_fraction", owner, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    rows0, rows1 = _class_rows(y, owner)
    m0, m1 = (int(round(test_fraction * len(r))) for r in (rows0, rows1))
    if m1 < 1 or len(rows1) - m1 < 2 or m0 < 1 or len(rows0) - m0 < 2:
        raise InvalidParameterError(f"The 'test_fraction' parameter of {owner} must leave ≥ 1 test and ≥ 2 training "
                                    f"rows per class (classes of {len(rows0)} and {len(rows1)} rows). "
                                    f"Got {test_fraction!r} instead.")
    return len(rows0) - m0, len(rows1) - m1, (min(m0, m1) if balanced_test else m0), m1


def stratified_split(key, y, test_fraction: float = 0.2, balanced_test: bool = False) -> Split:
    """Stratified train/test split: a random ``test_fraction`` of each class is held out (sizes
    ``split_sizes``); ``balanced_test`` subsamples the held-out majority to the held-out minority count
    (SPEC §9.5). No row is in both sets; the rows of a class not held out all train."""
    n_train0, n_train1, n_test0, _ = split_sizes(y, test_fraction, balanced_test)
    rows0, rows1 = _class_rows(y, "data.stratified_split")
    k0, k1 = jax.random.split(key)
    shuffled0 = jnp.asarray(rows0)[jax.random.permutation(k0, len(rows0))]
    shuffled1 = jnp.asarray(rows1)[jax.random.permutation(k1, len(rows1))]
    return Split(shuffled0[:n_train0], shuffled1[:n_train1], shuffled0[n_train0:n_train0 + n_test0],
                 shuffled1[n_train1:])


def stratified_folds(key, n0: int, n1: int, K: int = 5):
    """Fold labels (n0,), (n1,) in 0…K−1 of a stratified K-fold split of n0 majority and n1 minority rows:
    each class is spread over the folds as evenly as possible (sizes differ by at most one). Repeated
    K-fold = ``vmap`` over keys."""
    owner = "data.stratified_folds"
    check_int(K, "K", owner, 2)
    if K > min(n0, n1):
        raise InvalidParameterError(f"The 'K' parameter of {owner} must be at most the smallest class "
                                    f"({min(n0, n1)} rows) so that every fold holds both classes. Got {K} instead.")
    k0, k1 = jax.random.split(key)
    return (jax.random.permutation(k0, n0) % K, jax.random.permutation(k1, n1) % K)


def preprocess(train, *others, standardise: bool = True, mask=None):
    """Mean-impute NaNs and (optionally) standardise every array with the column means and SDs of ``train``
    only (no test information leaks into the training rows); a column without observed training values is
    imputed with 0, a constant one is left unscaled. ``mask``: the training rows among ``train``'s (0/1; the
    others, test or padded rows, are transformed but not used). Returns ``(train, *others)`` transformed."""
    if mask is not None:
        train_rows = jnp.where((jnp.asarray(mask) > 0)[:, None], train, jnp.nan)
        transformed = preprocess(train_rows, train, *others, standardise=standardise)
        return transformed[1:]
    mean = jnp.nanmean(train, axis=0, keepdims=True)
    mean = jnp.where(jnp.isnan(mean), 0.0, mean)
    sd = jnp.sqrt(jnp.nanmean((train - mean) ** 2, axis=0, keepdims=True)) if standardise else jnp.ones_like(mean)
    sd = jnp.where(jnp.isnan(sd) | (sd <= 0), 1.0, sd)

    def transform(A):
        return (jnp.where(jnp.isnan(A), mean, A) - mean) / sd

    return tuple(transform(A) for A in (train, *others))


def split_arrays(X, split: Split, standardise: bool = True):
    """(X0 train, X1 train, X0 test, X1 test) of one split, imputed and standardised on the training rows."""
    X = jnp.asarray(X)
    n0 = split.train0.shape[0]
    train, test0, test1 = preprocess(jnp.concatenate([X[split.train0], X[split.train1]]), X[split.test0],
                                     X[split.test1], standardise=standardise)
    return train[:n0], train[n0:], test0, test1


def masked_order(key, mask):
    """(the rows of a 0/1 mask in random order, valid rows first; their number): a stable sort by random 32-bit
    keys with the padded rows behind, so the valid rows' order does not depend on how many padded rows follow them
    (padding-invariant; ``jax.random.permutation`` of unpadded rows has its own stream)."""
    valid = jnp.asarray(mask) > 0
    bits = jax.random.bits(key, valid.shape, jnp.uint32)
    return jnp.lexsort((bits, ~valid)).astype(jnp.int32), jnp.sum(valid, dtype=jnp.int32)


def order_rank(order):
    """rank[i] = the position of row i in ``order`` (the inverse permutation)."""
    n = order.shape[0]
    return jnp.zeros(n, jnp.int32).at[order].set(jnp.arange(n, dtype=jnp.int32))


def masked_split(key, mask0, mask1, test_fraction: float = 0.2, balanced_test: bool = False):
    """``stratified_split`` for padded class arrays: (train0, train1, test0, test1) 0/1 masks over the rows of
    each class array (mask0, mask1 mark the table's rows). Each class holds out round(f · n_c) random valid rows;
    a balanced test keeps as many majority as minority held-out rows; the rest of the valid rows train. The same
    rows for a table alone and padded into any bucket (``masked_order``)."""
    check_float(test_fraction, "test_fraction", "data.masked_split", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    k0, k1 = jax.random.split(key)
    out, held_out = [], []
    for k, mask in ((k0, mask0), (k1, mask1)):
        order, n = masked_order(k, mask)
        rank = order_rank(order)
        m = jnp.round(test_fraction * n.astype(jnp.asarray(mask0).dtype)).astype(jnp.int32)   # n: int32
        held_out.append(m)
        out.append((rank, n, m))
    test_count = (jnp.minimum(held_out[0], held_out[1]), held_out[1]) if balanced_test else tuple(held_out)
    masks = []
    for (rank, n, m), t in zip(out, test_count):
        masks.append(((rank >= m) & (rank < n), rank < t))
    dtype = jnp.asarray(mask0).dtype
    (train0, test0), (train1, test1) = masks
    return tuple(a.astype(dtype) for a in (train0, train1, test0, test1))


def long_tail_counts(n_max: int, ratio: float, n_classes: int) -> tuple:
    """Exponential long-tail profile (CIFAR-LT's construction): n_c = ⌊n_max · ratio^(−c/(K−1))⌋, at least 2."""
    check_int(n_max, "n_max", "data.long_tail_counts", 2)
    check_float(ratio, "ratio", "data.long_tail_counts", lo=1.0)
    check_int(n_classes, "n_classes", "data.long_tail_counts", 2)
    return tuple(max(2, int(np.floor(n_max * ratio ** (-c / (n_classes - 1))))) for c in range(n_classes))


def long_tail_split(key, labels, counts, test_per_class: int):
    """(train rows sorted by class, Σ counts; balanced test rows, K · test_per_class): per class c a random
    ``test_per_class`` rows are held out and ``counts[c]`` of the others train. Static shapes: ``vmap`` over keys."""
    owner = "data.long_tail_split"
    labels = np.asarray(labels)
    K = len(counts)
    rows = [np.flatnonzero(labels == c) for c in range(K)]
    short = [c for c in range(K) if len(rows[c]) < counts[c] + test_per_class]
    if short:
        raise InvalidParameterError(f"The 'counts' parameter of {owner} asks for more rows than classes {short} hold "
                                    f"(with {test_per_class} test rows each): counts {tuple(counts)!r}, class sizes "
                                    f"{[len(r) for r in rows]}.")
    train, test = [], []
    for c in range(K):
        shuffled = jnp.asarray(rows[c])[jax.random.permutation(jax.random.fold_in(key, c), len(rows[c]))]
        test.append(shuffled[:test_per_class])
        train.append(shuffled[test_per_class:test_per_class + counts[c]])
    return jnp.concatenate(train), jnp.concatenate(test)
