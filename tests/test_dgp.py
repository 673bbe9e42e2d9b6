import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate as si
import scipy.special
import scipy.stats as st

from synthjax import InvalidParameterError
from synthjax import dgp as D
from synthjax import metrics as M
from synthjax.learn import LinearParams, least_squares, logistic


@pytest.mark.parametrize("mean", [-4.0, 0.0, 0.7, 25.0])
@pytest.mark.parametrize("sd", [0.0, 1e-3, 1.0, 6.0, 60.0])
def test_quadrature_matches_scipy(x64, mean, sd):
    got = float(D.gaussian_expectation(jax.nn.softplus, jnp.asarray(mean), jnp.asarray(sd)))
    if sd == 0:
        want = np.logaddexp(0, mean)
    else:
        points = [-mean / sd] if abs(mean / sd) < 12 else None
        want = si.quad(lambda z: np.logaddexp(0, mean + sd * z) * st.norm.pdf(z), -14, 14,
                       points=points, epsabs=1e-14, epsrel=1e-13, limit=400)[0]
    assert abs(got - want) <= 1e-12 * max(1.0, abs(want))


@pytest.mark.parametrize("mean, sd", [(-4.0, 1.0), (0.7, 1e-3), (0.7, 6.0), (25.0, 60.0)])
def test_quadrature_derivatives_match_scipy(x64, mean, sd):
    """Gradient and Hessian in (mean, sd) of E softplus(mean + sd Z) — the split point held fixed under
    differentiation — against scipy's quadrature of the differentiated integrands."""
    f = lambda v: D.gaussian_expectation(jax.nn.softplus, v[0], v[1])          # noqa: E731
    v = jnp.asarray([mean, sd])
    grad, hess = np.asarray(jax.grad(f)(v)), np.asarray(jax.hessian(f)(v))
    sig = lambda z: scipy.special.expit(mean + sd * z)                            # noqa: E731
    dsig = lambda z: sig(z) * (1 - sig(z))                                       # noqa: E731
    integrands = {(0,): sig, (1,): lambda z: z * sig(z), (0, 0): dsig, (0, 1): lambda z: z * dsig(z),
                  (1, 1): lambda z: z * z * dsig(z)}
    points = [-mean / sd] if abs(mean / sd) < 12 else None
    want = {k: si.quad(lambda z: g(z) * st.norm.pdf(z), -14, 14, points=points, epsabs=1e-14, epsrel=1e-13,
                       limit=400)[0] for k, g in integrands.items()}
    got = {(0,): grad[0], (1,): grad[1], (0, 0): hess[0, 0], (0, 1): hess[0, 1], (1, 1): hess[1, 1]}
    for k in want:
        assert abs(got[k] - want[k]) <= 1e-10 * max(1.0, abs(want[k])), k
    assert hess[0, 1] == pytest.approx(hess[1, 0], rel=1e-13)


def test_equal_covariance_theta_star_is_the_llr(x64):
    cov = np.array([[1.5, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 0.8]])
    mu0, mu1 = np.array([0.0, 0.5, -0.2]), np.array([1.0, -0.5, 0.4])
    dgp = D.gaussian(mu0, mu1, cov, cov)
    ts = dgp.theta_star(logistic())
    prec = np.linalg.inv(cov)
    np.testing.assert_allclose(ts.coef, prec @ (mu1 - mu0), atol=1e-10)
    np.testing.assert_allclose(ts.intercept, -0.5 * (mu1 @ prec @ mu1 - mu0 @ prec @ mu0), atol=1e-10)
    X = jnp.asarray(np.random.default_rng(0).normal(size=(5, 3)))
    want = st.multivariate_normal(mu1, cov).logpdf(X) - st.multivariate_normal(mu0, cov).logpdf(X)
    np.testing.assert_allclose(dgp.bayes_score(X), want, atol=1e-10)
    np.testing.assert_allclose(dgp.bayes_score(X), X @ ts.coef + ts.intercept, atol=1e-10)


def test_misspecified_theta_star_matches_large_sample_fit(x64):
    """Unequal covariances: θ* (population, by quadrature) vs a balanced fit on 2 × 10⁶ points.
    The sampling SD of each coefficient is below 3e-3 here; tolerance 0.015 (> 5 SD)."""
    dgp = D.gaussian(np.zeros(3), np.array([1.0, 0.5, 0.0]), cov1=np.diag([2.0, 1.0, 0.5]))
    learner = logistic()
    ts = dgp.theta_star(learner)
    grad = jax.grad(lambda c, b: dgp.population_risk(learner.loss, LinearParams(c, b)), (0, 1))(ts.coef, ts.intercept)
    assert max(float(jnp.max(jnp.abs(grad[0]))), abs(float(grad[1]))) < 1e-12
    n = 1_000_000
    X0, X1 = dgp.sample(jax.random.key(0), n, n)
    fit, info = learner.fit(jnp.concatenate([X0, X1]), jnp.concatenate([jnp.zeros(n), jnp.ones(n)]))
    assert bool(info.converged)
    np.testing.assert_allclose(fit.coef, ts.coef, atol=0.015)
    np.testing.assert_allclose(fit.intercept, ts.intercept, atol=0.015)


