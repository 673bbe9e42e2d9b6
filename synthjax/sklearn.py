"""imbalanced-learn-compatible samplers backed by synthjax synthesizers.

Each class is an ``imblearn`` over-sampler: ``fit_resample(X, y)`` returns the original rows first,
then the synthetic rows; ``sampling_strategy`` takes imbalanced-learn's forms (float, str, dict,
callable) and ``gamma`` overrides it with a synthetic size ñ = round(γ (n_majority − n_minority))
for the minority class of a binary problem; ``random_state`` seeds a JAX key. They work inside
``imblearn.pipeline.Pipeline`` and ``GridSearchCV``. Requires imbalanced-learn (``pip install
synthjax[test]`` or ``pip install imbalanced-learn``).

Each class targeted by the strategy is treated as the minority against all other rows (one-vs-rest,
as imbalanced-learn does). SciPy sparse input (CSR/CSC) is accepted as imbalanced-learn accepts it: the
synthesizer works on a dense copy and the result is sparse in the input's format. Soft-label methods (mixup family) have no place in this API and are not
offered here.
"""
from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from scipy import sparse
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from . import synth
from ._memo import OwnedCache
from ._validate import InvalidParameterError

__all__ = ["RandomOverSampler", "Jitter", "SMOTE", "BorderlineSMOTE", "ADASYN", "GaussianFit", "BayesianGaussian"]


#: compiled ``fit`` + ``sample`` programs by (sampler class, its synthesizer's parameters): clones made by
#: ``GridSearchCV`` or a pipeline reuse them; one compilation per data shape and size, not one per operation
_PROGRAMS = OwnedCache(keep=16)
_SAMPLING_PARAMETERS = ("sampling_strategy", "gamma", "random_state")


def _fit_and_sample(method: synth.Synthesizer):
    """``draw(seed, i, X_min, X_rest, n_new)``: n_new rows from ``method`` fitted on the i-th targeted class, keyed by
    fold_in(key(seed), i), as one compiled program (the keys are made inside it: no eager dispatch per call)."""
    def draw(seed, i, X_min, X_rest, n_new: int):
        k_fit, k_sample = jax.random.split(jax.random.fold_in(jax.random.key(seed), i))
        return method.sample(k_sample, method.fit(k_fit, X_min, X_rest), n_new).X
    return jax.jit(draw, static_argnames="n_new")


