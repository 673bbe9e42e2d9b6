import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from synthjax import InvalidParameterError, cli
from synthjax._compile_cache import CPU_OPTIONS, compiler_options
from synthjax import dgp as D
from synthjax import learn, synth
from synthjax.learn import MAX_ITER
from synthjax.runner import (DesignChanged, LocalExecutor, Study, cell_arguments, cell_chunk, cell_replicate,
                             draw_chunk, evaluate_chunk, replicate_chunk, replicate_keys, run)


def small_study(generators=("smote",), reps=64, chunk_size=64, **kw):
    truth = D.gaussian(np.zeros(3), np.array([1.0, 0.5, 0.0]))
    pool = {"smote": synth.smote(3), "ros": synth.random_oversampling(), "oracle": synth.oracle(truth)}
    args = dict(name="tiny", dgp=truth, synthesizers={g: pool[g] for g in generators},
                learner=learn.logistic(ridge=1e-3), gamma=(0.0, 0.5, 1.0), sizes=((60, 12),),
                reps=reps, chunk_size=chunk_size)
    args.update(kw)
    return Study(**args)


def test_chunk_size_does_not_change_numbers():
    a = run(small_study(reps=160, chunk_size=64)).table        # 3 blocks of 64 (the last padded)
    b = run(small_study(reps=160, chunk_size=128)).table       # 2 blocks of 128
    c = run(small_study(reps=160, chunk_size=200)).table       # 1 block of 256
    for other in (b, c):
        pd.testing.assert_frame_equal(a, other, check_exact=True)
    assert len(a) == 160 * 3 and a.rep.nunique() == 160


def test_compiling_the_next_cell_ahead_changes_no_number(x64):
    """The local executor compiles cell i + 1 on the calling thread (under its ``enable_x64``) while cell i runs on a
    worker thread: the same table, bit for bit, as cells one after another; a cell that fails to compile is
    recorded and the cells after it still run."""
    study = small_study(("ros", "smote", "oracle"), reps=16, synthesizers={
        "ros": synth.random_oversampling(), "smote": synth.smote(50), "oracle": synth.oracle(small_study().dgp)})
    ahead = run(study)
    one_by_one = run(study, executor=LocalExecutor(compile_ahead=False))
    pd.testing.assert_frame_equal(ahead.table, one_by_one.table, check_exact=True)
    assert list(ahead.manifest["failed_cells"]) == list(one_by_one.manifest["failed_cells"]) != []
    assert sorted(ahead.table.generator.unique()) == ["oracle", "ros"] and ahead.manifest["dtype"] == "float64"
    assert ahead.table.risk.dtype == np.float64 and ahead.table.risk.map(lambda v: float(np.float32(v)) != v).any()


def test_an_interrupt_while_compiling_ahead_stops_the_running_cell_at_its_next_block():
    """Ctrl-C arrives on the driver while it compiles cell 3 and cell 2's blocks run on the worker: the run stops, the
    worker finishes the block in hand and writes no further block (finished blocks stay written)."""
    import threading
    import time
    from synthjax.runner import CellJob
    written, started = [], threading.Event()

    class Cells:
        def prepare(self, job):
            if job.name == "c3":
                started.wait(5)
                raise KeyboardInterrupt
            return job

        def finish(self, job, compiled, emit):
            for b in job.blocks:
                time.sleep(0.02)
                emit(b, None)
                if job.name == "c2":
                    started.set()          # cell 2 has written a block: now the interrupt comes
            return {}

    jobs = [CellJob(None, name, tuple(range(50))) for name in ("c1", "c2", "c3")]
    with pytest.raises(KeyboardInterrupt):
        for job, outcome in LocalExecutor().run_cells(Cells(), jobs, lambda job, b, frame: written.append((job.name, b))):
            assert outcome == {}
    assert [b for name, b in written if name == "c1"] == list(range(50))
    assert 1 <= len([b for name, b in written if name == "c2"]) < 50


def test_generators_share_real_data_and_do_not_shift_streams():
    one = run(small_study(("smote",), reps=16)).table
    two = run(small_study(("ros", "smote"), reps=16)).table
    pd.testing.assert_frame_equal(one, two[two.generator == "smote"].reset_index(drop=True), check_exact=True)
    # γ = 0 means no synthetic points: every generator fits the same real data (the Newton warm start
    # differs, so equal up to the float32 solver tolerance)
    zero = two[two.gamma == 0].pivot(index="rep", columns="generator", values="excess_risk")
    np.testing.assert_allclose(zero["ros"], zero["smote"], rtol=1e-5)


def test_split_kernel_equals_the_one_piece_kernel():
    """The cell kernel in two compiled parts (generator's data and pool; the shape's learner and metrics) gives
    the one-piece replicate's numbers to a few float32 ulps (not bit for bit: XLA compiles the metric
    reductions differently in the smaller program; 1 of 24 AUPRC values differs by 1 ulp here)."""
    study = small_study(("smote", "ros"), reps=8)
    truth, lrn = study.dgp, study.learner
    risk_star = truth.population_risk(lrn.loss, truth.theta_star(lrn))
    ids = jnp.arange(8, dtype=jnp.uint32)
    seed, cell = jnp.uint32(2), jnp.uint32(1)
    for gen in ("smote", "ros"):
        replicate, sizes, _ = cell_replicate(study, gen, 60, 12)
        whole = replicate_chunk(replicate)(seed, cell, ids, jnp.asarray(sizes, jnp.int32), risk_star,
                                           study.synthesizers[gen].hyper, lrn.hyper)
        chunk, split_sizes, _ = cell_chunk(study, gen, 60, 12)
        split = chunk(seed, cell, ids, cell_arguments(study), study.synthesizers[gen].hyper,
                      jnp.asarray(split_sizes, jnp.int32), risk_star, lrn.hyper, ())
        for name in whole:
            np.testing.assert_allclose(whole[name], split[name], rtol=5e-7, atol=1e-7, err_msg=name)


