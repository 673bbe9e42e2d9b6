import json

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from synthjax import InvalidParameterError, cli
from synthjax import dgp as D
from synthjax import learn, synth
from synthjax.learn import MAX_ITER
from synthjax.runner import Study, cell_replicate, replicate_chunk, run


def small_study(generators=("smote",), reps=64, chunk_size=64, **kw):
    truth = D.gaussian(np.zeros(3), np.array([1.0, 0.5, 0.0]))
    pool = {"smote": synth.smote(3), "ros": synth.random_oversampling(), "oracle": synth.oracle(truth)}
    args = dict(name="tiny", dgp=truth, synthesizers={g: pool[g] for g in generators},
                learner=learn.logistic(ridge=1e-3), gamma=(0.0, 0.5, 1.0), sizes=((60, 12),),
                reps=reps, chunk_size=chunk_size)
    args.update(kw)
    return Study(**args)


def test_chunk_size_does_not_change_numbers():
    a = run(small_study(chunk_size=64)).table
    b = run(small_study(chunk_size=8)).table
    c = run(small_study(chunk_size=24)).table          # 64 = 24 + 24 + 16 (padded last chunk)
    for other in (b, c):
        pd.testing.assert_frame_equal(a, other, check_exact=True)
    assert len(a) == 64 * 3 and a.rep.nunique() == 64


def test_generators_share_real_data_and_do_not_shift_streams():
    one = run(small_study(("smote",), reps=16)).table
    two = run(small_study(("ros", "smote"), reps=16)).table
    pd.testing.assert_frame_equal(one, two[two.generator == "smote"].reset_index(drop=True), check_exact=True)
    # γ = 0 means no synthetic points: every generator fits the same real data (the Newton warm start
    # differs, so equal up to the float32 solver tolerance)
    zero = two[two.gamma == 0].pivot(index="rep", columns="generator", values="excess_risk")
    np.testing.assert_allclose(zero["ros"], zero["smote"], rtol=1e-5)


def test_dynamic_values_do_not_recompile():
    study = small_study()
    replicate, sizes, batch = cell_replicate(study, "smote", 60, 12)
    chunk = replicate_chunk(replicate, batch)
    truth, lrn = study.dgp, study.learner
    risk_star = truth.population_risk(lrn.loss, truth.theta_star(lrn))
    ids = jnp.arange(4, dtype=jnp.uint32)
    chunk(jnp.uint32(0), jnp.uint32(0), ids, jnp.asarray(sizes, jnp.int32), risk_star, (), lrn.hyper)
    out = chunk(jnp.uint32(5), jnp.uint32(3), ids + 4, jnp.asarray(sizes // 2, jnp.int32), risk_star, (),
                learn.RidgeHyper(jnp.asarray(0.5)))
    assert chunk._cache_size() == 1
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
    res = run(small_study(("ros",), reps=8, n_test=50))
    out = res.save(tmp_path / "run")
    table = pd.read_parquet(out / "results.parquet")
    summary = pd.read_parquet(out / "summary.parquet")
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(table) == 8 * 3 and {"test_auroc", "test_auprc", "test_best_ba", "status"} <= set(table)
    assert {"excess_risk", "excess_risk_mcse", "n_failed", "reps"} <= set(summary)
    assert manifest["study"]["reps"] == 8 and manifest["study"]["seed"] == 0
    assert {"jax_enable_x64", "jax_default_prng_impl"} <= set(manifest["jax_flags"])
    assert manifest["versions"]["jax"] == jax.__version__ and manifest["dtype"] == "float32"
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
        "def study(reps=None, seed=0, full=False):\n"
        "    t = dgp.mean_shift(2)\n"
        "    return Study('mini', t, {'smote': synth.smote(3)}, learn.logistic(1e-3), (0.0, 1.0), ((30, 6),),\n"
        "                 reps=reps or 4, seed=seed)\n")
    assert cli.main(["run", str(study_file), "--reps", "3", "--out", str(tmp_path / "o"), "--seed", "2"]) == 0
    printed = capsys.readouterr().out
    assert "excess_risk" in printed and "smote" in printed
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
