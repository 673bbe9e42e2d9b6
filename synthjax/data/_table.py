"""A real table as a binary problem: validated features, a minority class, and the bundled public tables."""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .._validate import InvalidParameterError, check_choice, check_float, check_int


class Table(NamedTuple):
    """A binary table: ``X`` (n, d) float64 (NaN = missing, imputed inside each split), ``y`` (n,) int with
    1 = the minority class and 0 = the rest. ``classes`` names the two labels (rest, minority); ``info``
    records the source, the class sizes and any subsampling (it goes into study manifests)."""
    name: str                   #: the table's name (goes into manifests)
    X: np.ndarray               #: (n, d) float64 features; NaN = missing
    y: np.ndarray               #: (n,) int labels — 1 = minority, 0 = the rest
    feature_names: tuple        #: the d column names
    classes: tuple              #: the original labels of (rest, minority)
    info: dict                  #: source, class sizes and any subsampling (recorded in manifests)

    @property
    def counts(self) -> tuple[int, int]:
        """(n0, n1): majority and minority rows."""
        return int(np.sum(self.y == 0)), int(np.sum(self.y == 1))


def from_frame(frame: pd.DataFrame, label: str, minority=None, name: str = "table") -> Table:
    """Read a DataFrame whose column ``label`` holds the class: ``minority`` (a value of that column; default
    the rarest class) becomes class 1, every other class class 0 (one-vs-rest). All other columns must be
    numeric (bool counts as 0/1); missing feature values stay NaN and are mean-imputed inside each split
    (``data.preprocess``); rows with a missing label are an error."""
    owner = "data.from_frame"
    if not isinstance(frame, pd.DataFrame):
        raise InvalidParameterError(f"The 'frame' parameter of {owner} must be a pandas DataFrame. "
                                    f"Got {type(frame).__name__} instead.")
    if label not in frame.columns:
        raise InvalidParameterError(f"The 'label' parameter of {owner} must name a column of the table "
                                    f"({', '.join(map(str, frame.columns))}). Got {label!r} instead.")
    labels = frame[label]
    if labels.isna().any():
        raise InvalidParameterError(f"The label column {label!r} has {int(labels.isna().sum())} missing values; "
                                    "drop those rows first.")
    sizes = labels.value_counts()
    if len(sizes) < 2:
        raise InvalidParameterError(f"The label column {label!r} must hold at least two classes. "
                                    f"Got only {list(sizes.index)!r} instead.")
    if minority is None:
        minority = sizes.idxmin()
    elif minority not in sizes.index and str(minority) in map(str, sizes.index):   # "1" from a command line
        minority = next(c for c in sizes.index if str(c) == str(minority))
    if minority not in sizes.index:
        raise InvalidParameterError(f"The 'minority' parameter of {owner} must be one of the classes in "
                                    f"{label!r} ({', '.join(map(repr, sizes.index))}). Got {minority!r} instead.")
    features = frame.drop(columns=[label])
    bad = [str(c) for c in features.columns
           if not (pd.api.types.is_numeric_dtype(features[c]) or pd.api.types.is_bool_dtype(features[c]))]
    if bad:
        raise InvalidParameterError(f"Feature columns must be numeric; encode these first: {', '.join(bad)}.")
    if features.shape[1] == 0:
        raise InvalidParameterError(f"The table has no feature columns besides the label {label!r}.")
    y = (labels.to_numpy() == minority).astype(np.int32)
    n1 = int(y.sum())
    if n1 < 2 or len(y) - n1 < 2:
        raise InvalidParameterError(f"Each class needs at least 2 rows. Got {len(y) - n1} rest and {n1} minority "
                                    f"({minority!r}) rows instead.")
    X = features.astype(np.float64).to_numpy()
    info = dict(source=name, label=label, minority=str(minority), n0=len(y) - n1, n1=n1,
                missing=int(np.isnan(X).sum()))
    return Table(name, X, y, tuple(map(str, features.columns)), ("rest", str(minority)), info)


