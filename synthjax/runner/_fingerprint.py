"""The identity of a design and of the code that computes it: what a run directory is keyed to."""
from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import types
from pathlib import Path

import jax
import numpy as np

from .._validate import InvalidParameterError


def fingerprint(obj, _depth: int = 0) -> str:
    """A stable hash of a design object: arrays by value, functions (jitted ones: what they wrap; partial ones: with
    their bound arguments) by code — its bytecode and constants, those of the functions it defines, and the values
    of the module-level numbers, strings, arrays, tuples and same-module functions it names (so editing a literal or
    a study file's constant changes the hash) — and closure contents (so a factory's static settings such as SMOTE's
    k count), containers, dataclasses (their fields) and any other object by its state (``__dict__`` and slots)
    recursively, each object once (cycles); classes, modules and built-in functions by name. An object with no
    visible state (a lock, a C object) is refused, naming it."""
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
            if isinstance(o, types.MethodType):                 # a bound method: its object's state too
                feed(o.__self__, depth + 1)
            for cell in getattr(o, "__closure__", None) or ():
                try:
                    feed(cell.cell_contents, depth + 1)
                except ValueError:      # an empty cell
                    h.update(b"<empty>")
        elif isinstance(o, (types.ModuleType, types.BuiltinFunctionType, np.ufunc, np.dtype, enum.Enum)):
            h.update(f"{type(o).__qualname__}:{getattr(o, '__module__', '')}:{getattr(o, '__qualname__', o)}".encode())
        elif id(o) in seen:                                     # an object met again (a cycle): its name only
            h.update(b"<seen>" + getattr(o, "__qualname__", type(o).__qualname__).encode())
        elif isinstance(o, type):                               # a class (a user's learner with static methods)
            seen.add(id(o))
            h.update(f"class:{o.__module__}.{o.__qualname__}".encode())
            if o.__module__.split(".")[0] not in _LIBRARIES:    # its own attributes: methods by code, settings
                for name, value in sorted(vars(o).items()):
                    if not name.startswith("__") and not isinstance(value, _SLOT_DESCRIPTORS):
                        h.update(name.encode())
                        feed(getattr(value, "__func__", value), depth + 1)
        else:
            state = _state(o)
            seen.add(id(o))
            feed(type(o), depth + 1)
            for name in sorted(state):
                h.update(name.encode())
                feed(state[name], depth + 1)
    feed(obj, _depth)
    return h.hexdigest()[:20]


#: A class's slot and attribute descriptors: an instance's values are hashed, not the descriptors.
_SLOT_DESCRIPTORS = (types.MemberDescriptorType, types.GetSetDescriptorType)
#: Packages whose classes are hashed by name alone (their code is the installed version's, in the manifest).
_LIBRARIES = {"builtins", "numpy", "jax", "jaxlib", "flax", "optax", "numpyro", "pandas", "sklearn", "imblearn",
              "synthjax", "scipy", "functools", "collections", "typing"}


def _state(o) -> dict:
    """An object's attributes (``__dict__`` and every ``__slots__`` entry set), or an error naming an object the
    fingerprint cannot see into: a design must not resume into results of an object whose settings it cannot see."""
    state = dict(getattr(o, "__dict__", {}))
    slotted = [k for k in type(o).__mro__[:-1] if "__slots__" in vars(k)]
    for klass in slotted:
        slots = vars(klass)["__slots__"]
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and hasattr(o, name):
                state[name] = getattr(o, name)
    if not hasattr(o, "__dict__") and not slotted:
        raise InvalidParameterError(
            f"The design fingerprint cannot see into a {type(o).__module__}.{type(o).__qualname__} object ({o!r:.80}): "
            f"its settings would not be part of the run's identity, so a changed value could resume into old results. "
            f"Use a dataclass, a NamedTuple, a function or an object with attributes instead.")
    return state


def code_version() -> str:
    """synthjax's version plus a hash of its source files: any code change is a new version."""
    from .. import __version__
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"
