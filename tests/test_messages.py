"""Messages speak the caller's language: the Python argument from Python, the option from the CLI.

The library writes every message in Python's words (``pass overwrite=True``); the CLI prints
each one through :func:`simmatrix.errors.for_cli` (``pass --force``). Each case below makes
the same mistake both ways and reads what each caller is told.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import typer

import simmatrix
from conftest import assert_one_line_error
from simmatrix import SimilarityMatrix
from simmatrix.errors import CLI_OPTIONS, CLI_PHRASES, SimMatrixError, for_cli

ROOT = Path(__file__).resolve().parent.parent


def _python_error(call) -> str:
    with pytest.raises((SimMatrixError, ValueError)) as info:
        call()
    return str(info.value)


def test_save_over_an_existing_file_python_says_overwrite_cli_says_force(cli, tmp_path):
    path = tmp_path / "S.npy"
    S = SimilarityMatrix(np.eye(3))
    simmatrix.save(S, path)
    msg = _python_error(lambda: simmatrix.save(S, path))
    assert "overwrite=True" in msg and "--force" not in msg, msg
    simmatrix.save(S, path, overwrite=True)  # and the advice works
    res = cli("build", "order", "--n-classes", 3, "-o", path)
    assert_one_line_error(res, 2)
    assert "pass --force" in res.err and "overwrite=" not in res.err, res.err


def test_order_count_mismatch(cli, tmp_path):
    from simmatrix.builders.order import order_matrix

    msg = _python_error(lambda: order_matrix(5, values=[1, 2, 3]))
    assert "n_classes=5 but 3 values" in msg, msg
    res = cli("build", "order", "--n-classes", 5, "--values", "1,2,3", "-o", tmp_path / "S.npy")
    assert_one_line_error(res, 2)
    assert "--n-classes 5 but 3 values" in res.err and "n_classes=" not in res.err, res.err


def test_combine_different_classes(cli, tmp_path):
    from simmatrix.combine import combine

    a = SimilarityMatrix(np.eye(3), ["cat", "dog", "emu"])
    b = SimilarityMatrix(np.eye(2), ["cat", "emu"])
    msg = _python_error(lambda: combine([a, b]))
    assert "use intersect=True to keep the 2 common classes" in msg, msg
    simmatrix.save(a, tmp_path / "a.npy")
    simmatrix.save(b, tmp_path / "b.npy")
    res = cli("combine", tmp_path / "a.npy", tmp_path / "b.npy", "-o", tmp_path / "S.npy")
    assert_one_line_error(res, 2)
    assert "use --intersect to keep the 2 common classes" in res.err, res.err


def test_confusion_class_never_true(cli, tmp_path):
    from simmatrix.builders.confusion import from_confusion

    counts = np.array([[5, 1, 0], [0, 0, 0], [1, 0, 4]])
    msg = _python_error(lambda: from_confusion(counts, ["cat", "bee", "dog"]))
    assert "pass missing='identity'" in msg and "--missing" not in msg, msg
    (tmp_path / "counts.csv").write_text(",cat,bee,dog\ncat,5,1,0\nbee,0,0,0\ndog,1,0,4\n")
    res = cli("build", "confusion", "--matrix", tmp_path / "counts.csv", "-o", tmp_path / "S.npy")
    assert_one_line_error(res, 2)
    assert "pass --missing identity" in res.err and "missing=" not in res.err, res.err


def test_embedding_without_a_vector(cli, tmp_path):
    pytest.importorskip("gensim")
    from simmatrix.builders.embedding import embedding_matrix
    from simmatrix.sources.vectors import load_vectors

    wv = load_vectors("glove-6b-50d")
    msg = _python_error(lambda: embedding_matrix(["apple", "xqzvvvq"], wv))
    assert "with oov='drop' or oov='identity'" in msg, msg
    res = cli("build", "embedding", "--names", "apple,xqzvvvq", "-o", tmp_path / "S.npy")
    assert_one_line_error(res, 2)
    assert "with --oov drop or --oov identity" in res.err and "oov=" not in res.err, res.err


def test_pickled_vectors_are_not_detected(cli, tmp_path):
    from simmatrix.sources.vectors import detect_format

    path = tmp_path / "vectors.kv"
    path.write_bytes(b"\x80\x04\x95 not really a pickle")
    msg = _python_error(lambda: detect_format(path))
    assert "Pass format='gensim' only if" in msg, msg
    res = cli("build", "embedding", "--names", "apple", "--vectors", path, "-o",
              tmp_path / "S.npy")
    assert_one_line_error(res, 2)
    assert "Pass --format gensim only if" in res.err and "format=" not in res.err, res.err


# -- the mechanism -------------------------------------------------------------------------
def test_for_cli_rewrites_each_form():
    assert for_cli("pass overwrite=True to overwrite it") == "pass --force to overwrite it"
    assert for_cli("use top_k=K or dtype='float32'") == "use --top-k K or --dtype float32"
    assert for_cli("n_classes=12 but 3") == "--n-classes 12 but 3"
    assert for_cli("give n_classes= or names=") == "give --n-classes or --names"
    assert for_cli("draw one class's neighbours with neighbours(S, cls)") == \
        "draw one class's neighbours with --row CLASS"
    # a name that merely ends in a keyword, or a file name with one, is left alone
    assert for_cli("'my_dtype=x.npy' and S.dtype=float") == "'my_dtype=x.npy' and S.dtype=float"


def _cli_options() -> set[str]:
    from cli.app import app

    found: set[str] = set()

    def walk(cmd):
        for p in getattr(cmd, "params", []):
            found.update(getattr(p, "opts", []))
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return found


def test_the_table_names_real_options_and_real_arguments():
    options = _cli_options()
    named = set(CLI_OPTIONS.values()) | {m for v in CLI_PHRASES.values()
                                         for m in re.findall(r"--[a-z][a-z-]*", v)}
    assert named <= options, f"not options of any command: {sorted(named - options)}"
    import importlib

    params: set[str] = set()
    for path in (ROOT / "simmatrix").rglob("*.py"):
        mod = ".".join(path.relative_to(ROOT).with_suffix("").parts).replace(".__init__", "")
        if mod.split(".")[-1] in ("torch", "jax", "keras"):
            continue  # framework adapters: no message of theirs names an option
        module = importlib.import_module(mod)
        for obj in vars(module).values():
            if inspect.isfunction(obj) and obj.__module__ == mod:
                params.update(inspect.signature(obj).parameters)
    assert set(CLI_OPTIONS) <= params, f"not arguments of any function: " \
                                       f"{sorted(set(CLI_OPTIONS) - params)}"


def test_the_library_names_no_cli_option_in_its_messages():
    """Outside docstrings, comments and the catalogue's build commands, no string of the
    library spells a CLI option: it names the Python argument and lets for_cli translate."""
    # __main__.py is the command line itself (it answers --version before the Typer app)
    allowed = {"simmatrix/errors.py", "simmatrix/catalogue.py", "simmatrix/__main__.py"}
    offenders = []
    for path in sorted((ROOT / "simmatrix").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in allowed:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                        ast.AsyncFunctionDef))
                      and n.body and isinstance(n.body[0], ast.Expr)
                      and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docstrings
                    and not node.value.lstrip().startswith("#")  # a comment line for a file
                    and re.search(r"(?<![\w-])--[a-z][a-z-]*", node.value)):
                offenders.append(f"{rel}:{node.lineno}: {node.value[:80]!r}")
    assert not offenders, "\n".join(offenders)
