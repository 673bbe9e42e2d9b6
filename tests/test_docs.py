"""The user guide builds with warnings as errors; every public name is in the API reference, every study has a
gallery page with its last run's figure and findings, every tutorial shows its executed output; the tutorials' code
runs on the current engine."""
import importlib.util
import re
import shutil
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[1] / "docs"
TUTORIALS = sorted(p.stem for p in (DOCS / "tutorials").glob("*.md") if p.stem != "index")


def _conf():
    spec = importlib.util.spec_from_file_location("docs_conf", DOCS / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


def _build(out: Path, *options) -> Path:
    """Build the guide into ``out`` with warnings as errors; the notebooks' cache is a copy (the repository's stays
    untouched)."""
    from sphinx.cmd.build import build_main
    shutil.copytree(DOCS / "_cache", out / "cache")
    html = out / "html"
    status = build_main(["-W", "-q", "-b", "html", "-D", f"nb_execution_cache_path={out / 'cache'}", *options,
                         str(DOCS), str(html)])
    assert status == 0
    return html


def _code_cells(page: str) -> str:
    return "\n".join(re.findall(r"```\{code-cell\}\n(.*?)```", (DOCS / "tutorials" / f"{page}.md").read_text(), re.S))


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::PendingDeprecationWarning")   # Sphinx's own API
def test_docs_build_with_every_public_name_every_study_and_executed_tutorials(tmp_path):
    html = _build(tmp_path)
    conf = _conf()
    for module in conf.MODULES:
        page = (html / "api" / f"{module}.html").read_text()
        missing = [n for n in conf.public_names(module)
                   if f'id="synthjax.{module}.{n}"' not in page and f'id="module-synthjax.{module}.{n}"' not in page]
        assert not missing, f"synthjax.{module}: {missing} not in the API reference"
    gallery = (html / "gallery" / "index.html").read_text()
    for study in conf.studies():
        assert (html / "gallery" / f"{study}.html").exists() and f'href="{study}.html"' in gallery, study
        page = (html / "gallery" / f"{study}.html").read_text()      # its last run's figure and findings
        assert "<img" in page and "Findings of the last run" in page and "Agreement." in page, study
    for page in TUTORIALS:                     # executed (from the cache when the code is unchanged): outputs shown
        assert "cell_output" in (html / "tutorials" / f"{page}.html").read_text(), page
    assert "Alias for field number" not in "".join(p.read_text() for p in (html / "api").glob("*.html"))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::PendingDeprecationWarning")
def test_tutorials_execute_from_scratch(tmp_path):
    """Every tutorial re-executed (no cache) with warnings and cell errors as failures."""
    html = _build(tmp_path, "-D", "nb_execution_mode=force")
    assert all("cell_output" in (html / "tutorials" / f"{p}.html").read_text() for p in TUTORIALS)


@pytest.mark.parametrize("page", ["own_dgp", "own_synthesizer", "reading_results"])
def test_tutorial_code_runs_on_the_current_engine(page):
    """The cached outputs could hide a change of the engine: the code of the cheap tutorials runs here (fewer
    replicates); the slow test above re-executes every tutorial."""
    namespace = {}
    exec(compile(re.sub(r"reps=\d+", "reps=2", _code_cells(page)), f"{page}.md", "exec"), namespace)
    summary = namespace["results"].summary
    assert len(summary) >= 3 and (summary.excess_risk > -1e-3).all()
