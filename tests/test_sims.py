"""Every study in sims/ runs at a tiny size and writes its table and figures; plots survive NaN cells."""
import numpy as np
import pandas as pd
import pytest

from synthjax import cli, plot
from synthjax.runner import Results, run


def _module(name):
    return cli.load_study_module(f"sims/{name}.py")


def test_quickstart_and_aligned_biased(tmp_path):
    for name in ("quickstart", "aligned_biased"):
        module = _module(name)
        module.N1_QUICK = (6, 25, 100)                # (used by aligned_biased only)
        study = module.study(reps=3)
        results = run(study)
        written = module.figures(results, tmp_path)
        assert all(p.exists() and p.with_suffix(".pdf").exists() for p in written)
        assert "**Agreement.**" in (tmp_path / "findings.md").read_text()
    table = pd.read_csv(tmp_path / "theory_vs_simulation.csv")
    assert {"population", "first_order", "excess_risk_mcse"} <= set(table)
    assert (tmp_path / "rates.txt").read_text().count("|") >= 6


@pytest.mark.parametrize("name", ["symmetry_calibration", "aligned_realistic"])
def test_custom_studies(tmp_path, name):
    module = _module(name)
    if name == "symmetry_calibration":            # a tiny grid: one cell, null and one alternative
        module.QUICK_GRID, module.H = ((2, 50, 5),), (0.0, 2.0)
    else:
        module.N1_QUICK = (10, 100)
    results = module.run(reps=4, seed=1)
    table = results.summary
    assert len(table) > 0 and np.isfinite(table.filter(like="rejection" if "symmetry" in name else "mean_gamma")
                                         .to_numpy(float)).any()
    results.save(tmp_path)
    written = module.figures(Results.load(tmp_path), tmp_path)      # from saved results, as `synthjax figures`
    assert all(p.exists() for p in written) and (tmp_path / "findings.md").exists()


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
