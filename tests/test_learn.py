import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge

from synthjax import InvalidParameterError
from synthjax.learn import MAX_ITER, OK, RidgeHyper, least_squares, logistic


def _data(n=400, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X @ rng.normal(size=d) + rng.logistic(size=n) > 0.7).astype(float)
    return X, y


@pytest.mark.parametrize("intercept", [True, False])
def test_logistic_matches_sklearn_weighted(x64, intercept):
    X, y = _data()
    w = np.random.default_rng(1).uniform(0.2, 3.0, size=len(y))
    lam = 0.03
    params, info = jax.jit(logistic(ridge=lam, intercept=intercept).fit)(jnp.asarray(X), jnp.asarray(y), jnp.asarray(w))
    # ours: Σ w ℓ / Σ w + λ/2 ‖coef‖²  ⇔  sklearn: C Σ w ℓ + ½‖coef‖² with C = 1/(λ Σ w)
    ref = LogisticRegression(C=1 / (lam * w.sum()), fit_intercept=intercept, solver="newton-cholesky",
                             tol=1e-14, max_iter=1000).fit(X, y, sample_weight=w)
    assert bool(info.converged) and int(info.status) == OK
    np.testing.assert_allclose(params.coef, ref.coef_[0], atol=1e-6, rtol=0)
    np.testing.assert_allclose(params.intercept, ref.intercept_[0] if intercept else 0.0, atol=1e-6)
    assert float(info.grad_norm) < 1e-10


def test_logistic_zero_gradient_with_soft_labels(x64):
    X, _ = _data(seed=3)
    y = np.random.default_rng(4).uniform(size=len(X))      # soft labels in [0, 1]
    learner = logistic(ridge=1e-3)
    params, info = learner.fit(jnp.asarray(X), jnp.asarray(y))
    objective = lambda c, b: jnp.mean(learner.loss(X @ c + b, y)) + 0.5e-3 * c @ c
    g = jax.grad(objective, argnums=(0, 1))(params.coef, params.intercept)
    assert max(float(jnp.max(jnp.abs(g[0]))), abs(float(g[1]))) < 1e-12
    assert int(info.iterations) < 15


def test_logistic_separable_stays_finite_and_reports():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(size=(30, 2)) + 6, rng.normal(size=(30, 2)) - 6].astype(np.float32)
    y = np.r_[np.ones(30), np.zeros(30)].astype(np.float32)
    params, info = logistic(ridge=0.0, max_iter=30).fit(jnp.asarray(X), jnp.asarray(y))
    assert np.all(np.isfinite(params.coef)) and np.isfinite(params.intercept)
    assert not bool(info.converged) and int(info.status) == MAX_ITER


def test_logistic_ridge_is_dynamic():
    X, y = (jnp.asarray(a, jnp.float32) for a in _data())
    learner = logistic(ridge=0.1)
    traces = []

    @jax.jit
    def fit(hyper):
        traces.append(1)
        return learner.fit(X, y, None, hyper)[0].coef

    a, b = fit(RidgeHyper(jnp.float32(0.1))), fit(RidgeHyper(jnp.float32(1.0)))
    assert len(traces) == 1 and float(jnp.linalg.norm(b)) < float(jnp.linalg.norm(a))


@pytest.mark.parametrize("intercept", [True, False])
def test_least_squares_matches_sklearn_ridge(x64, intercept):
    X, y = _data(seed=5)
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=len(y))
    lam = 0.2
    params, info = least_squares(ridge=lam, intercept=intercept, targets=(-1.0, 1.0)).fit(
        jnp.asarray(X), jnp.asarray(y), jnp.asarray(w))
    # ours: Σ w (t − s)² / Σ w + λ/2 ‖coef‖²  ⇔  Ridge: Σ w (t − s)² + α‖coef‖² with α = λ Σ w / 2
    ref = Ridge(alpha=lam * w.sum() / 2, fit_intercept=intercept, solver="cholesky").fit(X, 2 * y - 1, sample_weight=w)
    np.testing.assert_allclose(params.coef, ref.coef_, atol=1e-10)
    np.testing.assert_allclose(params.intercept, ref.intercept_ if intercept else 0.0, atol=1e-10)
    assert bool(info.converged) and float(info.grad_norm) < 1e-10


def test_learner_bad_input():
    X = jnp.ones((10, 2))
    with pytest.raises(InvalidParameterError, match="'ridge' parameter of logistic"):
        logistic(ridge=-1.0)
    with pytest.raises(InvalidParameterError, match="'y' parameter of logistic.fit"):
        logistic().fit(X, jnp.ones(9))
    with pytest.raises(InvalidParameterError, match="'y' parameter .* values in \\[0.0, 1.0\\]"):
        logistic().fit(X, 2 * jnp.ones(10))
    with pytest.raises(InvalidParameterError, match="'X' parameter .* finite"):
        logistic().fit(X.at[0, 0].set(jnp.nan), jnp.ones(10))
    with pytest.raises(InvalidParameterError, match="'w' parameter"):
        least_squares().fit(X, jnp.ones(10), -jnp.ones(10))


