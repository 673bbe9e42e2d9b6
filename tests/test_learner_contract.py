"""The learner contract: random-feature logistic regression, the MLP and any user model run through the
tuners and the theory; the generic (autodiff) path equals the exact linear one; reweighting rules."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.kernel_approximation import RBFSampler
from sklearn.linear_model import LogisticRegression

from synthjax import dgp as D
from synthjax import learn
from synthjax import metrics as M
from synthjax import synth as S
from synthjax import theory as T
from synthjax._validate import InvalidParameterError
from synthjax.runner import Study, run


def _data(n0=120, n1=30, d=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X0 = rng.normal(size=(n0, d))
    angle = rng.uniform(0, 2 * np.pi, n1)
    X1 = rng.normal(scale=0.3, size=(n1, d)) + np.c_[1.5 + np.cos(angle), np.sin(angle), np.zeros((n1, d - 2))]
    return jnp.asarray(X0, dtype), jnp.asarray(X1, dtype)


def test_rff_logistic_equals_sklearn_on_the_same_features(x64):
    X0, X1 = _data()
    X = jnp.concatenate([X0, X1])
    y = np.r_[np.zeros(len(X0)), np.ones(len(X1))]
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    model = learn.random_fourier_logistic(40, C=2.0).draw(jax.random.key(3), X)
    sampler = RBFSampler(gamma="scale", n_components=40, random_state=0).fit(np.asarray(X))
    assert float(learn.rbf_bandwidth(X)) == pytest.approx(sampler._gamma, rel=1e-12)
    sampler.random_weights_, sampler.random_offset_ = np.asarray(model.features.omega), np.asarray(model.features.offset)
    Phi = sampler.transform(np.asarray(X))
    np.testing.assert_allclose(model.features(X), Phi, rtol=1e-12, atol=1e-12)
    ref = LogisticRegression(C=2.0, tol=1e-12, max_iter=10_000).fit(Phi, y, sample_weight=w)
    params, info = model.fit(X, jnp.asarray(y), jnp.asarray(w))
    assert int(info.status) == learn.OK
    np.testing.assert_allclose(params.coef, ref.coef_[0], atol=1e-6)
    np.testing.assert_allclose(params.intercept, ref.intercept_[0], atol=1e-6)
    # a grid of weight vectors in one solve = one fit each
    W = jnp.stack([jnp.asarray(w), jnp.ones(len(y))])
    path, _ = model.fit_path(X, jnp.asarray(y), W)
    np.testing.assert_allclose(path.coef[0], params.coef, atol=1e-9)


def test_generic_path_equals_the_linear_fast_path_on_random_features(x64):
    """g_φ, H, Σ, the Wald statistic and GQS: autodiff of loss(score(θ, x)) = the exact linear moments on Φ(X)."""
    X0, X1 = _data()
    model = learn.random_fourier_logistic(12, C=2.0).draw(jax.random.key(0), jnp.concatenate([X0, X1]))
    generic = model._replace(features=None)      # the same model seen only through the contract (autodiff)
    params, _ = T.balanced_fit(model, X0, X1)
    fast, slow = (jax.jit(lambda p, X: T.learner_moments(m, p, X, 1))(params, X1) for m in (model, generic))
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    t_fast, t_slow = (jax.jit(lambda a, b: T.symmetry_test(m, a, b))(X0, X1) for m in (model, generic))
    np.testing.assert_allclose(t_fast.statistic, t_slow.statistic, rtol=1e-10)
    assert t_fast.df == 13
    q_fast, q_slow = (jax.jit(lambda k: T.generator_quality(k, S.smote(3), m, X0, X1, K=3))(jax.random.key(1))
                      for m in (model, generic))
    np.testing.assert_allclose(q_fast.gqs, q_slow.gqs, rtol=1e-9)


def test_a_user_model_with_only_fit_score_loss_runs_in_the_tuners(x64):
    """A 15-line probit model (no fit_path, no draw) through the Wald test and TG-VTSS."""
    class Probit:
        name, hyper = "probit", None

        @staticmethod
        def loss(s, y):
            return -(y * jax.scipy.stats.norm.logcdf(s) + (1 - y) * jax.scipy.stats.norm.logcdf(-s))

        @staticmethod
        def score(params, X):
            return X @ params["w"] + params["b"]

        @classmethod
        def fit(cls, X, y, w=None, hyper=None):
            w = jnp.ones(X.shape[0], X.dtype) if w is None else w
            objective = lambda p: jnp.sum(w * cls.loss(cls.score(p, X), y)) / jnp.sum(w)  # noqa: E731
            theta, unravel = jax.flatten_util.ravel_pytree({"w": jnp.zeros(X.shape[1], X.dtype), "b": jnp.zeros((), X.dtype)})
            f = lambda t: objective(unravel(t))  # noqa: E731
            newton = lambda _, t: t - jnp.linalg.solve(jax.hessian(f)(t), jax.grad(f)(t))  # noqa: E731
            theta = jax.lax.fori_loop(0, 20, newton, theta)
            return unravel(theta), learn.FitInfo(jnp.int32(20), jnp.linalg.norm(jax.grad(f)(theta)), jnp.bool_(True),
                                                 jnp.int32(0))

    X0, X1 = _data()
    test = jax.jit(lambda a, b: T.symmetry_test(Probit, a, b))(X0, X1)
    assert test.df == 4 and np.isfinite(float(test.statistic))
    result = jax.jit(lambda k: T.tg_vtss(k, S.smote(3), Probit, X0, X1, folds=3))(jax.random.key(0))
    best = int(jnp.argmin(result.fit.losses))
    assert bool(result.valid[best]) and float(result.fit.gamma) == pytest.approx(float(result.candidates[best]))
    assert int(result.fit.info.status) == learn.OK


def test_mlp_model_fit_path_equals_a_loop_and_vmaps_over_replicates():
    X0, X1 = _data(dtype=np.float32)
    X = jnp.concatenate([X0, X1])
    y = jnp.r_[jnp.zeros(len(X0)), jnp.ones(len(X1))].astype(jnp.float32)
    net = learn.mlp((8, 4), learning_rate=2e-3, steps=60, weight_decay=1e-3, patience=0, decoupled=True)
    model = net.draw(jax.random.key(0), X)
    W = jnp.stack([jnp.ones(len(y)), jnp.r_[jnp.ones(len(X0)), 4 * jnp.ones(len(X1))].astype(jnp.float32)])
    path, info = jax.jit(model.fit_path)(X, y, W)
    fit = jax.jit(model.fit)
    for s in range(2):
        one, one_info = fit(X, y, W[s])
        np.testing.assert_allclose(model.score(one, X), model.score(jax.tree_util.tree_map(lambda a: a[s], path), X),
                                   rtol=1e-4, atol=1e-5)
        assert int(one_info.iterations) == 60 and float(one_info.grad_norm) > 0
    keys = jax.random.split(jax.random.key(1), 3)
    one_fit = jax.jit(lambda k: net.draw(k, X).fit(X, y)[0].net)
    batched = jax.vmap(one_fit)(keys)
    for i, k in enumerate(keys):
        loop = one_fit(k)
        jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b[i], rtol=1e-4, atol=1e-5), loop, batched)


def test_tuners_run_an_mlp_with_random_feature_diagnostics():
    X0, X1 = _data(dtype=np.float32)
    net = learn.mlp((8,), learning_rate=5e-3, steps=40, patience=0)
    rff = learn.random_fourier_logistic(10, C=2.0)
    out = jax.jit(lambda k: T.tg_vtss(k, S.smote(3), net, X0, X1, folds=3, diagnostic_learner=rff))(jax.random.key(0))
    assert np.isfinite(float(out.statistic)) and np.isfinite(float(out.gqs))
    assert 0.0 <= float(out.fit.gamma) <= 2.0 and int(out.fit.info.status) == learn.OK


def test_reweighting_is_the_weighted_fit_and_cost_sensitive_picks_the_cv_minimum(x64):
    X0, X1 = _data()
    n0, n1 = len(X0), len(X1)
    lrn = learn.logistic(ridge=1e-3)
    X = jnp.concatenate([X0, X1])
    y = jnp.r_[jnp.zeros(n0), jnp.ones(n1)]
    balanced = T.reweighting(jax.random.key(0), lrn, X0, X1)     # eager: small solves
    direct, _ = lrn.fit(X, y, jnp.r_[jnp.full(n0, 0.5 / n0), jnp.full(n1, 0.5 / n1)])
    np.testing.assert_allclose(balanced.params.coef, direct.coef, rtol=1e-10)
    assert float(balanced.gamma) == pytest.approx((n0 / n1 - 1) * n1 / (n0 - n1))   # = 1: balancing's weight
    # integer cost c = c − 1 exact copies of every minority point
    copies, _ = lrn.fit(jnp.concatenate([X, X1, X1]), jnp.r_[y, jnp.ones(2 * n1)])
    np.testing.assert_allclose(T.reweighting(jax.random.key(0), lrn, X0, X1, cost=3.0).params.coef, copies.coef, rtol=1e-9)
    tuned = jax.jit(lambda k: T.cost_sensitive(k, lrn, X0, X1, folds=3))(jax.random.key(2))
    best = float(T.COST_GRID[int(jnp.argmin(tuned.losses))])
    again = T.reweighting(jax.random.key(0), lrn, X0, X1, cost=best)
    np.testing.assert_allclose(tuned.params.coef, again.params.coef, rtol=1e-10)


def test_bad_learners_and_remedies_get_clear_errors():
    X0, X1 = _data(dtype=np.float32)
    with pytest.raises(InvalidParameterError, match="'learner' parameter of symmetry_test has random parts"):
        T.symmetry_test(learn.random_fourier_logistic(5), X0, X1)
    with pytest.raises(InvalidParameterError, match="without fit, score, loss"):
        T.symmetry_test(object(), X0, X1)
    with pytest.raises(InvalidParameterError, match="'n_features' parameter of random_fourier_logistic"):
        learn.random_fourier_logistic(0)
    with pytest.raises(InvalidParameterError, match="'bandwidth' parameter of random_fourier_logistic"):
        learn.random_fourier_logistic(10, bandwidth=0.0)
    with pytest.raises(InvalidParameterError, match="'cost' parameter of reweighting"):
        T.reweighting(jax.random.key(0), learn.logistic(), X0, X1, cost=0.0)
    with pytest.raises(InvalidParameterError, match="'costs' parameter of cost_sensitive"):
        T.cost_sensitive(jax.random.key(0), learn.logistic(), X0, X1, costs=[1.0, -2.0])
    with pytest.raises(InvalidParameterError, match="'ridge' parameter of logistic"):
        learn.logistic(ridge=0.1, C=1.0)


def test_balanced_bayes_risk_is_the_minimal_conditional_risk(x64):
    llr = jnp.linspace(-8.0, 8.0, 101)
    post = jax.nn.sigmoid(llr)
    entropy = -(post * jnp.log(post) + (1 - post) * jnp.log1p(-post))
    logistic = learn.logistic().loss
    np.testing.assert_allclose(M.balanced_bayes_risk(logistic, llr), jnp.mean(entropy), rtol=1e-10)
    squared = learn.least_squares().loss                        # min_s (1 − π)s² + π(1 − s)² = π(1 − π)
    np.testing.assert_allclose(M.balanced_bayes_risk(squared, llr), jnp.mean(post * (1 - post)), rtol=1e-10)


def test_study_runs_any_learner_and_a_linear_model_seen_generically_matches_the_exact_oracles():
    """The same logistic model through the contract only (no oracles): risk, AUROC and excess risk on the evaluation
    sample agree with the exact population values within its Monte-Carlo error (the Bayes score of this DGP is
    linear, so the Bayes risk is the best linear risk); random-feature and MLP learners run in the same grid."""
    truth = D.mean_shift(3)
    lin = learn.logistic(ridge=1e-3)
    generic = learn.Model("logistic (contract only)", lin.fit, lin.score, lin.loss, lin.hyper, lin.fit_path)
    design = dict(dgp=truth, synthesizers={"smote": S.smote(3)}, gamma=(0.0, 1.0), sizes=((200, 20),), reps=4)
    exact = run(Study("exact", learner=lin, **design)).summary
    sampled = run(Study("sampled", learner=generic, n_eval=20_000, **design)).summary
    for column in ("risk", "excess_risk", "auroc"):
        np.testing.assert_allclose(sampled[column], exact[column], atol=0.012)
    assert (sampled.excess_risk > 0).all()
    others = run(Study("others", learner=learn.random_fourier_logistic(10, C=2.0), n_eval=500, n_test=50,
                       **dict(design, synthesizers={"smote": S.smote(3), "jitter": S.jitter(0.5)}, reps=2)))
    assert others.manifest["theta_star"] is None and "evaluation sample" in others.manifest["population"]
    assert np.isfinite(others.summary[["risk", "excess_risk", "auroc", "test_auroc"]].to_numpy()).all()


def test_mlp_initial_weights_lecun_or_pytorch():
    """``init="lecun"`` (the default) draws Flax's kernels N(0, 1/fan_in) and zero biases; ``init="torch"`` draws
    PyTorch's nn.Linear law, kernels and biases U(−1/√fan_in, 1/√fan_in) (mean 0, SD 1/√(3 fan_in)); a one-step fit
    starts from them; any other value is refused naming ``init``."""
    X = jax.random.normal(jax.random.key(0), (64, 200))
    y = (X[:, 0] > 0).astype(X.dtype)
    for init in ("lecun", "torch"):
        model = learn.bind(learn.mlp((400,), init=init, steps=1, learning_rate=1e-12), jax.random.key(1), X)
        params = model.fit(X, y)[0].net["params"]
        for layer, fan_in in (("Dense_0", 200), ("Dense_1", 400)):
            kernel, bias = np.asarray(params[layer]["kernel"]), np.asarray(params[layer]["bias"])
            if init == "lecun":
                assert np.std(kernel) == pytest.approx(1 / np.sqrt(fan_in), rel=0.1) and np.abs(bias).max() < 1e-6
            else:
                bound = 1 / np.sqrt(fan_in)
                assert np.abs(kernel).max() <= bound * (1 + 1e-6) and np.abs(kernel).max() > 0.95 * bound
                assert np.std(kernel) == pytest.approx(bound / np.sqrt(3), rel=0.1)
                assert np.abs(bias).max() <= bound * (1 + 1e-6) and (bias.size == 1 or np.std(bias) > 0.5 * bound)
    assert learn.mlp((4,), init="torch").name.endswith("-torch-init")
    with pytest.raises(InvalidParameterError, match="'init'"):
        learn.mlp((4,), init="xavier")
