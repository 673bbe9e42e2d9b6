"""Grids that outgrow one process: memory budget, streamed results, Ray executor with a killed worker."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthjax import InvalidParameterError, synth
from synthjax.runner import RayExecutor, parse_bytes, run
from synthjax.runner._memory import RESERVE, current_rss

sys.path.insert(0, str(Path(__file__).parent))
from test_runner import small_study  # noqa: E402

MINI = ("from synthjax import dgp, learn, synth\n"
        "from synthjax.runner import Study\n"
        "def study(reps=None, seed=0, full=False):\n"
        "    t = dgp.mean_shift(2)\n"
        "    return Study('mini', t, {'ros': synth.random_oversampling()}, learn.logistic(1e-3), (0.0, 1.0),\n"
        "                 ((40, 8),), reps=reps or 4, seed=seed, metrics=False)\n")


def test_parse_bytes_and_bad_budgets():
    assert parse_bytes("2GiB") == 2 * 2 ** 30 and parse_bytes("1.5G") == 1_500_000_000
    assert parse_bytes("500MB") == 500_000_000 and parse_bytes(1e9) == 10 ** 9
    for bad in ("lots", "-1G", "3 parsecs", 0):
        with pytest.raises(InvalidParameterError, match="'max_memory'"):
            parse_bytes(bad)
    with pytest.raises(InvalidParameterError, match="'max_memory' parameter must be at least"):
        run(small_study(reps=64), max_memory="100MB")
    budget = current_rss() + RESERVE + 2 ** 30                # above the floor, whatever this process holds now
    with pytest.raises(InvalidParameterError, match="pass out="):
        run(small_study(reps=10 ** 7), max_memory=budget)      # a 7.7 GB in-memory table would not fit


@pytest.mark.slow      # ~30 s on 2 cores, nearly all of it computing the 100,000 replicates: a scale check
def test_hundred_thousand_replicates_within_a_memory_budget(tmp_path):
    """R = 100,000 through the CLI with --max-memory 1.5GiB in a child process: its peak RSS (its own
    VmHWM, recorded in the manifest) stays under the budget, the table is streamed to disk and the
    summary counts every replicate."""
    study_file = tmp_path / "mini.py"
    study_file.write_text(MINI)
    out = tmp_path / "big"
    done = subprocess.run([sys.executable, "-m", "synthjax.cli", "run", str(study_file), "--reps", "100000",
                           "--out", str(out), "--max-memory", "1.5GiB"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert 0 < manifest["peak_rss"] <= 1.5 * 2 ** 30 and "peak memory" in done.stderr
    assert manifest["block_size"] % 64 == 0 and manifest["block_size"] >= 4096
    summary = pd.read_parquet(out / "summary.parquet")
    assert summary.reps.tolist() == [100_000, 100_000] and summary.n_failed.sum() == 0
    assert len(pd.read_parquet(out / "results.parquet", columns=["rep"])) == 200_000


def dies_once(base, marker: str):
    """``base`` whose first fit, in whatever process traces it, kills that process (SIGKILL)."""
    def fit(key, X1, X0=None, hyper=None):
        if not os.path.exists(marker):
            Path(marker).touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return base.fit(key, X1, X0, hyper)
    return base._replace(fit=fit)


@pytest.mark.slow      # ~40 s on 2 cores: starts a Ray cluster and kills one of its workers (an integration check)
def test_ray_cells_retry_a_killed_worker_match_a_local_run_and_record_a_failing_cell(ray_cluster, tmp_path):
    """One Ray cluster for both Ray checks (``ray stop --force`` in a fixture's teardown stops every Ray process of
    the machine, so two clusters under pytest -n would kill each other's drivers)."""
    marker = str(tmp_path / "killed-once")
    study = small_study(("ros", "smote"), reps=130, synthesizers={
        "ros": synth.random_oversampling(), "smote": dies_once(synth.smote(3), marker)})
    out = tmp_path / "run"
    res = run(study, out=out, executor=RayExecutor(address=ray_cluster, max_retries=2))
    assert Path(marker).exists()                              # a worker was killed mid-cell …
    assert not res.manifest["failed_cells"] and not res.manifest["missing_cells"]   # … and its cell retried
    assert res.manifest["executor"] == "RayExecutor"
    local = run(study)                                        # the marker exists: nobody dies
    pd.testing.assert_frame_equal(res.table, local.table, check_exact=True)
    pd.testing.assert_frame_equal(res.summary, local.summary, check_exact=True)
    assert len(list((out / "shards").glob("*.parquet"))) == 2 * 3

    failing = small_study(("ros", "smote"), reps=16, synthesizers={
        "ros": synth.random_oversampling(), "smote": synth.smote(50)})        # k > n1 − 1: raises
    res = run(failing, out=tmp_path / "failing", executor=RayExecutor(address=ray_cluster, max_retries=0))
    assert len(res.manifest["failed_cells"]) == 1 and "k" in next(iter(res.manifest["failed_cells"].values()))
    assert set(res.table.generator) == {"ros"} and np.isfinite(res.table.excess_risk).all()
