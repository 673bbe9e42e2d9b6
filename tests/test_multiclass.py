"""K-class pieces for long-tailed data: the long-tail split, class-conditional synthesizers and their label rules."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from synthjax import InvalidParameterError, data, synth

COUNTS = (12, 6, 3)


def _blocks(seed=0):
    """Class-sorted rows: class c around 10·c in 2-D."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([10.0 * c + rng.normal(size=(n, 2)) for c, n in enumerate(COUNTS)])
    return jnp.asarray(X), np.repeat(np.arange(len(COUNTS)), COUNTS)


def test_long_tail_split_is_exact_disjoint_and_vmaps():
    labels = np.repeat(np.arange(3), [30, 25, 20])
    counts = data.long_tail_counts(20, 10, 3)
    assert counts == (20, 6, 2)
    train, test = data.long_tail_split(jax.random.key(0), labels, counts, test_per_class=4)
    assert [int(np.sum(labels[np.asarray(train)] == c)) for c in range(3)] == list(counts)
    assert np.all(np.diff(labels[np.asarray(train)]) >= 0)               # sorted by class
    assert [int(np.sum(labels[np.asarray(test)] == c)) for c in range(3)] == [4, 4, 4]
    assert not set(np.asarray(train)) & set(np.asarray(test))
    keys = jax.random.split(jax.random.key(1), 4)
    many = jax.vmap(lambda k: data.long_tail_split(k, labels, counts, 4))(keys)
    for r, k in enumerate(keys):
        np.testing.assert_array_equal(many[0][r], data.long_tail_split(k, labels, counts, 4)[0])
    with pytest.raises(InvalidParameterError, match="'counts'"):
        data.long_tail_split(jax.random.key(0), labels, (30, 6, 2), test_per_class=4)


def test_per_class_smote_points_stay_on_their_class_segments():
    X, labels = _blocks()
    Xs, Ys = synth.multiclass("smote", COUNTS, k=5).sample(jax.random.key(2), X)
    extra = [max(COUNTS) - n for n in COUNTS]
    assert Xs.shape == (sum(extra), 2) and np.allclose(Ys.sum(1), 1)
    cls = np.asarray(jnp.argmax(Ys, 1))
    assert np.bincount(cls, minlength=3).tolist() == extra and np.allclose(Ys.max(1), 1)
    X = np.asarray(X)
    for x, c in zip(np.asarray(Xs), cls):
        pts = X[labels == c]
        best = np.inf
        for a in pts:                           # distance from x to the nearest segment between two class-c points
            for b in pts:
                if a is b:
                    continue
                u = np.clip((x - a) @ (b - a) / max((b - a) @ (b - a), 1e-12), 0, 1)
                best = min(best, np.linalg.norm(a + u * (b - a) - x))
        assert best < 1e-5


def test_mamix_label_rule_matches_its_definition_and_mixup_on_equal_classes():
    """λ_y = 1 − ½λ/λ_mid below λ_mid = k_i/(k_i + k_j) (k = n^(−ω)), ½(1 − λ)/(1 − λ_mid) above; equal class
    sizes give mixup's labels; unequal ones move label weight toward the rarer class."""
    lam = np.linspace(0, 1, 11)
    for n_i, n_j, omega in ((100.0, 10.0, 0.25), (10.0, 100.0, 0.5), (50.0, 50.0, 0.25)):
        k_i, k_j = n_i ** -omega, n_j ** -omega
        mid = k_i / (k_i + k_j)
        expected = [1 - 0.5 * x / mid if x < mid else 0.5 * (1 - x) / (1 - mid) for x in lam]
        got = synth.mamix_label_weight(jnp.asarray(lam), jnp.asarray(n_i), jnp.asarray(n_j), omega)
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    X, _ = _blocks()
    equal = (4, 4, 4)
    Xe = X[:12]
    mixed = synth.multiclass("mixup", equal, target=8).sample(jax.random.key(3), Xe)
    mamixed = synth.multiclass("mamix", equal, target=8).sample(jax.random.key(3), Xe)
    np.testing.assert_allclose(mixed[0], mamixed[0])
    np.testing.assert_allclose(mixed[1], mamixed[1], atol=1e-6)
    Xm, Ym = synth.multiclass("mixup", COUNTS).sample(jax.random.key(4), X)
    _, Ya = synth.multiclass("mamix", COUNTS).sample(jax.random.key(4), X)
    assert float(Ya[:, 2].sum()) > float(Ym[:, 2].sum())            # more weight on the rarest class


def test_soft_smote_labels_mix_the_base_class_with_the_neighbours():
    X, labels = _blocks()
    Xs, Ys = synth.multiclass("soft_smote", COUNTS, k=3).sample(jax.random.key(5), X)
    assert np.all(np.asarray(Ys) >= -1e-7) and np.allclose(Ys.sum(1), 1)
    assert Xs.shape[0] == sum(max(COUNTS) - n for n in COUNTS)
    base = np.repeat([1, 2], [6, 9])                                  # classes 1 and 2 are filled up, in order
    Ys = np.asarray(Ys)
    assert np.all(Ys[np.arange(len(base)), base] > 0)                 # (1 − u) on the base class, u < 1
    assert np.all(np.count_nonzero(Ys > 1e-7, axis=1) <= 2)           # base class and the neighbour's class
    with pytest.raises(InvalidParameterError, match="'method'"):
        synth.multiclass("adasyn", COUNTS)
    with pytest.raises(InvalidParameterError, match="'counts'"):
        synth.multiclass("smote", (5, 1))


def test_multiclass_mlp_without_hidden_layers_is_ridge_softmax_and_vmaps(x64):
    """``learn.mlp(n_classes=K)`` with no hidden layer minimises the ridge softmax objective of ``learn.softmax``
    (same probabilities after enough full-batch Adam steps); integer and one-hot labels give the same fit; the
    contract's fit vmaps over replicates like a loop; K > 2 with task='regression' is refused."""
    from synthjax import learn
    key = jax.random.key(3)
    labels = jnp.repeat(jnp.arange(3), 40)
    angle = 2.1 * labels.astype(jnp.float64)
    X = jax.random.normal(key, (120, 2)) + 1.5 * jnp.stack([jnp.cos(angle), jnp.sin(angle)], 1)
    net = learn.mlp((), n_classes=3, learning_rate=0.1, steps=20000, weight_decay=0.05, patience=0,
                    standardise_features=False)
    exact, _ = learn.softmax(3, ridge=0.05).fit(X, labels)
    model = net.draw(jax.random.key(0), X)
    params, info = model.fit(X, labels)
    assert model.score(params, X).shape == (120, 3) and int(info.status) == learn.OK
    np.testing.assert_allclose(jax.nn.softmax(model.score(params, X)),
                               jax.nn.softmax(learn.softmax_score(exact, X)), atol=2e-4)
    one_hot, _ = model.fit(X, jax.nn.one_hot(labels, 3, dtype=X.dtype))
    np.testing.assert_allclose(model.score(one_hot, X), model.score(params, X), rtol=1e-12)
    short = learn.mlp((4,), n_classes=3, steps=20)
    keys = jax.random.split(key, 3)
    batched = jax.vmap(lambda k: short.draw(k, X).fit(X, labels)[0].net)(keys)
    for i, k in enumerate(keys):
        one = short.draw(k, X).fit(X, labels)[0].net
        jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a[i], b, rtol=1e-9, atol=1e-12), batched, one)
    with pytest.raises(InvalidParameterError, match="'n_classes' parameter of learn.mlp"):
        learn.mlp(task="regression", n_classes=3)
