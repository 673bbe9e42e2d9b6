"""CoDSA — conditional data synthesis augmentation (Tian & Shen, arXiv 2504.07426; SPEC §7) — and its
SMOTE / ADASYN baselines on the same (m, α) grids.

Data come as one block of rows per condition (0 = majority, 1 = minority), as ``dgp.codsa_*`` draw
them. For a split ratio r the training blocks are split at random within each condition: a fraction r
(the generator part G) trains the conditional generator, the rest (D) is augmented with m synthetic rows,
round(α m) of the minority condition and m − round(α m) of the majority, and the downstream model is
fitted on D ∪ synthetic. r = 1 means no split (G = D = all training rows). m = round((m/n) · n) with n
the training size. Every (m, α) of the grid shares one pool of draws per condition (nested prefixes) and
the grid's fits run at once under ``vmap``; (r, m, α) is chosen by the validation loss (the validation
set is balanced, so its mean loss is the balanced loss). With ``crossfit``, the roles of G and D are
also swapped and the two downstream models' predictions are averaged (validation and test).

Generators (``pool`` functions: ``pool(key, G_blocks, counts) -> one block of synthetic rows per
condition``): ``diffusion_pool`` (a class/region-conditional DDPM trained on G; with ``transfer``,
diffusion in the latent space of an autoencoder pre-trained on source data, fine-tuning a denoiser
pre-trained there), ``interpolation_pool`` (SMOTE or ADASYN within each condition, the other
condition as the majority set; r is fixed to 1 for them, as they train nothing).
"""
from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._memo import OwnedCache
from ._validate import InvalidParameterError, check_float
from .learn import MLPLearner
from .synth import diffusion as DF

#: The official code's grids (SPEC §7).
PAPER_GRID = dict(r=tuple(np.round(np.arange(1, 11) / 10, 1)), m=tuple(np.round(np.arange(21) / 10, 1)),
                  alpha=tuple(np.round(np.arange(1, 10) / 10, 1)))


class Task(NamedTuple):
    """How rows become (features, target): classification (target = the condition) or regression
    (target = the last column), and the per-point loss of the downstream learner."""
    name: str                   #: "classification" or "regression"
    learner: MLPLearner            #: or a ``HostLearner`` (scikit-learn, fitted on the host)

    def features(self, rows):
        return rows if self.name == "classification" else rows[:, :-1]

    def target(self, rows, cond):
        return cond.astype(rows.dtype) if self.name == "classification" else rows[:, -1]

    def prediction_loss(self, pred, rows, cond):
        """Per-row loss of predictions (probabilities for classification: cross-entropy; else squared error)."""
        y = self.target(rows, cond)
        if self.name == "classification":
            p = jnp.clip(pred, 1e-7, 1 - 1e-7)
            return -(y * jnp.log(p) + (1 - y) * jnp.log1p(-p))
        return (pred - y) ** 2

    def predict(self, params, X):
        """Probabilities (classification) or predictions of a fitted ``MLPLearner``."""
        s = self.learner.score(params, X)
        return jax.nn.sigmoid(s) if self.name == "classification" else s


def grid_counts(m_fracs, alphas, n: int) -> np.ndarray:
    """(P, 2) synthetic counts (majority, minority) of each distinct (m, α) grid point (m = 0 once)."""
    rows = []
    for frac in m_fracs:
        m = int(round(frac * n))
        for a in ([alphas[0]] if m == 0 else alphas):
            minority = int(round(a * m))
            rows.append((m - minority, minority, frac, a if m else np.nan))
    return np.asarray(rows)


def _stack(blocks, n_conditions: int | None = None):
    """Rows of per-condition blocks, one after another, with their condition: the block index, modulo
    ``n_conditions`` when real and synthetic blocks are stacked together (D₀, D₁, pool₀, pool₁)."""
    n_conditions = n_conditions or len(blocks)
    rows = jnp.concatenate(blocks)
    cond = jnp.concatenate([jnp.full(b.shape[0], c % n_conditions, jnp.int32) for c, b in enumerate(blocks)])
    return rows, cond


