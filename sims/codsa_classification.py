"""CoDSA (Tian & Shen, arXiv 2504.07426) Table 1: imbalanced classification with tuned augmentation.

Design (SPEC §7, official code): 10 polynomial features of (u1, u2, u3); the minority is both tails of
s = sin²(2πt1) − cos²(3πt2) in a pool of 2,000 + 4,400 points; train 800 minority + 3,200 majority,
validation 400 + 400, test 800 + 800. Downstream model: an MLP (64, 64) classifier (Adam, mini-batches
of 256, the best step by validation loss). Methods: no augmentation; SMOTE and ADASYN (k = 5) over the
(m, α) grid; CoDSA (class-conditional DDPM, MLP 3 × 128 denoiser, T = 1000, β 1e−4 → 0.02) over
(r, m, α); CoDSA with transfer (autoencoder with latent dimension 3 and a latent denoiser pre-trained on
10,000 independent source points, fully fine-tuned). Every method is tuned on the validation set; the
table gives the test cross-entropy per class and overall (mean (SD) over replicates).
Quick (default): 3 replicates, r ∈ {0.5, 1}, m/n ∈ {0, 0.25, 0.5, 1}, α ∈ {0.5, 0.7, 0.9}, 2,000 denoiser
steps, DDIM sampling (50 steps). --full: 10 replicates, the paper's grids (r ∈ 0.1:0.1:1, m/n ∈ 0:0.1:2,
α ∈ 0.1:0.1:0.9), 5,000 denoiser steps, ancestral DDPM sampling (a GPU-scale run: about 10 min per
replicate on a 2-core CPU).

    synthjax run sims/codsa_classification.py [--full]
"""
import time

import jax

from synthjax import codsa, dgp
from synthjax.learn import mlp
from synthjax.runner import RunStore, custom_results, fingerprint
from synthjax.synth import diffusion as DF

PRINT_COLUMNS = ["method", "majority mean (SD)", "majority (paper)", "minority mean (SD)", "minority (paper)",
                 "overall mean (SD)", "overall (paper)", "r", "m_frac", "alpha"]
#: Published values of the paper's Table 1 ((majority, minority, overall) per method), to print beside ours.
#: Not available to this offline build; fill them in from arXiv 2504.07426 to print them.
PAPER = {}
TASK, LOSS = "classification", "cross-entropy"
SOURCE_ROWS = 10_000


SIZES = dgp.PAPER_SIZES
QUICK = dict(reps=3, r=(0.5, 1.0), m=(0.0, 0.25, 0.5, 1.0), alpha=(0.5, 0.7, 0.9),
             config=DF.DiffusionConfig(train_steps=2000, sampler="ddim", ddim_steps=50), steps=2000)
FULL = dict(reps=10, r=codsa.PAPER_GRID["r"], m=codsa.PAPER_GRID["m"], alpha=codsa.PAPER_GRID["alpha"],
            config=DF.DiffusionConfig(train_steps=5000), steps=3000)


def source(key, rows: int):
    """``rows`` independent points of the same structure (class proportions as in the pool)."""
    n_min = round(rows * 2000 / 6400)
    return dgp.codsa_classification_pool(key, rows - n_min, n_min)


def run(reps=None, seed=0, full=False, out=None, draw=dgp.codsa_classification, source=source, task=TASK,
        name=None, paper=PAPER):
    """The table; with ``out``, each finished replicate is kept as a shard and a rerun resumes."""
    t0 = time.perf_counter()
    s = FULL if full else QUICK
    r_grid, m_grid, alpha_grid, config, sizes = s["r"], s["m"], s["alpha"], s["config"], SIZES
    reps = reps or s["reps"]
    learner = mlp((64, 64), task=task, steps=s["steps"], batch_size=256, learning_rate=1e-3, patience=0)
    n_train = sum(sizes["train"])
    transfer = codsa.pretrain_transfer(jax.random.fold_in(jax.random.key(seed), 10 ** 6),
                                       source(jax.random.fold_in(jax.random.key(seed), 10 ** 6 + 1), SOURCE_ROWS), config)
    tuners = codsa.methods(codsa.Task(task, learner), n_train, config, r_grid, m_grid, alpha_grid, transfer)
    design = dict(design="CoDSA " + ("Table 1" if task == "classification" else "Table 2"), sizes=sizes,
                  learner=learner.name, learner_steps=s["steps"], r_grid=list(r_grid), m_grid=list(m_grid),
                  alpha_grid=list(alpha_grid), diffusion=f"{config.hidden}, T={config.timesteps}, {config.train_steps} "
                  f"steps, {config.sampler}", config=config._asdict(),
                  transfer=f"autoencoder latent 3 + denoiser pre-trained on {SOURCE_ROWS} source points")
    store = None if out is None else RunStore(out, dict(design, reps=reps, seed=seed), fingerprint(design), 1)
    per_rep = codsa.run_replicates(tuners, lambda k: draw(k, sizes), reps, seed, store=store)
    summary = codsa.paper_table(per_rep, paper)
    return custom_results(name or f"codsa_{task}", per_rep, summary, design, seed, reps,
                          time.perf_counter() - t0, 0.0)


def figures(results, out_dir):
    return codsa.report(results, out_dir, "CoDSA Table 1: test cross-entropy by class", LOSS)
