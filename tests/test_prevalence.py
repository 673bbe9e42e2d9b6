"""Population AUROC, AUPRC, best-threshold BA and F1 of every DGP at prevalences ½, 0.2 and 0.05 against a
large independent Monte Carlo at that prevalence (scikit-learn's metrics on the pooled sample).

Tolerance 0.012: with 40,000 minority draws the Monte-Carlo SE of AP/F1 is ≤ 2e-3 and the DGPs' own
fixed-sample oracles add ≤ 2e-3, so a correct oracle fails with probability < 1e-6 per value; the
prevalence-½ answer at π = 0.2 is off by more than 0.1 (the bug this catches)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

from synthjax import dgp as D
from synthjax.learn import LinearParams

DGPS = {
    "gaussian": lambda: D.gaussian(np.zeros(3), np.array([1.0, 0.5, 0.0])),
    "gaussian_unequal": lambda: D.gaussian(np.zeros(3), np.array([1.0, 0.5, 0.0]), cov1=np.diag([2.0, 1.0, 0.5])),
    "mean_shift": lambda: D.mean_shift(3, 1.0),
    "location_scale_uniform": lambda: D.location_scale(np.zeros(3), np.array([1.0, 0.5, 0.0]), 1.0, 1.5),
    "location_scale_rademacher": lambda: D.location_scale(np.zeros(3), np.array([1.0, 0.5, 0.0]), noise="rademacher"),
    "gaussian_mixture": lambda: D.gaussian_mixture(np.zeros(3), np.array([[2.0, 1.75, 0.0], [2.0, -1.75, 0.0]])),
}
BAYES = {"gaussian", "gaussian_unequal", "mean_shift", "location_scale_uniform", "gaussian_mixture"}


def _monte_carlo(s0, s1):
    s = np.r_[s0, s1].astype(np.float64)
    finite = s[np.isfinite(s)]                  # a uniform law's Bayes score is ±∞ off the other support
    s = np.clip(s, finite.min() - 1, finite.max() + 1)
    y = np.r_[np.zeros(len(s0)), np.ones(len(s1))]
    fpr, tpr, _ = roc_curve(y, s)
    precision, recall, _ = precision_recall_curve(y, s)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-300)
    return dict(auroc=roc_auc_score(y, s), auprc=average_precision_score(y, s),
                best_ba=max(0.5, np.max(0.5 * (tpr + 1 - fpr))), best_f1=np.max(f1))


@pytest.mark.parametrize("name", sorted(DGPS))
def test_population_metrics_at_prevalence(name):
    """One Monte-Carlo sample per DGP: 40,000 minority and 760,000 majority draws; prevalence π uses the
    first 40,000 (1 − π)/π majority draws."""
    truth = DGPS[name]()
    params = LinearParams(jnp.asarray([0.8, 0.6, -0.3]), jnp.asarray(-0.4))
    n1 = 40_000
    X0, X1 = truth.sample(jax.random.key(123), 19 * n1, n1)
    linear = [np.asarray(X @ params.coef + params.intercept) for X in (X0, X1)]
    bayes = [np.asarray(truth.bayes_score(X)) for X in (X0, X1)] if name in BAYES else None
    for prevalence in (0.5, 0.2, 0.05):
        n0 = int(round(n1 * (1 - prevalence) / prevalence))
        checks = [(truth.population_metrics(params, prevalence), linear)]
        if bayes is not None:
            checks.append((truth.bayes_metrics(prevalence), bayes))
        for oracle, (s0, s1) in checks:
            for metric, value in _monte_carlo(s0[:n0], s1).items():
                assert abs(float(oracle[metric]) - value) < 0.012, (prevalence, metric, float(oracle[metric]), value)
