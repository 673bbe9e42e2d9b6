"""The identity of a design and of the code that computes it: what a run directory is keyed to."""
from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import os
import sys
import sysconfig
import types
from pathlib import Path

import jax
import numpy as np

from .._validate import InvalidParameterError


def fingerprint(obj, complete: bool = False) -> str:
    """A stable hash of a design object: arrays by value, functions (jitted ones: what they wrap; partial ones: with
    their bound arguments) by code — its bytecode and constants, those of the functions it defines, and the values
    of the module-level numbers, strings, arrays, tuples and same-module functions it names (so editing a literal or
    a study file's constant changes the hash) — with their default arguments and closure contents (so a factory's
    static settings such as SMOTE's k count), containers, dataclasses (their fields) and any other object by its state
    (``__dict__`` and slots) recursively, each object once (cycles); classes, modules, built-in functions and the
    functions of installed libraries (jax, numpy, …: their code is the installed version's) by name. An object with no
    visible state (a lock, a C object) is refused, naming it.

    ``complete=True`` (the identity of a compiled program, ``_executables``): for a reached function outside synthjax
    and the installed packages (a study's or a user's code), every global it names is hashed whatever its type and its
    source file is hashed whole; an object nested deeper than ``MAX_DEPTH`` is refused instead of cut off."""
    h = hashlib.sha256()
    seen = set()                # functions already hashed (a helper used twice, recursion): their name only
    files = set()               # (complete) source files of the reached functions

    def feed_code(code, fn, depth):
        h.update(code.co_code + repr(code.co_names).encode())     # (the names: attributes such as jnp.sin vs jnp.cos)
        user = complete and _is_user_file(code.co_filename)     # (synthjax's and libraries' code: by version)
        if user:
            files.add(code.co_filename)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                feed_code(const, fn, depth + 1)
            else:
                feed(const, depth + 1)
        for name in code.co_names:
            scope = getattr(fn, "__globals__", {})
            if name not in scope:
                continue
            value = scope[name]
            if user or isinstance(value, (bool, int, float, str, np.number, np.ndarray, jax.Array, tuple, list)) or (
                    isinstance(value, types.FunctionType) and value.__module__ == fn.__module__):
                h.update(name.encode())
                feed(value, depth + 1)

    def feed(o, depth):
        if depth > MAX_DEPTH and complete:
            raise InvalidParameterError(f"The fingerprint cannot reach the end of {type(o).__qualname__} objects nested "
                                        f"more than {MAX_DEPTH} deep: a compiled program's identity must be complete.")
        if depth > 12 and not complete:
            h.update(b"...")
        elif o is None or isinstance(o, (bool, int, float, str, np.number)):
            h.update(repr(o).encode())
        elif hasattr(o, "shape") and hasattr(o, "dtype") and not isinstance(o, (types.ModuleType, type)):   # (np)
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
        elif callable(o) and hasattr(o, "__code__") and _top_package(o) in _LIBRARY_FUNCTIONS:
            h.update(f"{o.__module__}.{o.__qualname__}".encode())
        elif callable(o) and hasattr(o, "__code__"):
            h.update(o.__qualname__.encode())
            if id(o) in seen:
                return
            seen.add(id(o))
            feed_code(o.__code__, o, depth)
            feed((getattr(o, "__defaults__", None), getattr(o, "__kwdefaults__", None)), depth + 1)
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
    feed(obj, 0)
    for path in sorted(files):
        try:
            h.update(path.encode() + Path(path).read_bytes())
        except OSError:
            h.update(path.encode() + b"<unreadable>")
    return h.hexdigest()[:20]


#: How deep ``fingerprint(..., complete=True)`` follows nested objects before it refuses (the design fingerprint cuts
#: off at 12 levels).
MAX_DEPTH = 64


def _top_package(fn) -> str:
    return (getattr(fn, "__module__", None) or "").split(".")[0]


#: A class's slot and attribute descriptors: an instance's values are hashed, not the descriptors.
_SLOT_DESCRIPTORS = (types.MemberDescriptorType, types.GetSetDescriptorType)
#: Packages whose classes are hashed by name alone (their code is the installed version's, in the manifest).
_LIBRARIES = {"builtins", "numpy", "jax", "jaxlib", "flax", "optax", "numpyro", "pandas", "sklearn", "imblearn",
              "synthjax", "scipy", "functools", "collections", "typing"}
#: Packages whose functions are hashed by name alone (synthjax's are followed: their closures hold a design's settings).
_LIBRARY_FUNCTIONS = _LIBRARIES - {"synthjax"}


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


def user_sources() -> str:
    """A hash of the source files of every imported module outside the Python installation and outside synthjax (whose
    files ``code_version`` hashes, imported or not): a user's helper modules, code a traced function may call without
    the fingerprint reaching it."""
    h = hashlib.sha256()
    for path in sorted({m.__file__ for m in list(sys.modules.values())
                        if isinstance(getattr(m, "__file__", None), str) and m.__file__.endswith(".py")}):
        if _is_user_file(path):
            try:
                h.update(path.encode() + Path(path).read_bytes())
            except OSError:
                h.update(path.encode() + b"<unreadable>")
    return h.hexdigest()


@functools.lru_cache(maxsize=None)
def _is_user_file(path: str) -> bool:
    """Whether ``path`` lies outside the Python installation and outside synthjax."""
    roots = _installed()
    if path.startswith(tuple(f"{root}{os.sep}" for root in roots)):
        return False
    return not any(Path(path).resolve().is_relative_to(root) for root in roots)


@functools.lru_cache(maxsize=1)
def _installed() -> tuple:
    """The folders of the Python installation and of synthjax."""
    roots = {sys.prefix, sys.base_prefix, *sysconfig.get_paths().values(), Path(__file__).parents[1]}
    return tuple({str(q) for p in roots for q in (Path(p).absolute(), Path(p).resolve())})
