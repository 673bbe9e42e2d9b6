"""Classification metrics for scores, jit- and vmap-safe, plus Monte-Carlo standard errors.

Conventions: ``labels`` are 0/1 (1 = minority = positive class); a threshold t predicts positive
iff s ≥ t. Labels outside {0, 1} raise ``InvalidParameterError`` when a metric is called eagerly; inside
``jit``/``vmap`` (where values cannot be inspected) the metric returns NaN instead.
Ties count ½ in AUROC; AUPRC is average precision at the sample's own prevalence
(as ``sklearn.metrics.average_precision_score``), tied scores forming one threshold.
``mask`` (where a metric takes it): a 0/1 row mask of padded data (STYLE "ragged data"); masked rows do not exist
for the metric, which equals the metric of the valid rows alone.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._validate import InvalidParameterError


def _prepare(scores, labels, mask=None):
    """(scores, labels as the scores' dtype, whether the labels are valid, row weights: the mask or ones); labels
    outside {0, 1} are an error when concrete (eager call); under a trace the metric is made NaN by ``_valid_or_nan``."""
    scores = jnp.asarray(scores)
    if scores.ndim != 1 or jnp.shape(labels) != scores.shape:
        raise ValueError(f"The 'scores' and 'labels' parameters must be 1-D arrays of the same length. "
                         f"Got shapes {scores.shape} and {jnp.shape(labels)} instead.")
    if not isinstance(labels, jax.core.Tracer):
        bad = ~np.isin(np.asarray(labels), (0, 1))
        if bad.any():
            raise InvalidParameterError(
                f"The 'labels' parameter must hold only 0 (majority) and 1 (minority). Got "
                f"{np.unique(np.asarray(labels)[bad])[:5].tolist()} among its values instead.")
    y = jnp.asarray(labels).astype(scores.dtype)
    w = jnp.ones_like(scores) if mask is None else (jnp.asarray(mask) > 0).astype(scores.dtype)
    return scores, y, jnp.all((y == 0) | (y == 1)), w


def _valid_or_nan(valid, value):
    return jax.tree_util.tree_map(lambda v: jnp.where(valid, v, jnp.nan), value)


def auroc(scores, labels, mask=None):
    """AUROC = P(s(X1) > s(X0)) + ½ P(s(X1) = s(X0)) over all positive–negative pairs.

    Each positive contributes (#negatives below + ½ #negatives tied)/N0, found by binary search
    in the sorted negative scores: O(n log n), exact with ties (Mann–Whitney U / (n0 n1)).
    """
    s, y, valid, w = _prepare(scores, labels, mask)
    neg_sorted = jnp.sort(jnp.where((y == 0) & (w > 0), s, jnp.inf))
    below = jnp.searchsorted(neg_sorted, s, side="left")
    n_neg = jnp.sum(w * (1 - y))
    # the +∞ padding (positives' slots) must not count as ties of a positive scored +∞
    below_or_tied = jnp.minimum(jnp.searchsorted(neg_sorted, s, side="right"), n_neg.astype(jnp.int32))
    u = 0.5 * (below + below_or_tied).astype(s.dtype) / n_neg
    return _valid_or_nan(valid, jnp.sum(w * y * u) / jnp.sum(w * y))


def _threshold_counts(s, y, w):
    """For each score in descending order: (its weight × label, TP and FP when predicting s ≥ (its own score),
    P, N), rows counted with weights w (0 = a masked row). Tied scores share one threshold: every member of a tie
    group gets the counts at its group's end."""
    order = jnp.argsort(-s)
    s_desc, y_desc, w_desc = -(-s)[order], y[order], w[order]
    end = jnp.searchsorted(-s_desc, -s_desc, side="right") - 1
    tp, fp = jnp.cumsum(w_desc * y_desc)[end], jnp.cumsum(w_desc * (1 - y_desc))[end]
    return w_desc * y_desc, tp, fp, jnp.sum(w * y), jnp.sum(w * (1 - y))


def _precision(tp, fp, P, N, prevalence):
    """Precision at each threshold: the sample's TP/(TP + FP), or at a stated prevalence π of the
    positive class π TPR/(π TPR + (1 − π) FPR) (the population precision when the classes are drawn
    separately, e.g. a balanced test sample standing for a population with prevalence π)."""
    if prevalence is None:
        return tp / (tp + fp)
    pi_tpr = prevalence * tp / P
    return pi_tpr / (pi_tpr + (1 - prevalence) * fp / N)


def auprc(scores, labels, prevalence=None, mask=None):
    """Average precision AP = Σ_k (R_k − R_{k−1}) P_k over distinct thresholds (step-wise, no
    interpolation; equals ``sklearn.metrics.average_precision_score``). Prevalence: the sample's, or
    ``prevalence`` π ∈ (0, 1) (precision π TPR/(π TPR + (1 − π) FPR); recall steps are prevalence-free)."""
    s, y, valid, w = _prepare(scores, labels, mask)
    y_desc, tp, fp, P, N = _threshold_counts(s, y, w)
    return _valid_or_nan(valid, jnp.sum(y_desc * _precision(tp, fp, P, N, prevalence)) / P)


def best_threshold_balanced_accuracy(scores, labels):
    """sup_t ½[P1(s ≥ t) + P0(s < t)] over all thresholds (t = +∞ gives ½)."""
    s, y, valid, w = _prepare(scores, labels)
    _, tp, fp, P, N = _threshold_counts(s, y, w)
    return _valid_or_nan(valid, jnp.maximum(0.5, jnp.max(0.5 * (tp / P + (N - fp) / N))))


def best_threshold_f1(scores, labels, prevalence=None):
    """sup_t F1(t), F1 = 2TP / (2TP + FP + FN) = 2TP / (TP + FP + P), predicting positive iff s ≥ t.
    With ``prevalence`` π: F1 = 2π TPR / (π TPR + (1 − π) FPR + π) (the population F1 at prevalence π)."""
    s, y, valid, w = _prepare(scores, labels)
    _, tp, fp, P, N = _threshold_counts(s, y, w)
    if prevalence is None:
        f1 = 2 * tp / (tp + fp + P)
    else:
        tpr, fpr = tp / P, fp / N
        f1 = 2 * prevalence * tpr / (prevalence * tpr + (1 - prevalence) * fpr + prevalence)
    return _valid_or_nan(valid, jnp.max(f1))


def threshold_metrics(scores, labels, threshold=0.0, mask=None) -> dict:
    """Confusion-matrix metrics at one threshold (positive iff s ≥ threshold).

    Returns a dict of accuracy, precision, recall, f1, balanced_accuracy, mcc and kappa (Cohen's);
    0/0 ratios give NaN (e.g. precision with no predicted positive), as a status to inspect.
    """
    s, y, valid, w = _prepare(scores, labels, mask)
    pred = (s >= threshold).astype(s.dtype)
    tp, fp = jnp.sum(w * pred * y), jnp.sum(w * pred * (1 - y))
    fn, tn = jnp.sum(w * (1 - pred) * y), jnp.sum(w * (1 - pred) * (1 - y))
    n = tp + fp + fn + tn
    precision, recall, specificity = tp / (tp + fp), tp / (tp + fn), tn / (tn + fp)
    accuracy = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / n ** 2
    return _valid_or_nan(valid, {
        "accuracy": accuracy,
        "precision": precision,
        "recall": recall,
        "f1": 2 * tp / (2 * tp + fp + fn),
        "balanced_accuracy": 0.5 * (recall + specificity),
        "mcc": (tp * tn - fp * fn) / jnp.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)),
        "kappa": (accuracy - expected) / (1 - expected),
    })


