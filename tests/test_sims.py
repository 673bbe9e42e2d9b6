"""Every study in sims/ runs at a tiny size and writes its table and figures; plots survive NaN cells."""
import inspect
from types import SimpleNamespace

import jax
import numpy as np
import pandas as pd
import pytest

from synthjax import cli, codsa, learn, plot
from synthjax import synth as S
from synthjax.synth import diffusion as DF
from synthjax.runner import DesignChanged, Results, run


def _module(name):
    return cli.load_study_module(f"sims/{name}.py")


@pytest.mark.parametrize("name", ["quickstart", "aligned_biased"])    # two tests: the workers share them out
def test_quickstart_and_aligned_biased(tmp_path, name, monkeypatch):
    module = _module(name)
    monkeypatch.setattr(module, "N1_QUICK", (6, 25, 100), raising=False)    # (used by aligned_biased only)
    monkeypatch.setattr(module, "DEPENDENCE_REPLICATES", 32, raising=False)  # (quickstart's theory: a smaller MC)
    if name == "quickstart":     # the generators asserted on below (the others run the same code: test_dependence)
        every = module.generators()
        monkeypatch.setattr(module, "generators", lambda: {g: every[g] for g in ("SMOTE (k=5)", "oracle")})
    study = module.study(reps=3)
    results = run(study)
    if name == "quickstart":                    # theory beside simulation: the columns the CLI adds and prints
        results.summary = module.annotate(results.summary)
        by = results.summary.set_index(["generator", "gamma"])
        assert np.isfinite(by[module.THEORY_COLUMNS].to_numpy()).all() and (by.excess_risk_theory > 0).all()
        assert by.loc["oracle", "gamma_theory_opt"].iloc[0] == pytest.approx(1.0, abs=0.02)
        assert by.loc[("oracle", 1.0), "excess_risk_population"] < 1e-5     # Q = P1 at balancing: θ(ñ) = θ*
        assert (by.loc[("oracle", 0.0), "excess_risk_population"]
                == pytest.approx(by.loc[("SMOTE (k=5)", 0.0), "excess_risk_population"], rel=1e-5))
        assert "excess_risk_theory" in module.PRINT_COLUMNS
    written = module.figures(results, tmp_path)
    assert all(p.exists() and p.with_suffix(".pdf").exists() for p in written)
    assert "**Agreement.**" in (tmp_path / "findings.md").read_text()
    if name == "aligned_biased":
        table = pd.read_csv(tmp_path / "theory_vs_simulation.csv")
        assert {"population", "first_order", "excess_risk_mcse"} <= set(table)
        assert (tmp_path / "rates.txt").read_text().count("|") >= 6


CODSA_TINY = dict(SIZES=dict(train=(60, 20), val=(20, 20), test=(20, 20)), SOURCE_ROWS=120,
                  QUICK=dict(reps=2, r=(0.5,), m=(0.0, 0.5), alpha=(0.5, 0.9), steps=20,
                             config=DF.DiffusionConfig(timesteps=20, hidden=(16,), time_dim=8, train_steps=20,
                                                       batch_size=16, sampler="ddim", ddim_steps=5)))
