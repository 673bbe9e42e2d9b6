"""The store of serialised executables (``runner._executables``): a new process — here, a new ``Program`` with an
empty memory — loads a stored program without tracing it, and a key that misses something never runs a stale one."""
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from synthjax import _compile_cache, learn
from synthjax import dgp as D
from synthjax import synth
from synthjax.runner import Program, Study, draw_chunk
from synthjax.runner import _executables


@pytest.fixture
def store(tmp_path, monkeypatch):
    """The store on, in a fresh folder (the session's persistent compilation cache stays as it is)."""
    monkeypatch.setattr(_compile_cache, "_executables", tmp_path / "executables")
    return tmp_path / "executables"


@pytest.fixture
def traced():
    """``traced(call) -> (result, number of functions JAX traced to run it)``."""
    def count(call):
        events = []

        def listen(event, duration, **kw):
            if event.endswith("jaxpr_trace_duration"):
                events.append(event)
        jax.monitoring.register_event_duration_secs_listener(listen)
        try:
            result = jax.block_until_ready(call())
        finally:
            jax.monitoring.unregister_event_duration_listener(listen)
        return result, len(events)
    return count


def scaled(scale: float):
    """``x ↦ scale · sin(x) xᵀ`` (``scale``: a static value)."""
    def program(x):
        return scale * jnp.sin(x) @ x.T
    return program


#: A study file's setting read at trace time (a module-level dict: hashed by value, as every global of a user's code).
SETTINGS = {"scale": 2.0}


def from_settings(x):
    return SETTINGS["scale"] * x


def test_a_changed_global_setting_of_a_users_code_recompiles(store, monkeypatch):
    x = jnp.arange(3.0)
    np.testing.assert_array_equal(Program(from_settings)(x), 2.0 * x)
    monkeypatch.setitem(SETTINGS, "scale", 3.0)
    np.testing.assert_array_equal(Program(from_settings)(x), 3.0 * x)


def test_a_new_program_loads_the_stored_executable_without_tracing(store, traced):
    x = jnp.arange(12.0).reshape(3, 4) / 10
    first, n = traced(lambda: Program(scaled(2.0))(x))
    assert n >= 1 and len(list(store.glob("*.jaxexe"))) == 1
    again, n = traced(lambda: Program(scaled(2.0))(x))          # a new program: nothing in its memory
    assert n == 0, "the stored executable was traced again"
    np.testing.assert_array_equal(again, first)
    abstract, n = traced(lambda: Program(scaled(2.0))(jax.ShapeDtypeStruct(x.shape, x.dtype)))   # compile only
    assert n == 0 and abstract.shape == (3, 3)


def test_a_changed_static_value_code_dtype_or_xla_flag_recompiles(store, traced, monkeypatch):
    """Each of these changes the program: it must be compiled again, never run from the old key."""
    x = jnp.arange(12.0).reshape(3, 4) / 10
    base = np.asarray(Program(scaled(2.0))(x))
    out, n = traced(lambda: Program(scaled(3.0))(x))                                   # a static value
    assert n >= 1
    np.testing.assert_allclose(out, 1.5 * base, rtol=1e-6)

    def program(x):                     # the same name and closure, other code
        return scale * jnp.cos(x) @ x.T
    scale = 2.0
    program.__qualname__ = scaled(2.0).__qualname__
    out, n = traced(lambda: Program(program)(x))
    assert n >= 1
    np.testing.assert_allclose(out, 2.0 * jnp.cos(x) @ x.T, rtol=1e-6)

    def rows(n):
        def program(x, n=n):            # a value bound as a default argument (a study's loop over shapes)
            return x[:n].sum(0)
        return program
    np.testing.assert_allclose(Program(rows(1))(x), x[0])

    def nested(scale):                  # a setting 16 levels down a closure (the design fingerprint stops at 12)
        box = scale
        for _ in range(16):
            box = {"inner": box}

        def program(x):
            inner = box
            while isinstance(inner, dict):
                inner = inner["inner"]
            return inner * x
        return program
    np.testing.assert_array_equal(Program(nested(2.0))(x), 2.0 * x)
    np.testing.assert_array_equal(Program(nested(3.0))(x), 3.0 * x)
    np.testing.assert_allclose(Program(rows(2))(x), x[0] + x[1], rtol=1e-6)    # (the same key: x[0] again)
    with jax.enable_x64(True):                                                          # the dtype
        out, n = traced(lambda: Program(scaled(2.0))(jnp.asarray(np.asarray(x), jnp.float64)))
    assert n >= 1 and out.dtype == jnp.float64
    monkeypatch.setenv("XLA_FLAGS", os.environ.get("XLA_FLAGS", "") + " --xla_cpu_enable_fast_math=false")
    _, n = traced(lambda: Program(scaled(2.0))(x))                                      # the XLA flags
    assert n >= 1


