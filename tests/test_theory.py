"""The theory engine against closed forms, Monte Carlo and simulation."""
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from synthjax import dgp as D
from synthjax import learn
from synthjax import synth as S
from synthjax import theory as T
from synthjax.dgp import GaussianLaw, SampleLaw
from synthjax.runner import Study, run

LS01 = dict(ridge=1e-6, intercept=False)            # Ma & Zhang's linear studies: y ∈ {0, 1}, no intercept


@pytest.mark.parametrize("case", ["logistic", "least_squares"])
def test_gaussian_score_moments_match_monte_carlo(x64, case):
    if case == "logistic":
        truth, lrn = D.gaussian(np.zeros(3), np.array([1.0, 0.5, 0.0]), cov1=np.diag([2.0, 1.0, 0.5])), learn.logistic()
    else:
        truth, lrn = D.mean_shift(3), learn.least_squares(**LS01)
    geo = T.score_geometry(truth, lrn)
    n = 1_000_000
    X = truth.sample_class(jax.random.key(0), 1, n)
    mc = T.law_moments(SampleLaw(X), lrn.loss, geo.theta, 1, lrn.intercept)
    # the mean within 5 Monte-Carlo SEs (false-failure rate ≈ 6e-7 per coordinate)
    assert np.all(np.abs(mc.mean - geo.P1.mean) <= 5 * mc.mean_se + 1e-12)
    np.testing.assert_allclose(mc.hessian, geo.P1.hessian, atol=0.01)
    np.testing.assert_allclose(mc.cov, geo.P1.cov, atol=0.02)
    # the balanced θ* is stationary: m0 + m1 = 0 (exactly, up to quadrature rounding)
    np.testing.assert_allclose(geo.P0.mean + geo.P1.mean, 0, atol=1e-10)


def test_biased_aligned_design_closed_form(x64):
    """SPEC §8.1: P0 = N(0, I), P1 = N(e1, I), Q = N(½e1, I), LS with y ∈ {0,1}: by hand,
    θ* = e1/3, m1 = −(2/3)e1, g_φ = (4/3)e1, g_ψ = ½e1, so ñ_theory = (n0 − n1)/(1 − ¾) = 4(n0 − n1)."""
    truth = D.mean_shift(2)
    lrn = learn.least_squares(**LS01)
    geo = T.score_geometry(truth, lrn)
    np.testing.assert_allclose(geo.theta.coef, [1 / 3, 0], atol=1e-12)
    np.testing.assert_allclose(geo.g_phi, [4 / 3, 0], atol=1e-12)
    Q = T.generator_moments(geo, GaussianLaw(jnp.asarray([0.5, 0.0]), jnp.eye(2)), lrn)
    g_psi = T.mismatch(geo, Q)
    np.testing.assert_allclose(g_psi, [0.5, 0], atol=1e-12)
    assert float(T.theory_target_size(geo.g_phi, g_psi, 2000, 100)) == pytest.approx(4 * 1900, rel=1e-12)
    assert np.isnan(float(T.theory_target_size(geo.g_phi, 2 * geo.g_phi, 2000, 100)))   # denominator < 0


def test_first_order_bias_matches_population_root(x64):
    truth = D.mean_shift(2)
    lrn = learn.least_squares(**LS01)
    geo = T.score_geometry(truth, lrn)
    law = GaussianLaw(jnp.asarray([0.5, 0.0]), jnp.eye(2))
    sizes = jnp.asarray([0.0, 1900.0, 4 * 1900.0, 6 * 1900.0])
    exact = T.population_excess_curve(truth, lrn, 2000, 100, sizes, law)
    first = T.first_order_risk(geo, T.generator_moments(geo, law, lrn), 2000, 100, sizes)
    np.testing.assert_allclose(first.bias, exact, rtol=2e-3, atol=1e-6)
    assert float(exact[2]) < 0.01 * float(exact[1])                  # ñ_theory cancels the O(1) bias


def test_first_order_prediction_matches_simulation():
    """Biased aligned design at n1 = 400, n0 = 8000: the simulated mean excess risk (exact per replicate,
    R = 256) agrees with ½bᵀA⁻¹HA⁻¹b + ½tr(HA⁻¹SA⁻¹) within 4 MCSE + 5% (the expansion's own error)."""
    truth = D.mean_shift(2)
    lrn = learn.least_squares(**LS01)
    law = GaussianLaw(jnp.asarray([0.5, 0.0]), jnp.eye(2))
    gen = S.biased_gaussian(truth, 0.5)
    res = run(Study("fo", truth, {"biased": gen}, lrn, (1.0, 4.0), ((8000, 400),), reps=256))
    geo = T.score_geometry(truth, lrn)
    pred = T.first_order_risk(geo, T.generator_moments(geo, law, lrn), 8000, 400, jnp.asarray([7600.0, 4 * 7600.0]))
    for (_, row), want in zip(res.summary.iterrows(), np.asarray(pred.total)):
        assert abs(row.excess_risk - want) <= 4 * row.excess_risk_mcse + 0.05 * want


