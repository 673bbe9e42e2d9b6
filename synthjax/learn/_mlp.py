"""Flax MLP classifier / regressor trained with Adam (optax), full batch or mini-batch, with early
stopping on a validation loss; a pure function of (key, data), so R fits run at once under ``vmap``.

Classification: one logit s(x), weighted binary cross-entropy ℓ(s, y) = softplus(s) − y s (soft labels
y ∈ [0, 1] allowed); with ``n_classes`` = K > 2, K logits s(x) and the softmax cross-entropy
ℓ(s, y) = logsumexp(s) − yᵀs against one-hot or soft label rows y (integer labels are one-hot encoded), the
network counterpart of ``learn.softmax``. Objective: Σ w ℓ / Σ w + (weight_decay/2) Σ ‖W‖² over the weight matrices (biases
unpenalised) — the ridge convention of ``learn.logistic``; with no hidden layer it is
``LogisticRegression(C=1/(weight_decay · Σw))`` on the standardised features, and
``MLPClassifier(alpha=weight_decay · n)`` for the same network with unit weights. Regression: squared
error ℓ(s, y) = (s − y)². Features are standardised with the weighted mean and SD of the training rows
(kept in the parameters) unless ``standardise_features=False``. Early stopping keeps the parameters with
the lowest weighted validation loss and stops after ``patience`` steps without improvement (Prechelt 1998).
``decoupled=True`` trains by AdamW instead (weight decay applied to every parameter by the optimiser, not
in the objective; SPEC §9.3's network).

Learner contract (``learn._contract``): the network's initial weights are random, so ``draw(key, X)`` fixes
them (and the mini-batch stream) and returns a ``Model`` whose ``fit(X, y, w, hyper)`` trains from them;
``train(key, X, y, w, X_val, y_val, w_val, hyper)`` is the keyed fit with validation and early stopping.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from .._validate import InvalidParameterError, check_choice, check_float, check_int
from .._status import OK
from ..nn import MLP, adam_train, standardise, weighted_rows
from ._contract import Model, vmap_path
from ._linear import FitInfo
from ._softmax import one_hot_labels, softmax_loss


class MLPParams(NamedTuple):
    net: Any                    #: the Flax network's parameters
    center: jax.Array           #: (d,) feature means used to standardise inputs
    scale: jax.Array            #: (d,) feature SDs used to standardise inputs


class MLPHyper(NamedTuple):
    learning_rate: jax.Array    #: the optimiser's step size, dynamic
    weight_decay: jax.Array        #: λ of the penalty (λ/2)‖W‖² on every weight matrix, dynamic


class MLPLearner(NamedTuple):
    """``train(key, X, y, w=None, X_val=None, y_val=None, w_val=None, hyper=None) -> (MLPParams, TrainInfo)``,
    ``draw(key, X) -> Model`` (the learner contract), ``score(params, X)`` (logit or prediction) and the
    per-point ``loss(s, y)``."""
    name: str                   #: a label
    task: str                   #: "classification" (logit, BCE) or "regression" (prediction, squared error)
    train: Callable             #: train(key, X, y, w, X_val, y_val, w_val, hyper) -> (MLPParams, TrainInfo)
    score: Callable             #: score(params, X) -> (n,) logits or predictions
    loss: Callable              #: the per-point loss(s, y)
    hyper: MLPHyper             #: ``MLPHyper``
    draw: Callable              #: draw(key, X) -> Model (the learner contract)


def _bce(s, y):
    return jax.nn.softplus(s) - y * s


def _squared(s, y):
    return (s - y) ** 2


def mlp(hidden: tuple = (64, 64), task: str = "classification", learning_rate: float = 1e-3, steps: int = 1000,
        batch_size: int | None = None, weight_decay: float = 0.0, patience: int = 100,
        standardise_features: bool = True, decoupled: bool = False, n_classes: int = 2,
        init: str = "lecun") -> MLPLearner:
    """An MLP learner (ReLU hidden layers) — CoDSA's downstream model for tabular data, and SPEC §9.3's
    64-32 network (``mlp((64, 32), learning_rate=2e-3, steps=120, weight_decay=1e-3, patience=0, decoupled=True)``).

    batch_size None = full batch; patience 0 = no early stopping (validation still picks the best step
    when validation data are given); ``standardise_features=False`` feeds the raw features (as the CoDSA
    paper's network does); ``n_classes`` > 2 (classification): K softmax outputs, ``score`` gives (n, K) logits and
    ``y`` may be (n,) integer labels or (n, K) label rows (multi-class long tails, ``sims/long_tail.py``); ``init``:
    the initial weights, "lecun" (Flax's default: kernels N(0, 1/fan_in), biases 0) or "torch" (PyTorch's
    ``nn.Linear``: kernels and biases U(−1/√fan_in, 1/√fan_in), for reproducing PyTorch code)."""
    owner = "learn.mlp"
    check_choice(task, "task", owner, ("classification", "regression"))
    check_float(learning_rate, "learning_rate", owner, 0.0, lo_open=True)
    check_int(steps, "steps", owner, 1)
    check_float(weight_decay, "weight_decay", owner, 0.0)
    check_int(patience, "patience", owner, 0)
    check_int(n_classes, "n_classes", owner, 2)
    check_choice(init, "init", owner, ("lecun", "torch"))
    if n_classes > 2 and task != "classification":
        raise InvalidParameterError(f"The 'n_classes' parameter of learn.mlp must be 2 for task='regression'. "
                                    f"Got n_classes={n_classes!r} instead.")
    if batch_size is not None:
        check_int(batch_size, "batch_size", owner, 1)
    for width in hidden:
        check_int(width, "hidden", owner, 1)
    multiclass = n_classes > 2
    loss = softmax_loss if multiclass else _bce if task == "classification" else _squared

    def network(dtype):
        return MLP(tuple(hidden), n_classes if multiclass else 1, activation=nn.relu, param_dtype=dtype, init_scheme=init)

    def score(params: MLPParams, X):
        out = network(X.dtype).apply(params.net, (X - params.center[None, :]) / params.scale[None, :])
        return out if multiclass else out[:, 0]
    score = jax.jit(score)          # an eager call: one compiled program, not one per layer operation

    def labels(y, dtype):
        return one_hot_labels(y, n_classes, dtype, "learn.mlp") if multiclass else jnp.asarray(y, dtype)

    def weighted(params, X, y, w):
        return jnp.sum(w * loss(score(params, X), y)) / jnp.sum(w)

    def penalty(net, hyper):
        if decoupled:
            return 0.0
        kernels = [v for path, v in jax.tree_util.tree_leaves_with_path(net) if "kernel" in str(path[-1])]
        return 0.5 * hyper.weight_decay * sum(jnp.sum(k * k) for k in kernels)

    def train(key, X, y, w=None, X_val=None, y_val=None, w_val=None, hyper=None):
        hyper = default if hyper is None else hyper
        X = jnp.asarray(X)
        y = labels(y, X.dtype)
        w = jnp.ones(X.shape[0], X.dtype) if w is None else jnp.asarray(w, X.dtype)
        k_init, k_train = jax.random.split(key)
        center, scale = standardise(X, w) if standardise_features else (jnp.zeros(X.shape[1], X.dtype),
                                                                          jnp.ones(X.shape[1], X.dtype))
        cum_w = jnp.cumsum(w)
        with_net = lambda net: MLPParams(net, center, scale)  # noqa: E731 - the standardisation is not trained

        def objective(net, k):
            if batch_size is None:
                data = weighted(with_net(net), X, y, w)
            else:
                rows = weighted_rows(k, cum_w, batch_size)
                data = jnp.mean(loss(score(with_net(net), X[rows]), y[rows]))
            return data + penalty(net, hyper)

        val = None
        if X_val is not None:
            Xv, yv = jnp.asarray(X_val, X.dtype), labels(y_val, X.dtype)
            wv = jnp.ones(Xv.shape[0], X.dtype) if w_val is None else jnp.asarray(w_val, X.dtype)
            val = lambda net: weighted(with_net(net), Xv, yv, wv)  # noqa: E731
        net, info = adam_train(k_train, objective, network(X.dtype).init(k_init, X[:1]), steps, hyper.learning_rate,
                               val_fn=val, patience=patience,
                               decoupled_weight_decay=hyper.weight_decay if decoupled else None)
        return with_net(net), info

    @jax.jit
    def fit_from(key, X, y, w, hyper):
        """One compiled program per data shape for every drawn model (called eagerly, the training loop's
        hundreds of operations would otherwise be dispatched one by one); inlined where it is traced."""
        params, info = train(key, X, y, w, hyper=hyper)
        y = labels(y, X.dtype)
        objective = lambda net: weighted(params._replace(net=net), X, y, w) + penalty(net, hyper)  # noqa: E731
        grad_norm = jnp.sqrt(sum(jnp.sum(g * g) for g in jax.tree_util.tree_leaves(jax.grad(objective)(params.net))))
        return params, FitInfo(info.steps, grad_norm, info.status == OK, info.status)

    def draw(key, X):
        """The contract's learner: every fit of a replicate starts from the weights drawn from ``key``."""
        def fit(X, y, w=None, hyper=None):
            w = jnp.ones(X.shape[0], X.dtype) if w is None else jnp.asarray(w, X.dtype)
            return fit_from(key, X, y, w, default if hyper is None else hyper)

        return Model(name, fit, score, loss, default, vmap_path(fit), theory_parameters=output_layer)

    def output_layer(params):
        """The theory's proxy parameters: the output layer (kernel and bias) on the fitted hidden features, the
        official code's MLP diagnostics (score (σ(s) − y)[h(x), 1], SPEC §9.3)."""
        last = f"Dense_{len(hidden)}"
        part = params.net["params"][last]

        def rebuild(new):
            return params._replace(net={**params.net, "params": {**params.net["params"], last: new}})
        return part, rebuild

    default = MLPHyper(jnp.asarray(learning_rate), jnp.asarray(weight_decay))
    name = (f"mlp{tuple(hidden)}-{task}" + (f"-K{n_classes}" if multiclass else "") + ("" if standardise_features else "-raw")
            + ("-adamw" if decoupled else "") + ("" if init == "lecun" else f"-{init}-init"))
    return MLPLearner(name, task, train, score, loss, default, draw)
