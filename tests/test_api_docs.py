"""The API reference (docs/api, Sphinx autodoc + numpydoc) builds with warnings as errors.

A docstring that Sphinx or numpydoc cannot read, a module that does not import cleanly, or a
public module without a page fails here, so the reference stays whole as the code changes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "docs" / "api"


def public_modules() -> list[str]:
    """Every module of the simmatrix package whose dotted path has no ``_`` part."""
    found = []
    for path in sorted((ROOT / "simmatrix").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if any(p.startswith("_") for p in parts):
            continue
        found.append(".".join(parts))
    return found


def test_every_public_module_has_a_page():
    pages = {p.stem for p in API.glob("*.rst")} - {"index"}
    missing = [m for m in public_modules() if m not in pages]
    assert not missing, (
        "public modules without an API page; add docs/api/MODULE.rst holding a title and "
        "'.. automodule:: MODULE', and list it in docs/api/index.rst: " + ", ".join(missing))
    index = (API / "index.rst").read_text()
    unlisted = [p for p in sorted(pages) if not re.search(rf"^\s+{re.escape(p)}\s*$", index, re.M)]
    assert not unlisted, f"pages not in docs/api/index.rst's toctree: {unlisted}"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    out = tmp_path_factory.mktemp("api-html")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(out / ".doctrees"), str(API), str(out)],
        capture_output=True, text=True, timeout=900, cwd=ROOT)
    return proc, out


def test_api_reference_builds_without_warnings(built):
    proc, _ = built
    assert proc.returncode == 0, f"sphinx -W failed:\n{proc.stderr[-6000:]}"
    # numpydoc reports sections it does not know as Python warnings, which -W does not see
    noise = [ln for ln in proc.stderr.splitlines()
             if "WARNING" in ln or "ERROR" in ln or "numpydoc" in ln]
    assert not noise, "\n".join(noise)


def test_api_reference_documents_the_public_objects(built):
    proc, out = built
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = {
        "simmatrix.html": ["simmatrix.load", "simmatrix.save", "simmatrix.SimilarityMatrix",
                           "simmatrix.SimilarityMatrix.to_pandas",
                           "simmatrix.SimilarityMatrix.from_polars"],
        "simmatrix.transforms.html": ["simmatrix.transforms.lower_bound",
                                      "simmatrix.transforms.top_k"],
        "simmatrix.validate.html": ["simmatrix.validate.validate"],
        "simmatrix.torch.html": ["simmatrix.torch.SimLoss"],
        "simmatrix.jax.html": ["simmatrix.jax.make_simloss"],
        "simmatrix.keras.html": ["simmatrix.keras.SimLoss"],
        "simmatrix.builders.order.html": ["simmatrix.builders.order.order_matrix"],
    }
    for page, ids in expected.items():
        html = (out / page).read_text(encoding="utf-8")
        for anchor in ids:
            assert f'id="{anchor}"' in html, f"{anchor} is not documented in {page}"
    for module in public_modules():
        assert (out / f"{module}.html").is_file(), module
