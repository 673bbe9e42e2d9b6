"""The identity of a design and of the code that computes it: what a run directory is keyed to."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import types
from pathlib import Path

import jax
import numpy as np


def fingerprint(obj, _depth: int = 0) -> str:
    """A stable hash of a design object: arrays by value, functions (jitted ones: what they wrap; partial ones: with
    their bound arguments) by code — its bytecode and constants, those of the functions it defines, and the values
    of the module-level numbers, strings, arrays, tuples and same-module functions it names (so editing a literal or
    a study file's constant changes the hash) — and closure contents (so a factory's static settings such as SMOTE's
    k count), containers and dataclasses (their fields) recursively; other objects by their type only."""
    h = hashlib.sha256()
    seen = set()                # functions already hashed (a helper used twice, recursion): their name only

    def feed_code(code, fn, depth):
        h.update(code.co_code)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                feed_code(const, fn, depth + 1)
            else:
                feed(const, depth + 1)
        for name in code.co_names:
            value = getattr(fn, "__globals__", {}).get(name)
            if isinstance(value, (bool, int, float, str, np.number, np.ndarray, jax.Array, tuple, list)) or (
                    isinstance(value, types.FunctionType) and value.__module__ == fn.__module__):
                h.update(name.encode())
                feed(value, depth + 1)

    def feed(o, depth):
        if depth > 12:
            h.update(b"...")
        elif o is None or isinstance(o, (bool, int, float, str, np.number)):
            h.update(repr(o).encode())
        elif hasattr(o, "shape") and hasattr(o, "dtype"):
            if jax.dtypes.issubdtype(o.dtype, jax.dtypes.prng_key):
                o = jax.random.key_data(o)
            a = np.asarray(o)
            h.update(str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
        elif isinstance(o, dict):
            for k in sorted(o, key=str):
                h.update(str(k).encode())
                feed(o[k], depth + 1)
        elif isinstance(o, (list, tuple)):
            h.update(type(o).__name__.encode())
            for x in o:
                feed(x, depth + 1)
        elif isinstance(o, functools.partial):                  # e.g. a DGP's oracle bound to its class laws
            for part in (o.func, o.args, o.keywords):
                feed(part, depth + 1)
        elif dataclasses.is_dataclass(o) and not isinstance(o, type):     # e.g. a configuration a closure holds
            h.update(type(o).__qualname__.encode())
            for field in dataclasses.fields(o):
                h.update(field.name.encode())
                feed(getattr(o, field.name, None), depth + 1)
        elif callable(o) and not hasattr(o, "__code__") and hasattr(o, "__wrapped__"):   # a jitted function
            feed(o.__wrapped__, depth + 1)
        elif callable(o) and hasattr(o, "__code__"):
            h.update(o.__qualname__.encode())
            if id(o) in seen:
                return
            seen.add(id(o))
            feed_code(o.__code__, o, depth)
            for cell in o.__closure__ or ():
                try:
                    feed(cell.cell_contents, depth + 1)
                except ValueError:      # an empty cell
                    h.update(b"<empty>")
        else:
            h.update(type(o).__qualname__.encode())
    feed(obj, _depth)
    return h.hexdigest()[:20]


def code_version() -> str:
    """synthjax's version plus a hash of its source files: any code change is a new version."""
    from .. import __version__
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"
