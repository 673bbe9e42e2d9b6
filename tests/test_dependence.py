"""Dependence-aware first-order theory (SPEC §11): closed forms against Monte Carlo, the oracle's limit, SMOTE's
quadrature, a small simulation, the plug-in size and its bootstrap, and bad input."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from synthjax import dgp as D
from synthjax import learn, synth, theory
from synthjax import metrics as M
from synthjax._validate import InvalidParameterError

N0, N1 = 400, 40
TRUTH = D.gaussian(np.zeros(4), np.ones(4) / 2.0)     # d = 4: no other test shares its programs
LEARNER = learn.logistic(ridge=1e-4)


@pytest.fixture(scope="module")
def geometry():
    TRUTH.theta_star(LEARNER)
    return theory.score_geometry(TRUTH, LEARNER)


def _dependence(generator, geometry, replicates, pool=512, seed=0):
    return jax.jit(lambda k: theory.generator_dependence(k, generator, TRUTH, LEARNER, geometry, N0, N1,
                                                         replicates=replicates, pool=pool))(jax.random.key(seed))


def _relative(a, b):
    return float(jnp.linalg.norm(a - b) / jnp.linalg.norm(b))


def test_oversampling_closed_form_equals_monte_carlo(geometry):
    """V_ψ = Σ1/n1, C = Σ1, E[Σ_Q̂] = (1 − 1/n1)Σ1 against 4,000 simulated fits (exact per fit: the bootstrap's atoms).
    Each covariance entry's MC error is about √(2/R) ≈ 2% relative; the bands are 4× that."""
    exact = theory.oversampling_dependence(geometry, N1)
    mc = _dependence(synth.random_oversampling(), geometry, replicates=4000)
    assert _relative(mc.V_psi, exact.V_psi) < 0.09
    assert _relative(mc.C, exact.C) < 0.09
    assert _relative(mc.within, exact.within) < 0.03
    assert np.all(np.abs(np.asarray(mc.mean - exact.mean)) < 5 * np.asarray(mc.mean_se) + 1e-7)
    sizes = jnp.asarray([0.5, 1.0, 1.5]) * (N0 - N1)
    np.testing.assert_allclose(theory.first_order_risk(geometry, mc, N0, N1, sizes).total,
                               theory.first_order_risk(geometry, exact, N0, N1, sizes).total, rtol=0.08)


def test_oracle_has_no_dependence(geometry):
    """Fresh draws: the prediction equals SPEC §5's to rounding, and the Monte-Carlo V_ψ and C vanish within their
    noise (V_ψ's pool correction leaves O(Σ/M · √(2/R)); C's noise is O(√(n1/(M R))) Σ1)."""
    law = theory.generator_moments(geometry, TRUTH.class_law(1), LEARNER)
    sizes = jnp.arange(0.0, 2 * (N0 - N1) + 1, 90.0)
    marginal = theory.first_order_risk(geometry, law, N0, N1, sizes)
    dependent = theory.first_order_risk(geometry, theory.independent(law), N0, N1, sizes)
    np.testing.assert_allclose(dependent.total, marginal.total, rtol=1e-6)
    mc = _dependence(synth.oracle(TRUTH), geometry, replicates=1000, pool=256)
    scale = float(jnp.trace(geometry.P1.cov))
    assert abs(float(jnp.trace(mc.V_psi))) < 5 * scale / 256 * np.sqrt(2 / 1000)
    assert float(jnp.linalg.norm(mc.C)) < 0.1 * scale          # random oversampling's C is Σ1 (norm ≈ scale)
    ros = theory.oversampling_dependence(geometry, N1)
    at_balance = jnp.asarray([N0 - N1], jnp.float32)
    assert (theory.first_order_risk(geometry, ros, N0, N1, at_balance).total[0]
            > 5 * theory.first_order_risk(geometry, mc, N0, N1, at_balance).total[0])


def test_smote_quadrature_equals_a_large_pool():
    """SMOTE's conditional law at 8 Gauss–Legendre nodes per segment against 400,000 draws of the same fit."""
    X0, X1 = TRUTH.sample(jax.random.key(3), N0, N1)
    smote = synth.smote(5)
    state = smote.fit(jax.random.key(4), X1)
    theta = TRUTH.theta_star(LEARNER)
    X, w = smote.conditional_law(state)
    assert X.shape == (N1 * 5 * 8, 4) and float(jnp.sum(w)) == pytest.approx(1.0, abs=1e-6)
    exact = theory.learner_moments(LEARNER, theta, X, 1, w, ddof=0)
    pool = theory.learner_moments(LEARNER, theta, smote.sample(jax.random.key(5), state, 400_000).X, 1)
    assert np.all(np.abs(np.asarray(exact.mean - pool.mean)) < 4.5 * np.asarray(pool.mean_se))
    assert _relative(exact.cov, pool.cov) < 0.01 and _relative(exact.hessian, pool.hessian) < 0.01


def test_simulated_excess_risk_within_band_of_the_prediction(geometry):
    """Random oversampling at balancing, 400 replicates of the real fit: simulated / predicted within ±30% (the MC
    error of the simulated mean is ~5%; the marginal prediction is several times too small here); the sampled
    prediction (``sampled_excess_curve``) equals the exact one."""
    ros, n = synth.random_oversampling(), N0 - N1

    def replicate(k):
        k_data, k_fit, k_draw = jax.random.split(k, 3)
        X0, X1 = TRUTH.sample(k_data, N0, N1)
        Xs = ros.sample(k_draw, ros.fit(k_fit, X1), n).X
        X = jnp.concatenate([X0, X1, Xs])
        y = jnp.concatenate([jnp.zeros(N0), jnp.ones(N1 + n)])
        params, _ = LEARNER.fit(X, y)
        return TRUTH.population_risk(LEARNER.loss, params)

    risks = jax.jit(jax.vmap(replicate))(jax.random.split(jax.random.key(7), 400))
    simulated = float(jnp.mean(risks) - TRUTH.population_risk(LEARNER.loss, TRUTH.theta_star(LEARNER)))
    curve = jax.jit(lambda k: theory.dependent_excess_curve(k, TRUTH, LEARNER, N0, N1, jnp.asarray([float(n)]), ros,
                                                           replicates=256))(jax.random.key(8))
    predicted = float(curve.total[0])
    assert 0.7 < simulated / predicted < 1.3
    # the same prediction with the class laws replaced by 20,000-row samples (``sampled_excess_curve``, as for random
    # features), over the Bayes risk on an evaluation sample: within 5% once that sample's own offset
    # R_E(θ*) − R_Bayes,E is added; a huge penalty in A shrinks the variance term towards 0
    E0, E1 = TRUTH.sample(jax.random.key(9), 20_000, 20_000)
    evaluation = (jnp.concatenate([E0, E1]), jnp.concatenate([jnp.zeros(20_000), jnp.ones(20_000)]))
    offset = (M.balanced_risk(LEARNER.loss, LEARNER.score(geometry.theta, evaluation[0]), evaluation[1])
              - M.balanced_bayes_risk(LEARNER.loss, TRUTH.bayes_score(evaluation[0])))
    sampled = jax.jit(lambda k, penalty: theory.sampled_excess_curve(
        k, TRUTH, LEARNER, N0, N1, jnp.asarray([float(n)]), evaluation, ros, penalty, population=20_000,
        replicates=256))
    got, stiff = (sampled(jax.random.key(8), jnp.full(5, p)).dependent for p in (0.0, 1e9))
    np.testing.assert_allclose(got.variance, curve.variance, rtol=0.05)
    np.testing.assert_allclose(got.total - offset, curve.total, rtol=0.05)
    assert float(stiff.variance[0]) < 1e-4 * float(got.variance[0])
    marginal = theory.first_order_risk(geometry, theory.generator_moments(geometry, TRUTH.class_law(1), LEARNER),
                                       N0, N1, float(n)).total
    assert simulated / float(marginal) > 3


def test_bootstrap_dependence_of_oversampling():
    """From one data set: V_ψ → Σ̂1/n1 and C → Σ̂1 (in-sample, ddof 0) over 2,000 bootstrap resamples."""
    X0, X1 = TRUTH.sample(jax.random.key(11), N0, N1)
    theta = TRUTH.theta_star(LEARNER)
    dep = jax.jit(lambda k: theory.bootstrap_dependence(k, synth.random_oversampling(), LEARNER, theta, X0, X1,
                                                        bootstrap=2000))(jax.random.key(12))
    sigma = theory.learner_moments(LEARNER, theta, X1, 1, ddof=0).cov
    assert _relative(dep.V_psi, sigma / N1) < 0.1
    assert _relative(dep.C, sigma) < 0.1


def test_plugin_size_under_vmap_and_one_of_map():
    """The plug-in tuner runs inside vmapped replicates and under jax.lax.map over synth.one_of (one compiled body),
    and its choices are candidate sizes."""
    smote, ros = synth.smote(5), synth.random_oversampling()
    keys = jax.random.split(jax.random.key(21), 3)
    data = jax.vmap(lambda k: TRUTH.sample(k, N0, N1))(keys)

    def tune(k, X0, X1):
        return theory.plugin_size(k, smote, LEARNER, X0, X1, bootstrap=16).gamma
    gammas = jax.jit(jax.vmap(tune))(keys, *data)
    assert gammas.shape == (3,) and np.all((np.asarray(gammas) >= 0) & (np.asarray(gammas) <= 2))

    X0, X1 = TRUTH.sample(jax.random.key(22), N0, N1)
    chosen = jax.jit(lambda: jax.lax.map(
        lambda i: theory.plugin_size(jax.random.key(23), synth.one_of([smote, ros], i), LEARNER, X0, X1,
                                     bootstrap=16).n_syn, jnp.arange(2)))()
    assert chosen.shape == (2,) and np.all(np.asarray(chosen) >= 0)


def test_dependence_bad_input(geometry):
    ros = synth.random_oversampling()
    X0, X1 = TRUTH.sample(jax.random.key(0), N0, N1)
    with pytest.raises(InvalidParameterError, match="'pool'"):
        theory.generator_dependence(jax.random.key(0), ros, TRUTH, LEARNER, geometry, N0, N1, pool=1)
    with pytest.raises(InvalidParameterError, match="'replicates'"):
        theory.generator_dependence(jax.random.key(0), ros, TRUTH, LEARNER, geometry, N0, N1, replicates=1)
    with pytest.raises(InvalidParameterError, match="'bootstrap'"):
        theory.plugin_size(jax.random.key(0), ros, LEARNER, X0, X1, bootstrap=1)
    wide = synth.Synthesizer("wide", ros.fit, lambda k, s, m: ros.sample(k, s, m)._replace(
        X=jnp.zeros((m, 5))))
    with pytest.raises(InvalidParameterError, match="'synthesizer'.*width d = 4"):
        theory.generator_dependence(jax.random.key(0), wide, TRUTH, LEARNER, geometry, N0, N1)
    with pytest.raises(InvalidParameterError, match="soft labels"):
        theory.bootstrap_dependence(jax.random.key(0), synth.mixup(0.5), LEARNER, geometry.theta, X0, X1)

    class NoLoss:
        def score(self, params, X):
            return X[:, 0]
    with pytest.raises(InvalidParameterError):
        theory.bootstrap_dependence(jax.random.key(0), ros, NoLoss(), geometry.theta, X0, X1)
    assert not theory.reads_majority(ros, X1) and theory.reads_majority(synth.adasyn(5), X1)
    evaluation = (jnp.concatenate([X0, X1]), jnp.r_[jnp.zeros(N0), jnp.ones(N1)])
    for bad, match in ((dict(population=1), "'population'"), (dict(penalty=jnp.ones(3)), "'penalty'.*shape \\(5,\\)")):
        with pytest.raises(InvalidParameterError, match=match):
            jax.eval_shape(lambda k: theory.sampled_excess_curve(k, TRUTH, LEARNER, N0, N1, jnp.ones(1), evaluation,
                                                                 **{"population": 100, **bad}), jax.random.key(0))


def test_metric_regret_prediction_matches_simulation(geometry):
    """Well specified: the predicted AUROC and best-threshold-BA regret of augmented ridge logistic regression (the
    variance term, ½tr(∇²M A⁻¹SA⁻¹)) against 400 simulated fits, for the oracle and for random oversampling at γ = 1
    (its dependence makes the regret several times larger); ±30% (the simulated means' MC error is ~5–7%)."""
    n = N0 - N1
    law = theory.generator_moments(geometry, TRUTH.class_law(1), LEARNER)
    predicted = {
        "oracle": theory.metric_regret_prediction(TRUTH, LEARNER, geometry, law, N0, N1, [float(n)]),
        "ros": theory.metric_regret_prediction(TRUTH, LEARNER, geometry, theory.oversampling_dependence(geometry, N1),
                                               N0, N1, [float(n)])}
    bayes = TRUTH.bayes_metrics(0.5)

    def replicate(k, generator):
        k_data, k_fit, k_draw = jax.random.split(k, 3)
        X0, X1 = TRUTH.sample(k_data, N0, N1)
        Xs = generator.sample(k_draw, generator.fit(k_fit, X1), n).X
        params, _ = LEARNER.fit(jnp.concatenate([X0, X1, Xs]), jnp.concatenate([jnp.zeros(N0), jnp.ones(N1 + n)]))
        metrics = TRUTH.population_metrics(params, 0.5)
        return jnp.stack([bayes["auroc"] - metrics["auroc"], bayes["best_ba"] - metrics["best_ba"]])

    keys = jax.random.split(jax.random.key(31), 400)
    for name, generator in (("oracle", synth.oracle(TRUTH)), ("ros", synth.random_oversampling())):
        simulated = np.asarray(jnp.mean(jax.jit(jax.vmap(lambda k: replicate(k, generator)))(keys), axis=0))
        for i, metric in enumerate(("auroc", "best_ba")):
            ratio = simulated[i] / float(predicted[name][metric][0])
            assert 0.7 < ratio < 1.3, (name, metric, simulated[i])
    assert float(predicted["ros"]["auroc"][0]) > 5 * float(predicted["oracle"]["auroc"][0])
    at_root = jax.jit(lambda k: theory.dependent_metric_regret(k, TRUTH, LEARNER, N0, N1, jnp.asarray([float(n)]),
                                                              Q_law=TRUTH.class_law(1)))(jax.random.key(0))
    for metric in ("auroc", "best_ba"):       # at balancing the oracle's population root is θ* (up to the ridge)
        np.testing.assert_allclose(at_root[metric], predicted["oracle"][metric], rtol=0.02)

