"""Learners: ``fit(X, y, w=None, hyper=None) -> (params, FitInfo)`` and ``score(params, X)``."""
from ._linear import (MAX_ITER, NONFINITE, OK, FitInfo, Learner, LinearParams, RidgeHyper,
                      least_squares, linear_score, logistic)
from ._mlp import MLPHyper, MLPLearner, MLPParams, mlp

__all__ = ["Learner", "LinearParams", "FitInfo", "RidgeHyper", "logistic", "least_squares",
           "linear_score", "OK", "MAX_ITER", "NONFINITE", "mlp", "MLPLearner", "MLPParams", "MLPHyper"]