def test_softmax_matches_sklearn_multinomial(x64):
    """Softmax Newton = scikit-learn's multinomial LogisticRegression (lbfgs, tight tolerance) to 1e−6 in float64,
    with sample weights and with C; a soft-label fit has zero gradient; vmap over weight vectors = a loop."""
    from synthjax.learn import softmax, softmax_score
    rng = np.random.default_rng(0)
    n, d, K = 300, 4, 3
    X = rng.normal(size=(n, d))
    labels = np.argmax(X @ rng.normal(size=(d, K)) + rng.gumbel(size=(n, K)), axis=1)
    w = rng.uniform(0.5, 2.0, n)
    ref = LogisticRegression(C=0.7, tol=1e-12, max_iter=10_000).fit(X, labels, sample_weight=w)
    params, info = softmax(K, C=0.7).fit(jnp.asarray(X), jnp.asarray(labels), jnp.asarray(w))
    assert int(info.status) == OK
    np.testing.assert_allclose(params.coef, ref.coef_.T, atol=1e-6)
    np.testing.assert_allclose(params.intercept, ref.intercept_, atol=1e-6)
    np.testing.assert_allclose(jax.nn.softmax(softmax_score(params, jnp.asarray(X))), ref.predict_proba(X), atol=1e-7)
    soft = jax.nn.softmax(jnp.asarray(rng.normal(size=(n, K))))
    lrn = softmax(K, ridge=1e-2)
    fitted, _ = lrn.fit(jnp.asarray(X), soft)
    theta = jnp.concatenate([fitted.coef, fitted.intercept[None]]).T.reshape(-1)
    def objective(t):
        T = t.reshape(K, d + 1).T
        s = jnp.asarray(X) @ T[:d] + T[d][None, :]
        return jnp.mean(lrn.loss(s, soft)) + 0.5 * 1e-2 * jnp.sum(T[:d] ** 2)
    assert float(jnp.max(jnp.abs(jax.grad(objective)(theta)))) < 1e-10
    W = jnp.asarray(rng.uniform(0.5, 2.0, (3, n)))
    path, _ = lrn.fit_path(jnp.asarray(X), jnp.asarray(labels), W)
    for i in range(3):
        np.testing.assert_allclose(path.coef[i], lrn.fit(jnp.asarray(X), jnp.asarray(labels), W[i])[0].coef, atol=1e-10)
    with pytest.raises(InvalidParameterError, match="'n_classes'"):
        softmax(1)
    with pytest.raises(InvalidParameterError, match="'y'"):
        lrn.fit(jnp.asarray(X), jnp.zeros((n, 2)))


def test_logistic_newton_is_damped_from_a_far_start():
    """Started far from the optimum (saturated probabilities, a tiny Hessian), a full Newton step overshoots and
    the undamped iteration cycles without converging (coef ~ 300 after 50 steps here); with step halving it
    converges to the minimiser found from the default start (a real-data sweep fit failed this way)."""
    X = jnp.asarray(np.random.default_rng(0).standard_normal((200, 2)), jnp.float32)
    y = (X[:, 0] + 0.5 * jax.random.normal(jax.random.key(1), (200,)) > 0).astype(jnp.float32)
    model = logistic(ridge=1e-3)
    reference, info = model.fit(X, y)
    assert bool(info.converged)
    for init in ([30.0, -30.0, 5.0], [50.0, 50.0, -50.0]):
        params, info = model.fit(X, y, init=jnp.asarray(init))
        assert bool(info.converged) and int(info.iterations) < 20
        np.testing.assert_allclose(params.coef, reference.coef, rtol=1e-5)