def test_runner_reproduces_the_long_tables_stored_before_the_kernel_split():
    """The runner gives the long tables stored before the kernel split (tests/data/make_kernel_reference.py: a linear
    and a random-feature study) to float32 rounding on any machine."""
    sys.path.insert(0, str(Path(__file__).parent / "data"))
    from make_kernel_reference import studies
    reference = pd.read_parquet(Path(__file__).parent / "data" / "kernel_reference.parquet")
    for name, ref_study in studies():
        new = run(ref_study).table
        old = reference[reference.study == name].drop(columns="study").dropna(axis=1, how="all").reset_index(drop=True)
        pd.testing.assert_frame_equal(new[old.columns], old, check_exact=False, rtol=2e-5, atol=1e-6)


def test_a_program_compiled_ahead_runs_its_abstract_executable(programs):
    """A runner program compiled by an abstract call (``jax.ShapeDtypeStruct`` leaves, as when the next cell is
    compiled during the current one) runs arrays on the default device with that executable: one compilation."""
    from synthjax.runner._kernel import Program
    program = Program(lambda x, y: (jnp.sin(x) @ y, x.sum()))
    args = (jnp.arange(12.0).reshape(3, 4), jnp.ones(4))
    assert programs(lambda: program(*(jax.ShapeDtypeStruct(a.shape, a.dtype) for a in args)), xla=True) == 1
    assert programs(lambda: jax.block_until_ready(program(*args)), xla=True) == 0
    assert len(program.executables) == 1
    np.testing.assert_array_equal(program(*args)[0], jnp.sin(args[0]) @ args[1])


def test_learner_kernel_compiles_once_for_every_generator_of_a_shape():
    """Three generators of one shape trace the learner's fit once (one evaluate program) and the real-data draw
    once (one draw program); a second shape traces each once more."""
    base = learn.logistic(ridge=1e-3)
    traces, draws = [], []

    def counting_path(X, y, W, hyper=None):
        traces.append(X.shape)
        return base.fit_path(X, y, W, hyper)

    study = small_study(("smote", "ros", "oracle"), reps=8, learner=base._replace(fit_path=counting_path))
    sample = study.dgp.sample
    study = dataclasses.replace(study, dgp=study.dgp._replace(sample=lambda k, n0, n1: draws.append(n0) or sample(k, n0, n1)))
    res = run(study)
    assert len(res.table) == 3 * 8 * 3 and len(traces) == 1 and len(draws) == 1
    assert len(evaluate_chunk(study, 60, 12, 48).executables) == 1
    run(dataclasses.replace(study, sizes=((60, 12), (80, 12))))
    assert len(traces) == 2


def test_studies_whose_dgps_differ_only_in_values_share_every_program(programs):
    """A built-in DGP binds its arrays to its family's functions, and the runner passes them to its programs as
    arguments (the oracle generator holds them as its hyperparameters): a second study whose Gaussian DGP has other
    means and covariances (same dimension and shapes), with the same SMOTE object and its own oracle, reuses the draw
    and evaluate programs, compiles nothing with XLA, and its numbers are its own — those of the same DGP behind
    opaque closures, which compile their own programs with the arrays inside (to float32 rounding: XLA folds
    constants)."""
    first = small_study(("smote", "oracle"), reps=8)
    truth = D.gaussian(np.r_[0.5, 0.0, -0.5], np.r_[1.5, -0.5, 0.3], cov0=2.0, cov1=2.0)
    opaque_truth = truth._replace(
        sample=lambda key, n0, n1: truth.sample(key, n0, n1),
        sample_class=lambda key, label, n: truth.sample_class(key, label, n),
        population_risk=lambda loss, params: truth.population_risk(loss, params),
        population_metrics=lambda params, prevalence=0.5: truth.population_metrics(params, prevalence))
    second, opaque = (dataclasses.replace(first, dgp=t, synthesizers=dict(first.synthesizers, oracle=synth.oracle(t)))
                      for t in (truth, opaque_truth))
    run(first)
    assert programs(lambda: run(second), xla=True) == 0     # the new oracle's pool program: read from the disk cache
    assert draw_chunk(second, 60, 12) is draw_chunk(first, 60, 12)
    assert evaluate_chunk(second, 60, 12, 48) is evaluate_chunk(first, 60, 12, 48)
    assert len(evaluate_chunk(second, 60, 12, 48).executables) == 1
    a, b = run(second).table, run(opaque).table
    assert programs(lambda: run(opaque)) == 0          # its own programs, compiled by the run above
    for column in ("excess_risk", "auroc", "regret_best_f1", "iterations"):
        np.testing.assert_allclose(a[column], b[column], rtol=1e-5, atol=1e-7, err_msg=column)
    assert not np.allclose(a.excess_risk, run(first).table.excess_risk, rtol=1e-2)