TINY = {   # module constants shrunk so that every study runs in seconds
    "symmetry_calibration": dict(QUICK_GRID=((2, 50, 5),), H=(0.0, 2.0)),
    "aligned_realistic": dict(N1_QUICK=(10, 100)),
    "mixup_structure": dict(ALPHAS=(0.5, 2.0), GENERATIONS=2, N=200),
    "local_symmetry": dict(NOISES=("rademacher",), GAMMA=(0.0, 1.0), LOGISTIC_GAMMA=(0.0, 1.0), N_LOGISTIC=300),
    "score_regimes": dict(GAMMA=(0.0, 1.0, 2.0), DEPENDENCE_REPLICATES=8,     # one design: the other runs the same
                          DESIGNS={"misspecified": np.diag([4.0, 0.25, 1.0, 1.0, 1.0])}),   # code on other numbers
    "end_to_end": dict(GAMMA=(0.0, 1.0), N0=400, N1=40),
    "real_data": dict(TABLES=(("wine-3-vs-rest", 3),), GENERATORS=("SMOTE",)),
    "long_tail": dict(RATIOS=(10,), N_MAX=20, TEST_PER_CLASS=5, METHODS=("none", "smote", "mamix"),
                      LEARNERS={"softmax": learn.softmax(10, C=1.0), "MLP": learn.mlp((4,), n_classes=10, steps=5)}),
    "end_to_end_nonlinear": dict(GAMMA=np.array([0.0, 0.5, 1.0]), N0=200, N1=20, N_TEST=200,
                                 LEARNER=learn.random_fourier_logistic(10, C=2.0)),
    "misspecification_map": dict(RATIOS=(2,), GAMMA=(0.0, 1.0), DEPENDENCE_REPLICATES=8),
    "plugin_size": dict(ONLY=("§8.1 biased Q",), BOOTSTRAP=4),
    "metric_rates": dict(N1_QUICK=(20, 40, 80), N1_REFERENCE=40, GAMMA=(0.0, 1.0), DEPENDENCE_REPLICATES=4),
    "theory_accuracy": dict(N1S=(25,), GAMMA=(0.0, 1.0), DEPENDENCE_REPLICATES=8, FEATURE_DRAWS=2, POPULATION=2000,
                            generators=lambda: {"random oversampling": S.random_oversampling()}),
    "synthetic_vs_reweighting": dict(N0=150, N1=20, N_TEST=200, COSTS=(1.0, 4.0), GENERATORS={"Jitter": S.jitter(0.08, local_k=3)},
                                     METHODS=("Raw ERM", "Class reweighting", "Tuned cost-sensitive", "TG-VTSS-Jitter"),
                                     NETWORK=learn.mlp((8,), learning_rate=5e-3, steps=10, patience=0, decoupled=True,
                                                       standardise_features=False)),
    "codsa_classification": CODSA_TINY,
    "codsa_regression": dict(CODSA_TINY, EXTRA_ROWS=False),   # set on the classification module it delegates to;
}                                                             # its random-forest rows: test_random_forest_rows


#: tiny runs too heavy for the default CI run (about a minute each on 2 cores, mostly compiling), run with -m slow;
#: a fast test of each one's analysis on a made-up table stays in the default run
SLOW = {"synthetic_vs_reweighting",
        "metric_rates",          # analysis: test_metric_rates_paired_differences_and_rates
        "theory_accuracy"}       # analysis: test_theory_accuracy_map_on_a_made_up_summary


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(TINY)])
def test_every_study_runs_tiny_and_redraws_from_saved_results(tmp_path, name, monkeypatch):
    module = _module(name)
    for attr, value in TINY[name].items():
        monkeypatch.setattr(getattr(module, "_classification", module), attr, value)
    if name.startswith("codsa"):                 # studies that keep finished replicates: run, then resume
        results = module.run(reps=2, seed=1, out=tmp_path / "run")
        shards = {p: p.stat().st_mtime_ns for p in (tmp_path / "run" / "shards").glob("*.parquet")}
        monkeypatch.setattr(codsa, "pretrain_transfer", None)              # nothing to fit: not even the transfer model
        again = module.run(reps=2, seed=1, out=tmp_path / "run")         # every replicate read back
        pd.testing.assert_frame_equal(results.table, again.table)
        assert len(shards) == 2 and all(p.stat().st_mtime_ns == t for p, t in shards.items())
        with pytest.raises(DesignChanged, match="reps"):
            module.run(reps=3, seed=1, out=tmp_path / "run")
        by = results.summary.set_index("method")                          # the paper's Table 1/2 beside ours
        assert by.loc["CoDSA", "overall (paper)"] == f"{module.PAPER['CoDSA'][2][0]:.4f} ({module.PAPER['CoDSA'][2][1]:.4f})"
        assert by.loc["CoDSA", "overall within SD"] in ("yes", "no")
    elif "out" in inspect.signature(getattr(module, "run", lambda: None)).parameters:    # keeps finished replicates
        results = module.run(reps=3, seed=1, out=tmp_path / "run")
        assert list((tmp_path / "run").rglob("shards/*__b*.parquet"))     # (per part for multi-grid studies)
    else:
        results = module.run(reps=3, seed=1) if hasattr(module, "run") else run(module.study(reps=3, seed=1))
    assert len(results.summary) > 0
    results.save(tmp_path)
    written = module.figures(Results.load(tmp_path), tmp_path)      # from saved results, as `synthjax figures`
    assert written and all(p.exists() and p.with_suffix(".pdf").exists() for p in written)
    findings = (tmp_path / "findings.md").read_text()
    assert "**Claim.**" in findings and "**Agreement.**" in findings
    if name.startswith("codsa"):
        assert "CoDSA vs the paper: majority" in findings


