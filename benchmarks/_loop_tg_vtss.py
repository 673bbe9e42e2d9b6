"""TG-VTSS (SPEC §5) as the NumPy / scikit-learn loop a user writes today: the reference of the benchmarks.

``loop_tg_vtss(X0, X1, fit, transform, generate, seed)`` with ``fit(A0, A1, extra=None, balanced=False)`` a
fitted scikit-learn ``LogisticRegression`` on ``transform``-ed rows (synthetic rows labelled 1),
``generate(A1, A0, m)`` m synthetic minority rows. Returns the chosen γ.
"""
from __future__ import annotations

import numpy as np
import scipy.stats

GRID = np.round(np.arange(0, 2.0001, 0.05), 2)


def moments(clf, Phi, label):
    """Score mean, covariance and Hessian of the logistic loss at the fitted (coef, intercept), on features Phi."""
    Z = np.c_[Phi, np.ones(len(Phi))]
    p = 1 / (1 + np.exp(-(Z @ np.r_[clf.coef_[0], clf.intercept_])))
    S = (p - label)[:, None] * Z
    return S.mean(0), np.cov(S.T), (Z * (p * (1 - p))[:, None]).T @ Z / len(Z)


def _inv(M):
    return np.linalg.inv(M + 1e-8 * np.trace(M) / len(M) * np.eye(len(M)))


def prepared_split(X, y, seed, test_fraction):
    """One stratified split as a user writes it: (Z0, Z1 training rows by class, Zt, yt the balanced test set,
    fit(A0, A1, extra=None, balanced=False) -> LogisticRegression C = 1), imputed and standardised on the training
    rows."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    train, test = train_test_split(np.arange(len(y)), test_size=test_fraction, stratify=y, random_state=seed)
    rng = np.random.default_rng(seed)
    test0, test1 = test[y[test] == 0], test[y[test] == 1]
    test = np.r_[rng.choice(test0, len(test1), replace=False), test1]
    prep = SimpleImputer().fit(X[train])
    scale = StandardScaler().fit(prep.transform(X[train]))
    Z, Zt, yt = scale.transform(prep.transform(X[train])), scale.transform(prep.transform(X[test])), y[test]

    def fit(A0, A1, extra=None, balanced=False):
        A = np.r_[A0, A1] if extra is None else np.r_[A0, A1, extra]
        labels = np.r_[np.zeros(len(A0)), np.ones(len(A) - len(A0))]
        return LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced" if balanced else None).fit(A, labels)

    return Z[y[train] == 0], Z[y[train] == 1], Zt, yt, fit


def balanced_log_loss(prob, y):
    prob = np.clip(prob, 1e-12, 1 - 1e-12)
    return -(np.log(1 - prob[y == 0]).mean() + np.log(prob[y == 1]).mean()) / 2


def loop_tg_vtss(X0, X1, fit, transform, generate, seed, folds=5, gqs_folds=5, tau=10.0):
    """Balanced pilot fit, Wald test, ``gqs_folds``-fold GQS, ``folds``-fold CV over the regime's candidates."""
    from sklearn.model_selection import KFold
    n0, n1 = len(X0), len(X1)
    pilot = fit(X0, X1, balanced=True)
    (m0, S0, H0), (m1, S1, H1) = moments(pilot, transform(X0), 0), moments(pilot, transform(X1), 1)
    Hi, eye = _inv((H0 + H1) / 2), np.eye(len(m0))
    A0, A1 = eye - (H0 - H1) @ Hi / 2, -eye - (H0 - H1) @ Hi / 2
    g = m0 - m1
    T = g @ _inv(A0 @ S0 @ A0.T / n0 + A1 @ S1 @ A1.T / n1) @ g

    def split(K):
        return zip(KFold(K, shuffle=True, random_state=seed).split(X0), KFold(K, shuffle=True, random_state=seed).split(X1))

    parts = []
    for (t0, h0), (t1, h1) in split(gqs_folds):
        p = fit(X0[t0], X1[t1], balanced=True)
        pool = generate(X1[t1], X0[t0], len(t0) - len(t1))
        (_, s0, k0), (ma, s1, k1), (ms, ss, _) = (moments(p, transform(A), lab) for A, lab in
                                                  ((X0[h0], 0), (X1[h1], 1), (pool, 1)))
        parts.append((ms - ma, (k0 + k1) / 2, s0, s1, ss))
    delta, H, S0, S1, Ss = (np.mean(a, axis=0) for a in zip(*parts))
    Hi = _inv(H)
    gqs = (n0 - n1) ** 2 / (2 * n0) * delta @ Hi @ delta / np.trace(Hi @ (S0 / 2 + n1 / (2 * n0) * S1 + (n0 - n1) / (2 * n0) * Ss))
    symmetric = T <= scipy.stats.chi2.ppf(0.95, len(g))
    candidates = GRID[GRID <= 0.2] if symmetric else GRID if gqs > tau else GRID[(GRID >= 0.8) & (GRID <= 1.2)]
    losses = np.zeros(len(candidates))
    for (t0, h0), (t1, h1) in split(folds):
        Phi_v = transform(np.r_[X0[h0], X1[h1]])
        yv = np.r_[np.zeros(len(h0)), np.ones(len(h1))]
        pool = generate(X1[t1], X0[t0], int(round(2 * (len(t0) - len(t1)))))
        for i, gamma in enumerate(candidates):
            clf = fit(X0[t0], X1[t1], pool[: int(round(gamma * (len(t0) - len(t1))))])
            losses[i] += balanced_log_loss(clf.predict_proba(Phi_v)[:, 1], yv)
    best = candidates[np.argmin(losses)]
    fit(X0, X1, generate(X1, X0, int(round(best * (n0 - n1)))))
    return best
