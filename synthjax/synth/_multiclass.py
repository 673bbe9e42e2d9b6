"""Class-conditional synthesis for K classes (long-tailed data): per-class SMOTE, soft-label SMOTE, mixup and MAMix.

The training rows come sorted by class with static class sizes ``counts`` (n_0, …, n_{K−1}); a method returns
(X̃ (M, d), Ỹ (M, K)): synthetic rows and their label distributions, for a softmax learner. Per-class methods
bring every class c up to ``target`` rows (m_c = target − n_c synthetic ones); the pair methods (mixup, MAMix)
draw the same total M = Σ_c m_c. Keyed and pure: ``vmap`` over replicates.

References: Chawla et al. (2002) SMOTE; Zhang et al. (ICLR 2018) mixup; Cheng et al. (arXiv 2308.15457,
imbalanced-DL code) MAMix, whose label rule puts more label weight on the rarer class of a pair.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import InvalidParameterError, check_choice, check_float, check_int
from ._mixup import mamix_label_weight
from ._neighbours import knn

#: the class-conditional methods of ``multiclass(method, counts)``
MULTICLASS_METHODS = ("smote", "soft_smote", "mixup", "mamix")


class MulticlassSynthesizer(NamedTuple):
    """``sample(key, X (n, d) sorted by class) -> (X̃ (M, d), Ỹ (M, K))`` for static class sizes ``counts``."""
    name: str                   #: a label
    counts: tuple               #: static class sizes of the input
    target: int                 #: the size every class is topped up to
    sample: Callable            #: sample(key, X) -> (X̃ (M, d), Ỹ (M, K))


def class_offsets(counts) -> np.ndarray:
    """First row of each class in the class-sorted training matrix."""
    return np.r_[0, np.cumsum(counts)[:-1]].astype(int)


def multiclass(method: str, counts, target: int | None = None, k: int = 5, alpha: float = 1.0,
               omega: float = 0.25) -> MulticlassSynthesizer:
    """A K-class synthesizer (module docstring).

    Args:
      method: "smote" (per class, neighbours within the class, k_c = min(k, n_c − 1), label e_c); "soft_smote"
        (base in class c, neighbour among the k nearest rows of any class, label (1 − u) e_c + u e_{y_nb});
        "mixup" (pairs uniform over all rows, λ ~ Beta(α, α), x̃ = x_i + λ(x_j − x_i), label (1 − λ) e_{y_i} +
        λ e_{y_j}); "mamix" (the same pairs and features, label weight ``mamix_label_weight``).
      counts: static class sizes of the sorted training rows (each ≥ 2).
      target: rows per class after augmentation (default: the largest class).
    """
    owner = "synth.multiclass"
    check_choice(method, "method", owner, MULTICLASS_METHODS)
    counts = tuple(int(c) for c in counts)
    if len(counts) < 2 or min(counts) < 2:
        raise InvalidParameterError(f"The 'counts' parameter of {owner} must give ≥ 2 classes of ≥ 2 rows each. "
                                    f"Got {counts!r} instead.")
    target = max(counts) if target is None else check_int(target, "target", owner, max(counts))
    check_int(k, "k", owner, 1)
    check_float(alpha, "alpha", owner, lo=0.0, lo_open=True)
    check_float(omega, "omega", owner, lo=0.0)
    K, offsets = len(counts), class_offsets(counts)
    extra = [target - n for n in counts]
    total = sum(extra)
    sizes = jnp.asarray(counts)
    labels_of_rows = np.repeat(np.arange(K), counts)

    syn_class = np.repeat(np.arange(K), extra)                   # the class of each synthetic row, classes in order
    k_within = np.minimum(k, np.asarray(counts) - 1)             # SMOTE's neighbours stay in the class
    k_any = min(k, sum(counts) - 1)                              # soft SMOTE's come from any class

    def per_class(key, X):
        """Every class at once: base b uniform over class c's rows, neighbour uniform among the k_c nearest other
        rows of class c (SMOTE) or the k nearest of any class (soft SMOTE), x̃ = x_b + u (x_nb − x_b), u ~ U(0, 1);
        labels e_c, or (1 − u) e_c + u e_{y_nb}."""
        kb, kn, ku = jax.random.split(key, 3)
        rows = jnp.arange(X.shape[0])
        if method == "smote":
            nn = knn(X, X, int(k_within.max()), self_index=rows, groups=(labels_of_rows, labels_of_rows))
            n_nbr = k_within[syn_class]
        else:
            nn, n_nbr = knn(X, X, k_any, self_index=rows), np.full(total, k_any)
        base = jnp.asarray(offsets[syn_class]) + jax.random.randint(kb, (total,), 0, np.asarray(counts)[syn_class])
        nbr = nn[base, jax.random.randint(kn, (total,), 0, jnp.asarray(n_nbr))]
        u = jax.random.uniform(ku, (total,), X.dtype)
        own = jax.nn.one_hot(syn_class, K, dtype=X.dtype)
        labels = own if method == "smote" else (1 - u[:, None]) * own + u[:, None] * jax.nn.one_hot(
            jnp.asarray(labels_of_rows)[nbr], K, dtype=X.dtype)
        return X[base] + u[:, None] * (X[nbr] - X[base]), labels

    def pairs(key, X):
        ki, kj, kl = jax.random.split(key, 3)
        i = jax.random.randint(ki, (total,), 0, X.shape[0])
        j = jax.random.randint(kj, (total,), 0, X.shape[0])
        lam = jax.random.beta(kl, alpha, alpha, (total,), X.dtype)
        x = X[i] + lam[:, None] * (X[j] - X[i])
        y_i, y_j = jnp.asarray(labels_of_rows)[i], jnp.asarray(labels_of_rows)[j]
        weight_i = (1 - lam if method == "mixup"
                    else mamix_label_weight(lam, sizes[y_i].astype(X.dtype), sizes[y_j].astype(X.dtype), omega))
        return x, (weight_i[:, None] * jax.nn.one_hot(y_i, K, dtype=X.dtype)
                   + (1 - weight_i)[:, None] * jax.nn.one_hot(y_j, K, dtype=X.dtype))

    def sample(key, X):
        if X.shape[0] != sum(counts):
            raise InvalidParameterError(f"The 'X' parameter of {method}.sample must hold the {sum(counts)} class-sorted "
                                        f"training rows. Got {X.shape[0]} rows instead.")
        return (per_class if method in ("smote", "soft_smote") else pairs)(key, X)

    return MulticlassSynthesizer(method, counts, target, sample)