def test_random_forest_rows_of_table_2(monkeypatch):
    """The paper's learner for Table 2: every method gets a [random forest] row, fitted on the host."""
    module = _module("codsa_regression")
    from synthjax import codsa, dgp
    monkeypatch.setattr(module, "RF_TREES", 5)
    rows = module.random_forest_rows("regression", 80, False, (1.0,), (0.0, 0.5), (0.5,), None, None)
    assert sorted(rows) == sorted(f"{m} [random forest]" for m in ("No augmentation", "SMOTE (k=5)", "ADASYN (k=5)",
                                                                    "CoDSA", "CoDSA (transfer)"))
    data = dgp.codsa_regression(jax.random.key(0), dict(train=(60, 20), val=(20, 20), test=(20, 20)))
    grid = rows["SMOTE (k=5) [random forest]"].evaluate(jax.random.key(1), data, 1.0)
    assert len(grid) == 2 and np.isfinite(grid[["val_loss", "test_loss_majority", "test_loss_minority"]]).all().all()
    assert isinstance(rows["CoDSA [random forest]"].task.learner, codsa.HostLearner)


def test_figures_command_redraws_and_reports_missing(tmp_path, capsys, monkeypatch):
    module = _module("mixup_structure")
    for attr, value in TINY["mixup_structure"].items():     # the tiny run's design: its compiled programs are cached
        monkeypatch.setattr(module, attr, value)
    module.run(reps=3, seed=1).save(tmp_path / "mixup_structure")
    (tmp_path / "mixup_structure" / "findings.md").unlink(missing_ok=True)
    assert cli.main(["figures", "sims/mixup_structure.py", "sims/quickstart.py", "--root", str(tmp_path)]) == 0
    assert (tmp_path / "mixup_structure" / "findings.md").exists()
    assert "quickstart" in capsys.readouterr().err            # no saved results: reported, not a crash


def test_plots_accept_nan_cells(tmp_path):
    frame = pd.DataFrame(dict(n1=[10, 100, 1000] * 2, rule=["a"] * 3 + ["b"] * 3,
                              y=[1.0, np.nan, 0.01, 0.5, 0.2, np.nan], se=[0.1, np.nan, 0.001, 0.05, 0.02, np.nan],
                              pred=[1.0, 0.1, 0.01, np.nan, 0.2, 0.1]))
    fig = plot.curves(frame, "n1", "y", "rule", se="se", predicted={"theory": "pred"}, log_x=True, log_y=True,
                      caption_text="caption", path=tmp_path / "f.png")
    assert (tmp_path / "f.png").exists() and (tmp_path / "f.pdf").exists()
    ax = fig.axes[0]
    assert ax.get_xlabel() == plot.LABELS["n1"] and ax.get_ylabel() == "y"
    summary = frame.rename(columns={"n1": "gamma", "rule": "generator", "y": "excess_risk", "se": "excess_risk_mcse"})
    plot.size_curve(summary.assign(n0=100, n1=10), path=tmp_path / "g.png")
    assert (tmp_path / "g.png").exists()



@pytest.mark.slow      # ~30 s on 2 cores: a second real-data program (max_iter is static) for the failure path alone
def test_real_data_sweep_counts_fits_that_did_not_converge(monkeypatch):
    """A sweep fit that stops before converging is a failure (NaN, counted), never averaged into the curve."""
    module = _module("real_data")
    for attr, value in TINY["real_data"].items():
        monkeypatch.setattr(module, attr, value)
    monkeypatch.setattr(module, "LEARNER", learn.logistic(C=1.0, max_iter=1))      # one Newton step: never converged
    summary = module.run(reps=2, seed=1).summary
    sweep = summary[summary.part == "sweep"]
    assert len(sweep) and (sweep.n_failed == 2).all() and sweep.balanced_log_loss.isna().all()


