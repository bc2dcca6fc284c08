"""Shared fixtures: run the CLI in-process exactly as the console script does.

The suite never reads what the machine already has: before any test runs, the controlling
pytest process points ``HOME``, ``XDG_CACHE_HOME`` and ``NLTK_DATA`` at folders it makes in a
temporary directory and installs WordNet 3.0 there from Debian's database with
``simmatrix data wordnet`` (the user's own install path). pytest-xdist's workers inherit
that environment, so every worker reads the same fresh WordNet and graph cache.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from simmatrix.cli import main

_SANDBOX_ENV = "SIMMATRIX_TEST_SANDBOX"


def pytest_configure(config):
    if os.environ.get(_SANDBOX_ENV):  # an xdist worker: the controller made the sandbox
        return
    root = Path(tempfile.mkdtemp(prefix="simmatrix-tests-"))
    config._simmatrix_sandbox = root
    for name in ("home", "cache", "nltk_data"):
        (root / name).mkdir()
    os.environ.update({
        _SANDBOX_ENV: str(root),
        "HOME": str(root / "home"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "MPLCONFIGDIR": str(root / "cache" / "matplotlib"),
        "NLTK_DATA": str(root / "nltk_data"),
    })
    from simmatrix.sources.wordnet.data import DEBIAN_WORDNET, install_wordnet

    if (DEBIAN_WORDNET / "data.noun").is_file():  # tests/setup.sh installs Debian's packages
        install_wordnet(root / "nltk_data", DEBIAN_WORDNET)


def pytest_unconfigure(config):
    root = getattr(config, "_simmatrix_sandbox", None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


# No per-example deadline: on a loaded 2-core CI machine a slow example is not a bug.
settings.register_profile("simmatrix", deadline=None)
settings.load_profile("simmatrix")


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, out={self.out!r}, err={self.err!r})"


@pytest.fixture
def cli(capsys):
    """``cli("build", "order", ...)`` -> CliResult with exit code, stdout and stderr."""

    def run(*args) -> CliResult:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        cap = capsys.readouterr()
        return CliResult(code, cap.out, cap.err)

    return run


def assert_one_line_error(res: CliResult, code: int | None = None) -> None:
    """A nonzero exit and exactly one line on stderr, without a traceback."""
    assert res.code != 0, res
    if code is not None:
        assert res.code == code, res
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert len(lines) == 1, res.err
    assert lines[0].startswith("simmatrix: error: "), res.err
    assert "Traceback" not in res.err
