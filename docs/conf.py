"""Sphinx configuration of the synthjax user guide (built with warnings as errors in the test suite).

Three things are generated at build time, from the code itself, so they cannot drift from it:
- each API page's summary table lists the module's public names (``public_names``: ``__all__``, else the module's
  own public functions and classes), and a NamedTuple field without a ``#:`` comment fails the build;
- the gallery (``gallery/``): one page per study in ``sims/`` (its docstring, command, the README's row with the
  published numbers beside ours, its figures in ``docs/`` and, where kept in ``docs/findings/``, its last run's
  ``findings.md``), and the thumbnail grid;
- tutorials are MyST-NB notebooks executed through a jupyter-cache kept in ``docs/_cache`` (a cell's output is
  recomputed only when its notebook's code changed).
"""
import ast
import importlib
import inspect
import re
import sys
from pathlib import Path

from sphinx.pycode import ModuleAnalyzer
from sphinx.pycode import PycodeError
from sphinx.util import logging

import synthjax

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
MODULES = {
    "dgp": "data-generating processes and their exact oracles",
    "synth": "synthesizers: pure, keyed, vmappable generators",
    "learn": "learners behind one contract",
    "metrics": "metrics with Monte-Carlo standard errors",
    "theory": "first-order theory, diagnostics and size tuners",
    "runner": "studies as data; the chunked, resumable grid runner",
    "data": "real tables, the benchmark collection, splits and shape buckets",
    "codsa": "CoDSA, conditional data synthesis augmentation",
    "sklearn": "imbalanced-learn-compatible samplers",
    "fidelity": "distances between synthetic and true samples",
    "plot": "figures in one style",
}
#: figures of a study whose file names do not start with the study's name
EXTRA_FIGURES = {"mixup_structure": ["mixup_generations", "mixup_variance_factor"]}

project = "synthjax"
author = "the synthjax maintainers"
copyright = "2026, the synthjax maintainers"
release = version = synthjax.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "sphinx.ext.napoleon", "sphinx.ext.mathjax", "myst_nb"]
exclude_patterns = ["_build", "_cache", "findings", "**.ipynb_checkpoints"]
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autosummary_generate = False
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath", "colon_fence"]
suppress_warnings = ["myst.header"]
nb_execution_mode = "cache"
nb_execution_cache_path = str(DOCS / "_cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_merge_streams = True
html_theme = "pydata_sphinx_theme"
html_static_path = ["_static"]
html_css_files = ["synthjax.css"]
html_title = f"synthjax {release}"
html_theme_options = {"navbar_align": "left", "show_toc_level": 2, "footer_start": ["copyright"],
                      "footer_end": ["sphinx-version"], "secondary_sidebar_items": ["page-toc"]}
html_sidebars = {"index": [], "gallery/index": []}


def public_names(module_name: str) -> list:
    """The public names of ``synthjax.<module_name>``: its ``__all__``, else its own public functions and classes."""
    module = importlib.import_module(f"synthjax.{module_name}")
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, obj in vars(module).items() if not name.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__]


def studies() -> list:
    """The studies of ``sims/`` (every module there with a docstring)."""
    return sorted(p.stem for p in (ROOT / "sims").glob("*.py") if not p.stem.startswith("_"))


def _readme_rows() -> dict:
    """The README's study table: {study: (command, what the quick run shows, claim)}."""
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        match = re.search(r"sims/(\w+)\.py", line)
        if line.startswith("| ") and match and line.count(" | ") >= 3 and not line.startswith("| !["):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows.setdefault(match.group(1), (cells[1], cells[2], cells[3]))
    return rows


def _figures(study: str, names: list) -> list:
    stems = sorted(p.stem for p in DOCS.glob("*.png"))
    own = [s for s in stems if s == study or (s.startswith(study + "_") and s not in names)]
    return own + EXTRA_FIGURES.get(study, [])


