"""Real tables as first-class input: load and validate a table, the bundled public tables, the benchmark
collection with its shape buckets (SPEC §12), and keyed stratified splits, folds and train-only preprocessing
(SPEC §9.5), unpadded or as masks over padded arrays."""
from ._collection import (Bucket, Collection, buckets, collection, collection_table, pad_table, parse_bucket,
                          table_id)
from ._splits import (Split, long_tail_counts, long_tail_split, masked_order, masked_split, order_rank, preprocess,
                      split_arrays, split_sizes, stratified_folds, stratified_split)
from ._table import BUNDLED, RATIOS, Table, from_frame, load, read, subsample_minority

__all__ = ["Table", "from_frame", "read", "load", "subsample_minority", "BUNDLED", "RATIOS", "Split",
           "stratified_split", "split_sizes", "stratified_folds", "preprocess", "split_arrays", "long_tail_counts",
           "long_tail_split", "masked_order", "order_rank", "masked_split", "collection", "collection_table", "Collection",
           "Bucket", "buckets", "parse_bucket", "pad_table", "table_id"]
