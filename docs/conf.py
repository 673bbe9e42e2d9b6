"""Sphinx configuration: the user guide and API reference of synthjax (built with warnings as errors)."""
project = "synthjax"
author = "the synthjax developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "myst_parser"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
autodoc_typehints = "none"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
myst_heading_anchors = 3
html_theme = "alabaster"
suppress_warnings = ["myst.header"]
napoleon_use_ivar = True