def split_blocks(key, blocks, r: float):
    """(G, D): within each condition a random fraction r of the rows (G) and the rest (D); r = 1: G = D."""
    if r >= 1.0:
        return tuple(blocks), tuple(blocks)
    G, D = [], []
    for k, b in zip(jax.random.split(key, len(blocks)), blocks):
        n_g = int(round(r * b.shape[0]))
        if not 2 <= n_g <= b.shape[0] - 2:
            raise InvalidParameterError(f"The 'r' parameter of codsa leaves {n_g} of {b.shape[0]} rows of a condition "
                                        f"to the generator; each part needs at least 2. Got r = {r} instead.")
        perm = b[jax.random.permutation(k, b.shape[0])]
        G.append(perm[:n_g])
        D.append(perm[n_g:])
    return tuple(G), tuple(D)


def fit_grid(key, task: Task, D, pools, counts, val):
    """Fit the downstream learner on D ∪ (the first counts[p] rows of each pool) for every grid point p
    at once (vmap over weight masks; early stopping on the validation blocks). Returns the fitted
    parameters, batched over the grid."""
    rows, cond = _stack(tuple(D) + tuple(pools), len(D))
    n_real = sum(b.shape[0] for b in D)
    masks = [jnp.arange(p.shape[0])[None, :] < counts[:, c:c + 1] for c, p in enumerate(pools)]
    W = jnp.concatenate([jnp.ones((counts.shape[0], n_real), rows.dtype)] + [m.astype(rows.dtype) for m in masks], axis=1)
    X, y = task.features(rows), task.target(rows, cond)
    val_rows, val_cond = _stack(val)
    Xv, yv = task.features(val_rows), task.target(val_rows, val_cond)
    return jax.vmap(lambda w: task.learner.train(key, X, y, w, Xv, yv)[0])(W)


def fold_predictions(key, task: Task, pool: Callable, G, D, counts, val, test):
    """One fold: draw the pools from a generator trained on G (``pool``: compiled per generator), fit the grid on
    D ∪ pools (one compiled program per task and shape, shared by every generator); predictions (P, n_val) and
    (P, n_test)."""
    k_pool, k_fit = jax.random.split(key)
    pools = pool(k_pool, G, tuple(int(c) for c in np.asarray(counts).max(axis=0)))    # counts: static (P, 2) ints
    return _task_program(_fit_predict, task)(k_fit, D, pools, jnp.asarray(counts), val, test)


def _fit_predict(key, D, pools, counts, val, test, *, task):
    params = fit_grid(key, task, D, pools, counts, val)
    predict = lambda blocks: jax.vmap(lambda p: task.predict(p, task.features(_stack(blocks)[0])))(params)  # noqa: E731
    return predict(val), predict(test)


def _grid_losses(val_pred, test_pred, val, test, *, task):
    """Per grid point: the mean validation loss and the mean test loss on each condition's test block."""
    (val_rows, val_cond), (test_rows, test_cond) = _stack(val), _stack(test)
    val_loss = jax.vmap(lambda p: task.prediction_loss(p, val_rows, val_cond))(val_pred)
    test_loss = jax.vmap(lambda p: task.prediction_loss(p, test_rows, test_cond))(test_pred)
    n0 = test[0].shape[0]
    return val_loss.mean(1), test_loss[:, :n0].mean(1), test_loss[:, n0:].mean(1)


_TASK_PROGRAMS = OwnedCache(keep=16)


def _task_program(fn, task: Task):
    """``fn`` with ``task`` bound, jitted once per Task object (a Task holds arrays and so cannot be a static
    argument): one compilation per task and shape, shared by every tuner of the task."""
    return _TASK_PROGRAMS.get((fn.__name__, id(task)), (task,), lambda: jax.jit(partial(fn, task=task)))


