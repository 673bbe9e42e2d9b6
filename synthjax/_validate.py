"""Validation at the public edge: one message format for every bad input.

Messages follow scikit-learn's: "The 'k' parameter of smote must be an int in [1, 99]. Got 0 instead."
Checks on array *values* (NaN, inf) run only on concrete arrays, so the same functions stay
jit/vmap-safe; shape checks run at trace time too.
"""
from __future__ import annotations

import numbers

import jax
import numpy as np


class InvalidParameterError(ValueError, TypeError):
    """A public function received a parameter outside its allowed range or of the wrong type."""


def _fail(name: str, owner: str, allowed: str, value) -> None:
    raise InvalidParameterError(
        f"The '{name}' parameter of {owner} must be {allowed}. Got {value!r} instead."
    )


def check_int(value, name: str, owner: str, lo: int, hi: int | None = None) -> int:
    """Return ``value`` as an int, or raise unless it is an integer in [lo, hi]."""
    allowed = f"an int in [{lo}, {hi}]" if hi is not None else f"an int >= {lo}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        _fail(name, owner, allowed, value)
    if value < lo or (hi is not None and value > hi):
        _fail(name, owner, allowed, value)
    return int(value)


def check_float(value, name: str, owner: str, lo: float = -np.inf, hi: float = np.inf,
                lo_open: bool = False, hi_open: bool = False) -> float:
    """Raise unless ``value`` is a real number in the interval (lo, hi) with the given openness.

    Traced values are let through unchecked (they are dynamic parameters of a compiled call).
    """
    if isinstance(value, jax.core.Tracer):
        return value
    left, right = "(" if lo_open else "[", ")" if hi_open else "]"
    allowed = f"a float in {left}{lo}, {hi}{right}"
    try:
        v = float(np.asarray(value))
    except (TypeError, ValueError):
        _fail(name, owner, allowed, value)
    if not np.isfinite(v) and not (v == hi == np.inf or v == lo == -np.inf):
        _fail(name, owner, allowed, value)
    if v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):
        _fail(name, owner, allowed, value)
    return value


def check_choice(value, name: str, owner: str, choices) -> str:
    if value not in choices:
        _fail(name, owner, "one of " + ", ".join(repr(c) for c in choices), value)
    return value


def check_matrix(X, name: str, owner: str, min_rows: int = 1, d: int | None = None):
    """Raise unless X is a 2-D float array with >= min_rows rows, d columns and finite values."""
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 2:
        _fail(name, owner, "a 2-D array of shape (n, d)", f"an array of shape {shape}")
    if shape[0] < min_rows:
        _fail(name, owner, f"a 2-D array with at least {min_rows} rows", f"{shape[0]} rows")
    if d is not None and shape[1] != d:
        _fail(name, owner, f"a 2-D array with {d} columns", f"{shape[1]} columns")
    if not isinstance(X, jax.core.Tracer) and not np.all(np.isfinite(np.asarray(X))):
        _fail(name, owner, "an array of finite values (no NaN or inf)", "an array with NaN or inf")
    return X


def check_vector(v, name: str, owner: str, n: int | None = None, lo: float | None = None,
                 hi: float | None = None):
    """Raise unless v is a 1-D array (of length n) with finite values in [lo, hi]."""
    shape = getattr(v, "shape", None)
    if shape is None or len(shape) != 1 or (n is not None and shape[0] != n):
        want = f"a 1-D array of length {n}" if n is not None else "a 1-D array"
        _fail(name, owner, want, f"an array of shape {shape}")
    if not isinstance(v, jax.core.Tracer):
        a = np.asarray(v)
        if not np.all(np.isfinite(a)):
            _fail(name, owner, "an array of finite values (no NaN or inf)", "an array with NaN or inf")
        if (lo is not None and np.any(a < lo)) or (hi is not None and np.any(a > hi)):
            _fail(name, owner, f"an array with values in [{lo}, {hi}]", f"values in [{a.min()}, {a.max()}]")
    return v
