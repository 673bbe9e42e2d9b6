"""Classification metrics for scores, jit- and vmap-safe, plus Monte-Carlo standard errors.

Conventions: ``labels`` are 0/1 (1 = minority = positive class); a threshold t predicts positive
iff s ≥ t. Ties count ½ in AUROC; AUPRC is average precision at the sample's own prevalence
(as ``sklearn.metrics.average_precision_score``), tied scores forming one threshold.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def _prepare(scores, labels):
    scores = jnp.asarray(scores)
    if scores.ndim != 1 or jnp.shape(labels) != scores.shape:
        raise ValueError(f"The 'scores' and 'labels' parameters must be 1-D arrays of the same length. "
                         f"Got shapes {scores.shape} and {jnp.shape(labels)} instead.")
    return scores, jnp.asarray(labels).astype(scores.dtype)


def auroc(scores, labels):
    """AUROC = P(s(X1) > s(X0)) + ½ P(s(X1) = s(X0)) over all positive–negative pairs.

    Each positive contributes (#negatives below + ½ #negatives tied)/N0, found by binary search
    in the sorted negative scores: O(n log n), exact with ties (Mann–Whitney U / (n0 n1)).
    """
    s, y = _prepare(scores, labels)
    neg_sorted = jnp.sort(jnp.where(y == 0, s, jnp.inf))
    below = jnp.searchsorted(neg_sorted, s, side="left")
    below_or_tied = jnp.searchsorted(neg_sorted, s, side="right")
    n_neg = jnp.sum(1 - y)
    u = 0.5 * (below + below_or_tied).astype(s.dtype) / n_neg
    return jnp.sum(y * u) / jnp.sum(y)


def _threshold_counts(s, y):
    """For each score in descending order: TP and FP when predicting s ≥ (its own score), and P, N.

    Tied scores share one threshold: every member of a tie group gets the counts at its group's end.
    """
    order = jnp.argsort(-s)
    s_desc, y_desc = -(-s)[order], y[order]
    end = jnp.searchsorted(-s_desc, -s_desc, side="right") - 1
    tp, fp = jnp.cumsum(y_desc)[end], jnp.cumsum(1 - y_desc)[end]
    return y_desc, tp, fp, jnp.sum(y), jnp.sum(1 - y)


def auprc(scores, labels):
    """Average precision AP = Σ_k (R_k − R_{k−1}) P_k over distinct thresholds (step-wise, no
    interpolation; equals ``sklearn.metrics.average_precision_score``). Prevalence: the sample's."""
    s, y = _prepare(scores, labels)
    y_desc, tp, fp, P, _ = _threshold_counts(s, y)
    return jnp.sum(y_desc * tp / (tp + fp)) / P


def best_threshold_balanced_accuracy(scores, labels):
    """sup_t ½[P1(s ≥ t) + P0(s < t)] over all thresholds (t = +∞ gives ½)."""
    s, y = _prepare(scores, labels)
    _, tp, fp, P, N = _threshold_counts(s, y)
    return jnp.maximum(0.5, jnp.max(0.5 * (tp / P + (N - fp) / N)))


def best_threshold_f1(scores, labels):
    """sup_t F1(t), F1 = 2TP / (2TP + FP + FN) = 2TP / (TP + FP + P), predicting positive iff s ≥ t."""
    s, y = _prepare(scores, labels)
    _, tp, fp, P, _ = _threshold_counts(s, y)
    return jnp.max(2 * tp / (tp + fp + P))


def threshold_metrics(scores, labels, threshold=0.0) -> dict:
    """Confusion-matrix metrics at one threshold (positive iff s ≥ threshold).

    Returns a dict of accuracy, precision, recall, f1, balanced_accuracy, mcc and kappa (Cohen's);
    0/0 ratios give NaN (e.g. precision with no predicted positive), as a status to inspect.
    """
    s, y = _prepare(scores, labels)
    pred = (s >= threshold).astype(s.dtype)
    tp, fp = jnp.sum(pred * y), jnp.sum(pred * (1 - y))
    fn, tn = jnp.sum((1 - pred) * y), jnp.sum((1 - pred) * (1 - y))
    n = tp + fp + fn + tn
    precision, recall, specificity = tp / (tp + fp), tp / (tp + fn), tn / (tn + fp)
    accuracy = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / n ** 2
    return {
        "accuracy": accuracy,
        "precision": precision,
        "recall": recall,
        "f1": 2 * tp / (2 * tp + fp + fn),
        "balanced_accuracy": 0.5 * (recall + specificity),
        "mcc": (tp * tn - fp * fn) / jnp.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)),
        "kappa": (accuracy - expected) / (1 - expected),
    }


def balanced_risk(loss, scores, labels):
    """½ mean_{y=0} ℓ(s, 0) + ½ mean_{y=1} ℓ(s, 1): the empirical balanced risk of a score."""
    s, y = _prepare(scores, labels)
    per_point = loss(s, y)
    return 0.5 * jnp.sum((1 - y) * per_point) / jnp.sum(1 - y) + 0.5 * jnp.sum(y * per_point) / jnp.sum(y)


def balanced_log_loss(scores, labels):
    """Balanced logistic loss of logit scores: ½ mean_{y=0} softplus(s) + ½ mean_{y=1} softplus(−s)."""
    return balanced_risk(lambda s, y: jax.nn.softplus(s) - y * s, scores, labels)


def balanced_mse(predictions, labels):
    """Balanced squared error ½ mean_{y=0} f² + ½ mean_{y=1} (1 − f)² for 0/1 targets."""
    return balanced_risk(lambda f, y: (y - f) ** 2, predictions, labels)


def mcse(values, axis=0):
    """Monte-Carlo standard error of a mean: SD / √R over the finite entries (R = their count).

    For a proportion p estimated from R replicates this is ≈ √(p(1 − p)/R) (up to R/(R − 1)).
    """
    v = np.asarray(values, dtype=float)
    finite = np.isfinite(v)
    r = finite.sum(axis=axis)
    filled = np.where(finite, v, 0.0)
    mean = filled.sum(axis=axis) / np.maximum(r, 1)
    ss = (np.where(finite, v - np.expand_dims(mean, axis), 0.0) ** 2).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(r >= 2, np.sqrt(ss / (r - 1) / r), np.nan)