def test_symmetry_test_size_and_power():
    """Null: X0 = −e1 + ξ, X1 = e1 + ξ, LS with targets ∓1 and no intercept is locally symmetric
    (g_φ = 0): the 5% test's rejection rate over 400 data sets lies in [0.02, 0.09] (±3.5 binomial SE;
    false-failure rate ≈ 5e-4). Alternative: the §8.1 design (g_φ ≠ 0) is rejected almost always."""
    lrn_null = learn.least_squares(ridge=1e-6, intercept=False, targets=(-1.0, 1.0))
    null = D.gaussian(-np.eye(3)[0], np.eye(3)[0])
    alt, lrn_alt = D.mean_shift(3), learn.least_squares(**LS01)

    def rejections(truth, lrn, reps=400):
        def one(key):
            X0, X1 = truth.sample(key, 1000, 200)
            return T.symmetry_test(lrn, X0, X1).reject
        return float(jnp.mean(jax.jit(jax.vmap(one))(jax.random.split(jax.random.key(0), reps))))

    assert 0.02 <= rejections(null, lrn_null) <= 0.09
    assert rejections(alt, lrn_alt, 100) > 0.95


def test_regime_candidates_are_the_spec_sets():
    """SPEC §5's candidate sets, each the valid slots of one 41-slot array, in the published order."""
    from synthjax.theory._tuners import regime_candidates
    grid = lambda a, b: np.round(np.arange(a, b + 1e-9, 0.05), 2)      # noqa: E731
    for regime, gamma_theory, expected in [
            (T.SYMMETRIC, 0.7, grid(0, 0.2)),
            (T.REALISTIC, 0.5, np.r_[grid(0.8, 1.2), 0.5 * grid(0.8, 1.2)]),
            (T.REALISTIC, np.nan, grid(0.8, 1.2)),            # no theory target: around balancing only
            (T.REALISTIC, -0.3, grid(0.8, 1.2)),
            (T.BIASED, 0.5, grid(0, 2))]:
        candidates, valid = jax.jit(regime_candidates, static_argnums=2)(regime, gamma_theory, jnp.float32)
        assert candidates.shape == valid.shape == (41,)
        np.testing.assert_allclose(np.asarray(candidates)[np.asarray(valid)], expected, rtol=1e-6)


def test_tg_vtss_regimes_and_gain_over_balancing():
    truth = D.mean_shift(2)
    lrn = learn.least_squares(**LS01)
    risk_star = truth.population_risk(lrn.loss, truth.theta_star(lrn))

    def one(key, gen):
        X0, X1 = truth.sample(key, 2000, 100)
        tuned = T.tg_vtss(jax.random.fold_in(key, 1), gen, lrn, X0, X1)
        base = T.balancing(jax.random.fold_in(key, 2), gen, lrn, X0, X1)
        excess = lambda p: truth.population_risk(lrn.loss, p) - risk_star
        chosen_ok = jnp.any(tuned.valid & (jnp.abs(tuned.candidates - tuned.fit.gamma) < 1e-6))
        return tuned.regime, tuned.gqs, excess(tuned.fit.params), excess(base.params), chosen_ok

    keys = jax.random.split(jax.random.key(3), 12)
    biased = jax.jit(jax.vmap(lambda k: one(k, S.biased_gaussian(truth, 0.5))))(keys)
    oracle = jax.jit(jax.vmap(lambda k: one(k, S.oracle(truth))))(keys)
    assert np.all(np.asarray(biased[0]) == T.BIASED) and np.all(np.asarray(biased[4]))
    assert np.median(np.asarray(oracle[1])) < np.median(np.asarray(biased[1]))          # GQS orders generators
    assert np.mean(np.asarray(biased[2])) < 0.5 * np.mean(np.asarray(biased[3]))         # beats balancing


def test_metric_regret_regimes(x64):
    """SPEC §6: well specified (Σ0 = Σ1, logistic with intercept) and Q = P1: augmentation moves only the
    intercept, so every ranking/threshold regret is 0 at every ñ. Misspecified (Σ0 ≠ Σ1): the AUROC regret
    is not monotone in ñ (an interior minimum)."""
    lrn = learn.logistic(ridge=1e-4)
    sizes = jnp.asarray(np.linspace(0, 3800, 9))
    well = D.gaussian(np.zeros(4), np.r_[1.0, 0.5, 0, 0])
    def curve(truth):                                 # one compiled program per DGP, not one per operation
        truth.theta_star(lrn)                         # memoised on the host, outside the compiled curve
        return jax.jit(lambda: T.metric_regret_curve(truth, lrn, 2000, 100, sizes, truth.class_law(1)))()
    for v in curve(well).values():
        np.testing.assert_allclose(v, 0, atol=1e-9)
    mis = D.gaussian(np.zeros(4), np.r_[1.0, 0.5, 0, 0], cov1=np.diag([4.0, 0.25, 1, 1]))
    auroc = np.asarray(curve(mis)["auroc"])
    assert np.all(auroc > 0) and 0 < np.argmin(auroc) < len(auroc) - 1
    weight, share = T.augmentation_weights(2000, 100, jnp.asarray([0.0, 1900.0]))
    np.testing.assert_allclose(weight, [100 / 2100, 0.5])
    np.testing.assert_allclose(share, [0.0, 0.95])