class HostLearner(NamedTuple):
    """A scikit-learn estimator as the downstream model (e.g. the paper's ``RandomForestRegressor`` of
    Table 2): ``make()`` returns a fresh estimator with ``fit(X, y)`` and ``predict(X)``. It is fitted on the
    host, one grid point after another; the pools are still drawn by the compiled generators."""
    name: str                   #: a label for tables and manifests
    make: Callable              #: make() -> a fresh scikit-learn estimator with fit(X, y) and predict(X)


def host_fold_predictions(key, task: Task, pool: Callable, G, D, counts, val, test):
    """``fold_predictions`` for a ``HostLearner``: one fit per grid point on D ∪ the first counts[p]
    rows of each pool; predictions (P, n_val) and (P, n_test) as NumPy arrays."""
    k_pool, _ = jax.random.split(key)
    pools = pool(k_pool, G, tuple(int(c) for c in np.asarray(counts).max(axis=0)))
    rows, cond = (np.asarray(a) for a in _stack(tuple(D) + tuple(pools), len(D)))
    blocks = tuple(D) + tuple(pools)
    block = np.concatenate([np.full(b.shape[0], i) for i, b in enumerate(blocks)])
    position = np.concatenate([np.arange(b.shape[0]) for b in blocks])
    X, y = np.asarray(task.features(rows)), np.asarray(task.target(rows, cond))
    Xv, Xt = (np.asarray(task.features(_stack(b)[0])) for b in (val, test))
    val_pred, test_pred = [], []
    for c in np.asarray(counts):
        keep = position < np.r_[np.full(len(D), np.inf), c][block]       # real rows all; pool c: first c rows
        model = task.learner.make().fit(X[keep], y[keep])
        val_pred.append(model.predict(Xv))
        test_pred.append(model.predict(Xt))
    return np.stack(val_pred), np.stack(test_pred)


class Tuner:
    """One augmentation method with its grids: ``Tuner(task, pool, r_grid, m_grid, alpha_grid, n_train)``;
    ``tune(key, data)`` evaluates every (r, m, α) and returns (the chosen row — minimum validation loss —,
    the whole grid with validation and per-condition test losses). The generator's pool is compiled once per r
    (split sizes are static), the grid fit once per task and shape for every tuner; both are reused for every
    replicate."""

    def __init__(self, task: Task, pool: Callable, r_grid, m_grid, alpha_grid, n_train: int, crossfit: bool = False):
        owner = "codsa.Tuner"
        for r in r_grid:
            check_float(r, "r", owner, 0.0, 1.0, lo_open=True)
        for a in alpha_grid:
            check_float(a, "alpha", owner, 0.0, 1.0)
        for m in m_grid:
            check_float(m, "m", owner, 0.0)
        self.task, self.r_grid, self.crossfit = task, tuple(float(r) for r in r_grid), crossfit
        self.counts = grid_counts(m_grid, alpha_grid, n_train)
        counts = self.counts[:, :2].astype(int)
        fold = host_fold_predictions if isinstance(task.learner, HostLearner) else fold_predictions
        self.fold = partial(fold, task=task, pool=jax.jit(pool, static_argnums=2), counts=counts)

    def evaluate(self, key, data, r: float) -> pd.DataFrame:
        """Validation loss (balanced mean loss) and test losses per condition of every grid point for one r:
        cross-entropy per class (classification) or RMSE per region (regression, Table 2's metric);
        ``test_loss`` is the mean of the two, as the paper's "overall" column."""
        k_split, k_a, k_b = jax.random.split(key, 3)
        G, D = split_blocks(k_split, data.train, r)
        val_pred, test_pred = self.fold(k_a, G=G, D=D, val=data.val, test=data.test)
        if self.crossfit and r < 1.0:
            v2, t2 = self.fold(k_b, G=D, D=G, val=data.val, test=data.test)
            val_pred, test_pred = (val_pred + v2) / 2, (test_pred + t2) / 2
        losses = _task_program(_grid_losses, self.task)
        val_loss, test_majority, test_minority = losses(val_pred, test_pred, data.val, data.test)
        per_region = np.sqrt if self.task.name == "regression" else (lambda v: v)   # the paper's RMSE per region
        out = pd.DataFrame(dict(r=r, m_frac=self.counts[:, 2], alpha=self.counts[:, 3],
                                n_majority=self.counts[:, 0].astype(int), n_minority=self.counts[:, 1].astype(int),
                                val_loss=np.asarray(val_loss), test_loss_majority=per_region(np.asarray(test_majority)),
                                test_loss_minority=per_region(np.asarray(test_minority))))
        out["test_loss"] = (out.test_loss_majority + out.test_loss_minority) / 2
        return out

    def tune(self, key, data):
        grid = pd.concat([self.evaluate(jax.random.fold_in(key, i), data, r) for i, r in enumerate(self.r_grid)],
                         ignore_index=True)
        return grid.loc[grid.val_loss.idxmin()], grid