def test_population_risk_and_auroc_match_monte_carlo(x64):
    dgp = D.gaussian(np.zeros(2), np.array([1.0, 1.0]), cov0=np.diag([1.0, 2.0]), cov1=0.5)
    params = LinearParams(jnp.asarray([0.8, -0.3]), jnp.asarray(-0.4))
    n = 400_000
    X0, X1 = dgp.sample(jax.random.key(1), n, n)
    labels = jnp.concatenate([jnp.zeros(n), jnp.ones(n)])
    s = jnp.concatenate([X0, X1]) @ params.coef + params.intercept
    for learner in (logistic(), least_squares(targets=(-1.0, 1.0))):
        per = learner.loss(s, labels)
        mc = M.balanced_risk(learner.loss, s, labels)
        se = 0.5 * np.sqrt(float(jnp.var(per[:n]) + jnp.var(per[n:])) / n)
        assert abs(float(dgp.population_risk(learner.loss, params)) - float(mc)) < 5 * se
    # AUROC: SE of the empirical AUROC is below 1e-3 here
    assert abs(float(dgp.population_auroc(params)) - float(M.auroc(s, labels))) < 3e-3


def test_least_squares_theta_star_mean_shift(x64):
    """Ma & Zhang §8.1: y ∈ {0,1}, no intercept: θ* = (½(M0 + M1))⁻¹ ½μ1, M_c = Σ + μ_cμ_cᵀ."""
    ts = D.mean_shift(2).theta_star(least_squares(ridge=1e-6, intercept=False))
    np.testing.assert_allclose(ts.coef, [1 / 3, 0.0], atol=1e-12)
    assert float(ts.intercept) == 0.0