def test_dynamic_values_do_not_recompile():
    study = small_study()
    replicate, sizes, batch = cell_replicate(study, "smote", 60, 12)
    chunk = replicate_chunk(replicate)
    truth, lrn = study.dgp, study.learner
    risk_star = truth.population_risk(lrn.loss, truth.theta_star(lrn))
    ids = jnp.arange(4, dtype=jnp.uint32)
    chunk(jnp.uint32(0), jnp.uint32(0), ids, jnp.asarray(sizes, jnp.int32), risk_star, (), lrn.hyper)
    out = chunk(jnp.uint32(5), jnp.uint32(3), ids + 4, jnp.asarray(sizes // 2, jnp.int32), risk_star, (),
                learn.RidgeHyper(jnp.asarray(0.5)))
    assert len(chunk.executables) == 1
    assert out["excess_risk"].shape == (4, 3)


def test_failed_replicates_are_kept_with_status_and_nan():
    """Well-separated classes with ridge 0: some fits diverge (separable data); they stay in the table
    with status MAX_ITER and NaN metrics, and the summary counts them."""
    far = D.gaussian(np.zeros(2), np.array([9.0, 0.0]))
    study = Study("separable", far, {"ros": synth.random_oversampling()}, learn.logistic(ridge=0.0, max_iter=20),
                  gamma=(0.0, 1.0), sizes=((40, 10),), reps=8)
    res = run(study)
    failed = res.table[res.table.status == MAX_ITER]
    assert len(failed) > 0 and failed.excess_risk.isna().all()
    assert res.summary.n_failed.sum() == len(failed)
    assert res.table.loc[res.table.status == 0, "excess_risk"].notna().all()


def test_results_save_and_manifest(tmp_path):
    study = small_study(("ros", "oracle"), reps=8, n_test=50, sizes=((60, 12), (40, 12)))
    res = run(study)
    out = res.save(tmp_path / "run")
    table = pd.read_parquet(out / "results.parquet")
    summary = pd.read_parquet(out / "summary.parquet")
    design_rows = study.size_table()                              # what `annotate` is given before the run
    pd.testing.assert_frame_equal(summary[list(design_rows)], design_rows, check_dtype=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(table) == 8 * 3 * 4 and {"test_auroc", "test_auprc", "test_best_ba", "status"} <= set(table)
    assert {"excess_risk", "excess_risk_mcse", "n_failed", "reps"} <= set(summary)
    assert manifest["study"]["reps"] == 8 and manifest["study"]["seed"] == 0
    assert {"jax_enable_x64", "jax_default_prng_impl"} <= set(manifest["jax_flags"])
    assert manifest["versions"]["jax"] == jax.__version__ and manifest["dtype"] == "float32"
    assert manifest["xla"] == dict(compiler_options=compiler_options(), xla_flags=os.environ.get("XLA_FLAGS", ""))
    # the excess risk is non-negative (θ* minimises the population risk), up to float32 rounding
    assert (table.excess_risk > -1e-5).all()


def test_study_bad_input():
    with pytest.raises(InvalidParameterError, match="'reps' parameter of Study"):
        small_study(reps=0)
    with pytest.raises(InvalidParameterError, match="'n1' parameter of Study"):
        small_study(sizes=((60, 1),))
    with pytest.raises(InvalidParameterError, match="'n0' parameter of Study must be an int >= 12"):
        small_study(sizes=((5, 12),))
    with pytest.raises(InvalidParameterError, match="'gamma' parameter"):
        small_study(gamma=(0.0, -1.0))
    with pytest.raises(InvalidParameterError, match="'synthesizers' parameter"):
        small_study(generators=())


def test_cli_runs_a_study_file(tmp_path, capsys):
    study_file = tmp_path / "mini.py"
    study_file.write_text(
        "import numpy as np\n"
        "from synthjax import dgp, learn, synth\n"
        "from synthjax.runner import Study\n"
        "PRINT_ROWS = 'gamma > 0.5'\n"
        "def study(reps=None, seed=0, full=False):\n"
        "    t = dgp.mean_shift(2)\n"
        "    return Study('mini', t, {'smote': synth.smote(3)}, learn.logistic(1e-3), (0.0, 1.0), ((30, 6),),\n"
        "                 reps=reps or 4, seed=seed)\n"
        "def annotate(summary):\n"                      # runs on the design rows while the replicates compute
        "    assert 'excess_risk' not in summary\n"
        "    return summary.assign(predicted=summary.n0 + 2.0 * summary.n_syn)\n")
    assert cli.main(["run", str(study_file), "--reps", "3", "--out", str(tmp_path / "o"), "--seed", "2"]) == 0
    printed = capsys.readouterr().out
    assert "excess_risk" in printed and "smote" in printed
    assert len(printed.strip().splitlines()) == 2                    # header and the γ = 1 row (PRINT_ROWS)
    summary = pd.read_parquet(tmp_path / "o" / "summary.parquet")    # the predictions joined row by row
    assert len(summary) == 2 and (summary.predicted == summary.n0 + 2.0 * summary.n_syn).all()
    assert summary.excess_risk.notna().all()
    assert (tmp_path / "o" / "excess_risk.png").stat().st_size > 0 and (tmp_path / "o" / "excess_risk.pdf").exists()
    with pytest.raises(SystemExit):
        cli.main(["run", str(tmp_path / "missing.py")])
    with pytest.raises(SystemExit):
        cli.main(["run", str(study_file), "--reps", "0"])


def test_soft_label_and_majority_aware_generators_run_in_studies():
    truth = D.gaussian(np.zeros(3), np.array([1.0, 0.5, 0.0]))
    gens = {"mixup": synth.mixup(0.4), "mamix": synth.mamix(), "borderline2": synth.borderline_smote(2),
            "adasyn": synth.adasyn(), "soft_smote": synth.soft_smote()}
    res = run(Study("family", truth, gens, learn.logistic(ridge=1e-3), (0.0, 1.0), ((200, 40),), reps=4))
    assert res.table.excess_risk.notna().all() and (res.table.status == 0).all()
    at_zero = res.table[res.table.gamma == 0].groupby("rep").excess_risk.agg(np.ptp)
    assert (at_zero < 1e-4).all()                       # γ = 0: the same real data for every generator


def test_resume_skips_finished_shards_and_matches(tmp_path):
    full = run(small_study(("ros", "smote"), reps=130, chunk_size=64)).table
    out = tmp_path / "run"
    first = run(small_study(("ros", "smote"), reps=130, chunk_size=64), out=out)
    pd.testing.assert_frame_equal(first.table, full, check_exact=True)
    shards = sorted((out / "shards").glob("*.parquet"))
    assert len(shards) == 2 * 3                                  # 2 cells × 3 blocks
    victim = shards[1]
    victim.unlink()                                              # lose one block, as a kill would
    (out / "shards" / ".junk.parquet.tmp-1").write_text("partial")
    before = {p: p.stat().st_mtime_ns for p in shards if p != victim}
    again = run(small_study(("ros", "smote"), reps=130, chunk_size=64), out=out)
    pd.testing.assert_frame_equal(again.table, full, check_exact=True)
    assert all(p.stat().st_mtime_ns == t for p, t in before.items())     # finished shards untouched
    assert not list((out / "shards").glob(".*tmp*"))


def test_map_replicates_keeps_finished_blocks_and_resumes_to_the_same_numbers(tmp_path, monkeypatch, capsys):
    """A study with its own replicate (``map_replicates``) with a ``replicate_store``: each block is a shard as soon as
    it is done; a rerun computes only lost blocks, reads the others back bit for bit (nested outputs, int and float
    leaves), compiles nothing when all are stored, and refuses a changed design or study file."""
    from synthjax.runner import _execute, map_replicates, replicate_store

    def replicate(key):
        x = jax.random.normal(key, (3,))
        return dict(a=jnp.sum(x), nested=dict(b=x, n=jnp.argmax(x)))

    study_file = tmp_path / "study.py"
    study_file.write_text("# a study\n")
    plain, _ = map_replicates(replicate, 7, 2, 5, batch=1)
    out = tmp_path / "run"
    first, _ = map_replicates(replicate, 7, 2, 5, batch=1, store=replicate_store(out, dict(d=3), 7, 5, 2, study_file))
    shards = sorted((out / "shards").glob("cell2__b*.parquet"))
    assert len(shards) == 3                                               # blocks of 2: 2 + 2 + 1
    shards[1].unlink()                                                    # a block lost to a kill
    before = {p: p.stat().st_mtime_ns for p in shards if p != shards[1]}
    again, _ = map_replicates(replicate, 7, 2, 5, batch=1, store=replicate_store(out, dict(d=3), 7, 5, 2, study_file))
    assert all(p.stat().st_mtime_ns == t for p, t in before.items()) and shards[1].exists()
    monkeypatch.setattr(_execute, "CompiledCell", None)                   # all stored: nothing may compile
    read, compile_s = map_replicates(replicate, 7, 2, 5, batch=1,
                                     store=replicate_store(out, dict(d=3), 7, 5, 2, study_file))
    for result in (first, again, read):
        jax.tree_util.tree_map(lambda u, v: np.testing.assert_array_equal(u, v, strict=True), plain, result)
    assert compile_s == 0.0
    assert cli.main(["status", str(out)]) == 0                            # the CLI names what it holds
    assert "cell2: 3 of 3 blocks" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="own replicate"):
        cli.main(["collect", str(out)])
    with pytest.raises(DesignChanged, match="reps: 5 → 6"):
        replicate_store(out, dict(d=3), 7, 6, 2, study_file)
    study_file.write_text("# a study, edited\n")
    with pytest.raises(DesignChanged, match="study_source"):
        replicate_store(out, dict(d=3), 7, 5, 2, study_file)


def test_changed_design_is_refused_and_force_starts_over(tmp_path):
    out = tmp_path / "run"
    run(small_study(reps=8), out=out)
    with pytest.raises(DesignChanged, match="reps: 8 → 9"):
        run(small_study(reps=9), out=out)
    other = D.gaussian(np.zeros(3), np.array([2.0, 0.5, 0.0]))
    with pytest.raises(DesignChanged, match="parameters differ"):
        run(small_study(reps=8, dgp=other, synthesizers={"smote": synth.smote(3)}), out=out)
    with pytest.raises(DesignChanged):
        run(small_study(reps=8, synthesizers={"smote": synth.smote(4)}), out=out)      # SMOTE's k counts
    res = run(small_study(reps=9), out=out, force=True)
    assert len(res.table) == 9 * 3 and list(tmp_path.glob("run.replaced-*"))


def test_slurm_style_shards_and_failed_cells(tmp_path):
    study = small_study(("ros", "smote", "oracle"), reps=16, synthesizers={
        "ros": synth.random_oversampling(), "smote": synth.smote(50), "oracle": synth.oracle(small_study().dgp)})
    out = tmp_path / "run"
    part0 = run(study, out=out, shard=(0, 2))
    assert part0.manifest["missing_cells"]                      # the other task's cells are not there yet
    part1 = run(study, out=out, shard=(1, 2))
    assert "smote" in " ".join(part1.manifest["failed_cells"].values()) or part1.manifest["failed_cells"]
    status = cli_status(out)
    assert sorted(status.state) == ["failed", "finished", "finished"]
    whole = run(small_study(("ros", "oracle"), reps=16, synthesizers={
        "ros": synth.random_oversampling(), "oracle": synth.oracle(small_study().dgp)}))
    pd.testing.assert_frame_equal(part1.table.reset_index(drop=True), whole.table, check_exact=True)


def cli_status(out):
    from synthjax.runner import RunStore
    record = json.loads((out / "run.json").read_text())
    return RunStore(out, record["description"], record["fingerprint"], record["block_size"]).status(
        record["description"]["cells"])


def test_cli_resume_status_and_collect(tmp_path, capsys):
    study_file = tmp_path / "mini.py"
    study_file.write_text(
        "from synthjax import dgp, learn, synth\n"
        "from synthjax.runner import Study\n"
        "def study(reps=None, seed=0, full=False):\n"
        "    t = dgp.mean_shift(2)\n"
        "    return Study('mini', t, {'smote': synth.smote(3), 'ros': synth.random_oversampling()},\n"
        "                 learn.logistic(1e-3), (0.0, 1.0), ((30, 6),), reps=reps or 4, seed=seed)\n")
    out = tmp_path / "o"
    assert cli.main(["run", str(study_file), "--out", str(out), "--shard", "0/2"]) == 0
    assert cli.main(["status", str(out)]) == 0
    assert sorted(capsys.readouterr().out.split()).count("missing") == 1
    assert cli.main(["collect", str(out)]) == 0
    assert "missing or failed cells" in capsys.readouterr().err
    assert cli.main(["run", str(study_file), "--out", str(out)]) == 0            # resumes: computes the rest
    assert cli.main(["collect", str(out)]) == 0
    assert len(pd.read_parquet(out / "results.parquet")) == 2 * 4 * 2
    with pytest.raises(SystemExit, match="different design"):
        cli.main(["run", str(study_file), "--out", str(out), "--reps", "5"])
    with pytest.raises(SystemExit):
        cli.main(["run", str(study_file), "--shard", "3/2"])


def test_sigkill_mid_run_then_resume_equals_uninterrupted(tmp_path):
    """Kill a running grid with SIGKILL after a few shards; every shard left is readable, resuming
    computes the rest, and the final table equals an uninterrupted run (no duplicate rows)."""
    import signal
    import time
    out = tmp_path / "run"
    script = tmp_path / "go.py"
    script.write_text(
        "import sys\nsys.path.insert(0, %r)\n" % str(Path(__file__).parent) +
        "from test_runner import small_study\nfrom synthjax.runner import run\n"
        "run(small_study(('ros', 'smote'), reps=1280, chunk_size=64), out=%r)\n" % str(out))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "shards").glob("*.parquet"))) < 3:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    shards = list((out / "shards").glob("*.parquet"))
    assert 3 <= len(shards) < 40
    for p in shards:
        pd.read_parquet(p)                                   # none is corrupt
    resumed = run(small_study(("ros", "smote"), reps=1280, chunk_size=64), out=out).table
    whole = run(small_study(("ros", "smote"), reps=1280, chunk_size=64)).table
    pd.testing.assert_frame_equal(resumed, whole, check_exact=True)
    assert not resumed.duplicated(["generator", "rep", "size_index"]).any()