def write_gallery(app):
    """One page per study and the thumbnail grid, into ``gallery/`` (generated, not kept in git)."""
    out = DOCS / "gallery"
    out.mkdir(exist_ok=True)
    names, rows = studies(), _readme_rows()
    cards = []
    for name in names:
        doc = ast.get_docstring(ast.parse((ROOT / "sims" / f"{name}.py").read_text())) or ""
        title = " ".join(doc.split("\n\n")[0].split()).rstrip(".") or name      # the docstring's first paragraph
        command, shows, claim = rows.get(name, (f"`synthjax run sims/{name}.py`", "", ""))
        figures = _figures(name, names)
        body = [f"# {name}", "", f"*{title}*", "", f"**Command:** {command}", ""]
        if shows:
            body += ["## What the last run shows, beside the published numbers", "", shows, "",
                     f"**Does the claim reappear?** {claim}", ""]
        body += [f"```{{image}} ../{f}.png\n:alt: {f}\n:width: 100%\n```\n" for f in figures]
        if (DOCS / "findings" / f"{name}.md").exists():     # a run's findings.md, kept in docs/findings/
            body += ["## Findings of the last run", "", "```{include} ../findings/" + f"{name}.md", ":heading-offset: 2",
                     "```", ""]
        body += ["## The study", "", "```text", doc, "```", ""]
        (out / f"{name}.md").write_text("\n".join(body))
        thumb = f'<img src="../_images/{figures[0]}.png" alt="{name}">' if figures else '<div class="no-figure">table</div>'
        cards.append(f'<a class="gallery-card" href="{name}.html">{thumb}<span>{name}</span></a>')
    index = ["# Gallery of studies", "",
             "Each study is one command (`synthjax run sims/<name>.py [--full]`) and reproduces a design of the source "
             "papers, printing the published numbers beside ours. Click a figure for the study's page.", "",
             '<div class="gallery-grid">', *cards, "</div>", "", "```{toctree}", ":hidden:", "", *names, "```", ""]
    # the thumbnails point at images Sphinx copies only for pages that include them: every figure is on a study page
    (out / "index.md").write_text("\n".join(index))


def fill_api_tables(app, docname, source):
    """On an API page, replace ``{{ public names }}`` with the module's public functions and classes (the summary
    table) and ``{{ constants }}`` with an ``autodata`` entry per public constant (left out of ``automodule``)."""
    if docname.startswith("api/") and "{{ public names }}" in source[0]:
        module_name = docname.split("/", 1)[1]
        module = importlib.import_module(f"synthjax.{module_name}")
        names = public_names(module_name)
        submodules = [n for n in names if inspect.ismodule(getattr(module, n))]
        constant = {n for n in names if not callable(getattr(module, n)) and n not in submodules}
        table = "\n".join(f"   {n}" for n in names if n not in constant and n not in submodules)
        data = "\n".join([f".. autodata:: {n}\n   :no-value:\n" for n in names if n in constant]
                         + [f".. automodule:: synthjax.{module_name}.{n}\n   :members:\n" for n in submodules])
        excluded = sorted(constant | set(submodules))
        exclude = f"   :exclude-members: {', '.join(excluded)}" if excluded else ""
        source[0] = (source[0].replace("{{ public names }}", table).replace("{{ constants }}", data)
                     .replace("   {{ exclude constants }}", exclude))


def constant_doc(name: str) -> list:
    """The ``#:`` comment of a module-level constant re-exported by a package (``synthjax.data.BUNDLED`` is
    defined in ``synthjax.data._table``): autodoc looks only in the package's own source. The package's modules are
    searched first, then synthjax's others (``learn.OK`` comes from ``synthjax._status``)."""
    package, attr = name.rsplit(".", 1)
    own = sorted(m for m in sys.modules if m == package or m.startswith(package + "."))
    for module in own + sorted(m for m in sys.modules if m.startswith("synthjax.") and m not in own):
        try:
            docs = ModuleAnalyzer.for_module(module).find_attr_docs()
        except PycodeError:
            continue
        if ("", attr) in docs:
            return [line for line in docs[("", attr)] if line]
    return []


def document_fields_and_constants(app, what, name, obj, options, lines):
    """A constant shows its ``#:`` comment (never its type's docstring); a NamedTuple field documented only by
    Python's "Alias for field number N" fails the build (give it a ``#:`` comment in the class body)."""
    if what == "data":
        lines[:] = constant_doc(name)
        if not lines:
            logging.getLogger(__name__).warning(f"constant {name} has no '#:' description")
    if what in ("attribute", "property") and lines and lines[0].startswith("Alias for field number"):
        logging.getLogger(__name__).warning(f"NamedTuple field {name} has no '#:' description")


def setup(app):
    app.connect("builder-inited", write_gallery)
    app.connect("source-read", fill_api_tables)
    app.connect("autodoc-process-docstring", document_fields_and_constants)
