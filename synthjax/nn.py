"""Small neural building blocks shared by the diffusion generator, the autoencoder and the MLP learners:
a Flax MLP, a sinusoidal time embedding, and one Adam training loop under ``lax.scan``.

Everything is a pure function of (key, data, hyperparameters), so R independent models train at once
with ``jax.vmap`` over keys and data (one compiled program, batched matrix products).
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ._status import NONFINITE, OK


class MLP(nn.Module):
    """x → [Dense(h) → activation] for h in ``hidden`` → Dense(out), parameters in ``param_dtype``."""
    hidden: Sequence[int]
    out: int
    activation: Callable = nn.silu
    param_dtype: jnp.dtype = jnp.float32
    init_scheme: str = "lecun"     #: the initial weights, "lecun" or "torch" (``initialisers``)

    @nn.compact
    def __call__(self, x):
        widths = (*self.hidden, self.out)
        for i, width in enumerate(widths):
            x = nn.Dense(width, dtype=self.param_dtype, param_dtype=self.param_dtype,
                         **initialisers(self.init_scheme, x.shape[-1]))(x)
            if i < len(widths) - 1:
                x = self.activation(x)
        return x


def initialisers(init: str, fan_in: int) -> dict:
    """Dense-layer initialisers: "lecun" (Flax's default: kernel N(0, 1/fan_in), bias 0) or "torch" (PyTorch's
    ``nn.Linear``: kernel and bias U(−1/√fan_in, 1/√fan_in))."""
    if init == "lecun":
        return {}
    if init != "torch":
        raise ValueError(f"MLP.init_scheme must be 'lecun' or 'torch'. Got {init!r} instead.")
    bound = 1 / np.sqrt(fan_in)

    def uniform(key, shape, dtype=jnp.float32):
        return jax.random.uniform(key, shape, dtype, -bound, bound)
    return dict(kernel_init=uniform, bias_init=uniform)


def sinusoidal_embedding(t, dim: int, dtype):
    """[sin(t f_k), cos(t f_k)], f_k = 10000^(−k/(dim/2)), k < dim/2 (Vaswani et al. 2017; DDPM's time input)."""
    half = dim // 2
    freqs = jnp.exp(-jnp.log(10000.0) * jnp.arange(half, dtype=dtype) / half)
    angles = jnp.asarray(t, dtype)[..., None] * freqs.reshape((1,) * jnp.ndim(t) + (half,))
    return jnp.concatenate([jnp.sin(angles), jnp.cos(angles)], axis=-1)


def standardise(X, weights=None):
    """Per-feature (center, scale): the weighted mean and SD of the rows of X (weights ≥ 0, None = equal);
    a constant feature gets scale 1."""
    w = jnp.ones(X.shape[0], X.dtype) if weights is None else jnp.asarray(weights, X.dtype)
    w = w / w.sum()
    center = w @ X
    scale = jnp.sqrt(w @ (X - center[None, :]) ** 2)
    return center, jnp.where(scale > 0, scale, 1.0)


def weighted_rows(key, cum_weights, size: int):
    """``size`` row indices drawn with replacement with probability ∝ weight, by inverse CDF on the
    cumulative weights (O(size · log n), unlike a Gumbel-max categorical's O(size · n) random draws)."""
    u = jax.random.uniform(key, (size,), cum_weights.dtype) * cum_weights[-1]
    return jnp.minimum(jnp.searchsorted(cum_weights, u, side="right"), cum_weights.shape[0] - 1)


class TrainInfo(NamedTuple):
    """What a training run reports: status (OK, or NONFINITE when a loss or update stopped being finite —
    training then stops and keeps the last finite parameters), the number of updates applied, the
    per-step training loss (NaN after a stop), and the best validation loss (NaN without validation)."""
    status: jax.Array
    steps: jax.Array
    loss: jax.Array
    best_val: jax.Array


def adam_train(key, loss_fn: Callable, params, steps: int, learning_rate, trainable=None,
               val_fn: Callable | None = None, patience: int = 0, decoupled_weight_decay=None):
    """Minimise ``loss_fn(params, key)`` by ``steps`` Adam updates (Kingma & Ba 2015) under ``lax.scan``;
    with ``decoupled_weight_decay`` = λ, AdamW (Loshchilov & Hutter 2019: every parameter decays by lr·λ per
    step, PyTorch's ``AdamW``).

    trainable: a pytree of 0/1 like ``params``; frozen leaves are not updated (partial fine-tuning).
    val_fn: ``val_fn(params) -> scalar``; with it the best parameters by validation loss are returned and
      training stops after ``patience`` steps without improvement (early stopping; 0 = never stop).
    A non-finite loss or update stops training with status NONFINITE; the other replicates of a vmap go on.
    Returns (params, TrainInfo).
    """
    tx = (optax.adam(learning_rate) if decoupled_weight_decay is None else
          optax.adamw(learning_rate, weight_decay=decoupled_weight_decay))
    inf = jnp.asarray(jnp.inf, jnp.result_type(*jax.tree_util.tree_leaves(params)))

    def step(carry, k):
        params, opt, status, active, best, best_params, since = carry
        loss, grads = jax.value_and_grad(loss_fn)(params, k)
        with jax.numpy_dtype_promotion("standard"):       # optax mixes int32 counts with Python floats
            updates, new_opt = tx.update(grads, opt, params)
        if trainable is not None:
            updates = jax.tree_util.tree_map(lambda u, m: u * m, updates, trainable)
        new = optax.apply_updates(params, updates)
        finite = jnp.isfinite(loss) & jnp.all(jnp.stack([jnp.all(jnp.isfinite(p)) for p in jax.tree_util.tree_leaves(new)]))
        ok = active & finite
        keep = lambda a, b: jax.tree_util.tree_map(lambda x, y: jnp.where(ok, x, y), a, b)  # noqa: E731
        params, opt = keep(new, params), keep(new_opt, opt)
        status = jnp.where(active & ~finite, NONFINITE, status)
        active = ok
        if val_fn is not None:
            v = val_fn(params)
            better = ok & (v < best)
            best_params = jax.tree_util.tree_map(lambda x, y: jnp.where(better, x, y), params, best_params)
            best, since = jnp.where(better, v, best), jnp.where(better, 0, since + 1)
            if patience:
                active = active & (since < patience)
        return (params, opt, status, active, best, best_params, since), (jnp.where(ok, loss, jnp.nan), ok)

    init = (params, tx.init(params), jnp.int32(OK), jnp.bool_(True), inf, params, jnp.int32(0))
    (params, _, status, _, best, best_params, _), (losses, applied) = jax.lax.scan(
        step, init, jax.random.split(key, steps))
    out = best_params if val_fn is not None else params
    return out, TrainInfo(status, applied.sum().astype(jnp.int32), losses,
                          best if val_fn is not None else jnp.asarray(jnp.nan, inf.dtype))
