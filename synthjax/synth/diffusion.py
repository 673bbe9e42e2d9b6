"""Conditional denoising diffusion (DDPM) for tabular data, trained many-at-once by ``vmap``.

Model (Ho, Jain & Abbeel 2020): forward process q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) with a linear
β schedule β_1…β_T (default 1e−4 → 0.02, T = 1000, as CoDSA's official code), ᾱ_t = Π_{s≤t}(1 − β_s);
an MLP denoiser ε_θ([x_t, one-hot(c), sinusoidal(t)]) trained by the ε-prediction loss
E‖ε − ε_θ(√ᾱ_t x_0 + √(1 − ᾱ_t) ε, c, t)‖² with Adam on mini-batches under ``lax.scan``. Data are
standardised per feature (weighted mean and SD of the training rows) and mapped back after sampling.
Sampling: ancestral DDPM with the posterior variance β̃_t = β_t (1 − ᾱ_{t−1})/(1 − ᾱ_t), or
deterministic DDIM (Song, Meng & Ermon 2021, η = 0) on ``ddim_steps`` evenly spaced steps.

Everything is a pure function of (key, data, hyperparameters): R models (one per Monte-Carlo
replicate) train at once with ``jax.vmap(fit)`` over keys and data. A replicate whose loss stops
being finite stops training with status NONFINITE and samples NaN, so its downstream fit fails with
a status and the others go on.

``conditional_diffusion()`` wraps this as a ``Synthesizer``: with the majority sample it learns both
classes (condition 0 = majority, 1 = minority) and samples the minority; without it, the minority alone.
"""
from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._validate import InvalidParameterError, check_choice, check_float, check_int, check_matrix
from ..learn import OK
from ..nn import MLP, TrainInfo, adam_train, sinusoidal_embedding, standardise, weighted_rows
from ._core import Provenance, Synthesizer, SynthSample, check_fit_inputs, check_size


class DiffusionConfig(NamedTuple):
    """Static settings (a change recompiles). Defaults follow CoDSA's official code where it states them."""
    timesteps: int = 1000       #: T, the number of diffusion steps
    beta_start: float = 1e-4    #: the first noise variance of the linear schedule
    beta_end: float = 0.02      #: the last noise variance of the linear schedule
    hidden: tuple = (128, 128, 128)  #: widths of the denoiser's hidden layers
    time_dim: int = 32          #: size of the sinusoidal time embedding
    train_steps: int = 2000     #: optimiser steps
    batch_size: int = 256       #: rows per optimiser step
    sampler: str = "ddpm"          #: "ddpm" (ancestral, T steps) or "ddim" (deterministic, ddim_steps)
    ddim_steps: int = 50        #: steps of the DDIM sampler


class DiffusionHyper(NamedTuple):
    learning_rate: jax.Array       #: Adam step size, dynamic


class DiffusionModel(NamedTuple):
    """A trained conditional denoiser and the standardisation of its data space."""
    params: Any            #: the denoiser network's parameters
    center: jax.Array      #: (d,) feature means of the standardisation
    scale: jax.Array       #: (d,) feature SDs of the standardisation
    info: TrainInfo        #: the training run's report


def check_config(config: DiffusionConfig, owner: str) -> DiffusionConfig:
    check_int(config.timesteps, "timesteps", owner, 2)
    check_float(config.beta_start, "beta_start", owner, 0.0, 1.0, lo_open=True, hi_open=True)
    check_float(config.beta_end, "beta_end", owner, config.beta_start, 1.0, hi_open=True)
    check_int(config.train_steps, "train_steps", owner, 1)
    check_int(config.batch_size, "batch_size", owner, 1)
    check_int(config.time_dim, "time_dim", owner, 2)
    check_choice(config.sampler, "sampler", owner, ("ddpm", "ddim"))
    if config.sampler == "ddim":
        check_int(config.ddim_steps, "ddim_steps", owner, 1, config.timesteps)
    for width in config.hidden:
        check_int(width, "hidden", owner, 1)
    return config


