"""Conditional diffusion (fidelity, vmapped training, failures, bad input, latent transfer), the MLP
learner and the fidelity metrics against independent references."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st
from sklearn.linear_model import LogisticRegression

from synthjax import InvalidParameterError
from synthjax import fidelity as F
from synthjax.learn import NONFINITE, OK, mlp
from synthjax.synth import diffusion as DF

SMALL = DF.DiffusionConfig(hidden=(64, 64, 64), train_steps=2000, batch_size=256)       # T = 1000, β 1e−4 → 0.02


def mixture(key, n):
    """½ N((−2, 0), 0.5² I) + ½ N((2, 1), diag(0.3², 0.8²))."""
    k1, k2 = jax.random.split(key)
    c = jax.random.bernoulli(k1, 0.5, (n,))
    z = jax.random.normal(k2, (n, 2))
    return jnp.where(c[:, None], z * jnp.array([[0.3, 0.8]]) + jnp.array([[2.0, 1.0]]),
                     z * 0.5 + jnp.array([[-2.0, 0.0]]))


def test_ddpm_reaches_its_fidelity_target_on_a_gaussian_mixture():
    """Trained on 1000 draws of a 2-D two-component mixture, 1000 DDPM samples against 1000 fresh
    draws: energy distance ≤ 0.02 (two true samples: ≈ 0.01; one Gaussian fitted to the data: ≈ 0.2),
    classifier two-sample AUC ≤ 0.6 and sliced W₁ ≤ 0.2; both modes kept with their weights."""
    X = mixture(jax.random.key(0), 1000)
    model = DF.fit(jax.random.key(1), X, jnp.zeros(1000, jnp.int32), 1, SMALL, 2e-3)
    assert int(model.info.status) == OK and int(model.info.steps) == SMALL.train_steps
    Y, cond = DF.sample(jax.random.key(2), model, [1000], SMALL)
    T = mixture(jax.random.key(3), 1000)
    gauss = X.mean(0)[None, :] + jax.random.normal(jax.random.key(4), (1000, 2)) * X.std(0)[None, :]
    assert float(F.energy_distance(T, Y)) <= 0.02 < float(F.energy_distance(T, gauss))
    assert float(F.classifier_two_sample_auc(jax.random.key(5), T, Y)) <= 0.6
    assert float(F.sliced_wasserstein(jax.random.key(6), T, Y)) <= 0.2
    assert abs(float(jnp.mean(Y[:, 0] > 0)) - 0.5) < 0.06 and (cond == 0).all()


def test_conditional_sampling_and_ddim():
    """Two conditions with different laws: each condition's samples sit at its own mean (DDPM and DDIM)."""
    X = jnp.concatenate([jax.random.normal(jax.random.key(0), (400, 2)) * 0.5 - 2.0,
                         jax.random.normal(jax.random.key(1), (400, 2)) * 0.5 + 2.0])
    cond = jnp.repeat(jnp.arange(2, dtype=jnp.int32), 400)
    config = SMALL._replace(hidden=(64, 64), train_steps=800, batch_size=128)
    model = DF.fit(jax.random.key(2), X, cond, 2, config, 3e-3)
    for cfg in (config, config._replace(sampler="ddim", ddim_steps=50)):
        Y, c = DF.sample(jax.random.key(3), model, {0: 100, 1: 300}, cfg)
        assert Y.shape == (400, 2) and int((c == 1).sum()) == 300
        np.testing.assert_allclose(Y[c == 0].mean(0), [-2, -2], atol=0.25)
        np.testing.assert_allclose(Y[c == 1].mean(0), [2, 2], atol=0.25)


def test_many_models_train_at_once_and_a_diverging_one_fails_alone():
    """vmap over (key, data, learning rate) of the whole training loop = one model at a time; a replicate
    whose loss diverges (learning rate 1e6) stops with NONFINITE and samples NaN, the others are intact."""
    config = DF.DiffusionConfig(timesteps=50, hidden=(16, 16), train_steps=60, batch_size=32)
    keys = jax.random.split(jax.random.key(0), 3)
    data = jax.vmap(lambda k: mixture(k, 200))(keys)
    rates = jnp.array([1e-3, 1e6, 3e-3])
    cond = jnp.zeros(200, jnp.int32)
    fit = lambda k, X, lr: DF.fit(k, X, cond, 1, config, lr)  # noqa: E731
    models = jax.jit(jax.vmap(fit))(keys, data, rates)
    np.testing.assert_array_equal(models.info.status, [OK, NONFINITE, OK])
    assert int(models.info.steps[1]) < 60 and np.isnan(models.info.loss[1, -1])
    draws = jax.vmap(lambda k, m: DF.sample(k, m, [5], config)[0])(keys, models)
    draws = np.asarray(draws)
    assert np.isnan(draws[1]).all() and np.isfinite(draws[[0, 2]]).all()
    for i in (0, 2):
        one = fit(keys[i], data[i], rates[i])
        np.testing.assert_allclose(one.info.loss, models.info.loss[i], rtol=2e-3, atol=1e-4)


