"""Data diagnostics of the first-order theory: local-symmetry Wald test and generator quality score
(Ma & Zhang, arXiv 2601.16120; SPEC §5). Both are jit/vmap-safe functions of one data set."""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .._validate import InvalidParameterError, check_int
from ..data import masked_order, order_rank
from ..learn import bind, check_learner
from ..synth import fit_synthesizer
from ._moments import learner_moments

RIDGE_INV = 1e-8  # relative regularisation of the matrices inverted below ("regularise inverses slightly")


def _inv(M, padded: bool = False):
    """(M + r I)⁻¹ for a symmetric positive semi-definite M, r = max(1e−8, 10 eps) tr(M)/p, by eigendecomposition
    with rounding-negative eigenvalues set to 0: the inverse stays positive definite (a Wald statistic ≥ 0) even
    for the near-singular score covariances of 100 random features in float32. ``padded``: p counts only the
    directions with a nonzero diagonal (``used_directions``), so zero-padded features change nothing."""
    p = used_directions(M).astype(M.dtype) if padded else M.shape[0]
    ridge = max(RIDGE_INV, 10 * float(jnp.finfo(M.dtype).eps)) * jnp.trace(M) / p
    values, vectors = jnp.linalg.eigh(0.5 * (M + M.T))
    return (vectors / (jnp.maximum(values, 0) + ridge)[None, :]) @ vectors.T


def used_directions(M):
    """The number of parameters with a nonzero diagonal in M: on zero-padded features (STYLE "ragged data") a
    padded coefficient has identically zero scores and curvature, so it is not counted as a direction."""
    return jnp.sum(jnp.diag(M) != 0)


#: fold_in tag of the key from which a tuner draws a random learner's parts (``learn.bind``).
BIND_TAG = 0x5EED


def bound_learner(learner, key, X0, X1, padded: bool = False):
    """``learn.bind`` on the real training rows (X0, X1), keyed by fold_in(key, BIND_TAG); a learner without
    random parts, or one already drawn, is returned as it is. Padded data: a learner with random parts would see
    the padded rows when drawing them, so it must be drawn beforehand (an error otherwise)."""
    if key is None or getattr(learner, "draw", None) is None:
        return learner
    if padded:
        raise InvalidParameterError(f"The learner {learner.name} has random parts drawn from the training rows, "
                                    "which would include padded rows: draw it from the valid rows first "
                                    "(learn.bind(learner, key, X)) and pass the drawn learner.")
    return bind(learner, jax.random.fold_in(key, BIND_TAG), jnp.concatenate([X0, X1]))


def balanced_fit(learner, X0, X1, w0=None, w1=None, hyper=None):
    """The balanced pilot fit: class weights ∝ ½/n0 on the majority and ½/n1 on the minority (or on the rows
    with w0, w1 = 1 when fold masks are given), scaled to mean 1 — scikit-learn's ``class_weight='balanced'``,
    n/(2 n_c) — so a learner with scikit-learn's C penalty (λ = 1/(C Σw)) sees its usual penalty."""
    n0, n1 = X0.shape[0], X1.shape[0]
    w0 = jnp.ones(n0, X0.dtype) if w0 is None else w0
    w1 = jnp.ones(n1, X0.dtype) if w1 is None else w1
    X = jnp.concatenate([X0, X1])
    y = jnp.concatenate([jnp.zeros(n0, X0.dtype), jnp.ones(n1, X0.dtype)])
    n = jnp.sum(w0) + jnp.sum(w1)
    w = jnp.concatenate([0.5 * n * w0 / jnp.sum(w0), 0.5 * n * w1 / jnp.sum(w1)])
    return learner.fit(X, y, w, hyper)


class SymmetryTest(NamedTuple):
    statistic: jax.Array   #: T = ĝ_φᵀ V̂⁻¹ ĝ_φ
    p_value: jax.Array     #: P(χ²_p > T)
    reject: jax.Array      #: T > χ²_{p, 1 − level}
    g_phi: jax.Array       #: ĝ_φ = m̂0 − m̂1 at the pilot fit
    df: int                #: p (padded data — the used directions, an array)


def valid_rows(X, mask=None):
    """The number of rows of X that exist: all of them, or the valid ones of a 0/1 row mask (padded data)."""
    return X.shape[0] if mask is None else jnp.sum(mask)