def test_dgp_bad_input():
    with pytest.raises(InvalidParameterError, match="'mu0' and 'mu1'"):
        D.gaussian(np.zeros(2), np.zeros(3))
    with pytest.raises(InvalidParameterError, match="'cov1' parameter of gaussian must be symmetric positive definite"):
        D.gaussian(np.zeros(2), np.ones(2), cov1=np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(InvalidParameterError, match="'cov0' parameter"):
        D.gaussian(np.zeros(2), np.ones(2), cov0=np.ones((3, 3)))
    with pytest.raises(InvalidParameterError, match="'d' parameter of mean_shift"):
        D.mean_shift(0)


def test_population_metrics_match_monte_carlo(x64):
    """Closed-form / quadrature population metrics of a linear score vs 10⁶ draws per class
    (MC SEs ≤ 6e-4; tolerance 3e-3), and the Bayes score's metrics dominate the linear score's."""
    truth = D.gaussian(np.zeros(2), np.array([1.0, 0.5]), cov1=np.diag([2.0, 0.5]))
    params = LinearParams(jnp.asarray([0.8, -0.3]), jnp.asarray(-0.4))
    got = truth.population_metrics(params)
    n = 1_000_000
    X0, X1 = truth.sample(jax.random.key(5), n, n)
    s = jnp.concatenate([X0, X1]) @ params.coef + params.intercept
    y = jnp.concatenate([jnp.zeros(n), jnp.ones(n)])
    want = dict(auroc=M.auroc(s, y), auprc=M.auprc(s, y), best_ba=M.best_threshold_balanced_accuracy(s, y),
                best_f1=M.best_threshold_f1(s, y))
    for k in want:
        assert abs(float(got[k]) - float(want[k])) < 3e-3, k
    bayes = truth.bayes_metrics()
    assert all(float(bayes[k]) >= float(got[k]) - 2e-3 for k in got)


def test_two_point_logistic_is_locally_symmetric(x64):
    """SPEC §9.4: α = 0.855384; both class score means vanish at θ = c e1, so θ* = c e1 and g_φ = 0; the
    exact class laws match large samples; the Bayes score is the true log-likelihood ratio."""
    from synthjax.theory import law_moments
    truth = D.two_point_logistic(d=6, a=5.0, b=1.0, c=1.0)
    assert abs(truth.params.alpha - 0.855384) < 5e-7
    learner = logistic(C=1e6, intercept=False)
    theta = truth.theta_star(learner)
    np.testing.assert_allclose(theta.coef, np.eye(6)[0], atol=1e-10)
    m0, m1 = (law_moments(truth.class_law(c), learner.loss, theta, c, False).mean for c in (0, 1))
    assert np.linalg.norm(m0 - m1) < 1e-12
    X0, X1 = truth.sample(jax.random.key(3), 200_000, 200_000)
    for X, law in ((X0, truth.class_law(0)), (X1, truth.class_law(1))):
        np.testing.assert_allclose(X.mean(0), law.weights @ law.mu, atol=0.03)
    assert set(np.unique(np.asarray(X1[:, 0]))) == {-5.0, 1.0}
    # P(Y = 1 | x) = σ(x1) at the population prevalence π1: llr = x1 − log(π1/π0)
    pi1 = truth.params.prevalence
    share = float(jnp.mean(X1[:, 0] == -5.0))
    expected = truth.params.alpha * (1 - 1 / (1 + np.exp(-5.0))) / pi1
    assert abs(share - expected) < 0.005
    np.testing.assert_allclose(truth.bayes_score(jnp.array([[0.0] * 6])), [-np.log(pi1 / (1 - pi1))])
    with pytest.raises(InvalidParameterError, match="'a'"):
        D.two_point_logistic(a=0.0)


def test_oracles_of_a_second_dgp_of_one_family_compile_nothing(programs):
    """θ*, the population risk, the population metrics and the samplers take a DGP's arrays as arguments: a second DGP
    of the same family and dimension (other means, other covariances) reuses the first one's compiled programs, and
    its answers are its own (θ* of equal-covariance Gaussians is the LLR; its draws are its own law's)."""
    learner = logistic()
    first, second = (D.gaussian(np.zeros(3), mu, cov, cov) for mu, cov in ((np.r_[1.0, 0.0, 0.0], None),
                                                                       (np.r_[0.3, -0.5, 0.2], np.diag([2.0, 1.0, 0.5]))))
    mixtures = [D.gaussian_mixture(np.zeros(2), means) for means in ([[2.0, 1.0], [2.0, -1.0]], [[1.0, 0.5], [0.0, -1.0]])]

    def oracles(truth):
        theta = truth.theta_star(learner)
        draws = truth.sample(jax.random.key(0), 20, 5), truth.sample_class(jax.random.key(1), 1, 4)
        return theta, truth.population_risk(learner.loss, theta), truth.population_metrics(theta)["auroc"], draws
    jax.clear_caches()        # a test run before this one in the same process may have compiled them (then: cache reads)
    assert programs(lambda: oracles(first)) >= 5
    assert programs(lambda: oracles(mixtures[0])) >= 2
    assert programs(lambda: oracles(second)) == 0
    assert programs(lambda: oracles(mixtures[1])) == 0
    theta = second.theta_star(learner)
    np.testing.assert_allclose(theta.coef, np.r_[0.3, -0.5, 0.2] / np.r_[2.0, 1.0, 0.5], rtol=1e-4)
    assert float(oracles(first)[1]) != float(oracles(second)[1])
    Z = np.asarray(oracles(first)[3][0][1]) - np.r_[1.0, 0.0, 0.0]     # one key: X1 = μ1 + Z L1ᵀ, first's L1 = I
    np.testing.assert_allclose(oracles(second)[3][0][1], np.r_[0.3, -0.5, 0.2] + Z *
                               np.sqrt([2.0, 1.0, 0.5]), rtol=1e-5, atol=1e-6)


def test_theta_star_memo_is_bounded():
    """θ* is memoised per loss, the most recently used few only: a process that makes a new loss per call stays
    bounded, and a hit returns the stored solution."""
    from synthjax import learn
    truth = D.gaussian(np.zeros(2), np.ones(2))
    truth.theta_star.cache.keep = 2
    base = learn.logistic()
    learners = [base._replace(loss=lambda s, y, i=i: jax.nn.softplus(s) - y * s + 0 * i) for i in range(3)]
    solutions = [truth.theta_star(lrn) for lrn in learners]
    assert len(truth.theta_star.cache.entries) == 2
    assert truth.theta_star(learners[2]) is solutions[2]
    np.testing.assert_allclose(solutions[0].coef, solutions[2].coef, rtol=1e-6)
    assert jnp.all(jnp.isfinite(solutions[1].coef))


@pytest.mark.parametrize("m1, s1", [(1.0, 1.0), (3.0, 0.7), (6.0, 1.2)])
def test_auprc_equals_its_integral_and_its_second_derivatives_stay_finite(m1, s1):
    """AP = E_{S~P1}[π TPR(S)/(π TPR(S) + (1 − π) FPR(S))] against scipy's quad (float64); in float32 the Hessian of
    the AP in (m0, s0, m1, s1) is finite where both rates underflow at the quadrature's far nodes (the quotient
    form's second derivative divided by TPR² = 0 there: NaN) and equals the float64 Hessian."""
    pi = 0.3

    def reference(m0, s0, m1, s1):
        def precision(s):
            tpr, fpr = st.norm.sf((s - m1) / s1), st.norm.sf((s - m0) / s0)
            return pi * tpr / (pi * tpr + (1 - pi) * fpr)
        return si.quad(lambda s: precision(s) * st.norm.pdf(s, m1, s1), m1 - 12 * s1, m1 + 12 * s1, epsabs=1e-13)[0]

    def ap(p):
        return D.gaussian_score_metrics(p[0], p[1], p[2], p[3], pi)["auprc"]
    with jax.enable_x64(True):
        p64 = jnp.asarray([0.0, 1.0, m1, s1])
        assert float(ap(p64)) == pytest.approx(reference(0.0, 1.0, m1, s1), abs=1e-10)
        h64 = np.asarray(jax.hessian(ap)(p64))
    h32 = np.asarray(jax.hessian(ap)(jnp.asarray([0.0, 1.0, m1, s1], jnp.float32)))
    assert np.isfinite(h32).all()
    np.testing.assert_allclose(h32, h64, rtol=2e-3, atol=1e-5 * np.abs(h64).max())
