"""Resampling and parametric synthesizers: random oversampling, jitter, Gaussian fit, oracle, biased Gaussian."""
from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import InvalidParameterError, check_float, check_int
from ..dgp import bound_arrays
from ._core import (Provenance, Synthesizer, SynthSample, bootstrap_index, check_fit_inputs, check_size, column_normals,
                    draw_rows, valid_uniform)
from ._neighbours import check_neighbours, minority_neighbours


class DataState(NamedTuple):
    X_min: jax.Array
    hyper: tuple
    base_p: Any = None     #: padded data — (n1,) uniform over the valid rows (None: every row)


def _bases(key, state: DataState, m: int):
    """m bootstrap rows of the (valid) minority: ``bootstrap_index`` unpadded, ``draw_rows`` on padded data."""
    if state.base_p is None:
        return bootstrap_index(key, state.X_min.shape[0], m)
    return draw_rows(key, state.base_p, m)


def random_oversampling() -> Synthesizer:
    """Random oversampling: x̃ = X_min[i], i ~ U{0, …, n1 − 1} (a bootstrap of the minority).

    Provenance: base index. Reference: imbalanced-learn ``RandomOverSampler`` (shrinkage=None).
    """
    def fit(key, X_min, X_maj=None, hyper=None, mask_min=None, mask_maj=None):
        check_fit_inputs(X_min, X_maj, "random_oversampling")
        return DataState(X_min, (), None if mask_min is None else valid_uniform(mask_min, X_min.dtype)[0])

    def sample(key, state, m):
        check_size(m, "random_oversampling.sample")
        base = _bases(key, state, m)
        return SynthSample(state.X_min[base], Provenance(base=base))

    def conditional_law(state):
        n1 = state.X_min.shape[0]
        return state.X_min, jnp.full(n1, 1 / n1, state.X_min.dtype) if state.base_p is None else state.base_p

    return Synthesizer("ros", fit, sample, conditional_law=conditional_law)


class JitterHyper(NamedTuple):
    sigma: jax.Array


def jitter(sigma: float = 0.1, per_feature: bool = False, local_k: int | None = None) -> Synthesizer:
    """Bootstrap plus Gaussian noise: x̃ = X_min[i] + σ_i ⊙ ε, ε ~ N(0, I).

    σ is a scalar (default), σ_j = sigma · SD_j, the minority sample SD of feature j (``per_feature=True``), or
    local (``local_k`` = k): σ_i = sigma · median_{k nearest other minority points} ‖x_i − x_nb‖ / √d, an isotropic
    scale per base point (the official code's "local jitter", SPEC §9.3: k = 3, sigma = 0.08). ``sigma`` is
    dynamic (``JitterHyper``).
    """
    check_float(sigma, "sigma", "jitter", lo=0.0)
    if local_k is not None:
        check_int(local_k, "local_k", "jitter", 1)
        if per_feature:
            raise InvalidParameterError("The 'per_feature' parameter of jitter must be False when local_k is given "
                                        "(one scale rule). Got True instead.")
    default = JitterHyper(jnp.asarray(sigma))
    name = "jitter_pf" if per_feature else "jitter" if local_k is None else f"local_jitter(k={local_k})"

    def fit(key, X_min, X_maj=None, hyper=None, mask_min=None, mask_maj=None):
        check_fit_inputs(X_min, X_maj, "jitter")
        hyper = default if hyper is None else hyper
        scale = jnp.broadcast_to(jnp.asarray(hyper.sigma, X_min.dtype), X_min.shape)
        base_p = None if mask_min is None else valid_uniform(mask_min, X_min.dtype)[0]
        if per_feature and mask_min is None:
            scale = scale * jnp.std(X_min, axis=0, ddof=1)[None, :]
        elif per_feature:                                   # the valid rows' SD (ddof 1); 0 in padded columns
            w = (mask_min > 0).astype(X_min.dtype)
            mean = w @ X_min / jnp.sum(w)
            scale = scale * jnp.sqrt(w @ (X_min - mean[None, :]) ** 2 / (jnp.sum(w) - 1))[None, :]
        elif local_k is not None:
            if mask_min is None:
                check_neighbours(local_k, X_min.shape[0], "local_k", "jitter")
            nb = minority_neighbours(X_min, min(local_k, X_min.shape[0] - 1), mask_min)
            distance = jnp.linalg.norm(X_min[nb] - X_min[:, None, :], axis=-1)
            scale = scale * (jnp.median(distance, axis=1) / np.sqrt(X_min.shape[1]))[:, None]
            if mask_min is not None:           # padded data: isotropic in the columns that are not all zero
                used = jnp.any(X_min != 0, axis=0)
                scale = jnp.where(used[None, :], scale * np.sqrt(X_min.shape[1])
                                  / jnp.sqrt(jnp.sum(used).astype(X_min.dtype)), 0.0)
        return DataState(X_min, (scale,), base_p)

    def sample(key, state, m):
        check_size(m, "jitter.sample")
        kb, kn = jax.random.split(key)
        base = _bases(kb, state, m)
        n, d = state.X_min.shape
        noise = (jax.random.normal(kn, (m, d), state.X_min.dtype) if state.base_p is None
                 else column_normals(kn, m, d, state.X_min.dtype))
        return SynthSample(state.X_min[base] + noise * state.hyper[0][base], Provenance(base=base))

    return Synthesizer(name, fit, sample, default)


class GaussianState(NamedTuple):
    mean: jax.Array   #: (d,)
    chol: jax.Array   #: (d, d)


def _gaussian_draw(key, state: GaussianState, m: int):
    z = jax.random.normal(key, (m, state.mean.shape[0]), state.mean.dtype)
    return SynthSample(state.mean[None, :] + z @ state.chol.T, Provenance())