def balanced_risk(loss, scores, labels, mask=None):
    """½ mean_{y=0} ℓ(s, 0) + ½ mean_{y=1} ℓ(s, 1): the empirical balanced risk of a score."""
    s, y, valid, w = _prepare(scores, labels, mask)
    per_point = jnp.where(w > 0, loss(s, y), 0)
    return _valid_or_nan(valid, 0.5 * jnp.sum(w * (1 - y) * per_point) / jnp.sum(w * (1 - y))
                         + 0.5 * jnp.sum(w * y * per_point) / jnp.sum(w * y))


def balanced_bayes_risk(loss, llr, newton_steps: int = 30):
    """The balanced Bayes risk of ``loss`` from the log-likelihood ratios ``llr`` = log p1(x)/p0(x) of a balanced
    sample (half each class): the mean over the sample of min_s (1 − π) ℓ(s, 0) + π ℓ(s, 1), π = σ(llr), the
    conditional risk under the balanced posterior, minimised by Newton's method per point from s = llr (the
    minimiser for the logistic loss; one step for a quadratic loss). ``llr`` is clipped to ±30."""
    prior = jax.nn.sigmoid(jnp.clip(llr, -30, 30))

    def conditional(s, p):
        return (1 - p) * loss(s, jnp.zeros((), s.dtype)) + p * loss(s, jnp.ones((), s.dtype))

    d1 = jax.grad(conditional)
    d2 = jax.grad(d1)

    def newton(_, s):
        h = jax.vmap(d2)(s, prior)
        return s - jnp.where(h > 0, jax.vmap(d1)(s, prior) / jnp.where(h > 0, h, 1), 0)

    s = jax.lax.fori_loop(0, newton_steps, newton, jnp.clip(llr, -30, 30))
    return jnp.mean(jax.vmap(conditional)(s, prior))


def balanced_log_loss(scores, labels, mask=None):
    """Balanced logistic loss of logit scores: ½ mean_{y=0} softplus(s) + ½ mean_{y=1} softplus(−s)."""
    return balanced_risk(lambda s, y: jax.nn.softplus(s) - y * s, scores, labels, mask)


#: The metrics of the real-data protocol (SPEC §9.5), in ``protocol_metrics``'s order.
PROTOCOL_METRICS = ("balanced_log_loss", "excess_risk", "auroc", "auprc", "accuracy", "precision", "recall", "f1",
                    "mcc", "jaccard", "youden", "balanced_accuracy")


def protocol_metrics(scores, labels, reference_loss, mask=None) -> dict:
    """SPEC §9.5's metrics of logit scores on a (balanced) test set: balanced log-loss, its excess over
    ``reference_loss`` (a nearly unpenalised fit on the test set itself), AUROC, AUPRC, and at probability 0.5
    (logit 0) accuracy, precision, recall, F1, MCC, Jaccard = F1/(2 − F1), Youden = 2 BA − 1 and balanced accuracy
    (an undefined precision or MCC, with no predicted positive, counts 0)."""
    at_half = threshold_metrics(scores, labels, 0.0, mask)
    loss = balanced_log_loss(scores, labels, mask)
    return dict(balanced_log_loss=loss, excess_risk=loss - reference_loss, auroc=auroc(scores, labels, mask),
                auprc=auprc(scores, labels, mask=mask), accuracy=at_half["accuracy"],
                precision=jnp.nan_to_num(at_half["precision"]), recall=at_half["recall"], f1=at_half["f1"],
                mcc=jnp.nan_to_num(at_half["mcc"]), jaccard=at_half["f1"] / (2 - at_half["f1"]),
                youden=2 * at_half["balanced_accuracy"] - 1, balanced_accuracy=at_half["balanced_accuracy"])


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
