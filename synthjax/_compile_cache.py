"""How synthjax compiles: the persistent XLA compilation cache and the XLA options of the runner's programs.

Persistent cache: a second run of the same study (same shapes, same code) loads its
compiled programs from disk instead of compiling them again.

On by default for ``synthjax run``; off with ``--no-compile-cache`` or the environment variable
``SYNTHJAX_NO_COMPILE_CACHE=1``. The folder is ``$SYNTHJAX_CACHE_DIR`` or, by default,
``$XDG_CACHE_HOME/synthjax/xla`` (``~/.cache/synthjax/xla``). JAX keys each entry by the program, the
compile options, the JAX version and the device, so a stale entry is never used; deleting the folder is
always safe. The run's manifest records the folder (``jax_flags.jax_compilation_cache_dir``). Beside it,
``<folder>-executables`` keeps the runner's programs as serialised executables, so that a warm run does not even
trace them (``runner._executables``).

XLA options (``compiler_options``, ``CPU_OPTIONS``): on a CPU the runner compiles at LLVM optimisation level 1
instead of XLA's default 3, and with XLA's classic elemental emitters instead of its MLIR fusion emitters. On the
2-core benchmark machine the level halves compilation (the vmapped threefry draw: 2.0 s → 0.26 s;
benchmarks/throughput.py (a): 8.9 s → 3.5 s) and the emitters take a further 25–50% off (a CoDSA fold with an MLP:
4.5–4.9 s → 2.4–3.3 s), while the programs run as fast (benchmarks/README.md). An option set in ``XLA_FLAGS``
takes precedence. Without the concurrency-optimised scheduler (``CPU_OPTIONS``) a vmapped program with several
independent batched linear-algebra calls cannot deadlock XLA's intra-op thread pool (jaxlib 0.10.2 on a 2-core CPU:
the real-data protocol with 4 splits per call hung); it costs up to ~20% on workload (a) (benchmarks/README.md).
The manifest records the options (``xla``). ``synthjax run`` extends them to every program of
the process (theory, tuners, studies with their own replicate loop) through ``XLA_FLAGS`` when no accelerator
plugin is installed (``cpu_options_for_every_program``).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import jax

ENV_OFF, ENV_DIR = "SYNTHJAX_NO_COMPILE_CACHE", "SYNTHJAX_CACHE_DIR"
CPU_OPTIMIZATION_LEVEL = 1
#: The runner's XLA options on a CPU (each one unless ``XLA_FLAGS`` sets it). The first two are for speed; the third
#: prevents a deadlock: XLA's concurrency-optimised scheduler lets several batched LAPACK calls (vmapped Cholesky, eigh:
#: jaxlib's ``ParallelBatchMap``) run at once, each on an intra-op pool thread that then waits for work it queued on
#: that same pool; with as many such calls as pool threads (2 on a 2-core machine) the program never returns.
CPU_OPTIONS = {"xla_backend_optimization_level": CPU_OPTIMIZATION_LEVEL, "xla_cpu_use_fusion_emitters": False,
               "xla_cpu_enable_concurrency_optimized_scheduler": False}


#: The folder of the runner's serialised executables (``runner._executables``), set by ``enable_compile_cache``.
_executables: Path | None = None


def executable_folder() -> Path | None:
    """Where the runner keeps its compiled programs as serialised executables, or None (the compile cache is off)."""
    return _executables


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "synthjax" / "xla"


def enable_compile_cache(path=None) -> str | None:
    """Turn on JAX's persistent compilation cache in ``path`` (default: ``$SYNTHJAX_CACHE_DIR`` or
    ``default_cache_dir()``) for every program that took ≥ 0.2 s to compile, and the runner's store of serialised
    executables beside it (``<path>-executables``: a warm run loads its programs without tracing them). Returns the folder, or None
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
    global _executables
    _executables = folder.with_name(folder.name + "-executables")
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return str(folder)



def compiler_options() -> dict:
    """XLA options of the runner's jitted programs: on a CPU, those of ``CPU_OPTIONS`` that ``XLA_FLAGS`` does not
    set; none on other backends."""
    if jax.default_backend() != "cpu":
        return {}
    flags = os.environ.get("XLA_FLAGS", "")
    return {name: value for name, value in CPU_OPTIONS.items() if name not in flags}


def cpu_options_for_every_program() -> bool:
    """Add ``CPU_OPTIONS`` to ``XLA_FLAGS`` (those it does not set), so that every program of this process, not only
    the runner's, compiles with them — only before JAX has started a backend, and only when JAX can run on nothing
    but the CPU (``JAX_PLATFORMS=cpu``, or no GPU/TPU plugin installed): XLA_FLAGS reach every backend. Returns
    whether the flags were added."""
    from importlib import metadata
    from jax._src import xla_bridge
    accelerator = any(d.metadata["Name"].lower().replace("_", "-").startswith(("jax-cuda", "jax-rocm", "libtpu"))
                      for d in metadata.distributions())
    if xla_bridge.backends_are_initialized() or (accelerator and os.environ.get("JAX_PLATFORMS", "") != "cpu"):
        return False
    flags = os.environ.get("XLA_FLAGS", "")
    added = [f"--{name}={str(value).lower()}" for name, value in CPU_OPTIONS.items() if name not in flags]
    os.environ["XLA_FLAGS"] = " ".join([flags, *added]).strip()
    return True


def xla_settings() -> dict:
    """What the manifest records of XLA's compilation: the runner's options and ``XLA_FLAGS``."""
    return dict(compiler_options=compiler_options(), xla_flags=os.environ.get("XLA_FLAGS", ""))
