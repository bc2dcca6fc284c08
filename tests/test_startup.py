"""Start-up stays light: ``import simmatrix`` loads no numpy, ``--version`` no typer.

Timing lives in benchmarks/startup.py; here only what is imported, which can fail.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def _modules_after(code: str) -> set[str]:
    code += "\nimport sys\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    return set(out.split())


def test_import_simmatrix_loads_neither_numpy_nor_typer():
    loaded = _modules_after("import simmatrix")
    assert not {"numpy", "typer", "pydantic", "scipy"} & loaded


def test_public_names_still_load_on_first_use():
    loaded = _modules_after(
        "import simmatrix\n"
        "assert simmatrix.SimilarityMatrix.__name__ == 'SimilarityMatrix'\n"
        "from simmatrix import simloss, load, bayes_decision, metrics\n"
        "assert callable(simloss) and callable(load) and callable(bayes_decision)\n"
        "assert set(simmatrix.__all__) <= set(dir(simmatrix))\n"
        "assert callable(simmatrix.io.load) and callable(simmatrix.transforms.top_k)")
    assert "numpy" in loaded
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        import simmatrix

        simmatrix.nope  # noqa: B018


@pytest.mark.parametrize("argv", [["-m", "simmatrix", "--version"]])
def test_version_does_not_build_the_app(argv):
    code = ("import sys\nsys.argv = ['simmatrix', '--version']\n"
            "from simmatrix.__main__ import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0\n"
            "print('MODULES', ' '.join(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    version, modules = out.split("MODULES")
    from simmatrix import __version__

    assert version.strip() == f"simmatrix {__version__}"
    assert not {"numpy", "typer", "pydantic", "simmatrix.cli"} & set(modules.split())
    full = subprocess.run([sys.executable, *argv], capture_output=True, text=True)
    assert (full.returncode, full.stdout, full.stderr) == (0, f"simmatrix {__version__}\n", "")