def test_forced_cpu_devices_give_identical_numbers(tmp_path):
    """Batches are dealt to 3 forced CPU devices (4 batches of 64: one device gets two): the table is bitwise
    identical to one device's. (Each device compiles every program: on a CPU, JAX keys programs by device.)"""
    script = tmp_path / "devices.py"
    script.write_text(
        "import sys\nsys.path.insert(0, %r)\nimport jax\nassert len(jax.devices()) == 3, jax.devices()\n" % str(Path(__file__).parent) +
        "from test_runner import small_study\nfrom synthjax.runner import run\n"
        "run(small_study(('ros', 'smote'), reps=200, chunk_size=64)).table.to_parquet(%r)\n" % str(tmp_path / "t.parquet"))
    env = dict(os.environ, XLA_FLAGS=os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=3")
    subprocess.run([sys.executable, str(script)], check=True, env=env)
    single = run(small_study(("ros", "smote"), reps=200, chunk_size=64)).table
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), single, check_exact=True)


CONCURRENT_STUDY = """
import json, sys
import numpy as np
from synthjax import dgp as D, learn, synth
from synthjax.runner import Study, run
truth = D.gaussian(np.zeros(3), np.array([1.0, 0.5, 0.0]))
gens = {"smote": synth.smote(3), "ros": synth.random_oversampling()}
study = Study("shared", truth, gens, learn.logistic(ridge=1e-3), (0.0, 0.5, 1.0), ((60, 12), (80, 12)), reps=64)
if __name__ == "__main__":
    res = run(study, out=sys.argv[1])
    json.dump(dict(computed=[t["cell"] * 100 + list(gens).index(t["generator"]) for t in res.manifest["timings"]],
                   by_others=res.manifest["cells_by_other_runs"], rows=len(res.table)), open(sys.argv[2], "w"))
"""


