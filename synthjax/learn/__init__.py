"""Learners behind one contract (``learn._contract``): ``fit(X, y, w=None, hyper=None) -> (params, FitInfo)``,
``fit_path``, ``score(params, X)``, a per-point ``loss(s, y)`` and ``hyper``; learners with random parts
(random features, networks) expose ``draw(key, X)`` and are drawn once per replicate by ``bind``."""
from .._status import MAX_ITER, NONFINITE, OK
from ._contract import Model, bind, check_learner, path_fit, vmap_path
from ._features import FeatureMap, RandomFeatureLearner, random_fourier_logistic, rbf_bandwidth, rbf_features
from ._linear import (FitInfo, Learner, LinearParams, RidgeHyper, least_squares, linear_score, logistic,
                      split_params)
from ._mlp import MLPHyper, MLPLearner, MLPParams, mlp
from ._softmax import SoftmaxLearner, SoftmaxParams, one_hot_labels, softmax, softmax_loss, softmax_score

__all__ = ["Learner", "LinearParams", "FitInfo", "RidgeHyper", "logistic", "least_squares",
           "linear_score", "split_params", "OK", "MAX_ITER", "NONFINITE", "mlp", "MLPLearner", "MLPParams", "MLPHyper",
           "Model", "bind", "check_learner", "path_fit", "vmap_path", "random_fourier_logistic", "RandomFeatureLearner",
           "FeatureMap", "rbf_features", "rbf_bandwidth", "softmax", "SoftmaxLearner", "SoftmaxParams", "softmax_score",
           "softmax_loss", "one_hot_labels"]
