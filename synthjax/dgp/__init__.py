"""Data-generating processes with their oracles (Bayes score, θ*, population risk)."""
from ._core import DGP
from ._gaussian import GaussianParams, gaussian, gaussian_expectation, mean_shift, minimise_population_risk

__all__ = ["DGP", "GaussianParams", "gaussian", "mean_shift", "gaussian_expectation", "minimise_population_risk"]
