"""``run``: a study's cells through an executor into a store (or memory), with progress and the manifest."""
from __future__ import annotations

import dataclasses
import platform
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from .. import metrics as M
from .._compile_cache import xla_settings
from .._validate import InvalidParameterError
from ._design import Study, cell_name
from ._execute import CellComputer, block_size
from ._executors import CellJob, LocalExecutor
from ._memory import ROW_BYTES, memory_block_size, parse_bytes, peak_rss
from ._results import Results, jax_flags, summarise, versions
from ._store import RunStore, StoreWriteError

#: Seconds between looks at cells another run holds.
CLAIM_POLL_S = 1.0


def claimed(store: RunStore, jobs, elsewhere: list, by_others: list):
    """Yield the jobs whose cell claim this run takes, each with the blocks still missing once claimed;
    append to ``elsewhere`` the jobs another live run holds and to ``by_others`` the names of cells another
    run finished meanwhile. Lazy: a local executor claims each cell when it takes the job, which with
    ``compile_ahead`` is while the previous cell's blocks still run (it compiles the next cell meanwhile), so a run
    holds at most two claims at once, the running cell's and the next one's. A second run sharing the folder then
    works from the cell after those two; a claim is released when its cell ends, fails or the run stops."""
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

    compute = CellComputer(study, size, risk_star, bayes, evaluation)

    def settle(job, outcome):
        if store is not None:
            store.release(job.name)
        if isinstance(outcome, StoreWriteError):        # a full disk: stop, keeping every finished shard
            raise outcome
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
    manifest = dict(study=study.describe(), dtype=str(dtype), jax_flags=jax_flags(), xla=xla_settings(),
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
