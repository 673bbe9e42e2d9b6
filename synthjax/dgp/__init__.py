"""Data-generating processes with their oracles (Bayes score, θ*, population risk)."""
from ._codsa import (PAPER_SIZES, CoDSAData, codsa_classification, codsa_classification_pool, codsa_regression,
                     codsa_regression_region)
from ._core import DGP, bound_arrays, minimise_population_risk
from ._gaussian import GaussianParams, gaussian, mean_shift
from ._laws import GaussianLaw, LocationScaleLaw, MixtureLaw, SampleLaw, gaussian_expectation, law_risk, score_law
from ._metrics import METRIC_NAMES, gaussian_score_metrics, sample_metrics
from ._mixture import MixtureParams, gaussian_mixture
from ._two_point import TwoPointParams, symmetry_alpha, two_point_logistic
from ._location_scale import NOISES, LocationScaleParams, location_scale, standard_noise

__all__ = ["PAPER_SIZES", "CoDSAData", "codsa_classification", "codsa_classification_pool", "codsa_regression",
           "codsa_regression_region", "DGP", "GaussianParams", "GaussianLaw", "SampleLaw", "MixtureLaw", "MixtureParams", "gaussian_mixture", "LocationScaleLaw", "LocationScaleParams",
           "gaussian", "mean_shift", "location_scale", "standard_noise", "NOISES", "gaussian_expectation",
           "law_risk", "score_law", "minimise_population_risk", "bound_arrays", "METRIC_NAMES", "gaussian_score_metrics",
           "sample_metrics", "TwoPointParams", "symmetry_alpha", "two_point_logistic"]
