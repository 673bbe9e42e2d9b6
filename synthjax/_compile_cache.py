"""Persistent XLA compilation cache: a second run of the same study (same shapes, same code) loads its
compiled programs from disk instead of compiling them again.

On by default for ``synthjax run``; off with ``--no-compile-cache`` or the environment variable
``SYNTHJAX_NO_COMPILE_CACHE=1``. The folder is ``$SYNTHJAX_CACHE_DIR`` or, by default,
``$XDG_CACHE_HOME/synthjax/xla`` (``~/.cache/synthjax/xla``). JAX keys each entry by the program, the
compile options, the JAX version and the device, so a stale entry is never used; deleting the folder is
always safe. The run's manifest records the folder (``jax_flags.jax_compilation_cache_dir``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import jax

ENV_OFF, ENV_DIR = "SYNTHJAX_NO_COMPILE_CACHE", "SYNTHJAX_CACHE_DIR"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "synthjax" / "xla"


def enable_compile_cache(path=None) -> str | None:
    """Turn on JAX's persistent compilation cache in ``path`` (default: ``$SYNTHJAX_CACHE_DIR`` or
    ``default_cache_dir()``) for every program that took ≥ 0.2 s to compile. Returns the folder, or None
    when ``SYNTHJAX_NO_COMPILE_CACHE`` is set or the folder cannot be created (a warning, never an error)."""
    if os.environ.get(ENV_OFF, "") not in ("", "0"):
        return None
    folder = Path(path or os.environ.get(ENV_DIR) or default_cache_dir())
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        print(f"synthjax: compile cache off: cannot create {folder} ({err.strerror or err}).", file=sys.stderr)
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return str(folder)