def symmetry_test(learner, X0, X1, level: float = 0.05, hyper=None, key=None, mask0=None, mask1=None) -> SymmetryTest:
    """Local-symmetry Wald test at the balanced pilot fit θ̂ (SPEC §5).

    T = ĝ_φᵀ V̂⁻¹ ĝ_φ with ĝ_φ = m̂0 − m̂1 (class mean scores at θ̂),
    V̂ = A0Σ̂0A0ᵀ/n0 + A1Σ̂1A1ᵀ/n1, A0 = I − ½ĜĤ⁻¹, A1 = −I − ½ĜĤ⁻¹ (Ĥ = ½(Ĥ0 + Ĥ1), Ĝ = Ĥ0 − Ĥ1).
    Under local symmetry (g_φ = 0) T is asymptotically χ²_p, p = number of parameters; reject when
    T > χ²_{p, 1−level}. Inverses carry a 1e−8 relative ridge. A learner with random parts (random features,
    a network) needs ``key`` (its parts are drawn by ``learn.bind``) or must be drawn already.
    Padded data (row masks ``mask0``, ``mask1``): n_c are the valid rows and p counts the directions with nonzero
    score variance (``used_directions``: zero-padded features drop out); the test rejects when P(χ²_p > T) < level.
    """
    padded = mask0 is not None
    learner = bound_learner(learner, key, X0, X1, padded)
    check_learner(learner, "symmetry_test")
    params, _ = balanced_fit(learner, X0, X1, mask0, mask1, hyper=hyper)
    M0 = learner_moments(learner, params, X0, 0, mask0, owner="symmetry_test")
    M1 = learner_moments(learner, params, X1, 1, mask1, owner="symmetry_test")
    n0, n1 = valid_rows(X0, mask0), valid_rows(X1, mask1)
    p = M0.mean.shape[0]
    H, G = 0.5 * (M0.hessian + M1.hessian), M0.hessian - M1.hessian
    GHi = 0.5 * G @ _inv(H, padded)
    eye = jnp.eye(p, dtype=H.dtype)
    A0, A1 = eye - GHi, -eye - GHi
    V = A0 @ M0.cov @ A0.T / n0 + A1 @ M1.cov @ A1.T / n1
    g = M0.mean - M1.mean
    T = g @ _inv(V, padded) @ g
    if padded:
        df = used_directions(V)
        p_value = jax.scipy.stats.chi2.sf(T, df.astype(T.dtype))
        return SymmetryTest(T, p_value, p_value < level, g, df)
    import scipy.stats   # here, not at import: 0.45 s of every start of synthjax
    cutoff = float(scipy.stats.chi2.ppf(1 - level, p))
    return SymmetryTest(T, jax.scipy.stats.chi2.sf(T, p), T > cutoff, g, p)


def fold_split(key, n: int, K: int, k):
    """(held-out indices (n // K,), training indices (n − n // K,)) of fold k of a random K-fold split
    with equal held-out sizes (the n mod K leftover points always train), so shapes are static."""
    size = n // K
    rolled = jnp.roll(jax.random.permutation(key, n), -k * size)
    return rolled[:size], rolled[size:]


def fold_masks(key, mask, K: int, k):
    """(held-out, training) 0/1 masks of fold k of a random K-fold split of the valid rows of ``mask`` with equal
    held-out sizes ⌊n/K⌋ (the n mod K leftover rows always train): ``fold_split`` for padded data."""
    order, n = masked_order(key, mask)
    rank = order_rank(order)
    size, k = n // K, jnp.asarray(k, jnp.int32)
    held = (rank >= k * size) & (rank < (k + 1) * size)
    valid = jnp.asarray(mask) > 0
    dtype = jnp.asarray(mask).dtype if jnp.issubdtype(jnp.asarray(mask).dtype, jnp.floating) else jnp.float32
    return held.astype(dtype), (valid & ~held).astype(dtype)