@pytest.mark.parametrize("C", [None, 0.5])
def test_many_parameter_size_grid_takes_lagged_hessian_steps_to_the_same_minimisers(x64, C):
    """With p > PAIR_PRODUCTS_MAX_P, ``fit_path`` solves every size of a nested-mask γ grid by Newton steps whose
    directions come from conjugate gradients preconditioned with the Hessian at the warm start: the minimisers
    equal separate exact-Newton fits (float64, 1e−9) and scikit-learn's (1e−6), and the gradient vanishes."""
    from synthjax.learn._linear import PAIR_PRODUCTS_MAX_P
    from synthjax.synth import nested_mask
    rng = np.random.default_rng(4)
    n_real, m, d = 400, 300, PAIR_PRODUCTS_MAX_P + 6
    X = rng.normal(size=(n_real + m, d))
    y = (X[:, 0] - X[:, 1] ** 2 + rng.logistic(size=n_real + m) > 1.0).astype(float)
    sizes = jnp.asarray([0, 40, 150, 300, 7], jnp.int32)
    W = jnp.concatenate([jnp.ones((5, n_real)), nested_mask(sizes, m, jnp.float64)], axis=1)
    lrn = logistic(ridge=1e-3) if C is None else logistic(C=C)
    path, info = lrn.fit_path(jnp.asarray(X), jnp.asarray(y), W)
    assert np.all(np.asarray(info.status) == OK)
    for i in range(5):
        exact, _ = lrn.fit(jnp.asarray(X), jnp.asarray(y), W[i])
        np.testing.assert_allclose(path.coef[i], exact.coef, atol=1e-9)
        np.testing.assert_allclose(path.intercept[i], exact.intercept, atol=1e-9)
        keep = np.asarray(W[i]) > 0
        n = int(keep.sum())
        ref = LogisticRegression(C=1 / (1e-3 * n) if C is None else C, tol=1e-12, max_iter=10_000).fit(X[keep], y[keep])
        np.testing.assert_allclose(path.coef[i], ref.coef_[0], atol=1e-6)
    assert float(jnp.max(info.grad_norm)) < 1e-9


def test_certified_full_newton_steps_decrease_the_logistic_objective(x64):
    """``full_step_decreases`` (max_i |x_iᵀΔ| ≤ 1.75, generalised self-concordance) lets the damping skip its
    objective evaluations: f(θ − Δ) − f(θ) ≤ λ²[(e^M − 1 − M)/M² − 1] at every start, and wherever it certifies a
    full Newton step, the weighted ridge objective falls; over
    starts at every distance from the optimum both outcomes occur, and steps it does not certify can raise f."""
    from synthjax.learn._linear import CERTIFIED_MAX_M, full_step_decreases
    assert (np.expm1(CERTIFIED_MAX_M) - CERTIFIED_MAX_M) / CERTIFIED_MAX_M ** 2 < 1     # the bound is negative there
    rng = np.random.default_rng(5)
    n, d = 300, 4
    X = rng.normal(size=(n, d)) * np.r_[3.0, 1.0, 1.0, 0.3]
    Xa = jnp.asarray(np.c_[X, np.ones(n)])
    y = jnp.asarray((X[:, 0] + rng.logistic(size=n) > 0.5).astype(float))
    v = jnp.asarray(rng.uniform(0.2, 1.0, n))
    v = v / jnp.sum(v)
    lam = 1e-3

    def f(t):
        s = Xa @ t
        return jnp.sum(v * (jax.nn.softplus(s) - y * s)) + 0.5 * lam * jnp.sum(t[:-1] ** 2)

    best, _ = logistic(ridge=lam).fit(jnp.asarray(X), y, v)
    optimum = jnp.concatenate([best.coef, best.intercept[None]])
    outcomes = []
    for scale in np.geomspace(0.01, 30, 60):
        theta = optimum + jnp.asarray(rng.normal(size=d + 1) * scale)
        step = jnp.linalg.solve(jax.hessian(f)(theta), jax.grad(f)(theta))
        certified, decrease = bool(full_step_decreases(step, Xa @ step)), float(f(theta) - f(theta - step))
        M, decrement = float(jnp.max(jnp.abs(Xa @ step))), float(jax.grad(f)(theta) @ step)
        if M < 50:                                  # the bound behind it
            assert -decrease <= decrement * (np.expm1(M) - M) / M ** 2 - decrement + 1e-12
        assert certified == (M <= CERTIFIED_MAX_M)
        if certified:
            assert decrease > 0
        outcomes.append((certified, decrease > 0))
    assert {True, False} <= {c for c, _ in outcomes}
    assert (False, False) in outcomes            # an uncertified full step that raises f: damping is still needed


def test_eager_calls_compile_one_program_each(programs):
    """Called eagerly (a notebook, a test), a fit, a synthesizer or a DGP draw compiles one program (plus a few small
    ones), not one per operation: 44, 35, 65 and 8 programs before (logistic, least squares, SMOTE fit + sample, DGP
    draw on fresh shapes)."""
    from synthjax import dgp as D
    from synthjax import synth
    rng = np.random.default_rng(0)
    X = jnp.asarray(rng.normal(size=(37, 3)), jnp.float32)
    y = jnp.asarray(rng.random(37) < 0.3, jnp.float32)
    smote, truth = synth.smote(3), D.gaussian(np.zeros(3), np.ones(3))
    assert programs(lambda: logistic(ridge=1e-2).fit(X, y)) <= 3
    assert programs(lambda: least_squares(ridge=1e-2).fit(X, y)) <= 2
    assert programs(lambda: smote.sample(jax.random.key(1), smote.fit(jax.random.key(0), X[:11]), 29)) <= 12
    assert programs(lambda: truth.sample(jax.random.key(2), 41, 13)) <= 2
