"""The imbalanced-learn face: fit_resample semantics, pipelines and grid search."""
import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from imblearn.utils.estimator_checks import parametrize_with_checks
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

from synthjax import sklearn as sk

SAMPLERS = [sk.RandomOverSampler(), sk.Jitter(sigma=0.2), sk.SMOTE(), sk.BorderlineSMOTE(),
            sk.BorderlineSMOTE(kind="borderline-2"), sk.ADASYN(), sk.GaussianFit(), sk.BayesianGaussian()]


def _data(weights=(0.9, 0.1), n=600, seed=0):
    return make_classification(n_samples=n, n_features=5, n_informative=3, weights=list(weights),
                               class_sep=0.8, random_state=seed)


@pytest.mark.parametrize("sampler", SAMPLERS, ids=lambda s: type(s).__name__ + getattr(s, "kind", ""))
def test_fit_resample_contract(sampler):
    X, y = _data()
    Xr, yr = sampler.set_params(random_state=3).fit_resample(X, y)
    counts = np.bincount(yr)
    assert counts[0] == counts[1] == np.bincount(y)[0]            # 'auto' balances
    np.testing.assert_array_equal(Xr[: len(X)], X)               # original rows first
    np.testing.assert_array_equal(yr[: len(y)], y)
    assert Xr.dtype == X.dtype and np.all(np.isfinite(Xr))
    Xr2, _ = sampler.fit_resample(X, y)
    np.testing.assert_array_equal(Xr, Xr2)                        # random_state ⇒ reproducible
    assert not np.array_equal(Xr, sampler.set_params(random_state=4).fit_resample(X, y)[0])


def test_sampling_strategy_forms_and_gamma():
    X, y = _data()
    n0, n1 = np.bincount(y)
    assert np.bincount(sk.SMOTE(sampling_strategy=0.5, random_state=0).fit_resample(X, y)[1])[1] == int(0.5 * n0)
    assert np.bincount(sk.SMOTE(sampling_strategy={1: 200}, random_state=0).fit_resample(X, y)[1])[1] == 200
    for gamma in (0.0, 0.5, 1.5):
        yr = sk.SMOTE(gamma=gamma, random_state=0).fit_resample(X, y)[1]
        assert np.bincount(yr)[1] == n1 + round(gamma * (n0 - n1))
    Xm, ym = make_classification(n_samples=900, n_classes=3, n_informative=4, n_redundant=0, n_features=5,
                                 weights=[0.7, 0.2, 0.1], random_state=1)
    assert len(set(np.bincount(sk.ADASYN(random_state=0).fit_resample(Xm, ym)[1]))) == 1   # one-vs-rest
    with pytest.raises(ValueError, match="'gamma' parameter of SMOTE needs binary labels"):
        sk.SMOTE(gamma=1.0).fit_resample(Xm, ym)
    with pytest.raises(ValueError, match="gamma"):
        sk.SMOTE(gamma=-1.0).fit_resample(X, y)


def test_inside_imblearn_pipeline_and_grid_search():
    X, y = _data(n=800)
    pipe = Pipeline([("over", sk.SMOTE(random_state=0)), ("clf", LogisticRegression(max_iter=500))])
    grid = GridSearchCV(pipe, {"over__k_neighbors": [3, 5], "over__gamma": [0.5, 1.0]},
                        cv=StratifiedKFold(3, shuffle=True, random_state=0), scoring="balanced_accuracy")
    grid.fit(X, y)
    assert set(grid.best_params_) == {"over__k_neighbors", "over__gamma"}
    # oversampling beats the plain fit on balanced accuracy (10% minority; same folds)
    plain = cross_val_score(LogisticRegression(max_iter=500), X, y, scoring="balanced_accuracy",
                            cv=StratifiedKFold(3, shuffle=True, random_state=0)).mean()
    assert plain < grid.best_score_ <= 1.0
    assert grid.predict(X).shape == y.shape


@parametrize_with_checks([getattr(sk, name)(random_state=0) for name in sk.__all__])
def test_imblearn_common_sampler_checks(estimator, check):
    """imbalanced-learn's own common sampler checks (sparse input, pandas, dtypes, strategies …)."""
    check(estimator)


@pytest.mark.parametrize("sampler, name", [(sk.SMOTE(k_neighbors=12), "k_neighbors"),
                                           (sk.ADASYN(n_neighbors=12), "n_neighbors"),
                                           (sk.BorderlineSMOTE(k_neighbors=12), "k_neighbors")])
def test_too_many_neighbours_names_the_estimators_parameter(sampler, name):
    """A neighbour count above the targeted class's size names this estimator's parameter, not the synthesizer's."""
    X, y = make_classification(n_samples=120, weights=[0.9], random_state=0)
    y[np.flatnonzero(y == 1)[8:]] = 0                      # 8 minority rows
    with pytest.raises(ValueError, match=f"The '{name}' parameter of {type(sampler).__name__} must be an int in "
                                         r"\[1, 7\]"):
        sampler.fit_resample(X, y)
