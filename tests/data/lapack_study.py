"""A study whose cells and whose ``annotate`` both run batched Cholesky factors of 64 × 64 matrices: with jaxlib
0.10.2, two Python threads running such programs at once can deadlock a 2-core machine (tests/test_runner.py)."""
import jax
import jax.numpy as jnp
import numpy as np

from synthjax import dgp, learn, synth
from synthjax.runner import Study

D = 64


class CholeskyRidge:
    """Ridge least squares on the 0/1 label, refactored 100 times (a learner that is all LAPACK)."""
    name, hyper = "cholesky_ridge", None

    @staticmethod
    def loss(s, y):
        return (s - y) ** 2

    @staticmethod
    def score(params, X):
        return X @ params

    @staticmethod
    def fit(X, y, w=None, hyper=None):
        w = jnp.ones(X.shape[0], X.dtype) if w is None else w
        G = (X * w[:, None]).T @ X + jnp.eye(X.shape[1], dtype=X.dtype)

        def refactor(i, theta):
            factor = jax.scipy.linalg.cho_factor(G + i * 1e-6 * jnp.eye(X.shape[1], dtype=X.dtype))
            return jax.scipy.linalg.cho_solve(factor, X.T @ (w * y))
        theta = jax.lax.fori_loop(0, 100, refactor, jnp.zeros(X.shape[1], X.dtype))
        return theta, learn.FitInfo(jnp.int32(1), jnp.zeros((), X.dtype), jnp.bool_(True), jnp.int32(0))


def study(reps=None, seed=0, full=False):
    truth = dgp.gaussian(np.zeros(D), np.ones(D) / 8)
    return Study("lapack", truth, {"ros": synth.random_oversampling()}, CholeskyRidge, gamma=(1.0,),
                 sizes=((200, 40),), reps=reps or 1024, seed=seed, n_eval=200)


def annotate(summary):
    A = jax.random.normal(jax.random.key(0), (16, D, D))
    A = A @ jnp.swapaxes(A, 1, 2) + D * jnp.eye(D)
    factor = jax.jit(jax.vmap(lambda a: jax.scipy.linalg.cho_factor(a)[0]))
    total = sum(float(factor(A + i * 1e-3 * jnp.eye(D)).sum()) for i in range(4000))
    return summary.assign(theory=total)
