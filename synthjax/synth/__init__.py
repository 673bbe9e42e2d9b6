"""Synthesizers: pure ``fit(key, X_min, X_maj=None, hyper=None) -> state`` and
``sample(key, state, m) -> SynthSample(X, provenance)`` pairs, with nested-size masks."""
from ._basic import biased_gaussian, gaussian_fit, jitter, oracle, random_oversampling
from ._core import Provenance, Synthesizer, SynthSample, nested_mask, synthetic_sizes
from ._smote import minority_neighbours, smote

__all__ = ["Synthesizer", "SynthSample", "Provenance", "nested_mask", "synthetic_sizes",
           "random_oversampling", "jitter", "smote", "minority_neighbours", "gaussian_fit", "oracle",
           "biased_gaussian"]
