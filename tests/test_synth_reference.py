"""Reference checks for the synthesizer family: imbalanced-learn, closed forms, Monte Carlo."""
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st
from imblearn.over_sampling import ADASYN, BorderlineSMOTE

from synthjax import InvalidParameterError
from synthjax import synth as S


def _two_classes(seed=0, n1=80, n0=600, d=3, shift=1.0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n1, d)) + shift, rng.normal(size=(n0, d))


def _stacked_imblearn(X_min, X_maj):
    """imbalanced-learn's layout: X = [X_maj; X_min], y = 0/1."""
    return np.r_[X_maj, X_min], np.r_[np.zeros(len(X_maj)), np.ones(len(X_min))]


def test_danger_set_equals_imblearn(x64):
    for seed in range(3):
        X_min, X_maj = _two_classes(seed)
        X, y = _stacked_imblearn(X_min, X_maj)
        ref = BorderlineSMOTE(m_neighbors=10)
        ref._validate_estimator()
        ref.nn_m_.fit(X)
        want = ref._in_danger_noise(ref.nn_m_, X_min, 1, y, kind="danger")
        got = np.asarray(S.danger_set(jnp.asarray(X_min), jnp.asarray(X_maj), 10))
        assert 0 < want.sum() < len(want)
        np.testing.assert_array_equal(got, want)


def test_borderline2_neighbours_equal_imblearn(x64):
    X_min, X_maj = _two_classes(1)
    X, _ = _stacked_imblearn(X_min, X_maj)
    state = S.borderline_smote(2, k=5).fit(jax.random.key(0), jnp.asarray(X_min), jnp.asarray(X_maj))
    ref = BorderlineSMOTE(kind="borderline-2", k_neighbors=5)
    ref._validate_estimator()
    ref.nn_k_.fit(X)
    want = ref.nn_k_.kneighbors(X_min, return_distance=False)[:, 1:]
    # map imbalanced-learn's indices ([X_maj; X_min]) to ours ([X_min; X_maj])
    n0, n1 = len(X_maj), len(X_min)
    want = np.where(want >= n0, want - n0, want + n1)
    assert [set(r) for r in np.asarray(state.nn)] == [set(r) for r in want]


def test_adasyn_weights_equal_imblearn(x64):
    X_min, X_maj = _two_classes(2)
    X, y = _stacked_imblearn(X_min, X_maj)
    ref = ADASYN(n_neighbors=5)
    ref._validate_estimator()
    ref.nn_.fit(X)
    nns = ref.nn_.kneighbors(X_min, return_distance=False)[:, 1:]
    want = np.sum(y[nns] != 1, axis=1) / 5                  # imbalanced-learn's ratio_nn
    got = np.asarray(S.adasyn_weights(jnp.asarray(X_min), jnp.asarray(X_maj), 5))
    np.testing.assert_allclose(got, want, atol=0)
    state = S.adasyn(5).fit(jax.random.key(0), jnp.asarray(X_min), jnp.asarray(X_maj))
    np.testing.assert_allclose(state.base_p, want / want.sum(), atol=1e-12)
    # exactly m points, bases drawn by the weights (χ² on 60,000 draws; false-failure rate 1e-4)
    base = np.asarray(S.adasyn(5).sample(jax.random.key(1), state, 60_000).provenance.base)
    counts = np.bincount(base, minlength=len(X_min))
    keep = want > 0
    assert counts[~keep].sum() == 0
    assert st.chisquare(counts[keep], 60_000 * want[keep] / want.sum()).pvalue > 1e-4


@pytest.mark.parametrize("method", ["borderline-1", "borderline-2", "adasyn"])
def test_distribution_agrees_with_imblearn(method):
    """Two-sample KS per coordinate between ours and imbalanced-learn's synthetic points on the same
    data (Bonferroni over d = 3 at 1e-4: false-failure rate ≤ 1e-4; fixed seeds)."""
    X_min, X_maj = _two_classes(3, n1=150, n0=1500)
    X, y = _stacked_imblearn(X_min, X_maj)
    if method == "adasyn":
        ref, ours = ADASYN(n_neighbors=5, random_state=0), S.adasyn(5)
    else:
        ref, ours = BorderlineSMOTE(kind=method, random_state=0), S.borderline_smote(int(method[-1]))
    theirs = ref.fit_resample(X, y)[0][len(X):]
    state = ours.fit(jax.random.key(0), jnp.asarray(X_min, jnp.float32), jnp.asarray(X_maj, jnp.float32))
    mine = np.asarray(ours.sample(jax.random.key(1), state, len(theirs)).X)
    for j in range(X.shape[1]):
        assert st.ks_2samp(mine[:, j], theirs[:, j]).pvalue > 1e-4 / 3


