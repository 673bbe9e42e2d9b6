"""The grid runner: studies as data, one compiled call per shape-cell."""
from ._study import Results, Study, compile_cell, make_replicate, replicate_keys, run, summarise

__all__ = ["Study", "Results", "run", "summarise", "make_replicate", "compile_cell", "replicate_keys"]
