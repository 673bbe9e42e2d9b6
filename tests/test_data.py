import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from synthjax import InvalidParameterError, data


def _frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "flag": rng.random(n) < 0.5,
                          "label": np.where(np.arange(n) < 8, "sick", "well")})
    frame.loc[[1, 20], "a"] = np.nan
    return frame


def test_from_frame_reads_a_table_and_its_minority(tmp_path):
    table = data.from_frame(_frame(), "label")
    assert table.counts == (32, 8) and table.classes == ("rest", "sick")
    assert table.feature_names == ("a", "b", "flag") and table.X.dtype == np.float64
    assert np.isnan(table.X[[1, 20], 0]).all() and table.info["missing"] == 2
    flipped = data.from_frame(_frame(), "label", minority="well")
    np.testing.assert_array_equal(flipped.y, 1 - table.y)
    _frame().to_csv(tmp_path / "t.csv", index=False)
    _frame().to_parquet(tmp_path / "t.parquet")
    for path in (tmp_path / "t.csv", tmp_path / "t.parquet"):
        read = data.read(path, "label")
        np.testing.assert_array_equal(read.y, table.y)
        np.testing.assert_allclose(read.X, table.X)
        assert read.name == "t"


def test_table_errors_name_the_problem(tmp_path):
    frame = _frame()
    with pytest.raises(InvalidParameterError, match="'label'.*must name a column"):
        data.from_frame(frame, "outcome")
    with pytest.raises(InvalidParameterError, match="at least two classes"):
        data.from_frame(frame.assign(label="x"), "label")
    with pytest.raises(InvalidParameterError, match="numeric.*city"):
        data.from_frame(frame.assign(city="Paris"), "label")
    with pytest.raises(InvalidParameterError, match="'minority'"):
        data.from_frame(frame, "label", minority="dead")
    with pytest.raises(InvalidParameterError, match="at least 2 rows"):
        data.from_frame(frame.assign(label=["x"] + ["y"] * 39), "label")
    with pytest.raises(InvalidParameterError, match="missing values"):
        data.from_frame(frame.assign(label=[None] + ["y"] * 39), "label")
    with pytest.raises(InvalidParameterError, match="'name'"):
        data.load("mnist")
    with pytest.raises(InvalidParameterError, match="suffix"):
        data.read(tmp_path / "t.xlsx", "label")


def test_bundled_tables_and_controlled_imbalance():
    sizes = {"breast-cancer": (357, 212), "digits-3-vs-rest": (1614, 183), "wine-3-vs-rest": (130, 48)}
    for name, counts in sizes.items():
        table = data.load(name)
        assert table.counts == counts and not np.isnan(table.X).any()
    cancer = data.load("breast-cancer", ratio=10, seed=4)
    assert cancer.counts == (357, 35) and cancer.info["imbalance_ratio"] == 10
    assert cancer.classes == ("rest", "malignant")
    again = data.load("breast-cancer", ratio=10, seed=4)
    np.testing.assert_array_equal(again.X, cancer.X)
    with pytest.raises(InvalidParameterError, match="'ratio'"):
        data.load("wine-3-vs-rest", ratio=100)       # 130 // 100 = 1 minority row
    with pytest.raises(InvalidParameterError, match="'ratio'"):
        data.load("breast-cancer", ratio=1.2)          # needs more malignant rows than the table has


def test_stratified_split_is_exact_disjoint_and_vmaps():
    y = np.r_[np.zeros(90, int), np.ones(23, int)]
    split = data.stratified_split(jax.random.key(0), y, 0.2)
    assert [len(s) for s in split] == [72, 18, 18, 5]
    train, test = np.r_[split.train0, split.train1], np.r_[split.test0, split.test1]
    assert not set(train) & set(test) and len(set(train) | set(test)) == len(y)
    assert (y[split.train1] == 1).all() and (y[split.test0] == 0).all()
    balanced = data.stratified_split(jax.random.key(0), y, 0.2, balanced_test=True)
    assert len(balanced.test0) == len(balanced.test1) == 5
    keys = jax.random.split(jax.random.key(1), 6)
    many = jax.vmap(lambda k: data.stratified_split(k, y, 0.2))(keys)
    for r, k in enumerate(keys):
        one = data.stratified_split(k, y, 0.2)
        for a, b in zip(many, one):
            np.testing.assert_array_equal(a[r], b)
    assert len({tuple(np.asarray(t)) for t in many.test1}) > 1
    with pytest.raises(InvalidParameterError, match="'test_fraction'"):
        data.stratified_split(jax.random.key(0), y, 0.01)


def test_stratified_folds_partition_each_class():
    fold0, fold1 = data.stratified_folds(jax.random.key(2), 53, 12, K=5)
    assert sorted(np.bincount(np.asarray(fold0))) == [10, 10, 11, 11, 11]
    assert sorted(np.bincount(np.asarray(fold1))) == [2, 2, 2, 3, 3]
    repeated = jax.vmap(lambda k: data.stratified_folds(k, 53, 12, K=5))(jax.random.split(jax.random.key(3), 5))
    assert repeated[1].shape == (5, 12)
    with pytest.raises(InvalidParameterError, match="'K'.*smallest class"):
        data.stratified_folds(jax.random.key(2), 53, 4, K=5)


def test_preprocessing_is_fitted_on_the_training_rows_only(x64):
    """Imputation and scaling use training statistics: a test set with huge values (or NaNs) changes no
    training row, and test NaNs are filled with the *training* mean."""
    rng = np.random.default_rng(0)
    train = rng.normal(size=(30, 3))
    train[[2, 5], 1] = np.nan
    test = rng.normal(size=(10, 3)) + 1000.0
    test[0, 1] = np.nan
    out_train, out_test = data.preprocess(jnp.asarray(train), jnp.asarray(test))
    mean, sd = np.nanmean(train, 0), np.nanstd(train, 0)
    expected = (np.where(np.isnan(train), mean, train) - mean) / sd
    np.testing.assert_allclose(out_train, expected, atol=1e-12)
    assert abs(float(out_test[0, 1])) < 1e-12                # NaN → training mean → 0 after centring
    np.testing.assert_allclose(data.preprocess(jnp.asarray(train), jnp.asarray(test[::-1]))[0], out_train)
    table = data.from_frame(_frame(), "label")
    split = data.stratified_split(jax.random.key(5), table.y, 0.25)
    X0, X1, T0, T1 = data.split_arrays(table.X, split)
    assert X0.shape == (24, 3) and X1.shape == (6, 3) and not jnp.isnan(jnp.concatenate([X0, X1, T0, T1])).any()
    np.testing.assert_allclose(jnp.concatenate([X0, X1]).mean(0), 0.0, atol=1e-12)