def test_metric_rates_paired_differences_and_rates():
    """The metric-rates study's analysis on a made-up table: paired differences per replicate (the same real data
    at γ = 0 and 1), the MCSE of the differences, the 'beats the raw fit' verdict, and the rate of regret − floor."""
    module = _module("metric_rates")
    rng = np.random.default_rng(0)
    rows = []
    for n1 in (50, 100, 200, 400):
        base = 0.3 / n1 + rng.normal(0, 0.01 / n1, 40)            # regret of the raw fit per replicate, ~ 1/n
        for gamma, shift in ((0.0, 0.0), (1.0, -0.1 / n1)):         # augmenting lowers every replicate's regret
            rows += [dict(design="well specified", generator="oracle", n1=n1, gamma=gamma, rep=r,
                          **{f"regret_{m}": b + shift for m in module.METRICS}) for r, b in enumerate(base)]
    table = pd.DataFrame(rows)
    diffs = module.paired_differences(table)
    assert len(diffs) == 4 * len(module.METRICS) and diffs.beats_raw.all() and not diffs.worse_than_raw.any()
    np.testing.assert_allclose(diffs.difference, np.repeat(-0.1 / np.array([50, 100, 200, 400]), 4), rtol=1e-9)
    assert (diffs.mcse < 1e-12).all()                               # paired: the shift is the same in every replicate
    summary = (table.groupby(["design", "generator", "n1", "gamma"], as_index=False).mean()
               .assign(**{f"regret_{m}_mcse": 0.01 / np.repeat([50, 100, 200, 400], 2) / np.sqrt(40)
                          for m in module.METRICS}))
    slopes = module.rates(summary.sort_values(["gamma", "n1"]))
    assert len(slopes) == len(module.METRICS) and slopes.consistent.all()
    assert slopes.slope.to_numpy() == pytest.approx(-1.0, abs=0.05)


def test_theory_accuracy_map_on_a_made_up_summary(tmp_path):
    """The accuracy map's analysis (its tiny run is ``slow``; ``sampled_excess_curve`` is tested against the exact
    prediction in test_dependence): simulated / predicted per learner, prediction, generator and n1, the worst ratio
    over γ > 0, the ±20% verdict, and the figures and findings drawn from them."""
    module = _module("theory_accuracy")
    rows = []
    for learner in module.LEARNERS:
        for generator, off in (("oracle", 1.0), ("SMOTE (k=5)", 1.3)):
            for n1 in (25, 100):
                for gamma in (0.0, 1.0, 2.0):
                    risk = 0.01 * (1 + gamma) * 100 / n1
                    rows.append(dict(learner=learner, generator=generator, n1=n1, gamma=gamma, excess_risk=risk,
                                     excess_risk_mcse=risk / 50, excess_risk_theory=risk / (off if n1 == 25 else 1.1),
                                     excess_risk_theory_marginal=risk / 4))
    summary = pd.DataFrame(rows)
    table = module.accuracy_table(module.ratios(summary))
    assert len(table) == 2 * 2 * 2 * 2                   # learners × predictions × generators × n1
    dep = table[table.prediction == "dependence-aware"].set_index(["learner", "generator", "n1"])
    rff = list(module.LEARNERS)[1]
    assert dep.loc[(rff, "SMOTE (k=5)", 25)].worst_ratio == pytest.approx(1.3)
    assert not dep.loc[(rff, "SMOTE (k=5)", 25)].within and dep.loc[(rff, "SMOTE (k=5)", 100)].within
    assert not table[table.prediction == "marginal"].within.any()
    manifest = dict(study=dict(n1=[25, 100], learners=list(module.LEARNERS), reps=10, seed=0), dtype="float32")
    paths = module.figures(SimpleNamespace(summary=summary, manifest=manifest), tmp_path)
    assert len(paths) == 4 and all(p.exists() for p in paths)
    findings = (tmp_path / "findings.md").read_text()
    assert f"{rff}: the dependence-aware prediction holds (±20%) in 3 of 4" in findings
    assert "misses ±20% at n1 ∈ [25]" in findings
