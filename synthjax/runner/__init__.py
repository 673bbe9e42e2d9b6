"""The grid runner: studies as data, one compiled call per shape-cell."""
from ._executors import CellJob, LocalExecutor, RayExecutor
from ._memory import parse_bytes, peak_rss
from ._store import DesignChanged, RunStore, code_version, fingerprint
from ._study import (CompiledCell, Results, Study, block_size, cell_name, cell_replicate, custom_results, make_replicate,
                     map_replicates, replicate_batch, replicate_chunk, replicate_keys, run, summarise)
from ._summary import Summary

__all__ = ["CellJob", "LocalExecutor", "RayExecutor", "parse_bytes", "peak_rss", "DesignChanged", "RunStore",
           "code_version", "fingerprint", "CompiledCell", "block_size", "cell_name", "Study", "Results", "Summary",
           "custom_results", "run", "summarise", "make_replicate", "cell_replicate", "replicate_chunk",
           "map_replicates", "replicate_batch", "replicate_keys"]
