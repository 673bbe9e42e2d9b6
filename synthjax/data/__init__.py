"""Real tables as first-class input: load and validate a table, the bundled public tables, and keyed
stratified splits, folds and train-only preprocessing (SPEC §9.5)."""
from ._splits import (Split, long_tail_counts, long_tail_split, preprocess, split_arrays, split_sizes, stratified_folds,
                      stratified_split)
from ._table import BUNDLED, RATIOS, Table, from_frame, load, read, subsample_minority

__all__ = ["Table", "from_frame", "read", "load", "subsample_minority", "BUNDLED", "RATIOS", "Split",
           "stratified_split", "split_sizes", "stratified_folds", "preprocess", "split_arrays", "long_tail_counts",
           "long_tail_split"]
