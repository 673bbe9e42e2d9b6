"""CoDSA designs and tuner: the DGPs follow SPEC §7, grids and splits are what they say, the vmapped
grid of masked fits equals fitting each augmented data set on its own."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from synthjax import InvalidParameterError, codsa, dgp, synth
from synthjax.learn import mlp


def test_classification_minority_is_both_tails_of_s():
    X, s = dgp._codsa._classification_features(jax.random.split(jax.random.key(0), 3)[0], 6400, jnp.float32)
    maj, mino = dgp.codsa_classification_pool(jax.random.key(0), 4400, 2000)
    np.testing.assert_array_equal(np.sort(np.asarray(jnp.concatenate([maj, mino])), 0), np.sort(np.asarray(X), 0))
    order = np.argsort(np.asarray(s))
    tails = np.asarray(X)[np.r_[order[:1000], order[-1000:]]]
    np.testing.assert_array_equal(np.sort(np.asarray(mino), 0), np.sort(tails, 0))
    u1u2, u1sq, u2sq = np.asarray(X[:, 0]), np.asarray(X[:, 3]), np.asarray(X[:, 4])
    np.testing.assert_allclose(u1u2 ** 2, u1sq * u2sq, rtol=1e-4)          # features are products of (u1, u2, u3)
    data = dgp.codsa_classification(jax.random.key(1))
    assert [b.shape for b in data.train] == [(3200, 10), (800, 10)] and [b.shape for b in data.test] == [(800, 10)] * 2


def test_regression_rows_follow_the_formula():
    rows = np.asarray(dgp.codsa_regression_region(jax.random.key(0), 500, True), float)
    x, y = rows[:, :5], rows[:, 5]
    assert (x[:, 0] >= 0).all() and (x[:, 0] < 0.5).all()
    s = x @ [3, 2, -1, 0.5, 1]
    assert np.std(y - (2 * s ** 2 + s)) < 0.25                     # u3 = 0.2 N(0, 1)
    np.testing.assert_allclose(x[:, 3], np.abs(x[:, 1]), rtol=1e-6)  # I = 0: x2 = u2, x4 = |u2|
    maj = np.asarray(dgp.codsa_regression_region(jax.random.key(1), 500, False), float)
    s = maj[:, :5] @ [3, 2, -1, 0.5, 1]
    assert (maj[:, 0] >= 0.5).all() and np.std(maj[:, 5] - (2 * s ** 2 - s)) < 0.25


def test_grid_counts_and_splits():
    counts = codsa.grid_counts((0.0, 0.5, 1.0), (0.1, 0.9), 100)
    assert counts.shape == (5, 4) and counts[0, :2].tolist() == [0, 0]           # m = 0 once
    np.testing.assert_array_equal(counts[1:, 0] + counts[1:, 1], [50, 50, 100, 100])
    np.testing.assert_array_equal(counts[1:, 1], [5, 45, 10, 90])                 # round(α m) minority rows
    blocks = (jnp.arange(40.0).reshape(20, 2), jnp.arange(20.0).reshape(10, 2) + 100)
    G, D = codsa.split_blocks(jax.random.key(0), blocks, 0.3)
    assert [g.shape[0] for g in G] == [6, 3] and [d.shape[0] for d in D] == [14, 7]
    for g, d, b in zip(G, D, blocks):
        np.testing.assert_array_equal(np.sort(np.r_[g, d], 0), np.sort(np.asarray(b), 0))
    assert codsa.split_blocks(jax.random.key(0), blocks, 1.0) == (blocks, blocks)
    with pytest.raises(InvalidParameterError, match="'r'"):
        codsa.split_blocks(jax.random.key(0), blocks, 0.05)
    with pytest.raises(InvalidParameterError, match="'alpha'"):
        codsa.Tuner(codsa.Task("classification", mlp()), codsa.no_pool, (1.0,), (0.5,), (1.5,), 10)


def test_masked_grid_fits_equal_separate_fits(x64):
    """fit_grid's vmapped 0/1 masks = fitting D ∪ (the first counts rows of each pool) directly (full batch)."""
    rng = np.random.default_rng(0)
    D = (jnp.asarray(rng.normal(size=(40, 3))), jnp.asarray(rng.normal(size=(12, 3)) + 1))
    pools = (jnp.asarray(rng.normal(size=(10, 3))), jnp.asarray(rng.normal(size=(10, 3)) + 1))
    val = (jnp.asarray(rng.normal(size=(8, 3))), jnp.asarray(rng.normal(size=(8, 3)) + 1))
    task = codsa.Task("classification", mlp((8,), steps=200, learning_rate=1e-2, patience=0))
    counts = np.array([[0, 0], [3, 7], [10, 10]])
    batched = codsa.fit_grid(jax.random.key(1), task, D, pools, jnp.asarray(counts), val)
    Xv = jnp.concatenate(val)
    for p, (c0, c1) in enumerate(counts):
        X = jnp.concatenate([D[0], D[1], pools[0][:c0], pools[1][:c1]])
        y = jnp.concatenate([jnp.zeros(40), jnp.ones(12), jnp.zeros(c0), jnp.ones(c1)])
        yv = jnp.concatenate([jnp.zeros(8), jnp.ones(8)])
        params, _ = task.learner.train(jax.random.key(1), X, y, None, Xv, yv)
        one = jax.tree_util.tree_map(lambda a: a[p], batched)
        np.testing.assert_allclose(task.learner.score(one, Xv), task.learner.score(params, Xv), atol=1e-8)


