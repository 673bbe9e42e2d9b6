"""A study is data: DGP × synthesizers × learner × size grid × (n0, n1) × replicates.

The design (``Study``), its shape-cells and the random-stream tags; the flow of a run is
design (here) → kernel (``_kernel``) → execution (``_execute``) → store (``_store``) → results (``_results``),
orchestrated by ``_run``.
"""
from __future__ import annotations

import dataclasses
import itertools
import zlib
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .._validate import InvalidParameterError, check_int
from ..dgp import DGP
from ..learn import Learner
from ..synth import Synthesizer, synthetic_sizes
from ._fingerprint import fingerprint

DESIGN_COLUMNS = ["cell", "generator", "n0", "n1"]
POPULATION_METRICS = ["auroc", "auprc", "best_ba", "best_f1"]
METRICS = (["excess_risk", "risk"] + POPULATION_METRICS + [f"regret_{m}" for m in POPULATION_METRICS])
TEST_METRICS = ["test_auroc", "test_auprc", "test_best_ba", "test_best_f1", "test_balanced_loss"]
DIAGNOSTICS = ["iterations", "grad_norm", "converged", "status"]


@dataclasses.dataclass(frozen=True)
class Study:
    """The design of an augmentation study.

    Attributes:
      name: a label for files and captions.
      dgp: the data-generating process (with its oracles).
      synthesizers: {name: Synthesizer}; every generator sees the same real data sets (common
        random numbers), so differences between generators are paired.
      learner: the model fitted to real + synthetic points (synthetic label 1, weight 1): a linear ``Learner``
        (population risk and metrics exact, from the DGP's oracles; excess risk over the best linear θ*) or any
        learner of the contract (``learn._contract``: random features, an MLP, your own), drawn once per
        replicate (``learn.bind``), whose population risk and metrics are computed on one fixed evaluation
        sample of ``n_eval`` points per class and whose excess risk is over the balanced Bayes risk.
      gamma: the synthetic-size grid as fractions of n0 − n1 (ñ = round(γ (n0 − n1))), or a function
        (n0, n1) -> grid when the sizes depend on the cell (e.g. a theory-target size); every cell's
        grid must have the same length.
      sizes: (n0, n1) pairs; each pair × generator is one shape-cell (one compilation).
      reps: Monte-Carlo replicates per cell.
      seed: root seed; replicate r of cell c uses fold_in(fold_in(key(seed), c), r).
      n_test: if > 0, also score each fit on a fresh test sample of n_test points per class
        (AUROC, AUPRC, best-threshold BA and F1, balanced loss); population metrics are always exact.
      metrics: also compute, per fit, the population AUROC, AUPRC, best-threshold balanced accuracy and
        F1 of the score (prevalence ½) and their regret against the Bayes score (``DGP.bayes_metrics``).
      chunk_size: replicates per compiled call (memory ∝ chunk_size; rounded up to a multiple of the
        vmapped batch, see ``replicate_batch``); results do not depend on it.
      n_eval: evaluation-sample size per class for a learner without exact oracles (Monte-Carlo SE of the
        risk ≈ SD(ℓ)/√(2 n_eval); the sample is common to every replicate and generator).
    """
    name: str
    dgp: DGP
    synthesizers: Mapping[str, Synthesizer]
    learner: Learner
    gamma: tuple
    sizes: tuple
    reps: int = 100
    seed: int = 0
    n_test: int = 0
    metrics: bool = True
    chunk_size: int = 256
    n_eval: int = 20_000

    def __post_init__(self):
        check_int(self.reps, "reps", "Study", 1)
        check_int(self.seed, "seed", "Study", 0)
        check_int(self.n_test, "n_test", "Study", 0)
        check_int(self.chunk_size, "chunk_size", "Study", 1)
        check_int(self.n_eval, "n_eval", "Study", 2)
        if not self.synthesizers:
            raise InvalidParameterError("The 'synthesizers' parameter of Study must name at least one generator. Got {} instead.")
        for name, s in self.synthesizers.items():
            if not isinstance(s, Synthesizer):
                raise InvalidParameterError(f"The 'synthesizers' parameter of Study must map names to Synthesizer objects. Got {type(s).__name__} for {name!r} instead.")
        for n0, n1 in self.sizes:
            check_int(n1, "n1", "Study", 2)
            check_int(n0, "n0", "Study", n1)
        lengths = {len(synthetic_sizes(self.gammas(n0, n1), n0, n1)) for n0, n1 in self.sizes}  # validates
        if len(lengths) != 1:
            raise InvalidParameterError(f"The 'gamma' parameter of Study must give grids of one length for every "
                                        f"cell. Got lengths {sorted(lengths)} instead.")

    def gammas(self, n0: int, n1: int) -> tuple:
        """The γ grid of the cell (n0, n1)."""
        return tuple(self.gamma(n0, n1)) if callable(self.gamma) else tuple(self.gamma)

    def design(self) -> pd.DataFrame:
        """The design table: one row per shape-cell. ``cell`` (the data cell id) indexes (n0, n1)."""
        rows = [dict(cell=c, generator=g, n0=n0, n1=n1)
                for (c, (n0, n1)), g in itertools.product(enumerate(self.sizes), self.synthesizers)]
        return pd.DataFrame(rows, columns=DESIGN_COLUMNS)

    def size_table(self) -> pd.DataFrame:
        """The summary's design columns before any replicate: one row per shape-cell × synthetic size (generator,
        n0, n1, size_index, gamma, n_syn), in the summary's order."""
        rows = []
        for (n0, n1), g in itertools.product(self.sizes, self.synthesizers):
            gammas = self.gammas(n0, n1)
            rows += [dict(generator=g, n0=n0, n1=n1, size_index=i, gamma=float(gamma), n_syn=int(n))
                     for i, (gamma, n) in enumerate(zip(gammas, synthetic_sizes(gammas, n0, n1)))]
        return pd.DataFrame(rows)

    def fingerprint(self) -> str:
        """A hash of everything that determines the numbers: DGP, generators, learner and the design."""
        return fingerprint(dict(dgp=self.dgp, synthesizers=dict(self.synthesizers), learner=self.learner,
                                description={k: v for k, v in self.describe().items() if k != "chunk_size"}))

    @property
    def exact_population(self) -> bool:
        """True for the linear learners, whose population risk and metrics come from the DGP's oracles."""
        return isinstance(self.learner, Learner)

    def describe(self) -> dict:
        """A JSON-able description of the design, for the manifest."""
        out = dict(name=self.name, dgp=self.dgp.name, d=self.dgp.d, learner=self.learner.name,
                   learner_intercept=getattr(self.learner, "intercept", None),
                   learner_hyper={k: _shortest(v) for k, v in self.learner.hyper._asdict().items()}
                   if self.learner.hyper is not None else {},
                   generators=list(self.synthesizers),
                   gamma={f"{n0},{n1}": [float(g) for g in self.gammas(n0, n1)] for n0, n1 in self.sizes},
                   sizes=[list(map(int, s)) for s in self.sizes], reps=self.reps, seed=self.seed,
                   n_test=self.n_test, metrics=self.metrics, chunk_size=self.chunk_size)
        if not self.exact_population:
            out["n_eval"] = self.n_eval
        return out

    def evaluation_sample(self):
        """(X, labels) of the fixed balanced evaluation sample (``n_eval`` per class), or () for exact oracles."""
        if self.exact_population:
            return ()
        E0, E1 = self.dgp.sample(jax.random.fold_in(jax.random.key(self.seed), EVAL_TAG), self.n_eval, self.n_eval)
        X = jnp.concatenate([E0, E1])
        return X, jnp.concatenate([jnp.zeros(self.n_eval, X.dtype), jnp.ones(self.n_eval, X.dtype)])


def _shortest(value):
    """A scalar hyperparameter as the shortest decimal that round-trips in its own dtype (1e-4, not
    9.9999997e-05 for a float32), or a list for arrays."""
    a = np.asarray(value)
    if a.ndim:
        return [_shortest(x) for x in a]
    return float(np.format_float_positional(a[()], unique=True, trim="-"))


#: fold_in tags: the evaluation sample of a study's seed, and a replicate's draw of the learner's random parts.
EVAL_TAG, MODEL_TAG = 0xE7A1, 3


def stream_tag(name: str) -> int:
    """A stable 31-bit integer for a generator name, so its random stream does not depend on the
    order or number of generators in the study."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def cell_name(row) -> str:
    """A shard-file name for a design row: the data cell and the generator's stream tag."""
    return f"c{int(row.cell):03d}-g{stream_tag(row.generator):08x}"
