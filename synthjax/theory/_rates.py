"""Comparing simulations with theory: convergence rates and curve agreement (post-processing, numpy)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class RateFit(NamedTuple):
    slope: float            #: fitted exponent of n
    slope_se: float             #: standard error of ``slope``
    ci: tuple               #: (low, high) at the requested level
    intercept: float            #: fitted log-scale intercept
    predicted: float | None     #: the theory's exponent, if one was given
    consistent: bool | None  #: predicted exponent inside the interval


def fit_rate(n, mean, mcse, predicted: float | None = None, level: float = 0.95) -> RateFit:
    """Weighted least squares of log E[excess] = c + slope · log n over an n grid.

    Each point's weight is 1/Var(log mean) ≈ (mean/MCSE)² (delta method), so the slope's standard
    error reflects the Monte-Carlo error; the interval is normal-theory (a t interval with k − 2 df
    when the residuals show more scatter than the MCSEs explain, i.e. the larger of the two).
    Compare with the theory's exponent (e.g. −1 for an ideal generator's variance term, 0 for a bias
    floor) via ``predicted``.
    """
    n, mean, mcse = (np.asarray(a, float) for a in (n, mean, mcse))
    keep = (n > 0) & (mean > 0) & (mcse > 0) & np.isfinite(mean)
    if keep.sum() < 3:
        raise ValueError("fit_rate needs at least 3 grid points with positive mean and MCSE.")
    x, y, w = np.log(n[keep]), np.log(mean[keep]), (mean[keep] / mcse[keep]) ** 2
    X = np.c_[np.ones_like(x), x]
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    beta = cov @ X.T @ (w * y)
    k = len(x)
    dispersion = float(w @ (y - X @ beta) ** 2) / (k - 2)
    se = float(np.sqrt(cov[1, 1] * max(1.0, dispersion)))
    import scipy.stats   # here, not at import: 0.45 s of every start of synthjax
    q = scipy.stats.norm.ppf(0.5 + level / 2) if dispersion <= 1 else scipy.stats.t.ppf(0.5 + level / 2, k - 2)
    ci = (float(beta[1] - q * se), float(beta[1] + q * se))
    consistent = None if predicted is None else bool(ci[0] <= predicted <= ci[1])
    return RateFit(float(beta[1]), se, ci, float(beta[0]), predicted, consistent)


class Agreement(NamedTuple):
    chi2: float       #: Σ ((simulated − predicted)/MCSE)²
    df: int                     #: the number of points compared
    p_value: float    #: P(χ²_df > chi2) — small values mean the curves part beyond Monte-Carlo error
    max_z: float      #: the largest ``|z|``


def agreement(simulated, mcse, predicted) -> Agreement:
    """χ²-type agreement between a simulated curve (means with MCSEs) and a predicted curve."""
    simulated, mcse, predicted = (np.asarray(a, float) for a in (simulated, mcse, predicted))
    z = (simulated - predicted) / mcse
    z = z[np.isfinite(z)]
    chi2 = float(z @ z)
    import scipy.stats   # here, not at import: 0.45 s of every start of synthjax
    return Agreement(chi2, len(z), float(scipy.stats.chi2.sf(chi2, len(z))), float(np.max(np.abs(z))))
