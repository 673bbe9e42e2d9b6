"""A study is data: DGP × synthesizers × learner × size grid × (n0, n1) × replicates.

One compiled call per shape-cell (generator, n0, n1) evaluates a chunk of replicates and every
synthetic size: ``vmap`` over replicates outside, ``vmap`` over the nested-size masks inside.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import platform
import shutil
import sys
import time
import zlib
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .. import metrics as M
from .._validate import InvalidParameterError, check_int
from ..dgp import DGP, sample_metrics
from ..learn import OK, Learner, bind, path_fit
from ..synth import Synthesizer, nested_mask, synthetic_sizes
from ._executors import CellJob, LocalExecutor
from ._memory import ROW_BYTES, memory_block_size, parse_bytes, peak_rss
from ._store import RunStore, fingerprint
from ._summary import SIZE_KEYS, Summary

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


def replicate_keys(seed, cell, rep_ids):
    """Keys fold_in(fold_in(key(seed), cell), r) for each replicate id r (all may be traced)."""
    cell_key = jax.random.fold_in(jax.random.key(seed), cell)
    return jax.vmap(lambda r: jax.random.fold_in(cell_key, r))(jnp.asarray(rep_ids, jnp.uint32))


def make_replicate(dgp: DGP, synth: Synthesizer, learner: Learner, n0: int, n1: int, m: int,
                   n_test: int = 0, generator_tag: int = 1, metrics: bool = True):
    """One replicate of one shape-cell, every synthetic size at once.

    Returns ``replicate(key, sizes (S,), risk_star, synth_hyper, learner_hyper, evaluation=()) -> dict of (S,)
    arrays``: draw (X0, X1) ~ P0^n0 × P1^n1, fit the synthesizer on X1 (and X0), draw one pool of m
    points (label 1, or the method's soft labels), draw the learner's random parts (``learn.bind``), fit it on
    [X0; X1; pool] with weight mask [1; 1; 1{j < ñ_s}] for each size s, and
    evaluate the population (and optionally test-sample) metrics: exact for a linear learner, else on the
    ``evaluation`` sample (X, labels). A failed fit (status ≠ OK) gives NaN metrics and keeps its status.
    """
    exact = isinstance(learner, Learner)

    def replicate(key, sizes, risk_star, synth_hyper, learner_hyper, evaluation=()):
        k_data, k_gen, k_test = (jax.random.fold_in(key, t) for t in (0, generator_tag, 2))
        k_fit, k_sample = jax.random.split(k_gen)
        X0, X1 = dgp.sample(k_data, n0, n1)
        pool = synth.sample(k_sample, synth.fit(k_fit, X1, X0, synth_hyper), m)
        X = jnp.concatenate([X0, X1, pool.X])
        y_pool = jnp.ones(m, X.dtype) if pool.y is None else pool.y.astype(X.dtype)   # soft labels (mixup…)
        y = jnp.concatenate([jnp.zeros(n0, X.dtype), jnp.ones(n1, X.dtype), y_pool])
        real = jnp.ones((sizes.shape[0], n0 + n1), X.dtype)
        W = jnp.concatenate([real, nested_mask(sizes, m, X.dtype)], axis=1)
        model = bind(learner, jax.random.fold_in(key, MODEL_TAG), jnp.concatenate([X0, X1]))
        params, info = path_fit(model)(X, y, W, learner_hyper)
        if exact:
            risk = jax.vmap(partial(dgp.population_risk, learner.loss))(params)
        else:
            E, labels = evaluation
            risk = jax.vmap(lambda p: M.balanced_risk(model.loss, model.score(p, E), labels))(params)
        out = dict(excess_risk=risk - risk_star, risk=risk)
        if metrics and exact:
            out.update(jax.vmap(dgp.population_metrics)(params))
        elif metrics:
            half = labels.shape[0] // 2                    # the evaluation sample: n_eval of class 0, then of class 1
            out.update(jax.vmap(lambda p: sample_metrics(model.score(p, E)[:half], model.score(p, E)[half:]))(params))
        if n_test:
            T0, T1 = dgp.sample(k_test, n_test, n_test)
            T = jnp.concatenate([T0, T1])
            labels = jnp.concatenate([jnp.zeros(n_test, X.dtype), jnp.ones(n_test, X.dtype)])

            def test_metrics(p):
                s = model.score(p, T)
                return dict(test_auroc=M.auroc(s, labels), test_auprc=M.auprc(s, labels),
                            test_best_ba=M.best_threshold_balanced_accuracy(s, labels),
                            test_best_f1=M.best_threshold_f1(s, labels),
                            test_balanced_loss=M.balanced_risk(model.loss, s, labels))
            out.update(jax.vmap(test_metrics)(params))
        failed = info.status != OK
        out = {k: jnp.where(failed, jnp.nan, v) for k, v in out.items()}
        out.update(iterations=info.iterations, grad_norm=info.grad_norm, converged=info.converged,
                   status=info.status)
        return out

    return replicate


def cell_replicate(study: Study, generator: str, n0: int, n1: int):
    """The replicate function of a shape-cell, its size grid and its vmapped batch
    (``replicate_batch``): ``replicate(key, sizes, risk*, synth_hyper, learner_hyper)``."""
    sizes = synthetic_sizes(study.gammas(n0, n1), n0, n1)
    replicate = make_replicate(study.dgp, study.synthesizers[generator], study.learner, n0, n1,
                               int(sizes.max()), study.n_test, stream_tag(generator), study.metrics)
    return replicate, sizes, replicate_batch(len(sizes), n0 + n1 + int(sizes.max()))


def replicate_chunk(replicate):
    """Jitted ``chunk(seed, cell, rep_ids, *args) -> pytree of (len(rep_ids), …) arrays``: replicate r
    gets key fold_in(fold_in(key(seed), cell), r), vmapped over ``rep_ids``. Everything but the
    replicate's code is dynamic: a new seed, cell, size grid or hyperparameter value reuses the
    compiled program."""
    @jax.jit
    def chunk(seed, cell, rep_ids, *args):
        return jax.vmap(lambda k: replicate(k, *args))(replicate_keys(seed, cell, rep_ids))
    return chunk


def block_size(chunk_size: int) -> int:
    """Replicates per block (one shard): ``chunk_size`` rounded up to a multiple of 64."""
    return -(-chunk_size // 64) * 64


class CompiledCell:
    """A cell's replicate function, compiled for a vmapped batch of ``batch`` replicates on each local device.

    ``block(b, reps)`` runs replicates [b·size, min((b + 1)·size, reps)) as identical batch calls (the tail
    batch padded, then cut), dealt round-robin to ``jax.local_devices()`` and run asynchronously. Every
    replicate is computed by the same program whatever the block size, chunk size, number of replicates or
    number of devices, so the numbers are identical bit for bit; memory is bounded by one batch per device.
    """

    def __init__(self, replicate, seed: int, cell: int, size: int, batch: int, args=()):
        self.size, self.batch = size, batch
        self.fn = replicate_chunk(replicate)
        self.devices = jax.local_devices()
        self.inputs = [jax.device_put(((jnp.uint32(seed), jnp.uint32(cell)), args), d) for d in self.devices]
        t0 = time.perf_counter()
        for d, (cell_args, dyn) in zip(self.devices, self.inputs):      # compile on every device up front
            jax.block_until_ready(self.fn(*cell_args, jax.device_put(jnp.zeros(batch, jnp.uint32), d), *dyn))
        self.compile_s = time.perf_counter() - t0

    def block(self, b: int, reps: int):
        start, stop = b * self.size, min((b + 1) * self.size, reps)
        parts = []
        for i, first in enumerate(range(start, stop, self.batch)):
            cell_args, dyn = self.inputs[i % len(self.devices)]
            ids = jax.device_put(np.arange(first, first + self.batch, dtype=np.uint32), self.devices[i % len(self.devices)])
            parts.append(self.fn(*cell_args, ids, *dyn))
        out = jax.tree_util.tree_map(lambda *v: np.concatenate([np.asarray(x) for x in v]), *parts)
        return jax.tree_util.tree_map(lambda v: v[: stop - start], out)


def map_replicates(replicate, seed: int, cell: int, reps: int, args=(), chunk_size: int = 256, batch: int = 64):
    """Run ``replicate(key, *args)`` for replicates 0 … reps − 1 of a cell in vmapped batches of ``batch``
    (one compiled program, so the numbers do not depend on ``chunk_size``). Returns (dict of (reps, …)
    numpy arrays, compile seconds)."""
    size = max(batch, chunk_size)
    compiled = CompiledCell(replicate, seed, cell, size, batch, args)
    parts = [compiled.block(b, reps) for b in range(-(-reps // size))]
    return jax.tree_util.tree_map(lambda *v: np.concatenate(v), *parts), compiled.compile_s


def replicate_batch(n_sizes: int, n_rows: int) -> int:
    """Replicates per vmapped batch: small enough that a batch's (sizes × rows) working arrays stay in
    cache (about 2 MB in float32), a power of two up to 64. It depends on the shape-cell only — never on the chunk
    size or the number of replicates — so every replicate is computed by the same compiled batch
    program and the numbers do not depend on how the run is chunked."""
    fits = max(1, 2 ** 19 // (n_sizes * n_rows))
    return int(min(64, 2 ** int(np.log2(fits))))


class Results:
    """What ``run`` returns: the long table (one row per cell × replicate × size), the summary
    (mean and MCSE per cell × size), and the manifest (design, seed, versions, flags, timings).
    ``table`` may be given as the path of a Parquet file, read when first used (large runs)."""

    def __init__(self, table, summary: pd.DataFrame, manifest: dict):
        self._table, self.summary, self.manifest = table, summary, manifest

    @property
    def table(self) -> pd.DataFrame:
        if isinstance(self._table, Path):
            self._table = pd.read_parquet(self._table) if self._table.exists() else pd.DataFrame()
        return self._table

    def save(self, out_dir) -> Path:
        """Write results.parquet, summary.parquet and manifest.json under ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        target = out / "results.parquet"
        if not isinstance(self._table, Path):
            self._table.to_parquet(target, index=False)
        elif self._table.resolve() != target.resolve():
            shutil.copyfile(self._table, target)
        self.summary.to_parquet(out / "summary.parquet", index=False)
        (out / "manifest.json").write_text(json.dumps(self.manifest, indent=2, default=str))
        return out

    @classmethod
    def load(cls, out_dir) -> "Results":
        """Read what ``save`` wrote (to redraw figures without re-running the simulation)."""
        out = Path(out_dir)
        missing = [f for f in ("results.parquet", "summary.parquet", "manifest.json") if not (out / f).exists()]
        if missing:
            raise FileNotFoundError(f"{out} has no saved results ({', '.join(missing)} missing); run the study first.")
        return cls(out / "results.parquet", pd.read_parquet(out / "summary.parquet"),
                   json.loads((out / "manifest.json").read_text()))


def custom_results(name: str, table: pd.DataFrame, summary: pd.DataFrame, design: dict, seed: int, reps: int,
                   wall_s: float, compile_s: float) -> Results:
    """Results of a study with its own replicate (tuners, tests), with the same manifest fields."""
    manifest = dict(study=dict(name=name, seed=seed, reps=reps, **design), dtype=str(jnp.zeros(()).dtype),
                    jax_flags=jax_flags(), versions=versions(), wall_s=wall_s, compile_s=compile_s, peak_rss=peak_rss(),
                    machine=dict(platform=platform.platform(), devices=[str(d) for d in jax.devices()]))
    return Results(table, summary, manifest)


def cell_name(row) -> str:
    """A shard-file name for a design row: the data cell and the generator's stream tag."""
    return f"c{int(row.cell):03d}-g{stream_tag(row.generator):08x}"


def compute_cell(study: Study, size: int, risk_star, bayes: dict, evaluation, job, emit) -> dict:
    """Compile the job's shape-cell and hand each missing block's long-table rows to ``emit(block, frame)``;
    return the cell's timings."""
    t0, row = time.perf_counter(), job.row
    replicate, sizes, batch = cell_replicate(study, row.generator, row.n0, row.n1)
    dyn = (jnp.asarray(sizes, jnp.int32), risk_star, study.synthesizers[row.generator].hyper, study.learner.hyper,
           evaluation)
    compiled = CompiledCell(replicate, study.seed, row.cell, size, batch, dyn)
    for b in job.blocks:
        emit(b, _block_frame(row, compiled.block(b, study.reps), sizes, study.gammas(row.n0, row.n1), b * size, bayes))
    return dict(cell=int(row.cell), generator=row.generator, compile_s=compiled.compile_s,
                total_s=time.perf_counter() - t0)


#: Seconds between looks at cells another run holds.
CLAIM_POLL_S = 1.0


def claimed(store: RunStore, jobs, elsewhere: list, by_others: list):
    """Yield the jobs whose cell claim this run takes, each with the blocks still missing once claimed;
    append to ``elsewhere`` the jobs another live run holds and to ``by_others`` the names of cells another
    run finished meanwhile. Lazy: a local executor claims each cell just before computing it."""
    for job in jobs:
        if not store.claim(job.name):
            elsewhere.append(job)
            continue
        missing = tuple(b for b in job.blocks if not store.has(job.name, b))
        if missing:
            yield dataclasses.replace(job, blocks=missing)
            continue
        store.release(job.name)
        by_others.append(job.name)


def run(study: Study, verbose: bool = False, out=None, shard: tuple | None = None, force: bool = False,
        max_memory=None, executor=None) -> Results:
    """Run every shape-cell of the study; return the long table, the summary and the manifest.

    With ``out``, each finished block of replicates (``chunk_size`` rounded up to 64) is written
    atomically as a Parquet shard under ``out/shards``; re-running the same call computes only the
    missing shards (identical numbers), and a changed design or code version is refused
    (``DesignChanged``) unless ``force``, which moves the old run aside. The long table is then streamed
    to ``out/results.parquet`` and the summary accumulated block by block, so memory does not grow with
    the number of replicates (``Results.table`` is read from disk when first used). ``shard=(i, N)``
    runs only the cells whose index is i mod N (a Slurm array task); ``collect`` merges. ``max_memory``
    (bytes or '4GiB') chooses the block size from a memory budget instead of ``chunk_size``; the peak
    resident memory is recorded in the manifest. ``executor``: ``LocalExecutor()`` (default) or
    ``RayExecutor(...)``. A cell that raises is recorded with its error and the grid goes on; failed
    replicates (status ≠ 0) stay in the table. Two runs on one ``out`` share the work: each computes
    only cells it has claimed (``RunStore.claim``), then waits for the cells the other holds (taking
    them over if it dies); ``manifest['cells_by_other_runs']`` lists what the other computed.
    """
    t_start = time.perf_counter()
    executor = executor or LocalExecutor()
    dtype = jnp.zeros(()).dtype
    evaluation = study.evaluation_sample()
    if study.exact_population:
        theta_star = study.dgp.theta_star(study.learner)
        risk_star = study.dgp.population_risk(study.learner.loss, theta_star)
        reference = dict(coef=np.asarray(theta_star.coef).tolist(), intercept=float(theta_star.intercept))
    else:
        risk_star = M.balanced_bayes_risk(study.learner.loss, study.dgp.bayes_score(evaluation[0]))
        reference = None
    bayes = {k: float(v) for k, v in study.dgp.bayes_metrics().items()} if study.metrics else {}
    design = study.design()
    n_sizes = len(study.gammas(*study.sizes[0]))
    size = block_size(study.chunk_size)
    if max_memory is not None:
        max_memory = parse_bytes(max_memory)
        size = memory_block_size(max_memory, n_sizes, study.reps)
        table_bytes = len(design) * study.reps * n_sizes * ROW_BYTES // 4
        if out is None and table_bytes > max_memory // 4:
            raise InvalidParameterError(
                f"The 'max_memory' parameter of run ({max_memory / 2 ** 30:.2f} GiB) cannot hold this study's long "
                f"table in memory (about {table_bytes / 2 ** 30:.2f} GiB): pass out=<folder> to stream it to disk.")
    cells = {cell_name(row): -(-study.reps // size) for row in design.itertuples(index=False)}
    store = None
    if out is not None:
        description = dict(study.describe(), cells=cells, chunk_size=None)
        store = RunStore(out, description, study.fingerprint(), size, force)
        size = store.block_size
        cells = {name: -(-study.reps // size) for name in cells}
    mine = [row for i, row in enumerate(design.itertuples(index=False)) if shard is None or i % shard[1] == shard[0]]
    jobs = [CellJob(row, cell_name(row), tuple(b for b in range(cells[cell_name(row)])
                                               if store is None or not store.has(cell_name(row), b))) for row in mine]
    progress = Progress(sum(cells[j.name] for j in jobs) * size, verbose)
    progress.skip(sum(cells[j.name] - len(j.blocks) for j in jobs) * size)
    frames, timings, failures = [], [], {}

    def write(job, b, frame):
        if store is not None:
            store.write(job.name, b, frame)
        else:
            frames.append(frame)
        progress.advance(size, f"{job.row.generator} n0={job.row.n0} n1={job.row.n1}")

    compute = partial(compute_cell, study, size, risk_star, bayes, evaluation)

    def settle(job, outcome):
        if store is not None:
            store.release(job.name)
        if isinstance(outcome, BaseException):
            failures[job.name] = f"{type(outcome).__name__}: {outcome}"
            if store is not None:
                store.record_error(job.name, outcome)
            print(f"\nsynthjax: cell {job.name} ({job.row.generator}, n0={job.row.n0}, n1={job.row.n1}) failed: "
                  f"{outcome}", file=sys.stderr)
            return
        timings.append(outcome)
        if store is not None:
            store.clear_error(job.name)

    by_others = []
    try:
        if store is None:
            for job, outcome in executor.run_cells(compute, [j for j in jobs if j.blocks], write):
                settle(job, outcome)
        else:
            claimed_elsewhere, told = [], None
            for job, outcome in executor.run_cells(compute, claimed(store, [j for j in jobs if j.blocks],
                                                                    claimed_elsewhere, by_others), write):
                settle(job, outcome)
            while claimed_elsewhere:           # cells another live run holds: wait, take over if it dies
                if told != len(claimed_elsewhere):
                    told = len(claimed_elsewhere)
                    print(f"synthjax: waiting for {told} cell(s) computed by "
                          f"{store.claim_owner(claimed_elsewhere[0].name)} on this folder ...", file=sys.stderr)
                time.sleep(CLAIM_POLL_S)
                waiting, claimed_elsewhere = claimed_elsewhere, []
                for job, outcome in executor.run_cells(compute, claimed(store, waiting, claimed_elsewhere, by_others),
                                                       write):
                    settle(job, outcome)
    finally:
        if store is not None:
            store.release_all()
    if by_others:
        print(f"synthjax: {len(by_others)} cell(s) were computed by another run on this folder: "
              f"{', '.join(by_others)}", file=sys.stderr)
    progress.close()
    if store is not None:
        table, summary = store.collect(cells, Path(out) / "results.parquet")
        failures.update(store.errors())
        missing = store.status(cells).query("state != 'finished'").cell.tolist()
    else:
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        summary = summarise(table) if len(table) else pd.DataFrame()
        missing = sorted(failures)
    peak = peak_rss()
    manifest = dict(study=study.describe(), dtype=str(dtype), jax_flags=jax_flags(),
                    versions=versions(), theta_star=reference, risk_star=float(risk_star),
                    population=("exact (DGP oracles); excess risk over the best linear θ*" if study.exact_population else
                                f"evaluation sample of {study.n_eval} per class (seed {study.seed}); excess risk over "
                                f"the balanced Bayes risk"), bayes_metrics=bayes, timings=timings,
                    compile_s=sum(t["compile_s"] for t in timings), wall_s=time.perf_counter() - t_start,
                    failed_cells=failures, missing_cells=missing, cells_by_other_runs=by_others,
                    shard=list(shard) if shard else None,
                    block_size=size, max_memory=max_memory, peak_rss=peak, executor=type(executor).__name__,
                    machine=dict(platform=platform.platform(), processor=platform.processor(),
                                 devices=[str(d) for d in jax.devices()]))
    if max_memory is not None and peak > max_memory:
        print(f"synthjax: peak memory {peak / 2 ** 30:.2f} GiB exceeded max_memory {max_memory / 2 ** 30:.2f} GiB "
              f"(the compiler's share is estimated, not known in advance).", file=sys.stderr)
    if missing:
        print(f"synthjax: {len(missing)} cell(s) not finished: {', '.join(missing)}", file=sys.stderr)
    return Results(table, summary, manifest)


def _block_frame(row, cols, sizes, gammas, rep_offset: int, bayes: dict) -> pd.DataFrame:
    """The long-table rows of one block: design columns, replicate and size indices, metrics, diagnostics."""
    R, S = cols["status"].shape
    frame = pd.DataFrame({k: v.reshape(-1) for k, v in cols.items()})
    frame.insert(0, "n_syn", np.tile(sizes, R))
    frame.insert(0, "gamma", np.tile(np.asarray(gammas, float), R))
    frame.insert(0, "size_index", np.tile(np.arange(S), R))
    frame.insert(0, "rep", np.repeat(np.arange(rep_offset, rep_offset + R), S))
    for col in reversed(DESIGN_COLUMNS):
        frame.insert(0, col, getattr(row, col))
    for name, value in bayes.items():
        frame[f"regret_{name}"] = value - frame[name]
    return frame


class Progress:
    """A one-line progress report on stderr: replicates done, rate and time left."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.done, self.enabled = max(total, 1), 0, enabled
        self.t0, self.computed = time.perf_counter(), 0

    def skip(self, n: int):
        self.done += n

    def advance(self, n: int, label: str):
        self.done += n
        self.computed += n
        if self.enabled:
            rate = self.computed / max(time.perf_counter() - self.t0, 1e-9)
            left = (self.total - self.done) / rate if rate > 0 else float("nan")
            print(f"\r  {min(self.done, self.total)}/{self.total} replicates ({100 * self.done / self.total:.0f}%), "
                  f"{rate:.0f}/s, about {left:.0f} s left — {label}   ", end="", file=sys.stderr, flush=True)

    def close(self):
        if self.enabled and self.computed:
            print(file=sys.stderr)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and Monte-Carlo SE (SD/√R over finite values) of each metric per cell × size, with the
    number of replicates and of failed fits (status ≠ OK); see ``Summary``."""
    return summary_accumulator(table.columns).add(table).result()


def summary_accumulator(columns) -> Summary:
    """The streaming summary of a long table with these columns (one cell × size per group)."""
    return Summary(DESIGN_COLUMNS + SIZE_KEYS, [c for c in METRICS + TEST_METRICS if c in columns])


def jax_flags() -> dict:
    """The JAX settings that change numbers or random streams, for the manifest."""
    return {name: getattr(jax.config, name) for name in
            ("jax_enable_x64", "jax_default_prng_impl", "jax_threefry_partitionable",
             "jax_default_matmul_precision", "jax_compilation_cache_dir")}


def versions() -> dict:
    out = {"python": sys.version.split()[0]}
    for pkg in ("synthjax", "jax", "jaxlib", "numpy", "pandas"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out