def test_bad_input_is_refused_with_the_parameter_named():
    X = mixture(jax.random.key(0), 50)
    with pytest.raises(InvalidParameterError, match=r"condition\(s\) \[1\] of 3 have none"):
        DF.fit(jax.random.key(0), X, jnp.asarray(np.r_[np.zeros(25), np.full(25, 2)].astype(np.int32)), 3)
    with pytest.raises(InvalidParameterError, match="'cond'"):
        DF.fit(jax.random.key(0), X, jnp.full(50, 5, jnp.int32), 2)
    config = DF.DiffusionConfig(timesteps=20, hidden=(8,), train_steps=5, batch_size=8)
    model = DF.fit(jax.random.key(0), X, jnp.zeros(50, jnp.int32), 1, config)
    with pytest.raises(InvalidParameterError, match=r"unknown condition\(s\) \[3\]"):
        DF.sample(jax.random.key(0), model, {3: 10}, config)
    with pytest.raises(InvalidParameterError, match="asks for 2 conditions"):
        DF.sample(jax.random.key(0), model, [5, 5], config)
    with pytest.raises(InvalidParameterError, match="'sampler'"):
        DF.conditional_diffusion(config._replace(sampler="euler"))
    with pytest.raises(InvalidParameterError, match="'beta_end'"):
        DF.conditional_diffusion(config._replace(beta_end=1.5))


def test_latent_diffusion_with_partial_fine_tuning():
    """Autoencoder pre-trained on source data (4-D points on a 2-D plane, latent dim 3); a denoiser
    pre-trained on source latents, then fine-tuned on a small target sample — only the last layer moves
    with finetune="last", every layer with "full"; decoded samples lie on the plane."""
    A = jnp.array([[1.0, 0.5, 0.0, -1.0], [0.0, 1.0, 1.0, 0.5]])
    source = mixture(jax.random.key(0), 1500) @ A
    target = mixture(jax.random.key(1), 150) @ A
    ae = DF.fit_autoencoder(jax.random.key(2), source, latent_dim=3, steps=1000, learning_rate=3e-3)
    recon = DF.decode(ae, DF.encode(ae, target))
    assert float(jnp.mean((recon - target) ** 2) / jnp.var(target)) < 0.05
    config = DF.DiffusionConfig(hidden=(32, 32), train_steps=600, batch_size=128)
    pre = DF.fit_latent(jax.random.key(3), ae, source, jnp.zeros(1500, jnp.int32), 1, config, 3e-3).model
    last = DF.fit_latent(jax.random.key(4), ae, target, jnp.zeros(150, jnp.int32), 1, config._replace(train_steps=100),
                         1e-3, pretrained=pre, finetune="last")
    full = DF.fit_latent(jax.random.key(4), ae, target, jnp.zeros(150, jnp.int32), 1, config._replace(train_steps=100),
                         1e-3, pretrained=pre, finetune="full")
    layers = pre.params["params"]
    for name in layers:
        moved_last = not np.array_equal(last.model.params["params"][name]["kernel"], layers[name]["kernel"])
        moved_full = not np.array_equal(full.model.params["params"][name]["kernel"], layers[name]["kernel"])
        assert moved_last == (name == f"Dense_{len(layers) - 1}") and moved_full
    Y, _ = DF.sample_latent(jax.random.key(5), last, [500], config)
    residual = Y - (Y @ jnp.linalg.pinv(A)) @ A            # distance to the plane spanned by A's rows
    assert float(jnp.mean(residual ** 2)) < 0.05 * float(jnp.var(target))