class _JaxOverSampler(BaseOverSampler):
    """Shared ``fit_resample`` machinery; each subclass defines ``_synthesizer() -> synth.Synthesizer``."""

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "gamma": [Interval(numbers.Real, 0, None, closed="left"), None],
    }

    def __init__(self, *, sampling_strategy="auto", gamma=None, random_state=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.gamma = gamma
        self.random_state = random_state

    def _strategy(self, y):
        if self.gamma is None:
            return self.sampling_strategy_
        classes, counts = np.unique(y, return_counts=True)
        if len(classes) != 2:
            raise ValueError(f"The 'gamma' parameter of {type(self).__name__} needs binary labels. "
                             f"Got {len(classes)} classes instead; use sampling_strategy.")
        return {classes[np.argmin(counts)]: int(np.rint(self.gamma * (counts.max() - counts.min())))}

    def _neighbour_limits(self, n_class: int, n_all: int) -> dict:
        """{parameter: largest allowed value} for the neighbour counts of this sampler on a class of n_class rows."""
        return {}

    def _check_neighbours(self, n_class: int, n_all: int):
        """Name this estimator's own parameter (not the synthesizer's) when a neighbour count exceeds the data."""
        for name, limit in self._neighbour_limits(n_class, n_all).items():
            if getattr(self, name) > limit:
                raise InvalidParameterError(
                    f"The '{name}' parameter of {type(self).__name__} must be an int in [1, {limit}] for this data "
                    f"(a targeted class has {n_class} of {n_all} samples). Got {getattr(self, name)} instead.")

    def _fit_resample(self, X, y):
        dtype = jnp.float64 if (X.dtype == np.float64 and jax.config.jax_enable_x64) else jnp.float32
        seed = int(check_random_state(self.random_state).randint(2 ** 31 - 1))
        own = tuple(sorted((k, v) for k, v in self.get_params().items() if k not in _SAMPLING_PARAMETERS))
        draw = _PROGRAMS.get((type(self), own), (), lambda: _fit_and_sample(self._synthesizer()))
        dense = X.toarray() if sparse.issparse(X) else X     # synthesis is dense; sparse in, sparse out
        X_parts, y_parts = [X], [y]
        for i, (cls, n_new) in enumerate(sorted(self._strategy(y).items(), key=lambda kv: str(kv[0]))):
            if n_new <= 0:
                continue
            mine = y == cls
            self._check_neighbours(int(np.sum(mine)), len(y))
            X_new = draw(np.uint32(seed), np.uint32(i), np.asarray(dense[mine], dtype), np.asarray(dense[~mine], dtype),
                         int(n_new))
            X_parts.append(np.asarray(X_new).astype(X.dtype))
            y_parts.append(np.full(int(n_new), cls, dtype=y.dtype))
        if sparse.issparse(X):
            return sparse.vstack(X_parts, format=X.format), np.concatenate(y_parts)
        return np.concatenate(X_parts), np.concatenate(y_parts)


class RandomOverSampler(_JaxOverSampler):
    """Random oversampling (bootstrap of each targeted class)."""

    def _synthesizer(self):
        return synth.random_oversampling()


class Jitter(_JaxOverSampler):
    """Bootstrap plus Gaussian noise σ (or σ·SD_j per feature)."""

    _parameter_constraints: dict = {**_JaxOverSampler._parameter_constraints,
                                    "sigma": [Interval(numbers.Real, 0, None, closed="left")],
                                    "per_feature": ["boolean"]}

    def __init__(self, *, sigma=0.1, per_feature=False, sampling_strategy="auto", gamma=None, random_state=None):
        super().__init__(sampling_strategy=sampling_strategy, gamma=gamma, random_state=random_state)
        self.sigma = sigma
        self.per_feature = per_feature

    def _synthesizer(self):
        return synth.jitter(self.sigma, self.per_feature)


class SMOTE(_JaxOverSampler):
    """SMOTE with imbalanced-learn's law (``synthjax.synth.smote``)."""

    _parameter_constraints: dict = {**_JaxOverSampler._parameter_constraints,
                                    "k_neighbors": [Interval(numbers.Integral, 1, None, closed="left")]}

    def __init__(self, *, k_neighbors=5, sampling_strategy="auto", gamma=None, random_state=None):
        super().__init__(sampling_strategy=sampling_strategy, gamma=gamma, random_state=random_state)
        self.k_neighbors = k_neighbors

    def _neighbour_limits(self, n_class, n_all):
        return {"k_neighbors": n_class - 1}

    def _synthesizer(self):
        return synth.smote(self.k_neighbors)


class BorderlineSMOTE(_JaxOverSampler):
    """Borderline-SMOTE 1 or 2 (``synthjax.synth.borderline_smote``)."""

    _parameter_constraints: dict = {**_JaxOverSampler._parameter_constraints,
                                    "kind": [StrOptions({"borderline-1", "borderline-2"})],
                                    "k_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
                                    "m_neighbors": [Interval(numbers.Integral, 1, None, closed="left")]}

    def __init__(self, *, kind="borderline-1", k_neighbors=5, m_neighbors=10, sampling_strategy="auto",
                 gamma=None, random_state=None):
        super().__init__(sampling_strategy=sampling_strategy, gamma=gamma, random_state=random_state)
        self.kind = kind
        self.k_neighbors = k_neighbors
        self.m_neighbors = m_neighbors

    def _neighbour_limits(self, n_class, n_all):
        return {"k_neighbors": (n_class if self.kind == "borderline-1" else n_all) - 1, "m_neighbors": n_all - 1}

    def _synthesizer(self):
        return synth.borderline_smote(int(self.kind[-1]), self.k_neighbors, self.m_neighbors)


class ADASYN(_JaxOverSampler):
    """ADASYN returning exactly the requested number of points (``synthjax.synth.adasyn``)."""

    _parameter_constraints: dict = {**_JaxOverSampler._parameter_constraints,
                                    "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")]}

    def __init__(self, *, n_neighbors=5, sampling_strategy="auto", gamma=None, random_state=None):
        super().__init__(sampling_strategy=sampling_strategy, gamma=gamma, random_state=random_state)
        self.n_neighbors = n_neighbors

    def _neighbour_limits(self, n_class, n_all):
        return {"n_neighbors": n_class - 1}

    def _synthesizer(self):
        return synth.adasyn(self.n_neighbors)


class GaussianFit(_JaxOverSampler):
    """Draws from a shrunk Gaussian fitted to each targeted class (``synthjax.synth.gaussian_fit``)."""

    _parameter_constraints: dict = {**_JaxOverSampler._parameter_constraints,
                                    "shrink": [Interval(numbers.Real, 0, 1, closed="both")]}

    def __init__(self, *, shrink=0.1, sampling_strategy="auto", gamma=None, random_state=None):
        super().__init__(sampling_strategy=sampling_strategy, gamma=gamma, random_state=random_state)
        self.shrink = shrink

    def _synthesizer(self):
        return synth.gaussian_fit(self.shrink)


class BayesianGaussian(_JaxOverSampler):
    """Posterior-predictive draws of a Normal–inverse-Wishart model (``synthjax.synth.bayesian_gaussian``)."""

    _parameter_constraints: dict = {**_JaxOverSampler._parameter_constraints,
                                    "kappa0": [Interval(numbers.Real, 0, None, closed="neither")],
                                    "psi0": [Interval(numbers.Real, 0, None, closed="neither")]}

    def __init__(self, *, kappa0=0.01, psi0=1.0, sampling_strategy="auto", gamma=None, random_state=None):
        super().__init__(sampling_strategy=sampling_strategy, gamma=gamma, random_state=random_state)
        self.kappa0 = kappa0
        self.psi0 = psi0

    def _synthesizer(self):
        return synth.bayesian_gaussian(self.kappa0, self.psi0)