# ------------------------------------------------------------------ generators as pool functions
def diffusion_pool(config: DF.DiffusionConfig, learning_rate: float = 1e-3, transfer=None, finetune: str = "full"):
    """A condition-conditional DDPM trained on the G blocks; draws ``counts[c]`` rows of each condition.
    With ``transfer = (autoencoder, pretrained denoiser)`` (``pretrain_transfer``), CoDSA's transfer
    variant: the pretrained latent denoiser is fine-tuned on G's latents (``finetune``: "full" or "last")
    and the drawn latents are decoded."""
    def pool(key, G, counts):
        k_fit, k_draw = jax.random.split(key)
        rows, cond = _stack(G)
        if transfer is None:
            X, _ = DF.sample(k_draw, DF.fit(k_fit, rows, cond, len(G), config, learning_rate), list(counts), config)
        else:
            latent = DF.fit_latent(k_fit, transfer[0], rows, cond, len(G), config, learning_rate, transfer[1], finetune)
            X, _ = DF.sample_latent(k_draw, latent, list(counts), config)
        return tuple(jnp.split(X, np.cumsum(counts)[:-1]))
    return pool


def pretrain_transfer(key, source_blocks, config: DF.DiffusionConfig, latent_dim: int = 3,
                      autoencoder_steps: int = 2000, learning_rate: float = 1e-3):
    """The source side of the transfer variant: an autoencoder and a conditional latent denoiser trained
    on source rows (one block per condition). Returns (autoencoder, pretrained denoiser model)."""
    k_ae, k_dn = jax.random.split(key)
    rows, cond = _stack(source_blocks)
    ae = DF.fit_autoencoder(k_ae, rows, latent_dim, steps=autoencoder_steps, learning_rate=learning_rate)
    return ae, DF.fit_latent(k_dn, ae, rows, cond, len(source_blocks), config, learning_rate).model


def interpolation_pool(synthesizer):
    """SMOTE / ADASYN (any ``Synthesizer``) within each condition, the other condition as the majority set."""
    def pool(key, G, counts):
        out = []
        for c, (k, block) in enumerate(zip(jax.random.split(key, len(G)), G)):
            others = jnp.concatenate([b for j, b in enumerate(G) if j != c])
            k_fit, k_draw = jax.random.split(k)
            state = synthesizer.fit(k_fit, block, others)
            out.append(synthesizer.sample(k_draw, state, counts[c]).X)
        return tuple(out)
    return pool


def no_pool(key, G, counts):
    """No augmentation (counts are 0)."""
    return tuple(jnp.zeros((0, b.shape[1]), b.dtype) for b in G)


# ------------------------------------------------------------------ a study: the paper's tables
LOSS_COLUMNS = ["test_loss_majority", "test_loss_minority", "test_loss"]


