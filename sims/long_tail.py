"""Long-tailed multi-class augmentation: a small analogue of the MAMix paper's comparison (Cheng et al.,
arXiv 2308.15457: SMOTE → mixup → MAMix on CIFAR-10/100-LT with ResNets).

Design: scikit-learn's bundled 8×8 digits (10 classes, d = 64), made long-tailed by CIFAR-LT's exponential profile
n_c = ⌊140 · ρ^(−c/9)⌋ (at least 2) with imbalance ratio ρ = 10 and 100 (at ρ = 100 the two rarest classes keep
2 rows: effective ratio 70); a balanced test set of 30 rows per class; features standardised on the training
rows; two learners: multinomial logistic regression (softmax, C = 1) by Newton, and a one-hidden-layer Flax MLP
(64 ReLU units, softmax outputs, full-batch AdamW, learning rate 0.01, weight decay 1e-3, 300 steps; initial
weights drawn per replicate); every method adds the same number of synthetic
rows (the classes' deficits to 140): none, per-class SMOTE (k = min(5, n_c − 1)), mixup (α = 1, pairs over all
rows, soft labels), soft-label SMOTE (neighbours from any class) and MAMix (α = 1, ω = 0.25: label weight moved
toward the rarer class). Metrics: per-class and balanced accuracy, balanced cross-entropy, with replicate SEs;
100 replicates (quick: 10).

These are a linear model and a small network on a small table, not the paper's deep networks on CIFAR-LT; the paper's numbers
(top-1 accuracy of ResNets) are not comparable, so none are printed. The claim checked is the paper's
qualitative ordering: augmentation helps the tail, and MAMix's label rule is at least as good as mixup's.

    synthjax run sims/long_tail.py [--full]
"""
import time

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from synthjax import data, learn, plot, synth
from synthjax.metrics import mcse
from synthjax.runner import custom_results, map_replicates

RATIOS = (10, 100)
N_MAX, TEST_PER_CLASS, K = 140, 30, 10
METHODS = ("none", "smote", "mixup", "soft_smote", "mamix")
LEARNERS = {"softmax": learn.softmax(K, C=1.0),
            "MLP": learn.mlp((64,), n_classes=K, learning_rate=1e-2, steps=300, weight_decay=1e-3, patience=0,
                             decoupled=True, standardise_features=False)}
PRINT_COLUMNS = ["ratio", "learner", "method", "balanced_accuracy", "balanced_accuracy_se", "tail_accuracy", "tail_accuracy_se",
                 "balanced_ce", "balanced_ce_se"]


def digits():
    """(X, labels) of scikit-learn's bundled digits (no download)."""
    from sklearn.datasets import load_digits
    bunch = load_digits()
    return np.asarray(bunch.data, float), np.asarray(bunch.target)


def fit_score(learner, key, X, Y, X_test):
    """(test logits (n_test, K), fit status) of a learner fitted on (X, Y): the softmax by Newton, the MLP from
    initial weights drawn with ``key`` (the learner contract's ``draw``)."""
    model = learner.draw(key, X) if hasattr(learner, "draw") else learner
    params, info = model.fit(X, Y)
    return model.score(params, X_test), info.status


def replicate_for(X, labels, ratio):
    counts = data.long_tail_counts(N_MAX, ratio, K)
    generators = {m: synth.multiclass(m, counts, k=5) for m in METHODS[1:]}

    def replicate(key):
        train, test = data.long_tail_split(jax.random.fold_in(key, 0), labels, counts, TEST_PER_CLASS)
        Xtr, Xte = data.preprocess(jnp.asarray(X, jnp.zeros(()).dtype)[train], jnp.asarray(X, jnp.zeros(()).dtype)[test])
        Ytr = jax.nn.one_hot(jnp.asarray(labels)[train], K, dtype=Xtr.dtype)
        Yte = jax.nn.one_hot(jnp.repeat(jnp.arange(K), TEST_PER_CLASS), K, dtype=Xtr.dtype)
        k_model = jax.random.fold_in(key, len(METHODS) + 1)      # one network initialisation for every method
        out = {}
        for i, method in enumerate(METHODS):
            Xf, Yf = Xtr, Ytr
            if method != "none":
                Xs, Ys = generators[method].sample(jax.random.fold_in(key, 1 + i), Xtr)
                Xf, Yf = jnp.concatenate([Xtr, Xs]), jnp.concatenate([Ytr, Ys])
            for name, learner in LEARNERS.items():
                s, status = fit_score(learner, k_model, Xf, Yf, Xte)
                correct = (jnp.argmax(s, axis=1) == jnp.argmax(Yte, axis=1)).astype(Xtr.dtype)
                out[f"{name}|{method}"] = dict(per_class=correct.reshape(K, TEST_PER_CLASS).mean(1),
                                               balanced_ce=jnp.mean(learn.softmax_loss(s, Yte)), status=status)
        return out

    return replicate, counts