def test_fold_counts_are_checked_at_the_edge():
    X0 = jax.random.normal(jax.random.key(0), (200, 2))
    X1 = jax.random.normal(jax.random.key(1), (8, 2)) + 1.0
    ros, lrn = S.random_oversampling(), learn.logistic(ridge=1e-3)
    from synthjax import InvalidParameterError
    with pytest.raises(InvalidParameterError, match="'K' parameter of generator_quality must be an int in \\[2, 4\\]"):
        T.generator_quality(jax.random.key(2), ros, lrn, X0, X1, K=9)
    with pytest.raises(InvalidParameterError, match="'K' parameter of generator_quality"):
        jax.jit(lambda a, b: T.generator_quality(jax.random.key(2), ros, lrn, a, b, K=5).gqs)(X0, X1)
    with pytest.raises(InvalidParameterError, match="'folds' parameter of tg_vtss must be an int in \\[2, 8\\]"):
        T.tg_vtss(jax.random.key(2), ros, lrn, X0, X1, folds=20)
    with pytest.raises(InvalidParameterError, match="'folds' parameter of select_size must be an int in \\[2, 8\\]"):
        T.vtss(jax.random.key(2), ros, lrn, X0, X1, folds=9)
    assert np.isfinite(float(jax.jit(lambda a, b: T.generator_quality(jax.random.key(2), ros, lrn, a, b, K=4).gqs)(
        X0, X1)))


class _Generic:
    """A linear learner seen only through the learner contract (fit, score, per-point loss): the theory must
    take the autodiff path for it and give the closed-form path's numbers."""

    def __init__(self, linear):
        self.linear, self.loss = linear, linear.loss

    def fit(self, X, y, w=None, hyper=None):      # params: every leaf trainable (coef alone without intercept)
        params, info = self.linear.fit(X, y, w, hyper)
        return (params if self.linear.intercept else params.coef), info

    def score(self, params, X):
        return self.linear.score(params if self.linear.intercept else learn.LinearParams(params, 0.0), X)


@pytest.mark.parametrize("make", [lambda: learn.logistic(ridge=1e-3), lambda: learn.logistic(intercept=False),
                                  lambda: learn.least_squares(**LS01)], ids=["logistic", "no-intercept", "ls"])
def test_autodiff_moments_and_diagnostics_equal_the_linear_fast_path(x64, make):
    truth = D.gaussian(np.zeros(3), np.array([1.0, 0.5, 0.0]), cov1=np.diag([2.0, 1.0, 0.5]))
    X0, X1 = truth.sample(jax.random.key(0), 300, 40)
    linear = make()
    generic = _Generic(linear)
    params, _ = linear.fit(jnp.concatenate([X0, X1]), jnp.r_[jnp.zeros(300), jnp.ones(40)])
    w = jax.random.uniform(jax.random.key(1), (300,), jnp.float64)
    fast, auto = T.sample_moments(linear.loss, params, X0, 0, linear.intercept, w), T.autodiff_moments(
        linear, params, X0, 0, w)
    for a, b in zip(fast, auto):
        np.testing.assert_allclose(a, b, atol=1e-10, rtol=1e-10)
    ros = S.random_oversampling()

    @jax.jit
    def diagnostics(X0, X1):        # compiled: both learners' symmetry test and GQS in one program
        tests = [T.symmetry_test(lrn, X0, X1) for lrn in (linear, generic)]
        quality = [T.generator_quality(jax.random.key(2), ros, lrn, X0, X1, K=3) for lrn in (linear, generic)]
        return [jnp.concatenate([t.statistic[None], t.g_phi, jnp.stack([q.gqs, q.bias, q.variance])])
                for t, q in zip(tests, quality)]
    fast_path, generic_path = diagnostics(X0, X1)
    np.testing.assert_allclose(fast_path, generic_path, rtol=1e-10, atol=1e-12)


