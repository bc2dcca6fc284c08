"""Sphinx configuration of the API reference (autodoc + numpydoc).

Build: ``python -m sphinx -W -b html docs/api OUT`` (tests/test_api_docs.py does, with
warnings as errors). Every public module has a page; the docstrings are the source.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the checkout's simmatrix, also when it is not installed
os.environ.setdefault("KERAS_BACKEND", "jax")  # Keras picks a backend at import

project = "simmatrix"
author = "simmatrix developers"
from simmatrix import __version__ as release  # noqa: E402

version = release
extensions = ["sphinx.ext.autodoc", "numpydoc"]
root_doc = "index"
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"          # the numpydoc Parameters section says the types
autodoc_inherit_docstrings = True
numpydoc_show_class_members = False  # autodoc lists members; no autosummary stubs needed
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


def _skip_sklearn_routing(app, what, name, obj, skip, options):
    """scikit-learn adds ``set_*_request`` methods to estimators; their docstrings cite
    scikit-learn's own glossary, which this reference does not have."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_routing)