def test_empty_danger_set_and_no_majority_neighbour_fall_back_with_warning():
    X_min, X_maj = _two_classes(4, shift=25.0)               # classes far apart: nobody in danger
    with pytest.warns(UserWarning, match="no minority point is in danger"):
        state = S.borderline_smote(1).fit(jax.random.key(0), jnp.asarray(X_min, jnp.float32), jnp.asarray(X_maj, jnp.float32))
    assert int(state.n_eligible) == 0
    np.testing.assert_allclose(state.base_p, 1 / len(X_min))
    with pytest.warns(UserWarning, match="no minority point has a majority neighbour"):
        S.adasyn().fit(jax.random.key(0), jnp.asarray(X_min, jnp.float32), jnp.asarray(X_maj, jnp.float32))
    with warnings.catch_warnings():                           # inside jit: no warning, the state records it
        warnings.simplefilter("error")
        jax.jit(lambda a, b: S.adasyn().fit(jax.random.key(0), a, b).n_eligible)(
            jnp.asarray(X_min, jnp.float32), jnp.asarray(X_maj, jnp.float32))


def test_soft_smote_labels_follow_the_step(x64):
    X_min, X_maj = _two_classes(5)
    synth = S.soft_smote(5)
    out = synth.sample(jax.random.key(1), synth.fit(jax.random.key(0), jnp.asarray(X_min), jnp.asarray(X_maj)), 2000)
    nbr, u = np.asarray(out.provenance.neighbour), np.asarray(out.provenance.step)
    majority = nbr >= len(X_min)
    assert 0 < majority.mean() < 1
    np.testing.assert_allclose(out.y, np.where(majority, 1 - u, 1.0))
    stacked = np.r_[X_min, X_maj]
    base = np.asarray(out.provenance.base)
    np.testing.assert_allclose(out.X, X_min[base] + u[:, None] * (stacked[nbr] - X_min[base]), atol=1e-12)


@pytest.mark.parametrize("alpha", [0.2, 1.0, 4.0])
def test_mixup_variance_factors(x64, alpha):
    """Cov x̃ = (1 − 2E[λ(1 − λ)]) Σ̂ for mixup, = Σ̂ for the preserving weight (Σ̂: the empirical
    covariance of the pooled sample). 400,000 draws: the SE of each variance ratio is about 0.3%;
    tolerance 2% (> 6 SE)."""
    X = jnp.asarray(np.random.default_rng(0).normal(size=(20_000, 2)) @ np.array([[1.0, 0.0], [0.6, 0.8]]))
    Sigma = np.cov(np.asarray(X), rowvar=False, ddof=0)
    for synth, factor in [(S.mixup(alpha, within="minority"), (alpha + 1) / (2 * alpha + 1)),
                          (S.preserving_mixup(alpha, within="minority"), 1.0)]:
        out = synth.sample(jax.random.key(1), synth.fit(jax.random.key(0), X), 400_000)
        np.testing.assert_allclose(np.diag(np.cov(np.asarray(out.X), rowvar=False)), factor * np.diag(Sigma), rtol=0.02)
        assert float(S.variance_factor(jnp.asarray(alpha), synth.name == "preserving_mixup")) == pytest.approx(factor)
    # E[λ] = E[λ²] = ½ for the preserving weight (λ = 1 − step); SE ≈ 5e-4, tolerance 3e-3
    step = np.asarray(S.preserving_mixup(alpha).sample(jax.random.key(2), S.preserving_mixup(alpha).fit(
        jax.random.key(0), X), 400_000).provenance.step)
    lam = 1 - step
    assert abs(lam.mean() - 0.5) < 3e-3 and abs((lam ** 2).mean() - 0.5) < 3e-3
    assert lam.min() < 0 < 1 < lam.max()


def test_repeated_synthesis_shrinks_mixup_geometrically_not_preserving():
    """Train each generation on the previous one's output (n = 20,000, α = 1): the variance of
    mixup falls as (2/3)^g; the preserving variant's stays at 1 (tolerance 10% after 5 generations)."""
    def generations(synth, g=5, n=20_000):
        X = jax.random.normal(jax.random.key(0), (n, 1))
        out = [float(jnp.var(X))]
        for t in range(g):
            X = synth.sample(jax.random.key(10 + t), synth.fit(jax.random.key(t), X), n).X
            out.append(float(jnp.var(X)))
        return np.array(out)
    mix = generations(S.mixup(1.0, within="minority"))
    keep = generations(S.preserving_mixup(1.0, within="minority"))
    np.testing.assert_allclose(mix / mix[0], (2 / 3) ** np.arange(6), rtol=0.1)
    np.testing.assert_allclose(keep / keep[0], np.ones(6), rtol=0.1)
    slope = np.polyfit(np.arange(6), np.log(mix / mix[0]), 1)[0]
    assert abs(slope - np.log(2 / 3)) < 0.05


