"""Contract suite over every synthesizer, plus reference checks against imbalanced-learn."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st
from imblearn.over_sampling import SMOTE

from synthjax import InvalidParameterError
from synthjax import dgp as D
from synthjax import synth as S
from synthjax.learn import least_squares, logistic

N1, D_FEAT, M = 40, 3, 64
TINY_DIFFUSION = S.DiffusionConfig(timesteps=20, hidden=(16, 16), time_dim=8, train_steps=30, batch_size=32)


def registry(dgp):
    """name -> (synthesizer, a second value of its dynamic hyperparameters or None): every method."""
    return {
        "ros": (S.random_oversampling(), None),
        "jitter": (S.jitter(0.3), S.jitter(0.3).hyper._replace(sigma=jnp.asarray(0.7))),
        "jitter_pf": (S.jitter(0.5, per_feature=True), None),
        "local_jitter": (S.jitter(0.08, local_k=3), None),
        "smote": (S.smote(5), None),
        "borderline1": (S.borderline_smote(1), None),
        "borderline2": (S.borderline_smote(2), None),
        "adasyn": (S.adasyn(5), None),
        "soft_smote": (S.soft_smote(5), None),
        "mixup": (S.mixup(1.0), S.mixup().hyper._replace(alpha=jnp.asarray(0.2))),
        "mixup_minority": (S.mixup(0.4, within="minority"), None),
        "preserving_mixup": (S.preserving_mixup(1.0), S.preserving_mixup().hyper._replace(alpha=jnp.asarray(3.0))),
        "mamix": (S.mamix(), S.mamix().hyper._replace(alpha=jnp.asarray(0.5))),
        "gaussian_fit": (S.gaussian_fit(0.1), S.gaussian_fit().hyper._replace(shrink=jnp.asarray(0.5))),
        "bayes_predictive": (S.bayesian_gaussian(), S.bayesian_gaussian().hyper._replace(kappa0=jnp.asarray(5.0))),
        "bayes_posterior": (S.bayesian_gaussian(mode="posterior"), None),
        "oracle": (S.oracle(dgp), None),
        "semi_oracle": (S.semi_oracle(dgp), None),
        "biased_gaussian": (S.biased_gaussian(dgp, 0.5), S.biased_gaussian(dgp).hyper._replace(a=jnp.asarray(0.8))),
        "realistic_gaussian": (S.biased_gaussian(dgp, "realistic"), None),
        "conditional_diffusion": (S.conditional_diffusion(TINY_DIFFUSION, 1e-3),
                                  S.diffusion.DiffusionHyper(jnp.asarray(3e-2))),
        "conditional_diffusion_ddim": (S.conditional_diffusion(TINY_DIFFUSION._replace(sampler="ddim", ddim_steps=5)), None),
    }


NAMES = list(registry(D.mean_shift(D_FEAT)))


def _minority(dtype=jnp.float32, seed=0):
    return jnp.asarray(np.random.default_rng(seed).normal(size=(N1, D_FEAT)) + np.r_[1.0, 0, 0], dtype)


X_MAJ = np.random.default_rng(99).normal(size=(200, D_FEAT))


def _out(synth, key, X, hyper=None, m=M):
    k1, k2 = jax.random.split(key)
    return synth.sample(k2, synth.fit(k1, X, jnp.asarray(X_MAJ, X.dtype), hyper), m)


def _draw(synth, key, X, hyper=None, m=M):
    return _out(synth, key, X, hyper, m).X


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_contract_shape_dtype_finite_keys(name, dtype):
    with jax.enable_x64(dtype == "float64"):
        dgp = D.mean_shift(D_FEAT, dtype=dtype)
        synth, _ = registry(dgp)[name]
        X = _minority(dtype)
        a = _draw(synth, jax.random.key(1), X)
        assert a.shape == (M, D_FEAT) and a.dtype == jnp.dtype(dtype)
        assert bool(jnp.all(jnp.isfinite(a)))
        np.testing.assert_array_equal(a, _draw(synth, jax.random.key(1), X))       # same key, same draw
        assert not np.array_equal(a, _draw(synth, jax.random.key(2), X))            # new key, new draw
        np.testing.assert_allclose(jax.jit(lambda k, x: _draw(synth, k, x))(jax.random.key(1), X), a,
                                   rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6 if dtype == "float32" else 0)  # jit = no-jit
        assert _draw(synth, jax.random.key(0), X, m=0).shape == (0, D_FEAT)
        out = _out(synth, jax.random.key(1), X)
        if out.y is not None:                          # soft labels: (m,), in [0, 1]
            assert out.y.shape == (M,) and bool(jnp.all((out.y >= 0) & (out.y <= 1)))
        if out.provenance.base is not None:
            assert out.provenance.base.shape == (M,) and int(out.provenance.base.max()) < X.shape[0] + len(X_MAJ)


@pytest.mark.parametrize("name", NAMES)
def test_contract_pool_prefix(name):
    """Prefix property: the first m' rows of a pool of m draws are the pool of m' draws (same key), so
    the nested-size mask of size m' sees exactly what a direct draw of m' points would, and growing a
    grid's largest size never changes the smaller sizes' points. (Holds with JAX's default
    ``jax_threefry_partitionable=True``, whose random bits depend on the element index only.)"""
    synth, _ = registry(D.mean_shift(D_FEAT))[name]
    big = _out(synth, jax.random.key(5), _minority(), m=M)
    small = _out(synth, jax.random.key(5), _minority(), m=20)
    if name.startswith("conditional_diffusion"):   # a network on 64 vs 20 rows: equal up to matmul rounding
        np.testing.assert_allclose(np.asarray(big.X)[:20], small.X, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_array_equal(np.asarray(big.X)[:20], small.X)
    if small.y is not None:
        np.testing.assert_array_equal(np.asarray(big.y)[:20], small.y)


@pytest.mark.parametrize("name", NAMES)
def test_contract_vmap_equals_loop(name):
    synth, _ = registry(D.mean_shift(D_FEAT))[name]
    X = _minority()
    keys = jax.random.split(jax.random.key(3), 4)
    batched = jax.vmap(lambda k: _draw(synth, k, X))(keys)
    for i, k in enumerate(keys):
        np.testing.assert_allclose(batched[i], _draw(synth, k, X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in NAMES if registry(D.mean_shift(D_FEAT))[n][1] is not None])
def test_contract_dynamic_hyper_does_not_retrace(name):
    synth, other = registry(D.mean_shift(D_FEAT))[name]
    X = _minority()
    chex.clear_trace_counter()

    @jax.jit
    @chex.assert_max_traces(n=1)
    def draw(hyper):
        return _draw(synth, jax.random.key(0), X, hyper)

    a, b = draw(synth.hyper), draw(other)
    assert not np.allclose(a, b)


def test_nested_mask_equals_explicit_prefix(x64):
    """Fitting with the 0/1 mask of size ñ equals fitting on the first ñ pool points."""
    rng = np.random.default_rng(0)
    X_real = jnp.asarray(rng.normal(size=(60, 2)))
    y_real = jnp.asarray((rng.random(60) < 0.3).astype(float))
    pool = jnp.asarray(rng.normal(size=(25, 2)) + 1.0)
    sizes = jnp.asarray([0, 7, 25])
    mask = S.nested_mask(sizes, 25, jnp.float64)
    X = jnp.concatenate([X_real, pool])
    y = jnp.concatenate([y_real, jnp.ones(25)])
    for learner in (logistic(ridge=1e-3), least_squares(ridge=1e-3)):
        batch, _ = jax.vmap(learner.fit, (None, None, 0))(X, y, jnp.concatenate([jnp.ones((3, 60)), mask], 1))
        for j, n in enumerate(np.asarray(sizes)):
            ref, _ = learner.fit(X[: 60 + n], y[: 60 + n])
            np.testing.assert_allclose(batch.coef[j], ref.coef, atol=1e-12)
    np.testing.assert_array_equal(S.synthetic_sizes([0, 0.5, 1, 2], 2000, 100), [0, 950, 1900, 3800])


def _imblearn_smote(X_min, X_maj, k):
    X = np.r_[X_maj, X_min]
    y = np.r_[np.zeros(len(X_maj)), np.ones(len(X_min))]
    sm = SMOTE(k_neighbors=k, random_state=0)
    sm.fit_resample(X, y)
    return sm


def test_one_of_draws_what_the_chosen_generator_draws_and_shares_the_fits(x64):
    """``one_of(gens, i)`` with a traced index draws ``gens[i]``'s points from the same keys (soft labels kept,
    y = 1 otherwise), also under vmap over data; looped over the index with ``lax.map``, a tuner's learner fit is traced
    once for every generator, not once per generator."""
    gens = [S.smote(3), S.mixup(1.0), S.jitter(0.3, per_feature=True)]
    X = _minority(jnp.float64)
    key = jax.random.key(4)
    draws = jax.jit(lambda i: _out(S.one_of(gens, i), key, X))
    for i, gen in enumerate(gens):
        want, got = _out(gen, key, X), draws(i)
        np.testing.assert_allclose(got.X, want.X, rtol=1e-14)      # compiled vs op by op: ulps
        np.testing.assert_allclose(got.y, np.ones(M) if want.y is None else want.y, rtol=1e-14)
    batch = jnp.stack([X, X + 1.0])
    batched = jax.vmap(lambda Xb: _draw(S.one_of(gens, 2), key, Xb))(batch)
    np.testing.assert_allclose(batched[1], _draw(gens[2], key, X + 1.0), rtol=1e-12)
    from synthjax import theory
    base, traces = logistic(ridge=1e-2), []
    counting = base._replace(fit_path=lambda *a, **k: traces.append(1) or base.fit_path(*a, **k))
    X0 = jnp.asarray(X_MAJ)
    losses = jax.jit(lambda: jax.lax.map(lambda i: theory.select_size(
        key, S.one_of(gens, i), counting, X0, X, jnp.asarray([0.0, 0.5, 1.0]), folds=2).losses, jnp.arange(3)))()
    assert losses.shape == (3, 3) and np.isfinite(losses).all() and len(traces) == 2    # (CV grid; final refit)
    alone = jax.jit(lambda: theory.select_size(key, gens[1], base, X0, X, jnp.asarray([0.0, 0.5, 1.0]), folds=2).losses)
    np.testing.assert_allclose(losses[1], alone(), rtol=1e-10)
    with pytest.raises(InvalidParameterError, match="'synthesizers' parameter of synth.one_of"):
        S.one_of([], 0)


def test_smote_neighbour_sets_equal_imblearn(x64):
    rng = np.random.default_rng(11)
    X_min, X_maj = rng.normal(size=(70, 4)), rng.normal(size=(300, 4)) - 1
    for k in (1, 3, 5):
        ours = np.asarray(S.smote(k).fit(jax.random.key(0), jnp.asarray(X_min)).nn)
        theirs = _imblearn_smote(X_min, X_maj, k).nn_k_.kneighbors(X_min, return_distance=False)[:, 1:]
        assert [set(r) for r in ours] == [set(r) for r in theirs]


def test_smote_points_lie_on_neighbour_segments(x64):
    X_min = jnp.asarray(np.random.default_rng(5).normal(size=(30, 3)))
    synth = S.smote(5)
    state = synth.fit(jax.random.key(0), X_min)
    out = synth.sample(jax.random.key(1), state, 500)
    base, nbr, u = (np.asarray(a) for a in out.provenance)
    nn = np.asarray(state.nn)
    assert all(nbr[i] in nn[base[i]] for i in range(500)) and np.all((u >= 0) & (u < 1))
    Xn = np.asarray(X_min)
    np.testing.assert_allclose(out.X, Xn[base] + u[:, None] * (Xn[nbr] - Xn[base]), atol=1e-12)
    # reference-free: each point is within rounding of some segment [x_i, x_j], j ∈ kNN(i)
    a, b = Xn[:, None, :], Xn[nn]                                    # (n1, 1, d), (n1, k, d)
    for x in np.asarray(out.X)[:50]:
        t = np.clip(np.sum((x - a) * (b - a), -1) / np.sum((b - a) ** 2, -1), 0, 1)
        assert np.min(np.linalg.norm(a + t[..., None] * (b - a) - x, axis=-1)) < 1e-10


def test_smote_law_base_and_neighbour_uniform():
    """Base index and neighbour column are uniform (χ² tests; false-failure rate 1e-4 each, fixed seed)."""
    X_min = _minority()
    synth = S.smote(5)
    state = synth.fit(jax.random.key(0), X_min)
    prov = synth.sample(jax.random.key(9), state, 40_000).provenance
    base, nbr = np.asarray(prov.base), np.asarray(prov.neighbour)
    col = np.array([list(np.asarray(state.nn)[b]).index(n) for b, n in zip(base[:5000], nbr[:5000])])
    assert st.chisquare(np.bincount(base, minlength=N1)).pvalue > 1e-4
    assert st.chisquare(np.bincount(col, minlength=5)).pvalue > 1e-4


def test_smote_distribution_agrees_with_imblearn():
    """Two-sample Kolmogorov–Smirnov test per coordinate between our SMOTE and imbalanced-learn's on
    the same minority (Bonferroni over d = 3 at level 1e-4: false-failure rate ≤ 1e-4, fixed seeds)."""
    rng = np.random.default_rng(2)
    X_min, X_maj = rng.normal(size=(N1, D_FEAT)), rng.normal(size=(2000, D_FEAT)) - 1
    theirs = SMOTE(k_neighbors=5, random_state=1).fit_resample(
        np.r_[X_maj, X_min], np.r_[np.zeros(2000), np.ones(N1)])[0][2000 + N1:]
    ours = np.asarray(_draw(S.smote(5), jax.random.key(4), jnp.asarray(X_min, jnp.float32), m=len(theirs)))
    for j in range(D_FEAT):
        assert st.ks_2samp(ours[:, j], theirs[:, j]).pvalue > 1e-4 / D_FEAT


def test_local_jitter_scale_is_the_median_neighbour_distance(x64):
    """SPEC §9.3's local jitter: σ_i = 0.08 · median of the 3 nearest other minority distances / √d (scikit-learn
    NearestNeighbors as the reference), and the points are base + σ_i ε."""
    from sklearn.neighbors import NearestNeighbors
    X = np.random.default_rng(4).standard_t(3, size=(50, 4))
    state = S.jitter(0.08, local_k=3).fit(jax.random.key(0), jnp.asarray(X))
    distances = NearestNeighbors(n_neighbors=3).fit(X).kneighbors()[0]        # kneighbors() excludes the point itself
    np.testing.assert_allclose(state.hyper[0][:, 0], 0.08 * np.median(distances, axis=1) / 2.0, rtol=1e-12)
    out = S.jitter(0.08, local_k=3).sample(jax.random.key(1), state, 500)
    z = (np.asarray(out.X) - X[out.provenance.base]) / np.asarray(state.hyper[0])[out.provenance.base]
    assert abs(z.mean()) < 0.1 and abs(z.std() - 1) < 0.05


def test_gaussian_fit_covariance_formula(x64):
    X = _minority(jnp.float64)
    state = S.gaussian_fit(0.3).fit(jax.random.key(0), X)
    Sx = np.cov(np.asarray(X), rowvar=False)
    want = 0.7 * Sx + (0.3 * np.trace(Sx) / D_FEAT + 1e-6) * np.eye(D_FEAT)
    np.testing.assert_allclose(state.chol @ state.chol.T, want, atol=1e-12)
    np.testing.assert_allclose(state.mean, np.asarray(X).mean(0), atol=1e-12)


def test_parametric_generators_moments(x64):
    dgp = D.gaussian(np.zeros(2), np.array([2.0, -1.0]), cov1=np.array([[2.0, 0.5], [0.5, 1.0]]))
    X = jnp.asarray(np.random.default_rng(0).normal(size=(50, 2)))
    n = 200_000
    for synth, mean in [(S.oracle(dgp), np.array([2.0, -1.0])),
                        (S.biased_gaussian(dgp, 0.5), np.array([1.0, -0.5])),
                        (S.biased_gaussian(dgp, "realistic"), (1 - 1 / np.sqrt(np.log(50))) * np.array([2.0, -1.0]))]:
        Z = np.asarray(synth.sample(jax.random.key(7), synth.fit(jax.random.key(6), X), n).X)
        # 5 MC standard errors: the false-failure rate is about 6e-7 per coordinate
        np.testing.assert_allclose(Z.mean(0), mean, atol=5 * np.sqrt(2.0 / n))
        np.testing.assert_allclose(np.cov(Z, rowvar=False), [[2.0, 0.5], [0.5, 1.0]], atol=0.03)


def test_synth_bad_input():
    X = _minority()
    with pytest.raises(InvalidParameterError, match=r"'k' parameter of smote must be an int in \[1, n - 1\] = \[1, 39\] for this data. Got 40"):
        S.smote(40).fit(jax.random.key(0), X)
    with pytest.raises(InvalidParameterError, match="'k' parameter of smote"):
        S.smote(0)
    with pytest.raises(InvalidParameterError, match="'X_min' parameter of random_oversampling .* at least 2 rows"):
        S.random_oversampling().fit(jax.random.key(0), X[:1])
    with pytest.raises(InvalidParameterError, match="'X_min' .* finite"):
        S.gaussian_fit().fit(jax.random.key(0), X.at[3, 1].set(jnp.inf))
    with pytest.raises(InvalidParameterError, match="'X_maj' .* 3 columns"):
        S.smote().fit(jax.random.key(0), X, jnp.ones((5, 2)))
    with pytest.raises(InvalidParameterError, match="'m' parameter of smote.sample must be an int >= 0"):
        S.smote().sample(jax.random.key(0), S.smote().fit(jax.random.key(0), X), -1)
    with pytest.raises(InvalidParameterError, match="'sigma' parameter of jitter"):
        S.jitter(-0.1)
    with pytest.raises(InvalidParameterError, match="'local_k' parameter of jitter"):
        S.jitter(0.1, local_k=0)
    with pytest.raises(InvalidParameterError, match="'per_feature' parameter of jitter"):
        S.jitter(0.1, per_feature=True, local_k=3)
    with pytest.raises(InvalidParameterError, match="'shrink' parameter of gaussian_fit"):
        S.gaussian_fit(1.5)
    with pytest.raises(InvalidParameterError, match="'a' parameter of biased_gaussian"):
        S.biased_gaussian(D.mean_shift(2), "optimistic")
    with pytest.raises(InvalidParameterError, match="'gamma' parameter"):
        S.synthetic_sizes([-0.5], 100, 10)
