"""Where cells run: in this process (default) or as Ray tasks on a cluster.

An executor takes the cell jobs of a run and yields ``(job, outcome)`` as cells finish, where the
outcome is the cell's timings or the exception it raised; it hands every finished block to
``write(job, block, frame)`` on the driver, which alone writes shards. A cell's numbers do not
depend on where it ran: every worker runs the same compiled replicate program.
"""
from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator

from ._results import jax_flags


@dataclasses.dataclass(frozen=True)
class CellJob:
    """One shape-cell to compute: its design row, shard name and the blocks still missing."""
    row: tuple
    name: str
    blocks: tuple


class Cancelled(Exception):
    """The run stopped (an error or an interrupt on the driver): a cell running in the background stops at its next
    block."""


@dataclasses.dataclass(frozen=True)
class LocalExecutor:
    """Run cells one after another in this process, writing each block as soon as it is done. With
    ``compile_ahead`` (default) and a ``compute`` that can ``prepare`` a cell apart from running it
    (``CellComputer``), the next cell is traced and compiled on this thread while the current cell's blocks run on
    a worker thread: on a CPU whose cores a single cell does not keep busy, and on an accelerator, most of the
    compilation is hidden. The numbers are the same (each cell runs its own compiled program either way).
    Tracing stays on the calling thread, under its JAX configuration (``jax.enable_x64`` and the like)."""
    compile_ahead: bool = True

    def run_cells(self, compute: Callable, jobs: Iterable[CellJob], write: Callable) -> Iterator:
        if not (self.compile_ahead and hasattr(compute, "prepare")):
            for job in jobs:
                try:
                    yield job, compute(job, lambda b, frame, job=job: write(job, b, frame))
                except Exception as err:  # noqa: BLE001 - a failing cell is recorded, the grid goes on
                    yield job, err
            return
        stop = threading.Event()

        def finish(job, prepared):
            def emit(b, frame):
                if stop.is_set():
                    raise Cancelled(job.name)
                write(job, b, frame)
            return compute.finish(job, prepared, emit)

        def outcome(future):
            try:
                return future.result()
            except Exception as err:  # noqa: BLE001 - a failing cell is recorded, the grid goes on
                return err

        with ThreadPoolExecutor(1, thread_name_prefix="synthjax-cell") as worker:
            running = None                              # (job, future) of the cell whose blocks are running
            try:
                for job in jobs:
                    try:
                        prepared = compute.prepare(job)    # while the previous cell runs
                    except Exception as err:  # noqa: BLE001
                        prepared = err
                    if running is not None:
                        yield running[0], outcome(running[1])
                    if isinstance(prepared, Exception):
                        running = None
                        yield job, prepared
                    else:
                        running = (job, worker.submit(finish, job, prepared))
                if running is not None:
                    yield running[0], outcome(running[1])
            finally:
                stop.set()


def _ray_cell(compute, job, flags):
    """A Ray task: apply the driver's JAX flags, compute one cell, return its timings and blocks."""
    import jax
    for name, value in flags.items():
        jax.config.update(name, value)
    blocks = []
    timings = compute(job, lambda b, frame: blocks.append((b, frame)))
    return timings, blocks


def _ray_study_call(study_file: str, function: str, args: tuple, flags: dict):
    """A Ray task: apply the driver's JAX flags, load the study file (on a folder the cluster shares) and call one of
    its functions. The study's code travels by path, not by pickle: a study loaded from a file is not an importable
    module, and its cached programs could not be pickled."""
    import importlib.util
    from pathlib import Path

    import jax
    for name, value in flags.items():
        jax.config.update(name, value)
    spec = importlib.util.spec_from_file_location(f"synthjax_study_{Path(study_file).stem}", study_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function)(*args)


@dataclasses.dataclass(frozen=True)
class RayExecutor:
    """Run each cell as a Ray task (``max_retries`` retries a task whose worker died; a cell that raises
    is recorded, not retried). One GPU per task when the cluster has GPUs. Results come back to the
    driver, which writes the shards, so a cell is either fully written or not at all.

    Attributes:
      address: the cluster to join (``"127.0.0.1:6379"``, ``"auto"``); None starts a local Ray instance.
      max_retries: retries of a cell whose worker process died (killed, out of memory, node lost).
      num_gpus: GPUs per task; None → 1 if the cluster has GPUs, else 0.
    """
    address: str | None = None
    max_retries: int = 3
    num_gpus: float | None = None

    def _ray(self):
        """The ray module, joined to the cluster."""
        try:
            import ray
        except ImportError as err:
            raise ImportError("RayExecutor needs Ray: pip install 'synthjax[ray]'.") from err
        if not ray.is_initialized():
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
        return ray

    def run_cells(self, compute: Callable, jobs: Iterable[CellJob], write: Callable) -> Iterator:
        ray = self._ray()
        task = ray.remote(_ray_cell).options(max_retries=self.max_retries, num_gpus=self._gpus(ray))
        compute_ref, flags = ray.put(compute), jax_flags()
        pending = {task.remote(compute_ref, job, flags): job for job in jobs}
        while pending:
            (ready,), _ = ray.wait(list(pending), num_returns=1)
            job = pending.pop(ready)
            try:
                timings, blocks = ray.get(ready)
            except Exception as err:  # noqa: BLE001 - the task's error (or the worker's death after retries)
                yield job, err
                continue
            for b, frame in blocks:
                write(job, b, frame)
            yield job, timings

    def map_study(self, study_file: str, function: str, calls: list) -> Iterator:
        """Run ``function(*args)`` of the study file for each ``args`` in ``calls``, one Ray task each (retried like
        a cell); yields ``(index of the call, its result or the exception it raised)`` as tasks finish. For studies
        with their own replicate (``map_replicates``): each task keeps its blocks in the run's store on a shared
        folder, and the driver then reads them back."""
        ray = self._ray()
        task = ray.remote(_ray_study_call).options(max_retries=self.max_retries, num_gpus=self._gpus(ray))
        flags = jax_flags()
        pending = {task.remote(str(study_file), function, tuple(args), flags): i for i, args in enumerate(calls)}
        while pending:
            (ready,), _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(ready)
            try:
                yield index, ray.get(ready)
            except Exception as err:  # noqa: BLE001 - the task's error (or the worker's death after retries)
                yield index, err

    def _gpus(self, ray) -> float:
        return self.num_gpus if self.num_gpus is not None else float(ray.cluster_resources().get("GPU", 0) > 0)