def test_mamix_reduces_to_mixup_labels_with_equal_class_sizes(x64):
    X_min, X_maj = _two_classes(6, n1=300, n0=300)
    synth = S.mamix(alpha=1.0, omega=0.25)
    out = synth.sample(jax.random.key(1), synth.fit(jax.random.key(0), jnp.asarray(X_min), jnp.asarray(X_maj)), 5000)
    i, j, lam_x = (np.asarray(a) for a in out.provenance)
    y = np.r_[np.ones(300), np.zeros(300)]
    np.testing.assert_allclose(out.y, (1 - lam_x) * y[i] + lam_x * y[j], atol=1e-12)
    # with unequal sizes the minority keeps more label mass than mixup gives it
    X_min, X_maj = _two_classes(6, n1=50, n0=1000)
    out = synth.sample(jax.random.key(1), synth.fit(jax.random.key(0), jnp.asarray(X_min), jnp.asarray(X_maj)), 5000)
    i, j, lam_x = (np.asarray(a) for a in out.provenance)
    y = np.r_[np.ones(50), np.zeros(1000)]
    cross = (y[i] == 1) & (y[j] == 0)
    assert np.all(np.asarray(out.y)[cross] >= (1 - lam_x[cross]) - 1e-12)


def test_bayesian_generator_matches_closed_form(x64):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(40, 2)) @ np.array([[1.0, 0.3], [0.0, 0.7]]) + np.array([1.0, -2.0])
    kappa0, psi0, nu0 = 0.5, 2.0, 5.0
    # the conjugate update by hand
    n, xbar = len(X), X.mean(0)
    S_ = (X - xbar).T @ (X - xbar)
    post = S.niw_posterior(jnp.asarray(X), jnp.zeros(2), kappa0, nu0, psi0 * jnp.eye(2))
    np.testing.assert_allclose(post.mu, n * xbar / (kappa0 + n), atol=1e-12)
    np.testing.assert_allclose(post.psi, psi0 * np.eye(2) + S_ + kappa0 * n / (kappa0 + n) * np.outer(xbar, xbar), atol=1e-10)
    mean, cov = S.predictive_moments(post)
    synth = S.bayesian_gaussian(kappa0=kappa0, psi0=psi0, nu0=nu0)
    Z = np.asarray(synth.sample(jax.random.key(1), synth.fit(jax.random.key(0), jnp.asarray(X)), 400_000).X)
    # SE of the mean ≈ 2e-3; of the covariance entries ≈ 5e-3 (t tails); tolerances ≈ 5 SE
    np.testing.assert_allclose(Z.mean(0), mean, atol=0.01)
    np.testing.assert_allclose(np.cov(Z, rowvar=False), cov, atol=0.03)
    # posterior mode: one (μ, Σ) per call, so the predictive moments hold across calls
    post_synth = S.bayesian_gaussian(kappa0=kappa0, psi0=psi0, nu0=nu0, mode="posterior")
    state = post_synth.fit(jax.random.key(0), jnp.asarray(X))
    means = np.stack([np.asarray(post_synth.sample(jax.random.key(s), state, 50).X).mean(0) for s in range(300)])
    np.testing.assert_allclose(means.mean(0), mean, atol=0.06)


def test_family_bad_input():
    X = jnp.ones((10, 2)) + jnp.arange(10.0)[:, None]
    with pytest.raises(InvalidParameterError, match="'X_maj' parameter of borderline_smote1.fit must be the majority"):
        S.borderline_smote(1).fit(jax.random.key(0), X)
    with pytest.raises(InvalidParameterError, match="'kind' parameter of borderline_smote"):
        S.borderline_smote(3)
    with pytest.raises(InvalidParameterError, match="'alpha' parameter of mixup must be a float in \\(0.0"):
        S.mixup(0.0)
    with pytest.raises(InvalidParameterError, match="'within' parameter of mixup"):
        S.mixup(within="majority")
    with pytest.raises(InvalidParameterError, match="'k' parameter of adasyn must be an int in \\[1, n - 1\\] = \\[1, 9\\]"):
        S.adasyn(10).fit(jax.random.key(0), X, X)
    with pytest.raises(InvalidParameterError, match="'mode' parameter of bayesian_gaussian"):
        S.bayesian_gaussian(mode="map")
    with pytest.raises(InvalidParameterError, match="'name' parameter of synth.make"):
        S.make("smote-variants")
    with pytest.raises(InvalidParameterError, match="'dgp' parameter of semi_oracle"):
        S.semi_oracle(object())
