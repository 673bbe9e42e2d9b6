"""The grid runner: studies as data, one compiled call per shape-cell.

Flow: ``_design`` (Study) → ``_kernel`` (generate / evaluate) → ``_execute`` (compiled blocks) → ``_store``
(shards) → ``_results`` (tables, summary, manifest); ``_run`` orchestrates, ``_executors`` say where cells run.
"""
from ._design import Study, cell_name
from ._execute import CompiledCell, block_size, map_replicates
from ._executors import CellJob, LocalExecutor, RayExecutor
from ._fingerprint import code_version, fingerprint
from ._kernel import (Program, cell_arguments, cell_chunk, cell_replicate, draw_chunk, evaluate_chunk, make_draw, make_evaluate,
                      make_generate, make_replicate, replicate_batch, replicate_chunk, replicate_keys)
from ._memory import parse_bytes, peak_rss
from ._results import Results, custom_results, jax_flags, summarise
from ._run import run
from ._store import DesignChanged, RunStore, StoreWriteError, replicate_store
from ._summary import Summary

__all__ = ["Program", "CellJob", "LocalExecutor", "RayExecutor", "parse_bytes", "peak_rss", "DesignChanged", "StoreWriteError", "RunStore", "replicate_store",
           "code_version", "fingerprint", "CompiledCell", "block_size", "cell_name", "Study", "Results", "Summary",
           "custom_results", "run", "summarise", "jax_flags", "make_replicate", "make_draw", "make_generate", "make_evaluate",
           "cell_replicate", "cell_chunk", "cell_arguments", "draw_chunk", "evaluate_chunk", "replicate_chunk",
           "map_replicates", "replicate_batch", "replicate_keys"]
