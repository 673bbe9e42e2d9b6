"""The learner contract: what every model must expose to run in ``Study`` grids, the tuners and the theory.

A learner is any object with

    name                           a label
    fit(X, y, w=None, hyper=None)  -> (params, FitInfo): minimise Σ w_i ℓ(s_i, y_i) / Σ w_i (+ its penalty),
                                   soft labels y ∈ [0, 1] allowed; params any pytree
    fit_path(X, y, W, hyper=None)  -> S fits sharing X (W: (S, n) weights), leading axis S on every output
                                   (optional: ``vmap`` of ``fit`` when absent)
    score(params, X)               -> (n,) decision values s
    loss(s, y)                     -> the per-point loss ℓ(s, y) that ``fit`` averages
    hyper                          the default hyperparameters (a NamedTuple of arrays: dynamic, no recompiling)

The theory differentiates ℓ(θ; x, y) = loss(score(params, x), y) (``theory.autodiff_moments``), so nothing
else is needed. A learner whose model has random parts (random features, a network's initial weights)
exposes ``draw(key, X) -> learner`` instead of ``fit``: ``bind`` draws them once per replicate from the
replicate's key and its real training rows, so the pilot, every fold and every candidate size of one
replicate share one model class. ``Model`` is the drawn learner; with ``features`` set, the model is
linear in a fixed feature map (score = Φ(X) coef + intercept, params ``LinearParams``) and the theory
uses the exact linear moments on Φ(X); with ``theory_parameters`` the theory differentiates only that part of
the parameters, the others held at their fitted values (a stated proxy: e.g. a network's output layer).
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax

from .._validate import InvalidParameterError


class Model(NamedTuple):
    """A learner with its random parts fixed (what ``bind`` returns for a learner with ``draw``)."""
    name: str                   #: a label
    fit: Callable               #: fit(X, y, w=None, hyper=None) -> (params, FitInfo)
    score: Callable             #: score(params, X) -> (n,) scores (logits)
    loss: Callable              #: the per-point loss(s, y) whose weighted mean ``fit`` minimises
    hyper: Any                  #: the dynamic hyperparameters (e.g. ``RidgeHyper``)
    fit_path: Callable          #: fit_path(X, y, W (S, n), hyper=None) — S fits sharing one design (a size grid)
    intercept: bool | None = None          #: for models linear in ``features``
    features: Callable | None = None       #: Φ — (n, d) -> (n, p), or None
    theory_parameters: Callable | None = None   #: params -> (part, rebuild) — the parameters the theory differentiates


def vmap_path(fit):
    """``fit_path`` of a learner without a shared-design shortcut: ``vmap`` of ``fit`` over weight rows."""
    def fit_path(X, y, W, hyper=None):
        return jax.vmap(lambda w: fit(X, y, w, hyper))(W)
    return fit_path


def path_fit(learner):
    """The learner's ``fit_path``, or ``vmap_path(fit)`` when it has none."""
    return getattr(learner, "fit_path", None) or vmap_path(learner.fit)


def bind(learner, key, X):
    """The learner one replicate uses: ``learner.draw(key, X)`` for a learner with random parts (drawn once
    from the replicate's key and real training rows X), else the learner itself."""
    draw = getattr(learner, "draw", None)
    return learner if draw is None else draw(key, X)


def check_learner(learner, owner: str) -> None:
    """Raise unless ``learner`` meets the contract: fit, score and a per-point loss (a learner with random
    parts must be drawn first)."""
    if callable(getattr(learner, "draw", None)) and not callable(getattr(learner, "fit", None)):
        raise InvalidParameterError(
            f"The 'learner' parameter of {owner} has random parts ({learner.name}): pass a key to {owner}, or draw "
            f"them once per replicate with learn.bind(learner, key, X) and pass the result.")
    missing = [name for name in ("fit", "score", "loss") if not callable(getattr(learner, name, None))]
    if missing:
        raise InvalidParameterError(
            f"The 'learner' parameter of {owner} must expose fit(X, y, w, hyper), score(params, X) and a per-point "
            f"loss(s, y) (the learner contract). Got {type(learner).__name__} without {', '.join(missing)} instead.")
