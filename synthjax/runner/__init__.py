"""The grid runner: studies as data, one compiled call per shape-cell."""
from ._store import DesignChanged, RunStore, code_version, fingerprint
from ._study import (CompiledCell, Results, Study, block_size, cell_name, cell_replicate, custom_results, make_replicate, map_replicates, replicate_batch,
                     replicate_chunk, replicate_keys, run, summarise)

__all__ = ["DesignChanged", "RunStore", "code_version", "fingerprint", "CompiledCell", "block_size", "cell_name",
           "Study", "Results", "custom_results", "run", "summarise", "make_replicate", "cell_replicate", "replicate_chunk",
           "map_replicates", "replicate_batch", "replicate_keys"]
