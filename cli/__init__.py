"""The ``simmatrix`` command line, installed as :mod:`simmatrix.cli` (never a top-level ``cli``)."""

from .app import app, main

__all__ = ["app", "main"]
