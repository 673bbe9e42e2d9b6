"""The grid runner: studies as data, one compiled call per shape-cell."""
from ._study import (Results, Study, cell_replicate, custom_results, make_replicate, map_replicates, replicate_batch,
                     replicate_chunk, replicate_keys, run, summarise)

__all__ = ["Study", "Results", "custom_results", "run", "summarise", "make_replicate", "cell_replicate", "replicate_chunk",
           "map_replicates", "replicate_batch", "replicate_keys"]
