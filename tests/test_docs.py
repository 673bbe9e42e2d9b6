"""The user guide builds with warnings as errors, and its tutorials' code runs as written."""
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[1] / "docs"


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::PendingDeprecationWarning")   # Sphinx's own API
def test_docs_build_without_warnings(tmp_path):
    from sphinx.cmd.build import build_main
    assert build_main(["-W", "-q", "-b", "html", str(DOCS), str(tmp_path / "html")]) == 0
    assert (tmp_path / "html" / "api.html").exists() and (tmp_path / "html" / "gallery.html").exists()


@pytest.mark.parametrize("page", ["own_dgp", "own_synthesizer"])
def test_tutorial_code_runs(page):
    code = re.search(r"```python\n(.*?)```", (DOCS / "tutorials" / f"{page}.md").read_text(), re.S).group(1)
    namespace = {}
    exec(compile(code.replace("reps=20", "reps=2"), f"{page}.md", "exec"), namespace)
    summary = namespace["results"].summary
    assert len(summary) >= 3 and (summary.excess_risk > -1e-3).all()
