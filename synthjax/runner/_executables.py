"""Compiled programs kept on disk as serialised executables, so that a warm run loads its programs instead of
tracing and lowering them only to find them in XLA's persistent cache (``jax.experimental.serialize_executable``).

A program's key hashes everything that determines the executable: the function (``fingerprint(..., complete=True)``:
its code, closure contents and default arguments, every global of a user's code it reaches and that code's source
files), the argument signature (tree, shapes, dtypes, weak types, shardings), synthjax's code version (all its files)
and the source of every other imported module outside the Python installation (a user's helper modules:
``user_sources``), the jax and jaxlib versions, the backend, its platform version and device kinds, the program's XLA
options, ``XLA_FLAGS`` and JAX's configuration (the global values and the current thread's trace context). Where a
key cannot be formed (an object the fingerprint cannot see into), the backend cannot serialise, a stored file cannot
be loaded or JAX took the program from its persistent cache (``load_or_compile``), the program is compiled as before
(the persistent cache still applies); nothing is ever run from a key that does not match.

On with the compile cache (``enable_compile_cache``: ``synthjax run`` by default), in ``<cache folder>-executables``;
off with ``SYNTHJAX_NO_COMPILE_CACHE=1``. Deleting the folder is always safe.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import tempfile
import threading
from pathlib import Path

import jax
import jax.monitoring
import jaxlib
from jax.experimental import serialize_executable

from .. import _compile_cache
from .._validate import InvalidParameterError
from ._fingerprint import code_version, fingerprint, user_sources


def environment() -> str:
    """What every program's key holds besides its function and signature: code, versions, backend, XLA options,
    JAX's configuration (global and this thread's trace context)."""
    from jax._src import config
    backend = jax.devices()[0].client
    settings = sorted((k, repr(v)) for k, v in jax.config.values.items())
    context = [(name, repr(value) if " at 0x" not in repr(value) else type(value).__qualname__)
               for name, value in zip(config.trace_context_names(), config.trace_context())]
    return repr((code_version(), user_sources(), jax.__version__, jaxlib.__version__, backend.platform,
                 backend.platform_version, sorted({d.device_kind for d in jax.devices()}),
                 _compile_cache.compiler_options(), os.environ.get("XLA_FLAGS", ""), settings, context))


def program_key(fn, signature) -> str | None:
    """The store's key of ``fn`` compiled for ``signature`` (tree, per-leaf type and sharding), or None where it
    cannot be formed (the store is off, or ``fn`` holds an object the fingerprint cannot see into)."""
    if _compile_cache.executable_folder() is None:
        return None
    try:
        identity = fingerprint(fn, complete=True)
    except InvalidParameterError:
        return None
    tree, leaves = signature
    text = repr((identity, str(tree), [(repr(aval), repr(sharding)) for aval, sharding in leaves], environment()))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def load_or_compile(fn, compiler_options: dict, signature, args):
    """``jax.jit(fn)`` compiled for ``args``: loaded from the store when ``program_key(fn, signature)`` is there,
    else compiled and stored. A stored program is compiled under a name that holds its key (``_named``), so that
    XLA's persistent cache, keyed by the program's text, name included, does not answer for it: jaxlib 0.10.2 cannot
    serialise again an executable it loaded from that cache (the copy fails to run: "Function … not found"), and
    one taken from there all the same (its stored copy deleted) is not stored."""
    key = program_key(fn, signature)
    executable = _load(key)
    if executable is None:
        lowered = jax.jit(_named(fn, key), compiler_options=compiler_options).lower(*args)
        hits = _persistent_cache_hits()
        executable = lowered.compile()
        if _persistent_cache_hits() == hits:
            _save(key, executable)
    return executable


def _named(fn, key: str | None):
    """``fn`` under the name ``<its name>_<key>`` (``fn`` itself without a key)."""
    if key is None:
        return fn

    @functools.wraps(fn)
    def program(*args):
        return fn(*args)
    program.__name__ = program.__qualname__ = f"{getattr(fn, '__name__', 'program')}_{key[:16]}"
    return program


def _load(key: str | None):
    """The executable stored under ``key``, or None (no key, no file, or a file that cannot be loaded)."""
    folder = _compile_cache.executable_folder()
    if key is None or folder is None:
        return None
    path = folder / f"{key}.jaxexe"
    try:
        payload = path.read_bytes()
    except OSError:
        return None
    try:
        serialized, in_tree, out_tree = pickle.loads(payload)
        executable = serialize_executable.deserialize_and_load(serialized, in_tree, out_tree)
    except Exception:       # a truncated or foreign file: delete it, compile (and store it again)
        path.unlink(missing_ok=True)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)                                  # recently used: kept by ``_evict``
    return executable


def _save(key: str | None, compiled) -> None:
    """Store ``compiled`` under ``key`` (atomically), silently skipped where the backend cannot serialise it or the
    folder cannot be written."""
    folder = _compile_cache.executable_folder()
    if key is None or folder is None:
        return
    try:
        payload = pickle.dumps(serialize_executable.serialize(compiled))
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as f:
            f.write(payload)
        os.replace(f.name, folder / f"{key}.jaxexe")
        _evict(folder)
    except Exception:       # a program the backend cannot serialise, a full disk: run it, unstored
        return


#: The store's size limit: beyond it the least recently used executables are deleted.
MAX_BYTES = 2 * 2 ** 30


def _evict(folder: Path) -> None:
    """Delete the least recently used executables (by modification time, renewed at each load) until the folder
    holds at most ``MAX_BYTES``."""
    entries = sorted(((p.stat().st_mtime, p.stat().st_size, p) for p in folder.glob("*.jaxexe")), reverse=True)
    total = 0
    for _, size, path in entries:
        total += size
        if total > MAX_BYTES:
            path.unlink(missing_ok=True)


_THREAD = threading.local()


def _persistent_cache_hits() -> int:
    """How many programs this thread has taken from JAX's persistent cache (counted from the first call)."""
    _listen_for_cache_hits()
    return getattr(_THREAD, "hits", 0)


@functools.cache
def _listen_for_cache_hits() -> None:
    jax.monitoring.register_event_listener(_count_hit)


def _count_hit(event: str, **kwargs) -> None:
    if event == "/jax/compilation_cache/cache_hits":
        _THREAD.hits = getattr(_THREAD, "hits", 0) + 1