def fold_rows(k0, k1, X0, X1, K: int, k, mask0=None, mask1=None):
    """Fold k of stratified K-fold CV as ((X0, m0), (X1, m1)) training and ((X0, v0), (X1, v1)) held-out rows, each
    an array with its row mask: unpadded (masks None), the rows are gathered (``fold_split``, static shapes);
    padded, the arrays stay whole and the fold is in the masks (``fold_masks``)."""
    if mask0 is None:
        h0, t0 = fold_split(k0, X0.shape[0], K, k)
        h1, t1 = fold_split(k1, X1.shape[0], K, k)
        return ((X0[t0], None), (X1[t1], None)), ((X0[h0], None), (X1[h1], None))
    v0, m0 = fold_masks(k0, mask0, K, k)
    v1, m1 = fold_masks(k1, mask1, K, k)
    return ((X0, m0), (X1, m1)), ((X0, v0), (X1, v1))


class QualityScore(NamedTuple):
    gqs: jax.Array       #: generator quality score
    delta: jax.Array     #: δ = mean over folds of ĝ_ψ
    bias: jax.Array      #: numerator ñ_bal²/(2n0) δᵀH⁻¹δ
    variance: jax.Array  #: denominator tr(H⁻¹Σ_aug)


def generator_quality(key, synth, learner, X0, X1, K: int = 3, hyper=None, synth_hyper=None, mask0=None,
                      mask1=None) -> QualityScore:
    """K-fold cross-fitted generator quality score (SPEC §5).

    For each fold: pilot balanced fit and generator fitted on the training folds; ĝ_ψ = mean score of
    ñ_bal = n0 − n1 synthetic points (label 1) minus mean score of the held-out minority, at the pilot;
    H, Σ0, Σ1 from the held-out real points, Σ_syn from the synthetic points. Averaged over folds:
    GQS = [ñ_bal²/(2n0) δᵀH⁻¹δ] / tr(H⁻¹Σ_aug), Σ_aug = ½Σ0 + (n1/(2n0))Σ1 + ((n0 − n1)/(2n0))Σ_syn.
    Large values mean the generator's bias dominates the variance it removes. Padded data (row masks): folds of
    the valid rows (``fold_masks``), a pool of n0_rows draws of which the first ñ_bal count; the caller checks
    that each held-out fold keeps ≥ 2 valid minority rows.

    Raises:
      InvalidParameterError: K not an int in [2, ⌊n1/2⌋] (each held-out fold needs ≥ 2 minority points).
    """
    check_int(K, "K", "generator_quality", 2, X1.shape[0] // 2)   # every held-out fold keeps ≥ 2 minority points
    padded = mask0 is not None
    learner = bound_learner(learner, key, X0, X1, padded)
    check_learner(learner, "generator_quality")
    n0, n1 = valid_rows(X0, mask0), valid_rows(X1, mask1)
    n_bal = n0 - n1
    pool_size = X0.shape[0] if padded else n_bal
    pool_mask = (jnp.arange(pool_size, dtype=X0.dtype) < n_bal).astype(X0.dtype) if padded else None
    k0, k1, kg = jax.random.split(key, 3)

    def fold(k):
        ((T0, m0), (T1, m1)), ((V0, v0), (V1, v1)) = fold_rows(k0, k1, X0, X1, K, k, mask0, mask1)
        params, _ = balanced_fit(learner, T0, T1, m0, m1, hyper=hyper)
        kf, ks = jax.random.split(jax.random.fold_in(kg, k))
        pool = synth.sample(ks, fit_synthesizer(synth, kf, T1, T0, synth_hyper, m1, m0), pool_size).X
        M0 = learner_moments(learner, params, V0, 0, v0, owner="generator_quality")
        M1 = learner_moments(learner, params, V1, 1, v1, owner="generator_quality")
        Ms = learner_moments(learner, params, pool, 1, pool_mask, owner="generator_quality")
        return Ms.mean - M1.mean, 0.5 * (M0.hessian + M1.hessian), M0.cov, M1.cov, Ms.cov

    g_psi, H, S0, S1, Ss = (jnp.mean(a, axis=0) for a in jax.vmap(fold)(jnp.arange(K)))
    Hi = _inv(H, padded)
    bias = n_bal ** 2 / (2 * n0) * g_psi @ Hi @ g_psi
    S_aug = 0.5 * S0 + n1 / (2 * n0) * S1 + n_bal / (2 * n0) * Ss
    variance = jnp.trace(Hi @ S_aug)
    return QualityScore(bias / variance, g_psi, bias, variance)
