import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn import metrics as skm

from synthjax import InvalidParameterError
from synthjax import metrics as M


def _scores(seed, n=500, ties=True):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.15).astype(float)
    s = rng.normal(size=n) + 1.2 * y
    return (np.round(s, 1) if ties else s), y


@pytest.mark.parametrize("seed", range(4))
def test_ranking_metrics_match_sklearn_with_ties(x64, seed):
    s, y = _scores(seed)
    assert abs(float(M.auroc(s, y)) - skm.roc_auc_score(y, s)) < 1e-12
    assert abs(float(M.auprc(s, y)) - skm.average_precision_score(y, s)) < 1e-12
    fpr, tpr, _ = skm.roc_curve(y, s)
    assert abs(float(M.best_threshold_balanced_accuracy(s, y)) - np.max(0.5 * (tpr + 1 - fpr))) < 1e-12
    p, r, _ = skm.precision_recall_curve(y, s)
    with np.errstate(invalid="ignore"):
        f1 = np.nan_to_num(2 * p * r / (p + r))
    assert abs(float(M.best_threshold_f1(s, y)) - f1.max()) < 1e-12


def test_ranking_metrics_float32_and_vmap():
    batch = [_scores(s, ties=False) for s in range(3)]
    S = jnp.asarray(np.stack([b[0] for b in batch]), jnp.float32)
    Y = jnp.asarray(np.stack([b[1] for b in batch]), jnp.float32)
    got = jax.jit(jax.vmap(M.auroc))(S, Y)
    want = [skm.roc_auc_score(y, s) for s, y in batch]
    np.testing.assert_allclose(got, want, atol=2e-6)


def test_threshold_metrics_match_sklearn(x64):
    s, y = _scores(7)
    t = 0.3
    pred = (s >= t).astype(int)
    got = {k: float(v) for k, v in M.threshold_metrics(s, y, t).items()}
    want = dict(accuracy=skm.accuracy_score(y, pred), precision=skm.precision_score(y, pred),
                recall=skm.recall_score(y, pred), f1=skm.f1_score(y, pred),
                balanced_accuracy=skm.balanced_accuracy_score(y, pred),
                mcc=skm.matthews_corrcoef(y, pred), kappa=skm.cohen_kappa_score(y, pred))
    for k in want:
        assert abs(got[k] - want[k]) < 1e-12, k


def test_balanced_losses(x64):
    s, y = _scores(2, ties=False)
    p = 1 / (1 + np.exp(-s))
    want = 0.5 * skm.log_loss(y[y == 0], p[y == 0], labels=[0, 1]) + 0.5 * skm.log_loss(y[y == 1], p[y == 1], labels=[0, 1])
    assert abs(float(M.balanced_log_loss(s, y)) - want) < 1e-12
    want_mse = 0.5 * np.mean(p[y == 0] ** 2) + 0.5 * np.mean((1 - p[y == 1]) ** 2)
    assert abs(float(M.balanced_mse(p, y)) - want_mse) < 1e-12


def test_mcse():
    v = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    assert np.isclose(M.mcse(v), np.std([1, 2, 4, 5], ddof=1) / 2)
    p = (np.random.default_rng(0).random(4000) < 0.3).astype(float)
    assert np.isclose(M.mcse(p), np.sqrt(p.mean() * (1 - p.mean()) / len(p)), rtol=1e-3)


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="'scores' and 'labels'"):
        M.auroc(jnp.ones(3), jnp.ones(4))


METRICS_WITH_LABELS = [M.auroc, M.auprc, M.best_threshold_balanced_accuracy, M.best_threshold_f1,
                       M.threshold_metrics, M.balanced_log_loss]


@pytest.mark.parametrize("metric", METRICS_WITH_LABELS, ids=lambda f: f.__name__)
def test_labels_outside_zero_one(metric):
    s = jnp.asarray([0.1, 0.5, 0.3, 0.9])
    with pytest.raises(InvalidParameterError, match="'labels' parameter must hold only 0 .* Got \\[2\\]"):
        metric(s, jnp.asarray([0, 1, 0, 2]))
    with pytest.raises(InvalidParameterError, match="Got \\[-1\\]"):
        metric(s, np.array([0, 1, -1, 1]))
    traced = jax.jit(metric)(s, jnp.asarray([0, 1, 0, 2]))          # documented: NaN inside jit
    assert all(np.isnan(float(v)) for v in jax.tree_util.tree_leaves(traced))


def test_auroc_with_infinite_scores():
    """±∞ scores (a uniform law's Bayes score) rank like very large finite ones."""
    y = np.array([0, 1, 0, 1, 1, 0])
    s = np.array([0.1, np.inf, np.inf, 0.3, -np.inf, -np.inf])
    clipped = np.clip(s, -1e6, 1e6)
    assert float(M.auroc(jnp.asarray(s), jnp.asarray(y))) == pytest.approx(skm.roc_auc_score(y, clipped))


def test_prevalence_argument_equals_sample_prevalence(x64):
    rng = np.random.default_rng(3)
    s, y = rng.normal(size=300).round(1), (rng.uniform(size=300) < 0.3).astype(float)
    pi = y.mean()
    assert float(M.auprc(s, y, pi)) == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)
    assert float(M.best_threshold_f1(s, y, pi)) == pytest.approx(float(M.best_threshold_f1(s, y)), abs=1e-12)