def test_a_changed_static_dgp_value_recompiles_the_draw(store, traced):
    """A user's DGP whose sampler closes over a Python number (compiled into the study's data draw): another value
    gives a new program and new data; the same value again loads the first program (bit for bit, no tracing)."""
    def shifted(shift: float):
        base = D.gaussian(np.zeros(2), np.array([1.0, 0.0]))

        def sample(key, n0, n1):
            X0, X1 = base.sample(key, n0, n1)
            return X0, X1 + shift
        return Study(name="static", dgp=base._replace(sample=sample), synthesizers={"smote": synth.smote(3)},
                     learner=learn.logistic(), gamma=(0.0, 1.0), sizes=((40, 8),), reps=8)

    def draw(shift):
        return traced(lambda: draw_chunk(shifted(shift), 40, 8)(0, 0, np.arange(4, dtype=np.uint32), ()))
    (_, X1), n = draw(0.0)
    assert n >= 1
    (_, moved), n = draw(0.5)
    assert n >= 1
    np.testing.assert_allclose(moved, X1 + 0.5, rtol=1e-6)
    (_, again), n = draw(0.0)
    assert n == 0
    np.testing.assert_array_equal(again, X1)


def test_a_broken_or_cache_loaded_executable_is_compiled_again(store, traced):
    """A truncated file is deleted and the program compiled again; a program that XLA's persistent cache answered is
    run but not stored (jaxlib cannot serialise again an executable it loaded from that cache: its copy would fail)."""
    x = jnp.arange(6.0).reshape(2, 3)
    expected = Program(scaled(2.0))(x)
    (path,) = store.glob("*.jaxexe")
    path.write_bytes(path.read_bytes()[:100])
    out, n = traced(lambda: Program(scaled(2.0))(x))
    assert n >= 1                        # compiled again: XLA's persistent cache (on in the tests) answers for it
    np.testing.assert_array_equal(out, expected)
    assert not path.exists()
    np.testing.assert_array_equal(Program(scaled(2.0))(x), expected)


def test_no_store_without_the_compile_cache(tmp_path):
    assert _compile_cache.executable_folder() is None
    assert _executables.program_key(scaled(2.0), None) is None


def test_a_second_cli_run_loads_every_cell_program_without_tracing(tmp_path):
    """End to end, two processes: ``synthjax run`` with the compile cache on stores the cells' programs; a second run
    into a new folder traces none of them (JAX's compile log names every traced function) and gives the same table."""
    study_file = tmp_path / "mini.py"
    study_file.write_text(
        "from synthjax import dgp, learn, synth\n"
        "from synthjax.runner import Study\n"
        "def study(reps=None, seed=0, full=False):\n"
        "    return Study('mini', dgp.mean_shift(2), {'smote': synth.smote(3)}, learn.logistic(1e-3), (0.0, 1.0),\n"
        "                 ((30, 6),), reps=reps or 4, seed=seed)\n")
    env = dict(os.environ, SYNTHJAX_CACHE_DIR=str(tmp_path / "cache"), JAX_LOG_COMPILES="1")
    env.pop("SYNTHJAX_NO_COMPILE_CACHE", None)
    env.pop("JAX_COMPILATION_CACHE_DIR", None)

    def cli_run(out):
        proc = subprocess.run([sys.executable, "-m", "synthjax.cli", "run", str(study_file), "--out", str(out)],
                              env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stderr.count("Finished tracing chunk")
    assert cli_run(tmp_path / "first") >= 3                   # draw, generate, evaluate
    assert len(list((tmp_path / "cache-executables").glob("*.jaxexe"))) >= 3
    assert cli_run(tmp_path / "second") == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "first" / "results.parquet"),
                                  pd.read_parquet(tmp_path / "second" / "results.parquet"), check_exact=True)
