"""Shared fixtures: run the CLI in-process exactly as the console script does."""

from __future__ import annotations

import pytest
from hypothesis import settings

from simmatrix.cli import main

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