def baselines(task: Task, n_train: int, m_grid, alpha_grid, k: int = 5, label: str = "") -> dict:
    """No augmentation, SMOTE and ADASYN (k neighbours; r = 1) tuned on the (m, α) grid, as the official
    code tunes them; ``label`` is appended to each name (e.g. " [paper's network]")."""
    from . import synth
    return {f"No augmentation{label}": Tuner(task, no_pool, (1.0,), (0.0,), alpha_grid[:1], n_train),
            f"SMOTE (k={k}){label}": Tuner(task, interpolation_pool(synth.smote(k)), (1.0,), m_grid, alpha_grid,
                                          n_train),
            f"ADASYN (k={k}){label}": Tuner(task, interpolation_pool(synth.adasyn(k)), (1.0,), m_grid, alpha_grid,
                                           n_train)}


def methods(task: Task, n_train: int, config: DF.DiffusionConfig, r_grid, m_grid, alpha_grid, transfer=None,
            crossfit: bool = False, k: int = 5, learning_rate: float = 1e-3) -> dict:
    """The compared methods as tuners: the ``baselines``, CoDSA (conditional DDPM) and, with
    ``transfer = (autoencoder, pretrained denoiser)``, CoDSA with transfer."""
    out = baselines(task, n_train, m_grid, alpha_grid, k)
    out["CoDSA"] = Tuner(task, diffusion_pool(config, learning_rate), r_grid, m_grid, alpha_grid, n_train, crossfit)
    if transfer is not None:
        out["CoDSA (transfer)"] = Tuner(task, diffusion_pool(config, learning_rate, transfer), r_grid, m_grid,
                                        alpha_grid, n_train, crossfit)
    return out


def run_replicates(tuners: dict, draw: Callable, reps: int, seed: int, verbose: bool = True, store=None) -> pd.DataFrame:
    """For each replicate r: data = draw(fold_in(key(seed), r)); every method tuned on the same data.
    Returns one row per (replicate, method): the chosen (r, m/n, α) and its validation and test losses.
    With a ``RunStore``, each finished replicate is written as a shard and a rerun skips it."""
    import sys
    import time
    frames = []
    t0 = time.perf_counter()
    for rep in range(reps):
        if store is not None and store.has("replicates", rep):
            frames.append(pd.read_parquet(store.shard("replicates", rep)))
            continue
        key = jax.random.fold_in(jax.random.key(seed), rep)
        data = draw(jax.random.fold_in(key, 0))
        rows = [dict(rep=rep, method=name, **tuner.tune(jax.random.fold_in(key, 1 + i), data)[0].to_dict())
                for i, (name, tuner) in enumerate(tuners.items())]
        frames.append(pd.DataFrame(rows))
        if store is not None:
            store.write("replicates", rep, frames[-1])
        if verbose:
            print(f"\r  {rep + 1}/{reps} replicates, {time.perf_counter() - t0:.0f} s", end="", file=sys.stderr, flush=True)
    if verbose:
        print(file=sys.stderr)
    return pd.concat(frames, ignore_index=True)


def paper_table(per_rep: pd.DataFrame, paper: dict | None = None) -> pd.DataFrame:
    """The layout of CoDSA's tables: per method, mean (SD) over replicates of the majority, minority and
    overall test loss, the median chosen (r, m/n, α), and the paper's published mean (SD) beside them
    where given (``paper[method] = ((mean, sd) majority, (mean, sd) minority, (mean, sd) overall)``; a row
    "method [variant]" is compared with ``paper[method]``), with whether our mean lies within one published
    SD of the published mean."""
    rows = []
    for method, g in per_rep.groupby("method", sort=False):
        row = dict(method=method, reps=len(g))
        published = (paper or {}).get(method.split(" [")[0])
        for i, (col, label) in enumerate(zip(LOSS_COLUMNS, ("majority", "minority", "overall"))):
            row[label] = g[col].mean()
            row[label + "_sd"] = g[col].std(ddof=1) if len(g) > 1 else np.nan
            row[label + " mean (SD)"] = f"{row[label]:.3f} ({row[label + '_sd']:.3f})"
            row[label + " (paper)"] = "n/a" if published is None else f"{published[i][0]:.4f} ({published[i][1]:.4f})"
            row[label + " within SD"] = ("n/a" if published is None else
                                         "yes" if abs(row[label] - published[i][0]) <= published[i][1] else "no")
        row.update(r=g.r.median(), m_frac=g.m_frac.median(), alpha=g.alpha.median())
        rows.append(row)
    return pd.DataFrame(rows)


