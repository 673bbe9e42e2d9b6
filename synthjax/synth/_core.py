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
    base: Any = None            #: (m,) index of the real minority point a row starts from
    neighbour: Any = None       #: (m,) index of the point it moves toward
    step: Any = None            #: (m,) the interpolation step u in x_base + u (x_nbr − x_base)


class SynthSample(NamedTuple):
    """Output of ``Synthesizer.sample``: the synthetic rows X (m, d), their provenance, and, for
    methods that mix classes, soft labels y (m,) in [0, 1] (None means every row is labelled 1)."""
    X: jax.Array                #: (m, d) synthetic rows
    provenance: Provenance      #: where each row came from (``Provenance``)
    y: Any = None               #: (m,) soft labels in [0, 1] for methods that mix classes (None — every row is 1)


class Synthesizer(NamedTuple):
    """A generating law Q for synthetic minority points: two pure, keyed, vmappable functions.

    fit(key, X_min, X_maj=None, hyper=None) -> state   (a pytree; X_maj is used by methods that need it)
    sample(key, state, m) -> SynthSample(X (m, d), Provenance)   (m static)

    Padded data (STYLE "ragged data"): a synthesizer that can see padding takes ``mask_min`` (n1,) and
    ``mask_maj`` (n0,) in ``fit`` — 0/1 row masks; a masked row is never a base point, a neighbour, a danger-set
    member or part of a fitted moment — and then draws padding-invariantly: the first draws of a pool are the
    same whatever the number of padded rows and zero columns (``fit_synthesizer`` calls it).

    ``hyper`` holds the dynamic hyperparameters (array leaves: a grid over them is a vmap, not a
    recompilation); None means the factory's values, kept in ``Synthesizer.hyper``.

    ``conditional_law(state) -> (X (N, d), w (N,))``, where the law of one draw given the fit is (or is integrated
    exactly enough by) a finite set of weighted atoms, Σw = 1: random oversampling's points, SMOTE's segments at
    Gauss–Legendre nodes of the step. The dependence-aware theory uses it for exact conditional score moments
    (``theory.generator_dependence``); None: it averages a pool of draws instead.
    """
    name: str                   #: a label
    fit: Callable               #: fit(key, X_min, X_maj=None, hyper=None) -> state
    sample: Callable            #: sample(key, state, m) -> SynthSample (m static)
    hyper: Any = ()             #: the factory's dynamic hyperparameters
    conditional_law: Callable | None = None  #: state -> (atoms (N, d), weights (N,)) — the law of one draw given the fit, or None


def check_fit_inputs(X_min, X_maj, owner: str, min_rows: int = 2):
    """Edge checks shared by every ``fit``: 2-D finite arrays, ≥ min_rows minority rows, same d."""
    check_matrix(X_min, "X_min", owner, min_rows=min_rows)
    if X_maj is not None:
        check_matrix(X_maj, "X_maj", owner, d=X_min.shape[1])


def takes_masks(synth) -> bool:
    """Whether ``synth.fit`` accepts row masks (``mask_min``, ``mask_maj``) for padded data."""
    import inspect
    return "mask_min" in inspect.signature(synth.fit).parameters


def fit_synthesizer(synth, key, X_min, X_maj=None, hyper=None, mask_min=None, mask_maj=None):
    """``synth.fit``, with the row masks when either is given (the other then counts every row as valid)."""
    if mask_min is None and mask_maj is None:
        return synth.fit(key, X_min, X_maj, hyper)
    if not takes_masks(synth):
        raise InvalidParameterError(f"The synthesizer {synth.name!r} cannot fit padded data (its fit takes no row "
                                    "masks); masks are supported by smote, borderline_smote, adasyn, jitter, "
                                    "random_oversampling and one_of of those. Pass unpadded data instead.")
    mask_min = jnp.ones(X_min.shape[0], X_min.dtype) if mask_min is None else jnp.asarray(mask_min, X_min.dtype)
    if X_maj is not None:
        mask_maj = jnp.ones(X_maj.shape[0], X_min.dtype) if mask_maj is None else jnp.asarray(mask_maj, X_min.dtype)
    return synth.fit(key, X_min, X_maj, hyper, mask_min=mask_min, mask_maj=mask_maj)


def valid_uniform(mask, dtype):
    """(p, n): uniform probabilities over the valid rows of a 0/1 mask, and their number."""
    valid = jnp.asarray(mask) > 0
    n = jnp.sum(valid)
    return valid.astype(dtype) / jnp.maximum(n, 1).astype(dtype), n


def draw_rows(key, p, m: int):
    """m row indices drawn with probabilities p (zeros at padded rows): ``jax.random.choice`` by inverse CDF,
    so the first draws do not depend on how many zero-probability rows are appended."""
    return jax.random.choice(key, p.shape[0], (m,), p=p)


def column_normals(key, m: int, d: int, dtype):
    """(m, d) standard normals, column j drawn from fold_in(key, j): a column's draws do not depend on d or on
    the pool size beyond m (padding-invariant, unlike one (m, d) draw)."""
    return jax.vmap(lambda j: jax.random.normal(jax.random.fold_in(key, j), (m,), dtype))(jnp.arange(d)).T


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

    def fit(key, X_min, X_maj=None, hyper=None, mask_min=None, mask_maj=None):
        return (key, X_min, X_maj, tuple(s.hyper for s in synthesizers) if hyper is None else hyper,
                mask_min, mask_maj)

    def sample(key, state, m):
        k_fit, X_min, X_maj, hyper, mask_min, mask_maj = state

        def direct(j):
            gen = synthesizers[j]
            return gen.sample(key, fit_synthesizer(gen, k_fit, X_min, X_maj, hyper[j], mask_min, mask_maj), m)
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