def test_mlp_without_hidden_layers_is_logistic_regression(x64):
    """hidden=() is a linear logit: Adam on the mean BCE reaches scikit-learn's unpenalised fit."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (rng.random(400) < 1 / (1 + np.exp(-(X @ [1.0, -0.5, 0.25] + 0.3)))).astype(float)
    learner = mlp(hidden=(), steps=3000, learning_rate=0.05, patience=0)
    params, info = learner.train(jax.random.key(0), jnp.asarray(X), jnp.asarray(y))
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(learner.score(params, jnp.asarray(X)), ref.decision_function(X), atol=1e-4)
    assert int(info.status) == OK


def test_mlp_weight_decay_is_the_ridge_convention(x64):
    """hidden=(), weight_decay=λ: the weighted-mean BCE + (λ/2)‖W‖² is LogisticRegression(C=1/(λ Σw))
    on the standardised features (the convention of learn.logistic)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3)) * [1.0, 3.0, 0.5] + 2.0
    y = (rng.random(300) < 1 / (1 + np.exp(-(X @ [1.0, -0.5, 0.25] - 1.0)))).astype(float)
    w = rng.uniform(0.5, 2.0, size=300)
    lam = 0.05
    learner = mlp(hidden=(), steps=4000, learning_rate=0.05, weight_decay=lam, patience=0)
    params, _ = learner.train(jax.random.key(0), jnp.asarray(X), jnp.asarray(y), jnp.asarray(w))
    Z = (X - np.asarray(params.center)) / np.asarray(params.scale)
    ref = LogisticRegression(C=1 / (lam * w.sum()), tol=1e-12, max_iter=10_000).fit(Z, y, sample_weight=w)
    np.testing.assert_allclose(learner.score(params, jnp.asarray(X)), ref.decision_function(Z), atol=1e-4)


def test_mlp_early_stopping_keeps_the_best_validation_step_and_vmaps():
    rng = np.random.default_rng(1)
    X = jnp.asarray(rng.uniform(-2, 2, size=(300, 1)), jnp.float32)
    y = jnp.sin(2 * X[:, 0]) + 0.3 * jnp.asarray(rng.normal(size=300), jnp.float32)
    Xv = jnp.asarray(rng.uniform(-2, 2, size=(200, 1)), jnp.float32)
    yv = jnp.sin(2 * Xv[:, 0]) + 0.3 * jnp.asarray(rng.normal(size=200), jnp.float32)
    learner = mlp(hidden=(32, 32), task="regression", steps=1500, learning_rate=1e-2, patience=50)
    params, info = learner.train(jax.random.key(0), X, y, X_val=Xv, y_val=yv)
    val = float(jnp.mean((learner.score(params, Xv) - yv) ** 2))
    assert int(info.steps) < 1500 and abs(val - float(info.best_val)) < 1e-5
    assert val < 0.09 + 0.03                                 # noise variance 0.09
    keys = jax.random.split(jax.random.key(1), 3)
    batched = jax.vmap(lambda k: learner.train(k, X, y, X_val=Xv, y_val=yv)[1].best_val)(keys)
    for k, b in zip(keys, batched):
        np.testing.assert_allclose(learner.train(k, X, y, X_val=Xv, y_val=yv)[1].best_val, b, rtol=1e-3)


def test_fidelity_metrics_against_references(x64):
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=70), rng.normal(0.4, 1.3, size=110)
    np.testing.assert_allclose(F.wasserstein_1d(jnp.asarray(a), jnp.asarray(b)), st.wasserstein_distance(a, b), rtol=1e-12)
    X, Y = rng.normal(size=(60, 3)), rng.normal(size=(45, 3)) + [0.5, 0, 0]
    dxy = np.linalg.norm(X[:, None] - Y[None], axis=2)
    dxx = np.linalg.norm(X[:, None] - X[None], axis=2)
    dyy = np.linalg.norm(Y[:, None] - Y[None], axis=2)
    energy = 2 * dxy.mean() - dxx.sum() / (60 * 59) - dyy.sum() / (45 * 44)
    np.testing.assert_allclose(F.energy_distance(jnp.asarray(X), jnp.asarray(Y)), energy, rtol=1e-10)
    h = 1.7
    k = lambda d: np.exp(-d ** 2 / (2 * h * h))  # noqa: E731
    mmd2 = ((k(dxx).sum() - 60) / (60 * 59) + (k(dyy).sum() - 45) / (45 * 44) - 2 * k(dxy).mean())
    np.testing.assert_allclose(F.mmd(jnp.asarray(X), jnp.asarray(Y), bandwidth=h), mmd2, rtol=1e-10)
    # one-dimensional data: every projection is ±the data, so SW₁ = W₁
    np.testing.assert_allclose(F.sliced_wasserstein(jax.random.key(0), jnp.asarray(a[:, None]), jnp.asarray(b[:, None]), 8),
                               st.wasserstein_distance(a, b), rtol=1e-12)
    with pytest.raises(InvalidParameterError, match="'Y'"):
        F.energy_distance(jnp.asarray(X), jnp.asarray(Y[:, :2]))
