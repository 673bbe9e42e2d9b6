"""Running compiled cells: blocks of replicates as identical vmapped batches, dealt over the local devices."""
from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import SingleDeviceSharding

from ._design import Study
from ._kernel import cell_chunk, replicate_chunk
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


def map_replicates(replicate, seed: int, cell: int, reps: int, args=(), chunk_size: int = 256, batch: int = 64):
    """Run ``replicate(key, *args)`` for replicates 0 … reps − 1 of a cell in vmapped batches of ``batch``
    (one compiled program, so the numbers do not depend on ``chunk_size``). Returns (dict of (reps, …)
    numpy arrays, compile seconds)."""
    size = max(batch, chunk_size)
    compiled = CompiledCell(replicate_chunk(replicate), seed, cell, size, batch, args)
    parts = [compiled.block(b, reps) for b in range(-(-reps // size))]
    return jax.tree_util.tree_map(lambda *v: np.concatenate(v), *parts), compiled.compile_s


def compute_cell(study: Study, size: int, risk_star, bayes: dict, evaluation, job, emit) -> dict:
    """Compile the job's shape-cell (its generator's part; the shape's learner part once per shape) and hand each missing block's long-table rows to ``emit(block, frame)``;
    return the cell's timings."""
    t0, row = time.perf_counter(), job.row
    chunk, sizes, batch = cell_chunk(study, row.generator, row.n0, row.n1)
    dyn = (study.synthesizers[row.generator].hyper, jnp.asarray(sizes, jnp.int32), risk_star, study.learner.hyper,
           evaluation)
    compiled = CompiledCell(chunk, study.seed, row.cell, size, batch, dyn)
    for b in job.blocks:
        emit(b, block_frame(row, compiled.block(b, study.reps), sizes, study.gammas(row.n0, row.n1), b * size, bayes))
    return dict(cell=int(row.cell), generator=row.generator, compile_s=compiled.compile_s,
                total_s=time.perf_counter() - t0)