def report(results, out_dir, title: str, loss_name: str) -> list:
    """The study's figure (grouped bars: majority / minority / overall test loss per method, ± SD over
    replicates) and findings.md (does CoDSA beat the baselines overall and on the minority?)."""
    from pathlib import Path

    from . import plot
    table = results.summary
    s = results.manifest["study"]
    caption = (f"{s['name']}: {s['reps']} replicates, seed {s['seed']}; learner {s['learner']}; grids r {s['r_grid']}, "
               f"m/n {s['m_grid']}, α {s['alpha_grid']}; diffusion {s['diffusion']}; bars: mean ± SD")
    path = Path(out_dir) / "test_loss.png"
    plot.bars(table, "method", ["majority", "minority", "overall"], ["majority_sd", "minority_sd", "overall_sd"],
              ylabel=f"test {loss_name}", title=title, caption_text=caption, path=path)
    by = table.set_index("method")
    observed = "; ".join(f"{m}: overall {by.loc[m, 'overall mean (SD)']}, minority {by.loc[m, 'minority mean (SD)']}, "
                         f"chosen median r = {by.loc[m, 'r']:g}, m/n = {by.loc[m, 'm_frac']:g}, α = {by.loc[m, 'alpha']:g}"
                         for m in by.index)
    verdicts = []
    variant_of = {m: m[m.index(" ["):] if " [" in m else "" for m in by.index}     # " [paper's network]" …
    for variant in dict.fromkeys(variant_of.values()):      # compare methods only within one downstream learner
        rows = [m for m in by.index if variant_of[m] == variant]
        codsa_rows = [m for m in rows if m.startswith("CoDSA")]
        baselines = [m for m in rows if not m.startswith("CoDSA")]
        if not codsa_rows or not baselines:
            continue
        best_base = by.loc[baselines, "overall"].idxmin()
        wins = [m for m in codsa_rows if by.loc[m, "overall"] < by.loc[best_base, "overall"]]
        verdicts.append(f"{'agrees' if wins else 'does not agree'}{variant and ' for' + variant}: the best baseline "
                        f"overall is {best_base} ({by.loc[best_base, 'overall']:.3f}); " +
                        ", ".join(f"{m} {by.loc[m, 'overall']:.3f}" for m in codsa_rows) + ".")
    verdict = " ".join(verdicts) + (
        " The paper's published values are not printed beside ours (the 'paper' columns read n/a): fill PAPER in the "
        "study file." if (table["overall (paper)"] == "n/a").all() else "")
    verdict += "".join(
        f" {m} vs the paper: majority {by.loc[m, 'majority within SD']}, minority {by.loc[m, 'minority within SD']}, "
        f"overall {by.loc[m, 'overall within SD']} (our mean within the published SD of the published mean)."
        for m in by.index if by.loc[m, "overall (paper)"] != "n/a")
    verdict += "".join(f" {note}" for note in results.manifest["study"].get("paper_notes", ()))
    plot.write_findings(out_dir, title, "CoDSA's tuned conditional diffusion augmentation (and its transfer variant) "
                        "lowers the minority and overall test loss below no augmentation, SMOTE and ADASYN tuned on "
                        "the same (m, α) grids.", observed, verdict, caption)
    return [path]
