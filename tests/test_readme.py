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