class ShrinkHyper(NamedTuple):
    shrink: jax.Array


def gaussian_fit(shrink: float = 0.1) -> Synthesizer:
    """Fit a Gaussian to the minority and sample from it.

    Q = N(x̄1, (1 − s) S + s (tr S / d) I + 1e−6 I), S the minority sample covariance (ddof = 1),
    s = ``shrink`` ∈ [0, 1] (0.1 in Ma & Zhang, arXiv 2601.16120). ``shrink`` is dynamic.
    """
    check_float(shrink, "shrink", "gaussian_fit", lo=0.0, hi=1.0)
    default = ShrinkHyper(jnp.asarray(shrink))

    def fit(key, X_min, X_maj=None, hyper=None):
        check_fit_inputs(X_min, X_maj, "gaussian_fit")
        s = jnp.asarray((default if hyper is None else hyper).shrink, X_min.dtype)
        d = X_min.shape[1]
        S = jnp.cov(X_min, rowvar=False).reshape(d, d)
        eye = jnp.eye(d, dtype=X_min.dtype)
        cov = (1 - s) * S + (s * jnp.trace(S) / d + 1e-6) * eye
        return GaussianState(jnp.mean(X_min, axis=0), jnp.linalg.cholesky(cov))

    def sample(key, state, m):
        check_size(m, "gaussian_fit.sample")
        return _gaussian_draw(key, state, m)

    return Synthesizer("gaussian_fit", fit, sample, default)


def oracle(dgp) -> Synthesizer:
    """The ideal generator: fresh draws from the true minority law P1 of ``dgp`` (Q = P1). For a built-in DGP the
    law's arrays are the generator's ``hyper`` (its state), so oracles of DGPs of one family and dimension share
    their compiled programs (``dgp.bound_arrays``)."""
    sample_class, arrays = bound_arrays(dgp.sample_class)

    def fit(key, X_min, X_maj=None, hyper=None):
        check_fit_inputs(X_min, X_maj, "oracle", min_rows=1)
        return arrays if hyper is None else hyper

    def sample(key, state, m):
        check_size(m, "oracle.sample")
        return SynthSample(sample_class(*state, key, 1, m), Provenance())

    return Synthesizer("oracle", fit, sample, arrays)


def semi_oracle(dgp) -> Synthesizer:
    """Semi-oracle (Ma & Zhang): x̃ = x̄1 + U_new, the minority sample mean plus a fresh draw of the
    true minority noise U = X − E[X | y = 1] (drawn from P1 and centred at the DGP's μ1)."""
    mu1 = getattr(getattr(dgp, "params", None), "mu1", None)
    if mu1 is None:
        raise InvalidParameterError(f"The 'dgp' parameter of semi_oracle must be a DGP with a minority mean "
                                    f"(params.mu1). Got {getattr(dgp, 'name', dgp)!r} instead.")

    def fit(key, X_min, X_maj=None, hyper=None):
        check_fit_inputs(X_min, X_maj, "semi_oracle", min_rows=1)
        return jnp.mean(X_min, axis=0)

    def sample(key, mean, m):
        check_size(m, "semi_oracle.sample")
        noise = dgp.sample_class(key, 1, m) - mu1.astype(mean.dtype)[None, :]
        return SynthSample(mean[None, :] + noise.astype(mean.dtype), Provenance())

    return Synthesizer("semi_oracle", fit, sample)


def _gaussian_like(dgp, owner):
    params = getattr(dgp, "params", None)
    if not (hasattr(params, "mu1") and hasattr(params, "chol1")):
        raise InvalidParameterError(
            f"The 'dgp' parameter of {owner} must be a DGP with a minority mean and scale (params.mu1, "
            f"params.chol1), e.g. dgp.gaussian. Got {getattr(dgp, 'name', dgp)!r} instead.")
    return params


class BiasHyper(NamedTuple):
    a: jax.Array


def biased_gaussian(dgp, a: float | str = 0.5) -> Synthesizer:
    """A mean-biased generator for a Gaussian DGP: Q = N(a μ1, Σ1) (Ma & Zhang, SPEC §3, §8.1–8.2).

    ``a`` = 0.5 is the "biased" generator; ``a = "realistic"`` uses a = 1 − 1/√(log n1), with n1 the
    minority size seen by ``fit`` (requires n1 ≥ 3), whose bias vanishes slowly as n1 grows.
    A numeric ``a`` is dynamic (``BiasHyper``).
    """
    params = _gaussian_like(dgp, "biased_gaussian")
    realistic = isinstance(a, str)
    if realistic and a != "realistic":
        raise InvalidParameterError(f"The 'a' parameter of biased_gaussian must be a float or 'realistic'. Got {a!r} instead.")
    if not realistic:
        check_float(a, "a", "biased_gaussian")
    default = BiasHyper(jnp.asarray(np.nan if realistic else a))

    def fit(key, X_min, X_maj=None, hyper=None):
        check_fit_inputs(X_min, X_maj, "biased_gaussian", min_rows=3 if realistic else 1)
        n1 = X_min.shape[0]
        scale = 1 - 1 / np.sqrt(np.log(n1)) if realistic else (default if hyper is None else hyper).a
        mean = jnp.asarray(scale, X_min.dtype) * params.mu1.astype(X_min.dtype)
        return GaussianState(mean, params.chol1.astype(X_min.dtype))

    def sample(key, state, m):
        check_size(m, "biased_gaussian.sample")
        return _gaussian_draw(key, state, m)

    return Synthesizer("realistic_gaussian" if realistic else "biased_gaussian", fit, sample, default)
