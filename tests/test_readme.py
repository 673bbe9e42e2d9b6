"""The README's Python example runs as written."""
import re
from pathlib import Path


def test_readme_example_runs(tmp_path, monkeypatch):
    text = (Path(__file__).parents[1] / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    code = code.replace("reps=100", "reps=4").replace("(4000, 100)", "(2100, 100)")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert bool(namespace["info"].converged) and float(namespace["excess"]) > 0
    assert (tmp_path / "results" / "mine" / "summary.parquet").exists()


def test_readme_custom_learner_runs():
    """The 'bring your own learner' example: a probit model in a Study and in TG-VTSS."""
    text = (Path(__file__).parents[1] / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)[1]
    code = code.replace("reps=20", "reps=2").replace("n_eval=20_000", "n_eval=2000")
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    summary = namespace["results"].summary
    assert len(summary) == 3 and (summary.excess_risk > 0).all()
    assert int(namespace["decision"].regime) in (0, 1, 2) and 0 <= float(namespace["decision"].fit.gamma) <= 2


def test_readme_own_table_runs():
    """The 'bring your own table' example: TG-VTSS over stratified splits of a bundled table, vmapped."""
    text = (Path(__file__).parents[1] / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)[2]
    code = code.replace("jax.random.key(0), 100)", "jax.random.key(0), 2)")
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["gammas"].shape == (2,) and ((0 <= namespace["gammas"]) & (namespace["gammas"] <= 2)).all()