def test_theory_refuses_a_learner_without_the_contract():
    class NoLoss:
        def fit(self, X, y, w=None, hyper=None):
            return None, None

        def score(self, params, X):
            return X[:, 0]
    X0, X1 = jnp.zeros((20, 2)), jnp.ones((10, 2))
    from synthjax import InvalidParameterError
    with pytest.raises(InvalidParameterError, match="'learner' parameter of symmetry_test .* without loss"):
        T.symmetry_test(NoLoss(), X0, X1)
    with pytest.raises(InvalidParameterError, match="'learner' parameter of generator_quality .* without loss"):
        T.generator_quality(jax.random.key(0), S.random_oversampling(), NoLoss(), X0, X1, K=2)


def test_repeated_cv_averages_independent_fold_assignments():
    """repeats = 1 is plain K-fold CV; repeats = R averages R K-fold runs, repeat r on fold_in(key, r)."""
    from synthjax.theory._tuners import _validation_losses
    X0 = jax.random.normal(jax.random.key(0), (60, 2))
    X1 = jax.random.normal(jax.random.key(1), (16, 2)) + 1.0
    smote, lrn = S.smote(3), learn.logistic(ridge=1e-3)
    gammas, key = jnp.array([0.0, 1.0]), jax.random.key(4)

    @partial(jax.jit, static_argnums=1)          # one compilation per repeat count, not one per call
    def losses(k, repeats=1):
        return _validation_losses(k, smote, lrn, X0, X1, gammas, 2.0, 4, 0.2, None, None, repeats)
    singles = [losses(key)] + [losses(jax.random.fold_in(key, r)) for r in (1, 2)]
    np.testing.assert_allclose(losses(key, 3), np.mean(singles, axis=0), rtol=1e-5)
    assert not np.allclose(singles[0], singles[1])
    three = jax.jit(lambda k: T.select_size(k, smote, lrn, X0, X1, gammas, folds=4, repeats=3).losses)(key)
    np.testing.assert_allclose(three, losses(jax.random.split(key)[0], 3), rtol=1e-5)   # its CV key: the first half
    from synthjax import InvalidParameterError
    with pytest.raises(InvalidParameterError, match="'repeats'"):
        T.select_size(key, smote, lrn, X0, X1, gammas, folds=4, repeats=0)


class _SineFeatures:
    """No-intercept logistic regression on D odd random Fourier features φ(x) = √(2/D) sin(Ωᵀx), Ω ~ N(0, 2γI),
    drawn per data set: a learner of the contract with random parts."""
    name = "sine-feature logistic"

    def __init__(self, n_features=8, bandwidth=0.2):
        self.n_features, self.bandwidth = n_features, bandwidth
        self.base = learn.logistic(ridge=1e-6, intercept=False)
        self.loss, self.hyper = self.base.loss, self.base.hyper

    def draw(self, key, X):
        omega = np.sqrt(2 * self.bandwidth) * jax.random.normal(key, (X.shape[1], self.n_features), X.dtype)
        phi = lambda A: np.sqrt(2.0 / self.n_features) * jnp.sin(A @ omega)
        base = self.base
        return learn.Model(self.name, lambda A, y, w=None, hyper=None: base.fit(phi(A), y, w, hyper),
                           lambda p, A: base.score(p, phi(A)), base.loss, base.hyper,
                           lambda A, y, W, hyper=None: base.fit_path(phi(A), y, W, hyper), intercept=False,
                           features=phi)


@pytest.mark.slow
def test_wald_test_keeps_its_size_on_random_fourier_features():
    """Null on random Fourier features: mirror-image classes (X1 = −X0 in law) and odd features with a
    no-intercept logistic loss give E_{P1} s = E_{P0} s, so m0 = m1 = 0 and g_φ = 0 whatever Ω. The 5% test's
    rejection rate over 400 data sets (features redrawn per data set) lies in [0.02, 0.09] (±3.5 binomial SE).
    d = 5, D = 8 features, bandwidth 1/d, n0 = 4000, n1 = 2000. (At n1 = 400 the rate is 8–9%, as for linear
    logistic regression on 8 raw features: a finite-sample excess of the logistic Wald test at p = 8, not of the
    features; with 8 features of a 2-D input, a near-singular Σ, it reaches 19%.) Alternative: shifting the
    minority breaks the mirror and is rejected almost always."""
    lrn = _SineFeatures()
    mu = np.array([1.0, 0.5, 0.0, 0.0, 0.0])

    def rejections(shift, reps=400):
        truth = D.gaussian(-mu, mu + shift)

        def one(key):
            kd, kf = jax.random.split(key)
            X0, X1 = truth.sample(kd, 4000, 2000)
            return T.symmetry_test(lrn, X0, X1, key=kf).reject
        return float(jnp.mean(jax.jit(jax.vmap(one))(jax.random.split(jax.random.key(7), reps))))

    assert 0.02 <= rejections(np.zeros(5)) <= 0.09
    assert rejections(np.array([0.5, -0.5, 0.0, 0.0, 0.0]), 100) > 0.95
