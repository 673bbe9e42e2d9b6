"""Exact k-NN on un-centred float32 data against scikit-learn's NearestNeighbors (exact, float64 inside)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from synthjax.synth import knn, minority_neighbours


def _check_against_exact(ours, query, ref, k, self_excluded):
    """Neighbour sets equal scikit-learn's in every row whose k-th and (k+1)-th exact distances are not
    tied (to 1e-5 relative: float32 data can hold exact ties); in every row our k distances equal the k
    smallest exact distances (float64 on the float32 values) to 1e-5 relative."""
    D = ((query.astype(np.float64)[:, None] - ref.astype(np.float64)[None]) ** 2).sum(-1)
    nn = NearestNeighbors(n_neighbors=k + self_excluded).fit(ref)
    ref_idx = nn.kneighbors(query)[1][:, self_excluded:]
    if self_excluded:
        np.fill_diagonal(D, np.inf)
    d_sorted = np.sort(D, axis=1)
    untied = d_sorted[:, k] > d_sorted[:, k - 1] * (1 + 1e-5)
    same = np.array([set(a) == set(b) for a, b in zip(ours, ref_idx)])
    assert np.all(same | ~untied), f"{np.sum(~same & untied)} rows differ from scikit-learn"
    np.testing.assert_allclose(np.sort(np.take_along_axis(D, ours, 1), 1), d_sorted[:, :k], rtol=1e-5, atol=0)


@pytest.mark.parametrize("offset", [0.0, 1e2, 1e3, 1e4])
@pytest.mark.parametrize("scale", [1e-3, 1e-1, 1.0, 1e1, 1e3])
def test_minority_neighbours_uncentred_float32(offset, scale):
    rng = np.random.default_rng(int(offset) + int(1000 * scale))
    X = (offset + scale * rng.normal(size=(60, 5))).astype(np.float32)
    ours = np.asarray(jax.jit(minority_neighbours, static_argnums=1)(jnp.asarray(X), 5))
    _check_against_exact(ours, X, X, 5, self_excluded=True)


@pytest.mark.parametrize("offset", [0.0, 1e3])
def test_knn_query_against_other_set_and_blocked_path(offset):
    rng = np.random.default_rng(7)
    ref = (offset + rng.normal(size=(2100, 4))).astype(np.float32)
    query = (offset + rng.normal(size=(2100, 4))).astype(np.float32)   # 2100² cells > 2²²: blocked search
    ours = np.asarray(jax.jit(knn, static_argnums=2)(jnp.asarray(query), jnp.asarray(ref), 6))
    _check_against_exact(ours, query, ref, 6, self_excluded=False)


@pytest.mark.parametrize("n_query", [90, 2100])          # dense, and blocked (2100 × 2100 cells > 2²²)
def test_knn_within_groups_equals_a_search_per_group(n_query):
    """``groups`` keeps each row's neighbours in its own group: the same indices as a separate search per group."""
    rng = np.random.default_rng(3)
    counts = (n_query - 40, 30, 10)
    X = rng.normal(size=(n_query, 3)).astype(np.float32)
    labels = np.repeat(np.arange(3), counts)
    rows = jnp.arange(n_query)
    ours = np.asarray(knn(jnp.asarray(X), jnp.asarray(X), 5, self_index=rows, groups=(labels, labels)))
    for c, start in enumerate(np.r_[0, np.cumsum(counts)[:-1]]):
        mine = slice(start, start + counts[c])
        alone = np.asarray(minority_neighbours(jnp.asarray(X[mine]), 5)) + start
        np.testing.assert_array_equal(ours[mine], alone)
