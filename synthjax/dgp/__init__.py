"""Data-generating processes with their oracles (Bayes score, θ*, population risk)."""
from ._core import DGP
from ._gaussian import GaussianParams, gaussian, mean_shift, minimise_population_risk
from ._laws import GaussianLaw, SampleLaw, gaussian_expectation, law_risk, score_law

__all__ = ["DGP", "GaussianParams", "GaussianLaw", "SampleLaw", "gaussian", "mean_shift", "gaussian_expectation",
           "law_risk", "score_law", "minimise_population_risk"]
