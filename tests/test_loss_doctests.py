"""The examples in the loss area's docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["loss", "log_similarity", "boosting", "losses", "decision", "metrics", "torch", "jax"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    pytest.importorskip(name if name in ("torch", "jax") else "numpy")
    module = importlib.import_module(f"simmatrix.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
