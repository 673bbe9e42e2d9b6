"""Synthesizers: pure ``fit(key, X_min, X_maj=None, hyper=None) -> state`` and
``sample(key, state, m) -> SynthSample(X, provenance, y)`` pairs, with nested-size masks.

``REGISTRY`` maps a method name to its factory; factories that need the DGP (oracle, semi-oracle,
biased Gaussian) take it as their first argument.
"""
from ._basic import biased_gaussian, gaussian_fit, jitter, oracle, random_oversampling, semi_oracle
from ._bayes import bayesian_gaussian, niw_posterior, predictive_moments
from ._core import (Provenance, Synthesizer, SynthSample, fit_synthesizer, nested_mask, one_of, synthetic_sizes,
                    takes_masks)
from ._interpolation import adasyn, adasyn_weights, borderline_smote, danger_set, segment_law, soft_smote
from ._mixup import mamix, mamix_label_weight, mixup, preserving_epsilon, preserving_mixup, variance_factor
from ._multiclass import MULTICLASS_METHODS, MulticlassSynthesizer, class_offsets, multiclass
from ._neighbours import knn, minority_neighbours
from ._smote import smote
from . import diffusion
from .diffusion import DiffusionConfig, conditional_diffusion

#: name -> (factory, needs_dgp)
REGISTRY = {
    "ros": (random_oversampling, False),
    "jitter": (jitter, False),
    "smote": (smote, False),
    "borderline_smote": (borderline_smote, False),
    "adasyn": (adasyn, False),
    "soft_smote": (soft_smote, False),
    "mixup": (mixup, False),
    "preserving_mixup": (preserving_mixup, False),
    "mamix": (mamix, False),
    "gaussian_fit": (gaussian_fit, False),
    "bayesian_gaussian": (bayesian_gaussian, False),
    "oracle": (oracle, True),
    "semi_oracle": (semi_oracle, True),
    "biased_gaussian": (biased_gaussian, True),
    "conditional_diffusion": (conditional_diffusion, False),
}


def make(name: str, dgp=None, **options) -> Synthesizer:
    """Build a synthesizer by name (e.g. ``make("smote", k=3)``, ``make("oracle", dgp)``)."""
    from .._validate import check_choice
    check_choice(name, "name", "synth.make", tuple(REGISTRY))
    factory, needs_dgp = REGISTRY[name]
    return factory(dgp, **options) if needs_dgp else factory(**options)


__all__ = ["Synthesizer", "SynthSample", "Provenance", "nested_mask", "one_of", "synthetic_sizes", "fit_synthesizer",
           "takes_masks", "REGISTRY", "make",
           "random_oversampling", "jitter", "smote", "borderline_smote", "adasyn", "soft_smote", "mixup",
           "preserving_mixup", "mamix", "gaussian_fit", "bayesian_gaussian", "oracle", "semi_oracle",
           "biased_gaussian", "knn", "minority_neighbours", "danger_set", "adasyn_weights", "segment_law",
           "preserving_epsilon", "variance_factor", "niw_posterior", "predictive_moments", "diffusion",
           "DiffusionConfig", "conditional_diffusion", "mamix_label_weight", "multiclass", "MulticlassSynthesizer",
           "MULTICLASS_METHODS", "class_offsets"]
