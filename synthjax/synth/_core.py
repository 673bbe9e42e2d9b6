"""The synthesizer interface, provenance, and nested synthetic sizes."""
from __future__ import annotations

from functools import partial
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import InvalidParameterError, check_int, check_matrix


class Provenance(NamedTuple):
    """Where each synthetic row came from (fields are None where a method has no such notion).

    base: (m,) index of the real minority point it starts from; neighbour: (m,) index of the
    point it moves toward; step: (m,) the interpolation step u in x_base + u (x_nbr − x_base).
    """
    base: Any = None
    neighbour: Any = None
    step: Any = None


class SynthSample(NamedTuple):
    """Output of ``Synthesizer.sample``: the synthetic rows X (m, d), their provenance, and, for
    methods that mix classes, soft labels y (m,) in [0, 1] (None means every row is labelled 1)."""
    X: jax.Array
    provenance: Provenance
    y: Any = None


class Synthesizer(NamedTuple):
    """A generating law Q for synthetic minority points: two pure, keyed, vmappable functions.

    fit(key, X_min, X_maj=None, hyper=None) -> state   (a pytree; X_maj is used by methods that need it)
    sample(key, state, m) -> SynthSample(X (m, d), Provenance)   (m static)

    ``hyper`` holds the dynamic hyperparameters (array leaves: a grid over them is a vmap, not a
    recompilation); None means the factory's values, kept in ``Synthesizer.hyper``.

    ``conditional_law(state) -> (X (N, d), w (N,))``, where the law of one draw given the fit is (or is integrated
    exactly enough by) a finite set of weighted atoms, Σw = 1: random oversampling's points, SMOTE's segments at
    Gauss–Legendre nodes of the step. The dependence-aware theory uses it for exact conditional score moments
    (``theory.generator_dependence``); None: it averages a pool of draws instead.
    """
    name: str
    fit: Callable
    sample: Callable
    hyper: Any = ()
    conditional_law: Callable | None = None


def check_fit_inputs(X_min, X_maj, owner: str, min_rows: int = 2):
    """Edge checks shared by every ``fit``: 2-D finite arrays, ≥ min_rows minority rows, same d."""
    check_matrix(X_min, "X_min", owner, min_rows=min_rows)
    if X_maj is not None:
        check_matrix(X_maj, "X_maj", owner, d=X_min.shape[1])


def check_size(m, owner: str) -> int:
    return check_int(m, "m", owner, 0)


def synthetic_sizes(gamma, n0: int, n1: int) -> np.ndarray:
    """ñ = round(γ (n0 − n1)) for each γ ≥ 0 (γ = 0: no augmentation, γ = 1: full balancing)."""
    gamma = np.atleast_1d(np.asarray(gamma, dtype=float))
    if gamma.ndim != 1 or not np.all(np.isfinite(gamma)) or np.any(gamma < 0):
        raise InvalidParameterError(
            f"The 'gamma' parameter must be a 1-D array of finite floats >= 0. Got {gamma!r} instead.")
    if n0 < n1:
        raise InvalidParameterError(
            f"The 'n0' parameter (majority size) must be >= n1 = {n1} for γ-sizes. Got {n0} instead.")
    return np.rint(gamma * (n0 - n1)).astype(np.int64)


def nested_mask(sizes, m: int, dtype=None):
    """(S, m) 0/1 weights: row j selects the first sizes[j] points of one pool of m draws.

    Every size in a grid shares the same synthetic draws (coupled comparisons) and the array shapes
    stay static, so the whole size curve runs in one compiled call (SPEC §1).
    """
    sizes = jnp.asarray(sizes)
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    return (jnp.arange(m, dtype=sizes.dtype)[None, :] < sizes[:, None]).astype(dtype)


def bootstrap_index(key, n: int, m: int):
    """m indices drawn uniformly with replacement from range(n)."""
    return jax.random.randint(key, (m,), 0, n)


def one_of(synthesizers, index) -> Synthesizer:
    """The synthesizer ``synthesizers[index]`` for a traced integer ``index``, so that one compiled program serves
    several generators: loop over the index with ``jax.lax.map`` and every tuner or learner fit in the loop's body is
    compiled once, not once per generator (only the generators' own ``fit``/``sample`` are compiled each). With the same
    keys it draws what ``synthesizers[index]`` draws: ``fit`` keeps its arguments and ``sample`` fits and samples the
    chosen generator (``jax.lax.switch``; an unbatched index runs that branch alone, also under ``vmap`` over data).
    Provenance is not kept; y is None when no generator draws soft labels, else rows without soft labels get y = 1.
    ``hyper``: one entry per synthesizer."""
    synthesizers = tuple(synthesizers)
    if not synthesizers or not all(isinstance(s, Synthesizer) for s in synthesizers):
        raise InvalidParameterError(f"The 'synthesizers' parameter of synth.one_of must be a non-empty sequence of "
                                    f"Synthesizer. Got {synthesizers!r} instead.")

    def fit(key, X_min, X_maj=None, hyper=None):
        return key, X_min, X_maj, tuple(s.hyper for s in synthesizers) if hyper is None else hyper

    def sample(key, state, m):
        k_fit, X_min, X_maj, hyper = state

        def direct(j):
            return synthesizers[j].sample(key, synthesizers[j].fit(k_fit, X_min, X_maj, hyper[j]), m)
        soft = any(jax.eval_shape(partial(direct, j)).y is not None for j in range(len(synthesizers)))

        def branch(j):
            def draw():
                out = direct(j)
                y = jnp.ones(m, out.X.dtype) if out.y is None else out.y.astype(out.X.dtype)
                return SynthSample(out.X, Provenance(), y if soft else None)
            return draw
        return jax.lax.switch(index, [branch(j) for j in range(len(synthesizers))])

    return Synthesizer("one of " + ", ".join(s.name for s in synthesizers), fit, sample,
                       tuple(s.hyper for s in synthesizers))
