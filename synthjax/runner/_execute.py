"""Running compiled cells: blocks of replicates as identical vmapped batches, dealt over the local devices."""
from __future__ import annotations

import dataclasses
import io
import time

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax.sharding import SingleDeviceSharding

from ._design import Study
from ._kernel import cell_arguments, cell_chunk, shared_replicate_chunk
from ._results import block_frame

def block_size(chunk_size: int) -> int:
    """Replicates per block (one shard): ``chunk_size`` rounded up to a multiple of 64."""
    return -(-chunk_size // 64) * 64


class CompiledCell:
    """A cell's chunk function (``replicate_chunk``, ``cell_chunk``: made of ``Program`` objects) compiled ahead of time
    for a vmapped batch of ``batch`` replicates on each local device.

    ``block(b, reps)`` runs replicates [b·size, min((b + 1)·size, reps)) as identical batch calls (the tail
    batch padded, then cut), dealt round-robin to ``jax.local_devices()`` and run asynchronously. Every
    replicate is computed by the same program whatever the block size, chunk size, number of replicates or
    number of devices, so the numbers are identical bit for bit; memory is bounded by one batch per device.
    """

    def __init__(self, chunk, seed: int, cell: int, size: int, batch: int, args=()):
        self.size, self.batch = size, batch
        self.fn = chunk
        self.devices = jax.local_devices()
        self.inputs = [jax.device_put(((jnp.uint32(seed), jnp.uint32(cell)), args), d) for d in self.devices]
        t0 = time.perf_counter()
        for d, (cell_args, dyn) in zip(self.devices, self.inputs):      # compile on every device up front (no run)
            self.fn(*cell_args, jax.ShapeDtypeStruct((batch,), jnp.uint32, sharding=SingleDeviceSharding(d)), *dyn)
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


def map_replicates(replicate, seed: int, cell: int, reps: int, args=(), chunk_size: int = 256, batch: int = 64,
                   store=None):
    """Run ``replicate(key, *args)`` for replicates 0 … reps − 1 of a cell in vmapped batches of ``batch``
    (one compiled program, so the numbers do not depend on ``chunk_size``). Returns (the replicate's output
    pytree with leading axis reps, as numpy arrays; compile seconds). With a ``RunStore`` (``replicate_store``),
    each block of ``store.block_size`` replicates is kept as a shard of cell ``cell`` as soon as it is done, and a
    rerun reads finished blocks back instead of computing them: an interrupted run loses at most one block, and
    nothing is compiled when every block is stored."""
    size = max(batch, chunk_size) if store is None else store.block_size
    compiled, tree, parts = None, None, []
    for b in range(-(-reps // size)):
        if store is not None and store.has(f"cell{cell}", b):
            parts.append([np.load(io.BytesIO(v)) for v in pd.read_parquet(store.shard(f"cell{cell}", b)).iloc[0]])
            continue
        compiled = compiled or CompiledCell(shared_replicate_chunk(replicate), seed, cell, size, batch, args)
        leaves, tree = jax.tree_util.tree_flatten(compiled.block(b, reps))
        if store is not None:
            store.write(f"cell{cell}", b, pd.DataFrame({f"leaf{i}": [_npy(v)] for i, v in enumerate(leaves)}))
        parts.append(leaves)
    if tree is None:                  # every block read back: the output's structure without compiling
        tree = jax.tree_util.tree_structure(jax.eval_shape(replicate, jax.random.key(0), *args))
    leaves = [np.concatenate(v) for v in zip(*parts)]
    return jax.tree_util.tree_unflatten(tree, leaves), 0.0 if compiled is None else compiled.compile_s


def _npy(array) -> bytes:
    """``array`` in NumPy's .npy format (dtype and shape kept exactly)."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@dataclasses.dataclass(frozen=True)
class CellComputer:
    """Compute a study's shape-cells in two steps: ``prepare(job)`` compiles the cell (its generator's part; the
    shape's learner part once per shape), ``finish(job, prepared, emit)`` hands each missing block's long-table rows
    to ``emit(block, frame)`` and returns the cell's timings. Calling it does both; ``LocalExecutor`` compiles the
    next cell while the current one runs."""
    study: Study
    size: int
    risk_star: object
    bayes: dict
    evaluation: object

    def prepare(self, job) -> tuple:
        """(the compiled cell, its synthetic sizes)."""
        study, row = self.study, job.row
        chunk, sizes, batch = cell_chunk(study, row.generator, row.n0, row.n1)
        dyn = (cell_arguments(study), study.synthesizers[row.generator].hyper, jnp.asarray(sizes, jnp.int32),
               self.risk_star, study.learner.hyper, self.evaluation)
        return CompiledCell(chunk, study.seed, row.cell, self.size, batch, dyn), sizes

    def finish(self, job, prepared: tuple, emit) -> dict:
        (compiled, sizes), row, study = prepared, job.row, self.study
        t0 = time.perf_counter()
        for b in job.blocks:
            emit(b, block_frame(row, compiled.block(b, study.reps), sizes, study.gammas(row.n0, row.n1),
                                b * self.size, self.bayes))
        run_s = time.perf_counter() - t0
        return dict(cell=int(row.cell), generator=row.generator, compile_s=compiled.compile_s, run_s=run_s,
                    total_s=compiled.compile_s + run_s)

    def __call__(self, job, emit) -> dict:
        return self.finish(job, self.prepare(job), emit)