def read(source, label: str, minority=None) -> Table:
    """A user's table from a DataFrame, a ``.csv`` file or a ``.parquet`` file (``from_frame`` rules)."""
    if isinstance(source, pd.DataFrame):
        return from_frame(source, label, minority)
    path = Path(source)
    suffix = path.suffix.lower()
    check_choice(suffix, "source (file suffix)", "data.read", (".csv", ".parquet"))
    if not path.is_file():
        raise InvalidParameterError(f"The 'source' parameter of data.read must be an existing file. "
                                    f"Got {str(path)!r} instead.")
    frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    return from_frame(frame, label, minority, name=path.stem)


#: name -> (scikit-learn loader, minority target value, description); all ship inside the scikit-learn wheel
BUNDLED = {
    "breast-cancer": ("load_breast_cancer", 0, "Wisconsin diagnostic breast cancer: 212 malignant vs 357 benign, d = 30"),
    "digits-3-vs-rest": ("load_digits", 3, "8×8 digits, the digit 3 vs the other nine: 183 vs 1614, d = 64"),
    "wine-3-vs-rest": ("load_wine", 2, "wine cultivar 3 vs cultivars 1–2: 48 vs 130, d = 13"),
}
#: the imbalance ratios 1:r the real-data studies subsample the bundled tables to (``load(name, ratio=r)``)
RATIOS = (5, 10, 20)


def load(name: str, ratio: int | None = None, seed: int = 0) -> Table:
    """A bundled public table (``BUNDLED``; no download: scikit-learn ships them) as a binary problem.

    ``ratio`` r subsamples the minority once, with ``seed``, to n1 = ⌊n0 / r⌋ rows (controlled imbalance 1:r,
    recorded in ``info``); None keeps the table's own imbalance. Needs scikit-learn (``pip install
    synthjax[data]``)."""
    check_choice(name, "name", "data.load", tuple(BUNDLED))
    try:
        from sklearn import datasets
    except ImportError as err:   # pragma: no cover - the test extra installs it
        raise ImportError("data.load reads the tables that ship with scikit-learn: pip install 'synthjax[data]'") from err
    loader, minority, description = BUNDLED[name]
    bunch = getattr(datasets, loader)(as_frame=True)
    frame = bunch.frame.rename(columns={"target": "label"})
    table = from_frame(frame, "label", minority, name=name)
    table.info.update(description=description, origin=f"sklearn.datasets.{loader}")
    table = table._replace(classes=("rest", str(bunch.target_names[minority])))
    return table if ratio is None else subsample_minority(table, ratio, seed)


def subsample_minority(table: Table, ratio: float, seed: int = 0) -> Table:
    """Keep n1 = ⌊n0 / ratio⌋ minority rows drawn without replacement (numpy seed ``seed``): imbalance 1:ratio."""
    owner = "data.subsample_minority"
    check_float(ratio, "ratio", owner, lo=1.0)
    check_int(seed, "seed", owner, 0)
    n0, n1 = table.counts
    keep = int(n0 // ratio)
    if keep < 2 or keep > n1:
        raise InvalidParameterError(f"The 'ratio' parameter of {owner} must give between 2 and {n1} minority rows "
                                    f"for {table.name!r} (n0 = {n0}, so ratio in [{n0 / n1:.3g}, {n0 / 2:g}]). "
                                    f"Got {ratio!r} instead.")
    minority_rows = np.flatnonzero(table.y == 1)
    dropped = np.random.default_rng(seed).permutation(minority_rows)[keep:]
    rows = np.setdiff1d(np.arange(len(table.y)), dropped)
    info = dict(table.info, n1=keep, imbalance_ratio=ratio, subsample_seed=seed, minority_rows_before=n1)
    return table._replace(X=table.X[rows], y=table.y[rows], info=info)