def schedule(config: DiffusionConfig, dtype):
    """(β_t, ᾱ_t) for t = 1…T as arrays indexed 0…T−1 (linear β schedule)."""
    betas = jnp.linspace(config.beta_start, config.beta_end, config.timesteps, dtype=dtype)
    return betas, jnp.cumprod(1.0 - betas)


def _network(config: DiffusionConfig, d: int, dtype) -> MLP:
    return MLP(tuple(config.hidden), d, param_dtype=dtype)


def _epsilon(config: DiffusionConfig, params, z, cond, t, n_conditions: int):
    """ε_θ(z_t, c, t) for rows z (n, d), integer conditions (n,) and integer steps (n,)."""
    dtype = z.dtype
    inputs = jnp.concatenate([z, jax.nn.one_hot(cond, n_conditions, dtype=dtype),
                              sinusoidal_embedding(t, config.time_dim, dtype)], axis=-1)
    return _network(config, z.shape[-1], dtype).apply(params, inputs)


def init_denoiser(key, config: DiffusionConfig, d: int, n_conditions: int, dtype=None):
    """Fresh denoiser parameters for d features and ``n_conditions`` conditions."""
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    width = d + n_conditions + 2 * (config.time_dim // 2)
    return _network(config, d, dtype).init(key, jnp.zeros((1, width), dtype))


def n_conditions_of(params, config: DiffusionConfig, d: int) -> int:
    """The number of conditions a denoiser was built for (read off its first layer's shape)."""
    first = params["params"]["Dense_0"]["kernel"]
    return int(first.shape[0]) - d - 2 * (config.time_dim // 2)


@partial(jax.jit, static_argnames=("n_conditions", "config"))     # eager calls reuse the compiled loop
def train_denoiser(key, Z, cond, n_conditions: int, config: DiffusionConfig, learning_rate, weights=None,
                   init=None, trainable=None):
    """Train ε_θ on rows Z (n, d) (already standardised or latent) with conditions ``cond`` (n,).

    weights: (n,) ≥ 0 row weights for mini-batch sampling (0 = padding); init: parameters to start
    from (fine-tuning a pretrained denoiser); trainable: 0/1 pytree, frozen leaves kept (partial
    fine-tuning). Returns (params, TrainInfo).
    """
    k_init, k_train = jax.random.split(key)
    dtype = Z.dtype
    params = init_denoiser(k_init, config, Z.shape[1], n_conditions, dtype) if init is None else init
    _, alpha_bar = schedule(config, dtype)
    cum_w = None if weights is None else jnp.cumsum(jnp.asarray(weights, dtype))

    def loss(p, k):
        k_rows, k_t, k_eps = jax.random.split(k, 3)
        rows = (jax.random.randint(k_rows, (config.batch_size,), 0, Z.shape[0]) if cum_w is None
                else weighted_rows(k_rows, cum_w, config.batch_size))
        t = jax.random.randint(k_t, (config.batch_size,), 0, config.timesteps)
        eps = jax.random.normal(k_eps, (config.batch_size, Z.shape[1]), dtype)
        a = alpha_bar[t][:, None]
        z_t = jnp.sqrt(a) * Z[rows] + jnp.sqrt(1.0 - a) * eps
        return jnp.mean((_epsilon(config, p, z_t, cond[rows], t, n_conditions) - eps) ** 2)

    return adam_train(k_train, loss, params, config.train_steps, learning_rate, trainable)


@partial(jax.jit, static_argnames=("d", "config", "dtype"))
def sample_denoiser(key, params, cond, d: int, config: DiffusionConfig, dtype=None):
    """Draw one row per entry of ``cond`` (m,) by ancestral DDPM or DDIM; returns (m, d).

    Each row's noise depends on its index only (threefry-partitionable streams), so the first m' rows
    of a draw of m are the draw of m' (the prefix property behind nested synthetic sizes)."""
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    n_conditions = n_conditions_of(params, config, d)
    betas, alpha_bar = schedule(config, dtype)
    m = cond.shape[0]
    k_start, k_steps = jax.random.split(key)
    z = jax.random.normal(k_start, (m, d), dtype)
    eps_at = lambda z, t: _epsilon(config, params, z, cond, jnp.full((m,), t), n_conditions)  # noqa: E731

    if config.sampler == "ddpm":
        def step(z, t):
            a, ab = 1.0 - betas[t], alpha_bar[t]
            ab_prev = jnp.where(t > 0, alpha_bar[jnp.maximum(t - 1, 0)], 1.0)
            mean = (z - betas[t] / jnp.sqrt(1.0 - ab) * eps_at(z, t)) / jnp.sqrt(a)
            sd = jnp.sqrt(betas[t] * (1.0 - ab_prev) / (1.0 - ab))
            noise = jax.random.normal(jax.random.fold_in(k_steps, t), (m, d), dtype)
            return mean + jnp.where(t > 0, sd, 0.0) * noise, None
        z, _ = jax.lax.scan(step, z, jnp.arange(config.timesteps - 1, -1, -1))
    else:
        ts = np.unique(np.linspace(0, config.timesteps - 1, config.ddim_steps).round().astype(np.int32))[::-1]
        prev = np.r_[ts[1:], -1].astype(np.int32)

        def step(z, tp):
            t, t_prev = tp
            eps = eps_at(z, t)
            x0 = (z - jnp.sqrt(1.0 - alpha_bar[t]) * eps) / jnp.sqrt(alpha_bar[t])
            ab_prev = jnp.where(t_prev >= 0, alpha_bar[jnp.maximum(t_prev, 0)], 1.0)
            return jnp.sqrt(ab_prev) * x0 + jnp.sqrt(1.0 - ab_prev) * eps, None
        z, _ = jax.lax.scan(step, z, (jnp.asarray(ts), jnp.asarray(prev)))
    return z


def _check_conditions(cond, n_conditions: int, weights, owner: str):
    check_int(n_conditions, "n_conditions", owner, 1)
    try:
        c = np.asarray(cond)
        w = np.ones(len(c)) if weights is None else np.asarray(weights)
    except jax.errors.TracerArrayConversionError:
        return                                        # traced (inside vmap/jit): checked by the caller eagerly
    if c.ndim != 1 or not np.issubdtype(c.dtype, np.integer) or c.min(initial=0) < 0 or c.max(initial=0) >= n_conditions:
        raise InvalidParameterError(f"The 'cond' parameter of {owner} must be a 1-D integer array with values in "
                                    f"[0, {n_conditions - 1}]. Got values {sorted(set(c.tolist()))[:10]} instead.")
    counts = np.bincount(c, weights=w > 0, minlength=n_conditions)
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        raise InvalidParameterError(f"The 'cond' parameter of {owner} must give every condition training points: "
                                    f"condition(s) {empty.tolist()} of {n_conditions} have none.")


def fit(key, X, cond, n_conditions: int, config: DiffusionConfig = DiffusionConfig(), learning_rate=1e-3,
        weights=None, init: DiffusionModel | None = None, trainable=None) -> DiffusionModel:
    """Standardise X (n, d) and train a conditional denoiser on it (see the module docstring).

    init: a trained model to fine-tune (its standardisation is kept, so the pretrained weights see the
    inputs they were trained on); trainable: 0/1 pytree over the denoiser's parameters (see
    ``last_layers``) for partial fine-tuning."""
    config = check_config(config, "diffusion.fit")
    _check_conditions(cond, n_conditions, weights, "diffusion.fit")
    X = jnp.asarray(X)
    center, scale = standardise(X, weights) if init is None else (init.center, init.scale)
    params, info = train_denoiser(key, (X - center[None, :]) / scale[None, :], jnp.asarray(cond), n_conditions, config,
                                  learning_rate, weights, None if init is None else init.params, trainable)
    return DiffusionModel(params, center, scale, info)


def last_layers(params, k: int = 1):
    """A 0/1 ``trainable`` mask that fine-tunes only the last k Dense layers of a network."""
    layers = sorted(params["params"], key=lambda name: int(name.split("_")[-1]))
    keep = set(layers[-k:])
    return {"params": {name: jax.tree_util.tree_map(lambda v, on=name in keep: jnp.full_like(v, float(on)), leaf)
                       for name, leaf in params["params"].items()}}


def condition_labels(counts, n_conditions: int, owner: str = "diffusion.sample") -> np.ndarray:
    """Static per-condition counts (a sequence, or {condition: count}) → the (m,) condition of each row."""
    if isinstance(counts, dict):
        unknown = [c for c in counts if not (isinstance(c, (int, np.integer)) and 0 <= c < n_conditions)]
        if unknown:
            raise InvalidParameterError(f"The 'counts' parameter of {owner} names unknown condition(s) {unknown}; "
                                        f"the model knows conditions 0…{n_conditions - 1}.")
        counts = [counts.get(c, 0) for c in range(n_conditions)]
    counts = list(counts)
    if len(counts) > n_conditions:
        raise InvalidParameterError(f"The 'counts' parameter of {owner} asks for {len(counts)} conditions; the model "
                                    f"knows {n_conditions} (0…{n_conditions - 1}).")
    for c in counts:
        check_int(c, "counts", owner, 0)
    return np.repeat(np.arange(len(counts), dtype=np.int32), counts)


def sample(key, model: DiffusionModel, counts, config: DiffusionConfig = DiffusionConfig()):
    """Draw ``counts[c]`` rows for each condition c; returns (X (m, d), cond (m,)). A model whose training
    failed (status ≠ OK) returns NaN rows."""
    d = model.center.shape[0]
    cond = condition_labels(counts, n_conditions_of(model.params, config, d))
    Z = sample_denoiser(key, model.params, jnp.asarray(cond), d, config, model.center.dtype)
    X = Z * model.scale[None, :] + model.center[None, :]
    return jnp.where(model.info.status == OK, X, jnp.nan), jnp.asarray(cond)


def conditional_diffusion(config: DiffusionConfig = DiffusionConfig(), learning_rate: float = 1e-3) -> Synthesizer:
    """A class-conditional DDPM as a synthesizer (fit on both classes when X_maj is given; sample class 1).

    hyper: ``DiffusionHyper(learning_rate)`` (dynamic). Provenance: none (the rows are new draws)."""
    config = check_config(config, "conditional_diffusion")
    check_float(learning_rate, "learning_rate", "conditional_diffusion", 0.0, lo_open=True)

    def fit_(key, X_min, X_maj=None, hyper=None):
        check_fit_inputs(X_min, X_maj, "conditional_diffusion.fit")
        hyper = default if hyper is None else hyper
        if X_maj is None:
            X, cond, k = X_min, jnp.zeros(X_min.shape[0], jnp.int32), 1
        else:
            X = jnp.concatenate([X_maj, X_min])
            cond = jnp.concatenate([jnp.zeros(X_maj.shape[0], jnp.int32), jnp.ones(X_min.shape[0], jnp.int32)])
            k = 2
        return fit(key, X, cond, k, config, hyper.learning_rate)

    def sample_(key, state: DiffusionModel, m):
        m = check_size(m, "conditional_diffusion.sample")
        k = n_conditions_of(state.params, config, state.center.shape[0])
        X, _ = sample(key, state, {k - 1: m}, config)
        return SynthSample(X, Provenance())

    default = DiffusionHyper(jnp.asarray(learning_rate))
    return Synthesizer("conditional_diffusion", fit_, sample_, default)


# ---------------------------------------------------------------- latent diffusion with transfer
class Autoencoder(NamedTuple):
    """An MLP autoencoder x → z (latent_dim) → x̂ on standardised features."""
    encoder: Any           #: the encoder's parameters (x → z)
    decoder: Any           #: the decoder's parameters (z → x̂)
    center: jax.Array      #: (d,) feature means of the standardisation
    scale: jax.Array       #: (d,) feature SDs of the standardisation
    info: TrainInfo        #: the training run's report


def fit_autoencoder(key, X, latent_dim: int = 3, hidden: tuple = (64, 64), steps: int = 2000, batch_size: int = 256,
                    learning_rate=1e-3) -> Autoencoder:
    """Train an autoencoder by mean squared reconstruction error (Adam, mini-batches) — CoDSA's
    transfer variant pre-trains it on source data (latent dimension 3)."""
    owner = "fit_autoencoder"
    check_matrix(X, "X", owner, min_rows=2)
    check_int(latent_dim, "latent_dim", owner, 1)
    check_int(steps, "steps", owner, 1)
    check_int(batch_size, "batch_size", owner, 1)
    X = jnp.asarray(X)
    d, dtype = X.shape[1], X.dtype
    center, scale = standardise(X)
    S = (X - center[None, :]) / scale[None, :]
    enc = MLP(tuple(hidden), latent_dim, param_dtype=dtype)
    dec = MLP(tuple(hidden)[::-1], d, param_dtype=dtype)
    k_e, k_d, k_train = jax.random.split(key, 3)
    params = (enc.init(k_e, S[:1]), dec.init(k_d, jnp.zeros((1, latent_dim), dtype)))

    def loss(p, k):
        rows = jax.random.randint(k, (batch_size,), 0, S.shape[0])
        return jnp.mean((dec.apply(p[1], enc.apply(p[0], S[rows])) - S[rows]) ** 2)

    (pe, pd), info = adam_train(k_train, loss, params, steps, learning_rate)
    return Autoencoder(pe, pd, center, scale, info)


def _ae_nets(ae: Autoencoder):
    latent = ae.encoder["params"][f"Dense_{len(ae.encoder['params']) - 1}"]["kernel"].shape[1]
    hidden = tuple(ae.encoder["params"][f"Dense_{i}"]["kernel"].shape[1] for i in range(len(ae.encoder["params"]) - 1))
    dtype = ae.center.dtype
    return MLP(hidden, latent, param_dtype=dtype), MLP(hidden[::-1], ae.center.shape[0], param_dtype=dtype)


def encode(ae: Autoencoder, X):
    return _ae_nets(ae)[0].apply(ae.encoder, (X - ae.center[None, :]) / ae.scale[None, :])


def decode(ae: Autoencoder, Z):
    return _ae_nets(ae)[1].apply(ae.decoder, Z) * ae.scale[None, :] + ae.center[None, :]


class LatentDiffusion(NamedTuple):
    autoencoder: Autoencoder   #: maps rows to the latent space and back
    model: DiffusionModel      #: the denoiser trained on the latent codes


def fit_latent(key, ae: Autoencoder, X, cond, n_conditions: int, config: DiffusionConfig = DiffusionConfig(),
               learning_rate=1e-3, pretrained: DiffusionModel | None = None, finetune: str = "full",
               weights=None) -> LatentDiffusion:
    """Diffusion in the autoencoder's latent space: encode X, train (or fine-tune ``pretrained`` — all
    layers with ``finetune="full"``, only the last layer with ``"last"``) the conditional denoiser there."""
    check_choice(finetune, "finetune", "fit_latent", ("full", "last"))
    trainable = last_layers(pretrained.params) if pretrained is not None and finetune == "last" else None
    model = fit(key, encode(ae, jnp.asarray(X)), cond, n_conditions, config, learning_rate, weights, pretrained, trainable)
    return LatentDiffusion(ae, model)


def sample_latent(key, latent: LatentDiffusion, counts, config: DiffusionConfig = DiffusionConfig()):
    """Draw latents per condition and decode them; returns (X (m, d), cond (m,))."""
    Z, cond = sample(key, latent.model, counts, config)
    return decode(latent.autoencoder, Z), cond