def run(reps=None, seed=0, full=False):
    t0 = time.perf_counter()
    reps = reps or (100 if full else 10)
    X, labels = digits()
    rows, compile_s, profiles = [], 0.0, {}
    for cell, ratio in enumerate(RATIOS):
        replicate, counts = replicate_for(X, labels, ratio)
        profiles[str(ratio)] = list(counts)
        res, seconds = map_replicates(replicate, seed, cell, reps, batch=2)
        compile_s += seconds
        for name_method, values in res.items():
            learner, method = name_method.split("|")
            per_class = values["per_class"]
            frame = pd.DataFrame(per_class, columns=[f"acc_{c}" for c in range(K)])
            frame["balanced_accuracy"] = per_class.mean(1)
            frame["tail_accuracy"] = per_class[:, -3:].mean(1)
            frame["balanced_ce"] = values["balanced_ce"]
            frame["status"] = values["status"]
            rows.append(frame.assign(rep=np.arange(reps), ratio=ratio, learner=learner, method=method))
    table = pd.concat(rows, ignore_index=True)
    summary = []
    for (ratio, learner, method), g in table.groupby(["ratio", "learner", "method"], sort=False):
        row = dict(ratio=ratio, learner=learner, method=method, n_failed=int((g.status != 0).sum()))
        for col in ["balanced_accuracy", "tail_accuracy", "balanced_ce"] + [f"acc_{c}" for c in range(K)]:
            row[col], row[f"{col}_se"] = g[col].mean(), float(mcse(g[col]))
        summary.append(row)
    design = dict(design="long-tailed digits (MAMix analogue)", ratios=list(RATIOS), n_max=N_MAX, profiles=profiles,
                  test_per_class=TEST_PER_CLASS, learners={n: lrn.name for n, lrn in LEARNERS.items()},
                  methods=list(METHODS))
    return custom_results("long_tail", table, pd.DataFrame(summary), design, seed, reps, time.perf_counter() - t0,
                          compile_s)


def figures(results, out):
    table, summary, manifest = results.table, results.summary, results.manifest
    reps, seed = manifest["study"]["reps"], manifest["study"]["seed"]
    caption = (f"digits, exponential long tail (n_max = {N_MAX}), balanced test {TEST_PER_CLASS}/class; softmax C = 1 "
               f"and MLP(64); {reps} reps; bands ±1.96 SE; seed {seed}")
    paths, lines, checks = [], [], []
    cases = summary[["ratio", "learner"]].drop_duplicates().itertuples(index=False)
    for index, (ratio, learner) in enumerate(cases):
        part = summary[(summary.ratio == ratio) & (summary.learner == learner)]
        long = pd.concat([pd.DataFrame({"class": np.arange(K), "method": r.method,
                                        "accuracy": [getattr(r, f"acc_{c}") for c in range(K)],
                                        "accuracy_se": [getattr(r, f"acc_{c}_se") for c in range(K)]})
                          for r in part.itertuples()])
        path = out / f"per_class_{index}.png"
        plot.curves(long, "class", "accuracy", "method", se="accuracy_se",
                    title=f"Long-tailed digits, ρ = {ratio}, {learner}: test accuracy per class (head → tail)",
                    xlabel="class (by training size, largest first)", caption_text=caption, path=path)
        paths.append(path)
        by = part.set_index("method")
        methods = list(by.index)
        lines.append(f"ρ = {ratio}, {learner}: balanced accuracy " + ", ".join(
            f"{m} {plot.pm(by.loc[m, 'balanced_accuracy'], by.loc[m, 'balanced_accuracy_se'])}" for m in methods)
            + "; tail (3 rarest) " + ", ".join(f"{m} {by.loc[m, 'tail_accuracy']:.3f}" for m in methods))
        rows = table[(table.ratio == ratio) & (table.learner == learner)]
        helps = plot.paired(rows, "smote", "none", "tail_accuracy")
        mamix_vs_mixup = plot.paired(rows, "mamix", "mixup", "balanced_accuracy") if "mixup" in methods else (np.nan, np.nan)
        lines.append(f"ρ = {ratio}, {learner}: SMOTE − none on the tail {plot.pm(*helps)}, "
                     f"MAMix − mixup {plot.pm(*mamix_vs_mixup)}")
        checks.append((helps[0] > 1.96 * helps[1], mamix_vs_mixup[0] > -1.96 * mamix_vs_mixup[1]))
    checks = np.array(checks, bool)
    verdict = (f"augmentation helps the tail (SMOTE over none, 95% paired) in {checks[:, 0].sum()} of {len(checks)} "
               f"ratio × learner cases; MAMix at least as good as mixup in {checks[:, 1].sum()} of {len(checks)}. A "
               f"linear softmax and a small MLP on digits, not the paper's ResNets on CIFAR-LT: the ordering is what is "
               f"compared, not the numbers.")
    plot.write_findings(out, "Long-tailed augmentation (MAMix analogue, arXiv 2308.15457)",
                        "On long-tailed data, oversampling the tail (SMOTE) helps the rare classes, and MAMix's "
                        "label rule, which moves label weight toward the rarer class of a pair, beats plain mixup.",
                        "; ".join(lines) + ".", verdict, caption)
    return paths