def test_two_concurrent_runs_share_one_out_folder(tmp_path):
    """Two processes started together on one --out: each computes only cells it claimed, neither computes
    a cell the other finished, and both end with the complete, duplicate-free table of a single run."""
    script = tmp_path / "shared_study.py"
    script.write_text(CONCURRENT_STUDY)
    out = tmp_path / "run"
    procs = [subprocess.Popen([sys.executable, str(script), str(out), str(tmp_path / f"r{i}.json")],
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    logs = [p.communicate(timeout=600)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), logs
    a, b = (json.loads((tmp_path / f"r{i}.json").read_text()) for i in range(2))
    assert set(a["computed"]).isdisjoint(b["computed"])                         # no cell computed twice
    assert len(a["computed"]) + len(b["computed"]) == 4                          # 2 generators × 2 sizes
    assert len(a["by_others"]) == len(b["computed"]) and len(b["by_others"]) == len(a["computed"])
    assert a["rows"] == b["rows"] == 4 * 64 * 3
    spec = __import__("importlib.util").util.spec_from_file_location("shared_study", script)
    module = __import__("importlib.util").util.module_from_spec(spec)
    spec.loader.exec_module(module)
    single = run(module.study).table
    keys = ["cell", "generator", "rep", "size_index"]
    merged = pd.read_parquet(out / "results.parquet").sort_values(keys).reset_index(drop=True)
    assert not merged.duplicated(keys).any()
    pd.testing.assert_frame_equal(merged, single.sort_values(keys).reset_index(drop=True), check_exact=True)


def test_cli_out_folder_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(SystemExit, match="cannot write the output folder --out .*a_file/sub.*Not a directory"):
        cli.main(["run", "sims/quickstart.py", "--reps", "2", "--out", str(blocker / "sub")])
    assert blocker.read_text() == ""


def test_persistent_compile_cache_on_by_default_and_opt_out(tmp_path):
    """The CLI's cache writes compiled programs to $SYNTHJAX_CACHE_DIR (recorded in the manifest); the
    environment variable SYNTHJAX_NO_COMPILE_CACHE=1 turns it off."""
    code = ("import jax, jax.numpy as jnp, json, sys\n"
            "from synthjax import enable_compile_cache\n"
            "from synthjax.runner import jax_flags\n"
            "print(json.dumps([enable_compile_cache(), jax_flags()['jax_compilation_cache_dir']]))\n"
            "jax.config.update('jax_persistent_cache_min_compile_time_secs', 0)   # this tiny program too\n"
            "jax.jit(lambda x: jnp.linalg.eigh(x @ x.T + jnp.arange(400.0).reshape(20, 20))[1].sum())"
            "(jnp.ones((20, 20))).block_until_ready()\n")
    env = dict(os.environ, SYNTHJAX_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("JAX_COMPILATION_CACHE_DIR", None)        # the test session's own cache (conftest)
    env.pop("SYNTHJAX_NO_COMPILE_CACHE", None)        # (conftest: off for the CLI runs inside tests)
    on = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(on.stdout) == [str(tmp_path / "cache")] * 2
    assert any((tmp_path / "cache").iterdir())
    env.update(SYNTHJAX_NO_COMPILE_CACHE="1", SYNTHJAX_CACHE_DIR=str(tmp_path / "off"))
    off = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(off.stdout) == [None, None] and not (tmp_path / "off").exists()


def test_runner_cpu_compiler_options_unless_xla_flags_choose(monkeypatch):
    """On a CPU the runner's chunks ask XLA for LLVM level 1 (half the compile time of the default 3) and the
    classic emitters; an option in XLA_FLAGS wins; a chunk compiled with the options gives the numbers of one
    compiled without them."""
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
    assert compiler_options() == CPU_OPTIONS == {"xla_backend_optimization_level": 1, "xla_cpu_use_fusion_emitters": False,
                                                 "xla_cpu_enable_concurrency_optimized_scheduler": False}
    monkeypatch.setenv("XLA_FLAGS", "--xla_backend_optimization_level=0")
    assert compiler_options() == {"xla_cpu_use_fusion_emitters": False, "xla_cpu_enable_concurrency_optimized_scheduler": False}
    monkeypatch.setenv("XLA_FLAGS", "--xla_backend_optimization_level=3 --xla_cpu_use_fusion_emitters=true "
                                    "--xla_cpu_enable_concurrency_optimized_scheduler=true")
    assert compiler_options() == {}
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
    replicate = lambda key, s: jnp.log1p(s * jnp.exp(jax.random.normal(key, (5, 3)))).sum(0)  # noqa: E731
    args = (jnp.uint32(3), jnp.uint32(1), jnp.arange(8, dtype=jnp.uint32), jnp.float32(2))
    xla_default = jax.jit(lambda seed, cell, ids, s: jax.vmap(lambda k: replicate(k, s))(replicate_keys(seed, cell, ids)),
                          compiler_options={"xla_backend_optimization_level": 3, "xla_cpu_use_fusion_emitters": True})
    np.testing.assert_allclose(replicate_chunk(replicate)(*args), xla_default(*args), rtol=1e-6)
    code = ("import json, os, jax; from synthjax._compile_cache import cpu_options_for_every_program as every; "
            "first = every(); flags = os.environ['XLA_FLAGS']; jax.numpy.zeros(1); print(json.dumps([first, flags, every()]))")
    env = dict(os.environ, XLA_FLAGS="--xla_backend_optimization_level=0", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [True, "--xla_backend_optimization_level=0 --xla_cpu_use_fusion_emitters=false "
                                      "--xla_cpu_enable_concurrency_optimized_scheduler=false",
                                      False]           # added once, before the backend starts; the user's level kept


def test_batched_linear_algebra_calls_side_by_side_do_not_deadlock():
    """Five independent batched LAPACK calls in one program (vmapped Cholesky and eigh) never returned under XLA's
    concurrency-optimised scheduler on a 2-core CPU (each call waits on the intra-op pool for work it queued there);
    with ``CPU_OPTIONS``, as ``synthjax run`` and this suite set them, the program returns (in ~2 s). The subprocess
    inherits the suite's XLA_FLAGS; a hang is a timeout, i.e. a failure. (On a machine with more cores than
    concurrent calls the old scheduler does not hang either.)"""
    code = ("import jax, jax.numpy as jnp; A = jax.random.normal(jax.random.key(0), (512, 24, 24)); "
            "S = A @ jnp.swapaxes(A, 1, 2) + 24 * jnp.eye(24); "
            "f = jax.jit(lambda a, b: (jnp.linalg.cholesky(a), jnp.linalg.eigh(b)[0], jnp.linalg.cholesky(b), "
            "jnp.linalg.eigh(a)[0], jnp.linalg.cholesky(a + b))); "
            "[jax.block_until_ready(f(S, S + i)) for i in range(5)]; print('returned')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert "returned" in out.stdout


def test_fingerprint_sees_through_jit_and_partial():
    """A jitted function in a design is keyed by the function it wraps (its code and closure), not by its type; a
    partial one (a DGP's oracle bound to its class laws) also by its bound arguments."""
    from functools import partial

    from synthjax.runner import fingerprint

    def make(k):
        def scale(x):
            return x * k
        return jax.jit(scale)
    assert fingerprint(make(2)) == fingerprint(make(2)) != fingerprint(make(3))
    assert fingerprint(partial(make(2), 1.0)) == fingerprint(partial(make(2), 1.0)) != fingerprint(partial(make(2), 2.0))
    near, far = (D.gaussian(np.zeros(2), np.r_[delta, 0.0]).population_risk for delta in (1.0, 2.0))
    assert fingerprint(near) != fingerprint(far)


def test_fingerprint_sees_edited_literals_and_module_constants():
    """Editing a number in a study file's function, or a module-level constant (or helper) it uses, or a value of a
    configuration dataclass it closes over, changes the design's hash, so a resumed run never mixes the replicates
    of the old code with the new."""
    from synthjax.runner import fingerprint

    def module(source):
        namespace = {"__name__": "study_file"}
        exec(source, namespace)
        return namespace["fit"]
    base = "SCALE = 0.5\ndef helper(x):\n    return x + 1.0\ndef fit(x):\n    return helper(x) * SCALE * 2.0\n"
    assert fingerprint(module(base)) == fingerprint(module(base))
    for edit in (("* 2.0", "* 3.0"), ("SCALE = 0.5", "SCALE = 0.6"), ("x + 1.0", "x + 1.5")):
        assert fingerprint(module(base.replace(*edit))) != fingerprint(module(base)), edit

    @dataclasses.dataclass
    class Config:
        shrink: float

    def factory(config):
        def fit(x):
            return x * config.shrink
        return fit
    assert fingerprint(factory(Config(0.1))) == fingerprint(factory(Config(0.1))) != fingerprint(factory(Config(0.2)))


class _ScaledBootstrap:
    """A user's synthesizer object: its settings are attributes, its fit and sample bound methods; it refers to
    itself (a cycle)."""
    def __init__(self, scale, noise=0.0):
        self.scale, self.noise, self.me = scale, noise, self

    def fit(self, key, X_min, X_maj=None, hyper=None):
        return X_min

    def sample(self, key, state, m):
        return synth.SynthSample(self.scale * state[jax.random.randint(key, (m,), 0, state.shape[0])], synth.Provenance())


class _SlottedRidge:
    __slots__ = ("ridge", "intercept")

    def __init__(self, ridge, intercept=True):
        self.ridge, self.intercept = ridge, intercept


def test_fingerprint_sees_every_attribute_of_user_objects():
    """A study whose generator or learner is a user's object resumes into old results only if every attribute is the
    same: objects are hashed by their state (``__dict__``, slots, bound methods' objects, classes' attributes), cycles
    included; an object the fingerprint cannot see into is refused, naming it."""
    import threading
    from synthjax.runner import fingerprint

    def generator(**kw):
        obj = _ScaledBootstrap(**{"scale": 1.0, **kw})
        return synth.Synthesizer("scaled", obj.fit, obj.sample)
    assert fingerprint(generator()) == fingerprint(generator())
    assert len({fingerprint(generator()), fingerprint(generator(scale=2.0)), fingerprint(generator(noise=0.1))}) == 3
    assert fingerprint(_SlottedRidge(0.1)) == fingerprint(_SlottedRidge(0.1))
    assert len({fingerprint(_SlottedRidge(0.1)), fingerprint(_SlottedRidge(0.2)),
                fingerprint(_SlottedRidge(0.1, False))}) == 3

    def static_learner(C):
        return type("Learner", (), {"C": C, "loss": staticmethod(lambda s, y: (s - y) ** 2)})
    assert fingerprint(static_learner(1.0)) == fingerprint(static_learner(1.0)) != fingerprint(static_learner(2.0))
    with pytest.raises(InvalidParameterError, match="cannot see into a _thread.lock"):
        fingerprint({"synthesizers": {"locked": threading.Lock()}})


def test_throughput_benchmark_drives_the_runner_cell(monkeypatch):
    """benchmarks/throughput.py calls the runner's cell API directly (``cell_chunk``, ``cell_arguments``,
    ``CompiledCell``): one tiny timing keeps it in step with that API (its numbers are timed, not tested)."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "benchmarks"))
    import throughput
    monkeypatch.setattr(throughput, "N0", 60)
    monkeypatch.setattr(throughput, "N1", 12)
    per_rep, compile_s, iterations = throughput.time_synthjax([1.0], 64, 64, 1)
    assert per_rep > 0 and compile_s > 0 and 1 <= iterations <= 50


def test_annotate_never_runs_beside_cells_it_could_deadlock(tmp_path):
    """jaxlib 0.10.2 deadlocks when two threads run batched Cholesky factors above its fan-out size at once (64 × 64
    here, in the cells and in ``annotate``). ``synthjax run`` used to start ``annotate`` beside every study's cells:
    this study then hung for ever (checked: killed after 120 s). Now a study whose learner is not a small linear one
    computes its theory after the cells. A hang fails here by the timeout, never by blocking the suite."""
    study_file = Path(__file__).parent / "data" / "lapack_study.py"
    proc = subprocess.run([sys.executable, "-m", "synthjax.cli", "run", str(study_file), "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert np.isfinite(pd.read_parquet(tmp_path / "run" / "summary.parquet").theory).all()
    quickstart = cli.load_study_module("sims/quickstart.py").study(reps=1)
    big = dataclasses.replace(quickstart, dgp=D.gaussian(np.zeros(64), np.ones(64) / 8))
    assert cli.overlaps_annotate(quickstart) and not cli.overlaps_annotate(big)
    assert not cli.overlaps_annotate(cli.load_study_module(str(study_file)).study(reps=1))


def test_full_disk_mid_shard_leaves_no_partial_file_and_resumes(tmp_path, monkeypatch):
    """The disk fills while the fourth shard is being written (ENOSPC after part of the file): the run stops with an
    error naming that shard and the reason, the folder holds the three finished shards and nothing else, and once
    space is back the same run resumes to the uninterrupted table."""
    import errno
    out = tmp_path / "run"
    real_to_parquet, calls = pd.DataFrame.to_parquet, []

    def filling(frame, path, *args, **kw):
        calls.append(path)
        if len(calls) == 4:
            Path(path).write_bytes(b"PAR1 half a shard")            # part of the file reaches the disk
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real_to_parquet(frame, path, *args, **kw)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", filling)
    study = small_study(("ros", "smote"), reps=256, chunk_size=64)
    with pytest.raises(OSError, match=r"could not write .*shards/[^ ]*__b\d+\.parquet: No space left on device") as err:
        run(study, out=out)
    assert err.value.errno == errno.ENOSPC
    files = sorted(p.name for p in (out / "shards").iterdir())
    assert len(files) == 3 and all(not name.startswith(".") for name in files)
    for p in (out / "shards").iterdir():
        pd.read_parquet(p)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", real_to_parquet)          # space is back
    resumed = run(study, out=out).table
    pd.testing.assert_frame_equal(resumed, run(study).table, check_exact=True)
    assert len(list((out / "shards").iterdir())) == 8


def test_a_run_store_refuses_to_resume_under_another_random_bit_generator(tmp_path):
    """``synthjax run --prng rbg`` draws other streams: a run folder of threefry results refuses to resume under rbg
    (the store records the JAX flags that change numbers), and the manifest records the generator."""
    study = small_study(("ros",), reps=8, chunk_size=8)
    first = run(study, out=tmp_path / "run")
    assert first.manifest["jax_flags"]["jax_default_prng_impl"] == "threefry2x32"
    with jax.default_prng_impl("rbg"):
        with pytest.raises(DesignChanged, match="jax_default_prng_impl"):
            run(study, out=tmp_path / "run")
