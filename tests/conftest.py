"""Test configuration: strict dtype and rank promotion; 64-bit only where a test asks for it; one persistent
compilation cache per test session (shared by pytest-xdist workers and the subprocesses tests start), so a
program that several tests compile is compiled once, however short its compilation (5–10% of the suite's CPU
time) — numbers are unchanged (the cache returns the same executable). XLA compiles every program with the
runner's CPU options (``CPU_OPTIONS``: LLVM optimisation level 1, XLA's default being 3, and the classic emitters,
which halve compilation, most of the suite's time, and run as fast; no concurrency-optimised scheduler, which can
deadlock batched linear algebra)."""
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

_SESSION = os.getppid() if "PYTEST_XDIST_WORKER" in os.environ else os.getpid()   # xdist workers share the controller's
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(tempfile.gettempdir(), f"synthjax-test-cache-{_SESSION}"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")   # every program (JAX's default: ≥ 1 s only)
os.environ.setdefault("SYNTHJAX_NO_COMPILE_CACHE", "1")    # a CLI run inside a test keeps the session's cache: it neither
#  moves JAX's cache to ~/.cache nor turns on the store of serialised executables for the rest of its worker

import jax  # noqa: E402 - after the cache folder is chosen
import pytest  # noqa: E402

from synthjax import cpu_options_for_every_program  # noqa: E402

cpu_options_for_every_program()          # XLA_FLAGS, before the first array (the suite's subprocesses inherit them)

jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def x64():
    """Run the test body with 64-bit floats (for comparisons to the last digits)."""
    with jax.enable_x64(True):
        yield


@pytest.fixture
def programs():
    """``programs(call) -> int``: how many programs ``call()`` compiles or reads from the persistent cache (a read
    counts twice: JAX reports it as a compilation too); ``programs(call, xla=True)``: how many XLA compiles (cache
    reads not counted)."""
    import jax.monitoring
    events = []

    def listen(event, duration, **kw):
        if event.endswith(("backend_compile_duration", "cache_retrieval_time_sec")):
            events.append(event)

    def count(call, xla=False):
        events.clear()
        jax.monitoring.register_event_duration_secs_listener(listen)
        try:
            call()
        finally:
            jax.monitoring.unregister_event_duration_listener(listen)
        reads = sum(e.endswith("cache_retrieval_time_sec") for e in events)
        return len(events) - 2 * reads if xla else len(events)
    return count


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ray_cluster():
    """A real Ray head node on 127.0.0.1 (2 CPUs), stopped after the test."""
    ray = pytest.importorskip("ray")
    ray_cli = str(Path(sys.executable).with_name("ray"))
    for attempt in range(3):          # on a loaded 2-core machine (pytest -n 2) the head node may miss its start timeout
        port = _free_port()
        started = subprocess.run([ray_cli, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
                                  "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"], capture_output=True)
        if started.returncode == 0:
            break
        subprocess.run([ray_cli, "stop", "--force"], capture_output=True)
    else:
        raise RuntimeError(f"ray start failed three times: {started.stderr.decode()[-2000:]}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        ray.shutdown()
        subprocess.run([ray_cli, "stop", "--force"], capture_output=True)
