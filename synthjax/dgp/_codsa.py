"""The simulated designs of CoDSA (Tian & Shen, arXiv 2504.07426; SPEC §7, from the official code).

Each draw returns, for the train / validation / test parts, one block of rows per condition:
condition 0 = majority (class or region), condition 1 = minority. Rows are what a generator models:
the 10 features for classification, [5 features, y] for regression. (Here the minority is labelled 1;
the paper's code labels it 0 — only the names differ.)

Classification: u1 = N(−2, 1) or N(2, 1) w.p. ½; u2 = U(0, 1) or U(2, 3) w.p. ½; u3 = Exp(1) − 1;
x = (u1u2, u1u3, u2u3, u1², u2², u3², u1u2u3, u1³, u2³, u3³); w = (−1, −.5, 0, .5, 1);
L1 = x[:5]·w, L2 = x[5:]·w, t = L/(1 + |L|), s = sin²(2π t1) − cos²(3π t2). A pool of
n_min + n_maj points is drawn and the minority is both tails of s (the lowest and highest n_min/2).
Regression: minority region u1 ~ U(0, ½), majority u1 ~ U(½, 1); u2 = u1² + N(0, 1), u3 = 0.2 N(0, 1);
I = 1 on the majority region; x = (u1, I u1 + u2, I u2 + log(1 + |u2|), |u2|, u1 − u2);
β = (3, 2, −1, .5, 1), s = xᵀβ; y = 2s² + s + u3 (minority) or 2s² − s + u3 (majority).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

#: (majority, minority) rows per part, as in the paper: train 3200 + 800, validation and test balanced.
PAPER_SIZES = dict(train=(3200, 800), val=(400, 400), test=(800, 800))


class CoDSAData(NamedTuple):
    """(majority rows, minority rows) for each part."""
    train: tuple                #: (majority rows, minority rows) of the training part
    val: tuple                  #: (majority rows, minority rows) of the validation part
    test: tuple                 #: (majority rows, minority rows) of the test part


def _classification_features(key, n, dtype):
    k1, k2, k3, k4, k5 = jax.random.split(key, 5)
    u1 = jax.random.normal(k1, (n,), dtype) + jnp.where(jax.random.bernoulli(k2, 0.5, (n,)), 2.0, -2.0).astype(dtype)
    u2 = jax.random.uniform(k3, (n,), dtype) + jnp.where(jax.random.bernoulli(k4, 0.5, (n,)), 2.0, 0.0).astype(dtype)
    u3 = jax.random.exponential(k5, (n,), dtype) - 1.0
    X = jnp.stack([u1 * u2, u1 * u3, u2 * u3, u1 ** 2, u2 ** 2, u3 ** 2, u1 * u2 * u3, u1 ** 3, u2 ** 3, u3 ** 3], axis=1)
    w = jnp.asarray([-1.0, -0.5, 0.0, 0.5, 1.0], dtype)
    t1, t2 = (L / (1.0 + jnp.abs(L)) for L in (X[:, :5] @ w, X[:, 5:] @ w))
    return X, jnp.sin(2 * jnp.pi * t1) ** 2 - jnp.cos(3 * jnp.pi * t2) ** 2


def codsa_classification_pool(key, n_maj: int, n_min: int, dtype=None):
    """A pool of n_maj + n_min points; minority = the n_min/2 lowest and n_min/2 highest s. Returns
    (majority rows (n_maj, 10), minority rows (n_min, 10)), each in random order."""
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    k_x, k_0, k_1 = jax.random.split(key, 3)
    X, s = _classification_features(k_x, n_maj + n_min, dtype)
    order = jnp.argsort(s)
    low, high = n_min // 2, n_min - n_min // 2
    minority = jnp.concatenate([order[:low], order[order.shape[0] - high:]])
    majority = order[low: order.shape[0] - high]
    return X[jax.random.permutation(k_0, majority)], X[jax.random.permutation(k_1, minority)]


def codsa_regression_region(key, n: int, minority: bool, dtype=None):
    """n rows [x (5), y] from the minority (u1 < ½) or majority region."""
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    k1, k2, k3 = jax.random.split(key, 3)
    u1 = jax.random.uniform(k1, (n,), dtype) * 0.5 + (0.0 if minority else 0.5)
    u2 = u1 ** 2 + jax.random.normal(k2, (n,), dtype)
    u3 = 0.2 * jax.random.normal(k3, (n,), dtype)
    indicator = 0.0 if minority else 1.0
    X = jnp.stack([u1, indicator * u1 + u2, indicator * u2 + jnp.log1p(jnp.abs(u2)), jnp.abs(u2), u1 - u2], axis=1)
    s = X @ jnp.asarray([3.0, 2.0, -1.0, 0.5, 1.0], dtype)
    y = 2 * s ** 2 + (s if minority else -s) + u3
    return jnp.concatenate([X, y[:, None]], axis=1)


def _parts(majority, minority, sizes) -> CoDSAData:
    out, i0, i1 = {}, 0, 0
    for part in ("train", "val", "test"):
        n0, n1 = sizes[part]
        out[part] = (majority[i0: i0 + n0], minority[i1: i1 + n1])
        i0, i1 = i0 + n0, i1 + n1
    return CoDSAData(**out)


def codsa_classification(key, sizes: dict = PAPER_SIZES, dtype=None) -> CoDSAData:
    """One replicate of CoDSA's classification design: one pool, split at random into the parts."""
    n0 = sum(s[0] for s in sizes.values())
    n1 = sum(s[1] for s in sizes.values())
    return _parts(*codsa_classification_pool(key, n0, n1, dtype), sizes)


def codsa_regression(key, sizes: dict = PAPER_SIZES, dtype=None) -> CoDSAData:
    """One replicate of CoDSA's regression design (regions drawn directly at the stated sizes)."""
    k0, k1 = jax.random.split(key)
    n0 = sum(s[0] for s in sizes.values())
    n1 = sum(s[1] for s in sizes.values())
    return _parts(codsa_regression_region(k0, n0, False, dtype), codsa_regression_region(k1, n1, True, dtype), sizes)