def test_tuner_picks_the_minimum_validation_loss_and_crossfits():
    sizes = dict(train=(60, 20), val=(20, 20), test=(20, 20))
    data = dgp.codsa_regression(jax.random.key(0), sizes)
    learner = mlp((16,), task="regression", steps=50, batch_size=32, patience=0)
    traces = []
    task = codsa.Task("regression", learner._replace(train=lambda *a, **k: traces.append(1) or learner.train(*a, **k)))
    tuner = codsa.Tuner(task, codsa.interpolation_pool(synth.smote(3)), (0.5, 1.0), (0.0, 0.5), (0.5, 0.9), 80,
                        crossfit=True)
    best, grid = tuner.tune(jax.random.key(1), data)
    assert len(grid) == 2 * 3 and best.val_loss == grid.val_loss.min()
    np.testing.assert_allclose(grid.test_loss, (grid.test_loss_majority + grid.test_loss_minority) / 2)
    assert np.isfinite(grid[["val_loss", "test_loss"]].to_numpy()).all()
    assert len(traces) == 2                      # the grid fit: traced once per r (split shapes), crossfit reuses it
    adasyn = codsa.Tuner(task, codsa.interpolation_pool(synth.adasyn(3)), (0.5, 1.0), (0.0, 0.5), (0.5, 0.9), 80)
    adasyn.tune(jax.random.key(2), data)
    assert len(traces) == 2                      # a second generator of the same shapes: no new trace of the fit


def test_host_learner_fits_the_explicit_subsets(x64):
    """A scikit-learn downstream model (the paper's random forest for Table 2) is fitted on D ∪ the first
    counts rows of each pool at every grid point, exactly as the compiled path's masks do."""
    from sklearn.linear_model import LinearRegression
    rng = np.random.default_rng(2)
    block = lambda n, shift: jnp.asarray(rng.normal(size=(n, 4)) + shift)      # noqa: E731 - 3 features + target
    D, pools = (block(30, 0.0), block(10, 1.0)), (block(12, 0.0), block(12, 1.0))
    val, test = (block(6, 0.0), block(6, 1.0)), (block(7, 0.0), block(7, 1.0))
    fixed_pool = lambda key, G, counts: tuple(p[:c] for p, c in zip(pools, counts))   # noqa: E731
    task = codsa.Task("regression", codsa.HostLearner("ols", LinearRegression))
    counts = np.array([[0, 0], [3, 7], [12, 12]])
    val_pred, test_pred = codsa.host_fold_predictions(jax.random.key(0), task, fixed_pool, D, D, counts, val, test)
    test_rows = np.asarray(jnp.concatenate(test))
    for p, (c0, c1) in enumerate(counts):
        rows = np.asarray(jnp.concatenate([D[0], D[1], pools[0][:c0], pools[1][:c1]]))
        ref = LinearRegression().fit(rows[:, :-1], rows[:, -1])
        np.testing.assert_allclose(test_pred[p], ref.predict(test_rows[:, :-1]), atol=1e-10)
    assert val_pred.shape == (3, 12)
